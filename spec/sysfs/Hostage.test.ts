/**
 * No command holds the tree hostage (issue 13, item 4): a `state` command that waits on its
 * kdamond (`update_schemes_tried_regions` for a scheme applied once an hour) leaves reads, other
 * files, other kdamonds and `off` answered; `off` cancels the wait (`ECANCELED`) and leaves the
 * tree consistent; interrupting the writer or the writer's `timeout` withdraws the walk and frees
 * the kdamond. TestClock drives the kdamonds (real-time mode) except in the last test, where a
 * virtual-time kdamond runs flat out and the writer's timeout is real time.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import { TestClock } from "effect/testing"
import * as Sysfs from "../../src/sysfs/Sysfs.ts"
import { errnoOf, matchAll, read, sysfsLayer, write, writeAll } from "./support/TestOps.ts"

const HOUR_US = "3600000000"

/** `nr` kdamonds, each with one vaddr context, one target and one scheme matching everything. */
const setup = (nr: number) =>
  writeAll([
    ["kdamonds/nr_kdamonds", String(nr)],
    ...Array.from({ length: nr }, (_, k): ReadonlyArray<readonly [string, string]> => {
      const ctx = `kdamonds/${k}/contexts/0`
      return [
        [`kdamonds/${k}/contexts/nr_contexts`, "1"],
        [`${ctx}/targets/nr_targets`, "1"],
        [`${ctx}/targets/0/pid_target`, String(42 + k)],
        [`${ctx}/schemes/nr_schemes`, "1"],
        ...matchAll(`${ctx}/schemes/0`)
      ]
    }).flat()
  ])

const K0 = "kdamonds/0"
const S0 = `${K0}/contexts/0/schemes/0`

/** The repro: one-hour apply interval, `commit`, then a forked tried-regions write. */
const hostage = (options?: Sysfs.WriteOptions) =>
  Effect.gen(function*() {
    yield* write(`${K0}/state`, "on")
    yield* TestClock.adjust("10 millis")
    yield* write(`${S0}/apply_interval_us`, HOUR_US)
    yield* write(`${K0}/state`, "commit")
    // Let the pass of the old interval go by: the next one is an hour away.
    yield* TestClock.adjust("1 second")
    const fs = yield* Sysfs.Sysfs
    const writer = yield* Effect.forkChild(fs.write(`${K0}/state`, "update_schemes_tried_regions", options), {
      startImmediately: true
    })
    yield* TestClock.adjust("10 seconds")
    assert.isUndefined(writer.pollUnsafe(), "the write waits for the scheme's next pass")
    return writer
  })

const walkCounts = Effect.gen(function*() {
  const [entry] = yield* Effect.flatMap(Sysfs.Sysfs, (fs) => fs.kdamonds)
  const stats = yield* entry!.kdamond!.stats
  return { completed: stats.walksCompleted, canceled: stats.walksCanceled }
})

describe("Hostage", () => {
  it.effect("while the write waits: GET state, other files, nr_* and other kdamonds answer; off cancels it cleanly", () =>
    Effect.gen(function*() {
      const fs = yield* Sysfs.Sysfs
      yield* setup(2)
      const writer = yield* hostage()
      // Reads, including the files whose show try-takes the lock.
      assert.strictEqual(yield* read(`${K0}/state`), "on\n")
      assert.match(yield* read(`${K0}/pid`), /^\d+\n$/)
      assert.isAbove((yield* fs.dump("")).length, 100)
      assert.strictEqual(yield* read(`${S0}/tried_regions/total_bytes`), "0\n")
      // Other files of the same kdamond, structural writes included.
      yield* writeAll([[`${S0}/quotas/ms`, "10"], [`${S0}/filters/nr_filters`, "2"], [`${S0}/filters/0/memcg_path`, "/a"]])
      assert.strictEqual(yield* read(`${S0}/filters/nr_filters`), "2\n")
      // Another kdamond: a whole session.
      yield* write("kdamonds/1/state", "on")
      yield* TestClock.adjust("200 millis")
      yield* write("kdamonds/1/state", "update_schemes_stats")
      yield* write("kdamonds/1/state", "off")
      // The waiting kdamond's other commands wait their turn (EBUSY, as a second damos_walk would).
      assert.strictEqual(yield* errnoOf(write(`${K0}/state`, "update_schemes_stats")), "EBUSY")
      // nr_kdamonds is refused because a kdamond runs (the kernel's rule), not because of the wait.
      assert.strictEqual(yield* errnoOf(write("kdamonds/nr_kdamonds", "3")), "EBUSY")
      // off always wins, and frees the kdamond at once: on and a command right after it work.
      yield* write(`${K0}/state`, "off")
      yield* write(`${K0}/state`, "on")
      yield* write(`${K0}/state`, "update_schemes_stats")
      yield* write(`${K0}/state`, "off")
      const exit = yield* Fiber.await(writer)
      assert.isTrue(Exit.isFailure(exit))
      const e = yield* Effect.flip(Fiber.join(writer))
      assert.deepStrictEqual([e.errno, e.reason._tag], ["ECANCELED", "Canceled"])
      assert.include(e.message, `${K0}/state`)
      // The tree is consistent: stopped, no tried regions, every file readable.
      assert.strictEqual(yield* read(`${K0}/state`), "off\n")
      assert.strictEqual(yield* read(`${K0}/pid`), "-1\n")
      assert.deepStrictEqual(yield* fs.list(`${S0}/tried_regions`), ["total_bytes"])
      assert.strictEqual(yield* read(`${S0}/tried_regions/total_bytes`), "0\n")
      // And usable: back on, a short interval, a walk that completes.
      yield* write(`${S0}/apply_interval_us`, "0")
      yield* write(`${K0}/state`, "on")
      const again = yield* Effect.forkChild(write(`${K0}/state`, "update_schemes_tried_regions"), { startImmediately: true })
      yield* TestClock.adjust("300 millis")
      yield* Fiber.join(again)
      assert.isAbove(Number((yield* read(`${S0}/tried_regions/total_bytes`)).trim()), 0)
    }).pipe(Effect.provide(sysfsLayer())))

  it.effect("interrupting the writer withdraws its walk and frees the kdamond, which runs on", () =>
    Effect.gen(function*() {
      yield* setup(1)
      const writer = yield* hostage()
      yield* Fiber.interrupt(writer)
      assert.deepStrictEqual(yield* walkCounts, { completed: 0, canceled: 1 })
      assert.strictEqual(yield* read(`${K0}/state`), "on\n")
      // The slot is free: the same kdamond serves commands, and a new walk is accepted.
      yield* write(`${K0}/state`, "update_schemes_stats")
      const second = yield* Effect.forkChild(write(`${K0}/state`, "update_schemes_tried_bytes"), { startImmediately: true })
      yield* TestClock.adjust("10 seconds")
      assert.isUndefined(second.pollUnsafe())
      yield* Fiber.interrupt(second)
      assert.deepStrictEqual(yield* walkCounts, { completed: 0, canceled: 2 })
    }).pipe(Effect.provide(sysfsLayer())))

  it.effect("the writer's timeout withdraws the wait: ECANCELED naming the timeout, the kdamond runs on", () =>
    Effect.gen(function*() {
      yield* setup(1)
      const writer = yield* hostage({ timeout: "20 seconds" })
      yield* TestClock.adjust("10 seconds")
      const e = yield* Effect.flip(Fiber.join(writer))
      assert.deepStrictEqual([e.errno, e.reason._tag], ["ECANCELED", "Canceled"])
      assert.include(e.message, "timeout (20s)")
      assert.deepStrictEqual(yield* walkCounts, { completed: 0, canceled: 1 })
      assert.strictEqual(yield* read(`${K0}/state`), "on\n")
      // A wait shorter than its bound is not affected.
      yield* writeAll([[`${S0}/apply_interval_us`, "0"], [`${K0}/state`, "off"], [`${K0}/state`, "on"]])
      const fs = yield* Sysfs.Sysfs
      const quick = yield* Effect.forkChild(fs.write(`${K0}/state`, "update_schemes_tried_regions", { timeout: 1000 }), {
        startImmediately: true
      })
      yield* TestClock.adjust("300 millis")
      yield* Fiber.join(quick)
      assert.deepStrictEqual(yield* walkCounts, { completed: 1, canceled: 0 })
    }).pipe(Effect.provide(sysfsLayer())))

  it.effect("a bad timeout is EINVAL naming the option, before anything runs", () =>
    Effect.gen(function*() {
      const fs = yield* Sysfs.Sysfs
      yield* setup(1)
      yield* write(`${K0}/state`, "on")
      for (const timeout of [-1, Number.NaN, "soon" as "1 second"]) {
        const e = yield* Effect.flip(fs.write(`${K0}/state`, "update_schemes_tried_regions", { timeout }))
        assert.deepStrictEqual([e.errno, e.reason._tag], ["EINVAL", "InvalidArgument"], String(timeout))
        assert.include(e.message, "options.timeout")
      }
      assert.deepStrictEqual(yield* walkCounts, { completed: 0, canceled: 0 })
    }).pipe(Effect.provide(sysfsLayer())))

  it.live("a virtual-time kdamond and a 2^53-1 us interval: a real-time timeout and off both release the writer", () =>
    Effect.gen(function*() {
      const fs = yield* Sysfs.Sysfs
      yield* setup(1)
      yield* write(`${S0}/apply_interval_us`, "9007199254740991")
      yield* write(`${K0}/state`, "on")
      const timedOut = yield* Effect.flip(fs.write(`${K0}/state`, "update_schemes_tried_regions", { timeout: "30 millis" }))
      assert.strictEqual(timedOut.errno, "ECANCELED")
      const writer = yield* Effect.forkChild(fs.write(`${K0}/state`, "update_schemes_tried_regions"), {
        startImmediately: true
      })
      yield* Effect.sleep("20 millis")
      assert.strictEqual(yield* read(`${K0}/state`), "on\n")
      yield* write(`${K0}/state`, "off")
      assert.strictEqual((yield* Effect.flip(Fiber.join(writer))).errno, "ECANCELED")
      assert.deepStrictEqual(yield* walkCounts, { completed: 0, canceled: 2 })
    }).pipe(Effect.provide(sysfsLayer({ start: { seed: 1 } }, undefined, "virtual"))))
})
