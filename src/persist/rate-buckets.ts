/**
 * Bounded token buckets for the login and registration limits (accounts.ts), and the key an
 * address is limited under.
 *
 * A BucketMap holds one token bucket per key (an address, an account name, a pair of them):
 * `burst` tokens, refilled continuously at `perMinute`, read from an injected clock (tests drive
 * it; limiter's TokenBucket reads Date.now). Its memory is bounded twice over:
 *
 *   expiry     a bucket that has refilled to `burst` is the same as no bucket, so it is dropped:
 *              every take() looks at the two least recently used entries and drops the full
 *              ones (an entry lives at most burst / perMinute minutes after its last use, e.g.
 *              5 tokens at 0.5/min: 10 minutes)
 *   max size   beyond `maxKeys` entries the least recently used one is dropped (a key that comes
 *              back then starts full: an attacker who floods more distinct keys than maxKeys can
 *              reset old buckets early, which is why every per-key limit here sits under a
 *              global one)
 *
 * Size: about 230 bytes per entry on Node 20 (a 30-40 character key, its small object, the Map
 * slot; measured with 100,000 entries keyed `name\n2001:db8:x:1::/64`: 22.8 MB of heap after a
 * GC), so the default of 20,000 keys is at most about 4.6 MB per map (AccountService keeps six:
 * under 28 MB however many addresses and names a flood uses).
 */

/** A token-bucket budget: `burst` tokens, refilled at `perMinute` tokens per minute (fractions allowed). */
export interface Budget {
  burst: number;
  perMinute: number;
}

/** Default entry bound of a BucketMap. */
export const DEFAULT_MAX_BUCKETS = 20_000;

interface Bucket {
  tokens: number;
  atMs: number;
}

/** Token buckets by key, bounded (see the module comment). */
export class BucketMap {
  private readonly m = new Map<string, Bucket>();

  /** Throws RangeError for a budget that is not positive or a maxKeys below 1. */
  constructor(
    readonly budget: Budget,
    private readonly now: () => number,
    readonly maxKeys = DEFAULT_MAX_BUCKETS,
  ) {
    if (!(budget.burst >= 1 && budget.perMinute > 0 && maxKeys >= 1)) throw new RangeError('a budget needs burst >= 1, perMinute > 0 and maxKeys >= 1');
  }

  /** Entries held now (buckets not yet refilled). */
  get size(): number {
    return this.m.size;
  }

  private level(b: Bucket, t: number): number {
    return Math.min(this.budget.burst, b.tokens + ((t - b.atMs) * this.budget.perMinute) / 60_000);
  }

  private waitFor(level: number, n: number): number {
    return level >= n ? 0 : Math.max(1, Math.ceil(((n - level) * 60_000) / this.budget.perMinute));
  }

  /** Milliseconds until `key` has `n` tokens (0: it has them now). Takes nothing. */
  wait(key: string, n = 1): number {
    const b = this.m.get(key);
    return b ? this.waitFor(this.level(b, this.now()), n) : this.waitFor(this.budget.burst, n);
  }

  /** Takes `n` tokens from `key`: 0 when taken, else the milliseconds until they are there (nothing taken). */
  take(key: string, n = 1): number {
    const t = this.now();
    this.sweep(t);
    const b = this.m.get(key);
    const level = b ? this.level(b, t) : this.budget.burst;
    const w = this.waitFor(level, n);
    if (w > 0) return w;
    if (b) this.m.delete(key); // re-insert: the Map's order is least recently used first
    this.m.set(key, { tokens: level - n, atMs: t });
    while (this.m.size > this.maxKeys) this.m.delete(this.m.keys().next().value as string);
    return 0;
  }

  /** Gives `n` tokens back to `key` (an attempt that turned out not to count), up to `burst`. */
  refund(key: string, n = 1): void {
    const b = this.m.get(key);
    if (!b) return;
    const t = this.now(),
      level = Math.min(this.budget.burst, this.level(b, t) + n);
    if (level >= this.budget.burst) this.m.delete(key);
    else {
      b.tokens = level;
      b.atMs = t;
    }
  }

  /** Drops up to two least recently used entries that have refilled. */
  private sweep(t: number): void {
    let looked = 0;
    for (const [k, b] of this.m) {
      if (looked++ >= 2) break;
      if (this.level(b, t) >= this.budget.burst) this.m.delete(k);
    }
  }
}

/**
 * The key an address is limited under: an IPv4 address as it is; an IPv6 address by its /64
 * prefix (one subscriber usually holds a whole /64, so keying the exact address would give an
 * attacker 2^64 fresh buckets), written `a:b:c:d::/64` in lower-case hex without leading zeros;
 * an IPv4-mapped IPv6 address (::ffff:a.b.c.d, how a dual-stack socket reports IPv4) as its
 * IPv4 address. Brackets and a zone (%eth0) are ignored; text that is not an address is its own key.
 */
export function addressKey(address: string): string {
  let s = String(address).trim().toLowerCase();
  if (!s.includes(':')) return s;
  s = s.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const v4 = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) {
    const o = v4.slice(2).map(Number);
    if (o.some((x) => x > 255)) return s;
    s = `${v4[1]}${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return s;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  if (fill < 0 || (halves.length === 2 && fill < 1)) return s;
  const groups = [...head, ...Array<string>(fill).fill('0'), ...tail];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return s;
  const n = groups.map((g) => parseInt(g, 16));
  if (n.slice(0, 5).every((x) => x === 0) && n[5] === 0xffff) return `${n[6] >> 8}.${n[6] & 255}.${n[7] >> 8}.${n[7] & 255}`;
  return `${n
    .slice(0, 4)
    .map((x) => x.toString(16))
    .join(':')}::/64`;
}
