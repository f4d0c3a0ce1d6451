/**
 * Prints the README's tunables table from packages/cdk/src/definitions/tunables.ts (the one definition of name,
 * variable, unit, default, bounds and meaning). `npx tsx scripts/tunables-table.ts` rewrites nothing: paste its
 * output, or let test/docs/readme.test.ts tell you the README is out of date.
 */
import { TUNABLES, type TunableDefinition } from '@token-vault/cdk/src/definitions/tunables';

export function tunablesTable(): string {
  const rows = (Object.entries(TUNABLES) as Array<[string, TunableDefinition]>).map(
    ([name, t]) => `| \`${t.env}\` | \`${name}\` | ${t.default} | ${t.min}–${t.max} ${t.unit} | ${t.doc} |`,
  );
  return ['| Variable | Construct prop | Default | Bounds | Meaning |', '|---|---|---|---|---|', ...rows].join('\n');
}

if (require.main === module) process.stdout.write(`${tunablesTable()}\n`);
