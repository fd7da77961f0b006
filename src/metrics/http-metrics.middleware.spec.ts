import { Queue } from 'bull';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { Metrics } from './metrics';

const queue = (name: string) => ({ name, getJobCounts: async () => ({}) }) as unknown as Queue;

/** One request through the middleware, answered by `route` with `status`. */
function answer(middleware: HttpMetricsMiddleware, method: string, route: string | null, status: number): void {
  const req = new IncomingMessage(new Socket());
  req.method = method;
  const res = new ServerResponse(req);
  middleware.use(req, res, () => undefined);
  if (route) Object.assign(req, { baseUrl: '', route: { path: route } });
  res.statusCode = status;
  res.emit('finish');
}

describe('HTTP metrics', () => {
  let metrics: Metrics;
  let middleware: HttpMetricsMiddleware;

  beforeEach(() => {
    metrics = new Metrics(queue('avatars'), queue('maintenance'));
    middleware = new HttpMetricsMiddleware(metrics);
  });

  it('counts uploads accepted and refused by source and reason', async () => {
    answer(middleware, 'POST', '/users/me/avatar', 202);
    answer(middleware, 'POST', '/users/me/avatar', 413);
    answer(middleware, 'POST', '/users/me/avatar/confirm', 409);
    answer(middleware, 'POST', '/storage/qiniu/callback', 200);
    answer(middleware, 'POST', '/storage/qiniu/callback', 401);
    const text = await metrics.scrape();
    expect(text).toContain('avatar_uploads_accepted_total{source="server"} 1');
    expect(text).toContain('avatar_uploads_accepted_total{source="direct"} 1');
    expect(text).toContain('avatar_uploads_refused_total{source="server",reason="too_large"} 1');
    expect(text).toContain('avatar_uploads_refused_total{source="direct",reason="conflict"} 1');
    expect(text).toContain('avatar_uploads_refused_total{source="direct",reason="unauthenticated"} 1');
  });

  it('times every request by route pattern, never by raw path, and counts no upload for other routes', async () => {
    answer(middleware, 'GET', '/users/:id', 200);
    answer(middleware, 'GET', null, 404);
    const text = await metrics.scrape();
    expect(text).toContain('http_request_duration_seconds_count{method="GET",route="/users/:id",status="200"} 1');
    expect(text).toContain('http_request_duration_seconds_count{method="GET",route="unmatched",status="404"} 1');
    expect(text).not.toMatch(/avatar_uploads_(accepted|refused)_total\{/);
  });
});
