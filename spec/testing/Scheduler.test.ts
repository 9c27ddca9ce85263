/**
 * The explorer's machinery: the scheduler runs the task its chooser picks and records the
 * preemptions; strategies are deterministic per seed (PCT runs the highest-priority thread and
 * lowers it at its change points); the step world moves time only when asked and wakes every
 * sleeper due at once; Effect's Clock and sleeps follow it.
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Fiber, Scheduler as EffectScheduler, Schema } from "effect"
import { Strategy, Token } from "effect-damon/testing"
import { ExplorerScheduler, type Task } from "../../src/testing/Scheduler.ts"
import * as StepWorld from "../../src/testing/StepWorld.ts"

const tasks = (log: Array<string>, threads: ReadonlyArray<number>): Array<Task> =>
  threads.map((thread, i) => ({ thread, run: () => void log.push(`t${i}`) }))

describe("ExplorerScheduler", () => {
  it("runs the task the chooser picks, oldest when the choice is out of range, and records preemptions", () => {
    const picks = [2, 0, 9, 0]
    const sched = new ExplorerScheduler({ choose: (_ready, step) => picks[step]! })
    const log: Array<string> = []
    const d = sched.makeDispatcher()
    for (const name of ["a", "b", "c", "d"]) d.scheduleTask(() => void log.push(name), 0)
    while (sched.step()) {
      // run all
    }
    assert.deepStrictEqual(log, ["c", "a", "b", "d"])
    assert.deepStrictEqual(sched.deviations, [[0, 2]])
    assert.strictEqual(sched.steps, 4)
    assert.isFalse(sched.step(), "nothing left to run")
  })

  it("gives each dispatcher its own thread id; flush runs nothing behind the explorer's back", () => {
    const seen: Array<number> = []
    const sched = new ExplorerScheduler({ choose: (ready) => (seen.push(...ready.map((t) => t.thread)), 0) })
    const a = sched.makeDispatcher()
    const b = sched.makeDispatcher()
    let ran = false
    a.scheduleTask(() => void (ran = true), 0)
    b.scheduleTask(() => {}, 0)
    a.flush()
    assert.isFalse(ran)
    sched.step()
    assert.deepStrictEqual(seen, [0, 1])
  })
})

describe("strategies", () => {
  it("fifo always picks the oldest task; replay picks the given choices and the oldest elsewhere", () => {
    const ready = tasks([], [0, 1, 2])
    const fifo = Strategy.chooser(Strategy.fifo, 1)
    assert.deepStrictEqual([0, 1, 2].map((s) => fifo.choose(ready, s)), [0, 0, 0])
    const replay = Strategy.replay([[1, 2]])
    assert.deepStrictEqual([0, 1, 2].map((s) => replay.choose(ready, s)), [0, 2, 0])
  })

  it("random is uniform-ish over the ready tasks and the same for the same seed", () => {
    const ready = tasks([], [0, 1, 2])
    const draw = (seed: number) => {
      const c = Strategy.chooser(Strategy.random, seed)
      return Array.from({ length: 300 }, (_, s) => c.choose(ready, s))
    }
    const xs = draw(7)
    assert.deepStrictEqual(xs, draw(7))
    assert.notDeepEqual(xs, draw(8))
    for (const i of [0, 1, 2]) assert.isAbove(xs.filter((x) => x === i).length, 60)
  })

  it("pct runs the highest-priority thread, and lowers the running thread at a change point", () => {
    const ready = tasks([], [10, 11, 12])
    // depth 1: no change point, one thread wins every time
    const c1 = Strategy.chooser(Strategy.pct({ depth: 1, steps: 10 }), 3)
    const first = c1.choose(ready, 0)
    assert.deepStrictEqual(Array.from({ length: 10 }, (_, s) => c1.choose(ready, s + 1)), Array(10).fill(first))
    // depth 2 with one step: the change point is step 0, so the winner of step 0 loses from step 1 on
    const c2 = Strategy.chooser(Strategy.pct({ depth: 2, steps: 1 }), 3)
    const winner = c2.choose(ready, 0)
    assert.notStrictEqual(c2.choose(ready, 1), winner)
  })

  it("strategies print and parse back", () => {
    for (const s of [Strategy.fifo, Strategy.random, Strategy.pct({ depth: 4, steps: 120 })]) {
      assert.deepStrictEqual(Strategy.parse(Strategy.format(s)), s)
    }
    assert.isUndefined(Strategy.parse("pct-x-1"))
  })

  const Nat = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 2 ** 31 }))
  // Effect's default 100 runs, well under 0.1 s: a round trip of a few fields, each present,
  // absent or at its bounds in many of them
  it.prop("tokens print and parse back", {
    seed: Nat,
    run: Nat,
    size: Nat,
    pct: Schema.Tuple([Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 9 })), Nat]),
    keep: Schema.Array(Schema.Tuple([Nat, Schema.Array(Nat)])),
    choices: Schema.Array(Schema.Tuple([Nat, Nat])),
    shrunk: Schema.Boolean
  }, ({ seed, run, size, pct, keep, choices, shrunk }) => {
    const token: Token.Token = {
      scenario: "a-scenario",
      strategy: Strategy.pct({ depth: pct[0], steps: pct[1] }),
      seed,
      run,
      size,
      ...(shrunk ? { keep, choices } : {})
    }
    assert.deepStrictEqual(Token.parse(Token.format(token)), token)
  })

  it("a malformed token is not one", () => {
    for (const bad of ["", "dt2:x:fifo:1:2:3", "dt1:x:fifo:1:2", "dt1:x:nope:1:2:3", "dt1:x:fifo:1:2:3:0=a:-", "dt1:x:fifo:1:2:3:none:4"]) {
      assert.isUndefined(Token.parse(bad), bad)
    }
  })
})

describe("StepWorld", () => {
  it.effect("time moves only on advance, to the earliest wakeup, waking everyone due then; sleepers yield first", () =>
    Effect.gen(function*() {
      const world = StepWorld.make()
      const sched = new ExplorerScheduler(Strategy.chooser(Strategy.fifo, 0))
      const woke: Array<string> = []
      const sleeper = (name: string, us: number) => Effect.andThen(world.sleep(us), Effect.sync(() => void woke.push(`${name}@${world.nowUs()}`)))
      const program = Effect.all([sleeper("a", 300), sleeper("b", 100), sleeper("c", 300)], { concurrency: "unbounded" }).pipe(
        Effect.provideService(EffectScheduler.Scheduler, sched)
      )
      const fiber = yield* Effect.forkDetach(program, { startImmediately: true })
      while (sched.step()) {
        // start everyone
      }
      assert.strictEqual(world.nowUs(), 0)
      assert.isTrue(world.advance(1_000))
      assert.strictEqual(world.nowUs(), 100)
      assert.deepStrictEqual(woke, [], "a woken sleeper yields before it continues")
      while (sched.step()) {
        // b continues
      }
      assert.deepStrictEqual(woke, ["b@100"])
      assert.isFalse(world.advance(200), "the next wakeup lies beyond the limit")
      assert.isTrue(world.advance(1_000))
      while (sched.step()) {
        // a and c continue
      }
      assert.deepStrictEqual(woke, ["b@100", "a@300", "c@300"])
      assert.isFalse(world.advance(1_000))
      assert.isDefined(fiber.pollUnsafe())
    }))

  it.effect("Effect's Clock and Effect.sleep run on the world; an interrupted sleeper is forgotten", () =>
    Effect.gen(function*() {
      const world = StepWorld.make()
      const sched = new ExplorerScheduler(Strategy.chooser(Strategy.fifo, 0))
      const program = Effect.gen(function*() {
        yield* Effect.sleep("2 millis")
        return [yield* Clock.currentTimeMillis, yield* Clock.currentTimeNanos] as const
      }).pipe(Effect.provideService(Clock.Clock, world.clock), Effect.provideService(EffectScheduler.Scheduler, sched))
      const fiber = yield* Effect.forkDetach(program, { startImmediately: true })
      const lost = yield* Effect.forkDetach(world.sleep(50), { startImmediately: true })
      yield* Fiber.interrupt(lost)
      while (sched.step() || world.advance(10_000)) {
        // run to the end
      }
      assert.deepStrictEqual(yield* Fiber.join(fiber), [2, 2_000_000n])
      assert.strictEqual(world.nowUs(), 2_000, "the interrupted 50 us sleeper never woke anyone")
    }))
})
