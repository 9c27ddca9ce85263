/**
 * A virtual-time kdamond whose reader keeps up: the reader joins the world as a participant
 * before the kdamond starts and wakes once per aggregation interval, so world time stands still
 * while it handles the events (writes a record, prints a snapshot, asks the kdamond for its
 * scheme stats with a `damonCall`, served while the kdamond waits). The kdamond is never more
 * than an aggregation or two ahead: no event is dropped, and memory is that of a couple of
 * snapshots however long the run. Used by `record` and `demo`.
 */
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { MonitorEvent } from "../engine/Events.ts"
import type { Kdamond } from "../engine/Kdamond.ts"
import { WorldClock } from "../engine/World.ts"

/**
 * Starts a kdamond with `start` while holding world time, then calls `onEvent` with each of its
 * events but `Sampled` in order until `Stopped`; returns the kdamond. `firstAggrUs` is the aggregation
 * interval of the config (later wakeups follow the events' own intervals).
 */
export const runPaced = <E, R, E2, R2>(
  start: Effect.Effect<Kdamond, E, R>,
  firstAggrUs: number,
  onEvent: (event: MonitorEvent, kdamond: Kdamond) => Effect.Effect<void, E2, R2>
): Effect.Effect<Kdamond, E | E2, R | R2 | WorldClock | Scope.Scope> =>
  Effect.gen(function*() {
    const world = yield* WorldClock
    const pacer = world.join()
    yield* Effect.addFinalizer(() => Effect.sync(() => pacer.leave()))
    const kdamond = yield* start
    const queue = yield* Queue.unbounded<MonitorEvent>()
    // Per-sample events are left out (nobody here reads them; a minute holds 12 000 of them).
    yield* Effect.forkScoped(
      Stream.runForEachArray(kdamond.events, (chunk) => Queue.offerAll(queue, chunk.filter((e) => e._tag !== "Sampled"))),
      { startImmediately: true }
    )
    const startUs = world.nowUs()
    let nextUs = firstAggrUs
    let aggrUs = firstAggrUs
    let stopped = false
    while (!stopped) {
      for (const e of yield* Queue.clear(queue)) {
        yield* onEvent(e, kdamond)
        if (e._tag === "Stopped") stopped = true
        if (e._tag === "Aggregated") {
          nextUs = e.atUs + e.aggrIntervalUs
          aggrUs = e.aggrIntervalUs
        }
      }
      if (stopped) break
      // One microsecond past the expected aggregation: the kdamond, asleep since its previous
      // sample, runs first at that instant and publishes before the reader wakes. If that time
      // has passed with no event yet (retuned intervals), time still moves on by a tenth of one.
      yield* pacer.sleepUntil(Math.max(startUs + nextUs + 1, world.nowUs() + Math.max(1, Math.floor(aggrUs / 10))))
      yield* Effect.yieldNow
    }
    return kdamond
  })
