/**
 * The explorer's world clock: a virtual world whose time moves only when the explorer says so,
 * which it does when no task is ready. Kdamonds, clients and Effect's `Clock` (so `Effect.sleep`
 * and timeouts in user code too) all sleep on it. Every fiber woken by a time step yields at
 * once, so the order in which they continue is the scheduler's choice, not the wake order.
 *
 * Unlike `World.layerVirtual`, time does not jump as soon as every kdamond sleeps: a client that
 * is ready to run always runs first, at the current time. Time is a pure function of the
 * schedule, hence replayable.
 */
import type * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type { Participant, TimeMode, World } from "../engine/World.ts"

/** A world driven by the explorer. */
export interface StepWorld extends World {
  /**
   * Moves time to the earliest pending wakeup, if it is at most `limitUs`, and wakes every
   * sleeper due then; false when there is none (or it lies beyond the limit).
   */
  readonly advance: (limitUs: number) => boolean
  /** Effect's `Clock` over this world (milliseconds and nanoseconds since the world began). */
  readonly clock: Clock.Clock
}

interface Sleeper {
  readonly wakeUs: number
  readonly wake: Deferred.Deferred<void>
}

/**
 * Creates a world at time 0. `mode` is what kdamonds see: `"virtual"` (they sleep to each sample
 * deadline, then serve calls) or `"real"` (they wait on their queue with a timeout, serving each
 * call as it arrives): both run on this clock, so both paths of the engine can be explored.
 */
export const make = (mode: TimeMode = "virtual"): StepWorld => {
  let now = 0
  // few sleepers at a time (kdamonds and clients): a list kept in arrival order is enough
  let sleepers: Array<Sleeper> = []

  const park = (wakeUs: number): Effect.Effect<void> =>
    Effect.suspend(() => {
      const s: Sleeper = { wakeUs: Math.max(wakeUs, now), wake: Deferred.makeUnsafe<void>() }
      sleepers.push(s)
      return Effect.andThen(
        Deferred.await(s.wake).pipe(Effect.onInterrupt(() => Effect.sync(() => {
          sleepers = sleepers.filter((x) => x !== s)
        }))),
        Effect.yieldNow
      )
    })

  const advance = (limitUs: number): boolean => {
    let next = Number.POSITIVE_INFINITY
    for (const s of sleepers) if (s.wakeUs < next) next = s.wakeUs
    if (next > limitUs) return false
    if (next > now) now = next
    const due = sleepers.filter((s) => s.wakeUs <= now)
    sleepers = sleepers.filter((s) => s.wakeUs > now)
    for (const s of due) Deferred.doneUnsafe(s.wake, Exit.void)
    return true
  }

  const sleepDuration = (d: Duration.Duration): Effect.Effect<void> => {
    const ms = Duration.toMillis(d)
    return Number.isFinite(ms) ? Effect.suspend(() => park(now + Math.ceil(ms * 1000))) : Effect.never
  }

  const participant: Participant = { sleepUntil: park, leave: () => {} }
  const clock: Clock.Clock = {
    currentTimeMillisUnsafe: () => Math.floor(now / 1000),
    currentTimeMillis: Effect.sync(() => Math.floor(now / 1000)),
    currentTimeNanosUnsafe: () => BigInt(now) * 1000n,
    currentTimeNanos: Effect.sync(() => BigInt(now) * 1000n),
    monotonicTimeNanosUnsafe: () => BigInt(now) * 1000n,
    monotonicTimeNanos: Effect.sync(() => BigInt(now) * 1000n),
    sleep: sleepDuration
  }

  return {
    mode,
    nowUs: () => now,
    join: () => participant,
    sleep: (us) => Effect.suspend(() => park(now + Math.max(us, 0))),
    advance,
    clock
  }
}
