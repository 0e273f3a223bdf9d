/**
 * Fuzz over the host's HTTP doors (issue 15): 3,000 seeded random requests at the JSON endpoint,
 * /auth/* and /chat/history: random methods, path segments (valid, overlong, percent-encoded
 * junk), headers (bearer tokens real and fake, guest session tokens, junk) and bodies (random
 * JSON, invalid UTF-8, event lists with random types, oversized). Passes when no request gets a
 * 500, the host reports no fault, and it still answers /healthz and ticks. Seeded
 * (mulberry32), so a failure replays; the count is fixed, not time-bound.
 */
import { Agent, request as httpRequest } from 'node:http';
import { Host } from '../src/net/host';
import { SqliteStore } from '../src/persist/sqlite-store';
import { AccountService } from '../src/persist/accounts';
import { testWorld } from './helpers/world-setup';

const N = 3000;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test(`${N} random requests at the JSON endpoint, /auth/* and /chat/history: no 500, no fault, the host lives`, async () => {
  const clock = { t: 1_000_000 };
  const store = SqliteStore.open(':memory:');
  const accounts = new AccountService(store, { now: () => clock.t, scrypt: { N: 2 ** 10, r: 8, p: 1, keylen: 64 } });
  const faults: string[] = [];
  const host = await Host.start({
    port: 0,
    world: testWorld({ spheres: 0 }),
    accounts,
    records: store,
    manualTicks: true,
    clock: () => clock.t,
    onFault: (where, e) => {
      faults.push(`${where}: ${(e as Error).message}`);
    },
    maxJoinsPerSecond: 100_000,
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const rnd = mulberry32(15);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const int = (n: number): number => Math.floor(rnd() * n);
  const ascii = (n: number): string => Array.from({ length: n }, () => String.fromCharCode(32 + int(95))).join('');
  const junkSeg = (): string =>
    pick([
      () => 'world',
      () => 'lobby',
      () => `s${int(50)}`,
      () => ascii(1 + int(10)),
      () => 'x'.repeat(65 + int(200)),
      () => encodeURIComponent(ascii(1 + int(20))),
      () => `%${int(256).toString(16).padStart(2, '0')}%ff%fe`,
      () => '..',
      () => '',
      () => String(int(2 ** 31)),
      () => '99999999999',
      () => '-1',
      () => '0',
      () => `${int(100)}`,
      () => '1e3',
      () => 'p'.repeat(129),
    ])();
  const tokens: string[] = ['', 'guest', 'gs.0123456789abcdef0123456789abcdef', 'x'.repeat(5000)];
  const randJson = (d = 0): unknown => {
    const k = int(d > 3 ? 4 : 8);
    switch (k) {
      case 0:
        return null;
      case 1:
        return rnd() * 1e12 - 5e11;
      case 2:
        return ascii(int(30));
      case 3:
        return rnd() < 0.5;
      case 4:
        return Array.from({ length: int(5) }, () => randJson(d + 1));
      case 5:
        return Object.fromEntries(Array.from({ length: int(4) }, () => [pick(['name', 'password', 'events', 'type', 'body', ascii(4)]), randJson(d + 1)]));
      case 6:
        return {
          events: Array.from({ length: int(6) }, () => ({
            type: pick(['hi', 'in', 'ad', '_a', '_x', 'ch', 'ob', '', 'x'.repeat(40), ascii(int(8))]),
            body: pick([ascii(int(40)), 'z'.repeat(5000), '\ud800', 7, null, undefined]),
          })),
        };
      default:
        return { name: pick(['ann', 'bob', ascii(int(40)), '', 'x'.repeat(100)]), password: pick(['a long password', ascii(int(80)), '\ud800x', 12]) };
    }
  };
  const body = (): Buffer =>
    pick([
      () => Buffer.from(JSON.stringify(randJson()) ?? ''),
      () => Buffer.alloc(0),
      () => Buffer.from(ascii(int(200))),
      () => Buffer.from(Array.from({ length: int(64) }, () => int(256))),
      () => Buffer.from('null'),
      () => Buffer.from('[]'),
      () => Buffer.alloc(4097 + int(70_000), 0x7b),
      () => Buffer.from(JSON.stringify(randJson())),
    ])();
  const path = (): string =>
    pick([
      () => `/auth/${pick(['register', 'login', 'refresh', 'logout', junkSeg()])}`,
      () => `/${junkSeg()}/${junkSeg()}/${junkSeg()}`,
      () => `/${junkSeg()}/${junkSeg()}/${int(3)}`,
      () => `/${pick(['world', 'lobby', `s${int(20)}`])}/p${int(20)}/${pick([0, int(100), 99999999])}`,
      () => `/${pick(['world', 'lobby', `s${int(20)}`])}/p${int(20)}/${pick([0, int(100), 99999999])}`,
      () => `/chat/history?channel=${encodeURIComponent(pick(['world', 'group:a', 'private:1:2', ascii(10)]))}&limit=${junkSeg()}&before=${junkSeg()}`,
      () => `/${junkSeg()}`,
    ])();
  const send = (method: string, p: string, headers: Record<string, string>, b: Buffer): Promise<number> =>
    new Promise((resolve) => {
      try {
        // what Node's client refuses to send (a raw space, a control character) is escaped, so the request goes out
        const legal = p.replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c));
        const req = httpRequest(
          { host: '127.0.0.1', port: host.port, method, path: legal, agent, headers: { ...headers, 'content-length': b.length } },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', () => resolve(-1)); // a reset: no status
        req.end(b);
      } catch {
        resolve(-2); // Node's client refused a header
      }
    });

  const statuses = new Map<number, number>();
  try {
    // a few real accounts and tokens in the mix
    for (const name of ['ann', 'bob']) {
      await accounts.register(name, 'a long password');
      tokens.push((await accounts.login(name, 'a long password', '127.0.0.1')).token);
    }
    for (let i = 0; i < N; i++) {
      const headers: Record<string, string> = {};
      if (rnd() < 0.7) headers.authorization = pick([`Bearer ${pick(tokens)}`, `Bearer ${ascii(int(60))}`, 'Basic abc', ascii(int(20)), 'Bearer ']);
      if (rnd() < 0.5) headers['content-type'] = pick(['application/json', 'text/plain', ascii(10)]);
      if (rnd() < 0.2) headers[`x-${int(1000)}`] = ascii(int(500));
      const status = await send(
        pick(['POST', 'POST', 'POST', 'POST', 'POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']),
        path(),
        headers,
        body(),
      );
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status === 200 && rnd() < 0.05) tokens.push(`gs.${'0'.repeat(32)}`);
      if (i % 50 === 49) {
        clock.t += 50;
        host.tickOnce();
      }
    }
    if (process.env.FUZZ_VERBOSE) console.log([...statuses].sort((a, b) => a[0] - b[0]));
    expect(statuses.get(500) ?? 0).toBe(0);
    expect((statuses.get(-1) ?? 0) + (statuses.get(-2) ?? 0)).toBeLessThan(N / 10); // almost all went out and got an answer
    expect(faults).toEqual([]);
    expect(host.statistics.faults).toBe(0);
    const t = host.world.stream.tick;
    host.tickOnce();
    expect(host.world.stream.tick).toBe(t + 1);
    expect(await send('GET', '/healthz', {}, Buffer.alloc(0))).toBe(200);
    expect([...statuses.keys()].filter((s) => s >= 200 && s < 500).length).toBeGreaterThan(3); // the fuzz reached real answers
  } finally {
    agent.destroy();
    await host.stop();
    store.close();
  }
}, 120_000);
