import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Version of an installed npm package, found by walking up from its resolved
 * entry point (works for packages whose `exports` hide package.json).
 * Returns undefined when the package is not installed.
 */
export function installedVersion(pkg: string): string | undefined {
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch {
    return undefined;
  }
  let dir = path.dirname(entry);
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj)) {
      try {
        const j = JSON.parse(fs.readFileSync(pj, 'utf8')) as { name?: string; version?: string };
        if (j.name === pkg) return j.version;
      } catch {
        /* keep walking */
      }
    }
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}
