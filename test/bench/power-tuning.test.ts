/** The bench's power-tuning arithmetic: Lambda's billing (GB-s rounded up to 1 ms + requests) and the choice of sizes. */
import {
  dollarsPerMillionAt,
  LAMBDA_ARM64_PRICES,
  renderPowerTuning,
  tune,
  type TuningCell,
} from '../../bench/cold/power-tuning';

const cell = (memoryMiB: number, firstAnswerMs: number, warmMs: number, helloFirstAnswerMs = 100): TuningCell => ({
  memoryMiB,
  firstAnswerMs,
  warmMs,
  helloFirstAnswerMs,
});

describe('power tuning', () => {
  it('prices a million invocations at GB-s, duration rounded up to 1 ms, plus the request price', () => {
    expect(dollarsPerMillionAt(1024, 1000)).toBeCloseTo(LAMBDA_ARM64_PRICES.perGbSecond * 1e6 + 0.2, 6);
    expect(dollarsPerMillionAt(512, 1.2)).toBeCloseTo(dollarsPerMillionAt(512, 2), 9);
    expect(dollarsPerMillionAt(512, 2)).toBeGreaterThan(dollarsPerMillionAt(512, 1));
  });

  it('picks the cheapest size at the stated cold mix, the fastest by first answer, and the ratio to hello-world', () => {
    // 256 MB: slow but small; 512 MB: twice the memory, more than twice as fast warm; 1769 MB: fastest, dearest.
    const cells = [cell(256, 1100, 20, 250), cell(512, 490, 8, 115), cell(1769, 160, 7, 70)];
    const tuning = tune(cells, { coldFraction: 0.01 });
    expect(tuning.cheapest.memoryMiB).toBe(512);
    expect(tuning.fastest.memoryMiB).toBe(1769);
    expect(tuning.cheapest.ratioToHello).toBeCloseTo(490 / 115, 9);
    const at512 = tuning.cells.find((c) => c.memoryMiB === 512)!;
    expect(at512.dollarsPerMillion).toBeCloseTo(
      0.99 * dollarsPerMillionAt(512, 8) + 0.01 * dollarsPerMillionAt(512, 490),
      9,
    );
  });

  it('lets the cold fraction decide: all-cold traffic prices the first answer', () => {
    // Warm, 128 MB is cheaper; cold, its first answer costs more GB-s than 1024 MB's.
    const cells = [cell(128, 4000, 10), cell(1024, 300, 5)];
    expect(tune(cells, { coldFraction: 0 }).cheapest.memoryMiB).toBe(128);
    expect(tune(cells, { coldFraction: 1 }).cheapest.memoryMiB).toBe(1024);
  });

  it('chooses the fastest size among those priced within the tie of the cheapest, and the cheapest otherwise', () => {
    // 256 MB is cheapest; 512 MB costs 2.5 % more and answers twice as fast; 1769 MB costs far more.
    const cells = [cell(256, 1100, 40), cell(512, 500, 20.5), cell(1769, 160, 15)];
    const tuning = tune(cells, { priceTie: 0.05 });
    expect(tuning.cheapest.memoryMiB).toBe(256);
    expect(tuning.chosen.memoryMiB).toBe(512);
    expect(tune(cells, { priceTie: 0 }).chosen.memoryMiB).toBe(256);
    // Nobody waits for a background function: its default is the cheapest.
    expect(tune(cells, { background: true }).chosen.memoryMiB).toBe(256);
  });

  it('never chooses a size under the memory floor, even when it is the cheapest', () => {
    const cells = [cell(128, 3400, 280), cell(256, 1500, 160), cell(512, 780, 100)];
    const tuning = tune(cells, { minDefaultMiB: 256 });
    expect(tuning.cheapest.memoryMiB).toBe(128);
    expect(tuning.chosen.memoryMiB).toBe(256);
  });

  it('prints one row per function and hello-world last', () => {
    const tuning = tune([cell(256, 1100, 20, 250), cell(512, 490, 8, 115)]);
    const text = renderPowerTuning(
      [{ name: 'token-fetch', tuning }],
      [
        { memoryMiB: 256, firstAnswerMs: 250 },
        { memoryMiB: 512, firstAnswerMs: 115 },
      ],
    );
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^function\s+\| 256 MB\s+\| 512 MB\s+\| fastest \| cheapest \| chosen$/);
    expect(lines[2]).toMatch(/^token-fetch \| 1100 \/ 20\.0 ms, 4\.4x, \$[\d.]+\/M\s+\| 490 \/ 8\.0 ms, 4\.3x/);
    expect(lines[3]).toMatch(/^hello-world \| 250 ms\s+\| 115 ms/);
  });
});
