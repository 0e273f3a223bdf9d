/**
 * Figures shared by the fan-out processes: nearest-rank quantiles, fixed-width histograms that
 * cross the IPC channel as sparse pairs, a wall clock comparable between processes, and what
 * the OS says about CPU time and file descriptors.
 *
 *   Hist(width w, bins n):  bin k counts samples in [k w, (k + 1) w); the last bin also holds
 *   everything above. A quantile is the upper edge of the bin where the rank falls, so it is
 *   exact to w (0.25 ms for latencies, 1 tick for lags).
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Nearest-rank quantile (q in [0, 1]) of an ascending array; NaN when empty. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

/** Ascending copy of `xs` as a Float64Array. */
export function sorted(xs: ArrayLike<number>): Float64Array {
  return Float64Array.from(xs).sort();
}

/** p50 / p99 / max (and the count) of a sample. */
export interface Spread {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

/** Spread of a sample (NaN fields when empty). */
export function spread(xs: ArrayLike<number>): Spread {
  const s = sorted(xs);
  return { n: s.length, p50: quantile(s, 0.5), p99: quantile(s, 0.99), max: s.length ? s[s.length - 1] : NaN };
}

/** A histogram as it crosses the IPC channel: bin width and [bin, count] pairs of the non-empty bins. */
export interface SparseHist {
  width: number;
  bins: Array<[number, number]>;
}

/** Fixed-width histogram of non-negative samples (negative ones count in bin 0). */
export class Hist {
  readonly counts: Uint32Array;
  total = 0;

  constructor(
    readonly width: number,
    bins: number,
  ) {
    this.counts = new Uint32Array(bins);
  }

  add(x: number): void {
    const k = x <= 0 ? 0 : Math.min(this.counts.length - 1, Math.floor(x / this.width));
    this.counts[k]++;
    this.total++;
  }

  /** Adds a sparse histogram of the same width. Throws RangeError for another width. */
  merge(h: SparseHist): void {
    if (h.width !== this.width) throw new RangeError(`histogram width ${h.width} != ${this.width}`);
    for (const [k, c] of h.bins) {
      this.counts[Math.min(this.counts.length - 1, k)] += c;
      this.total += c;
    }
  }

  /** Upper edge of the bin holding the nearest-rank q quantile; NaN when empty. */
  quantile(q: number): number {
    if (this.total === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let k = 0; k < this.counts.length; k++) {
      seen += this.counts[k];
      if (seen >= rank) return (k + 1) * this.width;
    }
    return this.counts.length * this.width;
  }

  sparse(): SparseHist {
    const bins: Array<[number, number]> = [];
    for (let k = 0; k < this.counts.length; k++) if (this.counts[k]) bins.push([k, this.counts[k]]);
    return { width: this.width, bins };
  }

  clear(): void {
    this.counts.fill(0);
    this.total = 0;
  }
}

/**
 * Wall-clock milliseconds with sub-millisecond resolution: performance.timeOrigin + now(). Both
 * terms come from the system clock, so two processes on one machine agree to well under 1 ms;
 * used for "arrived at the client - tick started on the host".
 */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

/** CPU time of this process, µs (user + system), and the event loop's busy fraction since a mark. */
export interface ProcLoad {
  cpuUs: number;
  userUs: number;
  systemUs: number;
  elu: number;
  wallMs: number;
}

/** A point to measure this process's CPU time and event loop utilisation from. */
export class LoadMark {
  private readonly cpu0 = process.cpuUsage();
  private readonly elu0 = performance.eventLoopUtilization();
  private readonly t0 = performance.now();
  /** CPU used and event loop utilisation since the mark. */
  since(): ProcLoad {
    const c = process.cpuUsage(this.cpu0);
    return {
      cpuUs: c.user + c.system,
      userUs: c.user,
      systemUs: c.system,
      elu: performance.eventLoopUtilization(this.elu0).utilization,
      wallMs: performance.now() - this.t0,
    };
  }
}

/** Busy CPU seconds of the whole machine so far (/proc/stat: user nice system irq softirq steal); null elsewhere. */
export function machineBusySeconds(): number | null {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return (cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6] + cpu[7]) / 100;
  } catch {
    return null;
  }
}

/** Soft and hard limits of open files of this process (/proc/self/limits); null elsewhere. */
export function openFileLimits(): { soft: number; hard: number } | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const m = line?.match(/Max open files\s+(\S+)\s+(\S+)/);
    if (!m) return null;
    const num = (s: string): number => (s === 'unlimited' ? Infinity : Number(s));
    return { soft: num(m[1]), hard: num(m[2]) };
  } catch {
    return null;
  }
}
