/**
 * Interest fan-out: the state messages of one tick for a crowd of clients
 * (InterestPublisher: view sets, deltas against each client's acknowledged tick, FlatBuffers
 * bytes), the part of a host tick that grows with clients x bodies.
 *
 *   node build/dist/bench/run.js interest            # print
 *   node build/dist/bench/run.js interest --write    # record bench/results/<machine>/interest.*
 *
 * The scene is the 500-bot run of bench/bots on the demo world (bench/results/<machine>/bots.md),
 * made synthetic so it is the same every run: 2,400 bodies on an 80 m square (cells of 16 m,
 * interest radius 2 cells, level of detail farEvery 4 / nearCells 1, as the host runs it);
 * 500 avatars in a crowd within 30 m of the origin walk 5 cm per tick; 300 balls and 1,600
 * thrown spheres elsewhere, a quarter of them moving. Each client's view follows its avatar
 * (about 30 distinct centre cells) and it acknowledged the previous tick (3 in 4 clients) or
 * the one before. One call = one tick: update (index the table) + the bytes of all 500 clients.
 *
 * Cases:
 *   tick-500       update + 500 clients' bytes (cached per view and base, as the host sends them)
 *   update         update alone (the per-tick index of the table)
 */
import Benchmark from 'benchmark';
import { createBodyTable, type BodyTable } from '../src/physics/body-table';
import { InterestPublisher, type ClientView } from '../src/sim/interest';
import { encodeServer } from '../src/protocol/codec';
import { mulberry32 } from './peers/scenes';
import { caseStats, fmt3, markdownTable, type BenchSuite, type CaseStats } from './results';

const BODIES = 2400,
  AVATARS = 500,
  CLIENTS = 500;

interface Scene {
  tables: BodyTable[];
  views: ClientView[];
  pub: InterestPublisher;
}

/** 64 ticks of the scene's tables (the benchmark cycles through them), and the publisher with its views. */
function scene(): Scene {
  const r = mulberry32(8);
  const x = new Float64Array(BODIES),
    z = new Float64Array(BODIES),
    y = new Float64Array(BODIES);
  const moving = new Uint8Array(BODIES),
    dir = new Float64Array(BODIES);
  for (let i = 0; i < BODIES; i++) {
    const avatar = i < AVATARS;
    const rad = avatar ? 30 * Math.sqrt(r()) : 39 * r(),
      a = r() * 2 * Math.PI;
    x[i] = Math.cos(a) * rad;
    z[i] = Math.sin(a) * rad;
    y[i] = avatar ? 0.9 : 0.3;
    moving[i] = avatar || r() < 0.25 ? 1 : 0;
    dir[i] = r() * 2 * Math.PI;
  }
  const tables: BodyTable[] = [];
  for (let t = 0; t < 64; t++) {
    const tb = createBodyTable(BODIES + 1);
    tb.count = BODIES + 1;
    tb.tick = t;
    // row 0: the ground plane (slot 0); rows 1..: bodies in slot order
    tb.index[0] = 0;
    tb.gen[0] = 1;
    tb.shape[0] = 3;
    tb.kind[0] = 2;
    tb.shard[0] = -2;
    tb.sy[0] = 1024;
    tb.qw[0] = 32767;
    for (let i = 0; i < BODIES; i++) {
      const row = i + 1;
      if (moving[i]) {
        x[i] += Math.cos(dir[i]) * 0.05;
        z[i] += Math.sin(dir[i]) * 0.05;
        if (Math.abs(x[i]) > 39 || Math.abs(z[i]) > 39) dir[i] += Math.PI;
      }
      tb.index[row] = row;
      tb.gen[row] = 1;
      tb.kind[row] = 0;
      tb.shape[row] = i < AVATARS ? 1 : 0;
      tb.shard[row] = (x[i] < 0 ? 0 : 1) + (z[i] < 0 ? 0 : 2);
      tb.px[row] = Math.round(x[i] * 1024);
      tb.py[row] = Math.round(y[i] * 1024);
      tb.pz[row] = Math.round(z[i] * 1024);
      tb.qw[row] = 32767;
      tb.vx[row] = moving[i] ? Math.round(Math.cos(dir[i]) * 256) : 0;
      tb.vz[row] = moving[i] ? Math.round(Math.sin(dir[i]) * 256) : 0;
      tb.sx[row] = 307;
      tb.sy[row] = i < AVATARS ? 512 : 0;
    }
    tables.push(tb);
  }
  const pub = new InterestPublisher({ farEvery: 4, nearCells: 1 });
  const views = Array.from({ length: CLIENTS }, (_, k) => pub.createView(x[k % AVATARS], z[k % AVATARS], 2));
  return { tables, views, pub };
}

/** The bytes of one client (works with both messageFor(v, encode).bytes and messageFor(v).bytes). */
type AnyMessageFor = (v: ClientView, encode?: typeof encodeServer) => { bytes: Uint8Array | null };

export const suite: BenchSuite = {
  name: 'interest',
  title: 'Interest fan-out: one tick of state messages for 500 clients',
  cases: ['tick-500', 'update'],
  run(opts) {
    const s = scene();
    const messageFor = (s.pub.messageFor as unknown as AnyMessageFor).bind(s.pub);
    let t = 0,
      bytes = 0,
      ticks = 0,
      sink = 0;
    const tick = (withClients: boolean): void => {
      const table = s.tables[t % s.tables.length];
      table.tick = t;
      s.pub.update(table);
      if (withClients) {
        ticks++;
        for (let k = 0; k < s.views.length; k++) {
          const v = s.views[k];
          if (t > 0) s.pub.acknowledge(v, k % 4 === 0 && t > 1 ? t - 2 : t - 1);
          const b = messageFor(v, encodeServer).bytes as Uint8Array;
          bytes += b.byteLength;
          sink ^= b[b.byteLength >> 1];
        }
      }
      t++;
    };
    for (let i = 0; i < 40; i++) tick(true); // warm up, and reach steady deltas
    bytes = 0;
    ticks = 0;
    const rows: string[][] = [];
    const data: Record<string, CaseStats & { bytesPerTick?: number }> = {};
    for (const name of this.cases) {
      if (!opts.select(name)) continue;
      const withClients = name === 'tick-500';
      const b = new Benchmark(name, () => tick(withClients), { maxTime: opts.maxTime, minSamples: 10 });
      b.run();
      const st = caseStats(b, 1);
      data[name] = withClients ? { ...st, bytesPerTick: bytes / ticks } : st;
      rows.push([
        name,
        fmt3(st.medianSeconds * 1e3),
        fmt3(st.meanSeconds * 1e3),
        `±${st.rme.toFixed(1)} %`,
        String(st.samples),
        withClients ? (bytes / ticks / 2 ** 20).toFixed(2) : '',
      ]);
      opts.log(`interest/${name}: median ${fmt3(st.medianSeconds * 1e3)} ms per tick`);
    }
    if (sink === 0.5) console.log(sink);
    return {
      data,
      markdown: [
        `${BODIES} bodies + a ground plane, ${AVATARS} avatars walking in a crowd, ${CLIENTS} clients (views follow avatars, cells 16 m, radius 2, farEvery 4, nearCells 1), acknowledgements 1-2 ticks old. One call = one tick.`,
        '',
        markdownTable(['case', 'median ms per tick', 'mean ms', 'rme', 'samples', 'MiB sent per tick (mean)'], rows, ['l', 'r', 'r', 'r', 'r', 'r']),
      ].join('\n'),
    };
  },
};
