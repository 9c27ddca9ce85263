/**
 * A tiny benchmark harness: every benchmark reports named metrics; `run.ts` prints them as a
 * table and writes `bench/results/latest.json` as `{ "metrics": { name: { value, unit } } }`.
 * Wall-clock time is read here, in the benchmark program, never in the library.
 */

/** One reported figure. */
export interface Metric {
  readonly value: number
  readonly unit: string
  /** The goal the issue sets, for the table (e.g. ">= 20000000"). */
  readonly goal?: string
  /** How it was measured (runs, median of what). */
  readonly note?: string
}

/** A benchmark: a name and a function producing metrics. */
export interface Bench {
  readonly name: string
  /** Runs only when named on the command line (a long soak, not part of every bench run). */
  readonly onlyWhenNamed?: boolean
  readonly run: () => Promise<Record<string, Metric>>
}

/** Milliseconds from a monotonic clock. */
export const nowMs = (): number => performance.now()

/** The median of a list of numbers. */
export const median = (xs: ReadonlyArray<number>): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Runs `f` `runs` times after `warmup` runs and returns each run's duration in ms. */
export const timeRuns = async (runs: number, warmup: number, f: () => Promise<void> | void): Promise<Array<number>> => {
  for (let i = 0; i < warmup; i++) await f()
  const times: Array<number> = []
  for (let i = 0; i < runs; i++) {
    const t0 = nowMs()
    await f()
    times.push(nowMs() - t0)
  }
  return times
}

/** CPU milliseconds of this process (every thread: JS, GC helpers, compilers), unaffected by other processes' load. */
export const cpuMs = (): number => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

type GcOptions = { readonly type: "major"; readonly execution: "sync"; readonly flavor: "last-resort" }
const gcHook = (): ((options?: GcOptions) => void) | undefined => (globalThis as { gc?: (options?: GcOptions) => void }).gc

/** Forces a garbage collection when node runs with `--expose-gc`. */
export const gc = (): void => {
  const g = gcHook()
  if (g !== undefined) g()
}

/**
 * Gives the next benchmark the heap a fresh process has: a last-resort collection (V8's
 * memory-reducing full GC) frees what earlier benchmarks left and shrinks the young generation
 * back to its minimum. A plain `gc()` leaves the young generation at the size an earlier
 * benchmark grew it to (64 MiB semi-spaces after the monitor benches), and a later benchmark
 * then spends its first hundreds of milliseconds in page faults on those pages and cache misses
 * across them (docs/performance.md, "DAMOS transform and run-order dependence").
 */
export const settleHeap = (): void => {
  const g = gcHook()
  if (g !== undefined) g({ type: "major", execution: "sync", flavor: "last-resort" })
}

/** Whether {@link hostStepNs} ran before (its first call warms its loop up first). */
let hostStepWarm = false

/**
 * The host's speed now: nanoseconds per step of a fixed integer loop (an xorshift generator),
 * the median of five 20 ms slices. It reads how fast this VM's host runs us at one moment, so a
 * run can say how much that moved between its benchmarks (`bench.hostSpeedSpread`); a slow spell
 * inside a benchmark's turn falls between two readings.
 */
export const hostStepNs = (): number => {
  const slices: Array<number> = []
  let x = 0x2545f491
  // the first call's first slices run before the loop is optimised: ten more, not counted
  const warmup = hostStepWarm ? 0 : 10
  hostStepWarm = true
  for (let s = -warmup; s < 5; s++) {
    const t0 = nowMs()
    let steps = 0
    while (nowMs() - t0 < 20) {
      for (let i = 0; i < 10_000; i++) {
        x ^= x << 13
        x ^= x >>> 17
        x ^= x << 5
      }
      steps += 10_000
    }
    if (s >= 0) slices.push(((nowMs() - t0) * 1e6) / steps)
  }
  if (x === 0) throw new Error("unreachable: xorshift never reaches 0")
  return median(slices)
}
