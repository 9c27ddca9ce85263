/**
 * An Effect `Scheduler` that keeps timers (a real-time kdamond's sampling among them) on time
 * while the program is busy, for programs that run kdamonds next to heavy work in one thread.
 *
 * Effect's default scheduler gives each fiber its own dispatcher, and a fiber yields after an
 * operation count: a thousand busy fibers fill one event-loop turn with a thousand slices, and a
 * fiber whose steps are slow runs 2048 of them before yielding. A timer due meanwhile waits for
 * all of it. Here every fiber shares one dispatcher whose turn ends after a time budget (the rest
 * runs on the next turn, after timers and I/O), and a fiber yields after a time slice as well as
 * after its operation budget; lower priority numbers still run first (the kdamond yields with
 * `KDAMOND_YIELD_PRIORITY`). Time is read from Effect's `Clock` (under `TestClock` only the task
 * and operation counts bound a turn).
 *
 * Provide it to the whole program (`Effect.provide(program, FairScheduler.layer())`): the bound
 * holds only for fibers that use it. It cannot preempt a single synchronous step; a step that
 * runs 50 ms delays every timer by 50 ms. Measured in `bench/schedule.ts` (docs/design.md, "The
 * kdamond's schedule").
 *
 * @since 0.3.0
 * @category engine
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Scheduler from "effect/Scheduler"

/** Options of {@link make}; every field has a default. */
export interface FairSchedulerOptions {
  /** Effect tasks one event-loop turn runs for at most, in microseconds. Defaults to 1000. */
  readonly turnBudgetUs?: number
  /** A fiber yields once it has run this long without a break, in microseconds. Defaults to 500. */
  readonly sliceUs?: number
  /** Tasks one turn runs at most, whatever the clock says. Defaults to 4096. */
  readonly maxTasksPerTurn?: number
}

interface Bucket {
  readonly priority: number
  readonly tasks: Array<() => void>
  head: number
}

/** One dispatcher for every fiber: priority buckets, FIFO within one, bounded turns. */
class FairDispatcher implements Scheduler.SchedulerDispatcher {
  private readonly buckets: Array<Bucket> = []
  private size = 0
  private armed = false
  private readonly nowUs: () => number
  private readonly turnBudgetUs: number
  private readonly maxTasksPerTurn: number
  /** Effect's own hook into the event loop's check phase (what its default scheduler uses). */
  private readonly later = new Scheduler.MixedScheduler().setImmediate

  constructor(nowUs: () => number, turnBudgetUs: number, maxTasksPerTurn: number) {
    this.nowUs = nowUs
    this.turnBudgetUs = turnBudgetUs
    this.maxTasksPerTurn = maxTasksPerTurn
  }

  scheduleTask(task: () => void, priority: number): void {
    let i = 0
    while (i < this.buckets.length && this.buckets[i]!.priority < priority) i++
    let bucket = this.buckets[i]
    if (bucket === undefined || bucket.priority !== priority) {
      bucket = { priority, tasks: [], head: 0 }
      this.buckets.splice(i, 0, bucket)
    }
    bucket.tasks.push(task)
    this.size++
    this.arm()
  }

  private arm(): void {
    if (this.armed || this.size === 0) return
    this.armed = true
    this.later(this.turn)
  }

  private take(): (() => void) | undefined {
    while (this.buckets.length > 0) {
      const b = this.buckets[0]!
      if (b.head < b.tasks.length) {
        const task = b.tasks[b.head]!
        b.tasks[b.head++] = noop
        this.size--
        return task
      }
      this.buckets.shift()
    }
    return undefined
  }

  private readonly turn = (): void => {
    this.armed = false
    const end = this.nowUs() + this.turnBudgetUs
    for (let n = 1; ; n++) {
      const task = this.take()
      if (task === undefined) break
      task()
      if (n >= this.maxTasksPerTurn || this.nowUs() >= end) break
    }
    this.arm()
  }

  flush(): void {
    for (let task = this.take(); task !== undefined; task = this.take()) task()
  }
}

const noop = (): void => {}

/** A scheduler over `clock` with `options` (see {@link FairSchedulerOptions}). */
export const make = (clock: Clock.Clock, options: FairSchedulerOptions = {}): Scheduler.Scheduler => {
  const nowUs = (): number => Number(clock.currentTimeNanosUnsafe() / 1000n)
  const sliceUs = options.sliceUs ?? 500
  const dispatcher = new FairDispatcher(nowUs, options.turnBudgetUs ?? 1000, options.maxTasksPerTurn ?? 4096)
  const sliceStart = new WeakMap<object, number>()
  return {
    executionMode: "async",
    shouldYield: (fiber: Fiber.Fiber<unknown, unknown>): boolean => {
      const n = fiber.currentOpCount
      if (n >= fiber.cache.maxOpsBeforeYield) return true
      if (n <= 1) {
        sliceStart.set(fiber, nowUs())
        return false
      }
      if ((n & 15) !== 0) return false
      const start = sliceStart.get(fiber)
      return start !== undefined && nowUs() - start >= sliceUs
    },
    makeDispatcher: () => dispatcher
  }
}

/** The scheduler as a layer, over the program's `Clock`. */
export const layer = (options: FairSchedulerOptions = {}) =>
  Layer.effect(Scheduler.Scheduler, Clock.clockWith((clock) => Effect.succeed(make(clock, options))))
