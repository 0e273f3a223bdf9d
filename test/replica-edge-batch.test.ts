/**
 * Edge hosts forward in batches (issue 19, src/replica/edge.ts, src/replica/edge-batch.ts): the
 * joins, messages and leaves of an edge's clients go to the leader as one NATS request per batch,
 * so the leader's requests grow with the edges, not the clients. A leader (`tessera serve
 * --replicate`, in this process) and one edge: 50 clients join and send three inputs each in the
 * same tick; every input is in the JetStream log exactly once, in each client's order, and
 * acknowledged; the requests the leader got (counted on NATS and by the edge's metric) are far
 * fewer than the messages. A forged edge's garbage, cut-short or oversized batches are refused
 * whole, apply nothing and leave the real edge's clients playing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { resolveConfig, serve, type Server } from '../src/serve';
import { EdgeHost, edgeMetrics, edgeSubject } from '../src/replica/edge';
import {
  BATCH_MAX_BYTES,
  BATCH_MAX_ENTRIES,
  BatchError,
  decodeBatch,
  decodeReply,
  encodeBatch,
  encodeReply,
  OP,
  type BatchEntry,
} from '../src/replica/edge-batch';
import { JetStreamTickLog } from '../src/replica/jetstream-log';
import { loadScene, sceneSetup } from '../src/scene';
import { ERROR } from '../src/protocol/errors';
import { encodeClient } from '../src/protocol/codec';
import type { ServerMessage } from '../src/protocol/messages';
import { natsUrl, uniqueWorld } from './helpers/nats';
import { ackedSeq, joinGuest, type RawClient, waitFor } from './helpers/net';
import { writeSmallScene } from './helpers/replica';

jest.setTimeout(60_000);

const silent = pino({ level: 'silent' });
let dir: string;
let world: string;
let leader: Server | null = null;
let edge: EdgeHost | null = null;
let nc: NatsConnection;
let stopLog: () => void = () => {};
const clients: RawClient[] = [];
/** The seq of every 'in' event the log holds, by origin (public id), in log order. */
const logged = new Map<number, number[]>();
/** Requests seen on the batch subject (a plain subscriber beside the leader's). */
let batchRequests = 0;
const registry = new Registry();

const join_ = (port: number, privateId: string): Promise<RawClient & { publicId: number }> =>
  joinGuest(`ws://127.0.0.1:${port}/ws`, privateId, clients, 15_000);

const errors = (c: RawClient): Array<Extract<ServerMessage, { kind: 'error' }>> => c.of('error');
const acked = ackedSeq;
/** A counter of the edge's metrics, as a scrape reads it. */
async function metric(name: string): Promise<number> {
  const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? Number.NaN);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-edgebatch-'));
  const url = await natsUrl();
  world = uniqueWorld('edgebatch');
  const scene = writeSmallScene(dir);
  leader = await serve(
    resolveConfig({ port: '0', data: join(dir, 'a'), workers: '0', scene, replicate: url, replicateWorld: world, replicateLeaseMs: '2000' }, {}),
    silent,
  );
  const L = leader;
  await waitFor(() => L.host.world.stream.tick > 5, 10_000, 'a few ticks in the log');
  nc = await connect({ servers: url });
  nc.subscribe(edgeSubject(world, 'batch'), {
    callback: () => {
      batchRequests++;
    },
  });
  const feed = await (await JetStreamTickLog.open(nc, { world })).follow(
    0,
    (t) => {
      for (const e of t.events)
        if (e.type === 'in') {
          const seq = Number(e.body.split(',')[3] ?? 0);
          logged.set(e.origin, [...(logged.get(e.origin) ?? []), seq]);
        }
    },
    () => undefined,
  );
  stopLog = () => feed.stop();
  edge = await EdgeHost.start({
    nats: url,
    world,
    id: 'edgeb',
    setup: sceneSetup(loadScene(scene)),
    host: { port: 0, tickRate: 20, guests: true },
    timeoutMs: 2000,
    batch: { ms: 5 },
    log: silent,
  });
  const E = edge;
  edgeMetrics(registry, () => E.stats());
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.close();
  stopLog();
  await edge?.stop();
  await leader?.stop();
  await nc?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the frames: a batch and its reply round-trip; bounds and garbage are BatchErrors with their codes', () => {
  const input = encodeClient({ kind: 'input', input: { seq: 9, walkX: 1, walkZ: -1, jump: true } });
  const entries: BatchEntry[] = [
    { op: OP.JOIN, key: 'gé/x', token: 'guest', address: '::1' },
    { op: OP.MESSAGE, key: 'gé/x', bytes: input },
    { op: OP.LEAVE, key: 'gé/x' },
  ];
  const back = decodeBatch(encodeBatch(entries));
  expect(back.map((e) => ({ ...e, ...('bytes' in e ? { bytes: [...e.bytes] } : {}) }))).toEqual(
    entries.map((e) => ({ ...e, ...('bytes' in e ? { bytes: [...e.bytes] } : {}) })),
  );
  const reply = encodeReply([
    { ok: true, op: OP.JOIN, publicId: 0x80000005 },
    { ok: true, op: OP.MESSAGE, reply: { errors: [{ code: ERROR.INPUT_AHEAD, message: 'too far' }], open: 70, applied: 71, seq: 9 } },
    { ok: false, code: ERROR.NOT_FOUND, message: 'not joined' },
  ]);
  expect(decodeReply(reply, 3)).toEqual([
    { ok: true, op: OP.JOIN, publicId: 0x80000005 },
    { ok: true, op: OP.MESSAGE, reply: { errors: [{ code: ERROR.INPUT_AHEAD, message: 'too far' }], open: 70, applied: 71, seq: 9 } },
    { ok: false, code: ERROR.NOT_FOUND, message: 'not joined' },
  ]);
  expect(() => decodeReply(reply, 2)).toThrow(BatchError);
  const code = (f: () => unknown): number | undefined => {
    try {
      f();
    } catch (e) {
      return (e as BatchError).code;
    }
    return undefined;
  };
  expect(code(() => decodeBatch(new Uint8Array(BATCH_MAX_BYTES + 1)))).toBe(ERROR.TOO_LARGE);
  expect(code(() => decodeBatch(Uint8Array.of(1, 0xff, 0xff)))).toBe(ERROR.TOO_LARGE); // 65,535 entries claimed
  expect(BATCH_MAX_ENTRIES).toBeLessThan(0xffff);
  expect(code(() => decodeBatch(Uint8Array.of(2, 0, 0)))).toBe(ERROR.BAD_VERSION);
  expect(code(() => decodeBatch(encodeBatch(entries).subarray(0, 20)))).toBe(ERROR.BAD_MESSAGE); // cut short
  expect(code(() => decodeBatch(Uint8Array.of(1, 1, 0, 9, 0, 0)))).toBe(ERROR.BAD_MESSAGE); // op 9
  expect(code(() => decodeBatch(Uint8Array.of(1, 0, 0, 7)))).toBe(ERROR.BAD_MESSAGE); // a byte after the last entry
});

test('50 clients on one edge send three inputs each in the same tick: each is applied once, in order, acknowledged, in far fewer leader requests than messages', async () => {
  const E = (edge as EdgeHost).host;
  const batches0 = await metric('tessera_edge_forward_batches_total');
  const requests0 = batchRequests;
  const cs = await Promise.all(Array.from({ length: 50 }, (_, i) => join_(E.port, `p${i}`)));
  // the 50 joins went in batches too
  expect(batchRequests - requests0).toBeLessThan(25);
  await waitFor(() => cs.every((c) => (leader as Server).host.world.avatarPosition(c.publicId) !== null), 10_000, 'the avatars on the leader');
  const forwarded0 = (edge as EdgeHost).stats().forwarded;
  const batches1 = await metric('tessera_edge_forward_batches_total');
  const requests1 = batchRequests;
  // all at once: 150 messages reach the edge in one burst
  for (let seq = 1; seq <= 3; seq++) for (const c of cs) c.send({ kind: 'input', input: { seq, walkX: 100 * seq, walkZ: 0, jump: false } });
  await waitFor(() => cs.every((c) => acked(c) === 3), 15_000, 'every client to see input 3 acknowledged');
  // exactly once and in each client's order, in the stored log (acknowledged = stored)
  await waitFor(() => cs.every((c) => (logged.get(c.publicId) ?? []).length >= 3), 10_000, 'the inputs in the log');
  for (const c of cs) expect([c.publicId, logged.get(c.publicId)]).toEqual([c.publicId, [1, 2, 3]]);
  for (const c of cs) expect(errors(c)).toEqual([]);
  // the acknowledgements came in order too: no state acknowledged a later seq before an earlier one
  for (const c of cs) {
    const seqs = c.messages.flatMap((m) => (m.kind === 'delta' || m.kind === 'snapshot' ? [m.inputSeq ?? 0] : []));
    expect(seqs.every((s, i) => i === 0 || s >= seqs[i - 1])).toBe(true);
  }
  const st = (edge as EdgeHost).stats();
  expect(st.forwarded - forwarded0).toBe(150);
  const batches = (await metric('tessera_edge_forward_batches_total')) - batches1;
  expect(batches).toBeGreaterThan(0);
  expect(batches).toBeLessThan(20); // 150 messages; one request each before
  expect(batchRequests - requests1).toBe(batches); // what the leader was sent is what the edge counted
  expect(await metric('tessera_edge_forward_batch_entries_total')).toBeGreaterThanOrEqual(200); // 50 joins + 150 inputs
  expect(batches1).toBeGreaterThanOrEqual(batches0);
});

test('a forged edge: garbage, cut-short and oversized batches are refused whole and apply nothing; the real edge clients keep playing', async () => {
  const L = (leader as Server).host;
  const subject = edgeSubject(world, 'batch');
  const ask = async (frame: Uint8Array, count: number) => decodeReply((await nc.request(subject, frame, { timeout: 5000 })).data, count);
  const joined0 = L.edgePort().size;
  // garbage
  expect((await ask(Uint8Array.from([7, 7, 7, 7]), 1))[0]).toMatchObject({ ok: false, code: ERROR.BAD_VERSION });
  expect((await ask(new TextEncoder().encode('{"k":"g/x","b":"AAAA"}'), 1))[0]).toMatchObject({ ok: false, code: ERROR.BAD_VERSION });
  // a valid join followed by an entry cut short: refused whole, the join not applied
  const join = { op: OP.JOIN, key: 'gforged', token: 'guest', address: '10.0.0.9' } as const;
  const good = encodeBatch([join]);
  const cut = new Uint8Array(good.byteLength + 8);
  cut.set(good);
  cut[1] = 2; // two entries claimed
  cut.set([OP.MESSAGE, 0, 0, 0xff, 0xff, 0xff, 0x0f], good.byteLength); // a message of 1 MiB that is not there
  expect((await ask(cut, 2)).map((a) => a.ok || a.code)).toEqual([ERROR.BAD_MESSAGE, ERROR.BAD_MESSAGE]);
  expect(L.edgePort().size).toBe(joined0);
  // more entries than a batch holds: refused whole (TOO_LARGE), nothing applied
  const one = encodeBatch([join]).subarray(3);
  const over = new Uint8Array(3 + one.byteLength * 4);
  over[0] = 1;
  new DataView(over.buffer).setUint16(1, BATCH_MAX_ENTRIES + 1, true);
  for (let k = 0; k < 4; k++) over.set(one, 3 + k * one.byteLength);
  expect((await ask(over, 1))[0]).toMatchObject({ ok: false, code: ERROR.TOO_LARGE });
  expect(L.edgePort().size).toBe(joined0);
  // a well-formed batch is checked entry by entry as the leader's own clients are: a key nobody
  // joined is NOT_FOUND, bytes that are no ClientMessage BAD_MESSAGE, a bad token UNAUTHENTICATED
  const answers = await ask(
    encodeBatch([
      { op: OP.MESSAGE, key: 'gnobody', bytes: encodeClient({ kind: 'input', input: { seq: 1, walkX: 0, walkZ: 0, jump: false } }) },
      { op: OP.JOIN, key: 'a1/x', token: 'not-a-token', address: '10.0.0.9' },
    ]),
    2,
  );
  expect(answers.map((a) => a.ok || a.code)).toEqual([ERROR.NOT_FOUND, ERROR.UNAUTHENTICATED]);
  expect(L.edgePort().size).toBe(joined0);
  // the real edge's clients are unaffected: a new one joins and its input is acknowledged
  const c = await join_((edge as EdgeHost).host.port, 'after-forgery');
  c.send({ kind: 'input', input: { seq: 1, walkX: 500, walkZ: 0, jump: false } });
  await c.until(() => acked(c) === 1, 10_000, 'the input acknowledged after the forged batches');
  expect(errors(c)).toEqual([]);
  // and a forwarded message that does not decode gets BAD_MESSAGE, as a direct one would
  const bad = await ask(encodeBatch([{ op: OP.MESSAGE, key: [...L.edgePort()['byKey'].keys()][0] as string, bytes: Uint8Array.of(1, 2, 3) }]), 1);
  expect(bad[0]).toMatchObject({ ok: false, code: ERROR.BAD_MESSAGE });
});
