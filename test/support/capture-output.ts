/** Jest setupFiles: tees everything this test process writes into test/out/logs (see leak-guard.ts). */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import { LOG_DIR } from './leak-guard';

mkdirSync(LOG_DIR, { recursive: true });
const file = join(LOG_DIR, `${process.pid}.log`);
const show = process.env.TEST_SHOW_LOGS === '1';

function record(chunk: unknown): void {
  appendFileSync(file, typeof chunk === 'string' || chunk instanceof Uint8Array ? chunk : String(chunk));
}

for (const stream of [process.stdout, process.stderr]) {
  const original = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = (chunk: unknown, ...rest: unknown[]) => {
    record(chunk);
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '';
    if (!show && text.trimStart().startsWith('{')) return true;
    return original(chunk, ...rest);
  };
}

for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  const original = console[method].bind(console);
  console[method] = (...args: unknown[]) => {
    record(`${format(...args)}\n`);
    if (show) original(...args);
  };
}
