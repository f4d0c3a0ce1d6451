/** One Secrets Manager secret per application, holding its client secret. */
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { clientSecretName } from './names';

export async function ensureSecrets(
  secrets: SecretsManagerClient,
  prefix: string,
  applications: ReadonlyArray<{ readonly applicationId: string; readonly clientSecret: string }>,
): Promise<Record<string, string>> {
  const entries = await Promise.all(
    applications.map(async ({ applicationId, clientSecret }): Promise<[string, string]> => {
      const name = clientSecretName(prefix, applicationId);
      try {
        const created = await secrets.send(new CreateSecretCommand({ Name: name, SecretString: clientSecret }));
        if (!created.ARN) throw new Error(`CreateSecret ${name} returned no ARN`);
        return [applicationId, created.ARN];
      } catch (err) {
        if (!(err instanceof ResourceExistsException)) throw err;
      }
      // Reuse: keep the ARN stable, make the given value current.
      await secrets.send(new PutSecretValueCommand({ SecretId: name, SecretString: clientSecret }));
      const described = await secrets.send(new DescribeSecretCommand({ SecretId: name }));
      if (!described.ARN) throw new Error(`DescribeSecret ${name} returned no ARN`);
      return [applicationId, described.ARN];
    }),
  );
  return Object.fromEntries(entries);
}
