/**
 * Wire protocol benchmark: FlatBuffers codecs (src/protocol/codec.ts) against JSON on the same
 * message values, the verifier's cost alone, bytes per message, and how fast malformed
 * buffers are rejected.
 *
 * Build & run (from the repo root):
 *   npm run bench:protocol                        # build, run everything, write results
 *   node build/dist/bench/protocol/run-protocol.js  # the same without rebuilding
 *
 * Cases: one sample message per kind of every root (test/fixtures/protocol/samples.ts, the
 * golden values), plus deltas of 100 and 1,000 bodies and a snapshot of 1,000 bodies (the hot
 * path: one per client per network tick). Per case, benchmark.js times (median of its samples):
 *
 *   fb encode    encodeX(msg): validation, one reused builder, a copy of the bytes
 *   fb decode    decodeX(bytes): verification, then a fresh message value
 *   verify       verifyX(bytes) alone
 *   json encode  JSON.stringify(msg) with bigints as decimal strings and byte records as
 *                base64 strings (a text frame's payload)
 *   json decode  JSON.parse(text), nothing more: no validation, bigints and records left as
 *                strings. A lower bound of what a JSON protocol would cost.
 *
 * Bytes: the FlatBuffers buffer's length and the JSON text's UTF-8 length.
 *
 * Rejections: a seeded corpus per root (--corpus N mutated buffers, test/fixtures/protocol/
 * mutate.ts edits of valid encodings, and N random buffers of 0-200 bytes, half of them with
 * the root's file identifier), decoded twice (the first pass warms up); each call of the second
 * pass is timed alone with process.hrtime.bigint(). Reported over the rejected ones: median,
 * p99 and max microseconds (nearest rank), and the accepted count. A timer read costs
 * ~0.05-0.1 µs here, included in every figure.
 *
 * 50M vector: the smallest ServerMessage whose bodies vector claims 50,000,000 elements
 * (test/protocol.test.ts builds the same), rejected OUT_OF_BOUNDS: benchmark.js mean and
 * median, and the heap / arrayBuffers growth over 10,000 rejections.
 *
 * Flags:
 *   --max-time S     benchmark.js maxTime per timed function (default 0.5 s; min 10 samples)
 *   --filter TEXT    only cases whose "<root>/<kind>" contains TEXT (the results are not written)
 *   --corpus N       mutated and random buffers per root for the rejection figures (default 20000)
 *   --no-write       print only
 * Writes bench/results/<machine>/protocol.json and protocol.md.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import Benchmark from 'benchmark';
import { encodeClient, decodeClient, encodeServer, decodeServer, encodeShard, decodeShard } from '../../src/protocol/codec';
import { verifyClient, verifyServer, verifyShard } from '../../src/protocol/verify';
import { ProtocolError } from '../../src/protocol/errors';
import type { ClientMessage, ServerMessage, ShardMessage } from '../../src/protocol/messages';
import { caseStats, fmt3, machineInfo, markdownTable, metaMarkdown, repoRoot, runMeta, type CaseStats, type RunMeta } from '../results';
import { CLIENT_SAMPLES, SERVER_SAMPLES, SHARD_SAMPLES, sampleDelta } from '../../test/fixtures/protocol/samples';
import { mutate, mulberry32, randomEdits } from '../../test/fixtures/protocol/mutate';

type AnyMessage = ClientMessage | ServerMessage | ShardMessage;

interface Root {
  name: 'client' | 'server' | 'shard';
  identifier: string;
  encode(m: AnyMessage): Uint8Array;
  decode(b: Uint8Array): AnyMessage;
  verify(b: Uint8Array): number;
}
const ROOTS: Record<Root['name'], Root> = {
  client: { name: 'client', identifier: 'TSCL', encode: (m) => encodeClient(m as ClientMessage), decode: decodeClient, verify: verifyClient },
  server: { name: 'server', identifier: 'TSSV', encode: (m) => encodeServer(m as ServerMessage), decode: decodeServer, verify: verifyServer },
  shard: { name: 'shard', identifier: 'TSSH', encode: (m) => encodeShard(m as ShardMessage), decode: decodeShard, verify: verifyShard },
};

interface Case {
  root: Root;
  kind: string;
  msg: AnyMessage;
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const [kind, msg] of Object.entries(CLIENT_SAMPLES)) out.push({ root: ROOTS.client, kind, msg });
  for (const [kind, msg] of Object.entries(SERVER_SAMPLES)) out.push({ root: ROOTS.server, kind, msg });
  out.push({ root: ROOTS.server, kind: 'delta-100', msg: sampleDelta(100) });
  out.push({ root: ROOTS.server, kind: 'delta-1000', msg: sampleDelta(1000) });
  const d = sampleDelta(1000) as Extract<ServerMessage, { kind: 'delta' }>;
  out.push({ root: ROOTS.server, kind: 'snapshot-1000', msg: { kind: 'snapshot', tick: d.tick, bodies: d.bodies, shapes: d.shapes, joints: [] } });
  for (const [kind, msg] of Object.entries(SHARD_SAMPLES)) out.push({ root: ROOTS.shard, kind, msg });
  return out;
}

/** JSON text of a message: bigints as decimal strings, byte records as base64. */
function toJson(msg: AnyMessage): string {
  return JSON.stringify(msg, (_k, v: unknown) =>
    typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.length).toString('base64') : v,
  );
}

interface Options {
  maxTime: number;
  filter: string | null;
  corpus: number;
  write: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { maxTime: 0.5, filter: null, corpus: 20_000, write: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--max-time':
        o.maxTime = Number(next());
        break;
      case '--filter':
        o.filter = next();
        break;
      case '--corpus':
        o.corpus = Number(next());
        break;
      case '--no-write':
        o.write = false;
        break;
      default:
        throw new Error(`unknown flag ${a} (see the comment at the top of bench/protocol/run-protocol.ts)`);
    }
  }
  if (!(o.maxTime > 0) || !(o.corpus >= 1)) throw new Error('bad --max-time or --corpus');
  return o;
}

/** V8's gc(), enabled at run time (as `node --expose-gc`), so retained memory can be measured. */
const gc: () => void =
  (globalThis as { gc?: () => void }).gc ??
  ((): (() => void) => {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  })();

// A sink so the optimiser cannot drop results.
let sink = 0;

function time(name: string, fn: () => void, maxTime: number): CaseStats {
  const b = new Benchmark(name, fn, { maxTime, minSamples: 10 });
  b.run();
  return caseStats(b, 1);
}

interface CaseResult {
  root: string;
  kind: string;
  fbBytes: number;
  jsonBytes: number;
  fbEncode: CaseStats;
  fbDecode: CaseStats;
  verify: CaseStats;
  jsonEncode: CaseStats;
  jsonDecode: CaseStats;
}

function runCase(c: Case, maxTime: number, log: (s: string) => void): CaseResult {
  const bytes = c.root.encode(c.msg);
  const text = toJson(c.msg);
  const decoded = c.root.decode(bytes);
  if (JSON.stringify(toJson(decoded)) !== JSON.stringify(text)) throw new Error(`${c.root.name}/${c.kind}: decode does not round-trip`);
  const label = `${c.root.name}/${c.kind}`;
  const r: CaseResult = {
    root: c.root.name,
    kind: c.kind,
    fbBytes: bytes.length,
    jsonBytes: Buffer.byteLength(text, 'utf8'),
    fbEncode: time(
      `${label} fb encode`,
      () => {
        sink += c.root.encode(c.msg).length;
      },
      maxTime,
    ),
    fbDecode: time(
      `${label} fb decode`,
      () => {
        sink += c.root.decode(bytes).kind.length;
      },
      maxTime,
    ),
    verify: time(
      `${label} verify`,
      () => {
        sink += c.root.verify(bytes);
      },
      maxTime,
    ),
    jsonEncode: time(
      `${label} json encode`,
      () => {
        sink += toJson(c.msg).length;
      },
      maxTime,
    ),
    jsonDecode: time(
      `${label} json decode`,
      () => {
        sink += (JSON.parse(text) as { kind: string }).kind.length;
      },
      maxTime,
    ),
  };
  const us = (s: CaseStats): string => fmt3(s.medianSeconds * 1e6);
  log(
    `${label.padEnd(26)} ${String(r.fbBytes).padStart(7)} B fb ${String(r.jsonBytes).padStart(7)} B json | encode ${us(r.fbEncode)} / ${us(r.jsonEncode)} µs  decode ${us(r.fbDecode)} / ${us(r.jsonDecode)} µs  verify ${us(r.verify)} µs`,
  );
  return r;
}

interface Distribution {
  inputs: number;
  rejected: number;
  accepted: number;
  medianUs: number;
  p99Us: number;
  maxUs: number;
  maxInputBytes: number;
  reasons: Record<string, number>;
}

const rank = (sorted: Float64Array, q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];

function rejectionCorpus(root: Root, n: number, seed: number): Uint8Array[] {
  const next = mulberry32(seed);
  const valid = [
    ...cases()
      .filter((c) => c.root === root)
      .map((c) => root.encode(c.msg)),
  ];
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) out.push(mutate(valid[next() % valid.length], randomEdits(next), valid));
  const id = [...root.identifier].map((ch) => ch.charCodeAt(0));
  for (let i = 0; i < n; i++) {
    const b = new Uint8Array(next() % 201);
    for (let j = 0; j < b.length; j++) b[j] = next() & 0xff;
    if (i % 2 === 1 && b.length >= 8) b.set(id, 4);
    out.push(b);
  }
  return out;
}

function rejections(root: Root, corpus: readonly Uint8Array[]): Distribution {
  const times = new Float64Array(corpus.length);
  const reasons: Record<string, number> = {};
  let rejected = 0,
    accepted = 0,
    maxInputBytes = 0,
    maxUs = -1;
  for (let pass = 0; pass < 2; pass++) {
    rejected = 0;
    accepted = 0;
    for (const b of corpus) {
      const t0 = process.hrtime.bigint();
      let reason: string | null = null;
      try {
        sink += root.decode(b).kind.length;
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        reason = e.reason;
      }
      const us = Number(process.hrtime.bigint() - t0) / 1000;
      if (reason === null) {
        accepted++;
        continue;
      }
      if (pass === 1) {
        times[rejected] = us;
        reasons[reason] = (reasons[reason] ?? 0) + 1;
        if (us > maxUs) {
          maxUs = us;
          maxInputBytes = b.length;
        }
      }
      rejected++;
    }
  }
  const sorted = times.slice(0, rejected).sort();
  return {
    inputs: corpus.length,
    rejected,
    accepted,
    medianUs: rank(sorted, 0.5),
    p99Us: rank(sorted, 0.99),
    maxUs: sorted[rejected - 1],
    maxInputBytes,
    reasons,
  };
}

interface Vector50M {
  bytes: number;
  reason: string;
  bench: CaseStats;
  medianUs: number;
  p99Us: number;
  maxUs: number;
  heapGrowthBytes: number;
  arrayBuffersGrowthBytes: number;
}

function vector50M(maxTime: number): Vector50M {
  const b = encodeServer({ kind: 'snapshot', tick: 0, bodies: [], shapes: [], joints: [] });
  // root uoffset -> root table; its payload (field 1) -> the snapshot; its bodies (field 1) -> the vector
  const rd32 = (o: number): number => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
  const rd16 = (o: number): number => b[o] | (b[o + 1] << 8);
  const field = (pos: number, id: number): number => {
    const vt = pos - (rd32(pos) | 0);
    const at = pos + rd16(vt + 4 + 2 * id);
    return at + rd32(at);
  };
  const vec = field(field(rd32(0), 1), 1);
  b[vec] = 50_000_000 & 0xff;
  b[vec + 1] = (50_000_000 >>> 8) & 0xff;
  b[vec + 2] = (50_000_000 >>> 16) & 0xff;
  b[vec + 3] = 50_000_000 >>> 24;
  let reason = '';
  const attempt = (): void => {
    try {
      decodeServer(b);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      reason = e.reason;
    }
  };
  attempt();
  if (reason !== 'OUT_OF_BOUNDS') throw new Error(`50M vector: expected OUT_OF_BOUNDS, got ${reason || 'acceptance'}`);
  // two collections: the first frees earlier cases' garbage, whose ArrayBuffer backing
  // stores are released by the next one; only then is the baseline quiet
  const times = new Float64Array(10_000); // allocated before the baseline: not part of the growth
  gc();
  gc();
  const before = process.memoryUsage();
  for (let i = 0; i < times.length; i++) {
    const t0 = process.hrtime.bigint();
    attempt();
    times[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  gc();
  gc();
  const after = process.memoryUsage();
  const sorted = times.slice().sort();
  return {
    bytes: b.length,
    reason,
    bench: time('50M vector rejection', attempt, maxTime),
    medianUs: rank(sorted, 0.5),
    p99Us: rank(sorted, 0.99),
    maxUs: sorted[sorted.length - 1],
    heapGrowthBytes: after.heapUsed - before.heapUsed,
    arrayBuffersGrowthBytes: after.arrayBuffers - before.arrayBuffers,
  };
}

// ---------------------------------------------------------------------------------------

interface ResultFile {
  schema: 'tessera.protocol.v1';
  meta: RunMeta;
  corpusPerRoot: number;
  totalSeconds: number;
  cases: CaseResult[];
  rejections: Record<string, Distribution>;
  vector50M: Vector50M;
}

function markdown(f: ResultFile): string {
  const us = (s: CaseStats): string => fmt3(s.medianSeconds * 1e6);
  const ratio = (json: CaseStats, fb: CaseStats): string => `${fmt3(json.medianSeconds / fb.medianSeconds)}x`;
  const rows = f.cases.map((c) => [
    `${c.root}/${c.kind}`,
    String(c.fbBytes),
    String(c.jsonBytes),
    `${fmt3(c.jsonBytes / c.fbBytes)}x`,
    us(c.fbEncode),
    us(c.jsonEncode),
    ratio(c.jsonEncode, c.fbEncode),
    us(c.fbDecode),
    us(c.verify),
    `${fmt3((100 * c.verify.medianSeconds) / c.fbDecode.medianSeconds)}%`,
    us(c.jsonDecode),
    ratio(c.jsonDecode, c.fbDecode),
  ]);
  const stats = f.cases.flatMap((c) =>
    (['fbEncode', 'fbDecode', 'verify', 'jsonEncode', 'jsonDecode'] as const).map((k) => [
      `${c.root}/${c.kind}`,
      k,
      fmt3(c[k].medianSeconds * 1e6),
      fmt3(c[k].meanSeconds * 1e6),
      `±${c[k].rme.toFixed(2)}%`,
      String(c[k].samples),
    ]),
  );
  const rej = Object.entries(f.rejections).map(([root, d]) => [
    root,
    String(d.inputs),
    String(d.rejected),
    String(d.accepted),
    fmt3(d.medianUs),
    fmt3(d.p99Us),
    fmt3(d.maxUs),
    String(d.maxInputBytes),
    Object.entries(d.reasons)
      .sort((a, b) => b[1] - a[1])
      .map(([r, n]) => `${r} ${n}`)
      .join(', '),
  ]);
  const v = f.vector50M;
  const delta1000 = f.cases.find((c) => c.kind === 'delta-1000');
  const headline = delta1000
    ? [
        `Headline (delta of 1,000 bodies, the per-client per-tick message): ${delta1000.fbBytes} bytes in FlatBuffers against ${delta1000.jsonBytes} in JSON;`,
        `encode ${us(delta1000.fbEncode)} µs against ${us(delta1000.jsonEncode)} µs (${ratio(delta1000.jsonEncode, delta1000.fbEncode)}),`,
        `decode with verification ${us(delta1000.fbDecode)} µs (verification alone ${us(delta1000.verify)} µs) against JSON.parse alone ${us(delta1000.jsonDecode)} µs.`,
      ].join('\n')
    : '';
  return [
    `# Wire protocol: FlatBuffers codecs against JSON`,
    '',
    metaMarkdown(f.meta),
    `- rejection corpus: ${f.corpusPerRoot} mutated + ${f.corpusPerRoot} random buffers per root; ${f.totalSeconds.toFixed(0)} s in all`,
    '',
    'Median microseconds per call (benchmark.js samples). "fb decode" verifies first (`decodeX` =',
    '`verifyX` + reading); "verify %" is verification\'s share of it. JSON encode is',
    '`JSON.stringify` with bigints as strings and records as base64; JSON decode is `JSON.parse` alone',
    '(no validation, nothing restored to bigint or bytes), so JSON figures are lower bounds.',
    'Ratios > 1 mean FlatBuffers is faster or smaller.',
    '',
    headline,
    '',
    '## Per message kind',
    '',
    markdownTable(
      [
        'case',
        'fb bytes',
        'json bytes',
        'json / fb',
        'fb encode µs',
        'json encode µs',
        'json / fb',
        'fb decode µs',
        'verify µs',
        'verify %',
        'json decode µs',
        'json / fb',
      ],
      rows,
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
    '## Rejection time over the fuzz corpus',
    '',
    'Each rejected input of the second pass timed alone (process.hrtime.bigint, nearest rank).',
    'The maximum is one call and mostly shows a GC pause or a timer interrupt, not the input.',
    '',
    markdownTable(['root', 'inputs', 'rejected', 'accepted', 'median µs', 'p99 µs', 'max µs', 'bytes of max', 'reasons'], rej, [
      'l',
      'r',
      'r',
      'r',
      'r',
      'r',
      'r',
      'r',
      'l',
    ]),
    '',
    '## A vector claiming 50,000,000 elements',
    '',
    `A ${v.bytes}-byte ServerMessage (snapshot) whose bodies vector claims 50,000,000 x 36 bytes: rejected ${v.reason}`,
    `in ${fmt3(v.bench.medianSeconds * 1e6)} µs (benchmark.js median; mean ${fmt3(v.bench.meanSeconds * 1e6)} µs ±${v.bench.rme.toFixed(2)}%).`,
    `10,000 single timed rejections: median ${fmt3(v.medianUs)} µs, p99 ${fmt3(v.p99Us)} µs, max ${fmt3(v.maxUs)} µs;`,
    `heap growth ${v.heapGrowthBytes} bytes, arrayBuffers growth ${v.arrayBuffersGrowthBytes} bytes (each measured after two gc() calls; negative: less than before).`,
    '',
    '## benchmark.js statistics',
    '',
    markdownTable(['case', 'function', 'median µs', 'mean µs', '±rme', 'samples'], stats, ['l', 'l', 'r', 'r', 'r', 'r']),
    '',
    'Regenerate with `npm run bench:protocol` (or `node build/dist/bench/protocol/run-protocol.js` after `npm run build`).',
    '',
  ].join('\n');
}

function main(): void {
  const o = parseArgs(process.argv.slice(2));
  const t0 = Date.now();
  const meta = runMeta({ maxTimeSeconds: o.maxTime, filter: o.filter });
  const log = (s: string): void => {
    process.stdout.write(`${s}\n`);
  };
  log(`protocol bench on ${machineInfo().slug}, maxTime ${o.maxTime} s`);
  const selected = cases().filter((c) => o.filter === null || `${c.root.name}/${c.kind}`.includes(o.filter));
  const results = selected.map((c) => runCase(c, o.maxTime, log));
  const rej: Record<string, Distribution> = {};
  for (const root of Object.values(ROOTS)) {
    rej[root.name] = rejections(root, rejectionCorpus(root, o.corpus, 0x5eed + root.name.length));
    const d = rej[root.name];
    log(`rejections ${root.name}: ${d.rejected}/${d.inputs} rejected, median ${fmt3(d.medianUs)} µs, p99 ${fmt3(d.p99Us)} µs, max ${fmt3(d.maxUs)} µs`);
  }
  const v = vector50M(o.maxTime);
  log(
    `50M vector: ${v.reason} in ${fmt3(v.bench.medianSeconds * 1e6)} µs (median), heap +${v.heapGrowthBytes} B, arrayBuffers +${v.arrayBuffersGrowthBytes} B`,
  );
  const file: ResultFile = {
    schema: 'tessera.protocol.v1',
    meta,
    corpusPerRoot: o.corpus,
    totalSeconds: (Date.now() - t0) / 1000,
    cases: results,
    rejections: rej,
    vector50M: v,
  };
  if (sink === 0.5) log(''); // keep `sink` observable
  const md = markdown(file);
  if (!o.write || o.filter !== null) {
    log(md);
    return;
  }
  const dir = path.join(repoRoot(), 'bench', 'results', meta.machine.slug);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'protocol.json'), `${JSON.stringify(file, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, 'protocol.md'), md);
  log(`wrote ${path.relative(repoRoot(), path.join(dir, 'protocol.json'))} and protocol.md`);
}

main();
