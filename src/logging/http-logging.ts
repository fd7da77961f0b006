import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Options } from 'pino-http';

export const REQUEST_ID_HEADER = 'X-Request-Id';

// A client's id is logged and echoed, so only plain tokens are taken (no spaces, quotes or line breaks).
const ACCEPTABLE_REQUEST_ID = /^[\w.:@-]{1,128}$/;
const SECRET_QUERY_PARAMETER = /token|secret|password|sign|key/i;

type RoutedRequest = IncomingMessage & { route?: { path?: string }; baseUrl?: string; originalUrl?: string };

/** Takes the caller's `X-Request-Id` when it is a plain token, otherwise makes one; either way echoes it. */
export function requestIdOf(req: IncomingMessage, res: ServerResponse): string {
  const offered = req.headers[REQUEST_ID_HEADER.toLowerCase()];
  const id = typeof offered === 'string' && ACCEPTABLE_REQUEST_ID.test(offered) ? offered : randomUUID();
  res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

/** The route pattern that answered (`/users/:id`), never the raw path, so logs and metrics group by endpoint. */
export function routeOf(req: IncomingMessage): string {
  const { route, baseUrl } = req as RoutedRequest;
  return route?.path ? `${baseUrl ?? ''}${route.path}` : 'unmatched';
}

/** The path and query, with the values of credential-like query parameters replaced. */
export function loggableUrl(url: string): string {
  const [path, query] = url.split('?', 2);
  if (!query) return path;
  const params = new URLSearchParams(query);
  for (const name of [...params.keys()]) if (SECRET_QUERY_PARAMETER.test(name)) params.set(name, '[redacted]');
  return `${path}?${params.toString()}`;
}

/** pino-http: a request id on every line of a request, and one access line per response with route and duration. */
export function httpLoggingOptions(logger: Logger): Options {
  const withRoute = (req: IncomingMessage, _res: ServerResponse, fields: object) => ({ ...fields, route: routeOf(req) });
  return {
    logger,
    genReqId: requestIdOf,
    quietReqLogger: true,
    customAttributeKeys: { reqId: 'requestId', responseTime: 'durationMs' },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    customSuccessMessage: (req, res) => `${req.method} ${routeOf(req)} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method} ${routeOf(req)} ${res.statusCode}`,
    customSuccessObject: withRoute,
    customErrorObject: withRoute,
    serializers: {
      req: (req: { method: string; url: string; headers: Record<string, unknown>; remoteAddress?: string }) => ({
        method: req.method,
        url: loggableUrl(req.url),
        remoteAddress: req.remoteAddress,
        userAgent: req.headers['user-agent'],
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  };
}
