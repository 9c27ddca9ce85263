/**
 * Collecting metrics from the admin tree: `Sysfs.kdamonds` (the read-only accessor the metrics
 * use) and `DamonMetrics.collect`, deterministic under TestClock with the sysfs test ops.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { collect, formatMetrics } from "../../src/http/DamonMetrics.ts"
import { Sysfs } from "../../src/sysfs/Sysfs.ts"
import { CTX, type Handles, read, setupVaddr, sysfsLayer, write } from "../sysfs/support/TestOps.ts"

const K = "kdamonds/0"
const kdamonds = Effect.flatMap(Sysfs, (fs) => fs.kdamonds)

describe("Sysfs.kdamonds", () => {
  const handles: Handles = { all: [] }

  it.effect("one entry per kdamond directory: undefined until on, the handle while running and after off", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* kdamonds, [])
      yield* write("kdamonds/nr_kdamonds", "2")
      assert.deepStrictEqual(yield* kdamonds, [{ index: 0, kdamond: undefined }, { index: 1, kdamond: undefined }])
      yield* setupVaddrAt(0)
      yield* setupVaddrAt(1)
      yield* write(`${K}/state`, "on")
      const running = yield* kdamonds
      assert.strictEqual(running.length, 2)
      assert.strictEqual(running[0]!.kdamond, handles.all[0]) // the (wrapped) handle the commands use
      assert.isTrue(yield* running[0]!.kdamond!.isRunning)
      assert.isUndefined(running[1]!.kdamond)
      yield* write("kdamonds/1/state", "on")
      assert.strictEqual((yield* kdamonds)[1]!.kdamond, handles.all[1])
      yield* write(`${K}/state`, "off")
      const stopped = yield* kdamonds
      assert.strictEqual(stopped[0]!.kdamond, handles.all[0])
      assert.isFalse(yield* stopped[0]!.kdamond!.isRunning)
      yield* write("kdamonds/1/state", "off")
      // nr_kdamonds recreates the directories: the old handles are gone
      yield* write("kdamonds/nr_kdamonds", "1")
      assert.deepStrictEqual(yield* kdamonds, [{ index: 0, kdamond: undefined }])
    }).pipe(Effect.provide(sysfsLayer({}, handles))))
})

/** Kdamond directory `k` with one context monitoring pid 42 with vaddr. */
const setupVaddrAt = (k: number) =>
  Effect.forEach(
    [
      [`kdamonds/${k}/contexts/nr_contexts`, "1"],
      [`kdamonds/${k}/contexts/0/operations`, "vaddr"],
      [`kdamonds/${k}/contexts/0/targets/nr_targets`, "1"],
      [`kdamonds/${k}/contexts/0/targets/0/pid_target`, "42"]
    ] as const,
    ([p, t]) => write(p, t),
    { discard: true }
  )

describe("DamonMetrics.collect", () => {
  it.effect("running kdamond: counters and one consistent copy of every scheme; stopped: counters only", () =>
    Effect.gen(function*() {
      yield* setupVaddr(2)
      yield* write(`${CTX}/schemes/1/action`, "pageout")
      yield* write(`${CTX}/schemes/1/quotas/bytes`, "4096")
      yield* write(`${CTX}/schemes/1/quotas/reset_interval_ms`, "100")
      yield* write(`${K}/state`, "on")
      yield* TestClock.adjust("1 second")
      const [k0] = yield* collect
      assert.strictEqual(k0!.index, 0)
      assert.isTrue(k0!.running)
      assert.isAtLeast(k0!.stats!.aggregations, 9)
      assert.deepStrictEqual(k0!.schemes.map((s) => [s.index, s.action]), [[0, "stat"], [1, "pageout"]])
      assert.strictEqual(k0!.schemes[0]!.effectiveQuotaBytes, 0) // no quota: esz = sz = 0
      assert.strictEqual(k0!.schemes[1]!.effectiveQuotaBytes, 4096)
      // the same numbers update_schemes_stats copies into the tree (the kdamond is between calls)
      yield* write(`${K}/state`, "update_schemes_stats")
      const tree = {
        nrTried: Number(yield* read(`${CTX}/schemes/0/stats/nr_tried`)),
        szTried: Number(yield* read(`${CTX}/schemes/0/stats/sz_tried`))
      }
      const [again] = yield* collect
      assert.isAbove(tree.nrTried, 0)
      assert.strictEqual(again!.schemes[0]!.stat.nrTried, tree.nrTried)
      assert.strictEqual(again!.schemes[0]!.stat.szTried, tree.szTried)
      // a scrape is one damonCall, served and counted
      assert.strictEqual(again!.stats!.callsServed, k0!.stats!.callsServed + 2)

      yield* write(`${K}/state`, "off")
      const [off] = yield* collect
      assert.isFalse(off!.running)
      assert.deepStrictEqual(off!.schemes, [])
      assert.strictEqual(off!.stats!.aggregations, again!.stats!.aggregations)
      assert.notInclude(formatMetrics([off!]), "damon_scheme_")
    }).pipe(Effect.provide(sysfsLayer())))

  it.effect("a scrape neither takes the sysfs lock nor waits for a pending state command", () =>
    Effect.gen(function*() {
      yield* setupVaddr(1)
      yield* write(`${K}/state`, "on")
      yield* TestClock.adjust("100 millis")
      // update_schemes_tried_regions holds the lock until its damosWalk completes
      const walk = yield* Effect.forkChild(write(`${K}/state`, "update_schemes_tried_regions"), {
        startImmediately: true
      })
      const busy = yield* Effect.result(write(`${K}/state`, "update_schemes_stats"))
      assert.isTrue(busy._tag === "Failure" && busy.failure.errno === "EBUSY")
      const [k0] = yield* collect
      assert.isTrue(k0!.running)
      assert.strictEqual(k0!.schemes.length, 1)
      yield* TestClock.adjust("200 millis")
      yield* Fiber.join(walk)
      assert.strictEqual((yield* collect)[0]!.stats!.walksCompleted, 1)
    }).pipe(Effect.provide(sysfsLayer())))
})
