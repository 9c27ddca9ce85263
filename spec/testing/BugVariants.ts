/**
 * Test-only variants of the engine, each re-introducing one historical DAMON bug through the
 * engine's internal seam (`src/engine/EngineSeam.ts`). They exist only here, to show that the
 * schedule explorer finds and shrinks each bug; the shipped engine never uses them.
 */
import { Effect, Queue } from "effect"
import { commitSchemes } from "../../src/core/damos/Commit.ts"
import { accept, type ControlState, settle } from "../../src/engine/Control.ts"
import { type EngineSeam, type KdamondSeam, shippedFor } from "../../src/engine/EngineSeam.ts"
import { busy, canceled, notRunning } from "../../src/model/DamonError.ts"

const variant = (patch: (shipped: KdamondSeam, name: string) => Partial<KdamondSeam>): EngineSeam => ({
  forKdamond: (identity) => {
    const shipped = shippedFor(identity)
    return { ...shipped, ...patch(shipped, identity.name) }
  }
})

const pendingCalls = (control: ControlState): number =>
  Queue.sizeUnsafe(control.incoming) +
  [control.atLoop, control.atAggregation, control.repeating].reduce((n, list) => n + list.filter((r) => r.state === "queued").length, 0)

/**
 * Linux 6.17 fix "mm/damon/core: fix list_add_tail() call on damon_call()": the list append had
 * its arguments swapped, so every request queued before the newest one was unlinked and lost;
 * their callers waited forever.
 */
export const swappedListAppend = variant((_, name) => ({
  offerCall: (control, req) => {
    if (control.obsolete) return notRunning(`${name} has stopped`)
    while (Queue.takeUnsafe(control.incoming) !== undefined) {
      // the earlier requests fall off the list
    }
    accept(control, req)
    return undefined
  }
}))

/**
 * R1 `damon_call()` on a context that is not running: the request stays queued (the caller is
 * told nothing, or `-EINVAL` with the request left linked) and is never completed.
 */
export const queuedWhenNotRunning = variant(() => ({
  offerCall: (control, req) => {
    accept(control, req)
    return undefined
  }
}))

/**
 * "mm/damon/core: fix damon_call() vs kdamond_fn() exit race deadlock" (2026): `damon_call()`
 * checked "is the context running?" apart from the final cancellation, so a request accepted
 * between the kdamond's last `kdamond_call(cancel)` and its exit was never completed.
 */
export const exitRace = variant((shipped, name) => {
  let running = true
  return {
    offerCall: (control, req) => {
      if (!running) return notRunning(`${name} has stopped`)
      accept(control, req)
      return undefined
    },
    // the thread is still "running" for a moment after its final cancellation
    terminate: (st, reason) => Effect.andThen(shipped.terminate(st, reason), Effect.andThen(Effect.yieldNow, Effect.sync(() => {
      running = false
    })))
  }
})

/**
 * `damos_walk()` cancellation (R1 and R2) leaves the per-scheme `walk_completed` flags set, so the
 * next walk misses the schemes that had finished their pass for the cancelled one.
 */
export const walkFlagsLeftSet = variant(() => ({
  cancelWalk: (control, _ctx, why) => {
    const walk = control.walk
    if (walk === undefined) return
    control.walk = undefined
    control.stats.walksCanceled++
    walk.state = "done"
    settle(walk.reply, { ok: false, error: canceled(why) })
  },
  withdrawWalk: (control, _ctx, walk) => {
    if (walk.state !== "queued") return
    walk.state = "withdrawn"
    control.stats.walksCanceled++
    if (control.walk === walk) control.walk = undefined
  }
}))

/** The first `damon_call()` (6.14): one request slot; a concurrent second call is refused with `-EBUSY`. */
export const singleSlotCall = variant((_, name) => ({
  offerCall: (control, req) => {
    if (control.obsolete) return notRunning(`${name} has stopped`)
    if (pendingCalls(control) > 0) return busy(`${name} already has a pending damon_call()`)
    accept(control, req)
    return undefined
  }
}))

/**
 * Before "avoid use of half-online-committed context" (`maybe_corrupted`, 7.1): `damon_commit_ctx()`
 * committed the schemes, then failed on the targets, and the kdamond went on with the mix.
 */
export const halfCommitted = variant((shipped) => ({
  commitInLoop: (st, source, factory) => {
    commitSchemes(st.ctx, source.schemes)
    return shipped.commitInLoop(st, source, factory)
  }
}))

/** The engine variants, by the bug they re-introduce, with the invariants that may report it first. */
export const engineBugs: ReadonlyArray<{ readonly name: string; readonly engine: EngineSeam; readonly invariants: ReadonlyArray<string> }> = [
  { name: "swapped-list-append", engine: swappedListAppend, invariants: ["oneOutcome"] },
  { name: "queued-when-not-running", engine: queuedWhenNotRunning, invariants: ["oneOutcome"] },
  { name: "exit-race", engine: exitRace, invariants: ["oneOutcome"] },
  // the next walk misses a scheme (walkCoverage), or the stop finds the flags still set
  { name: "walk-flags-left-set", engine: walkFlagsLeftSet, invariants: ["walkCoverage", "nothingLeftBehind"] },
  { name: "single-slot-call", engine: singleSlotCall, invariants: ["oneOutcome"] },
  { name: "half-committed", engine: halfCommitted, invariants: ["commitsAtomic"] }
]
