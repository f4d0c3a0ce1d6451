/**
 * The Keycloak install the tests run: scripts/setup-keycloak.sh downloads and builds it once into
 * `.keycloak/<version>/` (quick when it is there already).
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { lastLines } from '../child-process';

const REPO_ROOT = resolve(__dirname, '..', '..');
const SETUP_SCRIPT = join(REPO_ROOT, 'scripts', 'setup-keycloak.sh');

/** What scripts/setup-keycloak.sh installed (its stdout). */
export interface KeycloakInstall {
  readonly version: string;
  /** The unpacked distribution (`bin/kc.sh`, `lib/`, ...). */
  readonly home: string;
  /** The Java binary the script found (17 or newer). */
  readonly java: string;
}

/**
 * Runs scripts/setup-keycloak.sh and returns what it installed. Its progress (stderr) is forwarded; a failure
 * (no Java, download or checksum failure) is an error quoting the script's last lines.
 */
export function installKeycloak(): Promise<KeycloakInstall> {
  return new Promise((resolveInstall, reject) => {
    const child = spawn('bash', [SETUP_SCRIPT], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
      process.stderr.write(chunk);
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) {
        reject(new Error(`scripts/setup-keycloak.sh failed (exit ${code}): ${lastLines(stderr, 5)}`));
        return;
      }
      try {
        const parsed = JSON.parse(stdout.trim().split('\n').pop() ?? '') as Partial<KeycloakInstall>;
        if (typeof parsed.home !== 'string' || typeof parsed.java !== 'string' || typeof parsed.version !== 'string')
          throw new Error('missing fields');
        resolveInstall({ version: parsed.version, home: parsed.home, java: parsed.java });
      } catch (err) {
        reject(
          new Error(
            `scripts/setup-keycloak.sh printed no install description (${(err as Error).message}): ${stdout.slice(0, 200)}`,
          ),
        );
      }
    });
  });
}
