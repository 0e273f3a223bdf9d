/**
 * HTTP helpers for uWS handlers: JSON responses, bounded body reads (onAborted registered
 * first, chunks copied since uWS reuses their memory, every response corked) and the bearer
 * token of an Authorization header.
 */
import type { HttpResponse } from './uws';

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
export function readBody(res: HttpResponse, limit: number, tooLarge: unknown, done: (body: Buffer, reply: Reply) => void): void {
  let aborted = false;
  res.onAborted(() => { aborted = true; });
  const reply: Reply = (status, body, headers = {}) => {
    if (aborted) return;
    sendJson(res, status, body, headers);
  };
  const chunks: Buffer[] = [];
  let size = 0;
  res.onData((chunk, last) => {
    if (aborted || size < 0) return;
    size += chunk.byteLength;
    if (size > limit) { size = -1; reply('413 Payload Too Large', tooLarge); return; }
    chunks.push(Buffer.from(chunk.slice(0)));
    if (last) done(Buffer.concat(chunks), reply);
  });
}
