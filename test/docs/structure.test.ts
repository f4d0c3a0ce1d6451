/**
 * The shape of the tree a maintainer relies on: no import circle in any part that ships or runs, and no source
 * file much over 300 lines (a file that grows past it holds more than one job; split it by job).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import madge from 'madge';

const ROOT = join(__dirname, '..', '..');
const MAX_LINES = 310;

describe('the structure of the tree', () => {
  it.each([
    ['the construct library', ['packages/cdk/src']],
    ['the functions', ['packages/cdk/functions']],
    ['the caller library', ['packages/client/src']],
    ['the local stack', ['local']],
    ['the bench and the app', ['bench', 'infra']],
  ])(
    '%s has no import circle',
    async (_what, folders) => {
      const graph = await madge(
        folders.map((f) => join(ROOT, f)),
        {
          fileExtensions: ['ts', 'mjs', 'cjs'],
          tsConfig: join(ROOT, 'tsconfig.json'),
          excludeRegExp: [/node_modules/, /\/lib\//, /\/assets\//, /\.d\.ts$/],
        },
      );
      // The graph must really hold the folder's modules (a wrong extension or path would make an empty, circle-free graph).
      expect(Object.keys(graph.obj()).length).toBeGreaterThan(5);
      expect(graph.circular()).toEqual([]);
    },
    120_000,
  );

  it(`no source file outside test/ is over ${MAX_LINES} lines`, () => {
    const files = execFileSync('git', ['ls-files', '*.ts', '*.mjs', '*.cjs', '*.js', '*.py'], {
      cwd: ROOT,
      encoding: 'utf8',
    })
      .split('\n')
      .filter((f) => f !== '' && !f.startsWith('test/') && !f.endsWith('.d.ts'));
    const long = files
      .map((f) => ({ f, lines: readFileSync(join(ROOT, f), 'utf8').split('\n').length - 1 }))
      .filter(({ lines }) => lines > MAX_LINES)
      .map(({ f, lines }) => `${f}: ${lines}`);
    expect(long).toEqual([]);
  });
});
