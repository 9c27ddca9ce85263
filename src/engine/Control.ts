/**
 * Control requests of a kdamond: `damonCall` requests (with their `Deferred` replies) and the
 * single `damosWalk` slot, plus the synchronous serving logic the kdamond runs between loop
 * phases. Mirrors `struct damon_call_control`, `kdamond_call()`, `struct damos_walk_control`
 * and `damos_walk_complete()` / `damos_walk_cancel()` (R2), without the R2 flaws.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Queue from "effect/Queue"
import {
  callbackFailed,
  canceled,
  type DamonError
} from "../model/DamonError.ts"
import type { DamonCtx } from "../model/DamonCtx.ts"
import type { Damos } from "../model/Damos.ts"
import type { Region } from "../model/Region.ts"
import type { Target } from "../model/Target.ts"
import { type KdamondStats, recordCallLatency } from "./KdamondStats.ts"

/** When a call is served. */
/**
 * When a call is served: `sample` as soon as the kdamond is between phases (while it waits for
 * the next sample, or at the loop's call point); `loop` only at the loop's call point, right
 * after sampling, where the kernel's `kdamond_call()` serves every call; `aggregation` at the
 * next aggregation boundary's call point (after the merge, before the reset).
 */
export type CallPoint = "sample" | "loop" | "aggregation"

/**
 * Lifecycle of a request: `queued` until served; `done` after its (only) run or cancellation;
 * `withdrawn` when its caller gave up first (its function never runs).
 */
export type RequestState = "queued" | "done" | "withdrawn"

/** A `damonCall` request. Mirrors `struct damon_call_control`. */
export interface CallRequest {
  readonly fn: (ctx: DamonCtx) => unknown
  readonly at: CallPoint
  readonly repeat: boolean
  /** Kdamond time when the request was made, in microseconds (for latency statistics). */
  readonly enqueuedUs: number
  /** How many times the function ran (a repeat call runs many times). */
  runs: number
  state: RequestState
  readonly reply: Deferred.Deferred<unknown, DamonError>
}

/** What a walk function sees for each region a scheme was applied to. */
export interface WalkVisit {
  readonly ctx: DamonCtx
  readonly targetIndex: number
  readonly target: Target
  readonly region: Region
  readonly schemeIndex: number
  readonly scheme: Damos
  /** Bytes of the region that passed the scheme's ops-layer filters. */
  readonly szFilterPassed: number
}

/** A `damosWalk` request. Mirrors `struct damos_walk_control`. */
export interface WalkRequest {
  readonly walkFn: (visit: WalkVisit) => void
  state: RequestState
  /** Completes with the number of schemes the walk covered. */
  readonly reply: Deferred.Deferred<number, DamonError>
}

/** Completes a request's reply exactly once. */
export const settle = <A>(
  reply: Deferred.Deferred<A, DamonError>,
  outcome: { readonly ok: true; readonly value: A } | { readonly ok: false; readonly error: DamonError }
): void => {
  Deferred.doneUnsafe(reply, outcome.ok ? Effect.succeed(outcome.value) : Effect.fail(outcome.error))
}

/** Runs a user function, turning a throw into a typed `CallbackFailed` for its caller only. */
export const runUserFn = <A>(
  what: string,
  f: () => A
): { readonly ok: true; readonly value: A } | { readonly ok: false; readonly error: DamonError } => {
  try {
    return { ok: true, value: f() }
  } catch (cause) {
    return { ok: false, error: callbackFailed(what, cause) }
  }
}

/**
 * The pending control requests of one kdamond.
 *
 * **Gotchas**
 * Mutated by callers (enqueue, withdraw) and by the kdamond (serve). Both happen inside
 * synchronous steps of a single JavaScript thread, which gives the same exclusion the kernel's
 * `call_controls_lock` and `walk_control_lock` give.
 */
export interface ControlState {
  /** FIFO of calls not yet seen by the kdamond: the kdamond's request queue. */
  readonly incoming: Queue.Queue<CallRequest>
  /** Calls waiting for the loop's call point, FIFO. */
  readonly atLoop: Array<CallRequest>
  /** Calls waiting for the next aggregation boundary, FIFO. */
  readonly atAggregation: Array<CallRequest>
  /** Repeat calls, run at every serving point of their kind until withdrawn or cancelled. */
  readonly repeating: Array<CallRequest>
  walk: WalkRequest | undefined
  /** Calls accepted and still `queued` (not run, cancelled or withdrawn): what the limit counts. */
  nrQueued: number
  /**
   * Set while the kdamond waits for a call or its sample deadline (real time): completing it
   * wakes the kdamond. One doorbell per wait, not a timer per call.
   */
  wake: Deferred.Deferred<void> | undefined
  /** Set when the kdamond terminates: later requests fail at once (R2 `*_obsolete`). */
  obsolete: boolean
  /** The kdamond's counters (calls served and their latency, walks). */
  readonly stats: KdamondStats
  /** The kdamond's clock, in microseconds. */
  readonly nowUs: () => number
  /** User functions run so far (calls and walk visits): `OpsEnv.userRuns`. */
  userRuns: number
  /**
   * Run before every call's user function: brings the regions up to date (`DamonOps.settle`),
   * since the function may read or change them; false when that failed (the call is then
   * cancelled, not run). Set by the kdamond; always true until then.
   */
  beforeUser: () => boolean
}

/** Creates an empty control state. */
export const makeControlState = (stats: KdamondStats, nowUs: () => number): Effect.Effect<ControlState> =>
  Effect.map(Queue.unbounded<CallRequest>(), (incoming) => ({
    incoming,
    atLoop: [],
    atAggregation: [],
    repeating: [],
    walk: undefined,
    nrQueued: 0,
    wake: undefined,
    obsolete: false,
    stats,
    nowUs,
    userRuns: 0,
    beforeUser: () => true
  }))

/** Entries the request lists hold, withdrawn ones included until the loop prunes them. Constant time. */
export const nrHeld = (control: ControlState): number =>
  Queue.sizeUnsafe(control.incoming) + control.atLoop.length + control.atAggregation.length + control.repeating.length

/** Counts a new `queued` call (see {@link ControlState.nrQueued}) and wakes a waiting kdamond. */
export const accept = (control: ControlState, req: CallRequest): void => {
  control.nrQueued++
  Queue.offerUnsafe(control.incoming, req)
  ringWake(control)
}

/** Wakes the kdamond if it waits (a call arrived, or its deadline passed). */
export const ringWake = (control: ControlState): void => {
  const wake = control.wake
  if (wake === undefined) return
  control.wake = undefined
  Deferred.doneUnsafe(wake, Exit.void)
}

/** Moves a call out of `queued` (run, cancelled or withdrawn), once. */
export const finishCall = (control: ControlState, req: CallRequest, state: "done" | "withdrawn"): void => {
  if (req.state !== "queued") return
  req.state = state
  control.nrQueued--
}

/**
 * Drops withdrawn and finished calls from the lists waiting for a serving point, which the loop
 * otherwise prunes at its next call point (a kdamond waiting long for a boundary keeps them).
 */
export const pruneSettled = (control: ControlState): void => {
  removeSettled(control.atLoop)
  removeSettled(control.atAggregation)
  removeSettled(control.repeating)
}

const runCall = (control: ControlState, req: CallRequest, ctx: DamonCtx): void => {
  if (!control.beforeUser()) {
    // The ops set failed to bring the regions up to date (the kdamond stops with `OpsFailed`):
    // the function is not run on them; the call ends as the stop would end it.
    control.stats.callsCanceled++
    finishCall(control, req, "done")
    settle(req.reply, { ok: false, error: canceled("the ops set failed to settle the regions; the kdamond stops") })
    return
  }
  // queueing latency is the wait before the first run; later runs of a repeat call are not waits
  if (req.runs === 0) recordCallLatency(control.stats, control.nowUs() - req.enqueuedUs)
  else control.stats.callsServed++
  req.runs++
  control.userRuns++
  // `runUserFn` inline: a repeat call that returns allocates nothing (it runs every sample).
  let value: unknown
  try {
    value = req.fn(ctx)
  } catch (cause) {
    finishCall(control, req, "done")
    settle(req.reply, { ok: false, error: callbackFailed("damonCall function", cause) })
    return
  }
  if (!req.repeat) {
    finishCall(control, req, "done")
    settle(req.reply, { ok: true, value })
  }
}

/**
 * Requests one serving turn takes from the queue at most. A caller resumed by its reply can
 * enqueue its next call at once, so without a bound a busy caller would keep the kdamond (and the
 * whole event loop: no timer, no I/O) serving it forever.
 */
export const SERVE_BUDGET = 64

/**
 * Serves the calls that arrived so far in FIFO order, at most `budget` of them: `sample` calls
 * run now, `loop`, `aggregation` and repeat calls are set aside for their serving points.
 * Returns true when more are waiting (the caller lets the event loop run, then serves again).
 *
 * **Details**
 * This is the prompt-service path: the kdamond calls it while it waits for a sample, so a
 * caller does not wait for a sample boundary (the kernel's `kdamond_call()` runs only after
 * sampling).
 */
export const serveIncoming = (control: ControlState, ctx: DamonCtx, budget: number = SERVE_BUDGET): boolean => {
  for (let n = 0; n < budget; n++) {
    const exit = Queue.takeUnsafe(control.incoming)
    if (exit === undefined) return false
    // Stryker disable next-line ConditionalExpression: equivalent, the queue is never ended or failed (every take succeeds)
    if (Exit.isSuccess(exit)) dispatch(control, ctx, exit.value)
  }
  return Queue.sizeUnsafe(control.incoming) > 0
}

/**
 * Handles one request taken from the queue: runs a `sample` call now, sets `loop`,
 * `aggregation` and repeat calls aside for their serving points.
 */
export const dispatch = (control: ControlState, ctx: DamonCtx, req: CallRequest): void => {
  if (req.state !== "queued") return
  if (req.repeat) control.repeating.push(req)
  else if (req.at === "loop") control.atLoop.push(req)
  else if (req.at === "aggregation") control.atAggregation.push(req)
  else runCall(control, req, ctx)
}

/**
 * The kernel point of `kdamond_call(ctx, false)`: after sampling (and merging, at a boundary),
 * before schemes. Serves new calls (one budget of them; the rest wait for the next serving
 * turn), the calls that waited for this point, at a boundary those that waited for it, then the
 * repeat calls due here; drops withdrawn calls from the lists.
 */
export const serveAtLoopPoint = (control: ControlState, ctx: DamonCtx, atBoundary: boolean): void => {
  serveIncoming(control, ctx)
  // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, the guard only skips an empty splice
  if (control.atLoop.length > 0) {
    const batch = control.atLoop.splice(0, control.atLoop.length)
    for (const req of batch) if (req.state === "queued") runCall(control, req, ctx)
  }
  if (atBoundary && control.atAggregation.length > 0) {
    const batch = control.atAggregation.splice(0, control.atAggregation.length)
    for (const req of batch) if (req.state === "queued") runCall(control, req, ctx)
  }
  removeSettled(control.atAggregation)
  // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, the guard only skips an empty loop
  if (control.repeating.length > 0) {
    for (const req of control.repeating) {
      if (req.state !== "queued") continue
      if (req.at !== "aggregation" || atBoundary) runCall(control, req, ctx)
    }
    removeSettled(control.repeating)
  }
}

const removeSettled = (list: Array<CallRequest>): void => {
  let w = 0
  for (const req of list) if (req.state === "queued") list[w++] = req
  list.length = w
}

/**
 * Cancels every pending call with `Canceled` (the kdamond is stopping). Mirrors
 * `kdamond_call(ctx, true)`; every accepted request is thus either run or cancelled.
 */
export const cancelAllCalls = (control: ControlState, why: string): void => {
  // Stryker disable next-line ArrayDeclaration: equivalent, a non-request entry has no "queued" state and is skipped
  const all: Array<CallRequest> = []
  for (let exit = Queue.takeUnsafe(control.incoming); exit !== undefined; exit = Queue.takeUnsafe(control.incoming)) {
    // Stryker disable next-line ConditionalExpression: equivalent, the queue is never ended or failed (every take succeeds)
    if (Exit.isSuccess(exit)) all.push(exit.value)
  }
  all.push(
    ...control.atLoop.splice(0, control.atLoop.length),
    ...control.atAggregation.splice(0, control.atAggregation.length),
    ...control.repeating.splice(0, control.repeating.length)
  )
  for (const req of all) {
    if (req.state !== "queued") continue
    control.stats.callsCanceled++
    finishCall(control, req, "done")
    settle(req.reply, { ok: false, error: canceled(why) })
  }
}

/**
 * Cancels the pending walk, if any, and clears every scheme's walk bookkeeping.
 *
 * **Details**
 * Mirrors `damos_walk_cancel()`; unlike the kernel (R2), the per-scheme `walk_completed` flags are
 * reset too, so a cancelled walk leaves nothing behind for the next one.
 */
export const cancelWalk = (control: ControlState, ctx: DamonCtx, why: string): void => {
  const walk = control.walk
  if (walk === undefined) return
  control.walk = undefined
  for (const s of ctx.schemes) s.walkCompleted = false
  control.stats.walksCanceled++
  walk.state = "done"
  settle(walk.reply, { ok: false, error: canceled(why) })
}

/** Withdraws a walk whose caller gave up, clearing the schemes' walk bookkeeping. */
export const withdrawWalk = (control: ControlState, ctx: DamonCtx, walk: WalkRequest): void => {
  if (walk.state !== "queued") return
  walk.state = "withdrawn"
  control.stats.walksCanceled++
  if (control.walk === walk) {
    control.walk = undefined
    for (const s of ctx.schemes) s.walkCompleted = false
  }
}

/**
 * Calls the walk function for a region a scheme was just applied to, if a walk is pending and
 * the scheme has not finished its pass for it. A throwing walk function fails the walk (its
 * caller gets `CallbackFailed`); the kdamond goes on.
 *
 * **Details**
 * Mirrors `damos_walk_call_walk()`.
 */
export const visitWalk = (
  control: ControlState,
  ctx: DamonCtx,
  target: Target,
  region: Region,
  scheme: Damos,
  szFilterPassed: number
): void => {
  const walk = control.walk
  if (walk === undefined || walk.state !== "queued" || scheme.walkCompleted) return
  const visit: WalkVisit = {
    ctx,
    targetIndex: ctx.targets.indexOf(target),
    target,
    region,
    schemeIndex: ctx.schemes.indexOf(scheme),
    scheme,
    szFilterPassed
  }
  control.userRuns++
  const outcome = runUserFn("damosWalk function", () => walk.walkFn(visit))
  if (!outcome.ok) {
    control.walk = undefined
    for (const s of ctx.schemes) s.walkCompleted = false
    walk.state = "done"
    settle(walk.reply, outcome)
  }
}

/**
 * Marks `scheme`'s pass done for the pending walk; completes the walk once every scheme of the
 * context is done. Mirrors `damos_walk_complete()`.
 */
export const completeWalkFor = (control: ControlState, ctx: DamonCtx, scheme: Damos): void => {
  const walk = control.walk
  if (walk === undefined) return
  scheme.walkCompleted = true
  for (const s of ctx.schemes) if (!s.walkCompleted) return
  for (const s of ctx.schemes) s.walkCompleted = false
  control.walk = undefined
  walk.state = "done"
  control.stats.walksCompleted++
  settle(walk.reply, { ok: true, value: ctx.schemes.length })
}
