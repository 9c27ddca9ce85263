/**
 * The world clock: the virtual discrete-event scheduler (time moves only when every participant
 * sleeps, in wakeup order), and the real clock's deadline re-check when timers fire early.
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, Duration, Effect, Fiber, Layer } from "effect"
import { TestClock } from "effect/testing"
import { Damon, OpsRegistry, World } from "effect-damon"
import { makeFakeOps } from "../support/FakeOps.ts"

describe("World - virtual", () => {
  it.effect("participants wake in deadline order, at exactly their deadline, ties by arrival", () =>
    Effect.gen(function*() {
      const w = World.makeVirtual()
      const seen: Array<string> = []
      const run = (name: string, everyUs: number, times: number) => {
        const p = w.join()
        return Effect.gen(function*() {
          let deadline = w.nowUs()
          for (let i = 0; i < times; i++) {
            deadline += everyUs
            yield* p.sleepUntil(deadline)
            assert.strictEqual(w.nowUs(), deadline)
            seen.push(`${name}@${w.nowUs()}`)
          }
          p.leave()
        })
      }
      const a = yield* Effect.forkChild(run("a", 3, 4), { startImmediately: false })
      const b = yield* Effect.forkChild(run("b", 2, 5), { startImmediately: false })
      yield* Fiber.join(a)
      yield* Fiber.join(b)
      assert.deepStrictEqual(seen, ["b@2", "a@3", "b@4", "a@6", "b@6", "b@8", "a@9", "b@10", "a@12"])
    }))

  it.effect("time stands still while any participant runs, and moves on when it leaves", () =>
    Effect.gen(function*() {
      const w = World.makeVirtual()
      const busy = w.join()
      const sleeper = w.join()
      const f = yield* Effect.forkChild(sleeper.sleepUntil(1000), { startImmediately: true })
      for (let i = 0; i < 20; i++) yield* Effect.yieldNow
      assert.strictEqual(w.nowUs(), 0)
      assert.isUndefined(f.pollUnsafe())
      busy.leave()
      yield* Fiber.join(f)
      assert.strictEqual(w.nowUs(), 1000)
    }))

  it.effect("an interrupted sleeper is withdrawn: it holds time again and never wakes", () =>
    Effect.gen(function*() {
      const w = World.makeVirtual()
      const a = w.join()
      const b = w.join()
      const fa = yield* Effect.forkChild(a.sleepUntil(500), { startImmediately: true })
      yield* Fiber.interrupt(fa)
      // a is awake again (withdrawn), so b's sleep cannot advance time
      const fb = yield* Effect.forkChild(b.sleepUntil(100), { startImmediately: true })
      for (let i = 0; i < 20; i++) yield* Effect.yieldNow
      assert.strictEqual(w.nowUs(), 0)
      a.leave()
      yield* Fiber.join(fb)
      assert.strictEqual(w.nowUs(), 100)
    }))

  it.effect("a non-participant sleep jumps time when no participant runs, and waits for those that do", () =>
    Effect.gen(function*() {
      const w = World.makeVirtual()
      yield* w.sleep(30_000_000)
      assert.strictEqual(w.nowUs(), 30_000_000)
      const p = w.join()
      const f = yield* Effect.forkChild(w.sleep(10), { startImmediately: true })
      for (let i = 0; i < 20; i++) yield* Effect.yieldNow
      assert.isUndefined(f.pollUnsafe())
      yield* p.sleepUntil(30_000_005)
      assert.isUndefined(f.pollUnsafe())
      yield* p.sleepUntil(30_000_020)
      yield* Fiber.join(f)
      assert.strictEqual(w.nowUs(), 30_000_020)
      p.leave()
    }))
})

/**
 * Participants `name` waking every `everyUs` for `times` wakes, recording `name@time`: through
 * `sleepUntil` (the fiber does every wake's work) or `sleepStepping` (the world may do it).
 * Returns the number of wakes whose work the fiber did itself.
 */
const periodic = (w: World.World, seen: Array<string>, name: string, everyUs: number, times: number, stepping: boolean) => {
  const p = w.join()
  let deadline = w.nowUs()
  let left = times
  const work = (): number => {
    assert.strictEqual(w.nowUs(), deadline)
    seen.push(`${name}@${w.nowUs()}`)
    if (--left === 0) return -1
    deadline += everyUs
    return deadline
  }
  return Effect.gen(function*() {
    let byFiber = 0
    deadline += everyUs
    let next = deadline
    while (next >= 0) {
      if (!stepping) {
        yield* p.sleepUntil(next)
        byFiber++
        next = work()
        continue
      }
      const last = yield* p.sleepStepping!(next, work)
      if (last === undefined) byFiber++
      next = last ?? work()
    }
    p.leave()
    return byFiber
  })
}

describe("World - virtual, stepping", () => {
  it.effect("the world runs a sleeping participant's steps in the same order as waking its fiber would", () =>
    Effect.gen(function*() {
      const order = (stepping: boolean) =>
        Effect.gen(function*() {
          const w = World.makeVirtual()
          const seen: Array<string> = []
          const fibers = []
          for (const [name, every, times] of [["a", 3, 200], ["b", 2, 300], ["c", 3, 150]] as const) {
            fibers.push(yield* Effect.forkChild(periodic(w, seen, name, every, times, stepping), { startImmediately: false }))
          }
          let byFiber = 0
          for (const f of fibers) byFiber += yield* Fiber.join(f)
          return { seen, byFiber }
        })
      const woken = yield* order(false)
      const stepped = yield* order(true)
      assert.strictEqual(stepped.seen.length, 650)
      assert.deepStrictEqual(stepped.seen, woken.seen)
      assert.strictEqual(woken.byFiber, 650)
      // the fibers did only the first wakes and the turns (every STEPS_PER_TURN-th sleep)
      assert.isTrue(stepped.byFiber <= 3 + Math.ceil(650 / World.STEPS_PER_TURN) + 3, `${stepped.byFiber} wakes by the fibers`)
      assert.isTrue(stepped.byFiber >= Math.floor(650 / World.STEPS_PER_TURN), `${stepped.byFiber} wakes by the fibers`)
    }))

  it.effect("a step's negative answer ends the sleep with it; a throwing step kills only its own fiber", () =>
    Effect.gen(function*() {
      const w = World.makeVirtual()
      const seen: Array<string> = []
      const other = yield* Effect.forkChild(periodic(w, seen, "o", 5, 40, true), { startImmediately: false })
      const p = w.join()
      const boom = new Error("boom")
      let calls = 0
      const thrower = yield* Effect.forkChild(
        Effect.gen(function*() {
          let next = 7
          while (true) {
            const last = yield* p.sleepStepping!(next, () => {
              if (++calls === 3) throw boom
              return (next += 7)
            })
            if (last !== undefined) return last
            next += 7
          }
        }).pipe(Effect.ensuring(Effect.sync(() => p.leave()))),
        { startImmediately: false }
      )
      const exit = yield* Fiber.await(thrower)
      assert.isTrue(exit._tag === "Failure" && String(exit.cause).includes("boom"), String(exit))
      yield* Fiber.join(other)
      assert.strictEqual(seen.length, 40)
      assert.strictEqual(seen[39], "o@200")
      assert.strictEqual(w.nowUs(), 200)
    }))

  it.effect("a participant interrupted during its own step is not put back to sleep, and time goes on without it", () =>
    Effect.gen(function*() {
      const w = World.makeVirtual()
      const seen: Array<string> = []
      const other = yield* Effect.forkChild(periodic(w, seen, "o", 5, 40, true), { startImmediately: false })
      const p = w.join()
      let victim: Fiber.Fiber<unknown> | undefined
      let steps = 0
      victim = yield* Effect.forkChild(
        Effect.gen(function*() {
          let next = 3
          while (true) {
            const last = yield* p.sleepStepping!(next, () => {
              // the step interrupts its own (suspended) fiber, as a subscriber stopping the kdamond would
              if (++steps === 4) victim!.interruptUnsafe()
              return (next += 3)
            })
            if (last === undefined) next += 3
          }
        }).pipe(Effect.ensuring(Effect.sync(() => p.leave()))),
        { startImmediately: false }
      )
      const exit = yield* Fiber.await(victim)
      assert.strictEqual(exit._tag, "Failure")
      yield* Fiber.join(other)
      assert.strictEqual(seen[39], "o@200")
      assert.strictEqual(w.nowUs(), 200, "the interrupted participant no longer holds or moves time")
      assert.strictEqual(steps, 4)
    }), 10_000)
})

/**
 * A clock whose sleeps end early, at 60 % of the asked time (never under the 1 ms a timer takes
 * at least), like timers that fire early.
 */
const earlyClock = (inner: Clock.Clock): Clock.Clock => ({
  ...inner,
  sleep: (d) => inner.sleep(Duration.millis(Math.max(1, Duration.toMillis(d) * 0.6)))
})

describe("World - real", () => {
  it.effect("sleepUntil re-checks the deadline when the timer fires early", () =>
    Effect.gen(function*() {
      const inner = yield* Clock.Clock
      const w = yield* World.makeReal.pipe(Effect.provideService(Clock.Clock, earlyClock(inner)))
      const f = yield* Effect.forkChild(
        w.join().sleepUntil(5000).pipe(Effect.provideService(Clock.Clock, earlyClock(inner))),
        { startImmediately: true }
      )
      // the first timer fires at 3 ms, the second at 4.2 ms: both before the deadline
      yield* TestClock.adjust("4900 micros")
      assert.isUndefined(f.pollUnsafe(), "woke before its deadline")
      yield* TestClock.adjust("2 millis")
      yield* Fiber.join(f)
      assert.isTrue(w.nowUs() >= 5000)
    }))

  it.effect("a real-time kdamond keeps its mean sample interval within 1 % though timers fire early", () =>
    Effect.gen(function*() {
      const inner = yield* Clock.Clock
      const layer = Damon.layer.pipe(
        Layer.provide([OpsRegistry.layer({ fake: makeFakeOps({ initRange: { start: 0, end: 1 << 24 } }) }), World.layerReal])
      )
      const samples = yield* Effect.scoped(Effect.gen(function*() {
        const k = yield* (yield* Damon.Damon).start({ ops: "fake", targets: [{}], attrs: { sampleIntervalUs: 5000 } }, { seed: 1 })
        yield* TestClock.adjust("2 seconds")
        return (yield* k.stats).samples
      })).pipe(Effect.provide(layer), Effect.provideService(Clock.Clock, earlyClock(inner)))
      // 2 s at 5 ms: 400 samples; timers firing at 60 % without the re-check would give about 660
      assert.isTrue(Math.abs(samples - 400) <= 4, `${samples} samples in 2 s`)
    }))
})

describe("World - virtual sleepers (found by mutation testing)", () => {
  it.effect("sleepers arriving in any order wake in deadline order; a withdrawn one in the middle never wakes", () =>
    Effect.gen(function*() {
      const w = World.makeVirtual()
      const holder = w.join()
      const seen: Array<string> = []
      const deadlines = [50, 10, 40, 20, 30, 60, 5, 45, 15]
      const fibers = []
      const participants = []
      for (const d of deadlines) {
        const p = w.join()
        participants.push(p)
        fibers.push(yield* Effect.forkChild(Effect.andThen(p.sleepUntil(d), Effect.sync(() => {
          seen.push(`${d}@${w.nowUs()}`)
          p.leave()
        })), { startImmediately: true }))
      }
      // withdrawn, it holds time again until it leaves
      yield* Fiber.interrupt(fibers[deadlines.indexOf(40)]!)
      participants[deadlines.indexOf(40)]!.leave()
      holder.leave()
      for (const [i, f] of fibers.entries()) if (deadlines[i] !== 40) yield* Fiber.join(f)
      assert.deepStrictEqual(seen, ["5@5", "10@10", "15@15", "20@20", "30@30", "45@45", "50@50", "60@60"])
    }))

  it.effect("advanceAlone refuses to move time past (or onto) a pending wakeup and moves it up to one", () =>
    Effect.gen(function*() {
      const w = World.makeVirtual()
      const p = w.join()
      assert.isFalse(p.advanceAlone!(5), "not before its first sleep")
      yield* p.sleepUntil(10)
      assert.isTrue(p.advanceAlone!(11))
      const client = yield* Effect.forkChild(w.sleep(3), { startImmediately: true }) // wakes at 14
      assert.isFalse(p.advanceAlone!(15))
      assert.isFalse(p.advanceAlone!(14))
      assert.strictEqual(w.nowUs(), 11)
      assert.isTrue(p.advanceAlone!(13))
      assert.strictEqual(w.nowUs(), 13)
      yield* p.sleepUntil(20)
      yield* Fiber.join(client)
      assert.strictEqual(w.nowUs(), 20)
      p.leave()
    }))
})

describe("World - virtual schedule details", () => {
  it.effect("many participants with the same interval wake round-robin in arrival order, every round", () =>
    Effect.gen(function*() {
      const w = World.makeVirtual()
      const seen: Array<string> = []
      const fibers = []
      for (let k = 0; k < 7; k++) {
        fibers.push(yield* Effect.forkChild(periodic(w, seen, `p${k}`, 10, 30, false), { startImmediately: false }))
      }
      for (const f of fibers) yield* Fiber.join(f)
      const expected: Array<string> = []
      for (let round = 1; round <= 30; round++) for (let k = 0; k < 7; k++) expected.push(`p${k}@${round * 10}`)
      assert.deepStrictEqual(seen, expected)
    }))

  it.effect("the earliest sleeper withdrawn: the others still wake, in order, and time passes it by", () =>
    Effect.gen(function*() {
      const w = World.makeVirtual()
      const holder = w.join()
      const seen: Array<number> = []
      const top = w.join()
      const withdrawn = yield* Effect.forkChild(top.sleepUntil(100), { startImmediately: true })
      const sleepers = []
      for (const d of [300, 200, 400]) {
        sleepers.push(yield* Effect.forkChild(Effect.andThen(w.sleep(d), Effect.sync(() => seen.push(w.nowUs()))), { startImmediately: true }))
      }
      yield* Fiber.interrupt(withdrawn) // the heap's top, a participant: it holds time until it leaves
      top.leave()
      holder.leave()
      for (const f of sleepers) yield* Fiber.join(f)
      assert.deepStrictEqual(seen, [200, 300, 400])
    }), 10_000)

  it.effect("a withdrawn non-participant sleep does not hold time: a participant's later sleep still ends", () =>
    Effect.gen(function*() {
      const w = World.makeVirtual()
      const p = w.join()
      const client = yield* Effect.forkChild(w.sleep(50), { startImmediately: true })
      yield* Fiber.interrupt(client)
      yield* p.sleepUntil(100)
      const other = w.join()
      const f = yield* Effect.forkChild(other.sleepUntil(150), { startImmediately: true })
      p.leave()
      yield* Fiber.join(f)
      assert.strictEqual(w.nowUs(), 150)
      other.leave()
    }), 10_000)

  it.effect("a lone participant gives the rest of the program one turn per STEPS_PER_TURN sleeps", () =>
    Effect.gen(function*() {
      const w = World.makeVirtual()
      const p = w.join()
      let turns = 0
      let running = true
      const observe: Effect.Effect<void> = Effect.suspend(() =>
        running ? Effect.andThen(Effect.sync(() => void turns++), Effect.andThen(Effect.yieldNow, observe)) : Effect.void
      )
      const observer = yield* Effect.forkChild(observe, { startImmediately: true })
      yield* p.sleepUntil(1) // the first sleep is a turn of its own
      const before = turns
      for (let i = 2; i <= 1 + 20 * World.STEPS_PER_TURN; i++) yield* p.sleepUntil(i)
      const during = turns - before
      running = false
      yield* Fiber.join(observer)
      p.leave()
      // about one observer step per turn (a turn may let it run once or twice)
      assert.isTrue(during >= 19 && during <= 42, `${during} observer steps in 20 turns`)
    }))

  it.effect("a participant that left sleeps without holding or moving time; a past deadline never moves time back", () =>
    Effect.gen(function*() {
      const w = World.makeVirtual()
      const p = w.join()
      yield* p.sleepUntil(500)
      yield* p.sleepUntil(200)
      assert.strictEqual(w.nowUs(), 500, "a deadline in the past leaves time where it is")
      p.leave()
      yield* p.sleepUntil(1000)
      assert.strictEqual(w.nowUs(), 500)
      const q = w.join()
      yield* q.sleepUntil(700)
      assert.strictEqual(w.nowUs(), 700)
      q.leave()
    }), 10_000)
})

describe("World - real sleeps and layers", () => {
  it.effect("a non-participant sleep on the real clock ends once the clock has moved that far", () =>
    Effect.gen(function*() {
      const w = yield* World.makeReal
      const f = yield* Effect.forkChild(w.sleep(5000), { startImmediately: true })
      yield* TestClock.adjust("4 millis")
      assert.isUndefined(f.pollUnsafe())
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(f)
      assert.strictEqual(w.nowUs(), 5000)
    }))

  it.effect("World.layer(mode) gives the world of that mode", () =>
    Effect.gen(function*() {
      const modeOf = (mode: World.TimeMode) => Effect.gen(function*() {
        return (yield* World.WorldClock).mode
      }).pipe(Effect.provide(World.layer(mode)))
      assert.strictEqual(yield* modeOf("virtual"), "virtual")
      assert.strictEqual(yield* modeOf("real"), "real")
    }))
})
