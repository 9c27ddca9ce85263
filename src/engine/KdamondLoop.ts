/**
 * The kdamond's main loop: the kernel's `kdamond_fn()` (`mm/damon/core.c`, R2 order), one
 * function per phase, with control requests served between phases. The loop is the only writer
 * of its context.
 *
 * Loop phases, in the kernel's order: watermark wait, prepare access checks, wait one sample
 * interval (serving `damonCall`s meanwhile), check accesses, merge at an aggregation boundary,
 * serve calls at the loop point, apply schemes, intervals tuning, reset and split, ops update.
 * Scheduling counts sample intervals like the kernel, so a virtual-time run is a pure function
 * of (config, workload, seed, start order).
 *
 * @internal
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type { CommitSource } from "../core/CommitCtx.ts"
import { commitCtx } from "../core/CommitCtx.ts"
import { checkMeasurable, checkTargets } from "../core/ConfigChecks.ts"
import { type ApplyHooks, applySchemes } from "../core/damos/ApplySchemes.ts"
import { setFiltersDefaultReject } from "../core/damos/Filters.ts"
import { minWaitUs, readsWmarkMetric } from "../core/damos/Watermarks.ts"
import { tuneIntervals } from "../core/IntervalsTune.ts"
import { applyMinNrRegions, mergeRegions, resetAggregated, type SplitState, splitRegions } from "../core/RegionAdjust.ts"
import type { Rng } from "../core/Rng.ts"
import { initSchedule } from "../core/SetAttrs.ts"
import { sampleDivisor } from "../model/Attrs.ts"
import { type DamonCtx, nrRegions } from "../model/DamonCtx.ts"
import { type DamonError, invalidArgument, opsFailed } from "../model/DamonError.ts"
import type { QuotaGoal } from "../model/Damos.ts"
import type { DamonOps, DamonOpsFactory, OpsEnv } from "../ops/DamonOps.ts"
import { checkedMetricsOf, checkMaxNrAccesses, faultOp } from "../core/OpsResults.ts"
import {
  cancelAllCalls,
  type ControlState,
  ringWake,
  serveAtLoopPoint,
  serveIncoming
} from "./Control.ts"
import type { KdamondSeam } from "./EngineSeam.ts"
import type { EventHub, StopReason, TargetSnapshot } from "./Events.ts"
import type * as KdamondStats from "./KdamondStats.ts"
import type { Participant, World } from "./World.ts"

/** Everything the loop owns. Kernel function-level statics live here (see `SplitState`). */
export interface LoopState {
  readonly ctx: DamonCtx
  ops: DamonOps
  readonly env: OpsEnv
  readonly world: World
  readonly participant: Participant
  /** World time the kdamond started at: kdamond time (events' `atUs`) counts from here. */
  readonly startUs: number
  /** World time the current sample's check is due (absolute, so the mean interval is exact). */
  sampleDeadlineUs: number
  readonly rng: Rng
  readonly control: ControlState
  /** The control steps the testing kit observes or replaces (`EngineSeam.ts`; shipped by default). */
  readonly seam: KdamondSeam
  readonly stats: KdamondStats.KdamondStats
  readonly hub: EventHub
  readonly split: SplitState
  readonly stopAtUs: number
  /** The walk hooks handed to every apply pass; built once, so a pass allocates nothing for them. */
  readonly hooks: ApplyHooks
  /** Indices of the schemes whose apply interval came in the current pass. */
  readonly dueSchemes: Array<number>
  szLimit: number
  maxNrAccesses: number
  /** Between `prepareAccessChecks` and `checkAccesses`: a commit switching ops must re-prepare. */
  prepared: boolean
  /** `serveIncoming` as an effect, built once (run after every virtual activation wait). */
  readonly serveIncoming: Effect.Effect<void>
  /** {@link stepSample} for this state, built once (handed to the world at every shared wait). */
  readonly stepSample: () => number
  /** The iteration's aggregation and ops-update deadlines and sample interval, read at its top. */
  lAggr: number
  lUpdate: number
  lSampleUs: number
  /** The watermark wait `beginIteration` found (`undefined`: a system metric failed). */
  firstWaitUs: number | undefined
  nrAggregations: number
  stopReason: StopReason | undefined
}


/**
 * Runs an ops hook; a throw (or an answer `OpsResults` refuses, named by its `OpsFault`) stops the
 * kdamond with an `OpsFailed` reason.
 */
export const guardOps = (st: LoopState, op: string, f: () => void): boolean => {
  try {
    f()
    return true
  } catch (cause) {
    return opsThrew(st, op, cause)
  }
}

/** Records that ops hook `op` threw `cause` (the kdamond stops with `OpsFailed`); false. */
const opsThrew = (st: LoopState, op: string, cause: unknown): false => {
  const failed = faultOp(cause, op)
  st.stopReason = { _tag: "OpsFailed", op: failed, message: opsFailed(failed, cause).message }
  return false
}

/** `kdamond_init_ctx()`, `ops.init`, and the R2 initial `damon_apply_min_nr_regions()`. */
export const init = (st: LoopState): boolean => {
  initSchedule(st.ctx)
  for (const s of st.ctx.schemes) setFiltersDefaultReject(s)
  if (st.ops.init !== undefined && !guardOps(st, "init", () => st.ops.init!(st.ctx, st.env))) return false
  st.szLimit = applyMinNrRegions(st.ctx)
  return true
}

/** `kdamond_need_stop()`: a stop request interrupts the fiber; here: time limit, no valid target. */
const needStop = (st: LoopState): boolean => {
  if (st.stopReason !== undefined) return true
  const atUs = kdamondTimeUs(st)
  if (atUs >= st.stopAtUs) {
    st.stopReason = { _tag: "TimeLimit", atUs }
    return true
  }
  const targetValid = st.ops.targetValid
  if (targetValid === undefined) return false
  // guarded inline, not through `guardOps`: this runs every sample and allocates nothing
  const { ctx, env } = st
  const targets = ctx.targets
  try {
    for (let i = 0; i < targets.length; i++) if (targetValid(ctx, targets[i]!, env)) return false
  } catch (cause) {
    return !opsThrew(st, "targetValid", cause)
  }
  st.stopReason = { _tag: "NoValidTarget" }
  return true
}

/** Kdamond time: microseconds since the kdamond started (what events and `stopAtUs` count). */
export const kdamondTimeUs = (st: LoopState): number => st.world.nowUs() - st.startUs

/**
 * Priority of the kdamond's own yields (Effect's dispatcher runs lower numbers first): after a
 * serving turn it lets timers and I/O run, then goes before the fibers that queued meanwhile.
 */
export const KDAMOND_YIELD_PRIORITY = -1

/**
 * Waits until world time `deadlineUs` while serving `damonCall`s as they arrive: the
 * prompt-service improvement over the kernel, which serves calls only after sampling. In real
 * time the deadline is checked again whenever a wait ends, since timers may fire early, and
 * after every serving turn: a turn serves at most `SERVE_BUDGET` calls, then the kdamond yields
 * so the event loop (its own timer among others) runs. In virtual time one turn is served per
 * wake; calls beyond it wait for the next serving point, so a flood of calls cannot hold world
 * time still.
 */
const waitServing = (st: LoopState, deadlineUs: number): Effect.Effect<void> => {
  if (st.world.mode === "virtual") return Effect.andThen(st.participant.sleepUntil(deadlineUs), st.serveIncoming)
  const control = st.control
  // one timer per wait (not per call): it rings the doorbell when the deadline has passed
  const timer = Effect.andThen(st.participant.sleepUntil(deadlineUs), Effect.sync(() => ringWake(control)))
  const serve = Effect.gen(function*() {
    while (true) {
      const more = serveIncoming(control, st.ctx)
      if (deadlineUs - st.world.nowUs() <= 0) return
      if (more) {
        yield* Effect.yieldNowWith(KDAMOND_YIELD_PRIORITY)
        continue
      }
      const wake = Deferred.makeUnsafe<void>()
      control.wake = wake
      yield* Deferred.await(wake)
    }
  })
  return Effect.acquireUseRelease(
    Effect.forkChild(timer, { startImmediately: true }),
    () => serve,
    (fiber) => Effect.andThen(Fiber.interrupt(fiber), Effect.sync(() => void (control.wake = undefined)))
  )
}

/**
 * The world time the next sample is due: one sample interval after the previous deadline, so
 * that waking late once does not stretch every later interval (the mean interval stays the
 * configured one); after falling more than an interval behind (a long pause, a watermark
 * sleep), one interval from now, without a burst of catch-up samples.
 */
const nextSampleDeadline = (st: LoopState, sampleIntervalUs: number): number => {
  const now = st.world.nowUs()
  let deadline = st.sampleDeadlineUs + sampleIntervalUs
  if (deadline <= now) deadline = now + sampleIntervalUs
  st.sampleDeadlineUs = deadline
  return deadline
}

/**
 * `kdamond_wait_activation()`: while every scheme is deactivated by its watermarks, sleep the
 * shortest re-check interval, serve calls and cancel a pending walk. Returns false to stop.
 * Called once `needStop` said no and some scheme is deactivated (`minWaitUs > 0`) or a system
 * metric failed (`undefined`: stop).
 */
const waitActivation = (st: LoopState, firstWaitUs: number | undefined): Effect.Effect<boolean> =>
  Effect.gen(function*() {
    let minWaitUs: number | undefined = firstWaitUs
    while (minWaitUs !== 0) {
      if (minWaitUs === undefined) return false
      yield* waitServing(st, st.world.nowUs() + minWaitUs)
      serveAtLoopPoint(st.control, st.ctx, false)
      st.seam.cancelWalk(st.control, st.ctx, "every scheme is deactivated by its watermarks")
      if (needStop(st)) return false
      minWaitUs = minWatermarkWaitUs(st)
    }
    return true
  })

/**
 * The shortest watermark wait over all schemes; 0 when any is active or there are none; `undefined`
 * when a system metric failed (the kdamond then stops with `OpsFailed`).
 */
const minWatermarkWaitUs = (st: LoopState): number | undefined => {
  // no metric to read (every scheme's watermarks are `none`, or there are no schemes): 0
  if (!st.ctx.schemes.some(readsWmarkMetric)) return 0
  let wait = 0
  const ok = guardOps(st, "system", () => {
    wait = minWaitUs(st.ctx.schemes, checkedMetricsOf(st.ops.system), st.world.nowUs())
  })
  return ok ? wait : undefined
}

/** `ops.check_accesses` plus the sample count; publishes `Sampled`. */
const checkAccesses = (st: LoopState): boolean => {
  st.ctx.passedSampleIntervals++
  st.stats.samples++
  st.stats.regionChecks += nrRegions(st.ctx)
  const check = st.ops.checkAccesses
  if (check !== undefined) {
    try {
      st.maxNrAccesses = checkMaxNrAccesses(check(st.ctx, st.env))
    } catch (cause) {
      return opsThrew(st, "checkAccesses", cause)
    }
  }
  if (st.hub.hasSubscribers()) {
    const atUs = kdamondTimeUs(st)
    const sis = st.ctx.passedSampleIntervals
    const maxNrAccesses = st.maxNrAccesses
    st.hub.publish((seq) => ({ _tag: "Sampled", seq, atUs, sis, maxNrAccesses }))
  }
  return true
}

/**
 * `ops.settle`: the regions up to date with the samples the ops set kept aside
 * (`OpsEnv.settles`). Run before anything reads or changes the regions: a user function
 * (`ControlState.beforeUser`), the merge, a scheme pass, an ops update, the stop. A throw stops
 * the kdamond with `OpsFailed`; false then.
 */
export const settleRegions = (st: LoopState): boolean => {
  const settle = st.ops.settle
  if (settle === undefined) return true
  try {
    settle(st.ctx)
    return true
  } catch (cause) {
    return opsThrew(st, "settle", cause)
  }
}

/** Merge at an aggregation boundary, then the R2 `damon_apply_min_nr_regions()`. */
const mergeAtBoundary = (st: LoopState): void => {
  mergeRegions(st.ctx, Math.floor(st.maxNrAccesses / 10), st.szLimit)
  st.szLimit = applyMinNrRegions(st.ctx)
}

/**
 * `kdamond_apply_schemes()`, or walk cancellation when there are no schemes; publishes
 * `SchemesApplied` after a pass. Quota windows run on world time in milliseconds.
 */
const applySchemesPhase = (st: LoopState): boolean => {
  const ctx = st.ctx
  if (ctx.schemes.length === 0) {
    st.seam.cancelWalk(st.control, ctx, "the context has no schemes")
    return true
  }
  // No scheme due: the pass would do nothing (every scheme is skipped, nothing is scored).
  if (!anySchemeDue(ctx)) return true
  if (!settleRegions(st)) return false
  st.dueSchemes.length = 0
  let applied = false
  const ok = guardOps(st, "applyScheme", () => {
    applied = applySchemes(ctx, st.ops, st.env, st.world.nowUs() / 1000, st.hooks)
  })
  if (ok && applied && st.hub.hasSubscribers()) {
    const atUs = kdamondTimeUs(st)
    const sis = ctx.passedSampleIntervals
    const schemes = [...st.dueSchemes]
    st.hub.publish((seq) => ({ _tag: "SchemesApplied", seq, atUs, sis, schemes }))
  }
  return ok
}

/** Whether some scheme's apply interval has come (`applySchemes` then reads the regions). */
const anySchemeDue = (ctx: DamonCtx): boolean => {
  const schemes = ctx.schemes
  for (let i = 0; i < schemes.length; i++) if (ctx.passedSampleIntervals >= schemes[i]!.nextApplySis) return true
  return false
}

/** Copies the regions for an `Aggregated` event. */
const snapshotTargets = (ctx: DamonCtx): Array<TargetSnapshot> =>
  ctx.targets.map((t, index) => ({
    index,
    pid: t.pid,
    regions: t.regions.map((r) => ({
      start: r.start,
      end: r.end,
      nrAccesses: r.nrAccesses,
      nrAccessesBp: r.nrAccessesBp,
      lastNrAccesses: r.lastNrAccesses,
      age: r.age
    }))
  }))

/**
 * The end of an aggregation window: intervals tuning when due, the next boundary, the
 * `Aggregated` event (the kernel's `damon_aggregated` trace point), reset and split.
 */
const endAggregation = (st: LoopState, lAggr: number): void => {
  const ctx = st.ctx
  const goal = ctx.attrs.intervalsGoal
  if (goal.aggrs !== 0 && ctx.passedSampleIntervals >= ctx.nextIntervalsTuneSis) {
    // A damonCall may have moved nextAggregationSis this iteration; restore the snapshot so
    // setAttrs does not think it is mid-window and wipe the counts (kernel note in kdamond_fn).
    ctx.nextAggregationSis = lAggr
    ctx.nextIntervalsTuneSis += ctx.attrs.aggrSamples * goal.aggrs
    tuneIntervals(ctx)
  }
  ctx.nextAggregationSis = lAggr + Math.floor(ctx.attrs.aggrIntervalUs / sampleDivisor(ctx.attrs))
  st.nrAggregations++
  if (st.hub.hasSubscribers()) {
    const atUs = kdamondTimeUs(st)
    const sis = ctx.passedSampleIntervals
    const nrAggregations = st.nrAggregations
    const { sampleIntervalUs, aggrIntervalUs } = ctx.attrs
    const targets = snapshotTargets(ctx)
    st.hub.publish((seq) => ({ _tag: "Aggregated", seq, atUs, sis, nrAggregations, sampleIntervalUs, aggrIntervalUs, targets }))
  }
  resetAggregated(ctx)
  splitRegions(ctx, st.split, st.rng)
  st.stats.aggregations = st.nrAggregations
  st.stats.nrRegions = nrRegions(ctx)
}

/** `ops.update` when due (R2: the size limit is recomputed at every merge instead). */
const updateOps = (st: LoopState, lUpdate: number): boolean => {
  const ctx = st.ctx
  if (ctx.passedSampleIntervals < lUpdate) return true
  ctx.nextOpsUpdateSis = lUpdate + Math.floor(ctx.attrs.opsUpdateIntervalUs / sampleDivisor(ctx.attrs))
  const update = st.ops.update
  return update === undefined || (settleRegions(st) && guardOps(st, "update", () => update(ctx, st.env)))
}

/** What an iteration's synchronous part ends with, besides a sample deadline (>= 0). */
const STOP = -1
/** Every scheme is deactivated by its watermarks: wait for activation (`LoopState.firstWaitUs`). */
const ACTIVATE = -2

/**
 * The top of an iteration up to its sample wait: the deadline, `STOP` or `ACTIVATE`. Deadlines a
 * damonCall changes in this iteration take effect from the next one (kernel order).
 */
const beginIteration = (st: LoopState): number => {
  const ctx = st.ctx
  st.lAggr = ctx.nextAggregationSis
  st.lUpdate = ctx.nextOpsUpdateSis
  st.lSampleUs = ctx.attrs.sampleIntervalUs
  if (needStop(st)) return STOP
  const firstWaitUs = minWatermarkWaitUs(st)
  if (firstWaitUs !== 0) {
    st.firstWaitUs = firstWaitUs
    return ACTIVATE
  }
  return prepareSample(st)
}

/** `ops.prepare_access_checks`, then the sample's deadline (or `STOP`). */
const prepareSample = (st: LoopState): number => {
  const prepare = st.ops.prepareAccessChecks
  if (prepare !== undefined) {
    try {
      prepare(st.ctx, st.env)
    } catch (cause) {
      opsThrew(st, "prepareAccessChecks", cause)
      return STOP
    }
  }
  st.prepared = true
  return nextSampleDeadline(st, st.lSampleUs)
}

/** After the sample wait, the rest of the iteration and the next one's top (`beginIteration`). */
const finishSample = (st: LoopState): number => {
  st.prepared = false
  return afterSample(st, st.lAggr, st.lUpdate) ? beginIteration(st) : STOP
}

/**
 * A virtual sample wake's work, which the world may run while the kdamond's fiber stays
 * suspended (`Participant.sleepStepping`): serve the calls that arrived, then on to the next wait.
 */
export const stepSample = (st: LoopState): number => {
  serveIncoming(st.control, st.ctx)
  return finishSample(st)
}

/** The sample wait and the wake's work; what `finishSample` returns. */
const waitSample = (st: LoopState, deadlineUs: number): Effect.Effect<number> => {
  if (st.world.mode !== "virtual") return Effect.map(waitServing(st, deadlineUs), () => finishSample(st))
  const sleepStepping = st.participant.sleepStepping
  if (sleepStepping === undefined) return Effect.map(waitServing(st, deadlineUs), () => finishSample(st))
  return Effect.map(sleepStepping(deadlineUs, st.stepSample), (last) => last ?? st.stepSample())
}

/**
 * The main loop: `init`, then iterations until one ends it. The phases are plain functions, so
 * an iteration costs the Effect runtime only its sample wait (and the activation wait while
 * watermarks deactivate every scheme); nothing when a lone virtual participant can move time
 * itself (`Participant.advanceAlone`), and no fiber switch when the world runs the wake for a
 * kdamond that shares it (`Participant.sleepStepping`).
 */
export const run = (st: LoopState): Effect.Effect<void> =>
  Effect.gen(function*() {
    if (!init(st)) return
    let next = beginIteration(st)
    while (next !== STOP) {
      if (next === ACTIVATE) {
        if (!(yield* waitActivation(st, st.firstWaitUs))) return
        next = prepareSample(st)
        continue
      }
      const advanceAlone = st.participant.advanceAlone
      if (advanceAlone !== undefined && advanceAlone(next)) next = stepSample(st)
      else next = yield* waitSample(st, next)
    }
  })

/** An iteration's phases after the sample wait, from the access check on; false ends the loop. */
const afterSample = (st: LoopState, lAggr: number, lUpdate: number): boolean => {
  const ctx = st.ctx
  if (!checkAccesses(st)) return false
  const atBoundary = ctx.passedSampleIntervals >= lAggr
  if (atBoundary) {
    if (!settleRegions(st)) return false
    mergeAtBoundary(st)
  }
  // Calls and schemes run after the merge so they see complete aggregated counts (kernel).
  serveAtLoopPoint(st.control, ctx, atBoundary)
  if (!applySchemesPhase(st)) return false
  if (atBoundary) endAggregation(st, lAggr)
  return updateOps(st, lUpdate)
}

/**
 * Termination, R2 order: destroy targets (`cleanupTarget`), mark the control channels obsolete,
 * cancel pending calls and the walk, then report the stop. Every accepted request ends here or
 * earlier.
 */
export const terminate = (st: LoopState, reason: StopReason): void => {
  const ctx = st.ctx
  settleRegions(st)
  const cleanupTarget = st.ops.cleanupTarget
  if (cleanupTarget !== undefined) for (const t of ctx.targets) guardOps(st, "cleanupTarget", () => cleanupTarget(ctx, t))
  ctx.targets = []
  if (st.ops.cleanup !== undefined) guardOps(st, "cleanup", () => st.ops.cleanup!(ctx))
  st.control.obsolete = true
  cancelAllCalls(st.control, "the kdamond stopped")
  st.seam.cancelWalk(st.control, ctx, "the kdamond stopped")
  const atUs = kdamondTimeUs(st)
  st.participant.leave()
  st.hub.end((seq) => ({ _tag: "Stopped", seq, atUs, reason }))
}

/** Rejects goals with measured metrics when the ops set has no memory metrics. */
export const checkGoalsMeasurable = (
  goalsPerScheme: ReadonlyArray<ReadonlyArray<QuotaGoal>>,
  ops: DamonOps
): DamonError | undefined => {
  if (ops.system !== undefined) return undefined
  for (let i = 0; i < goalsPerScheme.length; i++) {
    const j = goalsPerScheme[i]!.findIndex((g) => g.metric !== "user_input")
    if (j >= 0) {
      return invalidArgument(
        `goals[${i}][${j}].metric`,
        goalsPerScheme[i]![j]!.metric,
        `needs memory metrics the "${ops.id}" operations set does not provide`
      )
    }
  }
  return undefined
}

/**
 * The commit itself, on the kdamond: validate against the running state and the new ops set,
 * commit, switch the ops instance when the id changed (preparing the current sample for the new
 * one when the commit came between prepare and check), then let the old one clean up the
 * destroyed targets and itself. A hook that throws after the context changed leaves an ops set
 * in an unknown state: the kdamond stops with `OpsFailed` (the kernel's `maybe_corrupted`) and
 * the commit reports it.
 */
export const commitInLoop = (st: LoopState, source: CommitSource, factory: DamonOpsFactory): DamonError | undefined => {
  // The factory and targetValid are ops code: a throw is an OpsFailed for the caller, and
  // nothing has changed yet, so the kdamond runs on.
  let ops: DamonOps
  try {
    ops = source.base.ops === st.ctx.opsId ? st.ops : factory()
  } catch (cause) {
    return opsFailed("factory", cause)
  }
  let invalid: DamonError | undefined
  try {
    invalid = checkMeasurable(source, ops) ?? checkTargets(source, ops, st.ctx, st.env)
  } catch (cause) {
    return opsFailed("targetValid", cause)
  }
  if (invalid !== undefined) return invalid
  const result = commitCtx(st.ctx, source)
  if (result._tag === "Failed") return result.error
  const old = st.ops
  st.ops = ops
  const cleanupTarget = old.cleanupTarget
  let ok = true
  if (cleanupTarget !== undefined) {
    for (const t of result.destroyed) {
      ok = guardOps(st, "cleanupTarget", () => cleanupTarget(st.ctx, t))
      if (!ok) break
    }
  }
  if (ok && ops !== old && old.cleanup !== undefined) ok = guardOps(st, "cleanup", () => old.cleanup!(st.ctx))
  const prepare = ops.prepareAccessChecks
  if (ok && ops !== old && st.prepared && prepare !== undefined) {
    ok = guardOps(st, "prepareAccessChecks", () => prepare(st.ctx, st.env))
  }
  const reason = st.stopReason
  return !ok && reason?._tag === "OpsFailed" ? opsFailed(reason.op, reason.message) : undefined
}
