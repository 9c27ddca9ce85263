/**
 * Bad input anywhere gets the kernel's errno (the typed reason mirrors it) and a message naming
 * the path and the value, and changes nothing: state keywords, the sysfs lock, and the checks
 * `on`/`commit` make when they build a context from the tree.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer } from "effect"
import { TestClock } from "effect/testing"
import { Damon, OpsRegistry, World } from "effect-damon"
import * as Sysfs from "../../src/sysfs/Sysfs.ts"
import { CTX, errnoOf, type Handles, read, S0, setupVaddr, sysfsLayer, testOps, write, writeAll } from "./support/TestOps.ts"

const K = "kdamonds/0"

/** The error of a failing write: errno, reason tag and message. */
const failure = (path: string, text: string) =>
  Effect.map(Effect.flip(write(path, text)), (e) => ({ errno: e.errno, tag: e.reason._tag, message: e.message }))

const notRunning = Effect.flatMap(Damon.Damon, (d) => d.nrRunningCtxs)

describe("Errors", () => {
  describe("state", () => {
    it.effect("unknown keyword is EINVAL naming the path and the keyword", () =>
      Effect.gen(function*() {
        yield* setupVaddr(1)
        const e = yield* failure(`${K}/state`, "start")
        assert.deepStrictEqual([e.errno, e.tag], ["EINVAL", "InvalidArgument"])
        assert.include(e.message, `${K}/state`)
        assert.include(e.message, "\"start\"")
        assert.strictEqual(yield* errnoOf(write(`${K}/state`, "on\n\n")), "EINVAL")
        assert.strictEqual(yield* errnoOf(write(`${K}/state`, "On")), "EINVAL")
        yield* write(`${K}/state`, "on\n")
        assert.strictEqual(yield* read(`${K}/state`), "on\n")
      }).pipe(Effect.provide(sysfsLayer())))

    it.effect("off: never started is EINVAL, already stopped is EPERM; second on is EBUSY", () =>
      Effect.gen(function*() {
        yield* setupVaddr(1)
        assert.strictEqual(yield* errnoOf(write(`${K}/state`, "off")), "EINVAL")
        yield* write(`${K}/state`, "on")
        const busy = yield* failure(`${K}/state`, "on")
        assert.deepStrictEqual([busy.errno, busy.tag], ["EBUSY", "Busy"])
        yield* write(`${K}/state`, "off")
        const perm = yield* failure(`${K}/state`, "off")
        assert.deepStrictEqual([perm.errno, perm.tag], ["EPERM", "NotRunning"])
        assert.include(perm.message, `${K}/state`)
      }).pipe(Effect.provide(sysfsLayer())))

    it.effect("every keyword but off needs exactly one context (EINVAL)", () =>
      Effect.gen(function*() {
        yield* write("kdamonds/nr_kdamonds", "1")
        for (const cmd of ["on", "commit", "update_schemes_stats", "clear_schemes_tried_regions", "update_tuned_intervals"]) {
          const e = yield* failure(`${K}/state`, cmd)
          assert.strictEqual(e.errno, "EINVAL", cmd)
          assert.include(e.message, "nr_contexts")
        }
        assert.strictEqual(yield* errnoOf(write(`${K}/state`, "off")), "EINVAL")
      }).pipe(Effect.provide(sysfsLayer())))

    it.effect("damonCall/damosWalk keywords: EINVAL before the first on, ECANCELED once stopped", () =>
      Effect.gen(function*() {
        yield* setupVaddr(1)
        const commands = [
          "commit",
          "commit_schemes_quota_goals",
          "update_schemes_stats",
          "update_schemes_tried_bytes",
          "update_schemes_tried_regions",
          "update_schemes_effective_quotas",
          "update_tuned_intervals"
        ]
        for (const cmd of commands) assert.strictEqual(yield* errnoOf(write(`${K}/state`, cmd)), "EINVAL", cmd)
        yield* write(`${K}/state`, "clear_schemes_tried_regions")
        yield* write(`${K}/state`, "on")
        yield* write(`${K}/state`, "off")
        for (const cmd of commands) {
          const e = yield* failure(`${K}/state`, cmd)
          assert.deepStrictEqual([e.errno, e.tag], ["ECANCELED", "Canceled"], cmd)
        }
      }).pipe(Effect.provide(sysfsLayer())))

    it.effect("on: EBUSY while an exclusive DAMON user runs", () =>
      Effect.gen(function*() {
        yield* setupVaddr(1)
        const damon = yield* Damon.Damon
        const exclusive = yield* damon.start({ ops: "paddr", targets: [{}] }, { exclusive: true, seed: 1 })
        assert.strictEqual(yield* errnoOf(write(`${K}/state`, "on")), "EBUSY")
        assert.strictEqual(yield* read(`${K}/state`), "off\n")
        yield* exclusive.stop
        yield* write(`${K}/state`, "on")
      }).pipe(Effect.provide(sysfsLayer())))
  })

  describe("nr_kdamonds", () => {
    it.effect("EBUSY while any kdamond runs; allowed (and recreating) once all are off", () =>
      Effect.gen(function*() {
        yield* setupVaddr(1)
        yield* write(`${K}/state`, "on")
        const e = yield* failure("kdamonds/nr_kdamonds", "2")
        assert.deepStrictEqual([e.errno, e.tag], ["EBUSY", "Busy"])
        assert.strictEqual(yield* read("kdamonds/nr_kdamonds"), "1\n")
        assert.strictEqual(yield* read(`${K}/state`), "on\n")
        yield* write(`${K}/state`, "off")
        yield* write("kdamonds/nr_kdamonds", "2")
        assert.strictEqual(yield* read(`${K}/contexts/nr_contexts`), "0\n")
        assert.strictEqual(yield* read(`${K}/pid`), "-1\n")
        assert.strictEqual(yield* errnoOf(write(`${K}/state`, "off")), "EINVAL")
      }).pipe(Effect.provide(sysfsLayer())))
  })

  describe("build (on/commit)", () => {
    const onFails = (expectErrno: string, pathPart: string, valuePart: string) =>
      Effect.gen(function*() {
        const e = yield* failure(`${K}/state`, "on")
        assert.strictEqual(e.errno, expectErrno)
        assert.include(e.message, pathPart)
        assert.include(e.message, valuePart)
        assert.strictEqual(yield* read(`${K}/state`), "off\n")
        assert.strictEqual(yield* notRunning, 0)
      })

    it.effect("regions: start > end and overlapping regions are EINVAL naming the region file", () =>
      Effect.gen(function*() {
        yield* setupVaddr(1)
        yield* writeAll([
          [`${CTX}/targets/0/regions/nr_regions`, "2"],
          [`${CTX}/targets/0/regions/0/start`, "8192"],
          [`${CTX}/targets/0/regions/0/end`, "4096"]
        ])
        yield* onFails("EINVAL", `${CTX}/targets/0/regions/0/start`, "8192")
        yield* writeAll([
          [`${CTX}/targets/0/regions/0/start`, "0"],
          [`${CTX}/targets/0/regions/0/end`, "8192"],
          [`${CTX}/targets/0/regions/1/start`, "4096"],
          [`${CTX}/targets/0/regions/1/end`, "16384"]
        ])
        yield* onFails("EINVAL", `${CTX}/targets/0/regions/1/start`, "4096")
        yield* write(`${CTX}/targets/0/regions/1/start`, "8192")
        yield* write(`${K}/state`, "on")
      }).pipe(Effect.provide(sysfsLayer())))

    it.effect("paddr with more than one target is EINVAL", () =>
      Effect.gen(function*() {
        yield* setupVaddr(1)
        yield* writeAll([[`${CTX}/operations`, "paddr"], [`${CTX}/targets/nr_targets`, "2"]])
        yield* onFails("EINVAL", `${CTX}/targets/nr_targets`, "2")
        yield* write(`${CTX}/targets/nr_targets`, "1")
        yield* write(`${K}/state`, "on")
      }).pipe(Effect.provide(sysfsLayer())))

    it.effect("vaddr/fvaddr: a pid naming no live process is EINVAL (processExists)", () =>
      Effect.gen(function*() {
        yield* setupVaddr(1)
        yield* write(`${CTX}/targets/0/pid_target`, "43")
        yield* onFails("EINVAL", `${CTX}/targets/0/pid_target`, "43")
        yield* write(`${CTX}/operations`, "fvaddr")
        yield* onFails("EINVAL", `${CTX}/targets/0/pid_target`, "43")
        yield* write(`${CTX}/targets/0/pid_target`, "0")
        yield* onFails("EINVAL", `${CTX}/targets/0/pid_target`, "0")
        yield* write(`${CTX}/targets/0/pid_target`, "42")
        yield* write(`${K}/state`, "on")
      }).pipe(Effect.provide(sysfsLayer({ processExists: (pid) => pid === 42 }))))

    it.effect("memcg paths resolve through the memcgs option; unknown or unset paths are EINVAL", () =>
      Effect.gen(function*() {
        const handles: Handles = { all: [] }
        yield* Effect.gen(function*() {
          yield* setupVaddr(1)
          yield* writeAll([[`${S0}/ops_filters/nr_filters`, "1"], [`${S0}/ops_filters/0/type`, "memcg"]])
          yield* onFails("EINVAL", `${S0}/ops_filters/0/memcg_path`, "is not set")
          yield* write(`${S0}/ops_filters/0/memcg_path`, "/nope")
          yield* onFails("EINVAL", `${S0}/ops_filters/0/memcg_path`, "/nope")
          yield* write(`${S0}/ops_filters/0/memcg_path`, "/workload\n")
          yield* writeAll([
            [`${S0}/quotas/goals/nr_goals`, "1"],
            [`${S0}/quotas/goals/0/target_metric`, "node_memcg_used_bp"],
            [`${S0}/quotas/goals/0/target_value`, "3000"],
            [`${S0}/quotas/goals/0/nid`, "1"],
            [`${S0}/quotas/goals/0/path`, "/other"]
          ])
          yield* onFails("EINVAL", `${S0}/quotas/goals/0/path`, "/other")
          yield* write(`${S0}/quotas/goals/0/path`, "/system")
          yield* write(`${K}/state`, "on")
          const seen = yield* handles.all[0]!.damonCall((ctx) => ({
            filter: ctx.schemes[0]!.opsFilters[0],
            goal: ctx.schemes[0]!.quota.goals.map((g) => [g.metric, g.memcgId, g.nid])
          }))
          assert.deepStrictEqual(seen.filter, { type: "memcg", matching: false, allow: false, memcgId: 7 })
          assert.deepStrictEqual(seen.goal, [["node_memcg_used_bp", 2, 1]])
        }).pipe(Effect.provide(sysfsLayer({ memcgs: { "/workload": 7, "/system": 2 } }, handles)))
      }))

    it.effect("filters: addr_end < addr_start and hugepage min > max are EINVAL at build", () =>
      Effect.gen(function*() {
        yield* setupVaddr(1)
        yield* writeAll([
          [`${S0}/core_filters/nr_filters`, "1"],
          [`${S0}/core_filters/0/type`, "addr"],
          [`${S0}/core_filters/0/addr_start`, "8192"],
          [`${S0}/core_filters/0/addr_end`, "4096"]
        ])
        yield* onFails("EINVAL", `${S0}/core_filters/0/addr_end`, "4096")
        yield* writeAll([
          [`${S0}/core_filters/0/addr_end`, "65536"],
          [`${S0}/filters/nr_filters`, "1"],
          [`${S0}/filters/0/type`, "hugepage_size"],
          [`${S0}/filters/0/min`, "2097152"],
          [`${S0}/filters/0/max`, "4096"]
        ])
        yield* onFails("EINVAL", `${S0}/filters/0/min`, "2097152")
        yield* write(`${S0}/filters/0/max`, "2097152")
        yield* write(`${K}/state`, "on")
      }).pipe(Effect.provide(sysfsLayer())))

    it.effect("region addresses above 2^53-1 are EINVAL naming file and value; min > max is judged on the written values", () =>
      Effect.gen(function*() {
        yield* setupVaddr(1)
        yield* writeAll([
          [`${CTX}/targets/0/regions/nr_regions`, "1"],
          [`${CTX}/targets/0/regions/0/start`, "4096"],
          [`${CTX}/targets/0/regions/0/end`, "9007199254740992"]
        ])
        yield* onFails("EINVAL", `${CTX}/targets/0/regions/0/end`, "9007199254740992")
        const e = yield* Effect.flip(write(`${K}/state`, "on"))
        assert.include(e.message, "53-bit address space")
        yield* write(`${CTX}/targets/0/regions/0/end`, "9007199254740991")
        // Both saturate to 2^53-1, but min > max as written: the library's rule still applies.
        yield* writeAll([
          [`${S0}/access_pattern/sz/min`, "18446744073709551615"],
          [`${S0}/access_pattern/sz/max`, "9007199254740992"]
        ])
        yield* onFails("EINVAL", `${S0}/access_pattern/sz/min`, "18446744073709551615")
        yield* write(`${S0}/access_pattern/sz/min`, "0")
        // nr_accesses bounds are unsigned int in the kernel: 2^32 + 5 keeps 5, 2^32 keeps 0.
        yield* writeAll([
          [`${S0}/access_pattern/nr_accesses/min`, "4294967301"],
          [`${S0}/access_pattern/nr_accesses/max`, "4294967296"]
        ])
        const trunc = yield* Effect.flip(write(`${K}/state`, "on"))
        assert.strictEqual(trunc.errno, "EINVAL")
        assert.include(trunc.message, `${S0}/access_pattern/nr_accesses/min`)
        assert.include(trunc.message, "low 32 bits: 5 > 0")
        // The kernel's damon_set_attrs() order is judged on the u64 values: sample > aggr.
        yield* writeAll([
          [`${S0}/access_pattern/nr_accesses/min`, "0"],
          [`${CTX}/monitoring_attrs/intervals/sample_us`, "18446744073709551615"],
          [`${CTX}/monitoring_attrs/intervals/aggr_us`, "9007199254740993"]
        ])
        yield* onFails("EINVAL", `${CTX}/monitoring_attrs/intervals/sample_us`, "18446744073709551615")
      }).pipe(Effect.provide(sysfsLayer())))

    it.effect("an unregistered operations set is EINVAL at on, though operations accepts the name", () =>
      Effect.gen(function*() {
        yield* setupVaddr(1)
        yield* write(`${CTX}/operations`, "fvaddr")
        assert.strictEqual(yield* read(`${CTX}/avail_operations`), "vaddr\npaddr\n")
        yield* onFails("EINVAL", `${CTX}/operations`, "fvaddr")
      }).pipe(
        Effect.provide(
          Sysfs.layer().pipe(
            Layer.provideMerge(Damon.layer),
            Layer.provide([OpsRegistry.layer({ vaddr: testOps("vaddr"), paddr: testOps("paddr") }), World.layerReal])
          )
        )
      ))

    it.effect("attrs: the damon_set_attrs() rules name the attribute file", () =>
      Effect.gen(function*() {
        yield* setupVaddr(1)
        yield* write(`${CTX}/monitoring_attrs/intervals/sample_us`, "200000")
        yield* onFails("EINVAL", `${CTX}/monitoring_attrs/intervals/sample_us`, "200000")
        yield* writeAll([[`${CTX}/monitoring_attrs/intervals/sample_us`, "5000"], [`${CTX}/monitoring_attrs/nr_regions/max`, "5"]])
        yield* onFails("EINVAL", `${CTX}/monitoring_attrs/nr_regions/min`, "10")
        yield* writeAll([[`${CTX}/monitoring_attrs/nr_regions/max`, "1000"], [`${CTX}/addr_unit`, "3"], [`${CTX}/operations`, "paddr"]])
        yield* onFails("EINVAL", `${CTX}/addr_unit`, "3")
      }).pipe(Effect.provide(sysfsLayer())))

    it.effect("a failed on drops the previous (stopped) context, as the kernel does", () =>
      Effect.gen(function*() {
        yield* setupVaddr(1)
        yield* write(`${K}/state`, "on")
        yield* write(`${K}/state`, "off")
        assert.strictEqual(yield* errnoOf(write(`${K}/state`, "off")), "EPERM")
        yield* write(`${CTX}/targets/0/pid_target`, "-5")
        yield* onFails("EINVAL", "pid_target", "-5")
        assert.strictEqual(yield* errnoOf(write(`${K}/state`, "off")), "EINVAL")
      }).pipe(Effect.provide(sysfsLayer())))
  })

  describe("lock", () => {
    it.effect("while a state command waits on a walk: its kdamond's other commands are EBUSY; reads, files, nr_* and off work", () =>
      Effect.gen(function*() {
        const fs = yield* Sysfs.Sysfs
        yield* setupVaddr(1)
        yield* writeAll([[`${S0}/apply_interval_us`, "1000000"], [`${S0}/filters/nr_filters`, "1"], [`${K}/state`, "on"]])
        yield* TestClock.adjust("10 millis")
        const walk = yield* Effect.forkChild(write(`${K}/state`, "update_schemes_tried_regions"), { startImmediately: true })
        yield* TestClock.adjust("100 millis")
        assert.isUndefined(walk.pollUnsafe())
        for (const cmd of ["update_schemes_stats", "commit", "update_schemes_tried_bytes", "on"]) {
          const e = yield* failure(`${K}/state`, cmd)
          assert.deepStrictEqual([e.errno, e.tag], ["EBUSY", "Busy"], cmd)
          assert.include(e.message, "waiting for update_schemes_tried_regions")
        }
        // A bad keyword is still a bad keyword; the lock itself is free.
        assert.strictEqual(yield* errnoOf(write(`${K}/state`, "bogus")), "EINVAL")
        for (const path of [`${K}/state`, `${K}/pid`, `${S0}/filters/0/memcg_path`]) {
          assert.strictEqual(yield* errnoOf(fs.read(path)), "ok", path)
        }
        yield* writeAll([
          [`${S0}/filters/0/memcg_path`, "/a"],
          [`${S0}/quotas/goals/nr_goals`, "1"],
          [`${S0}/action`, "cold"],
          [`${CTX}/schemes/nr_schemes`, "2"]
        ])
        assert.strictEqual(yield* read(`${CTX}/schemes/nr_schemes`), "2\n")
        // Running kdamonds still refuse nr_kdamonds, as the kernel does.
        assert.strictEqual(yield* errnoOf(write("kdamonds/nr_kdamonds", "0")), "EBUSY")
        yield* write(`${K}/state`, "off")
        const exit = yield* Fiber.await(walk)
        assert.isTrue(exit._tag === "Failure")
        assert.strictEqual(yield* errnoOf(Fiber.join(walk)), "ECANCELED")
      }).pipe(Effect.provide(sysfsLayer())))

    it.effect("interrupting a waiting command releases the lock and withdraws its walk", () =>
      Effect.gen(function*() {
        yield* setupVaddr(1)
        yield* writeAll([[`${S0}/apply_interval_us`, "1000000"], [`${K}/state`, "on"]])
        yield* TestClock.adjust("10 millis")
        const walk = yield* Effect.forkChild(write(`${K}/state`, "update_schemes_tried_regions"), { startImmediately: true })
        yield* TestClock.adjust("10 millis")
        yield* Fiber.interrupt(walk)
        yield* write(`${CTX}/schemes/nr_schemes`, "1")
        yield* write(`${K}/state`, "clear_schemes_tried_regions")
        const again = yield* Effect.forkChild(write(`${K}/state`, "update_schemes_tried_bytes"), { startImmediately: true })
        yield* TestClock.adjust("2 seconds")
        yield* Fiber.join(again)
      }).pipe(Effect.provide(sysfsLayer())))
  })
})
