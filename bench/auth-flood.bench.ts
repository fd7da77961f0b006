import { fetchBytes, ApiClient } from '../test/support/client';
import { requestFrom } from '../test/support/from-address';
import { solidJpeg } from '../test/support/images';
import { Stack, sleep } from '../test/support/stack';

const ATTACKERS = 8;
const SAMPLES = 40;
const PASSWORD = 'correct horse battery';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summary(label: string, ms: number[]): string {
  if (ms.length === 0) return `${label}: none succeeded`;
  const sorted = [...ms].sort((a, b) => a - b);
  return `${label}: p50 ${percentile(sorted, 50).toFixed(1)} ms, p95 ${percentile(sorted, 95).toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms`;
}

async function timed(work: () => Promise<{ status: number }>, expected: number): Promise<number> {
  const started = performance.now();
  const { status } = await work();
  if (status !== expected) throw new Error(`expected ${expected}, got ${status}`);
  return performance.now() - started;
}

/**
 * Eight unauthenticated clients, each from its own loopback address and with its own usernames (so neither the
 * per-IP budget nor the per-username backoff stops them), hammer POST /auth/login with wrong passwords. Meanwhile
 * a reader fetches an avatar from /static and a real user logs in: their latency idle vs under the flood.
 */
export async function run(): Promise<void> {
  // The per-IP budget would cut the flood off within a second; lift it to measure what the hash cap alone does.
  const stack = new Stack({ env: { AUTH_THROTTLE_LIMIT: '1000000', WORKER_LOG_LEVEL: 'warn' } });
  await stack.start();
  try {
    const owner = await new ApiClient(stack.baseUrl).signUp(`bench_${stack.id}`, PASSWORD);
    const settled = await owner.uploadAndSettle(await solidJpeg(512, 512, '#2266aa'));
    if (settled.status !== 'done') throw new Error(`upload failed: ${JSON.stringify(settled)}`);
    const avatarUrl = (await owner.request('GET', '/users/me')).body.avatarUrl as string;
    const loginUrl = `${stack.baseUrl}/auth/login`;

    const measure = async () => {
      const files: number[] = [];
      const logins: number[] = [];
      let busyAnswers = 0;
      for (let i = 0; i < SAMPLES; i++) {
        files.push(await timed(() => fetchBytes(avatarUrl), 200));
        if (i % 4 !== 0) continue;
        const started = performance.now();
        const reply = await requestFrom('127.0.0.2', 'POST', loginUrl, { username: `bench_${stack.id}`, password: PASSWORD });
        if (reply.status === 200) logins.push(performance.now() - started);
        else if (reply.status === 503) busyAnswers += 1;
        else throw new Error(`login answered ${reply.status}`);
      }
      return { files, logins, busyAnswers };
    };

    const idle = await measure();
    let flooding = true;
    const outcomes: Record<number, number> = {};
    const flood = Promise.all(
      Array.from({ length: ATTACKERS }, async (_, lane) => {
        for (let i = 0; flooding; i++) {
          const reply = await requestFrom(`127.0.2.${lane + 1}`, 'POST', loginUrl, { username: `nobody_${lane}_${i}`, password: 'wrong password' });
          outcomes[reply.status] = (outcomes[reply.status] ?? 0) + 1;
        }
      }),
    );
    await sleep(500);
    const started = Date.now();
    const busy = await measure();
    const seconds = (Date.now() - started) / 1000;
    flooding = false;
    await flood;

    console.log(`${ATTACKERS} attackers flooding POST /auth/login (AUTH_MAX_CONCURRENT_HASHES=2); ${SAMPLES} /static reads, ${idle.logins.length} real logins each phase`);
    console.log(summary('/static idle       ', idle.files));
    console.log(summary('/static under flood', busy.files));
    console.log(summary('login idle         ', idle.logins));
    console.log(summary('login under flood  ', busy.logins) + `; ${busy.busyAnswers} of ${busy.logins.length + busy.busyAnswers} real logins got 503 + Retry-After`);
    console.log(`flood answers: ${Object.entries(outcomes).map(([s, n]) => `${n}× ${s}`).join(', ')} (${(Object.values(outcomes).reduce((a, b) => a + b, 0) / seconds).toFixed(0)}/s)`);
  } finally {
    await stack.destroy();
  }
}
