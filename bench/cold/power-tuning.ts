/**
 * Power tuning from measured times: the price of a million invocations at each memory size, with a stated share of
 * cold starts, and the cheapest and the fastest size. Lambda bills duration rounded up to 1 ms at GB-s prices, and
 * (since August 2025) the init phase of a cold start like invoke time, so a cold invocation bills its whole first
 * answer.
 */

/** Lambda arm64, us-east-1 list prices (first tier). */
export const LAMBDA_ARM64_PRICES = { perGbSecond: 0.0000133334, perMillionRequests: 0.2 } as const;

/** The stated mix: 1 invocation in 100 is a cold start (a function called steadily keeps its containers warm). */
export const COLD_FRACTION = 0.01;

/**
 * Prices closer than this are a tie: repeated runs on a shared machine differ by more (the warm times include the
 * emulator's latency), and Lambda's price moves little between neighbouring sizes while the latency halves.
 */
export const PRICE_TIE = 0.05;

/**
 * No default below this: a token-fetch container peaks at 86-108 MiB RSS in the memory bench (runtime, bundle,
 * SDK clients, caches) and more in a storm of concurrent callers, so 128 MB leaves no headroom.
 */
export const MIN_DEFAULT_MIB = 256;

/** One function at one memory size, medians of the measured runs. */
export interface TuningCell {
  readonly memoryMiB: number;
  /** Process start to the first answer (cold). */
  readonly firstAnswerMs: number;
  /** A warm invocation. */
  readonly warmMs: number;
  /** The hello-world bundle's first answer at the same size and CPU share. */
  readonly helloFirstAnswerMs: number;
}

export interface TunedCell extends TuningCell {
  /** $ per million invocations at the stated cold fraction. */
  readonly dollarsPerMillion: number;
  /** firstAnswerMs / helloFirstAnswerMs. */
  readonly ratioToHello: number;
}

export interface Tuning {
  readonly cells: readonly TunedCell[];
  /** Lowest $ per million (ties: the faster first answer). */
  readonly cheapest: TunedCell;
  /** Lowest first answer. */
  readonly fastest: TunedCell;
  /**
   * The default this table suggests: among the sizes of at least MIN_DEFAULT_MIB, the fastest first answer of those
   * priced within PRICE_TIE of the cheapest of them (a background function: the cheapest of them).
   */
  readonly chosen: TunedCell;
}

/** $ of one million invocations of `ms` each at `memoryMiB` (duration rounded up to 1 ms, plus the request price). */
export function dollarsPerMillionAt(memoryMiB: number, ms: number): number {
  const gbSeconds = (Math.ceil(ms) / 1000) * (memoryMiB / 1024);
  return gbSeconds * LAMBDA_ARM64_PRICES.perGbSecond * 1e6 + LAMBDA_ARM64_PRICES.perMillionRequests;
}

export interface TuneOptions {
  /** Nobody waits for it (a schedule, a queue, a log subscription): the default is the cheapest size, not a faster tie. */
  readonly background?: boolean;
  /** @default COLD_FRACTION */
  readonly coldFraction?: number;
  /** @default PRICE_TIE */
  readonly priceTie?: number;
  /** @default MIN_DEFAULT_MIB */
  readonly minDefaultMiB?: number;
}

export function tune(cells: readonly TuningCell[], options: TuneOptions = {}): Tuning {
  const coldFraction = options.coldFraction ?? COLD_FRACTION;
  const priceTie = options.background ? 0 : (options.priceTie ?? PRICE_TIE);
  const minDefaultMiB = options.minDefaultMiB ?? MIN_DEFAULT_MIB;
  if (cells.length === 0) throw new Error('power tuning needs at least one memory size');
  const tuned: TunedCell[] = cells.map((cell) => ({
    ...cell,
    dollarsPerMillion:
      (1 - coldFraction) * dollarsPerMillionAt(cell.memoryMiB, cell.warmMs) +
      coldFraction * dollarsPerMillionAt(cell.memoryMiB, cell.firstAnswerMs),
    ratioToHello: cell.firstAnswerMs / cell.helloFirstAnswerMs,
  }));
  const cheapest = tuned.reduce((best, c) =>
    c.dollarsPerMillion < best.dollarsPerMillion ||
    (c.dollarsPerMillion === best.dollarsPerMillion && c.firstAnswerMs < best.firstAnswerMs)
      ? c
      : best,
  );
  const fastest = tuned.reduce((best, c) => (c.firstAnswerMs < best.firstAnswerMs ? c : best));
  const eligible = tuned.filter((c) => c.memoryMiB >= minDefaultMiB);
  const candidates = eligible.length > 0 ? eligible : tuned;
  const floorCheapest = Math.min(...candidates.map((c) => c.dollarsPerMillion));
  const chosen = candidates
    .filter((c) => c.dollarsPerMillion <= floorCheapest * (1 + priceTie))
    .reduce((best, c) => (c.firstAnswerMs < best.firstAnswerMs ? c : best));
  return { cells: tuned, cheapest, fastest, chosen };
}

/**
 * The power-tuning table, one row per function: per memory size `first answer / warm ms, ratio to hello-world,
 * $ per million`, then the fastest, the cheapest and the chosen size; the last row is hello-world's first answer.
 */
export function renderPowerTuning(
  rows: ReadonlyArray<{ readonly name: string; readonly tuning: Tuning }>,
  hello: ReadonlyArray<{ readonly memoryMiB: number; readonly firstAnswerMs: number }>,
): string {
  const sizes = hello.map((h) => h.memoryMiB);
  const header = ['function', ...sizes.map((s) => `${s} MB`), 'fastest', 'cheapest', 'chosen'];
  const body = rows.map(({ name, tuning }) => [
    name,
    ...sizes.map((size) => {
      const c = tuning.cells.find((cell) => cell.memoryMiB === size);
      return c
        ? `${c.firstAnswerMs.toFixed(0)} / ${c.warmMs.toFixed(1)} ms, ${c.ratioToHello.toFixed(1)}x, $${c.dollarsPerMillion.toFixed(2)}/M`
        : '';
    }),
    `${tuning.fastest.memoryMiB} MB`,
    `${tuning.cheapest.memoryMiB} MB`,
    `${tuning.chosen.memoryMiB} MB`,
  ]);
  body.push(['hello-world', ...hello.map((h) => `${h.firstAnswerMs.toFixed(0)} ms`), '', '', '']);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join(' | ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line)].join('\n');
}
