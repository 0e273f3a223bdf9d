/**
 * Client prediction in the browser (issue 20 acceptance, end to end in headless Chromium: Debian's
 * `chromium` driven by playwright-core, as test/e2e-viewer.test.ts): `tessera serve` (the demo
 * world, 20 Hz) and the viewer at `/?lag=200`, which adds 200 ms of round trip inside its socket
 * (100 ms each way). The viewer predicts its avatar with the unshared core in the page: a key press
 * moves the drawn avatar on the very next rendered frame (its position in the frame after the
 * keydown differs from the frame before), and the HUD shows a round trip near 200 ms; a thrown
 * sphere is drawn in the frame after the click (a predicted ghost) and later matched to the
 * server's sphere (src/client/projectiles.ts). The same
 * press with `?predict=0` (interpolation only) does not move it on the next frame: the first frame
 * that moves comes a round trip later, so the measurement can tell the two apart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { describeIfChromium, launchChromium } from './helpers/chromium';
import { startServe, type ServeProcess } from './helpers/child-host';
import { createNodeClient } from '../src/client/node';
import type { ViewerProbe } from '../web/viewer/probe';

const LAG_MS = 200;
/**
 * How long a page may take to load the world, compile the core and settle (ms): a condition is
 * waited for, so on a quiet machine this costs nothing; on a loaded one (software GL, two busy
 * cores) the earlier 20 s waits ran out in CI.
 */
const PAGE_MS = 60_000;

type Probe = Omit<ViewerProbe, 'setYaw'>;
const probe = (p: Page): Promise<Probe> => p.evaluate(() => JSON.parse(JSON.stringify((window as unknown as { tessera: Probe }).tessera)) as Probe);

async function until(p: Page, pred: (x: Probe) => boolean, ms: number, what: string): Promise<Probe> {
  const end = Date.now() + ms;
  for (;;) {
    const x = await probe(p);
    if (pred(x)) return x;
    if (Date.now() > end) {
      const status = await p.textContent('#status');
      throw new Error(`timed out waiting for ${what} (status: ${status}): ${JSON.stringify({ ...x, chat: [], drawn: x.drawn.slice(-3) })}`);
    }
    await p.waitForTimeout(100);
  }
}

const dist = (a: number[], b: number[]): number => Math.hypot(a[1] - b[1], a[2] - b[2], a[3] - b[3]);

/** The drawn avatar has not moved (by more than 0.1 mm) over its last 15 frames. */
const atRest = (x: Probe): boolean => x.drawn.length >= 15 && x.drawn.slice(-15).every((d) => dist(d, x.drawn[x.drawn.length - 1]) < 1e-4);

/**
 * Presses W on a page whose avatar is at rest and holds it for at least 600 ms and until the drawn
 * position has moved (a loaded machine renders few frames): the distance between the positions
 * drawn in the frame before the keydown and the frame after it (m), how many frames passed until
 * the drawn position first moved, and the page's mean frame interval while W was held (ms).
 */
async function pressW(page: Page): Promise<{ nextFrameMoved: number; firstMoveFrames: number; frameMs: number }> {
  await until(page, atRest, PAGE_MS, 'the avatar at rest');
  await page.keyboard.down('w');
  const down = Date.now();
  await page.waitForTimeout(600);
  const x = await until(
    page,
    (p) => p.keyFrame >= 0 && p.frames > p.keyFrame + 1 && dist(p.drawn[p.drawn.length - 1], p.drawn.find((e) => e[0] === p.keyFrame) ?? p.drawn[0]) >= 1e-4,
    PAGE_MS,
    'the drawn avatar to move while W is held',
  );
  const heldMs = Date.now() - down;
  await page.keyboard.up('w');
  const k = x.keyFrame;
  const at = (f: number): number[] => {
    const d = x.drawn.find((e) => e[0] === f);
    if (!d) throw new Error(`frame ${f} not in the log (${x.drawn[0]?.[0]}..${x.drawn[x.drawn.length - 1]?.[0]})`);
    return d;
  };
  const before = at(k);
  let first = k + 1;
  while (first <= x.frames && dist(at(first), before) < 1e-4) first++;
  const frameMs = heldMs / (x.frames - k);
  return { nextFrameMoved: dist(at(k + 1), before), firstMoveFrames: first - k, frameMs };
}

describeIfChromium('client prediction in the viewer (headless Chromium)', () => {
  let dir = '',
    browser: Browser,
    server: ServeProcess | null = null,
    port = 0;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-e2e-predict-'));
    server = startServe(['--port', '0', '--data', dir, '--log-level', 'info']);
    port = (await server.listening).port;
    browser = await launchChromium();
  }, PAGE_MS);
  afterAll(async () => {
    await browser?.close();
    server?.kill('SIGTERM');
    await server?.exit;
    rmSync(dir, { recursive: true, force: true });
  });

  test(
    `with ${LAG_MS} ms of added round trip, a key press moves the predicted avatar on the next frame; the HUD shows the round trip near 200 ms`,
    async () => {
      const page = await (await browser.newContext({ viewport: { width: 480, height: 320 } })).newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`http://127.0.0.1:${port}/?lag=${LAG_MS}`);
      await page.click('#guest');
      const ready = await until(page, (x) => x.connected && x.me !== null && x.rttMs !== null && x.predicting, PAGE_MS, 'a predicted avatar and a round trip');
      expect(ready.predictError).toBeNull();
      expect(ready.lagMs).toBe(LAG_MS);
      expect(await page.textContent('#predict')).toBe('on');
      // the baseline client for the round trip below, connected now so that its smoothed round
      // trip covers the same seconds as the page's (it spawns at another spawn point, 24 m away)
      const base = createNodeClient({ url: `ws://127.0.0.1:${port}/ws`, token: 'guest', privateId: 'e2e-predict-baseline', pingEveryMs: 500 }, {});
      await base.connect();

      const moved = await pressW(page);
      // the next rendered frame already shows the walk (a round trip would be 200 ms: several frames)
      expect(moved.nextFrameMoved).toBeGreaterThan(0.001);
      expect(moved.firstMoveFrames).toBe(1);

      // the round trip the HUD shows: the added 200 ms plus the host's answer (a ping goes out when
      // a state arrives; its pong waits at most a tick, 50 ms). The added 200 ms are checked
      // strictly (never less); the rest against what this run measured: a client in this process
      // without added lag, pinging as the viewer does (every 500 ms, smoothed 1/8 per pong), for
      // the host's answer (a slow host, on a loaded machine, raises both alike), and the page's own
      // frame interval (pressW: the lag socket's timers and the state that sends the ping wait
      // behind a rendered frame, each way: two frames), plus 50 ms (measured at load 13-16: page
      // 340-530 ms, baseline 120-860 ms, frames 34-84 ms). The first pongs, while the page loads the world and
      // compiles the core, take a few seconds to fade: waited for.
      let rtt = { page: Number.NaN, hud: Number.NaN, base: Number.NaN };
      try {
        const end = Date.now() + PAGE_MS;
        for (;;) {
          const p = await probe(page);
          rtt = { page: p.rttMs ?? Number.NaN, hud: Number(await page.textContent('#rtt')), base: base.rttMs ?? Number.NaN };
          const settled = (v: number): boolean => v < LAG_MS + rtt.base + 2 * moved.frameMs + 50;
          if ((settled(rtt.page) && settled(rtt.hud)) || Date.now() > end) break;
          await page.waitForTimeout(100);
        }
      } finally {
        base.close();
      }
      if (process.env.E2E_DEBUG) console.log(JSON.stringify({ ...rtt, frameMs: moved.frameMs }));
      expect(rtt.page).toBeGreaterThanOrEqual(LAG_MS - 2);
      expect(rtt.hud).toBeGreaterThanOrEqual(LAG_MS - 2);
      expect(rtt.page).toBeLessThan(LAG_MS + rtt.base + 2 * moved.frameMs + 50);
      expect(rtt.hud).toBeLessThan(LAG_MS + rtt.base + 2 * moved.frameMs + 50);
      expect(await page.textContent('#corr')).toMatch(/^\d+\.\d \(\d+\)$/);
      // a throw: the sphere is drawn at once (a predicted ghost, in the frame after the click),
      // then the server's sphere is matched to it and replaces it
      await page.mouse.click(60, 180); // (the canvas: left of the chat box, below the HUD)
      const thrown = await until(page, (p) => p.ghosts + p.ghostsMatched > 0, PAGE_MS, 'the thrown sphere drawn');
      expect(thrown.throwFrame).toBeGreaterThan(0);
      expect(thrown.ghostFrame).toBe(thrown.throwFrame + 1); // drawn in the very next frame
      const matched = await until(page, (p) => p.ghostsMatched === 1 && p.ghosts === 0, PAGE_MS, "the server's sphere matched to it");
      expect(matched.ghostsExpired).toBe(0);
      expect(errors).toEqual([]);
      await page.close(); // (one page rendering at a time: software GL is slow on a small machine)

      // without prediction the same press shows up only after the round trip (about 200 ms of frames)
      const plain = await (await browser.newContext({ viewport: { width: 480, height: 320 } })).newPage();
      plain.on('pageerror', (e) => errors.push(String(e)));
      await plain.goto(`http://127.0.0.1:${port}/?lag=${LAG_MS}&predict=0`);
      await plain.click('#guest');
      await until(plain, (p) => p.connected && p.me !== null && p.rttMs !== null, PAGE_MS, 'the unpredicted avatar');
      expect(await plain.textContent('#predict')).toBe('off');
      const late = await pressW(plain);
      expect(late.nextFrameMoved).toBeLessThan(1e-4);
      expect(late.firstMoveFrames * late.frameMs).toBeGreaterThan(LAG_MS * 0.75);
      expect(errors).toEqual([]);
    },
    5 * PAGE_MS,
  );
});
