/**
 * The kdamond's clock: real time (Effect's `Clock`, so `TestClock` drives it in tests) or
 * virtual time that advances by exactly the time the kdamond would sleep, running as fast as the
 * CPU allows. The loop schedules by sample-interval counts like the kernel; this clock only
 * answers "what time is it" (for quota windows, watermarks and simulated workloads) and sleeps.
 */
import { Clock, Duration, Effect } from "effect"

/** How a kdamond experiences time. */
export type TimeMode = "real" | "virtual"

/** A kdamond's view of time. */
export interface KdamondClock {
  readonly mode: TimeMode
  /** Microseconds since the kdamond started. */
  readonly nowUs: () => number
  /** Sleeps `us` microseconds (virtual: advances the clock and yields to other fibers). */
  readonly sleep: (us: number) => Effect.Effect<void>
}

/** A virtual clock: time moves only when the kdamond sleeps. */
export const makeVirtual = (): KdamondClock => {
  let now = 0
  return {
    mode: "virtual",
    nowUs: () => now,
    sleep: (us) =>
      Effect.suspend(() => {
        now += Math.max(us, 0)
        return Effect.yieldNow
      })
  }
}

/** A real clock read from Effect's `Clock` service (real time, or `TestClock` in tests). */
export const makeReal: Effect.Effect<KdamondClock> = Clock.clockWith((clock) =>
  Effect.sync(() => {
    const t0 = clock.currentTimeNanosUnsafe()
    return {
      mode: "real" as const,
      nowUs: () => Number((clock.currentTimeNanosUnsafe() - t0) / 1000n),
      sleep: (us: number) => (us > 0 ? Effect.sleep(Duration.micros(BigInt(Math.ceil(us)))) : Effect.yieldNow)
    }
  })
)
