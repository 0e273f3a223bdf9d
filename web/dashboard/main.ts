/**
 * The operator dashboard (served at /dashboard, bundled into /assets/dashboard.js): live plots
 * of the host's /stats, polled every second, and admin actions (kick, broadcast, shutdown) over
 * a WebSocket session opened with an admin's login. Plots are drawn on canvases (no chart
 * library): the last 120 samples, y from 0 to the largest value seen. A cluster world
 * (`tessera serve --cluster`) adds a table of its shard processes (regions, epochs, last tick,
 * last step, heartbeat age) and a plot of each process's step time.
 */
import { TesseraClient } from '../../src/client/client';
import type { ServerMessage } from '../../src/protocol/messages';
import type { ErrorBody } from '../../src/protocol/errors';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const COLOURS = ['#e4572e', '#5c7cfa', '#f3a712', '#4caf50', '#9c27b0', '#00bcd4', '#ff9800', '#8bc34a'];

interface Stats {
  tick: number;
  clients: number;
  tickMsP50: number;
  tickMsP99: number;
  stepMsP50: number;
  stepMsP99: number;
  /** Mean ms a tick by phase over the last 2,000 ticks (apply, persist, index, fanout, other: src/net/options.ts TICK_PHASES). */
  phaseMsMean?: Record<string, number>;
  messagesIn: number;
  messagesOut: number;
  bytesOut: number;
  handoffs: number;
  shards: Array<{ owned: number; ghosts: number; stepMs: number; stepMsP50: number; stepMsP99: number }>;
  rss: number;
  heapUsed: number;
  atMs: number;
  /** Only for a cluster world (src/net/cluster-metrics.ts ClusterFigures). */
  cluster?: {
    world: string;
    ticks: number;
    failovers: number;
    lastStallMs: number;
    maxStallMs: number;
    rejected: number;
    orderBytes: number;
    resultBytes: number;
    processes: Array<{
      id: string;
      regions: number[];
      epochs: string[];
      host?: string;
      pid?: number;
      standby?: boolean;
      tick?: number;
      stepMs?: number;
      heartbeatAgeMs?: number;
    }>;
  };
}

/** A plot of named series over the last 120 samples. */
class Plot {
  private readonly series = new Map<string, number[]>();
  private readonly ctx: CanvasRenderingContext2D;
  private readonly legend: HTMLElement;
  constructor(
    title: string,
    private readonly unit: string,
  ) {
    const card = document.createElement('div');
    card.className = 'card';
    card.innerHTML = `<h3>${title}</h3><canvas width="760" height="280"></canvas><div class="legend num"></div>`;
    $('plots').appendChild(card);
    this.ctx = (card.querySelector('canvas') as HTMLCanvasElement).getContext('2d') as CanvasRenderingContext2D;
    this.legend = card.querySelector('.legend') as HTMLElement;
  }
  push(values: Record<string, number>): void {
    for (const [k, v] of Object.entries(values)) {
      const s = this.series.get(k) ?? [];
      s.push(v);
      if (s.length > 120) s.shift();
      this.series.set(k, s);
    }
    this.draw();
  }
  private draw(): void {
    const c = this.ctx,
      w = c.canvas.width,
      h = c.canvas.height;
    c.clearRect(0, 0, w, h);
    let max = 0;
    for (const s of this.series.values()) for (const v of s) max = Math.max(max, v);
    max = max > 0 ? max * 1.1 : 1;
    c.strokeStyle = '#2c3a46';
    c.lineWidth = 1;
    for (let g = 1; g < 4; g++) {
      c.beginPath();
      c.moveTo(0, (h * g) / 4);
      c.lineTo(w, (h * g) / 4);
      c.stroke();
    }
    c.fillStyle = '#8aa0b2';
    c.font = '20px system-ui';
    c.fillText(`${fmt(max)} ${this.unit}`, 6, 22);
    let k = 0;
    const parts: string[] = [];
    for (const [name, s] of this.series) {
      const colour = COLOURS[k++ % COLOURS.length];
      c.strokeStyle = colour;
      c.lineWidth = 3;
      c.beginPath();
      s.forEach((v, i) => {
        const x = (i / 119) * w,
          y = h - (v / max) * h;
        if (i) c.lineTo(x, y);
        else c.moveTo(x, y);
      });
      c.stroke();
      parts.push(`<span style="background:${colour}"></span>${name} ${fmt(s[s.length - 1])}`);
    }
    this.legend.innerHTML = parts.join('');
  }
}

function fmt(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

const plots = {
  tick: new Plot('Host tick time (last 2,000 ticks)', 'ms'),
  step: new Plot('World step time (events, all shards, persistence)', 'ms'),
  phases: new Plot('Host tick by phase, mean (apply: events and physics; fanout: interest, encodes, sends)', 'ms'),
  shardP50: new Plot('Step time per shard, p50 (last 2,000 ticks)', 'ms'),
  shardP99: new Plot('Step time per shard, p99 (last 2,000 ticks)', 'ms'),
  bodies: new Plot('Bodies per shard (authority)', 'bodies'),
  ghosts: new Plot('Ghosts per shard', 'ghosts'),
  handoffs: new Plot('Handoffs per second', '/s'),
  clients: new Plot('Clients', 'clients'),
  messages: new Plot('Messages per second', '/s'),
  bytes: new Plot('Bytes sent per second', 'MB/s'),
  memory: new Plot('Memory', 'MiB'),
};
(window as unknown as { tesseraDashboard: { samples: number } }).tesseraDashboard = { samples: 0 };

/** The cluster card: a row per shard process, and a plot of their step times (made on first sight of a cluster). */
let clusterStep: Plot | null = null;
function showCluster(s: Stats, prev: Stats | null): void {
  const c = s.cluster;
  if (!c) return;
  $('cluster').style.display = '';
  const dt = prev?.cluster ? (s.atMs - prev.atMs) / 1000 || 1 : 0;
  const rate = (now: number, then: number | undefined): string => (dt && then !== undefined ? `${fmt((now - then) / dt / 1e3)} kB/s` : '-');
  $('cluster-summary').textContent =
    `world ${c.world} · ${c.processes.length} processes · ${c.ticks} ticks · ${c.failovers} failovers · stall last ${c.lastStallMs.toFixed(0)} ms, max ${c.maxStallMs.toFixed(0)} ms · ` +
    `${c.rejected} refused · orders ${rate(c.orderBytes, prev?.cluster?.orderBytes)} · results ${rate(c.resultBytes, prev?.cluster?.resultBytes)}`;
  const body = $('cluster-procs');
  body.replaceChildren(
    ...c.processes.map((p) => {
      const tr = document.createElement('tr');
      const age = p.heartbeatAgeMs;
      const cells = [
        p.id + (p.standby ? ' (standby)' : ''),
        p.host ?? '-',
        p.pid === undefined ? '-' : String(p.pid),
        p.regions.join(', ') || '-',
        p.epochs.join(', ') || '-',
        p.tick === undefined ? '-' : String(p.tick),
        p.stepMs === undefined ? '-' : `${fmt(p.stepMs)} ms`,
        age === undefined ? 'none heard' : `${fmt(age / 1000)} s ago`,
      ];
      for (const text of cells) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.appendChild(td);
      }
      if (age === undefined || age > 1500) tr.className = 'stale';
      return tr;
    }),
  );
  clusterStep ??= new Plot('Step time per shard process (last heartbeat)', 'ms');
  clusterStep.push(Object.fromEntries(c.processes.filter((p) => p.stepMs !== undefined).map((p) => [p.id, p.stepMs as number])));
}

let last: Stats | null = null;
/** The token of the admin login, sent with /stats (which needs one while guests are off). */
let statsToken = '';
async function poll(): Promise<void> {
  try {
    const r = await fetch('/stats', { headers: statsToken ? { authorization: `Bearer ${statsToken}` } : {} });
    if (r.status === 401) {
      $('summary').textContent = 'log in to see the figures (guests are off on this server)';
      return;
    }
    const s = (await r.json()) as Stats;
    $('summary').textContent = `tick ${s.tick} · ${s.clients} clients · ${s.shards.length} shards · host tick p99 ${s.tickMsP99.toFixed(1)} ms`;
    plots.tick.push({ p50: s.tickMsP50, p99: s.tickMsP99 });
    plots.step.push({ p50: s.stepMsP50, p99: s.stepMsP99 });
    if (s.phaseMsMean) plots.phases.push(s.phaseMsMean);
    plots.shardP50.push(Object.fromEntries(s.shards.map((x, k) => [`shard ${k}`, x.stepMsP50])));
    plots.shardP99.push(Object.fromEntries(s.shards.map((x, k) => [`shard ${k}`, x.stepMsP99])));
    plots.bodies.push(Object.fromEntries(s.shards.map((x, k) => [`shard ${k}`, x.owned])));
    plots.ghosts.push(Object.fromEntries(s.shards.map((x, k) => [`shard ${k}`, x.ghosts])));
    plots.clients.push({ clients: s.clients });
    plots.memory.push({ rss: s.rss / 2 ** 20, heap: s.heapUsed / 2 ** 20 });
    if (last) {
      const dt = (s.atMs - last.atMs) / 1000 || 1;
      plots.handoffs.push({ handoffs: (s.handoffs - last.handoffs) / dt });
      plots.messages.push({ in: (s.messagesIn - last.messagesIn) / dt, out: (s.messagesOut - last.messagesOut) / dt });
      plots.bytes.push({ out: (s.bytesOut - last.bytesOut) / dt / 1e6 });
    }
    showCluster(s, last);
    last = s;
    (window as unknown as { tesseraDashboard: { samples: number } }).tesseraDashboard.samples++;
  } catch {
    /* the next poll retries */
  }
}
setInterval(() => void poll(), 1000);
void poll();

// ---- admin ----
let admin: TesseraClient | null = null;
const result = (line: string): void => {
  const d = document.createElement('div');
  d.textContent = line;
  $('results').prepend(d);
};
$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  void fetch('/auth/login', {
    method: 'POST',
    body: JSON.stringify({ name: $<HTMLInputElement>('name').value, password: $<HTMLInputElement>('password').value }),
  }).then(async (r) => {
    const j = (await r.json()) as { token?: string } & Partial<ErrorBody>;
    if (!j.token) {
      result(`login: ${j.error ? `${j.error.name} (${j.error.code}): ${j.error.message}` : r.status}`);
      return;
    }
    statsToken = j.token;
    admin?.close();
    admin = new TesseraClient(
      {
        url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`,
        token: j.token,
        privateId: `dashboard-${Date.now()}`,
        WebSocket: window.WebSocket as never,
        interest: { center: [0n, 0n, 0n], cells: 0 },
      },
      {
        onMessage: (m: ServerMessage) => {
          if (m.kind === 'adminResult') result(`${m.command}: ${m.ok ? 'ok' : 'refused'}: ${m.message}`);
        },
      },
    );
    await admin.connect();
    $('who').textContent = `logged in as ${$<HTMLInputElement>('name').value}`;
  });
});
const command = (cmd: string, args: string[]): void => {
  if (!admin) {
    result('log in as an admin first');
    return;
  }
  admin.send({ kind: 'admin', command: cmd, args });
};
$('kick').addEventListener('submit', (e) => {
  e.preventDefault();
  command('kick', [$<HTMLInputElement>('kick-id').value, $<HTMLInputElement>('kick-reason').value].filter(Boolean));
});
$('broadcast').addEventListener('submit', (e) => {
  e.preventDefault();
  command('broadcast', $<HTMLInputElement>('broadcast-text').value.split(' ').filter(Boolean));
});
$('shutdown').addEventListener('submit', (e) => {
  e.preventDefault();
  if (confirm('Shut the server down?')) command('shutdown', $<HTMLInputElement>('shutdown-reason').value.split(' ').filter(Boolean));
});
