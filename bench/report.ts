/**
 * What a measurement reports and how the table is printed: every figure side by side with the same code with
 * its caches (or coalescing) disabled, in the same run, and the ratio.
 */
import { cpus, platform, release, totalmem } from 'node:os';

export interface Figure {
  readonly label: string;
  /** With the vault's caches / coalescing on (as deployed). */
  readonly on: number;
  /** The same code with them off; absent when the figure has no "off" side. */
  readonly off?: number;
  /** Decimal places. @default 0 */
  readonly digits?: number;
  /** The target from the performance issue, as text, e.g. "exactly 1". */
  readonly target?: string;
  /** Whether `on` meets the target (printed as ok / MISSED). */
  readonly met?: boolean;
}

export interface Section {
  readonly title: string;
  /** What the "off" column switches off. */
  readonly off: string;
  readonly figures: readonly Figure[];
  readonly notes?: readonly string[];
  /** Preformatted text printed after the notes (e.g. a table of its own). */
  readonly detail?: string;
}

/** Nearest-rank percentile of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function mean(samples: readonly number[]): number {
  return samples.reduce((sum, x) => sum + x, 0) / samples.length;
}

export function machine(): string {
  const cpu = cpus();
  return `${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()} ${release()}, Node.js ${process.version}`;
}

const format = (value: number | undefined, digits = 0): string =>
  value === undefined ? '' : Number.isFinite(value) ? value.toFixed(digits) : String(value);

function ratio(figure: Figure): string {
  if (figure.off === undefined) return '';
  if (figure.on === 0) return figure.off === 0 ? '-' : 'n/a';
  return `${(figure.off / figure.on).toFixed(1)}x`;
}

/** The whole table, as printed by `npm run bench`. */
export function renderTable(sections: readonly Section[], started: Date): string {
  const header = ['figure', 'on', 'off', 'off/on', 'target', ''];
  const rows: string[][] = [];
  const titles = new Map<number, string>();
  for (const section of sections) {
    titles.set(rows.length, `${section.title} (off: ${section.off})`);
    for (const f of section.figures) {
      rows.push([
        `  ${f.label}`,
        format(f.on, f.digits),
        format(f.off, f.digits),
        ratio(f),
        f.target ?? '',
        f.met === undefined ? '' : f.met ? 'ok' : 'MISSED',
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 0 || i >= 4 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join(' | ')
      .trimEnd();
  const out: string[] = [
    `token-vault bench, ${started.toISOString()}`,
    `machine: ${machine()}`,
    '',
    line(header),
    widths.map((w) => '-'.repeat(w)).join('-|-'),
  ];
  rows.forEach((row, i) => {
    const title = titles.get(i);
    if (title) out.push(title);
    out.push(line(row));
  });
  const notes = sections.flatMap((s) => (s.notes ?? []).map((n) => `- ${n}`));
  if (notes.length > 0) out.push('', ...notes);
  for (const detail of sections.flatMap((s) => (s.detail ? [s.detail] : []))) out.push('', detail);
  return `${out.join('\n')}\n`;
}
