/**
 * The NATS facts docs/cluster/plan.md relies on (sections 2.3, 4 and 5 "Pitfalls"), re-checked
 * against a real nats-server (2.9.10 here, @nats-io/* 3.4.0), so that a server or client
 * upgrade that changes one of them fails here, loudly, and not somewhere in the cluster code:
 *
 * - `max_payload` is 1 MB by default and the client refuses a bigger publish;
 * - a request to a subject nobody subscribes fails at once with "no responders", also once the
 *   subscriber's process was killed with SIGKILL (a dead process is noticed long before any
 *   timeout, plan 2.6);
 * - KV: `create` of an existing key fails; `update` on a stale revision fails ("wrong last
 *   sequence"); revisions strictly increase (a region's epoch is its key's revision, plan 2.3);
 * - a watch with the default `include` first delivers the current values, then updates
 *   (`UpdatesOnly` skips the current values); `kvm.create` binds to an existing bucket without
 *   changing its options;
 * - a bucket `ttl` expires every key of the bucket, silently (no delete entry for watchers), and
 *   2.9 ignores `markerTTL`;
 * - a restarted server (same store) keeps the KV values; a client with unlimited reconnects
 *   reports disconnect then reconnect and works again; nats-server exits 0 on SIGINT;
 * - (not in the plan: found here) what a client publishes or requests while it is disconnected
 *   is dropped, not sent after the reconnect (a request made then times out): a process must
 *   treat a 'disconnect' as "everything since may be lost" and re-send after 'reconnect'.
 *
 * Most checks use the shared server (`natsUrl()`), each under its own `uniqueWorld()` names; the
 * restart check has its own server. No assertion depends on how fast the machine is, except
 * that "no responders" must come well inside a 20 s request timeout (it takes ~1 ms).
 */
import { spawn } from 'node:child_process';
import { connect, type NatsConnection, RequestError, NoRespondersError, TimeoutError } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Kvm, KvWatchInclude, type KvWatchEntry } from '@nats-io/kv';
import { natsUrl, startNats, uniqueWorld, type NatsServer } from './helpers/nats';
import { waitFor } from './helpers/net';

const MB = 1024 * 1024;
const conns: NatsConnection[] = [];
const servers: NatsServer[] = [];

/** A connection that afterAll closes. */
async function open(servers: string, opts: Record<string, unknown> = {}): Promise<NatsConnection> {
  const nc = await connect({ servers, name: 'tessera-nats-facts', ...opts });
  conns.push(nc);
  return nc;
}

/** Collects a watch's entries in the background (the loop ends when the watch is stopped). */
function collect(it: AsyncIterable<KvWatchEntry>): Array<{ key: string; op: string; rev: number; value: string }> {
  const seen: Array<{ key: string; op: string; rev: number; value: string }> = [];
  void (async () => {
    for await (const e of it) seen.push({ key: e.key, op: e.operation, rev: e.revision, value: e.string() });
  })();
  return seen;
}

afterAll(async () => {
  for (const nc of conns) await nc.close().catch(() => {});
  for (const s of servers) await s.stop();
});

describe('NATS facts the cluster design relies on', () => {
  let url: string;
  beforeAll(async () => {
    url = await natsUrl();
  });

  test('max_payload is 1 MB; a publish of exactly that is delivered, one byte more is refused by the client', async () => {
    const nc = await open(url);
    expect(nc.info?.max_payload).toBe(MB);
    const subj = `${uniqueWorld('facts')}.big`;
    let got = -1;
    const sub = nc.subscribe(subj, {
      callback: (_e, m) => {
        got = m.data.length;
      },
    });
    await nc.flush();
    nc.publish(subj, new Uint8Array(MB));
    await nc.flush();
    await waitFor(() => got >= 0, 20_000, 'the 1 MB message');
    expect(got).toBe(MB);
    expect(() => nc.publish(subj, new Uint8Array(MB + 1))).toThrow(/max_payload size exceeded/);
    sub.unsubscribe();
  });

  test('a request to a subject with no subscriber fails with NoResponders, not by timeout', async () => {
    const nc = await open(url);
    const timeout = 20_000;
    const t0 = Date.now();
    const err = await nc.request(`${uniqueWorld('facts')}.nobody`, new Uint8Array(8), { timeout }).then(
      () => null,
      (e: unknown) => e,
    );
    const ms = Date.now() - t0;
    expect(err).toBeInstanceOf(RequestError);
    expect(err).not.toBeInstanceOf(TimeoutError);
    expect((err as RequestError).isNoResponders()).toBe(true);
    expect((err as RequestError).cause).toBeInstanceOf(NoRespondersError);
    // the kind of error is the real check (a timeout would be a TimeoutError); ~1 ms when measured
    expect(ms).toBeLessThan(timeout / 2);
  });

  test('the subscriptions of a process killed with SIGKILL go with its connection: a request to them then fails with NoResponders', async () => {
    const nc = await open(url);
    const subj = `${uniqueWorld('facts')}.proc.ping`;
    const lib = JSON.stringify(require.resolve('@nats-io/transport-node'));
    const script = `require(${lib}).connect({ servers: ${JSON.stringify(url)} }).then(async (c) => { c.subscribe(${JSON.stringify(subj)}, { callback: (_e, m) => m.respond(m.data) }); await c.flush(); console.log('READY'); });`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((r) => child.once('exit', (_c, sig) => r(sig)));
    await new Promise<void>((r) => child.stdout.on('data', (d: Buffer) => d.toString().includes('READY') && r()));
    expect((await nc.request(subj, new Uint8Array([1]), { timeout: 20_000 })).data).toEqual(new Uint8Array([1]));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    // the server sees the socket close on its own schedule: ask until it answers for sure
    let err: unknown = null;
    for (let i = 0; i < 20 && !(err instanceof RequestError); i++) {
      err = await nc.request(subj, new Uint8Array([2]), { timeout: 1000 }).then(
        () => null,
        (e: unknown) => e,
      );
    }
    expect(err).toBeInstanceOf(RequestError);
    expect((err as RequestError).isNoResponders()).toBe(true);
  });

  test('KV compare-and-set: create fails on an existing key, update fails on a stale revision, revisions strictly increase', async () => {
    const nc = await open(url);
    const kv = await new Kvm(jetstream(nc)).create(`${uniqueWorld('facts')}_assign`, { history: 5 });
    const r1 = await kv.create('region.0', 'a');
    await expect(kv.create('region.0', 'b')).rejects.toThrow(/wrong last sequence/);
    const r2 = await kv.update('region.0', 'b', r1);
    expect(r2).toBeGreaterThan(r1);
    await expect(kv.update('region.0', 'c', r1)).rejects.toThrow(/wrong last sequence/);
    const other = await kv.put('region.1', 'x'); // revisions are the bucket's sequence: shared by its keys
    expect(other).toBeGreaterThan(r2);
    const r3 = await kv.update('region.0', 'c', r2);
    expect(r3).toBeGreaterThan(other);
    const e = await kv.get('region.0');
    expect({ revision: e?.revision, value: e?.string() }).toEqual({ revision: r3, value: 'c' });
    await kv.destroy();
  });

  test('a watch (default include) first delivers the current values, then updates; UpdatesOnly only the updates', async () => {
    const nc = await open(url);
    const watcher = await open(url); // the coordinator's view is another connection
    const bucket = `${uniqueWorld('facts')}_assign`;
    const kv = await new Kvm(nc).create(bucket, { history: 5 });
    const ra = await kv.put('region.0', 'p1');
    await kv.put('region.1', 'old');
    const rb = await kv.put('region.1', 'p2');
    const kv2 = await new Kvm(watcher).open(bucket);
    const w = await kv2.watch({ key: 'region.>' });
    const u = await kv2.watch({ key: 'region.>', include: KvWatchInclude.UpdatesOnly });
    const seen = collect(w);
    const updates = collect(u);
    await waitFor(() => seen.length >= 2, 20_000, 'the current values');
    const rc = await kv.put('region.0', 'p3');
    await waitFor(() => seen.length >= 3 && updates.length >= 1, 20_000, 'the update');
    w.stop();
    u.stop();
    expect(seen).toEqual([
      { key: 'region.0', op: 'PUT', rev: ra, value: 'p1' },
      { key: 'region.1', op: 'PUT', rev: rb, value: 'p2' },
      { key: 'region.0', op: 'PUT', rev: rc, value: 'p3' },
    ]);
    expect(updates).toEqual([{ key: 'region.0', op: 'PUT', rev: rc, value: 'p3' }]);
    // kvm.create on an existing bucket binds to it and leaves its options alone
    const again = await new Kvm(nc).create(bucket, { history: 1, ttl: 60_000 });
    const st = await again.status();
    expect({ history: st.history, ttl: st.ttl }).toEqual({ history: 5, ttl: 0 });
    await kv.destroy();
  });

  test('a bucket ttl expires every key of the bucket, with no delete entry for watchers; markerTTL is ignored (2.9)', async () => {
    const nc = await open(url);
    const world = uniqueWorld('facts');
    const kv = await new Kvm(nc).create(`${world}_members`, { history: 1, ttl: 1000, markerTTL: 1000 });
    const st = await kv.status();
    expect(st.ttl).toBe(1000);
    // per-key TTL and delete markers need nats-server 2.11: when this fails, plan 2.3 can use them
    expect(st.markerTTL).toBe(0);
    const w = await kv.watch({ key: '>' });
    const seen = collect(w);
    await kv.put('proc.a', 'heartbeat');
    await kv.put('region.0', 'assignment');
    await waitFor(() => seen.length >= 2, 20_000, 'the two puts');
    // expiry runs on the server's own schedule (about once a second on 2.9): poll generously
    const end = Date.now() + 15_000;
    let left = 2;
    while (left > 0 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 200));
      left = ((await kv.get('proc.a')) ? 1 : 0) + ((await kv.get('region.0')) ? 1 : 0);
    }
    expect(left).toBe(0);
    await new Promise((r) => setTimeout(r, 300)); // time for a (wrong) delete entry to arrive
    w.stop();
    expect(seen.map((e) => `${e.key} ${e.op}`)).toEqual(['proc.a PUT', 'region.0 PUT']);
    await kv.destroy();
  });
});

describe('NATS server restart', () => {
  test('the KV values survive a restart with the same store; a client with unlimited reconnects reports disconnect then reconnect', async () => {
    const server = await startNats();
    servers.push(server);
    const nc = await open(server.url, { maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    const statuses: string[] = [];
    void (async () => {
      for await (const s of nc.status()) statuses.push(s.type);
    })();
    const bucket = `${uniqueWorld('facts')}_world`;
    const kv = await new Kvm(nc).create(bucket, { history: 1 });
    const rev = await kv.put('config', 'K=4');
    const pid = server.pid;
    await server.restart();
    expect(server.pid).not.toBe(pid);
    await waitFor(() => statuses.includes('reconnect'), 30_000, 'the client to reconnect');
    const d = statuses.indexOf('disconnect');
    expect(d).toBeGreaterThanOrEqual(0);
    expect(statuses.indexOf('reconnect')).toBeGreaterThan(d);
    const e = await kv.get('config');
    expect({ revision: e?.revision, value: e?.string() }).toEqual({ revision: rev, value: 'K=4' });
    await nc.close();
    // nats-server's clean shutdown on SIGINT exits 0 (SIGTERM gives 1): .ci/run and the harness rely on it
    expect(await server.stop()).toEqual({ code: 0, signal: null });
  });

  test('what a client publishes or requests while disconnected is dropped, not sent after the reconnect: the request times out', async () => {
    const server = await startNats();
    servers.push(server);
    const opts = { maxReconnectAttempts: -1, reconnectTimeWait: 250 };
    const nc = await open(server.url, opts);
    const other = await open(server.url, opts);
    const subj = `${uniqueWorld('facts')}.tick`;
    const got: string[] = [];
    other.subscribe(subj, {
      callback: (_e, m) => {
        got.push(m.string());
        if (m.reply) m.respond(m.data);
      },
    });
    await other.flush();
    const reconnects = [0, 0];
    [nc, other].forEach((c, i) => {
      void (async () => {
        for await (const s of c.status()) if (s.type === 'reconnect') reconnects[i]++;
      })();
    });
    // at the 'disconnect' status (the server is going down; the client waits reconnectTimeWait
    // before its next attempt): one publish and one request
    let during: Promise<unknown> | null = null;
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect' && !during) {
          nc.publish(subj, 'during');
          during = nc.request(subj, 'request', { timeout: 3000 }).then(
            () => 'answered',
            (e: unknown) => e,
          );
        }
      }
    })();
    await server.restart();
    await waitFor(() => reconnects[0] > 0 && reconnects[1] > 0, 30_000, 'both clients to reconnect');
    expect(during).not.toBeNull();
    // the client resets its outbound buffer at every connection attempt (nats-core 3.4.0
    // protocol.js prepare() -> resetOutbound()): nothing buffered while disconnected is sent
    expect(await during).toBeInstanceOf(TimeoutError);
    nc.publish(subj, 'after');
    await nc.flush();
    await waitFor(() => got.length > 0, 20_000, 'the message published after the reconnect');
    await other.flush();
    expect(got).toEqual(['after']);
  });
});
