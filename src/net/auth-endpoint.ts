/**
 * POST /auth/:action: accounts over HTTP (register, login, refresh, logout), served by the
 * AccountService (src/persist/accounts.ts). Tokens travel in bodies and headers only, never in URLs.
 */
import { AuthError } from '../persist/accounts';
import { ERROR, errorBody } from '../protocol/errors';
import type { HostContext } from './context';
import { bearerOf, INTERNAL_BODY, readBody } from './http';
import type { HttpResponse } from './uws';

/**
 * POST /auth/register {name, password} -> 201 {accountId}; /auth/login {name, password} ->
 * {token, expiresMs}; /auth/refresh and /auth/logout with `Authorization: Bearer <token>` (the
 * old token's WebSocket sessions are then closed with 4014 REVOKED; after a logout its clients,
 * JSON endpoint ones included, leave their streams at once).
 * Tokens travel in bodies and headers only, never in URLs. Errors: 400 BAD_VALUE, 401
 * INVALID_CREDENTIALS (the same for an unknown name and a wrong password), 409 TAKEN, 429
 * RATE_LIMITED with Retry-After, 503 BUSY with Retry-After (a replicated world that cannot store the
 * write off this machine now: AccountService.checkWritable/settled), 404 without an account service.
 */
export function authEndpoint(h: HostContext, res: HttpResponse, action: string, authorization: string, address: string): void {
  readBody(
    res,
    AUTH_BODY_LIMIT,
    errorBody(ERROR.TOO_LARGE, 'at most 4 KiB'),
    (raw, reply) => {
      authAnswer(h, action, authorization, address, raw).then((a) => reply(a.status, a.body, a.headers));
    },
    h.fault,
  );
}

/** Most bytes of an /auth/* request body. */
export const AUTH_BODY_LIMIT = 4096;

/** An HTTP answer as data: status line ("200 OK"), JSON body, extra headers. */
export interface HttpAnswer {
  status: string;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * The answer to POST /auth/`action` with body `raw` (at most AUTH_BODY_LIMIT bytes, already
 * read), as authEndpoint gives it: also what a leader answers an edge host that forwarded the
 * request (src/replica/edge.ts). Never rejects: a throw is reported (h.fault) and answered 500.
 */
export function authAnswer(h: HostContext, action: string, authorization: string, address: string, raw: Buffer): Promise<HttpAnswer> {
  const accounts = h.o.accounts;
  return new Promise<HttpAnswer>((resolve) => {
    let done = false;
    const reply = (status: string, body: unknown, headers: Record<string, string> = {}): void => {
      if (done) return;
      done = true;
      resolve({ status, body, headers });
    };
    try {
      authAction(h, accounts, action, authorization, address, raw, reply);
    } catch (e) {
      h.fault('http.auth', e);
      reply('500 Internal Server Error', INTERNAL_BODY);
    }
  });
}

function authAction(
  h: HostContext,
  accounts: HostContext['o']['accounts'],
  action: string,
  authorization: string,
  address: string,
  raw: Buffer,
  reply: (status: string, body: unknown, headers?: Record<string, string>) => void,
): void {
  if (!accounts) {
    reply('404 Not Found', errorBody(ERROR.NOT_FOUND, 'this host has no accounts (guest mode only)'));
    return;
  }
  const bearer = bearerOf(authorization);
  const internal = (e: unknown): void => {
    h.fault('http.auth', e);
    reply('500 Internal Server Error', INTERNAL_BODY);
  };
  const fail = (e: unknown): void => {
    if (e instanceof AuthError && (e.code === ERROR.INVALID_CREDENTIALS || e.code === ERROR.RATE_LIMITED || e.code === ERROR.BANNED))
      h.o.securityLog?.event(e.code === ERROR.RATE_LIMITED ? 'rate_limited' : 'login_failed', { code: e.code, address, detail: action });
    if (!(e instanceof AuthError)) {
      internal(e);
      return;
    }
    const status = {
      [ERROR.INVALID_CREDENTIALS]: '401 Unauthorized',
      [ERROR.RATE_LIMITED]: '429 Too Many Requests',
      [ERROR.BAD_VALUE]: '400 Bad Request',
      [ERROR.TAKEN]: '409 Conflict',
      [ERROR.BANNED]: '403 Forbidden',
      [ERROR.BUSY]: '503 Service Unavailable',
    }[e.code];
    const retry = e.code === ERROR.RATE_LIMITED || e.code === ERROR.BUSY;
    reply(status, errorBody(e.code, e.message), retry ? { 'retry-after': String(Math.max(1, Math.ceil(e.retryAfterMs / 1000))) } : {});
  };
  let body: { name?: unknown; password?: unknown } = {};
  try {
    const text = raw.toString('utf8');
    const v = text.trim() ? (JSON.parse(text) as unknown) : {};
    // `null`, a number, a string or an array parse as JSON but are no body: refused, not read
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TypeError('not an object');
    body = v as typeof body;
  } catch {
    reply('400 Bad Request', errorBody(ERROR.BAD_VALUE, 'the body is a JSON object: {"name": "...", "password": "..."}'));
    return;
  }
  const name = typeof body.name === 'string' ? body.name : '',
    password = typeof body.password === 'string' ? body.password : '';
  switch (action) {
    // a throw in a continuation would be an unhandled rejection (process exit): caught, 500
    case 'register':
      accounts
        .register(name, password, address)
        .then((a) => reply('201 Created', { accountId: a.id }), fail)
        .catch(internal);
      return;
    case 'login':
      accounts
        .login(name, password, address)
        .then((s) => {
          h.reevaluateTempAdmin();
          reply('200 OK', { token: s.token, expiresMs: s.expiresMs, accountId: s.accountId });
        }, fail)
        .catch(internal);
      return;
    // the old token's sockets are closed at once (4014 REVOKED, token-watch.ts)
    // (a replicated world answers once the new rows are stored off this machine: AccountService.settled)
    case 'refresh':
      try {
        const next = accounts.refresh(bearer);
        h.revoked(bearer, 'refresh');
        accounts
          .settled()
          .then(() => reply('200 OK', next), fail)
          .catch(internal);
      } catch (e) {
        fail(e);
      }
      return;
    case 'logout': {
      const ok = accounts.logout(bearer);
      if (ok) h.revoked(bearer, 'logout');
      accounts
        .settled()
        .then(() => reply(ok ? '200 OK' : '401 Unauthorized', ok ? { ok } : errorBody(ERROR.INVALID_CREDENTIALS, 'the session is not valid')), fail)
        .catch(internal);
      return;
    }
    default:
      reply('404 Not Found', errorBody(ERROR.NOT_FOUND, 'actions: register, login, refresh, logout'));
  }
}
