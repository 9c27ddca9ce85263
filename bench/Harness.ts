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

/** Forces a garbage collection when node runs with `--expose-gc`. */
export const gc = (): void => {
  const g = (globalThis as { gc?: () => void }).gc
  if (g !== undefined) g()
}
