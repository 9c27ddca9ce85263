/**
 * `effect-damon/accuracy`: monitoring accesses that really happened, and measuring DAMON's
 * accuracy against the exact truth at a given cost, side by side with a fixed-granularity
 * baseline at the same cost.
 *
 * - Real accesses: recorded valgrind lackey traces replayed as world time passes
 *   (`LackeyTrace`, `TraceSpace`, `TraceReplay`), and instrumented application memory an
 *   application marks itself, with DAMOS actions delivered back as typed events
 *   (`InstrumentedMemory`, `Instrumented`).
 * - Ground truth: exact per-page counts per window (`PageTruth`) and the expected working set
 *   of masim workloads (`MasimTruth`).
 * - Accuracy: per window and summarised (`Accuracy`, `Summary`), DAMON against the baseline
 *   (`FixedMonitor`, `Evaluate`), and parameter sweeps on worker threads with the Pareto front
 *   (`Sweep`).
 *
 * @since 0.3.0
 */

/** The lackey trace parser (streaming, bounded memory). */
export * as LackeyTrace from "../spaces/LackeyTrace.ts"
/** A recorded trace as an address space, replayed as world time passes. */
export * as TraceSpace from "../spaces/TraceSpace.ts"
/** Reading trace files and stdin into a trace space, ahead of world time. */
export * as TraceReplay from "./TraceReplay.ts"
/** Instrumented application memory as an address space (the pure adapter). */
export * as InstrumentedMemory from "../spaces/InstrumentedMemory.ts"
/** Instrumented application memory as an Effect service, with its operations sets. */
export * as Instrumented from "./InstrumentedService.ts"
/** Exact per-page access counts per window. */
export * as PageTruth from "../spaces/PageTruth.ts"
/** The expected truth of masim workloads. */
export * as MasimTruth from "./MasimTruth.ts"
/** Accuracy of one window: WSS error, hot/cold precision and recall. */
export * as Accuracy from "./Accuracy.ts"
/** Medians and percentiles of per-window figures. */
export * as Summary from "./Summary.ts"
/** The fixed-granularity baseline monitor. */
export * as FixedMonitor from "./FixedMonitor.ts"
/** Workloads of accuracy runs (masim, trace files). */
export * as Workload from "./Workload.ts"
/** Accuracy runs: DAMON, the baseline, and both at equal cost. */
export * as Evaluate from "./Evaluate.ts"
/** The accuracy report: DAMON and the baseline on one workload, as text (`report accuracy`). */
export * as AccuracyReport from "./AccuracyReport.ts"
/** Parameter sweeps on worker threads, with the Pareto front. */
export * as Sweep from "./Sweep.ts"
/** A sweep as a table and as a Vega-Lite picture. */
export * as SweepReport from "./SweepReport.ts"
