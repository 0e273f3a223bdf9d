/**
 * A log recorded from `tessera serve` with bot players (walking across shard borders, chatting,
 * throwing spheres), replayed through shard processes over NATS: the world hash after every
 * tick equals the hash the live server stored in its log, on 2 and on 4 processes, as it does
 * for the in-process replay (invariant 1: live vs replay, now across processes).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BotRun } from '../src/bots';
import { ClusterCoordinator } from '../src/cluster/coordinator';
import { SqliteStore } from '../src/persist/sqlite-store';
import { loadSceneWithAssets, sceneSetup } from '../src/scene';
import { replayLog } from '../src/sim/replay';
import { ScriptEngine } from '../src/script/engine';
import type { StreamEvent } from '../src/protocol/messages';
import { startServe } from './helpers/child-host';
import { natsUrl, uniqueWorld } from './helpers/nats';
import { startShards, stopShards } from './helpers/shard-processes';

jest.setTimeout(180_000);

/** The demo (its door, swing and hulls run in the shard processes too). */
const DEMO_CLUSTER = join(__dirname, '..', 'scenes', 'demo.json');

let dir: string;
let log: { events: StreamEvent[]; hashes: string[] };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-cluster-replay-'));
  const s = startServe(['--port', '0', '--data', dir, '--workers', '0', '--snapshot-every', '100000', '--scene', DEMO_CLUSTER]);
  try {
    const { port } = await s.listening;
    const run = new BotRun({
      url: `ws://127.0.0.1:${port}/ws`,
      count: 8,
      durationSec: 6,
      rampPerSec: 50,
      progressEverySec: 0,
      chatEverySec: 1,
      throwEverySec: 1,
    }).start();
    const summary = await run.done;
    expect(summary.everConnected).toBe(8);
    expect(summary.throws).toBeGreaterThan(0);
    s.kill('SIGTERM');
    expect(await s.exit).toBe(0);
  } finally {
    s.kill('SIGKILL');
  }
  const store = SqliteStore.open(join(dir, 'tessera.sqlite'));
  try {
    const ticks = store.ticksFrom('world', 0);
    log = { events: ticks.flatMap((t) => t.events), hashes: ticks.map((t) => t.hash) };
  } finally {
    store.close();
  }
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the recorded log holds the bots: joins, walks, throws and chat', () => {
  expect(log.hashes.length).toBeGreaterThan(100);
  const types = new Set(log.events.map((e) => e.type));
  for (const t of ['_c', 'in', 'sp', 'ch']) expect(types).toContain(t);
});

test.each([2, 4])('replayed through %i shard processes, every tick has the hash the live server logged', async (processes) => {
  const url = await natsUrl();
  const world = uniqueWorld('replay');
  const shards = startShards(
    url,
    world,
    Array.from({ length: processes }, (_, i) => ({ id: `r${i}` })),
  );
  let coordinator: ClusterCoordinator | null = null;
  const setup = sceneSetup(await loadSceneWithAssets(DEMO_CLUSTER));
  setup.shardOptions = { exchange: 'tick' };
  // the demo's object scripts re-run in the replay, as serve ran them (checkpoints at --snapshot-every)
  setup.scripts = { engine: await ScriptEngine.create(0), checkpointEvery: 100000 };
  const got: string[] = [];
  try {
    await replayLog(
      setup,
      log.events,
      log.hashes.length,
      (r) => {
        got.push(r.hash.toString(16));
      },
      async (w) => {
        coordinator = await ClusterCoordinator.start(w, { nats: url, world, processes });
      },
    );
    expect(got.length).toBe(log.hashes.length);
    const first = got.findIndex((h, t) => h !== log.hashes[t]);
    expect(first).toBe(-1);
    const d = await (coordinator as unknown as ClusterCoordinator).details();
    expect(new Set(d.hosts).size).toBe(processes);
  } finally {
    await (coordinator as ClusterCoordinator | null)?.close();
    await stopShards(shards);
  }
});
