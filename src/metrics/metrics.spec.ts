import { Queue } from 'bull';
import { Metrics } from './metrics';

const counts = { waiting: 3, active: 1, delayed: 2, failed: 0, completed: 5, paused: 0 };
const answering = (name: string) => ({ name, getJobCounts: async () => counts }) as unknown as Queue;
const hanging = (name: string) => ({ name, getJobCounts: () => new Promise(() => undefined) }) as unknown as Queue;

describe('metrics', () => {
  it('reads queue depth per state from the broker at each scrape', async () => {
    const text = await new Metrics(answering('avatars'), answering('maintenance')).scrape();
    expect(text).toContain('avatar_queue_jobs{queue="avatars",state="waiting"} 3');
    expect(text).toContain('avatar_queue_jobs{queue="maintenance",state="delayed"} 2');
  });

  it('still answers when the broker hangs, leaving queue depth out', async () => {
    const text = await new Metrics(hanging('avatars'), answering('maintenance')).scrape();
    expect(text).not.toContain('avatar_queue_jobs{queue="avatars"');
    expect(text).toContain('avatar_queue_jobs{queue="maintenance",state="waiting"} 3');
  });

  it('times stages into one histogram labelled by stage', async () => {
    const metrics = new Metrics(answering('avatars'), answering('maintenance'));
    const end = metrics.stageTimer('encode');
    end();
    expect(await metrics.scrape()).toMatch(/avatar_job_stage_duration_seconds_count\{stage="encode"\} 1/);
  });

  it('keeps each process’s registry apart', async () => {
    const one = new Metrics(answering('avatars'), answering('maintenance'));
    const two = new Metrics(answering('avatars'), answering('maintenance'));
    one.uploadsAccepted.inc({ source: 'server' });
    expect(await one.scrape()).toContain('avatar_uploads_accepted_total{source="server"} 1');
    expect(await two.scrape()).not.toContain('avatar_uploads_accepted_total{source="server"}');
  });
});
