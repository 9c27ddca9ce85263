/**
 * The flags `report accuracy` and `report sweep` share: the workload (masim, or a lackey trace
 * and how to replay it) and how each monitor is run and judged. Cheap to load (only
 * `effect/cli`): part of every start of the CLI.
 */
import * as Flag from "effect/cli/Flag"
import { intAtLeast } from "./CliFlags.ts"

/** The workload flags' values. */
export interface WorkloadFlagValues {
  /** A shipped masim name or a masim file (used when `trace` is empty). */
  readonly workload: string
  /** A lackey trace file (plain or gzip), `-` for stdin, or empty for the masim workload. */
  readonly trace: string
  readonly rate: number
  /** Replay loads and stores only (no instruction fetches). */
  readonly dataOnly: boolean
  readonly skipBadLines: boolean
}

/** The evaluation flags' values. */
export interface EvaluationFlagValues {
  readonly durationMs: number
  readonly seed: number
  readonly updateUs: number
  readonly hotThreshold: number
  readonly warmupMs: number
}

/** The flags' defaults. */
export const defaultWorkloadFlags: WorkloadFlagValues = { workload: "stairs", trace: "", rate: 1, dataOnly: false, skipBadLines: false }
export const defaultEvaluationFlags: EvaluationFlagValues = { durationMs: 60_000, seed: 1, updateUs: 1_000_000, hotThreshold: 0.5, warmupMs: 0 }

const w = defaultWorkloadFlags
const e = defaultEvaluationFlags

/** The flags naming the workload. */
export const workloadFlags = {
  workload: Flag.String("workload").pipe(
    Flag.withDescription("masim config: a shipped name (stairs, zigzag, ...) or a path (ignored with --trace)"),
    Flag.withDefault(w.workload)
  ),
  trace: Flag.String("trace").pipe(
    Flag.withDescription("a valgrind lackey trace (--tool=lackey --trace-mem=yes), plain or gzip; - reads stdin"),
    Flag.withDefault(w.trace)
  ),
  rate: Flag.Finite("rate").pipe(Flag.withDescription("trace replay rate, accesses per microsecond of world time"), Flag.withDefault(w.rate)),
  dataOnly: Flag.Boolean("data-only").pipe(
    Flag.withDescription("replay loads and stores only, not instruction fetches (I lines still advance time)"),
    Flag.withDefault(w.dataOnly)
  ),
  skipBadLines: Flag.Boolean("skip-bad-lines").pipe(
    Flag.withDescription("skip malformed trace lines (counted) instead of failing on the first"),
    Flag.withDefault(w.skipBadLines)
  )
}

/** The flags of how a monitor is run and judged. */
export const evaluationFlags = {
  durationMs: Flag.Int("duration-ms").pipe(Flag.withDescription("world time monitored, ms"), Flag.withDefault(e.durationMs)),
  seed: Flag.Int("seed").pipe(Flag.withDefault(e.seed)),
  updateUs: Flag.Int("update-us").pipe(
    Flag.withDescription("ops update interval (us): how often vaddr re-reads the mappings"),
    Flag.withDefault(e.updateUs)
  ),
  hotThreshold: Flag.Finite("hot-threshold").pipe(
    Flag.withDescription("a byte is hot when accessed in at least this fraction of ticks (0, 1]"),
    Flag.withDefault(e.hotThreshold)
  ),
  warmupMs: Flag.Int("warmup-ms").pipe(Flag.withDescription("windows ending before this are left out of the summaries"), Flag.withDefault(e.warmupMs))
}

/** `--truth-tick-us`, 0 or more; what 0 means is the command's. */
export const truthTickUs = (zeroMeans: string): Flag.Flag<number> =>
  intAtLeast("truth-tick-us", 0, `tick of the truth's frequencies (us); 0 = ${zeroMeans}`).pipe(Flag.withDefault(0))
