// Screenshot of the operator dashboard under load, for docs/dashboard.png:
// `tessera serve` on a temporary data directory, `tessera bots` (default 100) for the run, the
// dashboard open in Debian's chromium (playwright-core) while its plots fill, then a full-page
// screenshot. Needs `npm run build` first.
//
//   node scripts/dashboard-shot.mjs [--bots 100] [--seconds 90] [--out docs/dashboard.png]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const BOTS = arg('bots', '100'),
  SECONDS = Number(arg('seconds', '90')),
  OUT = join(root, arg('out', 'docs/dashboard.png'));
const cli = join(root, 'build', 'dist', 'src', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'tessera-shot-'));
const serve = spawn(process.execPath, [cli, 'serve', '--port', '0', '--data', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
let bots = null,
  browser = null;
try {
  const port = await new Promise((resolve, reject) => {
    let buf = '';
    serve.stdout.on('data', (d) => {
      buf += d;
      for (const line of buf.split('\n').slice(0, -1)) {
        const j = JSON.parse(line);
        if (j.msg === 'listening') resolve(j.port);
      }
      buf = buf.slice(buf.lastIndexOf('\n') + 1);
    });
    serve.once('exit', (c) => reject(new Error(`serve exited with ${c}`)));
  });
  bots = spawn(process.execPath, [cli, 'bots', '-n', BOTS, '-u', `ws://127.0.0.1:${port}/ws`, '-t', String(SECONDS + 30), '--ramp', '20'], { stdio: 'ignore' });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`http://127.0.0.1:${port}/dashboard`);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  writeFileSync(OUT, await page.screenshot({ fullPage: true }));
  console.log(`wrote ${OUT}`);
} finally {
  await browser?.close();
  bots?.kill('SIGTERM');
  serve.kill('SIGTERM');
  await new Promise((r) => serve.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
