/**
 * HTTP helpers for uWS handlers: JSON responses, bounded body reads (onAborted registered
 * first, chunks copied since uWS reuses their memory, every response corked) and the bearer
 * token of an Authorization header.
 */
import { ERROR, errorBody } from '../protocol/errors';
import type { HttpRequest, HttpResponse, TemplatedApp } from './uws';

/** Writes a JSON response (status line, optional headers), unless the request was aborted. */
export type Reply = (status: string, body: unknown, headers?: Record<string, string>) => void;

/** Strict UTF-8 decoder (throws TypeError on malformed bytes). */
export const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Writes a JSON response (status line, extra headers), corked. */
export function sendJson(res: HttpResponse, status: string, body: unknown, headers: Record<string, string> = {}): void {
  res.cork(() => {
    res.writeStatus(status).writeHeader('content-type', 'application/json');
    for (const [k, v] of Object.entries(headers)) res.writeHeader(k, v);
    res.end(JSON.stringify(body));
  });
}

/** The token of `Authorization: Bearer <token>`, or '' without one. */
export function bearerOf(authorization: string): string {
  return authorization.startsWith('Bearer ') ? authorization.slice(7).trim() : '';
}

/**
 * Reads an HTTP request body of at most `limit` bytes, uWS style: onAborted is registered first,
 * chunks are copied (uWS reuses their memory), and the response is corked. A larger body gets 413
 * with `tooLarge`; otherwise `done(body, reply)` runs once with the whole body.
 */
export function readBody(res: HttpResponse, limit: number, tooLarge: unknown, done: (body: Buffer, reply: Reply) => void, fault: Fault = logFault): void {
  let aborted = false,
    replied = false;
  res.onAborted(() => {
    aborted = true;
  });
  const reply: Reply = (status, body, headers = {}) => {
    if (aborted || replied) return;
    replied = true;
    sendJson(res, status, body, headers);
  };
  const chunks: Buffer[] = [];
  let size = 0;
  res.onData((chunk, last) => {
    if (aborted || size < 0) return;
    size += chunk.byteLength;
    if (size > limit) {
      size = -1;
      reply('413 Payload Too Large', tooLarge);
      return;
    }
    chunks.push(Buffer.from(chunk.slice(0)));
    if (!last) return;
    // a throw in `done` (or in a promise it left behind) is answered 500 here, never thrown into uWS
    try {
      done(Buffer.concat(chunks), reply);
    } catch (e) {
      fault('http', e);
      reply('500 Internal Server Error', INTERNAL_BODY);
    }
  });
}

/** Where a fault happened ('http', 'ws.upgrade', 'ws.message', 'tick', ...) and what was thrown. */
export type Fault = (where: string, error: unknown) => void;

/** Default fault log: one JSON line on stderr. */
export const logFault: Fault = (where, error) => {
  const e =
    error instanceof Error ? { name: error.name, message: error.message, stack: error.stack?.split('\n').slice(0, 6).join(' | ') } : { message: String(error) };
  process.stderr.write(`${JSON.stringify({ level: 'error', event: 'fault', where, atMs: Date.now(), ...e })}\n`);
};

/** The body of a 500 answer. */
export const INTERNAL_BODY = errorBody(ERROR.INTERNAL, 'internal error');

/**
 * An HTTP route handler that never throws into uWS: a throw is passed to `fault` and answered
 * 500 INTERNAL (when the response was not already ended or aborted, which uWS then refuses
 * and we ignore). Async work the handler starts must catch its own errors (readBody does).
 */
export function guarded(fault: Fault, where: string, handler: (res: HttpResponse, req: HttpRequest) => void): (res: HttpResponse, req: HttpRequest) => void {
  return (res, req) => {
    try {
      handler(res, req);
    } catch (e) {
      fault(where, e);
      try {
        sendJson(res, '500 Internal Server Error', INTERNAL_BODY);
      } catch {
        /* already answered or aborted */
      }
    }
  };
}

/** The HTTP route methods of `app`, each registering its handler through `guarded`. */
export interface GuardedRoutes {
  get(pattern: string, handler: (res: HttpResponse, req: HttpRequest) => void): GuardedRoutes;
  post(pattern: string, handler: (res: HttpResponse, req: HttpRequest) => void): GuardedRoutes;
  any(pattern: string, handler: (res: HttpResponse, req: HttpRequest) => void): GuardedRoutes;
}

/** `app`'s HTTP routes, each handler wrapped by `guarded`. */
export function guardedApp(app: TemplatedApp, fault: Fault): GuardedRoutes {
  const g: GuardedRoutes = {
    get: (p, h) => {
      app.get(p, guarded(fault, `GET ${p}`, h));
      return g;
    },
    post: (p, h) => {
      app.post(p, guarded(fault, `POST ${p}`, h));
      return g;
    },
    any: (p, h) => {
      app.any(p, guarded(fault, `${p}`, h));
      return g;
    },
  };
  return g;
}
