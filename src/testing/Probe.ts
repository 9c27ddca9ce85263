/**
 * The kdamond's probes: what the kit sees of a kdamond without changing what it does. The
 * engine's control steps (its internal seam) are wrapped to record when a request was accepted,
 * which regions each apply pass tried while a walk was pending, when each scheme's pass ended
 * and what a stop left behind; ops sets are wrapped to record when an ops hook runs (so a user
 * function found running inside one breaks exclusivity).
 */
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import type { ControlState } from "../engine/Control.ts"
import type { EngineSeam } from "../engine/EngineSeam.ts"
import type { LoopState } from "../engine/KdamondLoop.ts"
import type { DamonOps, DamonOpsFactory } from "../ops/DamonOps.ts"
import type { Recorder } from "./Recorder.ts"

const queuedIn = (control: ControlState): number => {
  let n = 0
  for (const list of [control.atLoop, control.atAggregation, control.repeating]) {
    for (const req of list) if (req.state === "queued") n++
  }
  return n
}

/** What a terminated kdamond left behind: every entry is a broken "nothing left" guarantee. */
export const leftovers = (st: LoopState): Array<string> => {
  const out: Array<string> = []
  const control = st.control
  if (!control.obsolete) out.push("its control channels still accept requests")
  const incoming = Queue.sizeUnsafe(control.incoming)
  if (incoming > 0) out.push(`${incoming} request(s) left in its queue`)
  const parked = queuedIn(control)
  if (parked > 0) out.push(`${parked} call(s) left waiting for a serving point`)
  if (control.walk !== undefined) out.push("a walk left installed")
  const flagged = st.ctx.schemes.flatMap((s, i) => (s.walkCompleted ? [i] : []))
  if (flagged.length > 0) out.push(`walk_completed left set on scheme(s) ${flagged.join(", ")}`)
  return out
}

/** Wraps `inner` (the shipped engine or a test variant) so every kdamond reports to `rec`. */
export const probeSeam = (rec: Recorder, inner: EngineSeam): EngineSeam => ({
  forKdamond: (identity) => {
    const s = inner.forKdamond(identity)
    const pid = identity.pid
    return {
      ...s,
      offerCall: (control, req) => {
        const refused = s.offerCall(control, req)
        if (refused === undefined) rec.accepted(req.fn)
        return refused
      },
      offerWalk: (control, walk) => {
        const refused = s.offerWalk(control, walk)
        if (refused === undefined) rec.accepted(walk.walkFn)
        return refused
      },
      applyHooks: (hooks, ctx) => {
        const h = s.applyHooks(hooks, ctx)
        return {
          ...h,
          onApplied: (t, r, scheme, szFilterPassed) => {
            if (rec.tracking(pid)) rec.tried(pid, ctx.passedSampleIntervals, ctx.schemes.indexOf(scheme), r.start, r.end)
            h.onApplied(t, r, scheme, szFilterPassed)
          },
          walkComplete: (scheme) => {
            if (rec.tracking(pid)) rec.passDone(pid, ctx.passedSampleIntervals, ctx.schemes.indexOf(scheme))
            h.walkComplete(scheme)
          }
        }
      },
      terminate: (st, reason) => Effect.andThen(s.terminate(st, reason), Effect.sync(() => rec.stopped(pid, leftovers(st))))
    }
  }
})

/** An ops set whose every hook raises `rec.opsDepth` while it runs. */
export const instrumentOps = (rec: Recorder, factory: DamonOpsFactory): DamonOpsFactory => () => {
  const ops = factory()
  const wrapped: Record<string, unknown> = { ...ops }
  for (const [name, hook] of Object.entries(ops)) {
    if (typeof hook !== "function") continue
    wrapped[name] = (...args: Array<unknown>) => {
      rec.opsDepth++
      try {
        return (hook as (...a: Array<unknown>) => unknown)(...args)
      } finally {
        rec.opsDepth--
      }
    }
  }
  return wrapped as unknown as DamonOps
}
