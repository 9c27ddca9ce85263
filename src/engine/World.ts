/**
 * World time: one clock shared by every kdamond of a runtime and by the address space they
 * watch, so a workload has one timeline however many kdamonds observe it and whenever they start.
 *
 * - `"real"`: world time is Effect's `Clock` (so `TestClock` drives it in tests), counted from
 *   the world's creation.
 * - `"virtual"`: a discrete-event scheduler. Kdamonds are *participants*: world time stands
 *   still while any participant runs, and when every participant sleeps it jumps to the earliest
 *   pending wakeup (ties: the earlier sleeper first). A run is a pure function of the configs,
 *   the workload, the seeds and the order kdamonds were started in, and it runs as fast as the
 *   CPU allows.
 *
 * The kernel has one clock (jiffies, ktime) for everything; this module is that clock.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/** How a world experiences time. */
export type TimeMode = "real" | "virtual"

/** A fiber that holds world time back while it runs (a kdamond). */
export interface Participant {
  /**
   * Sleeps until world time reaches `untilUs`. Virtual: the participant stops holding time back
   * and wakes at exactly `untilUs`. Real: sleeps on the clock and re-checks the deadline, since
   * timers may fire early.
   */
  readonly sleepUntil: (untilUs: number) => Effect.Effect<void>
  /**
   * Virtual worlds: the sleep `sleepUntil(untilUs)` would be when it can end at once (this
   * participant is the only one awake, no earlier wakeup is pending, and it is not this sleep's
   * turn to let the rest of the program run): moves time to `untilUs` and returns true. Otherwise
   * returns false and changes nothing (sleep with `sleepUntil`). Saves the hot loop an effect.
   */
  readonly advanceAlone?: (untilUs: number) => boolean
  /**
   * Virtual worlds: `sleepUntil(untilUs)`, but the world may carry the participant on through
   * later sleeps without resuming its fiber. At a wake that is not a turn for the rest of the
   * program, the world runs `step` (the participant's synchronous work up to its next sleep),
   * which returns the next wake time, or a negative number to be resumed with it. The effect
   * returns the negative number of the last step run, or `undefined` when the world ran none for
   * the last wake: then the caller does that wake's work itself. A switch between kdamonds then
   * costs no fiber resumption at all.
   */
  readonly sleepStepping?: (untilUs: number, step: () => number) => Effect.Effect<number | undefined>
  /** Leaves the world (once, when the participant stops); time no longer waits for it. */
  readonly leave: () => void
}

/** The world clock. */
export interface World {
  readonly mode: TimeMode
  /** World time, in microseconds since the world began. */
  readonly nowUs: () => number
  /** Joins as a participant, awake (virtual time waits for it until it sleeps or leaves). */
  readonly join: () => Participant
  /**
   * Sleeps `us` microseconds of world time, for fibers that are not participants (a client
   * waiting for the workload to reach a phase). In virtual time it wakes once world time has
   * reached the deadline; time does not wait for it afterwards, so it may see a later time.
   */
  readonly sleep: (us: number) => Effect.Effect<void>
}

/** The world clock service of a runtime. */
export class WorldClock extends Context.Service<WorldClock, World>()("effect-damon/WorldClock") {}

interface Sleeper {
  wakeUs: number
  seq: number
  readonly participant: boolean
  /** Resumes the sleeping fiber (its `Effect.callback`'s resume) with what the sleep returns. */
  readonly resume: (effect: Effect.Effect<number | undefined>) => void
  /** The participant's work up to its next sleep, which the world may run for it (`sleepStepping`). */
  readonly step: (() => number) | undefined
  /** Interrupted: the fiber runs its own way out; the world must not put it back to sleep. */
  cancelled: boolean
  /** Position in the heap, or -1 once released or withdrawn. */
  pos: number
}

const before = (a: Sleeper, b: Sleeper): boolean => a.wakeUs < b.wakeUs || (a.wakeUs === b.wakeUs && a.seq < b.seq)

/** A binary min-heap of sleepers by (wake time, arrival), with removal for withdrawn sleeps. */
class SleeperHeap {
  readonly items: Array<Sleeper> = []

  peek(): Sleeper | undefined {
    return this.items[0]
  }

  push(s: Sleeper): void {
    s.pos = this.items.length
    this.items.push(s)
    this.up(s.pos)
  }

  pop(): Sleeper | undefined {
    const top = this.items[0]
    if (top !== undefined) this.removeAt(0)
    return top
  }

  remove(s: Sleeper): void {
    if (s.pos >= 0) this.removeAt(s.pos)
  }

  private removeAt(i: number): void {
    const items = this.items
    const gone = items[i]!
    const last = items.pop()!
    gone.pos = -1
    if (last === gone) return
    items[i] = last
    last.pos = i
    this.down(i)
    this.up(last.pos)
  }

  private up(i: number): void {
    const items = this.items
    while (i > 0) {
      const parent = (i - 1) >>> 1
      if (!before(items[i]!, items[parent]!)) return
      this.swap(i, parent)
      i = parent
    }
  }

  private down(i: number): void {
    const items = this.items
    const n = items.length
    while (true) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < n && before(items[l]!, items[m]!)) m = l
      if (r < n && before(items[r]!, items[m]!)) m = r
      if (m === i) return
      this.swap(i, m)
      i = m
    }
  }

  private swap(i: number, j: number): void {
    const items = this.items
    const a = items[i]!
    const b = items[j]!
    items[i] = b
    items[j] = a
    a.pos = j
    b.pos = i
  }
}

/**
 * Sleeps in a virtual world between two turns given to the rest of the program (see
 * {@link makeVirtual}).
 */
export const STEPS_PER_TURN = 64

/** A stepping sleeper's wake that is a turn: it yields, then does the wake's work itself. */
const turn: Effect.Effect<undefined> = Effect.as(Effect.yieldNow, undefined)

/**
 * A virtual world: time moves only when every participant sleeps.
 *
 * **Details**
 * A participant that goes to sleep while it is the only one awake and no earlier wakeup is
 * pending advances time itself and goes on (the common single-kdamond case costs no
 * suspension). Otherwise it suspends (`Effect.callback`) and the earliest sleeper is resumed at
 * once, on the same stack: a switch between kdamonds is one callback, not a `Deferred` and a
 * hop. Releases run in one loop (a trampoline): a sleeper resumed there runs until it sleeps
 * again, and its own release request returns to that loop instead of nesting, so the stack stays
 * two fibers deep however many switches follow. Every {@link STEPS_PER_TURN}-th sleep yields to
 * Effect's scheduler instead, so fibers that are neither participants nor sleepers (a client
 * about to make a call, a program marking its memory) and I/O get their turn: world time is
 * not theirs to hold, and yielding at every sleep would cost more than a small sample.
 */
export const makeVirtual = (): World => {
  let now = 0
  let awake = 0
  let seq = 0
  let steps = 0
  let releasing = false
  const heap = new SleeperHeap()
  /**
   * What a sleep ends with: a turn for the rest of the program every `STEPS_PER_TURN` sleeps, and
   * at a participant's first sleep (so whoever started it goes on); else nothing.
   */
  const afterSleep = (first: boolean): Effect.Effect<void> =>
    ++steps % STEPS_PER_TURN === 0 || first ? Effect.yieldNow : Effect.void
  const resumed = Effect.succeed(undefined)

  /**
   * Releases sleepers in time order while no participant is awake; a stepping sleeper's step is
   * run here and the sleeper put back at the time it returns, its fiber left suspended.
   * Re-entered from a sleeper it resumed (which slept again), it returns at once: the outer loop
   * goes on releasing.
   */
  const pump = (): void => {
    if (releasing) return
    releasing = true
    try {
      while (awake === 0) {
        const s = heap.pop()
        if (s === undefined) return
        if (s.wakeUs > now) now = s.wakeUs
        if (s.participant) awake++
        if (s.step === undefined) {
          s.resume(resumed)
          continue
        }
        // a turn: the fiber yields, then does this wake's work itself
        if (++steps % STEPS_PER_TURN === 0) {
          s.resume(turn)
          continue
        }
        let next: number
        try {
          next = s.step()
        } catch (cause) {
          s.resume(Effect.die(cause))
          continue
        }
        if (s.cancelled) continue
        if (next < 0) {
          s.resume(Effect.succeed(next))
          continue
        }
        awake--
        s.wakeUs = Math.max(next, now)
        s.seq = seq++
        heap.push(s)
      }
    } finally {
      releasing = false
    }
  }

  const park = (wakeUs: number, participant: boolean, step: (() => number) | undefined) =>
    Effect.callback<number | undefined>((resume) => {
      const s: Sleeper = { wakeUs, seq: seq++, participant, resume, step, cancelled: false, pos: -1 }
      heap.push(s)
      if (participant) awake--
      pump()
      // Withdrawn (interrupted) before its wakeup: it runs again (a participant holds time).
      return Effect.sync(() => {
        s.cancelled = true
        if (s.pos >= 0) {
          heap.remove(s)
          if (participant) awake++
        }
      })
    })

  const join = (): Participant => {
    awake++
    let left = false
    let slept = false
    /** The lone participant's sleep: time moves to `untilUs` at once. */
    const alone = (untilUs: number): boolean => {
      const top = heap.peek()
      if (awake !== 1 || (top !== undefined && top.wakeUs <= untilUs)) return false
      if (untilUs > now) now = untilUs
      return true
    }
    const sleepUntil = (untilUs: number): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (left) return Effect.yieldNow
        const first = !slept
        slept = true
        if (alone(untilUs)) return afterSleep(first)
        return Effect.andThen(park(Math.max(untilUs, now), true, undefined), Effect.suspend(() => afterSleep(first)))
      })
    return {
      sleepUntil,
      sleepStepping: (untilUs, step) =>
        Effect.suspend(() => {
          if (left || !slept) return Effect.as(sleepUntil(untilUs), undefined)
          if (alone(untilUs)) return Effect.as(afterSleep(false), undefined)
          return park(Math.max(untilUs, now), true, step)
        }),
      advanceAlone: (untilUs) => {
        // exactly sleepUntil's lone-participant case when it ends with `Effect.void`
        if (left || !slept || (steps + 1) % STEPS_PER_TURN === 0 || !alone(untilUs)) return false
        steps++
        return true
      },
      leave: () => {
        if (left) return
        left = true
        awake--
        pump()
      }
    }
  }

  return {
    mode: "virtual",
    nowUs: () => now,
    join,
    sleep: (us) =>
      Effect.suspend(() => Effect.andThen(park(now + Math.max(us, 0), false, undefined), Effect.suspend(() => afterSleep(false))))
  }
}

/** A real world over Effect's `Clock` (real time, or `TestClock` in tests). */
export const makeReal: Effect.Effect<World> = Clock.clockWith((clock) =>
  Effect.sync(() => {
    const t0 = clock.currentTimeNanosUnsafe()
    const nowUs = () => Number((clock.currentTimeNanosUnsafe() - t0) / 1000n)
    const sleepUntil = (untilUs: number): Effect.Effect<void> =>
      Effect.suspend(() => {
        const remaining = untilUs - nowUs()
        if (remaining <= 0) return Effect.void
        // Timers may fire early: sleep again until the deadline has really passed.
        return Effect.andThen(Effect.sleep(Duration.micros(BigInt(Math.ceil(remaining)))), sleepUntil(untilUs))
      })
    return {
      mode: "real" as const,
      nowUs,
      join: () => ({ sleepUntil, leave: () => {} }),
      sleep: (us: number) => Effect.suspend(() => sleepUntil(nowUs() + us))
    }
  })
)

/** A runtime whose kdamonds share one virtual world. */
export const layerVirtual: Layer.Layer<WorldClock> = Layer.sync(WorldClock, makeVirtual)

/** A runtime whose kdamonds share real time (Effect's `Clock`; `TestClock` in tests). */
export const layerReal: Layer.Layer<WorldClock> = Layer.effect(WorldClock, makeReal)

/** The world of `mode`, as a layer. */
export const layer = (mode: TimeMode): Layer.Layer<WorldClock> => (mode === "virtual" ? layerVirtual : layerReal)
