/**
 * The cluster benchmark (bench/cluster/run-cluster.ts, `npm run bench:cluster`) end to end on a
 * tiny world through the compiled runner (build/dist): every configuration row runs (the delayed
 * NATS row in network namespaces behind delay proxies, or is recorded as skipped with "no
 * namespaces" where there are none), ends on the core's hash and carries the byte and handoff
 * figures; the handoff job reaches its target with its own count equal to the shards' counter, no
 * body lost or duplicated, and the core's hash. No timing is asserted.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HandoffResult, TickResult } from '../bench/cluster/cluster-jobs';
import { probeNamespaces } from '../bench/cluster/netns';

jest.setTimeout(180_000);
const RUNNER = join(__dirname, '..', 'build', 'dist', 'bench', 'cluster', 'run-cluster.js');

test('a tiny bench:cluster run: every row equals the core, counts bytes and handoffs; 1,500 handoffs counted independently', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-cluster-'));
  try {
    const out = join(dir, 'cluster.json');
    // biome-ignore format: the flags read better as two lines of pairs
    const args = [RUNNER, '--scenes', 'rain', '--sizes', '600', '--delays', '0,0.2', '--warmup-for', '600=3', '--timed-for', '600=6',
      '--handoffs', '1500', '--handoff-bodies', '600', '--handoff-per-tick', '60', '--out', out];
    const log = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, args, { timeout: 170_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout),
      ),
    );
    const f = JSON.parse(readFileSync(out, 'utf8')) as { ticks: TickResult[]; handoffs: HandoffResult[]; namespaces: string };
    const md = readFileSync(out.replace(/\.json$/, '.md'), 'utf8');
    expect(f.ticks.map((r) => `${r.config}${r.delayMs ?? ''}`)).toEqual(['core', 'workers', 'nats0', 'nats0.2']);
    const core = f.ticks[0];
    const ns = probeNamespaces().ok;
    for (const r of f.ticks) {
      if (!ns && r.delayMs) {
        expect(r.status).toBe('skipped');
        expect(r.reason).toMatch(/no namespaces/);
        continue;
      }
      expect({ label: r.label, status: r.status, reason: r.reason }).toEqual({ label: r.label, status: 'ok', reason: undefined });
      expect(r.hash).toBe(core.hash);
      expect(r.medianMs).toBeGreaterThan(0);
      if (r.config === 'nats') {
        expect(r.resultBytesPerTick).toBeGreaterThan(0);
        expect(r.orderBytesPerTick).toBeGreaterThan(0);
        expect(r.resultBytesPerProcessTick).toBe((r.resultBytesPerTick as number) / 2);
        expect(r.rejected).toBe(0);
      }
      if (r.config !== 'core') expect(r.handoffsTotal).toBeGreaterThan(0); // rain crosses the cut
    }
    expect(f.handoffs).toHaveLength(1);
    const h = f.handoffs[0];
    expect(h.status).toBe('ok');
    expect(h.handoffsCounted).toBeGreaterThanOrEqual(1500);
    expect(h.handoffsCounted).toBe(h.handoffsShards);
    expect(h.violations).toBe(0);
    expect(h.hash).toBe(h.coreHash);
    expect(md).toContain('## Handoffs across processes');
    expect(log).toContain('wrote');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
