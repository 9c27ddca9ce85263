/**
 * `FairScheduler`: one dispatcher for every fiber, priority order and FIFO within a priority,
 * turns that end after a time budget or a task count (so timers and I/O run between them), and
 * fibers that yield after a time slice as well as after their operation budget.
 */
import { assert, describe, it } from "@effect/vitest"
import { type Clock, Effect, type Fiber } from "effect"
import * as FairScheduler from "../../src/engine/FairScheduler.ts"

/** A clock the test moves by hand. */
const fakeClock = () => {
  let us = 0
  const clock = {
    currentTimeMillisUnsafe: () => Math.floor(us / 1000),
    currentTimeNanosUnsafe: () => BigInt(us) * 1000n
  } as unknown as Clock.Clock
  return { clock, advance: (d: number) => void (us += d) }
}

const nextMacrotask = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

describe("FairScheduler", () => {
  it("every fiber shares one dispatcher; lower priorities run first, FIFO within one", () => {
    const s = FairScheduler.make(fakeClock().clock)
    const d = s.makeDispatcher()
    assert.strictEqual(s.makeDispatcher(), d)
    const order: Array<string> = []
    for (const [name, priority] of [["a", 0], ["b", -1], ["c", 0], ["d", 1], ["e", -1]] as const) {
      d.scheduleTask(() => order.push(name), priority)
    }
    d.flush()
    assert.deepStrictEqual(order, ["b", "e", "a", "c", "d"])
  })

  it.live("a turn ends once its time budget is spent, and the rest runs on later turns", () =>
    Effect.gen(function*() {
      const { clock, advance } = fakeClock()
      const d = FairScheduler.make(clock, { turnBudgetUs: 1000 }).makeDispatcher()
      let ran = 0
      for (let i = 0; i < 10; i++) {
        d.scheduleTask(() => {
          ran++
          advance(300)
        }, 0)
      }
      yield* nextMacrotask
      assert.strictEqual(ran, 4)
      for (let i = 0; i < 5 && ran < 10; i++) yield* nextMacrotask
      assert.strictEqual(ran, 10)
    }))

  it.live("a turn that spends exactly its time budget ends there (found by mutation testing)", () =>
    Effect.gen(function*() {
      const { clock, advance } = fakeClock()
      const d = FairScheduler.make(clock, { turnBudgetUs: 1000 }).makeDispatcher()
      let ran = 0
      for (let i = 0; i < 10; i++) {
        d.scheduleTask(() => {
          ran++
          advance(250)
        }, 0)
      }
      yield* nextMacrotask
      assert.strictEqual(ran, 4)
      for (let i = 0; i < 5 && ran < 10; i++) yield* nextMacrotask
      assert.strictEqual(ran, 10)
    }))

  it.live("with a clock that does not move (TestClock), a turn ends after maxTasksPerTurn tasks", () =>
    Effect.gen(function*() {
      const d = FairScheduler.make(fakeClock().clock, { maxTasksPerTurn: 3 }).makeDispatcher()
      let ran = 0
      for (let i = 0; i < 10; i++) d.scheduleTask(() => void ran++, 0)
      yield* nextMacrotask
      assert.strictEqual(ran, 3)
    }))

  it("a fiber yields after its time slice, checked every 16 operations, or after its operation budget", () => {
    const { clock, advance } = fakeClock()
    const s = FairScheduler.make(clock, { sliceUs: 500 })
    const fiber = { currentOpCount: 1, cache: { maxOpsBeforeYield: 2048 } } as unknown as Fiber.Fiber<unknown, unknown>
    const at = (n: number) => {
      ;(fiber as { currentOpCount: number }).currentOpCount = n
      return s.shouldYield(fiber)
    }
    assert.isFalse(at(1))
    advance(499)
    assert.isFalse(at(16))
    advance(1)
    assert.isFalse(at(17))
    assert.isTrue(at(32))
    assert.isFalse(at(1))
    assert.isTrue(at(2048))
  })

  it("a slice counts from where it started, whatever the clock read then (found by mutation testing)", () => {
    const { clock, advance } = fakeClock()
    const s = FairScheduler.make(clock, { sliceUs: 500 })
    const fiber = { currentOpCount: 1, cache: { maxOpsBeforeYield: 2048 } } as unknown as Fiber.Fiber<unknown, unknown>
    const at = (n: number) => {
      ;(fiber as { currentOpCount: number }).currentOpCount = n
      return s.shouldYield(fiber)
    }
    advance(1000)
    assert.isFalse(at(1))
    advance(499)
    assert.isFalse(at(16))
    advance(1)
    assert.isTrue(at(32))
  })

  it.live("a CPU-bound fiber of slow steps lets a due timer run long before it ends", () =>
    Effect.gen(function*() {
      const spin = (us: number) => {
        const end = performance.now() + us / 1000
        while (performance.now() < end) {
          // work
        }
      }
      const order: Array<string> = []
      const busy = Effect.andThen(
        Effect.whileLoop({ while: () => order.length < 400, body: () => Effect.sync(() => spin(100)), step: () => order.push("step") }),
        Effect.sync(() => order.push("busy done"))
      )
      const timer = Effect.andThen(Effect.sleep("5 millis"), Effect.sync(() => order.push("timer")))
      yield* Effect.all([busy, timer], { concurrency: 2, discard: true }).pipe(Effect.provide(FairScheduler.layer()))
      // 400 steps of 100 us are 40 ms of work; the 5 ms timer fires within the first half
      assert.isBelow(order.indexOf("timer"), 200)
    }))
})
