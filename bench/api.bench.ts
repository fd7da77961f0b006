import { ChildProcess, spawn } from 'node:child_process';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack, freePort, sleep } from '../test/support/stack';
import { findings } from './findings';
import { LoadDriver } from './load-driver';
import { BENCH_ENV, cpuMsOf, inLanes, memoryOf, percentile, signUpMany } from './measure';
import { writePhotos } from './photos';

const SINGLE_UPLOADS = 20;
const BURST_UPLOADS = 320;
const BURST_IN_FLIGHT = 32;
/**
 * RSS of the API before issue 7 (commit a5f5d75, when it still loaded sharp and the worker's providers), measured the
 * way this bench measures it (NODE_ENV=test, JSON logs) on 2026-11-29 on the machine of BENCHMARKS.md: 139 MB one
 * second after start-up (the issue's "143 MB idle" was this figure), 101 MB once V8's memory reducer has run on the
 * idle process (it does so about 10–20 s after start-up, for this version and that one alike).
 */
const RSS_BEFORE_MB = { afterStartUp: 139, settled: 101 };
/** Long enough for V8's memory reducer to have shrunk the heap of an idle process. */
const SETTLE_MS = 30_000;
const MAX_BYTES = 10 * 1024 * 1024;

interface AcceptRun {
  /** CPU the server process spent per upload during the burst. */
  cpuMsPerUpload: number;
  singleMs: number;
  perSec: number;
  p50Ms: number;
  p99Ms: number;
}

type Send = (lane: number) => Promise<number>;

/**
 * The API alone (no worker, so nothing competes with it) against a bare Express+multer server that only streams
 * uploads to a folder and hashes them: one upload at a time, then a burst with 32 in flight.
 */
export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'api-bench-'));
  const [file] = await writePhotos(dir, 1200, 900);
  const photo = await readFile(file);
  const stack = new Stack({ workers: 0, env: { ...BENCH_ENV, AVATAR_MAX_BYTES: String(MAX_BYTES) } });
  let control: ChildProcess | undefined;
  try {
    await stack.start();
    const started = Date.now();
    await sleep(1000);
    const api = stack.api[0].pid;
    const afterStartUp = memoryOf(api);
    await sleep(SETTLE_MS - (Date.now() - started));
    const idle = memoryOf(api);
    const clients = await signUpMany(stack.baseUrl, BURST_IN_FLIGHT);
    const toService = new LoadDriver(`${stack.baseUrl}/users/me/avatar`);
    const service = await measure(api, async (lane) => {
      const sent = performance.now();
      const reply = await toService.upload(clients[lane % clients.length].token, photo);
      if (reply.status !== 202) throw new Error(`upload refused: ${reply.body}`);
      return performance.now() - sent;
    });
    toService.close();
    const peak = memoryOf(api).peakMb;

    const port = await freePort();
    control = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, 'control-server.ts'), String(port), join(dir, 'control'), String(MAX_BYTES)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((ready) => control!.stdout!.on('data', (chunk: Buffer) => chunk.includes('listening') && ready()));
    const toControl = new LoadDriver(`http://127.0.0.1:${port}/upload`);
    const bare = await measure(control.pid!, async () => {
      const sent = performance.now();
      const reply = await toControl.upload(null, photo);
      if (reply.status !== 202) throw new Error(`control refused an upload: ${reply.status}`);
      return performance.now() - sent;
    });
    toControl.close();

    console.log(`a ${Math.round(photo.length / 1024)} KiB 1200×900 JPEG; ${SINGLE_UPLOADS} uploads one at a time, then ${BURST_UPLOADS} with ${BURST_IN_FLIGHT} in flight`);
    console.log(row(['server', 'accepted/s', 'CPU ms/upload', 'single ms', 'burst p50 ms', 'burst p99 ms', 'p99/single']));
    for (const [name, m] of [['API (no worker)', service], ['bare Express+multer', bare]] as const) {
      const cells = [m.perSec.toFixed(0), m.cpuMsPerUpload.toFixed(2), m.singleMs.toFixed(1), m.p50Ms.toFixed(1), m.p99Ms.toFixed(1)];
      console.log(row([name, ...cells, `${(m.p99Ms / m.singleMs).toFixed(2)}×`]));
    }
    console.log(
      `API RSS: ${afterStartUp.rssMb.toFixed(0)} MB 1 s after start-up (before issue 7: ${RSS_BEFORE_MB.afterStartUp} MB), ` +
        `idle ${idle.rssMb.toFixed(0)} MB after ${SETTLE_MS / 1000} s (before: ${RSS_BEFORE_MB.settled} MB), peak ${peak.toFixed(0)} MB`,
    );
    findings.record('API accept rate', service.perSec / bare.perSec);
    findings.record('API idle RSS', idle.rssMb / RSS_BEFORE_MB.settled);
    findings.record('API p99 under burst', service.p99Ms / service.singleMs);
  } finally {
    control?.kill('SIGTERM');
    await stack.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

async function measure(server: number, send: Send): Promise<AcceptRun> {
  for (let i = 0; i < 5; i++) await send(i); // warms up connections and code paths
  const single: number[] = [];
  for (let i = 0; i < SINGLE_UPLOADS; i++) single.push(await send(i));
  const latencies: number[] = [];
  const cpuBefore = cpuMsOf(server);
  const started = performance.now();
  await inLanes(BURST_UPLOADS, BURST_IN_FLIGHT, async (i) => void latencies.push(await send(i)));
  const seconds = (performance.now() - started) / 1000;
  return {
    cpuMsPerUpload: (cpuMsOf(server) - cpuBefore) / BURST_UPLOADS,
    singleMs: percentile(single, 50),
    perSec: BURST_UPLOADS / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

function row(cells: string[]): string {
  return cells.map((cell, i) => (i === 0 ? cell.padEnd(22) : cell.padStart(14))).join('');
}
