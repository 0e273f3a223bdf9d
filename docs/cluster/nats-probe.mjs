// Issue 17 research probe (indicative figures: the 2-core machine is shared and busy).
// Starts its own nats-server (JetStream, file store in a temp dir) on a random loopback port,
// measures request/reply round trips and publish throughput between two connections for
// 10 kB and 300 kB payloads, checks the KV calls a cluster would use, and stops the server.
// Run: node probe.mjs [--rtt 500] [--json out.json]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm, KvWatchInclude } from '@nats-io/kv';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const RTT_N = Number(opt('--rtt', 500));
const SERVER = opt('--server', '/usr/sbin/nats-server');

const freePort = () =>
  new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const q = (sorted, f) => sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))];
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, median: +q(s, 0.5).toFixed(3), p99: +q(s, 0.99).toFixed(3), min: +s[0].toFixed(3), max: +s[s.length - 1].toFixed(3) };
};

async function startServer() {
  const port = await freePort();
  const sd = mkdtempSync(join(tmpdir(), 'nats-probe-'));
  const child = spawn(SERVER, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', sd], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => (log += d));
  const exited = new Promise((r) => child.once('exit', (code, sig) => r({ code, sig })));
  // ready when a client can connect (nats-server logs "Server is ready" too)
  for (let i = 0; i < 100; i++) {
    if (/Server is ready/.test(log)) break;
    await sleep(50);
  }
  return { port, sd, child, exited, log: () => log };
}

async function stopServer(srv) {
  if (srv.child.exitCode === null && srv.child.signalCode === null) srv.child.kill('SIGINT'); // SIGINT: clean shutdown, exit 0 (SIGTERM also stops it, with exit code 1)
  const r = await Promise.race([srv.exited, sleep(5000).then(() => null)]);
  if (r === null) {
    srv.child.kill('SIGKILL');
    await srv.exited;
  }
  rmSync(srv.sd, { recursive: true, force: true });
  return r;
}

async function rtt(a, b, size) {
  const subj = `probe.rtt.${size}`;
  const sub = b.subscribe(subj, { callback: (_e, m) => m.respond(m.data) });
  await b.flush();
  const payload = new Uint8Array(size).fill(7);
  for (let i = 0; i < 20; i++) await a.request(subj, payload, { timeout: 5000 }); // warm-up
  const ms = [];
  for (let i = 0; i < RTT_N; i++) {
    const t0 = performance.now();
    const r = await a.request(subj, payload, { timeout: 5000 });
    ms.push(performance.now() - t0);
    if (r.data.length !== size) throw new Error('bad echo');
  }
  sub.unsubscribe();
  return stats(ms);
}

async function throughput(a, b, size, totalBytes) {
  const subj = `probe.tp.${size}`;
  const n = Math.max(50, Math.floor(totalBytes / size));
  let got = 0, bytes = 0, tEnd = 0;
  let done;
  const all = new Promise((r) => (done = r));
  const sub = b.subscribe(subj, {
    callback: (_e, m) => {
      got++;
      bytes += m.data.length;
      if (got === n) {
        tEnd = performance.now();
        done();
      }
    },
  });
  await b.flush();
  const payload = new Uint8Array(size).fill(9);
  const batch = Math.max(1, Math.floor((4 << 20) / size)); // flush every ~4 MB (keeps the server's pending buffers bounded)
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    a.publish(subj, payload);
    if ((i + 1) % batch === 0) await a.flush();
  }
  await a.flush();
  await Promise.race([all, sleep(30000)]);
  sub.unsubscribe();
  if (got !== n) return { n, got, error: 'not all received in 30 s' };
  const s = (tEnd - t0) / 1000;
  return { n, sizeBytes: size, seconds: +s.toFixed(3), msgsPerSec: Math.round(n / s), MBPerSec: +(bytes / s / 1e6).toFixed(1) };
}

async function kvCheck(nc, nc2) {
  const out = {};
  const js = jetstream(nc);
  const kvm = new Kvm(js);
  // bucket-wide TTL (stream max_age): the only TTL nats-server 2.9 has
  const kv = await kvm.create('probe_members', { history: 1, ttl: 1500 });
  const st = await kv.status();
  out.bucket = { bucket: st.bucket, ttlMs: st.ttl, history: st.history, backingStore: st.backingStore ?? st.storage };
  // a second client watches (the coordinator's view)
  const kv2 = await new Kvm(nc2).open('probe_members');
  const seen = [];
  const w = await kv2.watch({ key: '>', include: KvWatchInclude.UpdatesOnly });
  (async () => {
    for await (const e of w) seen.push({ key: e.key, op: e.operation, rev: e.revision, value: e.string() });
  })();
  await sleep(100);
  const r1 = await kv.create('region.0', JSON.stringify({ proc: 'a' }));
  out.create = r1;
  try {
    await kv.create('region.0', JSON.stringify({ proc: 'b' }));
    out.createAgain = 'UNEXPECTED: succeeded';
  } catch (e) {
    out.createAgain = `rejected: ${e.message}`;
  }
  const r2 = await kv.update('region.0', JSON.stringify({ proc: 'b' }), r1);
  out.update = r2;
  try {
    await kv.update('region.0', JSON.stringify({ proc: 'c' }), r1);
    out.staleUpdate = 'UNEXPECTED: succeeded';
  } catch (e) {
    out.staleUpdate = `rejected: ${e.message}`;
  }
  const e = await kv.get('region.0');
  out.get = { revision: e?.revision, value: e?.string() };
  // a heartbeat key that is not refreshed: removed by the bucket TTL (no delete marker on 2.9)
  await kv.put('hb.x', 'alive');
  const before = await kv.get('hb.x');
  await sleep(2600); // > ttl (the server's expiry check runs about once a second)
  const after = await kv.get('hb.x');
  const afterRegion = await kv.get('region.0');
  out.ttl = { heartbeatBefore: before?.string() ?? null, heartbeatAfterTtl: after ? `${after.operation}:${after.string()}` : null, regionAfterTtl: afterRegion ? afterRegion.string() : null };
  await sleep(200);
  w.stop();
  out.watchSeen = seen;
  // per-key TTL / marker TTL are 2.11+ features: what a 2.9 server says
  try {
    const k2 = await kvm.create('probe_marker', { markerTTL: 1000 });
    const st2 = await k2.status();
    out.markerTTL = `accepted by client; status.markerTTL=${st2.markerTTL}`;
  } catch (err) {
    out.markerTTL = `rejected: ${err.message}`;
  }
  const jsm = await jetstreamManager(nc);
  const names = [];
  for await (const s of jsm.streams.names()) names.push(s);
  out.streams = names;
  return out;
}

const srv = await startServer();
const result = { date: new Date().toISOString(), loadavg: (await import('node:os')).loadavg().map((x) => +x.toFixed(2)), server: SERVER, port: srv.port, note: 'indicative: shared, busy 2-core machine' };
let a, b;
try {
  a = await connect({ servers: `127.0.0.1:${srv.port}`, name: 'probe-a' });
  b = await connect({ servers: `127.0.0.1:${srv.port}`, name: 'probe-b' });
  result.serverInfo = { version: a.info?.version, max_payload: a.info?.max_payload, jetstream: a.info?.jetstream };
  result.rtt10k = await rtt(a, b, 10_000);
  result.rtt300k = await rtt(a, b, 300_000);
  result.pub10k = await throughput(a, b, 10_000, 50e6);
  result.pub300k = await throughput(a, b, 300_000, 90e6);
  try {
    await a.request('probe.too.big', new Uint8Array(2 << 20), { timeout: 2000 });
    result.over1MB = 'UNEXPECTED: accepted';
  } catch (e) {
    result.over1MB = `rejected: ${e.message}`;
  }
  // a request to a subject nobody subscribes (a process that died: its subscription went with
  // its connection): how it fails and how fast
  {
    const t0 = performance.now();
    try {
      await a.request('probe.nobody', new Uint8Array(8), { timeout: 2000 });
      result.noResponders = 'UNEXPECTED: answered';
    } catch (e) {
      result.noResponders = { error: e?.constructor?.name, cause: e?.cause?.constructor?.name, message: e.message, ms: +(performance.now() - t0).toFixed(2) };
    }
  }
  result.kv = await kvCheck(a, b);
} catch (e) {
  result.error = String(e?.stack ?? e);
} finally {
  await a?.close().catch(() => {});
  await b?.close().catch(() => {});
  result.serverExit = await stopServer(srv);
}
const out = JSON.stringify(result, null, 2);
console.log(out);
const jsonPath = opt('--json', null);
if (jsonPath) (await import('node:fs')).writeFileSync(jsonPath, out + '\n');
process.exit(result.error ? 1 : 0);
