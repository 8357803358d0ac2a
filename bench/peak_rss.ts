/**
 * Peak resident memory of this process, on every runtime: the kernel's own
 * high-water mark (`VmHWM` in `/proc/self/status`, Linux) when it can be
 * read, else the largest `process.memoryUsage.rss()` seen by a sampler.
 *
 * @module
 */

import process from "node:process";
import { readFileSync } from "node:fs";

/** The kernel's peak RSS of this process in bytes, or undefined off Linux. */
export function kernelPeakRss(): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** A peak-RSS tracker: samples on a timer and on demand. */
export interface RssSampler {
  /** Takes one sample now (call it from long synchronous loops). */
  sample(): void;
  /** Largest `process.memoryUsage.rss()` sampled so far, in bytes. */
  sampled(): number;
  /** The kernel's peak when known, else {@link RssSampler.sampled}. */
  peak(): number;
  /** Stops the timer. */
  stop(): void;
}

/**
 * Starts sampling `process.memoryUsage.rss()` every `intervalMs`.
 *
 * @example
 * ```ts
 * const rss = rssSampler();
 * // ... work ...
 * rss.stop();
 * console.log(rss.peak());
 * ```
 */
export function rssSampler(intervalMs = 50): RssSampler {
  let max = process.memoryUsage.rss();
  const sample = () => {
    const r = process.memoryUsage.rss();
    if (r > max) max = r;
  };
  const timer = setInterval(sample, intervalMs);
  return {
    sample,
    sampled: () => (sample(), max),
    peak: () => (sample(), Math.max(max, kernelPeakRss() ?? 0)),
    stop: () => clearInterval(timer),
  };
}

/** `bytes` as MiB with one decimal. */
export function mib(bytes: number): string {
  return (bytes / 1_048_576).toFixed(1);
}
