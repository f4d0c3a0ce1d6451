/**
 * Public entry for CDK apps that embed token-vault: the `TokenVault` construct (and its parts), and the two
 * stacks infra/app.ts deploys. The functions are bundled from this repository's functions/ folder, so the whole
 * repository (with its package-lock.json and node_modules) must be present where `cdk synth` runs.
 */
export * from './constructs';
export * from './stacks/data-stack';
export * from './stacks/service-stack';
export { addComplianceChecks, addTokenVaultStacks, type TokenVaultStacks } from './deployment';
export { deploymentConfigSchema, loadDeploymentConfig, type DeploymentConfig } from './config';
