/**
 * Debian's Chromium for the end-to-end tests (test/e2e-viewer, e2e-predict), driven by
 * playwright-core (no browser download): its path, the describe that skips only outside CI on a
 * machine without it (in CI, where .ci/run installs it, a missing browser fails), and the launch.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** The Chromium executable, or undefined when none is installed. */
export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

/**
 * `describe` with Chromium or in CI; `describe.skip` otherwise. Undefined outside jest (where
 * `describe` is not defined: bench/predict/run-predict-browser.ts imports only launchChromium).
 */
export const describeIfChromium: jest.Describe =
  typeof describe === 'undefined' ? (undefined as unknown as jest.Describe) : CHROMIUM || process.env.CI ? describe : describe.skip;

/** Launches headless Chromium with software WebGL (SwiftShader). Throws when it is not installed. */
export async function launchChromium(): Promise<Browser> {
  if (!CHROMIUM) throw new Error("chromium is not installed (.ci/run installs Debian's chromium)");
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'],
  });
}
