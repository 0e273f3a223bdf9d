/**
 * Which open sessions hold which token, so a revoked token ends them (issue 15: a socket stayed
 * open after its token was logged out, refreshed or revoked by a ban).
 *
 *   - WebSocket sessions: added when their token is accepted (upgrade or hello), removed at close.
 *   - JSON endpoint principals: an account (or custom) token's joins, by stream and scoped private
 *     id, kept while the stream still counts them present (silenceMs after their last request)
 *     and at most `maxJson` of them (least recently used dropped first). Guest session tokens are
 *     not kept: nothing revokes them but their expiry.
 *
 * The host revokes a token at once on `/auth/logout` and `/auth/refresh`, and re-checks the held
 * tokens on a timer (HostOptions.tokenCheckMs, `next` hands out a bounded batch per run, in turn)
 * for revocations made elsewhere: `tessera accounts ban` on the same SQLite file, expiry.
 */

/** What holds one token: WebSocket sessions (of any type S) and JSON endpoint joins. */
export interface TokenHolders<S> {
  sockets: Set<S>;
  /** JSON endpoint joins: "stream\nscopedPrivateId" -> clock ms of the last request. */
  json: Map<string, number>;
}

/** Tokens held by open sessions, in a bounded table. S is the WebSocket session type. */
export class TokenWatch<S> {
  private readonly tokens = new Map<string, TokenHolders<S>>();
  /** JSON joins held, over all tokens (bounded by maxJson). */
  private jsonCount = 0;
  /** Rotating position of `next` (a live Map iterator: deleted tokens are skipped, new ones visited). */
  private cursor: Iterator<string> | null = null;

  /**
   * @param maxJson  most JSON endpoint joins kept (beyond it the least recently used is dropped)
   * @param jsonMs   a JSON join not renewed for this long is dropped, ms (the stream's silence timeout)
   */
  constructor(
    private readonly maxJson: number,
    private readonly jsonMs: number,
  ) {}

  /** Tokens held. */
  get size(): number {
    return this.tokens.size;
  }

  private holders(token: string): TokenHolders<S> {
    let h = this.tokens.get(token);
    if (!h) {
      h = { sockets: new Set(), json: new Map() };
      this.tokens.set(token, h);
    }
    return h;
  }

  /** A WebSocket session accepted with `token`. */
  addSocket(token: string, s: S): void {
    this.holders(token).sockets.add(s);
  }

  /** A WebSocket session closed. */
  removeSocket(token: string, s: S): void {
    const h = this.tokens.get(token);
    if (!h) return;
    h.sockets.delete(s);
    if (h.sockets.size === 0 && h.json.size === 0) this.tokens.delete(token);
  }

  /** A JSON endpoint request with `token` joined (or renewed) `key` ("stream\nscopedPrivateId") at clock ms `now`. */
  addJson(token: string, key: string, now: number): void {
    const h = this.holders(token);
    if (!h.json.delete(key)) this.jsonCount++;
    h.json.set(key, now);
    // re-insert the token: the map's order is then the order of last use (oldest first)
    this.tokens.delete(token);
    this.tokens.set(token, h);
    if (this.jsonCount > this.maxJson) this.dropOldestJson();
  }

  private dropOldestJson(): void {
    for (const [token, h] of this.tokens) {
      if (h.json.size === 0) continue;
      const first = h.json.keys().next().value as string;
      h.json.delete(first);
      this.jsonCount--;
      if (h.sockets.size === 0 && h.json.size === 0) this.tokens.delete(token);
      return;
    }
  }

  /** What holds `token` now (undefined when nothing does); the table is unchanged. */
  peek(token: string): TokenHolders<S> | undefined {
    return this.tokens.get(token);
  }

  /** Forgets `token` and returns what held it (undefined when nothing did). */
  take(token: string): TokenHolders<S> | undefined {
    const h = this.tokens.get(token);
    if (!h) return undefined;
    this.tokens.delete(token);
    this.jsonCount -= h.json.size;
    return h;
  }

  /**
   * Up to `max` held tokens to re-check, continuing where the previous call stopped (every token
   * is visited within size/max calls). Drops JSON joins older than jsonMs at clock ms `now` first.
   */
  next(max: number, now: number): string[] {
    const out = new Set<string>();
    if (this.tokens.size === 0) {
      this.cursor = null;
      return [];
    }
    let wrapped = false;
    while (out.size < max) {
      this.cursor ??= this.tokens.keys();
      const r = this.cursor.next();
      if (r.done) {
        this.cursor = null;
        if (wrapped) break;
        wrapped = true;
        continue;
      }
      const token = r.value;
      const h = this.tokens.get(token);
      if (!h) continue;
      for (const [k, at] of h.json)
        if (now - at > this.jsonMs) {
          h.json.delete(k);
          this.jsonCount--;
        }
      if (h.sockets.size === 0 && h.json.size === 0) {
        this.tokens.delete(token);
        continue;
      }
      if (out.has(token)) break;
      out.add(token);
    }
    return [...out];
  }
}
