/**
 * The host's read-only HTTP routes: GET /healthz (liveness + figures), /stats (figures for the
 * dashboard), /world (layout), /predict (the world a predicting client rebuilds, predict-world.ts),
 * /metrics (Prometheus), and the built web pages (/, /dashboard, /assets/*: the viewer's core
 * `tessera.unshared.wasm` as application/wasm), read once at start.
 *
 * Who may read: /healthz and the web pages (code, no world data: the viewer must load to offer
 * its login) are public. /stats, /world and /predict need `Authorization: Bearer <token>` of any principal
 * while guests are off (401 UNAUTHENTICATED otherwise); with guests on anyone is a guest and may
 * read them. /metrics is public unless HostOptions.publicMetrics is false, then it needs a token
 * like /stats even with guests on (a Prometheus scraper sends one as a bearer token).
 *
 * GET /objects/<slot:generation>/script (issue 21): the source of an object's script, for any
 * client that can see the object. "Can see" here: the caller may read the world (the rule of
 * /world: a token, or anyone while guests are on; else 401 UNAUTHENTICATED) and the object is a
 * live body of the world now (bodies and artifacts alike; every client of the world may receive
 * every body, interest only orders them). Answers 200 {object, version, tick, by, admin,
 * suspended: {code, message} | null, source} from the world's state (the same on a leader, a
 * replica promoted later and a restored world); 400 BAD_VALUE for an id that is not
 * "slot:generation"; 404 NOT_FOUND "no object" for a body that is not in the world, 404 NO_SCRIPT
 * for a body without a script (a detached script is no script). `by` is the account id of whoever
 * attached it, minus a guest's public id, 0 for a scene's script; `tick` the tick of its 'sa'
 * event (0: the scene's, -1: restored from a save made before the tick was kept).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { HostContext } from './context';
import { bearerOf, sendJson, type GuardedRoutes } from './http';
import type { HttpResponse, HttpRequest } from './uws';
import { ERROR, errorBody } from '../protocol/errors';
import { predictWorld } from './predict-world';
import { decodeHandle, encodeHandle } from '../sim/event-bodies';
import { TICK_PHASES } from './options';

/** Step time windows the host keeps for /stats: the world step, each shard's step and each tick phase (TICK_PHASES order), ms. */
export interface StepWindows {
  world: readonly number[];
  shards: ReadonlyArray<readonly number[]>;
  phases: ReadonlyArray<readonly number[]>;
}

/** Registers /healthz, /, /dashboard, /assets/:file, /stats, /world, /predict, /objects/:id/script and /metrics on `app`. */
export function webRoutes(h: HostContext, app: GuardedRoutes, steps: StepWindows): void {
  /** Whether a request may read world figures: a valid bearer token, or any request while guests are on (unless `tokenOnly`). Else answers 401. */
  const mayRead = (res: HttpResponse, req: HttpRequest, tokenOnly = false): boolean => {
    const token = bearerOf(req.getHeader('authorization'));
    if ((token && h.authenticate(token)) || (!tokenOnly && h.authenticate('guest'))) return true;
    sendJson(res, '401 Unauthorized', errorBody(ERROR.UNAUTHENTICATED, 'send Authorization: Bearer <token> (log in through /auth/login)'));
    return false;
  };
  app.get('/healthz', (res) => {
    sendJson(res, '200 OK', { ok: !h.stopping, ...h.figures() });
  });
  const files = loadWeb(h.o.web);
  const serveFile =
    (name: string) =>
    (res: HttpResponse): void => {
      const f = files.get(name);
      if (!f) {
        res.writeStatus('404 Not Found').end('not found');
        return;
      }
      res.writeStatus('200 OK').writeHeader('content-type', f.type).writeHeader('cache-control', 'no-cache').end(f.body);
    };
  app.get('/', serveFile('index.html'));
  app.get('/dashboard', serveFile('dashboard.html'));
  app.get('/assets/:file', (res, req) => serveFile(`assets/${req.getParameter(0) ?? ''}`)(res));
  app.get('/stats', (res, req) => {
    if (!mayRead(res, req)) return;
    const w = h.world.sim.world,
      mem = process.memoryUsage(),
      step = quantiles(steps.world);
    const shards = w.counts().map((c, k) => {
      const q = quantiles(steps.shards[k] ?? []);
      return { ...c, stepMsP50: q.p50, stepMsP99: q.p99, stepMsMax: q.max };
    });
    sendJson(
      res,
      '200 OK',
      {
        ...h.figures(),
        stepMsP50: step.p50,
        stepMsP99: step.p99,
        // mean ms a tick by phase over the window (means add up to the mean tick; quantiles do not)
        phaseMsMean: Object.fromEntries(TICK_PHASES.map((p, k) => [p, mean(steps.phases[k] ?? [])])),
        handoffs: w.handoffs,
        shards,
        rss: mem.rss,
        heapUsed: mem.heapUsed,
        atMs: Date.now(),
        ...h.o.moreStats?.(),
      },
      { 'cache-control': 'no-cache' },
    );
  });
  app.get('/world', (res, req) => {
    if (!mayRead(res, req)) return;
    const w = h.world.sim.world;
    sendJson(res, '200 OK', {
      stream: h.o.worldStream,
      tickRate: h.o.tickRate,
      partition: w.partition,
      shards: w.shardCount,
      cellSize: h.world.interest.cellSize,
    });
  });
  // what a predicting client rebuilds locally (docs/protocol.md section 19, predict-world.ts)
  app.get('/predict', (res, req) => {
    if (!mayRead(res, req)) return;
    let body: ReturnType<typeof predictWorld>;
    try {
      body = predictWorld(h);
    } catch (e) {
      // e.g. a world whose records this process does not hold: the client predicts nothing
      sendJson(res, '500 Internal Server Error', errorBody(ERROR.INTERNAL, `cannot describe the world for prediction: ${(e as Error).message}`));
      return;
    }
    sendJson(res, '200 OK', body);
  });
  // an object's script as source (module comment)
  app.get('/objects/:id/script', (res, req) => {
    if (!mayRead(res, req)) return;
    let id = '';
    try {
      id = decodeURIComponent(req.getParameter(0) ?? '');
    } catch {
      // a malformed %-escape: not an object id (400 below)
    }
    const body = decodeHandle(id);
    if (body === null) {
      sendJson(res, '400 Bad Request', errorBody(ERROR.BAD_VALUE, 'the object id is "slot:generation"'));
      return;
    }
    const sim = h.world.sim;
    if (!sim.world.handles().includes(body)) {
      sendJson(res, '404 Not Found', errorBody(ERROR.NOT_FOUND, `no object ${encodeHandle(body)} in the world`));
      return;
    }
    const info = sim.scripts?.info(body) ?? null;
    if (!info) {
      sendJson(res, '404 Not Found', errorBody(ERROR.NO_SCRIPT, `object ${encodeHandle(body)} has no script`));
      return;
    }
    sendJson(
      res,
      '200 OK',
      {
        object: encodeHandle(body),
        version: info.version,
        tick: info.tick,
        by: info.by,
        admin: info.admin,
        suspended: info.suspended,
        source: info.source,
      },
      { 'cache-control': 'no-cache' },
    );
  });
  app.get('/metrics', (res, req) => {
    if (!h.o.publicMetrics && !mayRead(res, req, true)) return;
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    const m = h.o.metrics;
    if (!m) {
      res.writeStatus('404 Not Found').end('no metrics on this host');
      return;
    }
    m().then(
      (x) => {
        if (!aborted) res.cork(() => res.writeStatus('200 OK').writeHeader('content-type', x.contentType).end(x.body));
      },
      (e: Error) => {
        if (!aborted) res.cork(() => res.writeStatus('500 Internal Server Error').end(e.message));
      },
    );
  });
}

/** The files of a built web directory by route name (index.html, dashboard.html, assets/<file>), with their content types. */
function loadWeb(dir: string | undefined): Map<string, { type: string; body: Buffer }> {
  const out = new Map<string, { type: string; body: Buffer }>();
  if (!dir || !existsSync(dir)) return out;
  const type = (f: string): string =>
    ({
      '.html': 'text/html; charset=utf-8',
      '.js': 'text/javascript; charset=utf-8',
      '.css': 'text/css; charset=utf-8',
      '.map': 'application/json',
      '.png': 'image/png',
      '.wasm': 'application/wasm',
    })[extname(f)] ?? 'application/octet-stream';
  for (const f of ['index.html', 'dashboard.html']) if (existsSync(join(dir, f))) out.set(f, { type: type(f), body: readFileSync(join(dir, f)) });
  const assets = join(dir, 'assets');
  if (existsSync(assets)) for (const f of readdirSync(assets)) out.set(`assets/${f}`, { type: type(f), body: readFileSync(join(assets, f)) });
  return out;
}

/** Appends `x` to `xs`, keeping the newest `n`. */
export function keepLast(xs: number[], x: number, n: number): void {
  xs.push(x);
  if (xs.length > n) xs.splice(0, xs.length - n);
}

/** The mean of `xs` (0 for none). */
function mean(xs: readonly number[]): number {
  let t = 0;
  for (const x of xs) t += x;
  return xs.length ? t / xs.length : 0;
}

/** Median, 99th percentile and maximum of `xs` (0 for none). */
export function quantiles(xs: readonly number[]): { p50: number; p99: number; max: number } {
  const t = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => (t.length ? t[Math.min(t.length - 1, Math.floor(p * t.length))] : 0);
  return { p50: q(0.5), p99: q(0.99), max: t.length ? t[t.length - 1] : 0 };
}
