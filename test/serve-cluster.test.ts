/**
 * `tessera serve`'s cluster settings (src/serve.ts): cluster, clusterWorld, clusterProcesses and
 * clusterStandbys from flags, TESSERA_* variables and the config file, each checked with its
 * source named, and the combinations that cannot work refused; and the cluster figures of
 * /metrics and /stats (src/net/cluster-metrics.ts) from a coordinator's counters.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { resolveConfig, ConfigError, DEFAULT_SERVE, serve } from '../src/serve';
import { ClusterWatch, type ClusterSource } from '../src/net/cluster-metrics';
import type { CoordinatorStats } from '../src/cluster/coordinator';
import { makeClusterKeys } from '../src/cluster/auth';
import { builtCli } from './helpers/child-host';
import { natsUrl, uniqueWorld } from './helpers/nats';

const err = (f: () => unknown): string => {
  try {
    f();
    return 'ok';
  } catch (e) {
    return e instanceof ConfigError ? e.message : String(e);
  }
};

test('cluster settings: flags over environment over file, defaults, workers become 0', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-cluster-cfg-'));
  try {
    expect(DEFAULT_SERVE).toMatchObject({ cluster: '', clusterWorld: 'main', clusterProcesses: 2, clusterStandbys: 0, clusterJoinTimeoutMs: 30_000 });
    // no cluster: the worker default stands
    expect(resolveConfig({}, {}).workers).toBe(DEFAULT_SERVE.workers);
    const a = resolveConfig({ cluster: 'nats://127.0.0.1:4222' }, {});
    expect(a).toMatchObject({ cluster: 'nats://127.0.0.1:4222', clusterWorld: 'main', clusterProcesses: 2, clusterStandbys: 0, workers: 0 });
    const b = resolveConfig(
      { clusterProcesses: '4' },
      { TESSERA_CLUSTER: 'tls://b:4222', TESSERA_CLUSTER_WORLD: 'big_world-2', TESSERA_CLUSTER_PROCESSES: '3', TESSERA_CLUSTER_STANDBYS: '1' },
    );
    expect(b).toMatchObject({ cluster: 'tls://b:4222', clusterWorld: 'big_world-2', clusterProcesses: 4, clusterStandbys: 1, workers: 0 });
    const file = join(dir, 'tessera.json');
    writeFileSync(file, JSON.stringify({ cluster: 'nats://10.0.0.5:4222', clusterProcesses: 4, workers: 0 }));
    expect(resolveConfig({}, {}, file)).toMatchObject({ cluster: 'nats://10.0.0.5:4222', clusterProcesses: 4, workers: 0 });
    // an explicit 0 workers with a cluster is fine; an empty cluster is off
    expect(resolveConfig({ cluster: 'nats://h:1', workers: '0' }, {}).workers).toBe(0);
    expect(resolveConfig({ cluster: '' }, {}).cluster).toBe('');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cluster settings: bad values and combinations are refused with the setting and its source named', () => {
  const on = { cluster: 'nats://127.0.0.1:4222' };
  expect(err(() => resolveConfig({ cluster: 'http://127.0.0.1:4222' }, {}))).toMatch(
    /^cluster \(from --cluster\): must be NATS URLs .*"http:\/\/127.0.0.1:4222" is not one/,
  );
  expect(err(() => resolveConfig({ cluster: 'nats://' }, {}))).toMatch(/^cluster \(from --cluster\): must be NATS URLs/);
  // several servers of one NATS cluster, comma separated; each must be a NATS URL
  expect(resolveConfig({}, { TESSERA_CLUSTER: 'nats://a:1, nats://b:2' }).cluster).toBe('nats://a:1,nats://b:2');
  expect(err(() => resolveConfig({}, { TESSERA_CLUSTER: 'nats://a:1,b:2' }))).toMatch(
    /^cluster \(from TESSERA_CLUSTER\): must be NATS URLs separated by commas .*"b:2" is not one/,
  );
  expect(err(() => resolveConfig({ ...on, clusterWorld: 'my.world' }, {}))).toMatch(/^clusterWorld \(from --cluster-world\): must be 1 to 64 letters/);
  expect(err(() => resolveConfig({ ...on, clusterProcesses: '0' }, {}))).toMatch(/^clusterProcesses \(from --cluster-processes\): must be an integer 1..1024/);
  expect(err(() => resolveConfig({ ...on, clusterJoinTimeoutMs: '10' }, {}))).toMatch(
    /^clusterJoinTimeoutMs \(from --cluster-join-timeout-ms\): must be an integer 1000..3600000/,
  );
  expect(err(() => resolveConfig({ clusterJoinTimeoutMs: '5000' }, {}))).toMatch(
    /^clusterJoinTimeoutMs \(from --cluster-join-timeout-ms\): is a cluster setting/,
  );
  expect(err(() => resolveConfig({ ...on, clusterNkey: '/nonexistent/coordinator.nk' }, {}))).toMatch(
    /^clusterNkey \(from --cluster-nkey\): NATS key file \/nonexistent\/coordinator.nk: no such file/,
  );
  const keyDir = mkdtempSync(join(tmpdir(), 'tessera-serve-keys-'));
  try {
    const keys = makeClusterKeys({ world: 'main', ids: ['a'], dir: keyDir });
    expect(resolveConfig({ ...on, clusterNkey: keys.seeds.coordinator }, {}).clusterNkey).toBe(keys.seeds.coordinator);
    expect(err(() => resolveConfig({}, { TESSERA_CLUSTER_NKEY: keys.seeds.coordinator }))).toMatch(
      /^clusterNkey \(from TESSERA_CLUSTER_NKEY\): is a cluster setting/,
    );
  } finally {
    rmSync(keyDir, { recursive: true, force: true });
  }
  expect(err(() => resolveConfig(on, { TESSERA_CLUSTER_STANDBYS: '-1' }))).toMatch(
    /^clusterStandbys \(from TESSERA_CLUSTER_STANDBYS\): must be an integer 0..1024/,
  );
  expect(err(() => resolveConfig({ ...on, workers: '2' }, {}))).toMatch(
    /^workers \(from --workers\): must be 0 with cluster \(from --cluster\): a cluster world's shards run in the shard processes/,
  );
  expect(err(() => resolveConfig({ workers: '2' }, { TESSERA_CLUSTER: on.cluster }))).toMatch(
    /^workers \(from --workers\): must be 0 with cluster \(from TESSERA_CLUSTER\)/,
  );
  // a cluster setting without a cluster is a mistake, not silently ignored
  expect(err(() => resolveConfig({ clusterProcesses: '4' }, {}))).toMatch(/^clusterProcesses \(from --cluster-processes\): is a cluster setting: set cluster/);
  expect(err(() => resolveConfig({}, { TESSERA_CLUSTER_WORLD: 'w' }))).toMatch(/^clusterWorld \(from TESSERA_CLUSTER_WORLD\): is a cluster setting/);
});

test('serve refuses more shard processes than the scene has regions, before it opens anything', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-cluster-regions-'));
  try {
    const demo = JSON.parse(readFileSync(join(__dirname, '..', 'scenes', 'demo.json'), 'utf8'));
    const scene = join(dir, 'two.json');
    writeFileSync(scene, JSON.stringify({ ...demo, partition: { xCuts: [0], zCuts: [] } }));
    cpSync(join(__dirname, '..', 'scenes', 'assets'), join(dir, 'assets'), { recursive: true }); // the demo's heightmap, relative to the scene
    cpSync(join(__dirname, '..', 'scenes', 'scripts'), join(dir, 'scripts'), { recursive: true }); // and its object scripts
    const data = join(dir, 'data');
    const cfg = resolveConfig({ cluster: 'nats://127.0.0.1:1', clusterProcesses: '3', scene, data, logLevel: 'silent' }, {});
    await expect(serve(cfg)).rejects.toThrow(
      /clusterProcesses \(from the scene .*two\.json\): 3 shard processes but the scene's partition has 2 region\(s\): use at most 2/,
    );
    // and from the command line: one line, exit code 2
    const r = spawnSync(process.execPath, [builtCli(), 'serve', '--cluster', 'http://x:4222', '--data', data], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^tessera: cluster \(from --cluster\): must be NATS URLs/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serve with a NATS server it cannot reach stops with a ConfigError naming it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-cluster-nonats-'));
  try {
    // port 1 on loopback: nothing listens there
    const scene = join(__dirname, '..', 'scenes', 'demo.json');
    const cfg = resolveConfig({ cluster: 'nats://127.0.0.1:1', scene, data: dir, logLevel: 'silent', port: '0' }, {});
    await expect(serve(cfg)).rejects.toThrow(/^cluster \(from nats:\/\/127\.0\.0\.1:1\): cannot reach NATS/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('shard processes that do not join in clusterJoinTimeoutMs stop serve with one line saying what to start, exit code 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-cluster-join-'));
  try {
    const nats = await natsUrl();
    const world = uniqueWorld('join');
    const r = spawnSync(
      process.execPath,
      [
        builtCli(),
        'serve',
        '--cluster',
        nats,
        '--cluster-world',
        world,
        '--cluster-join-timeout-ms',
        '1000',
        '--data',
        dir,
        '--port',
        '0',
        '--log-level',
        'warn',
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^tessera: clusterProcesses \\(from world ${world}\\): cluster coordinator: 0 of 2 shard processes joined world ${world} within 1000 ms \\(none\\); start them \\(tessera shard --nats ${nats} --world ${world} --id NAME\\)`,
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cluster figures: tessera_cluster_* counters follow the coordinator, regions grouped by process for /stats', async () => {
  const s: CoordinatorStats = {
    ticks: 10,
    failovers: 0,
    lastStallMs: 0,
    maxStallMs: 0,
    rejected: 0,
    orderBytes: 1000,
    resultBytes: 5000,
    resendRequestsDropped: 7,
    noLiveWaits: 0,
  };
  let d = { rejected: {} as Record<string, number>, hosts: ['p1', 'p2', 'p1', 'p2'], epochs: ['1', '2', '3', '4'] };
  const source: ClusterSource = { stats: () => ({ ...s }), details: async () => d };
  const registry = new Registry();
  const w = new ClusterWatch(source, 'main', registry);
  await w.start(60_000);
  try {
    const text = async (): Promise<string> => registry.metrics();
    let m = await text();
    expect(m).toMatch(/^tessera_cluster_ticks_total 10$/m);
    expect(m).toMatch(/^tessera_cluster_order_bytes_total 1000$/m);
    expect(m).toMatch(/^tessera_cluster_result_bytes_total 5000$/m);
    expect(m).toMatch(/^tessera_cluster_resend_requests_dropped_total 7$/m);
    expect(m).toMatch(/^tessera_cluster_processes 2$/m);
    expect(m).toMatch(/^tessera_cluster_regions\{process="p1"\} 2$/m);
    expect(w.figures().processes).toEqual([
      { id: 'p1', regions: [0, 2], epochs: ['1', '3'] },
      { id: 'p2', regions: [1, 3], epochs: ['2', '4'] },
    ]);
    // p2 fails: its regions move to p1 under new epochs, a stall is recorded, a stale Result refused
    // (before that, both looked dead for a while: the tick waited instead of failing)
    Object.assign(s, { ticks: 25, failovers: 2, lastStallMs: 800, maxStallMs: 800, rejected: 1, noLiveWaits: 3 });
    d = { rejected: { STALE_EPOCH: 1 }, hosts: ['p1', 'p1', 'p1', 'p1'], epochs: ['1', '5', '3', '6'] };
    await (w as unknown as { refresh(): Promise<void> }).refresh();
    m = await text();
    expect(m).toMatch(/^tessera_cluster_ticks_total 25$/m);
    expect(m).toMatch(/^tessera_cluster_failovers_total 2$/m);
    expect(m).toMatch(/^tessera_cluster_no_live_waits_total 3$/m);
    expect(m).toMatch(/^tessera_cluster_stall_seconds\{which="max"\} 0.8$/m);
    expect(m).toMatch(/^tessera_cluster_rejected_total\{code="STALE_EPOCH"\} 1$/m);
    expect(m).toMatch(/^tessera_cluster_processes 1$/m);
    expect(m).toMatch(/^tessera_cluster_regions\{process="p1"\} 4$/m);
    expect(m).not.toMatch(/process="p2"/);
    expect(w.figures()).toMatchObject({
      world: 'main',
      ticks: 25,
      failovers: 2,
      rejectedByCode: { STALE_EPOCH: 1 },
      processes: [{ id: 'p1', regions: [0, 1, 2, 3] }],
    });
  } finally {
    w.stop();
  }
});
