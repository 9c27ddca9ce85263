/**
 * The kdamond as its users see it: the handle `Damon.start` returns (`damonCall`, its repeat
 * mode, `damosWalk`, online commit, events, stop) and the options of a start and of a call. The
 * loop itself is in `KdamondLoop.ts`, its construction in `KdamondStart.ts`.
 */
import type * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import type { DamonConfigInput } from "../core/BuildCtx.ts"
import type { QuotaGoalInput } from "../core/damos/DamosConfig.ts"
import type { DamonError } from "../model/DamonError.ts"
import type { DamonCtx } from "../model/DamonCtx.ts"
import type { CallPoint, WalkVisit } from "./Control.ts"
import type { MonitorEvent, StopReason } from "./Events.ts"
import type * as KdamondStats from "./KdamondStats.ts"

export type { CallPoint, WalkVisit } from "./Control.ts"

/** Options of one kdamond. Time is the world's (see `World.ts`), not an option of a kdamond. */
export interface KdamondOptions {
  /** Seed of the kdamond's random generator. Defaults to a draw from Effect's `Random`. */
  readonly seed?: number
  /** Per-subscriber event buffer. Defaults to 1024. */
  readonly eventBufferSize?: number
  /** Stop by itself once it has run this long (kdamond time: microseconds since it started). */
  readonly stopAtUs?: number
}

/** Options of one `damonCall`. */
export interface CallOptions {
  /**
   * `"sample"` (default): run as soon as the kdamond is between phases (while it waits for the
   * next sample, or at the loop's call point). `"loop"`: run at the loop's call point, right
   * after sampling, exactly where the kernel's `kdamond_call()` runs. `"aggregation"`: run at
   * the next aggregation boundary, after the merge and before the reset, to see the complete
   * window's counts.
   */
  readonly at?: CallPoint
}

/**
 * A running (or stopped) kdamond.
 *
 * **Details**
 * Guarantees of `damonCall` (the kernel's `damon_call()`, improved):
 * - exclusive: `fn` runs on the kdamond fiber between two loop phases, never concurrently with a
 *   phase or with another function, so it may read and modify the context freely; a `"sample"`
 *   call may run between preparing and checking a sample (regions it creates then count as not
 *   accessed for that sample), `"loop"` calls only where the kernel serves calls;
 * - ordered: calls with the same `at` run in the order they were made (FIFO);
 * - at most once: a function runs once, or never (withdrawn or cancelled);
 * - completion or a typed failure: the result of `fn`; `CallbackFailed` if `fn` throws (the
 *   kdamond goes on); `Canceled` if the kdamond stops first; `NotRunning` if it had stopped;
 * - interruption: interrupting the caller before `fn` ran withdraws the call (it never runs);
 *   after it ran, the result is simply dropped.
 */
export interface Kdamond {
  /**
   * Number of kdamonds running when it started, as the kernel names its thread
   * (`kdamond.<index>`); it can repeat over time, `pid` does not.
   */
  readonly index: number
  /** A process-like id, unique in its runtime. */
  readonly pid: number
  readonly damonCall: <A>(fn: (ctx: DamonCtx) => A, options?: CallOptions) => Effect.Effect<A, DamonError>
  /**
   * Runs `fn` at every serving point of its kind (`"sample"`: every loop iteration;
   * `"aggregation"`: every aggregation boundary) until the caller is interrupted (the repeat
   * mode of `damon_call()`). Fails with `Canceled` when the kdamond stops, `CallbackFailed`
   * if `fn` throws.
   */
  readonly damonCallRepeat: (fn: (ctx: DamonCtx) => void, options?: CallOptions) => Effect.Effect<never, DamonError>
  /**
   * Visits every region a scheme is applied to during the next full apply pass of every scheme
   * (`damos_walk()`). One walk at a time (`Busy`); `Canceled` when the kdamond stops, when the
   * context has no schemes, or when every scheme is deactivated by watermarks; `NotRunning` if
   * stopped. Interrupting the caller withdraws the walk and leaves no state behind. Completes
   * with the number of schemes the walk covered.
   */
  readonly damosWalk: (walkFn: (visit: WalkVisit) => void) => Effect.Effect<number, DamonError>
  /**
   * Replaces the running context's parameters (attrs, targets, schemes, ops set) the way
   * `damon_commit_ctx()` does, through a (prompt) `damonCall`: position-matched
   * schemes, targets, filters and goals; stats and quota state kept; regions of kept targets
   * kept; results rescaled when the intervals change. Atomic: an invalid config (including a
   * target the ops set cannot monitor, or a scheme needing metrics it lacks) fails with
   * `InvalidArgument` and changes nothing, and the kdamond runs on. If an ops hook throws while
   * the old ops set cleans up after a committed change, the kdamond stops (`OpsFailed`, the
   * kernel's `maybe_corrupted`) and the commit fails with that error.
   */
  readonly commit: (config: DamonConfigInput) => Effect.Effect<void, DamonError>
  /**
   * Commits quota goals into the running schemes by position, stopping at the shorter list
   * (`damos_commit_quota_goals()` through a `damonCall`). Goals are validated first (a bad one
   * is an `InvalidArgument` naming `goals[i][j].field`); goals with measured metrics need an ops
   * set with memory metrics (`InvalidArgument` otherwise). A failure changes nothing.
   */
  readonly commitQuotaGoals: (goalsPerScheme: ReadonlyArray<ReadonlyArray<QuotaGoalInput>>) => Effect.Effect<void, DamonError>
  /** Monitoring events (see `Events.ts` for the buffering policy). */
  readonly events: Stream.Stream<MonitorEvent>
  /** Stops the kdamond and waits for it to exit; `NotRunning` if it already stopped (the kernel's `-EPERM`). */
  readonly stop: Effect.Effect<void, DamonError>
  readonly isRunning: Effect.Effect<boolean>
  /** A snapshot of the kdamond's own counters (samples, aggregations, regions, call latency). */
  readonly stats: Effect.Effect<KdamondStats.KdamondStats>
  /** Waits until the kdamond stops and returns why. */
  readonly join: Effect.Effect<StopReason>
}
