/**
 * The main job as an operator runs it: `tessera serve` from build/dist in its own process (the
 * README's run command without the build), /healthz, /metrics, a client seeing the demo world,
 * SIGTERM flushing persistence, a restart continuing at the same tick, `tessera inspect` and
 * `tessera replay` on its database, and configuration errors as one line with exit code 2.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeClient } from '../src/client/node';
import pino from 'pino';
import { resolveConfig, ConfigError, DEFAULT_SERVE, serve } from '../src/serve';
import { parseScene, SceneError } from '../src/scene';
import { request, waitFor } from './helpers/net';
import { builtCli, startServe } from './helpers/child-host';

test('configuration: flags over environment over file over defaults, each value checked with its source named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-cfg-'));
  try {
    const file = join(dir, 'tessera.json');
    writeFileSync(file, JSON.stringify({ port: 7000, workers: 1, logLevel: 'warn' }));
    const cfg = resolveConfig({ port: '7100' }, { TESSERA_PORT: '7200', TESSERA_WORKERS: '3', TESSERA_GUESTS: 'off' }, file);
    expect(cfg).toMatchObject({ port: 7100, workers: 3, guests: false, logLevel: 'warn', data: DEFAULT_SERVE.data });
    expect(resolveConfig({}, {})).toEqual(DEFAULT_SERVE);
    const err = (f: () => unknown): string => {
      try {
        f();
        return 'ok';
      } catch (e) {
        return e instanceof ConfigError ? e.message : String(e);
      }
    };
    expect(err(() => resolveConfig({}, { TESSERA_PORT: '99999' }))).toMatch(/port \(from TESSERA_PORT\): must be an integer 0..65535/);
    expect(err(() => resolveConfig({ snapshotEvery: 'often' }, {}))).toMatch(/snapshotEvery \(from --snapshot-every\)/);
    expect(err(() => resolveConfig({ logLevel: 'loud' }, {}))).toMatch(/logLevel.*one of fatal/);
    writeFileSync(file, JSON.stringify({ prot: 1 }));
    expect(err(() => resolveConfig({}, {}, file))).toMatch(/prot .*unknown setting/);
    expect(err(() => resolveConfig({}, {}, join(dir, 'missing.json')))).toMatch(/config \(from --config/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('scene files are checked with the field at fault named', () => {
  const good = { format: 'tessera.scene.v1', world: { capacity: 100, tickRate: 20 }, spawnPoints: [[0, 1, 0]] };
  expect(parseScene(good).world.capacity).toBe(100);
  const msg = (s: unknown): string => {
    try {
      parseScene(s);
      return 'ok';
    } catch (e) {
      return e instanceof SceneError ? e.message : String(e);
    }
  };
  expect(msg({ ...good, format: 'v0' })).toMatch(/format/);
  expect(msg({ ...good, spawnPoints: [] })).toMatch(/spawnPoints/);
  expect(msg({ ...good, piles: [{ center: [0, 0, 0], layers: 0, radius: 0.3 }] })).toMatch(/piles\[0\]\.layers/);
  expect(msg({ ...good, statics: [{ box: { center: [0, 0, 0], half: [1, 'x', 1] } }] })).toMatch(/statics\[0\]\.box\.half/);
  expect(msg({ ...good, ballPits: [{ min: [0, 0], max: [9, 9], count: 500, radius: 0.2 }] })).toMatch(/world\.capacity: the scene has 504 bodies/);
});

test('tessera serve: the demo world, /metrics, SIGTERM flushes, a restart continues; inspect and replay read its database', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-serve-'));
  const running: Array<ReturnType<typeof startServe>> = [];
  try {
    const a = startServe(['--port', '0', '--data', dir, '--workers', '2', '--snapshot-every', '50']);
    running.push(a);
    const { port } = await a.listening;
    const health = await request('GET', `http://127.0.0.1:${port}/healthz`);
    expect(health.json.ok).toBe(true);
    const c = createNodeClient({ url: `ws://127.0.0.1:${port}/ws`, token: 'guest', privateId: 'op', reconnect: { enabled: false } });
    await c.connect();
    await waitFor(() => (c.state?.bodies.size ?? 0) > 100, 5000, 'the demo world in view');
    c.close();
    const metrics = await new Promise<string>((resolve) => {
      void import('node:http').then(({ get }) =>
        get(`http://127.0.0.1:${port}/metrics`, (res) => {
          let t = '';
          res.on('data', (d) => {
            t += d;
          });
          res.on('end', () => resolve(t));
        }),
      );
    });
    expect(metrics).toMatch(/tessera_tick_seconds_bucket\{le="0.05"\} \d+/);
    expect(metrics).toMatch(/tessera_shard_bodies\{shard="3"\} \d+/);
    expect(metrics).toMatch(/tessera_process_resident_memory_bytes \d+/);
    // each shard times its own step on its worker (the dashboard's per-shard plots): one observation
    // per tick (polled until more than 15 ticks are counted: a loaded machine ticks slower)
    let later = '';
    for (const end = Date.now() + 20_000; Date.now() < end; await new Promise((r) => setTimeout(r, 200))) {
      later = (await request('GET', `http://127.0.0.1:${port}/metrics`)).json as string;
      if (Number(/tessera_shard_step_seconds_count\{shard="3"\} (\d+)/.exec(later)?.[1]) > 20) break; // (and the stop below comes after tick 20)
    }
    expect(Number(/tessera_shard_step_seconds_count\{shard="3"\} (\d+)/.exec(later)?.[1])).toBeGreaterThan(15);
    // where the ticks' time went (tessera_tick_phase_seconds): every phase observed once a tick, and
    // the phases add up to the tick time
    const num = (re: RegExp): number => Number(re.exec(later)?.[1]);
    const ticksCounted = num(/^tessera_tick_seconds_count (\d+)$/m),
      tickSeconds = num(/^tessera_tick_seconds_sum (\S+)$/m);
    let phaseSeconds = 0;
    for (const p of ['apply', 'persist', 'index', 'fanout', 'other']) {
      expect({ p, count: num(new RegExp(`^tessera_tick_phase_seconds_count\\{phase="${p}"\\} (\\d+)$`, 'm')) }).toEqual({ p, count: ticksCounted });
      const sec = num(new RegExp(`^tessera_tick_phase_seconds_sum\\{phase="${p}"\\} (\\S+)$`, 'm'));
      if (p !== 'other') expect({ p, positive: sec > 0 }).toEqual({ p, positive: true });
      phaseSeconds += sec;
    }
    expect(Math.abs(phaseSeconds - tickSeconds)).toBeLessThan(1e-6 * ticksCounted + 0.01 * tickSeconds);
    const stats = (await request('GET', `http://127.0.0.1:${port}/stats`)).json as {
      shards: Array<{ stepMsP50: number; stepMsP99: number; stepMsMax: number }>;
      phaseMsMean: Record<string, number>;
    };
    expect(stats.shards).toHaveLength(4);
    // the dashboard's tick-by-phase plot: the mean of each phase over the window
    expect(Object.keys(stats.phaseMsMean)).toEqual(['apply', 'persist', 'index', 'fanout', 'other']);
    expect(stats.phaseMsMean.apply).toBeGreaterThan(0);
    expect(stats.phaseMsMean.persist).toBeGreaterThan(0);
    for (const sh of stats.shards) {
      expect(sh.stepMsP50).toBeGreaterThan(0);
      expect(sh.stepMsP99).toBeGreaterThanOrEqual(sh.stepMsP50);
      expect(sh.stepMsMax).toBeLessThan(1000);
    }
    a.kill('SIGTERM');
    expect(await a.exit).toBe(0);
    const stopped = a.lines.map((l) => JSON.parse(l) as { msg: string; tick: number; hash: string }).find((j) => j.msg === 'stopped')!;
    expect(stopped.tick).toBeGreaterThan(20);

    const b = startServe(['--port', '0', '--data', dir, '--workers', '1']);
    running.push(b);
    expect((await b.listening).tick).toBe(stopped.tick); // same tick after the restart (1 worker now)
    b.kill('SIGINT');
    expect(await b.exit).toBe(0);

    const inspect = spawnSync(process.execPath, [builtCli(), 'inspect', dir], { encoding: 'utf8' });
    expect(inspect.status).toBe(0);
    const summary = JSON.parse(inspect.stdout) as { tick: number; physics: { shards: number }; clientsKnown: number };
    expect(summary.physics.shards).toBe(4);
    expect(summary.clientsKnown).toBe(1);
    const replay = spawnSync(process.execPath, [builtCli(), 'replay', dir, '--every', '100'], { encoding: 'utf8' });
    expect(replay.stdout).toMatch(/ticks replayed, every hash equals the log/);
    expect(replay.status).toBe(0);
  } finally {
    for (const p of running) p.kill('SIGKILL'); // a failed expectation must not leave a server running (jest would wait on it)
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

test('bad settings stop serve with one line and exit code 2', () => {
  const r = spawnSync(process.execPath, [builtCli(), 'serve', '--port', '99999'], { encoding: 'utf8' });
  expect(r.status).toBe(2);
  expect(r.stderr.trim()).toBe('tessera: port (from --port): must be an integer 0..65535, got "99999"');
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bad-'));
  try {
    writeFileSync(join(dir, 'scene.json'), JSON.stringify({ format: 'tessera.scene.v1', world: { capacity: 10, tickRate: 20 }, spawnPoints: [[0, 1, 0]] }));
    const s = spawnSync(process.execPath, [builtCli(), 'serve', '--port', '0', '--data', dir, '--scene', join(dir, 'scene.json')], { encoding: 'utf8' });
    expect(s.status).toBe(2);
    expect(s.stderr).toMatch(/scene world\.capacity: must be an integer in 16\.\.1000000/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('operations settings (issue 15): shard step timeout, temporary-admin X and Y, retention, limit buckets; each checked with its source', () => {
  const cfg = resolveConfig(
    { shardStepTimeoutMs: '400', tempAdminAbsentDays: '10' },
    { TESSERA_TEMP_ADMIN_RECENT_DAYS: '2', TESSERA_LOG_RETENTION_DAYS: '0', TESSERA_AUTH_MAX_BUCKETS: '5000' },
  );
  expect(cfg).toMatchObject({
    shardStepTimeoutMs: 400,
    tempAdminAbsentDays: 10,
    tempAdminRecentDays: 2,
    logRetentionDays: 0,
    chatRetentionDays: 90,
    authMaxBuckets: 5000,
  });
  expect(DEFAULT_SERVE.shardStepTimeoutMs).toBeLessThanOrEqual(2000);
  const err = (f: () => unknown): string => {
    try {
      f();
      return 'ok';
    } catch (e) {
      return e instanceof ConfigError ? e.message : String(e);
    }
  };
  expect(err(() => resolveConfig({ tempAdminAbsentDays: '0' }, {}))).toMatch(
    /tempAdminAbsentDays \(from --temp-admin-absent-days\): must be an integer 1..3650/,
  );
  expect(err(() => resolveConfig({}, { TESSERA_CHAT_RETENTION_DAYS: '-1' }))).toMatch(/chatRetentionDays \(from TESSERA_CHAT_RETENTION_DAYS\)/);
  const r = spawnSync(process.execPath, [builtCli(), 'serve', '--shard-step-timeout-ms', '10'], { encoding: 'utf8' });
  expect(r.status).toBe(2);
  expect(r.stderr.trim()).toBe('tessera: shardStepTimeoutMs (from --shard-step-timeout-ms): must be an integer 50..60000, got "10"');
});

test('serve: a dead shard worker is logged as a fault and counted in tessera_shard_recoveries_total; the world goes on', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-serve-ops-'));
  const lines: Array<{ msg: string; code?: string; tick?: number; level: number }> = [];
  const log = pino(
    { level: 'info' },
    {
      write: (l: string) => {
        lines.push(JSON.parse(l));
      },
    },
  );
  const s = await serve(
    resolveConfig({ port: '0', data: dir, workers: '2', shardStepTimeoutMs: '300', scene: join(__dirname, '..', 'scenes', 'demo.json') }, {}),
    log,
  );
  try {
    expect(s.host.world.sim.world.stepTimeoutMs).toBe(300);
    await waitFor(() => s.host.world.stream.tick > 5, 10_000, 'ticks');
    s.host.world.sim.world.pool!.killWorker(0);
    await waitFor(() => lines.some((l) => l.msg.startsWith('shard worker fault')), 10_000, 'the fault logged');
    expect(lines.find((l) => l.msg.startsWith('shard worker fault'))).toMatchObject({ level: 40, code: 'SHARD_TIMEOUT' });
    const at = s.host.world.stream.tick;
    await waitFor(() => s.host.world.stream.tick > at + 5, 10_000, 'ticks after the recovery');
    const metrics = (await request('GET', `http://127.0.0.1:${s.host.port}/metrics`)).json as string;
    expect(metrics).toMatch(/^# TYPE tessera_shard_recoveries_total counter$/m);
    expect(Number(/^tessera_shard_recoveries_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
  } finally {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
