/** The README's generated parts are current: the tunables and provider tables match their definitions. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { profilesTable } from '../../scripts/profiles-table';
import { tunablesTable } from '../../scripts/tunables-table';

const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

it('the tunables table is generated from the definitions (npx tsx scripts/tunables-table.ts)', () => {
  const between = /<!-- tunables:start -->\n([\s\S]*?)\n<!-- tunables:end -->/.exec(README);
  expect(between?.[1]).toBe(tunablesTable());
});

it('the provider table is generated from the profile catalogue (npx tsx scripts/profiles-table.ts)', () => {
  const between = /<!-- profiles:start -->\n([\s\S]*?)\n<!-- profiles:end -->/.exec(README);
  expect(between?.[1]).toBe(profilesTable());
});
