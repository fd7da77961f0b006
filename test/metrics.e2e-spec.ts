import { randomBytes } from 'node:crypto';
import { ApiClient } from './support/client';
import { solidJpeg } from './support/images';
import { Stack, eventually } from './support/stack';

const METRICS_TOKEN = randomBytes(24).toString('hex');

/** The value of one series in Prometheus text; 0 when it does not exist yet. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

const moved = (series: string, before: string, after: string) => sample(after, series) - sample(before, series);

describe('/metrics on the API and on each worker', () => {
  const stack = new Stack({ env: { METRICS_TOKEN } });
  let client: ApiClient;

  const scrape = async (url: string, token = METRICS_TOKEN) => {
    const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
  };
  const apiMetrics = async () => (await scrape(`${stack.baseUrl}/metrics`)).text;
  const workerMetrics = async () => (await scrape(`${stack.workers[0].probeUrl}/metrics`)).text;

  beforeAll(async () => {
    await stack.start();
    client = await new ApiClient(stack.baseUrl).signUp();
  });
  afterAll(() => stack.destroy());

  it('answers only with the metrics token when METRICS_TOKEN is set', async () => {
    for (const url of [`${stack.baseUrl}/metrics`, `${stack.workers[0].probeUrl}/metrics`]) {
      expect((await scrape(url, '')).status).toBe(401);
      expect((await scrape(url, 'not-the-token')).status).toBe(401);
      const allowed = await scrape(url);
      expect(allowed.status).toBe(200);
      expect(allowed.type).toMatch(/^text\/plain/);
      expect(allowed.text).toContain('# TYPE process_resident_memory_bytes gauge');
    }
  });

  it('moves the upload, job, stage, byte and HTTP series with an upload and a refusal', async () => {
    const [apiBefore, workerBefore] = [await apiMetrics(), await workerMetrics()];
    const image = await solidJpeg(640, 480, '#3a6');
    expect((await client.uploadAndSettle(image)).status).toBe('done');
    const refused = await client.upload(Buffer.from('plain text, not an image'), 'avatar', 'notes.txt', 'text/plain');
    expect(refused.status).toBe(415);

    const api = await apiMetrics();
    expect(moved('avatar_uploads_accepted_total{source="server"}', apiBefore, api)).toBe(1);
    expect(moved('avatar_uploads_refused_total{source="server",reason="unsupported_media_type"}', apiBefore, api)).toBe(1);
    expect(moved('avatar_upload_bytes_received_total', apiBefore, api)).toBeGreaterThanOrEqual(image.length);
    expect(moved('http_request_duration_seconds_count{method="POST",route="/users/me/avatar",status="202"}', apiBefore, api)).toBe(1);
    expect(moved('http_request_duration_seconds_count{method="POST",route="/users/me/avatar",status="415"}', apiBefore, api)).toBe(1);
    expect(sample(api, 'avatar_queue_jobs{queue="avatars",state="waiting"}')).toBe(0);
    // The replaced avatar's objects wait in the maintenance queue (AVATAR_DELETE_GRACE_SEC): a state the gauge reads.
    expect(api).toMatch(/^avatar_queue_jobs\{queue="maintenance",state="delayed"\} \d+$/m);

    // Bull reports the job completed a moment after the upload row says done.
    const worker = await eventually(workerMetrics, (text) =>
      moved('avatar_jobs_completed_total{queue="avatars",name="upload-avatar"}', workerBefore, text) === 1,
    );
    expect(moved('avatar_job_duration_seconds_count{queue="avatars",name="upload-avatar",outcome="completed"}', workerBefore, worker)).toBe(1);
    for (const stage of ['decode', 'encode', 'store', 'commit']) {
      expect(moved(`avatar_job_stage_duration_seconds_count{stage="${stage}"}`, workerBefore, worker)).toBe(1);
    }
    expect(moved('avatar_bytes_stored_total', workerBefore, worker)).toBeGreaterThan(0);
    expect(moved('avatar_jobs_failed_total{queue="avatars",name="upload-avatar"}', workerBefore, worker)).toBe(0);
  });

  it('counts a job that fails for good, and one refusal per reason', async () => {
    const [apiBefore, workerBefore] = [await apiMetrics(), await workerMetrics()];
    // A JPEG header on garbage passes the API's magic-byte check and fails in the worker's decoder, for good.
    const broken = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(2048)]);
    const accepted = await client.upload(broken);
    expect(accepted.status).toBe(202);
    expect((await client.settle(accepted.body.uploadId)).status).toBe('failed');
    expect((await client.request('POST', '/users/me/avatar', new FormData())).status).toBe(400);

    const worker = await eventually(workerMetrics, (text) =>
      moved('avatar_jobs_failed_total{queue="avatars",name="upload-avatar"}', workerBefore, text) === 1,
    );
    expect(moved('avatar_jobs_retried_total{queue="avatars",name="upload-avatar"}', workerBefore, worker)).toBe(0);
    const api = await apiMetrics();
    expect(moved('avatar_uploads_accepted_total{source="server"}', apiBefore, api)).toBe(1);
    expect(moved('avatar_uploads_refused_total{source="server",reason="invalid_request"}', apiBefore, api)).toBe(1);
  });
});
