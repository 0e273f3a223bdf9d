/**
 * End to end in headless Chromium (Debian's `chromium`, driven by playwright-core; .ci/run
 * installs it): `tessera serve` in its own process, the viewer at /: log in as guest, see
 * bodies move, the demo's door and swing drawn with their joints, walk the avatar across a shard border (its authority, and so its colour,
 * changes), throw a sphere, pick an object up under the ownership rules, send a chat line that
 * a second page receives, and screenshots that are not blank (checked on the canvas pixels).
 * The dashboard at /dashboard plots live figures. With TESSERA_SCREENSHOTS=<dir> the
 * screenshots are also written there (docs/ holds the committed ones).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { describeIfChromium, launchChromium } from './helpers/chromium';
import { startServe, type ServeProcess } from './helpers/child-host';
import { valuesDigest, type ViewerProbe } from '../web/viewer/probe';
import { loadHeightmap } from '../src/assets/heightmap';
import { TERRAIN_HEIGHTMAP, writeTerrainScene } from './helpers/terrain';

const shots = process.env.TESSERA_SCREENSHOTS;

/** What the page's probe holds once serialised (its function dropped). */
type Probe = Omit<ViewerProbe, 'setYaw'>;
const probe = (p: Page): Promise<Probe> =>
  p.evaluate(() => {
    const t = (window as unknown as { tessera: Probe }).tessera;
    return JSON.parse(JSON.stringify(t)) as Probe;
  });

async function until(p: Page, pred: (x: Probe) => boolean, ms: number, what: string): Promise<Probe> {
  const end = Date.now() + ms;
  for (;;) {
    const x = await probe(p);
    if (pred(x)) return x;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify({ ...x, chat: x.chat.slice(-3) })}`);
    await p.waitForTimeout(100);
  }
}

/** Distinct colours in a sample of the page's canvas pixels (a blank or single-colour frame has very few). */
const canvasColours = (p: Page, selector: string): Promise<number> =>
  p.evaluate((sel) => {
    const src = document.querySelector(sel) as HTMLCanvasElement;
    const c = document.createElement('canvas');
    c.width = 160;
    c.height = 90;
    const ctx = c.getContext('2d') as CanvasRenderingContext2D;
    ctx.drawImage(src, 0, 0, 160, 90);
    const d = ctx.getImageData(0, 0, 160, 90).data;
    const seen = new Set<number>();
    for (let i = 0; i < d.length; i += 4) seen.add(((d[i] >> 3) << 10) | ((d[i + 1] >> 3) << 5) | (d[i + 2] >> 3));
    return seen.size;
  }, selector);

describeIfChromium('the viewer and the dashboard in headless Chromium', () => {
  let dir = '',
    browser: Browser,
    server: ServeProcess | null = null,
    port = 0;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-e2e-'));
    server = startServe(['--port', '0', '--data', dir, '--log-level', 'info']);
    port = (await server.listening).port;
    browser = await launchChromium();
    if (shots) mkdirSync(shots, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    server?.kill('SIGTERM');
    await server?.exit;
    rmSync(dir, { recursive: true, force: true });
  });

  test('guest login, moving bodies, a walk across a shard border, a throw, a pick-up, chat between two pages, screenshots', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.click('#guest');
    const first = await until(page, (x) => x.connected && x.bodies > 100 && x.me !== null, 20_000, 'the world in view');
    // bodies move: the ball pit settles and avatars walk; some moving body's position changes between frames
    expect(first.moving).toBeGreaterThan(50);
    // the demo's two crate stacks (10 + 4 rotating boxes), its door and its swing's seat are drawn
    // (under the byte budget per client, docs/protocol.md 7.1, the view fills in over a few ticks)
    const boxed = await until(page, (x) => x.boxes >= 16, 20_000, 'the demo boxes');
    expect(boxed.boxes).toBe(16);
    // and their joints (protocol 3), placed on the interpolated bodies: the door's hinge to the
    // world (its anchors together, its axis upright) and the swing's two ropes (1.9 m) on the seat
    const jointed = await until(page, (x) => x.joints.length === 3, 10_000, 'the door and swing joints');
    const hinges = jointed.joints.filter((j) => j.kind === 'hinge'),
      ropes = jointed.joints.filter((j) => j.kind === 'distance');
    expect(hinges).toHaveLength(1);
    expect(hinges[0].b).toBeNull();
    expect(hinges[0].length).toBeLessThan(0.02);
    expect(hinges[0].axis?.[1]).toBeCloseTo(1, 2);
    expect(ropes).toHaveLength(2);
    expect(ropes[0].a).toBe(ropes[1].a);
    for (const r of ropes) {
      expect(r.b).toBeNull();
      expect(r.length).toBeGreaterThan(1.85);
      expect(r.length).toBeLessThan(1.92);
    }
    // the demo's three convex hulls, drawn from their vertices once their geometry arrived (shape 6, ServerGeometry)
    await until(page, (x) => x.hulls === 3, 10_000, 'the hulls drawn from their vertices');
    // and its two compounds (a dumbbell, a table), drawn from their children's triangles (shape 8, ServerGeometry)
    await until(page, (x) => x.compounds === 2, 10_000, 'the compounds drawn from their children');
    const t0 = first.tick;
    await until(page, (x) => x.tick > t0 + 10, 5000, 'ticks advancing');

    // walk across the nearer shard border (cuts at x = 0 and z = 0)
    const [x0, , z0] = first.me as [number, number, number];
    const alongX = Math.abs(x0) <= Math.abs(z0);
    const dir = (alongX ? x0 : z0) >= 0 ? -1 : 1;
    // forward = (-sin yaw, -cos yaw): east is yaw -pi/2, west pi/2, south (+z) pi, north (-z) 0
    const yaw = alongX ? (dir > 0 ? -Math.PI / 2 : Math.PI / 2) : dir > 0 ? Math.PI : 0;
    await page.evaluate((y) => (window as unknown as { tessera: { setYaw(y: number): void } }).tessera.setYaw(y), yaw);
    const shardBefore = first.meShard;
    await page.keyboard.down('w');
    const crossed = await until(
      page,
      (x) => x.me !== null && (alongX ? x.me[0] : x.me[2]) * dir > 2 && x.meShard !== shardBefore,
      20_000,
      'the avatar across the border',
    );
    await page.keyboard.up('w');
    expect(crossed.meShard).not.toBe(shardBefore);
    if (shots) writeFileSync(join(shots, 'viewer.png'), await page.screenshot());

    // throw a projectile: a new sphere appears
    const spheres = crossed.spheres;
    await page.mouse.click(640, 360);
    await until(page, (x) => x.spheres > spheres, 5000, 'the thrown sphere');
    // drop a sphere in front (F) and pick it up (E): the spawner is its owner, so it is carried at once
    const before = (await probe(page)).spheres;
    await page.keyboard.press('f');
    await until(page, (x) => x.spheres > before, 5000, 'the dropped sphere');
    await until(page, (x) => x.reach !== null && x.reachOwn, 5000, 'the dropped sphere within reach');
    await page.keyboard.press('e');
    await until(page, (x) => x.owned !== null, 5000, 'an object picked up');

    // chat reaches a second page
    const other = await (await browser.newContext({ viewport: { width: 800, height: 600 } })).newPage();
    await other.goto(`http://127.0.0.1:${port}/`);
    await other.click('#guest');
    await until(other, (x) => x.connected, 10_000, 'the second page');
    await page.fill('#chat-input', 'hello from page one');
    await page.press('#chat-input', 'Enter');
    await until(other, (x) => x.chat.some((l) => l.endsWith('hello from page one')), 5000, 'the chat line on page two');

    // the frames are not blank
    expect(await canvasColours(page, '#view')).toBeGreaterThan(20);
    expect(errors).toEqual([]);
  }, 120_000);

  test('a terrain scene: its heightfield and mesh arrive and are drawn from the quantised geometry', async () => {
    const tdir = mkdtempSync(join(tmpdir(), 'tessera-e2e-terrain-'));
    const scene = await writeTerrainScene(tdir, 181);
    const hf = loadHeightmap(join(tdir, 'assets', 'hill.png'), TERRAIN_HEIGHTMAP);
    const terrainServer = startServe(['--port', '0', '--data', join(tdir, 'data'), '--scene', scene, '--log-level', 'info']);
    try {
      const tport = (await terrainServer.listening).port;
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`http://127.0.0.1:${tport}/`);
      await page.click('#guest');
      const x = await until(page, (p) => p.terrain.length === 2 && p.me !== null, 20_000, 'the heightfield and the mesh drawn');
      const h = x.terrain.find((t) => t.kind === 'heightfield'),
        m = x.terrain.find((t) => t.kind === 'mesh');
      // the heightfield: every sample a vertex, two triangles a cell, the loader's raw heights as received
      expect(h).toEqual({
        asset: h?.asset,
        kind: 'heightfield',
        triangles: 2 * (hf.nx - 1) * (hf.nz - 1),
        vertices: hf.nx * hf.nz,
        digest: valuesDigest(hf.heights),
      });
      // the block: 8 shared corners, 12 triangles
      expect(m).toMatchObject({ kind: 'mesh', triangles: 12, vertices: 8 });
      // two seconds later the avatar (spawned at y = 4) stands on the hill, about 1.5 m high at the
      // origin: its centre 0.9 m above that (the scene has no ground plane: without the heightfield it falls)
      // (the drawn avatar is the client's prediction, smoothed: on a loaded machine it was still
      // coming down at tick t0 + 40 once, y 2.87, so after the two seconds it gets 10 s more to
      // reach that height; one that fell through the terrain or hangs above it still fails)
      const t0 = x.tick;
      await until(page, (p) => p.tick > t0 + 40, 10_000, 'two seconds of ticks');
      const later = await until(page, (p) => p.me !== null && p.me[1] > 1.9 && p.me[1] < 2.8, 10_000, 'the avatar standing on the hill (y in 1.9..2.8)');
      expect(later.me?.[1]).toBeGreaterThan(1.9);
      expect(later.me?.[1]).toBeLessThan(2.8);
      if (shots) writeFileSync(join(shots, 'viewer-terrain.png'), await page.screenshot());
      expect(await canvasColours(page, '#view')).toBeGreaterThan(20);
      expect(errors).toEqual([]);
    } finally {
      terrainServer.kill('SIGTERM');
      await terrainServer.exit;
      rmSync(tdir, { recursive: true, force: true });
    }
  }, 60_000);

  test('the dashboard plots live figures', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    await page.goto(`http://127.0.0.1:${port}/dashboard`);
    await page.waitForFunction(() => ((window as unknown as { tesseraDashboard: { samples: number } }).tesseraDashboard?.samples ?? 0) >= 4, undefined, {
      timeout: 15_000,
    });
    expect(await page.textContent('#summary')).toMatch(/tick \d+ · \d+ clients · 4 shards/);
    expect(await canvasColours(page, 'canvas')).toBeGreaterThan(3);
    if (shots) writeFileSync(join(shots, 'dashboard.png'), await page.screenshot({ fullPage: true }));
  }, 60_000);
});
