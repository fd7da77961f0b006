import { Queue } from 'bull';
import { QueueReport } from './queue-report';
import { WorkerBeat } from './worker-beat';

const counts = (waiting: number) => ({ waiting, active: 0, completed: 0, failed: 0, delayed: 0 });

/** Two queues on one fake broker that holds these heartbeat keys. */
function report(beats: Record<string, WorkerBeat>, waiting: Record<string, number>): QueueReport {
  const client = {
    zremrangebyscore: async () => 0,
    zrangebyscore: async () => Object.keys(beats),
    mget: async (...keys: string[]) => keys.map((key) => JSON.stringify(beats[key.replace('p:workers:', '')])),
  };
  const queue = (name: string) => ({ name, client, getJobCounts: async () => counts(waiting[name] ?? 0) }) as unknown as Queue;
  return new QueueReport({ prefix: 'p' } as never, queue('avatars'), queue('maintenance'));
}

const beat = (pid: number, queues: string[]): WorkerBeat => ({ host: 'h', pid, queues, concurrency: 2, startedAt: '' });

describe('queue report', () => {
  it('counts the live workers consuming each queue', async () => {
    const read = await report({ 'h:1': beat(1, ['avatars', 'maintenance']), 'h:2': beat(2, ['avatars']) }, {}).read();
    expect(read.queues.map((q) => [q.queue, q.workers])).toEqual([['avatars', 2], ['maintenance', 1]]);
    expect(read.workers.map((w) => w.pid)).toEqual([1, 2]);
  });

  it('warns only about a queue whose jobs wait while no worker consumes it', async () => {
    const read = await report({ 'h:1': beat(1, ['maintenance']) }, { avatars: 2, maintenance: 5 }).read();
    expect(read.queues.find((q) => q.queue === 'avatars')?.warning).toBe('no worker consumes "avatars" while 2 job(s) wait');
    expect(read.queues.find((q) => q.queue === 'maintenance')?.warning).toBeUndefined();
    expect((await report({}, {}).read()).queues.every((q) => q.warning === undefined)).toBe(true);
  });
});
