/**
 * The repository is self-contained: no file points outside it (a user who clones or installs it has nothing
 * else), and every relative link in the Markdown files resolves to a file in it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const files = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter(
    (f) => /\.(ts|mjs|js|md|json|sh|yaml|yml)$/.test(f) && f !== 'package-lock.json' && existsSync(join(ROOT, f)),
  );

it('no file refers to the workspace outside the repository', () => {
  const outside = files.filter((f) =>
    /\.\.\/shared\/|shared\/(CONTRACT|FIELD-NOTES|STYLE)\.md|shared\/seeds\//.test(readFileSync(join(ROOT, f), 'utf8')),
  );
  expect(outside).toEqual([]);
});

it('every relative Markdown link resolves to a file of the repository', () => {
  const broken: string[] = [];
  for (const file of files.filter((f) => f.endsWith('.md'))) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      if (!target || /^[a-z]+:/i.test(target)) continue;
      const path = resolve(dirname(join(ROOT, file)), target);
      if (relative(ROOT, path).startsWith('..') || !existsSync(path)) broken.push(`${file}: ${target}`);
    }
  }
  expect(broken).toEqual([]);
});
