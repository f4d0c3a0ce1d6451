/** The README's generated parts are current: the tunables table matches functions/definitions/tunables.ts. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tunablesTable } from '../../scripts/tunables-table';

const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

it('the tunables table is generated from the definitions (npx tsx scripts/tunables-table.ts)', () => {
  const between = /<!-- tunables:start -->\n([\s\S]*?)\n<!-- tunables:end -->/.exec(README);
  expect(between?.[1]).toBe(tunablesTable());
});
