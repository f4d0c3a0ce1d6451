// The child of the cold-start bench: a minimal Lambda Node.js runtime client. Like Lambda's, it loads its HTTP
// client, loads the handler's module, then loops: GET the next event from the Runtime API (AWS_LAMBDA_RUNTIME_API),
// call the handler with a context whose remaining time counts down to the deadline header, POST the answer.
// Times are on performance.now()'s clock, whose origin is the process start: `boot` is Node.js's own start-up.
// The first invocation follows the load at once (a cold start); BENCH_WARM more follow, BENCH_PAUSE_MS apart, so
// that each starts in a fresh CFS period as a warm request would (back-to-back calls measure the quota's throttling).
'use strict';
const { performance } = require('node:perf_hooks');
const http = require('node:http');

const boot = performance.now();
const api = process.env.AWS_LAMBDA_RUNTIME_API;
const handler = require(process.env.BENCH_BUNDLE).handler;
const loaded = performance.now();

function call(method, path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(`http://${api}/2018-06-01/runtime/invocation/${path}`, { method }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (data += chunk));
      res.on('end', () => resolve({ headers: res.headers, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

// Answers the time the event arrived: Lambda bills an invocation from there to the posted response, not the wait for it.
async function invoke() {
  const next = await call('GET', 'next');
  const received = performance.now();
  const requestId = next.headers['lambda-runtime-aws-request-id'];
  const deadline = Number(next.headers['lambda-runtime-deadline-ms']);
  const context = {
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: '$LATEST',
    invokedFunctionArn: next.headers['lambda-runtime-invoked-function-arn'],
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: requestId,
    logGroupName: 'bench',
    logStreamName: 'bench',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const result = await handler(JSON.parse(next.body), context);
    await call('POST', `${requestId}/response`, JSON.stringify(result === undefined ? null : result));
    return { result, received };
  } catch (error) {
    await call('POST', `${requestId}/error`, JSON.stringify({ errorType: error.name, errorMessage: error.message }));
    throw error;
  }
}

(async () => {
  const { result: first } = await invoke();
  const answered = performance.now();
  const cpu = process.cpuUsage();
  const warm = [];
  for (let i = 0; i < Number(process.env.BENCH_WARM); i++) {
    await new Promise((resolve) => setTimeout(resolve, Number(process.env.BENCH_PAUSE_MS)));
    const { received } = await invoke();
    warm.push(performance.now() - received);
  }
  const result = {
    bootMs: boot,
    loadMs: loaded - boot,
    firstMs: answered - loaded,
    firstAnswerMs: answered,
    coldCpuMs: (cpu.user + cpu.system) / 1000,
    warmMs: warm,
    answer: JSON.stringify(first === undefined ? null : first).slice(0, 120),
  };
  process.stdout.write(`\nBENCH_RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
