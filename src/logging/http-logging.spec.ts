import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { loggableUrl, requestIdOf, routeOf } from './http-logging';

function exchange(headers: Record<string, string> = {}): [IncomingMessage, ServerResponse] {
  const req = new IncomingMessage(new Socket());
  req.headers = headers;
  return [req, new ServerResponse(req)];
}

describe('request ids', () => {
  it('takes the caller’s X-Request-Id and echoes it', () => {
    const [req, res] = exchange({ 'x-request-id': 'checkout-42.a:b' });
    expect(requestIdOf(req, res)).toBe('checkout-42.a:b');
    expect(res.getHeader('X-Request-Id')).toBe('checkout-42.a:b');
  });

  it('makes one up when there is none', () => {
    const [req, res] = exchange();
    const id = requestIdOf(req, res);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.getHeader('X-Request-Id')).toBe(id);
  });

  it('replaces an id that could forge or break log lines', () => {
    const [req, res] = exchange({ 'x-request-id': 'x"\n{"level":"fatal"}' });
    expect(requestIdOf(req, res)).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('what an access line shows', () => {
  it('hides the values of credential-like query parameters', () => {
    expect(loggableUrl('/admin/queues?token=abc&page=2&upload_key=k')).toBe('/admin/queues?token=%5Bredacted%5D&page=2&upload_key=%5Bredacted%5D');
    expect(loggableUrl('/users/7')).toBe('/users/7');
  });

  it('names the route pattern, not the path', () => {
    const [req] = exchange();
    expect(routeOf(req)).toBe('unmatched');
    Object.assign(req, { baseUrl: '', route: { path: '/users/:id' } });
    expect(routeOf(req)).toBe('/users/:id');
  });
});
