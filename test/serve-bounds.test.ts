/**
 * The host's bounds as `serve` settings (issue 15: "bounded state, with settings"): flag, TESSERA_*
 * variable or config file, each value checked with its source named; and one of them through the
 * built CLI end to end: `--max-clients 1` makes the running server refuse a second WebSocket.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig, ConfigError, DEFAULT_SERVE } from '../src/serve';
import { RawClient, request } from './helpers/net';
import { builtCli, startServe } from './helpers/child-host';

test('bounds settings: flags over environment, checked with their source', () => {
  const cfg = resolveConfig(
    { maxClients: '500', idleStreamMs: '30000', tokenCheckMs: '0' },
    {
      TESSERA_MAX_JOINS_PER_SECOND: '50',
      TESSERA_MAX_STREAMS: '10',
      TESSERA_MAX_STREAMS_PER_PRINCIPAL: '3',
      TESSERA_STREAM_RETAIN_TICKS: '400',
      TESSERA_MAX_FRAME_BYTES: '65536',
      TESSERA_MAX_CLIENTS: '9',
    },
  );
  expect(cfg).toMatchObject({
    maxClients: 500,
    maxJoinsPerSecond: 50,
    maxStreams: 10,
    maxStreamsPerPrincipal: 3,
    idleStreamMs: 30_000,
    streamRetainTicks: 400,
    tokenCheckMs: 0,
    maxFrameBytes: 65_536,
  });
  expect(DEFAULT_SERVE).toMatchObject({
    maxClients: 20_000,
    maxJoinsPerSecond: 200,
    maxStreams: 1000,
    maxStreamsPerPrincipal: 20,
    idleStreamMs: 60_000,
    streamRetainTicks: 1200,
    tokenCheckMs: 5000,
    maxFrameBytes: 1024 * 1024,
  });
  const err = (f: () => unknown): string => {
    try {
      f();
      return 'ok';
    } catch (e) {
      return e instanceof ConfigError ? e.message : String(e);
    }
  };
  expect(err(() => resolveConfig({ maxStreams: '0' }, {}))).toMatch(/maxStreams \(from --max-streams\): must be an integer 1..1000000/);
  expect(err(() => resolveConfig({}, { TESSERA_TOKEN_CHECK_MS: 'often' }))).toMatch(/tokenCheckMs \(from TESSERA_TOKEN_CHECK_MS\)/);
  const r = spawnSync(process.execPath, [builtCli(), 'serve', '--idle-stream-ms', '5'], { encoding: 'utf8' });
  expect(r.status).toBe(2);
  expect(r.stderr.trim()).toBe('tessera: idleStreamMs (from --idle-stream-ms): must be an integer 1000..86400000, got "5"');
});

test('tessera serve --max-clients 1: the second WebSocket is refused with 503 FULL', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-serve-bounds-'));
  const s = startServe(['--port', '0', '--data', dir, '--workers', '0', '--max-clients', '1']);
  try {
    const { port } = await s.listening;
    const first = new RawClient(`ws://127.0.0.1:${port}/ws`);
    expect(await first.opened).toBe(true);
    const second = new RawClient(`ws://127.0.0.1:${port}/ws`);
    expect(await second.opened).toBe(false);
    expect(second.upgradeStatus).toBe(503);
    first.close();
    await first.done;
    expect((await request('GET', `http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    s.kill('SIGTERM');
    expect(await s.exit).toBe(0);
  } finally {
    s.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
