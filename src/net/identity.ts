/**
 * Identity inside a stream is the authenticated principal, not the private id a client chose.
 * The host never hands a client's private id to a stream as it is: it scopes it by principal,
 *
 *   account (accountId)              a<accountId>/<privateId>
 *   other named principal            u<sha256(account) 16 hex>/<privateId>   (custom authenticators)
 *   guest                            g<guest scope>/<privateId>
 *
 * so two principals never share a stream client, a public id or a role: an account that
 * connects with another account's private id is simply another client. A guest's scope is its
 * WebSocket connection (guests present the same token "guest", so the connection is all that
 * tells two guests apart; a guest that reconnects is a new client) or, on the JSON endpoint, its
 * guest session (guest-sessions.ts). Scopes carry a per-process nonce, so a guest scope of an
 * earlier run of the host never matches one of this run.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Principal } from './options';

/** Longest scoped key, characters: 'g' + 'w' + 8 + '.' + 10 digits + '/' + a 128-character private id (149), or an account's. */
export const MAX_SCOPED_ID = 160;

/** Nonce of this process's guest scopes (8 hex digits). */
const BOOT = randomBytes(4).toString('hex');

/** Guest scope number `n` of a WebSocket connection ('w') or a JSON guest session ('j'): unique within this process, and unlike any earlier process's. */
export function guestScope(kind: 'w' | 'j', n: number): string {
  return `${kind}${BOOT}.${n}`;
}

/**
 * The stream key of `privateId` for principal `p`; `guest` is the guest scope (guestScope) of
 * the connection or guest session, used only when p is a guest.
 */
export function scopedId(p: Principal, guest: string, privateId: string): string {
  if (p.guest) return `g${guest}/${privateId}`;
  if (p.accountId !== undefined) return `a${p.accountId}/${privateId}`;
  return `u${createHash('sha256').update(p.account).digest('hex').slice(0, 16)}/${privateId}`;
}
