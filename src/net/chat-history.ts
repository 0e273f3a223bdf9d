/** GET /chat/history: pages of stored chat lines (src/persist/store.ts ChatStore) for an authenticated player. */
import { ERROR, errorBody, type ErrorCode } from '../protocol/errors';
import type { HostContext } from './context';
import { bearerOf, sendJson } from './http';
import type { HttpResponse } from './uws';

/**
 * GET /chat/history?channel=world|group:NAME|private:A:B&before=<id>&limit=<1..200> with
 * `Authorization: Bearer <token>` -> {lines: [{id, channel, tick, sender, text}], before: id of
 * the next page or null}, newest first. Private channels are readable by their two accounts
 * only. Errors: 401 UNAUTHENTICATED, 403 NOT_ALLOWED, 400 BAD_VALUE, 404 without records.
 */
export function chatHistory(h: HostContext, res: HttpResponse, authorization: string, channel: string, before: string, limit: string): void {
  const reply = (status: string, body: unknown): void => sendJson(res, status, body);
  const fail = (status: string, code: ErrorCode, message: string): void => reply(status, errorBody(code, message));
  const rec = h.o.records;
  if (!rec) {
    fail('404 Not Found', ERROR.NOT_FOUND, 'this host keeps no chat history');
    return;
  }
  const p = h.authenticate(bearerOf(authorization));
  if (!p) {
    fail('401 Unauthorized', ERROR.UNAUTHENTICATED, 'send Authorization: Bearer <token>');
    return;
  }
  const priv = /^private:(-?\d+):(-?\d+)$/.exec(channel);
  if (!(channel === 'world' || /^group:[A-Za-z0-9_-]{1,32}$/.test(channel) || priv)) {
    fail('400 Bad Request', ERROR.BAD_VALUE, 'channel is world, group:NAME or private:A:B');
    return;
  }
  if (priv && !(p.accountId !== undefined && (Number(priv[1]) === p.accountId || Number(priv[2]) === p.accountId))) {
    fail('403 Forbidden', ERROR.NOT_ALLOWED, 'a private channel is readable by its two players only');
    return;
  }
  const n = limit === '' ? 50 : Number(limit),
    b = before === '' ? null : Number(before);
  if (!(Number.isInteger(n) && n >= 1 && n <= 200) || (b !== null && !Number.isInteger(b))) {
    fail('400 Bad Request', ERROR.BAD_VALUE, 'limit is 1..200, before an id from the previous page');
    return;
  }
  const lines = rec.chatPage(channel, b, n);
  reply('200 OK', { lines, before: lines.length === n ? lines[lines.length - 1].id : null });
}
