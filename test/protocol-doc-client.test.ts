/**
 * docs/protocol.md, checked as a user would: a client written from that page alone, with
 * flatc's generated code for the schemas and the `ws` package, and none of Tessera's own client
 * library or codec (src/client, src/protocol/codec, src/protocol/messages are not imported).
 * Against a real host on loopback (manual ticks, so nothing depends on the machine's speed) it
 * negotiates `tessera.v4`, says hello, reads the welcome and the catch-up, finds its avatar
 * through `_av`, receives snapshots while it acknowledges nothing, then acks and applies deltas
 * against its acknowledged ticks while it walks, publishes an event, and reads error and close
 * codes; in a world with a heightfield and a mesh it rebuilds their geometry from the parts
 * (section 15); in a world with a door on a hinge and a ball on a rope it places the joints on
 * their bodies (section 17). Each expectation names the section of the document it relies on.
 */
import * as flatbuffers from 'flatbuffers';
import WebSocket from 'ws';
import {
  ClientAck,
  ClientHello,
  ClientInput,
  ClientMessage,
  ClientPayload,
  ClientPing,
  ClientPublish,
  InputFrame,
} from '../src/protocol/generated/client_generated';
import {
  type BodyHandle,
  type BodyShape,
  type BodyState,
  type JointInfo,
  ServerDelta,
  ServerError,
  ServerEvents,
  ServerGeometry,
  ServerMessage,
  ServerPayload,
  ServerPong,
  ServerSnapshot,
  ServerWelcome,
  type StreamEvent,
} from '../src/protocol/generated/server_generated';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Host } from '../src/net/host';
import { loadSceneWithAssets, parseScene, sceneSetup } from '../src/scene';
import { loadHeightmap } from '../src/assets/heightmap';
import { loadGlbMesh } from '../src/assets/gltf';
import { testWorld } from './helpers/world-setup';
import { TERRAIN_HEIGHTMAP, writeTerrainScene } from './helpers/terrain';

// ---------------------------------------------------------------------------------------
// the client, from the document

/** Plain values of the server messages this client reads (section 5). */
type Body = { index: number; generation: number; px: number; py: number; pz: number; vx: number; vz: number; qx: number; qy: number; qz: number; qw: number };
/** Section 17: a joint as the page lists its fields. */
type Joint = {
  index: number;
  kind: number;
  flags: number;
  a: number;
  b: number;
  anchorA: [number, number, number];
  anchorB: [number, number, number];
  axisA: [number, number, number];
  lower: number;
  upper: number;
  maxLength: number;
};
type Shape = { index: number; generation: number; shape: number; kind: number; sx: number };
type Msg =
  | { kind: 'welcome'; version: number | null; publicId: number; stream: string; tick: number; tickRate: number; seed: string }
  | { kind: 'events'; tick: number; events: Array<{ tick: number; type: string; origin: number; body: string }> }
  | { kind: 'snapshot'; tick: number; bodies: Body[]; shapes: Shape[]; joints: Joint[] }
  | {
      kind: 'delta';
      baseTick: number;
      tick: number;
      bodies: Body[];
      shapes: Shape[];
      removed: Array<{ index: number; generation: number }>;
      inputSeq: number;
      inputTick: number;
    }
  | { kind: 'error'; code: number; message: string }
  | { kind: 'pong'; nonce: bigint; tick: number }
  | {
      kind: 'geometry';
      id: number;
      shape: number;
      nx: number;
      nz: number;
      cellX: number;
      cellZ: number;
      originX: number;
      originZ: number;
      vertexCount: number;
      indexCount: number;
      first: number;
      values: number[];
    }
  | { kind: 'other'; type: number };

const body = (b: BodyState): Body => ({
  index: b.index(),
  generation: b.generation(),
  px: b.px(),
  py: b.py(),
  pz: b.pz(),
  vx: b.vx(),
  vz: b.vz(),
  qx: b.qx(),
  qy: b.qy(),
  qz: b.qz(),
  qw: b.qw(),
});
const joint = (j: JointInfo): Joint => ({
  index: j.index(),
  kind: j.kind(),
  flags: j.flags(),
  a: j.aIndex(),
  b: j.bIndex(),
  anchorA: [j.ax(), j.ay(), j.az()],
  anchorB: [j.bx(), j.by(), j.bz()],
  axisA: [j.xax(), j.xay(), j.xaz()],
  lower: j.lower(),
  upper: j.upper(),
  maxLength: j.maxLength(),
});
const shape = (s: BodyShape): Shape => ({ index: s.index(), generation: s.generation(), shape: s.shape(), kind: s.kind(), sx: s.sx() });
function list<T, U>(n: number, at: (i: number) => T | null, map: (x: T) => U): U[] {
  return Array.from({ length: n }, (_, i) => map(at(i) as T));
}

/** Section 2: a ServerMessage with file identifier TSSV, payload by union tag. */
function decode(bytes: Uint8Array): Msg {
  const bb = new flatbuffers.ByteBuffer(bytes);
  if (!ServerMessage.bufferHasIdentifier(bb)) throw new Error('not a ServerMessage (identifier TSSV)');
  const root = ServerMessage.getRootAsServerMessage(bb);
  switch (root.payloadType()) {
    case ServerPayload.ServerWelcome: {
      const w = root.payload(new ServerWelcome()) as ServerWelcome;
      return {
        kind: 'welcome',
        version: w.version(),
        publicId: w.publicId(),
        stream: w.stream() as string,
        tick: w.tick(),
        tickRate: w.tickRate(),
        seed: w.seed() as string,
      };
    }
    case ServerPayload.ServerEvents: {
      const e = root.payload(new ServerEvents()) as ServerEvents;
      return {
        kind: 'events',
        tick: e.tick(),
        events: list(
          e.eventsLength(),
          (i) => e.events(i),
          (x: StreamEvent) => ({ tick: x.tick(), type: x.type() as string, origin: x.origin(), body: x.body() as string }),
        ),
      };
    }
    case ServerPayload.ServerSnapshot: {
      const s = root.payload(new ServerSnapshot()) as ServerSnapshot;
      return {
        kind: 'snapshot',
        tick: s.tick(),
        bodies: list(s.bodiesLength(), (i) => s.bodies(i), body),
        shapes: list(s.shapesLength(), (i) => s.shapes(i), shape),
        joints: list(s.jointsLength(), (i) => s.joints(i), joint),
      };
    }
    case ServerPayload.ServerDelta: {
      const d = root.payload(new ServerDelta()) as ServerDelta;
      return {
        kind: 'delta',
        baseTick: d.baseTick(),
        tick: d.tick(),
        bodies: list(d.bodiesLength(), (i) => d.bodies(i), body),
        shapes: list(d.shapesLength(), (i) => d.shapes(i), shape),
        removed: list(
          d.removedLength(),
          (i) => d.removed(i),
          (h: BodyHandle) => ({ index: h.index(), generation: h.generation() }),
        ),
        inputSeq: d.inputSeq(), // section 18
        inputTick: d.inputTick(),
      };
    }
    case ServerPayload.ServerError: {
      const e = root.payload(new ServerError()) as ServerError;
      return { kind: 'error', code: e.code(), message: e.message() as string };
    }
    case ServerPayload.ServerPong: {
      const p = root.payload(new ServerPong()) as ServerPong;
      return { kind: 'pong', nonce: p.nonce(), tick: p.tick() };
    }
    case ServerPayload.ServerGeometry: {
      // section 15
      const g = root.payload(new ServerGeometry()) as ServerGeometry;
      return {
        kind: 'geometry',
        id: g.id(),
        shape: g.shape(),
        nx: g.nx(),
        nz: g.nz(),
        cellX: g.cellX(),
        cellZ: g.cellZ(),
        originX: g.originX(),
        originZ: g.originZ(),
        vertexCount: g.vertexCount(),
        indexCount: g.indexCount(),
        first: g.first(),
        values: list(
          g.valuesLength(),
          (i) => g.values(i),
          (v: number) => v,
        ),
      };
    }
    default:
      return { kind: 'other', type: root.payloadType() };
  }
}

/** Section 2: a ClientMessage finished with file identifier TSCL. */
function message(build: (b: flatbuffers.Builder) => [ClientPayload, flatbuffers.Offset]): Uint8Array {
  const b = new flatbuffers.Builder(256);
  const [type, payload] = build(b);
  ClientMessage.finishClientMessageBuffer(b, ClientMessage.createClientMessage(b, type, payload));
  return b.asUint8Array();
}

const hello = (privateId: string, lastKnownTick: number | null = null, streamName = 'world', version = 4, tokenText = 'guest'): Uint8Array =>
  message((b) => {
    const token = b.createString(tokenText),
      stream = b.createString(streamName),
      pid = b.createString(privateId);
    ClientHello.startClientHello(b);
    ClientHello.addVersion(b, version);
    ClientHello.addToken(b, token);
    ClientHello.addStream(b, stream);
    ClientHello.addPrivateId(b, pid);
    if (lastKnownTick !== null) ClientHello.addLastKnownTick(b, lastKnownTick);
    return [ClientPayload.ClientHello, ClientHello.endClientHello(b)];
  });
const input = (seq: number, walkX: number, walkZ: number): Uint8Array =>
  message((b) => {
    ClientInput.startClientInput(b);
    ClientInput.addInput(b, InputFrame.createInputFrame(b, seq, walkX, walkZ, false)); // a struct: written inline
    return [ClientPayload.ClientInput, ClientInput.endClientInput(b)];
  });
const ack = (tick: number): Uint8Array => message((b) => [ClientPayload.ClientAck, ClientAck.createClientAck(b, tick)]);
const ping = (nonce: bigint): Uint8Array => message((b) => [ClientPayload.ClientPing, ClientPing.createClientPing(b, nonce)]);
const publish = (type: string, text: string): Uint8Array =>
  message((b) => {
    const t = b.createString(type),
      x = b.createString(text);
    return [ClientPayload.ClientPublish, ClientPublish.createClientPublish(b, t, x)];
  });

/** A connection: every decoded message in arrival order, and a way to wait for one. */
class Conn {
  readonly ws: WebSocket;
  readonly inbox: Msg[] = [];
  private read = 0;
  private wake: (() => void) | null = null;
  closed: { code: number; reason: string } | null = null;
  readonly opened: Promise<void>;

  constructor(url: string, protocols: string[]) {
    this.ws = new WebSocket(url, protocols);
    this.ws.binaryType = 'nodebuffer';
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) throw new Error('the host sends binary frames only');
      this.inbox.push(decode(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
      this.wake?.();
    });
    this.ws.on('close', (code: number, reason: Buffer) => {
      this.closed = { code, reason: reason.toString() };
      this.wake?.();
    });
  }

  send(bytes: Uint8Array): void {
    this.ws.send(bytes, { binary: true });
  }

  /** The next message not read yet that satisfies `pred` (earlier ones are skipped over). */
  async next<K extends Msg['kind']>(kind: K, pred: (m: Extract<Msg, { kind: K }>) => boolean = () => true): Promise<Extract<Msg, { kind: K }>> {
    for (;;) {
      while (this.read < this.inbox.length) {
        const m = this.inbox[this.read++];
        if (m.kind === kind && pred(m as Extract<Msg, { kind: K }>)) return m as Extract<Msg, { kind: K }>;
      }
      if (this.closed) throw new Error(`closed (${this.closed.code}) while waiting for ${kind}`);
      await new Promise<void>((r) => {
        this.wake = r;
      });
      this.wake = null;
    }
  }

  /** Section 4 (ping): the pong proves the host has handled every earlier message of this socket. */
  private nonce = 0n;
  async sync(): Promise<void> {
    const n = ++this.nonce;
    this.send(ping(n));
    await this.next('pong', (p) => p.nonce === n);
  }
}

/** Section 7: the client's state per acknowledged tick, slot index -> body and shape. */
interface Mirror {
  tick: number;
  bodies: Map<number, Body>;
  shapes: Map<number, Shape>;
}

function apply(frames: Map<number, Mirror>, m: Extract<Msg, { kind: 'snapshot' | 'delta' }>): Mirror | null {
  let next: Mirror;
  if (m.kind === 'snapshot') {
    next = { tick: m.tick, bodies: new Map(), shapes: new Map() };
  } else {
    const base = frames.get(m.baseTick);
    if (!base) return null; // not held: wait for a snapshot
    next = { tick: m.tick, bodies: new Map(base.bodies), shapes: new Map(base.shapes) };
    for (const h of m.removed) {
      if (next.bodies.get(h.index)?.generation === h.generation) {
        next.bodies.delete(h.index);
        next.shapes.delete(h.index);
      }
    }
  }
  for (const s of m.shapes) next.shapes.set(s.index, s);
  for (const b of m.bodies) next.bodies.set(b.index, b);
  frames.set(next.tick, next);
  return next;
}

// ---------------------------------------------------------------------------------------

let host: Host;
let url: string;

beforeAll(async () => {
  // pings are this client's barrier (every earlier message was handled when the pong comes);
  // their budget is opened up so that the test's many pings are never dropped
  host = await Host.start({ port: 0, world: testWorld({ spheres: 6 }), manualTicks: true, rateLimits: { ping: { perSecond: 10_000, burst: 10_000 } } });
  url = `ws://127.0.0.1:${host.port}/ws`;
  for (let i = 0; i < 3; i++) host.tickOnce(); // a stream with a few closed ticks
});
afterAll(async () => {
  await host.stop();
});

test('join, catch up, find the avatar, snapshots without acks, deltas against acked ticks while walking', async () => {
  const c = new Conn(url, ['tessera.v4']);
  await c.opened;
  expect(c.ws.protocol).toBe('tessera.v4'); // section 1
  c.send(hello('doc-client-1'));

  // section 3: welcome, then the catch-up
  const welcome = await c.next('welcome');
  expect(welcome).toMatchObject({ version: 4, stream: 'world', tickRate: 20, tick: 3 });
  expect(welcome.publicId).toBeGreaterThan(0);
  expect(welcome.seed).toMatch(/^[0-9a-f]{32}$/);
  const catchUp = await c.next('events');
  expect(catchUp.tick).toBe(welcome.tick); // section 6
  expect(catchUp.events[0]).toEqual({ tick: 0, type: '_a', origin: 0, body: welcome.seed }); // section 9
  expect(catchUp.events.every((e) => e.tick < catchUp.tick)).toBe(true);

  // one tick: the events of the welcome's tick (my _c and _id), and a snapshot (no ack yet)
  host.tickOnce();
  const t1 = await c.next('events');
  expect(t1.tick).toBe(welcome.tick + 1);
  expect(t1.events).toEqual(
    expect.arrayContaining([
      { tick: welcome.tick, type: '_c', origin: 0, body: String(welcome.publicId) },
      { tick: welcome.tick, type: '_id', origin: 0, body: `${welcome.publicId},player` }, // section 9: clients get "publicId,role"
    ]),
  );
  const s1 = await c.next('snapshot');
  expect(s1.tick).toBe(t1.tick); // section 6: state at the start of events.tick
  expect(s1.bodies.length).toBe(s1.shapes.length); // a snapshot carries every shape

  // the next tick names my avatar (_av "publicId slot:generation"); still a snapshot: nothing acked (section 7)
  host.tickOnce();
  const t2 = await c.next('events');
  const av = t2.events.find((e) => e.type === '_av' && e.body.startsWith(`${welcome.publicId} `));
  expect(av).toBeDefined();
  const [slot, gen] = (av as { body: string }).body.split(' ')[1].split(':').map(Number);
  const s2 = await c.next('snapshot');
  expect(s2.tick).toBe(t2.tick);
  const frames = new Map<number, Mirror>();
  let mirror = apply(frames, s2) as Mirror;
  const me0 = mirror.bodies.get(slot) as Body;
  expect(me0.generation).toBe(gen);
  expect(mirror.shapes.get(slot)).toMatchObject({ shape: 1, kind: 0, sx: Math.round(0.35 * 1024) }); // section 14: a capsule, radius 0.35 m
  expect(Math.abs(me0.py / 1024 - 1.2)).toBeLessThan(0.5); // spawned at y = 1.2 m

  // section 7: ack, then every state is a delta against my newest acknowledged tick; walk +x (section 4)
  c.send(ack(mirror.tick));
  c.send(input(1, 1000, 0));
  await c.sync();
  let deltas = 0;
  for (let i = 0; i < 20; i++) {
    host.tickOnce();
    const ev = await c.next('events');
    const st = await c.next('delta');
    expect(st.tick).toBe(ev.tick);
    expect(st.baseTick).toBe(mirror.tick);
    // section 18: input 1 (sent before these ticks, for the open tick) is the highest applied, at a tick before this state's
    expect(st.inputSeq).toBe(1);
    expect(st.inputTick).toBeLessThan(st.tick);
    expect(st.removed).toEqual([]);
    mirror = apply(frames, st) as Mirror;
    expect(mirror).not.toBeNull();
    deltas++;
    c.send(ack(mirror.tick));
    await c.sync();
  }
  expect(deltas).toBe(20);
  const me1 = mirror.bodies.get(slot) as Body;
  expect(me1.generation).toBe(gen);
  expect((me1.px - me0.px) / 1024).toBeGreaterThan(1); // walked more than 1 m along +x in 1 s
  expect(Math.abs(me1.pz - me0.pz) / 1024).toBeLessThan(0.25);
  expect(me1.vx / 256).toBeGreaterThan(2); // about the 4 m/s walk speed (section 14: 1/256 m/s)
  // section 7: stop acking; deltas stay against the newest acknowledged tick while it is among the
  // last 32 ticks sent, then the host falls back to a snapshot
  const acked = mirror.tick;
  for (let k = 1; k < 32; k++) {
    host.tickOnce();
    const st = await c.next('delta');
    expect([st.tick, st.baseTick]).toEqual([acked + k, acked]);
    expect(apply(frames, st)).not.toBeNull();
  }
  host.tickOnce();
  const again = await c.next('snapshot');
  expect(again.tick).toBe(acked + 32);
  // (no byte budget on this host, section 7.1: the snapshot holds every body of the view)
  expect(new Set(again.bodies.map((b) => b.index))).toEqual(new Set((frames.get(acked + 31) as Mirror).bodies.keys()));
  c.ws.close(1000);
}, 60_000);

test('without acks every state message is a snapshot', async () => {
  const c = new Conn(url, ['tessera.v4']);
  await c.opened;
  c.send(hello('doc-client-2'));
  const w = await c.next('welcome');
  for (let i = 1; i <= 3; i++) {
    host.tickOnce();
    const s = await c.next('snapshot');
    expect(s.tick).toBe(w.tick + i);
  }
  c.ws.close(1000);
}, 60_000);

test('publish: a client event comes back to the stream with my public id; reserved types get BAD_VALUE 1003; a text frame closes with 4000', async () => {
  const c = new Conn(url, ['tessera.v4']);
  await c.opened;
  c.send(hello('doc-client-3'));
  const w = await c.next('welcome');
  c.send(publish('wave', 'hello from the doc'));
  c.send(publish('_s', 'forged'));
  const err = await c.next('error');
  expect(err.code).toBe(4000); // section 11: NOT_ALLOWED (a server type)
  await c.sync();
  host.tickOnce();
  const ev = await c.next('events', (e) => e.events.some((x) => x.type === 'wave'));
  expect(ev.events.find((x) => x.type === 'wave')).toEqual({ tick: w.tick, type: 'wave', origin: w.publicId, body: 'hello from the doc' });
  expect(ev.events.some((x) => x.type === '_s')).toBe(false);
  c.ws.send('not flatbuffers');
  await c.next('error', (e) => e.code === 1000); // BAD_MESSAGE, then close 4000 (section 12)
  await new Promise<void>((r) => {
    if (c.closed) r();
    else c.ws.once('close', () => r());
  });
  expect(c.closed?.code).toBe(4000);
}, 60_000);

test('hello: another protocol version gets BAD_VERSION 1001 and close 4003; a token in the bearer subprotocol is accepted; a second hello UNEXPECTED 1002; a bad stream name BAD_VALUE and close 1008', async () => {
  const bad = new Conn(url, ['tessera.v4']);
  await bad.opened;
  bad.send(hello('doc-client-4', null, 'world', 3, 'guest')); // version 3: the host speaks 4
  expect((await bad.next('error')).code).toBe(1001);
  await new Promise<void>((r) => {
    if (bad.closed) r();
    else bad.ws.once('close', () => r());
  });
  expect(bad.closed?.code).toBe(4003);

  const viaUpgrade = new Conn(url, ['tessera.v4', 'bearer.guest']);
  await viaUpgrade.opened;
  expect(viaUpgrade.ws.protocol).toBe('tessera.v4'); // the bearer entry is never selected
  viaUpgrade.send(hello('doc-client-5', null, 'lobby', 4, ''));
  const w = await viaUpgrade.next('welcome');
  expect(w.stream).toBe('lobby');
  viaUpgrade.send(hello('doc-client-5')); // section 3: a second hello
  expect((await viaUpgrade.next('error')).code).toBe(1002); // UNEXPECTED; the connection stays
  viaUpgrade.ws.close(1000);

  const badName = new Conn(url, ['tessera.v4']);
  await badName.opened;
  badName.send(hello('doc-client-6', null, 'no spaces allowed', 4, 'guest'));
  expect((await badName.next('error')).code).toBe(1003); // section 3: BAD_VALUE, then close 1008
  await new Promise<void>((r) => {
    if (badName.closed) r();
    else badName.ws.once('close', () => r());
  });
  expect(badName.closed?.code).toBe(1008);
}, 60_000);

test('the JSON endpoint (section 13): publish, read back from lastKnownTick with origin "_" for the server, errors with code and name', async () => {
  const http = `http://127.0.0.1:${host.port}`;
  const post = async (path: string, body: string): Promise<{ status: number; json: any }> => {
    const r = await fetch(`${http}${path}`, { method: 'POST', body });
    return { status: r.status, json: await r.json() };
  };
  const first = await post('/notes/json-client/0', JSON.stringify({ events: [{ type: 'note', body: 'one' }] }));
  expect(first.status).toBe(200);
  expect(first.json.publicId).toBeGreaterThan(0);
  const t0 = first.json.tick as number;
  expect(t0).toBe(host.world.stream.tick); // a new stream starts at the world's tick (section 13)
  expect(first.json.events).toEqual([]); // its first tick is open, nothing closed yet
  expect(first.json.session).toMatch(/^gs\./); // no token: a guest session (section 13)
  host.tickOnce();
  const next = await post(`/notes/json-client/${t0}`, '{}'); // (another guest: no session token sent)
  expect(next.json.tick).toBe(t0 + 1);
  expect(next.json.events).toEqual([
    { tick: t0, type: '_a', origin: '_', body: expect.stringMatching(/^[0-9a-f]{32}$/) }, // section 9: the stream's reset
    { tick: t0, type: '_c', origin: '_', body: String(first.json.publicId) },
    { tick: t0, type: 'note', origin: first.json.publicId, body: 'one' },
  ]);
  const bad = await post('/notes/json-client/x', '{}');
  expect(bad).toEqual({ status: 400, json: { error: { code: 1003, name: 'BAD_VALUE', message: expect.any(String) } } });
}, 60_000);

test('reconnect (sections 3 and 6): the same private id and last_known_tick = the last events.tick resume with the same public id, each event exactly once', async () => {
  const seen: string[] = [];
  const keep = (m: Extract<Msg, { kind: 'events' }>): void => {
    for (const e of m.events) seen.push(`${e.tick}/${e.type}/${e.origin}/${e.body}`);
  };
  const a = new Conn(url, ['tessera.v4']);
  await a.opened;
  a.send(hello('doc-client-7', null, 'chatroom'));
  const w1 = await a.next('welcome');
  keep(await a.next('events'));
  a.send(publish('msg', 'before'));
  await a.sync();
  host.tickOnce();
  const live = await a.next('events');
  keep(live);
  a.ws.close(1000);
  await new Promise<void>((r) => {
    if (a.closed) r();
    else a.ws.once('close', () => r());
  });

  // while away: another client talks, two ticks close
  const other = new Conn(url, ['tessera.v4']);
  await other.opened;
  other.send(hello('doc-client-8', null, 'chatroom'));
  await other.next('welcome');
  other.send(publish('msg', 'while you were away'));
  await other.sync();
  host.tickOnce();
  host.tickOnce();

  const b = new Conn(url, ['tessera.v4']);
  await b.opened;
  b.send(hello('doc-client-7', live.tick, 'chatroom'));
  const w2 = await b.next('welcome');
  expect(w2.publicId).toBe(w1.publicId);
  const catchUp = await b.next('events');
  expect(catchUp.tick).toBe(w2.tick);
  expect(catchUp.events.every((e) => e.tick >= live.tick && e.tick < w2.tick)).toBe(true);
  keep(catchUp);
  expect(seen.filter((x) => x.endsWith('/msg/' + w1.publicId + '/before'))).toHaveLength(1);
  expect(seen.some((x) => x.endsWith('/while you were away'))).toBe(true);
  expect(new Set(seen).size).toBe(seen.length); // nothing twice
  expect(seen.filter((x) => x.includes('/_c/0/' + w1.publicId))).toHaveLength(1); // within the silence timeout: no new _c, no _d
  expect(seen.some((x) => x.includes('/_d/'))).toBe(false);
  b.ws.close(1000);
  other.ws.close(1000);
}, 60_000);

test('section 15: a heightfield and a mesh are announced by asset id and their geometry arrives in parts that rebuild the quantised assets', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-doc-terrain-'));
  const scene = await loadSceneWithAssets(await writeTerrainScene(dir, 181));
  const terrainHost = await Host.start({ port: 0, world: sceneSetup(scene), manualTicks: true });
  try {
    const c = new Conn(`ws://127.0.0.1:${terrainHost.port}/ws`, ['tessera.v4']);
    await c.opened;
    c.send(hello('doc-client-terrain'));
    await c.next('welcome');
    terrainHost.tickOnce();
    // section 15: shapes 4 and 5 carry the asset id in sx
    const snap = await c.next('snapshot');
    const ids = new Map(snap.shapes.filter((x) => x.shape === 4 || x.shape === 5).map((x) => [x.sx, x.shape]));
    expect([...ids.values()].sort()).toEqual([4, 5]);
    // parts: at most 4 a tick; collect each asset's values until its count is reached
    const assets = new Map<number, { head: Extract<Msg, { kind: 'geometry' }>; values: number[]; got: number }>();
    const whole = (): boolean =>
      assets.size === 2 &&
      [...assets.values()].every((a) => a.got === (a.head.shape === 4 ? a.head.nx * a.head.nz : 3 * a.head.vertexCount + a.head.indexCount));
    for (let t = 0; t < 10 && !whole(); t++) {
      terrainHost.tickOnce();
      await c.next('events');
      await c.next('snapshot');
      c.send(ping(BigInt(t)));
      await c.next('pong');
      for (const m of c.inbox.filter((x): x is Extract<Msg, { kind: 'geometry' }> => x.kind === 'geometry')) {
        if (!ids.has(m.id)) throw new Error(`geometry ${m.id} was not announced`);
        const a = assets.get(m.id) ?? { head: m, values: [], got: 0 };
        assets.set(m.id, a);
        if (a.values[m.first] !== undefined) continue; // already taken from the inbox
        m.values.forEach((v, i) => {
          a.values[m.first + i] = v;
        });
        a.got += m.values.length;
      }
    }
    expect(whole()).toBe(true);
    const hf = loadHeightmap(join(dir, 'assets', 'hill.png'), TERRAIN_HEIGHTMAP);
    const h = [...assets.values()].find((a) => a.head.shape === 4)!;
    expect([h.head.nx, h.head.nz, h.head.cellX, h.head.cellZ, h.head.originX, h.head.originZ]).toEqual([
      hf.nx,
      hf.nz,
      hf.cellX,
      hf.cellZ,
      hf.originX,
      hf.originZ,
    ]);
    expect(h.values).toEqual(Array.from(hf.heights));
    // the mesh: vertices (x, y, z raw) then indices, three per triangle
    const mesh = await loadGlbMesh(join(dir, 'assets', 'block.glb'));
    const m = [...assets.values()].find((a) => a.head.shape === 5)!;
    const nv = 3 * m.head.vertexCount;
    const tris: string[] = [];
    for (let k = nv; k < m.values.length; k += 3) tris.push([0, 1, 2].flatMap((j) => m.values.slice(3 * m.values[k + j], 3 * m.values[k + j] + 3)).join(','));
    const want: string[] = [];
    for (let k = 0; k < mesh.triangles.length; k += 9) want.push(Array.from(mesh.triangles.subarray(k, k + 9)).join(','));
    expect(tris.sort()).toEqual(want.sort());
    c.ws.close(1000);
  } finally {
    await terrainHost.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test('section 17: the joints in the interest come with the snapshot; placed on their bodies they hold', async () => {
  const scene = parseScene({
    format: 'tessera.scene.v1',
    world: { capacity: 64, tickRate: 20 },
    spawnPoints: [[-6, 1.2, -6]],
    statics: [{ plane: { normal: [0, 1, 0], offset: 0 } }],
    bodies: [
      { name: 'door', box: { center: [2.4, 0.9, 0], half: [0.4, 0.85, 0.03] } },
      { name: 'ball', sphere: { center: [-2, 1, 0], radius: 0.2 } },
    ],
    joints: [
      { kind: 'hinge', body: 'door', anchor: [2, 0.9, 0], axis: [0, 1, 0], limits: [-1, 1] },
      { kind: 'distance', body: 'ball', anchor: [-2, 2.5, 0], maxLength: 1.5 },
    ],
  });
  const jointHost = await Host.start({ port: 0, world: sceneSetup(scene), manualTicks: true });
  try {
    const c = new Conn(`ws://127.0.0.1:${jointHost.port}/ws`, ['tessera.v4']);
    await c.opened;
    c.send(hello('doc-client-joints'));
    await c.next('welcome');
    for (let t = 0; t < 20; t++) jointHost.tickOnce(); // the ball drops onto its rope
    let snap = await c.next('snapshot');
    for (let t = 0; t < 19; t++) snap = await c.next('snapshot', (m) => m.tick > snap.tick);
    expect(snap.joints.map((j) => [j.kind, j.flags])).toEqual([
      [2, 1 | 8], // a hinge with limits, to the world
      [4, 8], // a distance joint to the world
    ]);
    const [hinge, rope] = snap.joints;
    expect([hinge.lower, hinge.upper]).toEqual([-65536, 65536]); // 1/65536 rad
    expect(hinge.axisA).toEqual([0, 32767, 0]); // x 32768, clamped
    expect(rope.maxLength).toBe(1.5 * 1024); // 1/1024 m
    // placing: p + q (a) q*, metres = / 1024, quaternion = / 32768; a world end is its point
    const place = (index: number, a: [number, number, number]): number[] => {
      const b = snap.bodies.find((x) => x.index === index) as Body;
      const [x, y, z, w] = [b.qx, b.qy, b.qz, b.qw].map((v) => v / 32768);
      const v = a.map((k) => k / 1024);
      const t = [2 * (y * v[2] - z * v[1]), 2 * (z * v[0] - x * v[2]), 2 * (x * v[1] - y * v[0])];
      const r = [v[0] + w * t[0] + (y * t[2] - z * t[1]), v[1] + w * t[1] + (z * t[0] - x * t[2]), v[2] + w * t[2] + (x * t[1] - y * t[0])];
      return [b.px / 1024 + r[0], b.py / 1024 + r[1], b.pz / 1024 + r[2]];
    };
    const gap = (p: number[], q: number[]): number => Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
    expect(
      gap(
        place(hinge.a, hinge.anchorA),
        hinge.anchorB.map((k) => k / 1024),
      ),
    ).toBeLessThan(0.01);
    expect(
      gap(
        place(rope.a, rope.anchorA),
        rope.anchorB.map((k) => k / 1024),
      ),
    ).toBeCloseTo(1.5, 2);
    c.ws.close(1000);
  } finally {
    await jointHost.stop();
  }
}, 60_000);
