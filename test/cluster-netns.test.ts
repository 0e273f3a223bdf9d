/**
 * Shard processes on simulated machines (issue 17, "Machines, simulated"): two `tessera shard`
 * processes, each in its own network namespace, reach nats-server (root namespace) only through
 * a delay proxy on the root end of their veth (bench/cluster/machines.ts) with 1 ms added each
 * way. The rain scene (300 bodies, 2 regions, 200 ticks) gives the unsharded core's hash and
 * events every tick. And the delay is really on the path: from inside a namespace, the root's
 * loopback (where nats-server listens) is unreachable, and a NATS request/reply round trip
 * through the proxy takes at least 2 x 1 ms.
 *
 * Needs root and network namespaces: without them the tests skip and print why (this machine
 * has them; CI runs as root).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { PhysicsWorld } from '../src/physics/world';
import { ShardedWorld, bodyEvents, type BodyEvent } from '../src/physics/sharded';
import { ClusterCoordinator } from '../src/cluster/coordinator';
import { buildRain, rainConfig } from './helpers/scenes';
import { natsUrl, uniqueWorld } from './helpers/nats';
import { startShards, stopShards } from './helpers/shard-processes';
import { probeNamespaces } from '../bench/cluster/netns';
import { simulateMachines, type SimulatedMachines } from '../bench/cluster/machines';

jest.setTimeout(90_000);
const DELAY_MS = 1;
const TICKS = 200;
const N = 300;

const probe = probeNamespaces();
if (!probe.ok) console.log(`cluster-netns: skipped, no network namespaces here: ${probe.reason}`);
const maybe = probe.ok ? test : test.skip;

const hex = (h: bigint): string => `0x${h.toString(16).padStart(16, '0')}`;
const eventsDigest = (list: BodyEvent[]): string =>
  createHash('sha1')
    .update(list.map((e) => `${e.kind}${e.body}:${e.other}`).join(','))
    .digest('hex');

let url = '';
let machines: SimulatedMachines | null = null;
beforeAll(async () => {
  if (!probe.ok) return;
  url = await natsUrl();
  machines = await simulateMachines(2, DELAY_MS, url);
});
afterAll(async () => {
  await machines?.close();
});

/** Runs a node script inside namespace k (cwd: the repo root, so it finds node_modules). */
function runInside(k: number, script: string): Promise<string> {
  const m = machines as SimulatedMachines;
  const [cmd, ...pre] = m.wraps[k];
  return new Promise((resolve, reject) => {
    execFile(cmd, [...pre, process.execPath, '-e', script], { cwd: join(__dirname, '..'), timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(stdout.trim());
    });
  });
}

maybe('from inside a namespace the root loopback is unreachable, and a NATS round trip through the proxy takes >= 2 x the delay', async () => {
  const m = machines as SimulatedMachines;
  const direct = new URL(url);
  // The server's own port, straight: refused (another namespace's loopback).
  const refused = await runInside(
    0,
    `const s=require('net').connect(${direct.port},'127.0.0.1');s.on('connect',()=>{console.log('connected');process.exit(0)});s.on('error',e=>{console.log(e.code);process.exit(0)})`,
  );
  expect(refused).toBe('ECONNREFUSED');
  // A responder in the root namespace, a requester inside namespace 0 through its proxy.
  const subject = `${uniqueWorld('netns')}.ping`;
  const nc = await connect({ servers: url });
  const sub = nc.subscribe(subject, {
    callback: (_e, msg) => {
      msg.respond(msg.data);
    },
  });
  await nc.flush();
  try {
    const out = await runInside(
      0,
      `(async()=>{const {connect}=require('@nats-io/transport-node');const nc=await connect({servers:${JSON.stringify(m.urls[0])}});` +
        `const ms=[];for(let k=0;k<10;k++){const t0=performance.now();await nc.request(${JSON.stringify(subject)},'x',{timeout:5000});ms.push(performance.now()-t0)}` +
        `console.log(JSON.stringify({min:Math.min(...ms)}));await nc.close()})().catch(e=>{console.error(e);process.exit(1)})`,
    );
    const r = JSON.parse(out) as { min: number };
    expect(r.min).toBeGreaterThanOrEqual(2 * DELAY_MS);
  } finally {
    sub.unsubscribe();
    await nc.close();
  }
});

maybe(
  `rain ${N} on 2 regions, 2 processes in 2 namespaces with ${DELAY_MS} ms each way: hash and events equal the unsharded run every tick for ${TICKS} ticks`,
  async () => {
    const m = machines as SimulatedMachines;
    const ref = PhysicsWorld.create(rainConfig(N));
    const refTick = buildRain(ref, N, 12).tick;
    const expected: Array<[string, string]> = [];
    for (let t = 0; t < TICKS; t++) {
      refTick();
      expected.push([hex(ref.hash()), eventsDigest(bodyEvents(ref.events()))]);
    }
    const world = uniqueWorld('netns');
    const shards = startShards(url, world, [
      { id: 'p0', nats: m.urls[0], wrap: m.wraps[0] },
      { id: 'p1', nats: m.urls[1], wrap: m.wraps[1] },
    ]);
    const w = new ShardedWorld(rainConfig(N), { xCuts: [0.3], zCuts: [] }, undefined, { exchange: 'tick' });
    const tick = buildRain(w, N, 12).tick;
    let c: ClusterCoordinator | null = null;
    try {
      c = await ClusterCoordinator.start(w, { nats: url, world, processes: 2 });
      for (let t = 0; t < TICKS; t++) {
        tick();
        const got: [string, string] = [hex(w.hash()), eventsDigest(w.events())];
        if (got[0] !== expected[t][0] || got[1] !== expected[t][1]) throw new Error(`tick ${t + 1}: ${got.join(' ')} != ${expected[t].join(' ')}`);
      }
      const s = c.stats();
      expect(s.ticks).toBe(TICKS);
      expect(s.rejected).toBe(0);
      expect(s.failovers).toBe(0);
      const d = await c.details();
      expect(new Set(d.hosts)).toEqual(new Set(['p0', 'p1'])); // both processes, each in its namespace, ran a region
    } catch (e) {
      for (const sh of shards) console.log(`${sh.id}:\n${sh.output().slice(-2000)}`);
      throw e;
    } finally {
      await c?.close();
      await stopShards(shards);
    }
  },
);
