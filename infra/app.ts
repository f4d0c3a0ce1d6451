/**
 * CDK app entry (cdk.json). Configuration comes from CDK context:
 *   npx cdk deploy --all -c config=./my-vault.json
 *   npx cdk deploy --all -c config=./my-vault.json -c applications='[{"clientId":"abc"}]'
 * Without `-c config`, the example in infra/config/example.json is synthesized.
 */
import { App } from 'aws-cdk-lib';
import { CONTEXT_KEYS, loadDeploymentConfig, EXAMPLE_CONFIG_PATH } from './config';
import { addComplianceChecks, addTokenVaultStacks } from './deployment';
import { addExampleCaller } from '../examples/otesse-caller/deploy';

const app = new App();
const { config, source } = loadDeploymentConfig((key) => app.node.tryGetContext(key));
if (source === EXAMPLE_CONFIG_PATH) {
  console.error(`token-vault: no -c ${CONTEXT_KEYS.CONFIG}=FILE given; using the example configuration ${source}`);
}
const { serviceStack } = addTokenVaultStacks(app, config);
if (config.exampleCaller !== undefined) addExampleCaller(serviceStack, config.exampleCaller);
addComplianceChecks(app);
