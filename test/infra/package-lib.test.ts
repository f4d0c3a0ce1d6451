/**
 * What @token-vault/cdk's build puts into lib/ needs nothing but its peers: the JavaScript requires only
 * aws-cdk-lib, constructs and Node's own modules (zod is inlined by scripts/inline-deps.mjs), and the declarations
 * a consumer's compiler reads from lib/index.d.ts import nothing else either (a consumer has no zod). The consumer
 * tests check the same on the packed package; this catches it right after `npm run build`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const LIB = join(__dirname, '..', '..', 'packages', 'cdk', 'lib');
const PEERS = /^(aws-cdk-lib(\/.*)?|constructs|node:.*)$/;

function files(dir: string, suffix: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? files(join(dir, entry.name), suffix)
      : entry.name.endsWith(suffix)
        ? [join(dir, entry.name)]
        : [],
  );
}

it('lib/*.js requires only the peers and Node built-ins', () => {
  const required = new Set<string>();
  for (const file of files(LIB, '.js')) {
    for (const [, name] of readFileSync(file, 'utf8').matchAll(/require\("([^".][^"]*)"\)/g)) required.add(name!);
  }
  expect([...required].filter((name) => !PEERS.test(name))).toEqual([]);
  expect(required.has('aws-cdk-lib')).toBe(true);
});

it('the declarations reachable from lib/index.d.ts import only the peers', () => {
  const seen = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
      if (spec!.startsWith('.')) {
        const target = resolve(dirname(file), spec!);
        visit(
          target.endsWith('.d.ts')
            ? target
            : readdirSync(dirname(target)).includes(`${target.split('/').pop()}.d.ts`)
              ? `${target}.d.ts`
              : join(target, 'index.d.ts'),
        );
      } else {
        bare.add(spec!);
      }
    }
  };
  visit(join(LIB, 'index.d.ts'));
  expect([...bare].filter((name) => !PEERS.test(name))).toEqual([]);
  expect(seen.size).toBeGreaterThan(10);
});
