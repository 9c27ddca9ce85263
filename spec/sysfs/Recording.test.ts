/**
 * Each `state` command reaches the kdamond only through the engine's control API, exactly as
 * `mm/damon/sysfs.c` uses the core API since 6.14: `on` is `Damon.start` (non-exclusive), `off`
 * is `stop`, `commit` is `Kdamond.commit` (a `damonCall` inside), the copies are one `damonCall`,
 * tried regions one `damosWalk`; `isRunning` is the `damon_is_running()` probe. A recording
 * proxy around the runtime and every kdamond handle sees every access.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer } from "effect"
import { TestClock } from "effect/testing"
import { Damon, type Kdamond, World } from "effect-damon"
import * as Sysfs from "../../src/sysfs/Sysfs.ts"
import { CTX, read, registry, S0, setupVaddr, write } from "./support/TestOps.ts"

const K = "kdamonds/0"

/** Wraps a handle so every member access that can reach the kdamond is logged. */
const recording = (k: Kdamond.Kdamond, log: Array<string>): Kdamond.Kdamond => ({
  index: k.index,
  pid: k.pid,
  damonCall: (fn, options) => {
    log.push("damonCall")
    return k.damonCall(fn, options)
  },
  damonCallRepeat: (fn, options) => {
    log.push("damonCallRepeat")
    return k.damonCallRepeat(fn, options)
  },
  damosWalk: (walkFn) => {
    log.push("damosWalk")
    return k.damosWalk(walkFn)
  },
  commit: (config) => {
    log.push("commit")
    return k.commit(config)
  },
  commitQuotaGoals: (goals) => {
    log.push("commitQuotaGoals")
    return k.commitQuotaGoals(goals)
  },
  get events() {
    log.push("events")
    return k.events
  },
  stop: Effect.suspend(() => {
    log.push("stop")
    return k.stop
  }),
  isRunning: Effect.suspend(() => {
    log.push("isRunning")
    return k.isRunning
  }),
  stats: Effect.suspend(() => {
    log.push("stats")
    return k.stats
  }),
  join: Effect.suspend(() => {
    log.push("join")
    return k.join
  })
})

/** The admin tree over a `Damon` runtime whose `start` is logged too. */
const recordingLayer = (log: Array<string>, options: Sysfs.SysfsOptions = {}) => {
  const damon = Layer.effect(
    Damon.Damon,
    Effect.map(Damon.make, (d) =>
      Damon.Damon.of({
        ...d,
        start: (config, startOptions) => {
          log.push(`Damon.start(exclusive=${String(startOptions?.exclusive)})`)
          return d.start(config, startOptions)
        }
      }))
  ).pipe(Layer.provide([registry, World.layerReal]))
  return Sysfs.layer({ start: { seed: 1 }, ...options, wrapKdamond: (k) => recording(k, log) }).pipe(
    Layer.provideMerge(damon)
  )
}

/** Runs `effect` and returns what it logged. */
const logged = <A, E, R>(log: Array<string>, effect: Effect.Effect<A, E, R>): Effect.Effect<Array<string>, E, R> =>
  Effect.map(
    Effect.suspend(() => {
      log.length = 0
      return effect
    }),
    () => [...log]
  )

describe("Recording", () => {
  const log: Array<string> = []

  it.effect("each state command uses exactly its engine API, and nothing else", () =>
    Effect.gen(function*() {
      yield* setupVaddr(1)
      yield* write(`${S0}/quotas/goals/nr_goals`, "1")
      yield* write(`${S0}/quotas/goals/0/target_value`, "100")
      assert.deepStrictEqual(yield* logged(log, write(`${K}/state`, "on")), ["Damon.start(exclusive=false)"])
      yield* TestClock.adjust("300 millis")
      const cases: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
        ["update_schemes_stats", ["damonCall"]],
        ["update_schemes_effective_quotas", ["damonCall"]],
        ["update_tuned_intervals", ["damonCall"]],
        ["commit_schemes_quota_goals", ["isRunning", "commitQuotaGoals"]],
        ["commit", ["isRunning", "commit"]],
        ["clear_schemes_tried_regions", []]
      ]
      for (const [cmd, expected] of cases) {
        assert.deepStrictEqual(yield* logged(log, write(`${K}/state`, cmd)), expected, cmd)
      }
      for (const cmd of ["update_schemes_tried_bytes", "update_schemes_tried_regions"]) {
        const got = yield* logged(log, Effect.gen(function*() {
          const fiber = yield* Effect.forkChild(write(`${K}/state`, cmd), { startImmediately: true })
          yield* TestClock.adjust("150 millis")
          yield* Fiber.join(fiber)
        }))
        assert.deepStrictEqual(got, ["damosWalk"], cmd)
      }
      // Reading state and pid is the damon_is_running() probe; parameter files touch nothing.
      assert.deepStrictEqual(yield* logged(log, read(`${K}/state`)), ["isRunning"])
      assert.deepStrictEqual(yield* logged(log, read(`${K}/pid`)), ["isRunning"])
      assert.deepStrictEqual(yield* logged(log, write(`${CTX}/monitoring_attrs/intervals/sample_us`, "1000")), [])
      assert.deepStrictEqual(yield* logged(log, read(`${S0}/stats/nr_tried`)), [])
      assert.deepStrictEqual(yield* logged(log, write(`${K}/state`, "off")), ["stop"])
      assert.deepStrictEqual(yield* logged(log, write(`${K}/state`, "on")), ["isRunning", "Damon.start(exclusive=false)"])
      // With refresh_ms = 0 nothing reaches the kdamond in the background.
      assert.deepStrictEqual(yield* logged(log, TestClock.adjust("1 second")), [])
    }).pipe(Effect.provide(recordingLayer(log))))

  it.effect("refresh_ms: the periodic copy is one damonCall per period", () =>
    Effect.gen(function*() {
      yield* setupVaddr(1)
      yield* write(`${K}/refresh_ms`, "100")
      yield* write(`${K}/state`, "on")
      const got = yield* logged(log, TestClock.adjust("1 second"))
      assert.isAtLeast(got.length, 9)
      assert.isAtMost(got.length, 11)
      assert.deepStrictEqual([...new Set(got)], ["damonCall"])
    }).pipe(Effect.provide(recordingLayer(log))))
})
