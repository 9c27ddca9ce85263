/**
 * The engine's internal seam: the few control steps the testing kit (`effect-damon/testing`)
 * observes and its own tests replace. Observing: the kit wraps these steps to record when a
 * request was accepted, which regions an apply pass tried and what a stop left behind.
 * Replacing: the kit's tests build test-only variants of the engine that re-introduce
 * historical kernel bugs, to show that the schedule explorer finds them.
 *
 * The default is exactly the shipped behaviour: each step is the function the engine always
 * ran. No entry point exports this module; `KdamondStart.start` reads it once per kdamond.
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type { ApplyHooks } from "../core/damos/ApplySchemes.ts"
import { busy, type DamonError, notRunning } from "../model/DamonError.ts"
import type { DamonCtx } from "../model/DamonCtx.ts"
import { accept, type CallRequest, cancelWalk, type ControlState, type WalkRequest, withdrawWalk } from "./Control.ts"
import type { StopReason } from "./Events.ts"
import { commitInLoop, type LoopState, terminate } from "./KdamondLoop.ts"

/** Which kdamond a seam serves. */
export interface KdamondIdentity {
  /** `kdamond.<index>`, as the kernel names the thread. */
  readonly name: string
  readonly pid: number
}

/** The replaceable control steps of one kdamond. */
export interface KdamondSeam {
  /**
   * Accepts a `damonCall` request into the kdamond's queue, or refuses it: the kernel's check of
   * `call_controls_obsolete` and its list append, done as one step under one lock.
   */
  readonly offerCall: (control: ControlState, req: CallRequest) => DamonError | undefined
  /** Installs a `damosWalk` request in the single walk slot, or refuses it (stopped, busy). */
  readonly offerWalk: (control: ControlState, walk: WalkRequest) => DamonError | undefined
  /** `damos_walk_cancel()`: cancels the pending walk and clears the walk bookkeeping. */
  readonly cancelWalk: typeof cancelWalk
  /** Withdraws a walk whose caller gave up. */
  readonly withdrawWalk: typeof withdrawWalk
  /** The online commit, on the kdamond (`damon_commit_ctx()` inside a call). */
  readonly commitInLoop: typeof commitInLoop
  /** Termination: cleanup, obsolete control channels, cancellations, the `Stopped` event. */
  readonly terminate: (st: LoopState, reason: StopReason) => Effect.Effect<void>
  /** The hooks handed to every apply pass over `ctx` (the walk's visits and completions). */
  readonly applyHooks: (hooks: ApplyHooks, ctx: DamonCtx) => ApplyHooks
}

/** The seam: the control steps of each kdamond the runtime starts. */
export interface EngineSeam {
  readonly forKdamond: (kdamond: KdamondIdentity) => KdamondSeam
}

/** The shipped control steps of kdamond `name`. */
export const shippedFor = ({ name }: KdamondIdentity): KdamondSeam => ({
  offerCall: (control, req) => {
    if (control.obsolete) return notRunning(`${name} has stopped`)
    accept(control, req)
    return undefined
  },
  offerWalk: (control, walk) => {
    if (control.obsolete) return notRunning(`${name} has stopped`)
    if (control.walk !== undefined) return busy(`${name} already has a pending damosWalk`)
    control.walk = walk
    return undefined
  },
  cancelWalk,
  withdrawWalk,
  commitInLoop,
  terminate: (st, reason) => Effect.sync(() => terminate(st, reason)),
  applyHooks: (hooks) => hooks
})

/** The shipped engine. */
export const shipped: EngineSeam = { forKdamond: shippedFor }

/** The seam a kdamond starts with: the shipped engine unless a test provides a variant. */
export const EngineSeam = Context.Reference<EngineSeam>("effect-damon/internal/EngineSeam", {
  defaultValue: () => shipped
})
