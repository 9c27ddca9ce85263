/**
 * The admin tree accepts every value the kernel accepts: each `unsigned long` file takes and
 * shows back `18446744073709551615` (damo's `max`), a kdamond starts and commits with it wherever
 * the kernel would, the value behaves as the kernel's ULONG_MAX does, and damo's `report access`
 * sequence (an extra catch-all scheme committed, stats, tuned intervals and tried regions read,
 * the original schemes committed back) works on schemes whose reset interval is ULONG_MAX.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import type { DamonCtx } from "effect-damon"
import { Sysfs } from "../../src/sysfs/Sysfs.ts"
import { CTX, type Handles, MiB, read, S0, setupVaddr, sysfsLayer, write, writeAll } from "./support/TestOps.ts"

const K = "kdamonds/0"
const MAX = "18446744073709551615"
const SAFE = Number.MAX_SAFE_INTEGER

/** Runs a state command that waits for the kdamond while the clock advances by `ms`. */
const writeWhileAdvancing = (path: string, text: string, ms: number) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.forkChild(write(path, text), { startImmediately: true })
    yield* TestClock.adjust(ms)
    return yield* Fiber.join(fiber)
  })

/** Every file below `dir`, depth first. */
const filesBelow = (dir: string): Effect.Effect<Array<string>, unknown, Sysfs> =>
  Effect.gen(function*() {
    const fs = yield* Sysfs
    const out: Array<string> = []
    for (const name of yield* fs.list(dir)) {
      const path = `${dir}/${name}`
      if ((yield* fs.stat(path)).kind === "file") out.push(path)
      else out.push(...(yield* filesBelow(path)))
    }
    return out
  })

/**
 * Text files (any content is a valid path), booleans (`kstrtobool` reads the first character) and
 * keyword files (they take names only).
 */
const notNumeric = new Set([
  "memcg_path",
  "path",
  "matching",
  "allow",
  "obsolete_target",
  "state",
  "operations",
  "action",
  "type",
  "target_metric",
  "goal_tuner",
  "metric"
])

/** The `unsigned long` files of a context, by the kernel's parsers (`kstrtoul`). */
const ulongFiles = [
  "addr_unit",
  "monitoring_attrs/intervals/sample_us",
  "monitoring_attrs/intervals/aggr_us",
  "monitoring_attrs/intervals/update_us",
  "monitoring_attrs/intervals/intervals_goal/access_bp",
  "monitoring_attrs/intervals/intervals_goal/aggrs",
  "monitoring_attrs/intervals/intervals_goal/min_sample_us",
  "monitoring_attrs/intervals/intervals_goal/max_sample_us",
  "monitoring_attrs/nr_regions/min",
  "monitoring_attrs/nr_regions/max",
  "targets/0/regions/0/start",
  "targets/0/regions/0/end",
  "schemes/0/apply_interval_us",
  "schemes/0/access_pattern/sz/min",
  "schemes/0/access_pattern/sz/max",
  "schemes/0/access_pattern/nr_accesses/min",
  "schemes/0/access_pattern/nr_accesses/max",
  "schemes/0/access_pattern/age/min",
  "schemes/0/access_pattern/age/max",
  "schemes/0/quotas/ms",
  "schemes/0/quotas/bytes",
  "schemes/0/quotas/reset_interval_ms",
  "schemes/0/quotas/goals/0/target_value",
  "schemes/0/quotas/goals/0/current_value",
  "schemes/0/watermarks/interval_us",
  "schemes/0/watermarks/high",
  "schemes/0/watermarks/mid",
  "schemes/0/watermarks/low",
  ...["filters", "core_filters", "ops_filters"].flatMap((d) =>
    ["addr_start", "addr_end", "min", "max"].map((f) => `schemes/0/${d}/0/${f}`)
  ),
  "schemes/0/stats/max_nr_snapshots"
]

/** One of everything: a region, a goal, a filter in each filters directory, a destination. */
const fullTree = Effect.gen(function*() {
  yield* setupVaddr(1)
  yield* writeAll([
    [`${CTX}/targets/0/regions/nr_regions`, "1"],
    [`${S0}/quotas/goals/nr_goals`, "1"],
    [`${S0}/filters/nr_filters`, "1"],
    [`${S0}/core_filters/nr_filters`, "1"],
    [`${S0}/ops_filters/nr_filters`, "1"],
    [`${S0}/dests/nr_dests`, "1"]
  ])
})

/** The files damo's `_damon_sysfs.write_scheme_dir()` writes for a scheme with no quota goals or filters. */
const damoScheme = (dir: string, action: string, nrAccessesMax: string): Array<readonly [string, string]> => [
  [`${dir}/access_pattern/sz/min`, "0"],
  [`${dir}/access_pattern/sz/max`, MAX],
  [`${dir}/access_pattern/nr_accesses/min`, "0"],
  [`${dir}/access_pattern/nr_accesses/max`, nrAccessesMax],
  [`${dir}/access_pattern/age/min`, "0"],
  [`${dir}/access_pattern/age/max`, MAX],
  [`${dir}/action`, action],
  [`${dir}/quotas/ms`, "0"],
  [`${dir}/quotas/bytes`, "0"],
  [`${dir}/quotas/reset_interval_ms`, MAX],
  [`${dir}/quotas/weights/sz_permil`, "0"],
  [`${dir}/quotas/weights/nr_accesses_permil`, "0"],
  [`${dir}/quotas/weights/age_permil`, "0"],
  [`${dir}/watermarks/metric`, "none"],
  [`${dir}/watermarks/interval_us`, "0"],
  [`${dir}/watermarks/high`, "0"],
  [`${dir}/watermarks/mid`, "0"],
  [`${dir}/watermarks/low`, "0"],
  [`${dir}/apply_interval_us`, "0"]
]

describe("ULONG_MAX", () => {
  it.effect("every unsigned long file of the tree takes 18446744073709551615 and reads it back as written", () =>
    Effect.gen(function*() {
      const fs = yield* Sysfs
      yield* fullTree
      const accepted: Array<string> = []
      for (const path of yield* filesBelow(CTX)) {
        const name = path.slice(path.lastIndexOf("/") + 1)
        const st = yield* fs.stat(path)
        if (notNumeric.has(name) || st.kind !== "file" || st.mode !== 0o600) continue
        const r = yield* Effect.result(fs.write(path, MAX))
        if (r._tag === "Success") accepted.push(path.slice(CTX.length + 1))
        else assert.include(["ERANGE", "EINVAL"], r.failure.errno, `${path}: an int/uint file refuses it`)
      }
      assert.deepStrictEqual([...accepted].sort(), [...ulongFiles].sort())
      for (const f of ulongFiles) assert.strictEqual(yield* read(`${CTX}/${f}`), `${MAX}\n`, f)
    }).pipe(Effect.provide(sysfsLayer())))

  const handles: Handles = { all: [] }
  it.effect("on and commit accept ULONG_MAX wherever the kernel does; the files still read back as written", () =>
    Effect.gen(function*() {
      yield* fullTree
      const written: ReadonlyArray<string> = [
        "addr_unit",
        "monitoring_attrs/intervals/aggr_us",
        "monitoring_attrs/intervals/update_us",
        "monitoring_attrs/intervals/intervals_goal/access_bp",
        "monitoring_attrs/intervals/intervals_goal/max_sample_us",
        "monitoring_attrs/nr_regions/max",
        "schemes/0/apply_interval_us",
        "schemes/0/quotas/ms",
        "schemes/0/quotas/bytes",
        "schemes/0/quotas/reset_interval_ms",
        "schemes/0/quotas/goals/0/target_value",
        "schemes/0/quotas/goals/0/current_value",
        "schemes/0/watermarks/interval_us",
        "schemes/0/watermarks/high",
        "schemes/0/watermarks/mid",
        "schemes/0/watermarks/low",
        "schemes/0/stats/max_nr_snapshots",
        "schemes/0/core_filters/0/addr_end",
        "schemes/0/ops_filters/0/max"
      ]
      yield* writeAll([
        [`${CTX}/targets/0/regions/0/start`, "0"],
        [`${CTX}/targets/0/regions/0/end`, String(100 * MiB)],
        [`${S0}/core_filters/0/type`, "addr"],
        [`${S0}/ops_filters/0/type`, "hugepage_size"],
        [`${S0}/filters/0/type`, "young"],
        ...written.map((f) => [`${CTX}/${f}`, MAX] as const)
      ])
      yield* write(`${K}/state`, "on")
      const k = handles.all[handles.all.length - 1]!
      const view = (ctx: DamonCtx.DamonCtx) => {
        const s = ctx.schemes[0]!
        return {
          attrs: [ctx.attrs.aggrIntervalUs, ctx.attrs.opsUpdateIntervalUs, ctx.attrs.maxNrRegions, ctx.attrs.intervalsGoal],
          addrUnit: ctx.addrUnit,
          apply: s.applyIntervalUs,
          quota: [s.quota.ms, s.quota.sz, s.quota.resetIntervalMs],
          goal: [s.quota.goals[0]!.targetValue, s.quota.goals[0]!.currentValue],
          wmarks: [s.wmarks.intervalUs, s.wmarks.high, s.wmarks.mid, s.wmarks.low],
          maxNrSnapshots: s.maxNrSnapshots,
          filters: [...s.coreFilters, ...s.opsFilters]
        }
      }
      const expected = {
        attrs: [SAFE, SAFE, SAFE, { accessBp: SAFE, aggrs: 0, minSampleUs: 0, maxSampleUs: SAFE }],
        addrUnit: SAFE,
        apply: SAFE,
        quota: [SAFE, SAFE, SAFE],
        // current/target = 1: the same score, held as 10000/10000.
        goal: [10000, 10000],
        wmarks: [SAFE, SAFE, SAFE, SAFE],
        maxNrSnapshots: SAFE,
        filters: [
          { type: "addr" as const, matching: false, allow: false, addrRange: { start: 0, end: SAFE } },
          { type: "hugepage_size" as const, matching: false, allow: false, szRange: { min: 0, max: SAFE } },
          { type: "young" as const, matching: false, allow: false }
        ]
      }
      assert.deepStrictEqual(yield* k.damonCall(view), expected)
      yield* TestClock.adjust("1 second")
      yield* write(`${K}/state`, "update_tuned_intervals")
      yield* write(`${K}/state`, "commit")
      assert.deepStrictEqual(yield* k.damonCall(view), expected)
      for (const f of written) assert.strictEqual(yield* read(`${CTX}/${f}`), `${MAX}\n`, f)
      assert.strictEqual(yield* read(`${CTX}/monitoring_attrs/intervals/sample_us`), "5000\n")
      yield* write(`${K}/state`, "off")
    }).pipe(Effect.provide(sysfsLayer({}, handles))))

  it.effect("reset_interval_ms ULONG_MAX is one charge window that never ends; bytes ULONG_MAX shows as ULONG_MAX", () =>
    Effect.gen(function*() {
      yield* setupVaddr(2)
      yield* writeAll([
        [`${S0}/quotas/bytes`, String(10 * MiB)],
        [`${S0}/quotas/reset_interval_ms`, MAX],
        [`${CTX}/schemes/1/quotas/bytes`, MAX],
        [`${CTX}/schemes/1/quotas/reset_interval_ms`, "1000"]
      ])
      yield* write(`${K}/state`, "on")
      yield* TestClock.adjust("5 seconds")
      yield* write(`${K}/state`, "update_schemes_stats")
      yield* write(`${K}/state`, "update_schemes_effective_quotas")
      // The first window charged its 10 MiB and never reset: nothing more, no quota exceeded.
      assert.strictEqual(yield* read(`${S0}/stats/sz_tried`), `${10 * MiB}\n`)
      assert.strictEqual(yield* read(`${S0}/stats/qt_exceeds`), "0\n")
      assert.strictEqual(yield* read(`${S0}/quotas/effective_bytes`), `${10 * MiB}\n`)
      // A size quota of ULONG_MAX never fills: every region is tried on every pass.
      const passes = Number((yield* read(`${CTX}/schemes/1/stats/nr_snapshots`)).trim())
      assert.isAtLeast(passes, 40)
      assert.strictEqual(yield* read(`${CTX}/schemes/1/stats/sz_tried`), `${passes * 100 * MiB}\n`)
      assert.strictEqual(yield* read(`${CTX}/schemes/1/stats/qt_exceeds`), "0\n")
      assert.strictEqual(yield* read(`${CTX}/schemes/1/quotas/effective_bytes`), `${MAX}\n`)
    }).pipe(Effect.provide(sysfsLayer())))

  const damoHandles: Handles = { all: [] }
  it.effect("damo report access: commit an extra catch-all scheme, read its tried regions, commit the original back", () =>
    Effect.gen(function*() {
      const fs = yield* Sysfs
      yield* setupVaddr(1)
      // damo start: a pageout scheme for never-accessed regions, reset interval "max".
      yield* writeAll(damoScheme(S0, "pageout", "0"))
      yield* write(`${K}/state`, "on")
      yield* TestClock.adjust("1 second")
      const k = damoHandles.all[damoHandles.all.length - 1]!
      const schemes = (ctx: DamonCtx.DamonCtx) =>
        ctx.schemes.map((s) => [s.action, s.pattern.maxNrAccesses, s.quota.resetIntervalMs])
      const original = yield* k.damonCall(schemes)
      assert.deepStrictEqual(original, [["pageout", 0, SAFE]])

      // damo report access: the running schemes plus a stat scheme that matches everything.
      yield* write(`${CTX}/schemes/nr_schemes`, "2")
      yield* writeAll([...damoScheme(S0, "pageout", "0"), ...damoScheme(`${CTX}/schemes/1`, "stat", MAX)])
      yield* write(`${K}/state`, "commit")
      yield* write(`${K}/state`, "update_schemes_stats")
      yield* write(`${K}/state`, "update_tuned_intervals")
      yield* writeWhileAdvancing(`${K}/state`, "update_schemes_tried_regions", 150)
      const entries = (yield* fs.list(`${CTX}/schemes/1/tried_regions`)).filter((e) => e !== "total_bytes")
      assert.isAtLeast(entries.length, 10)
      let sum = 0
      for (const e of entries) {
        const start = Number((yield* read(`${CTX}/schemes/1/tried_regions/${e}/start`)).trim())
        const end = Number((yield* read(`${CTX}/schemes/1/tried_regions/${e}/end`)).trim())
        sum += end - start
      }
      assert.strictEqual(sum, 100 * MiB)
      assert.strictEqual(yield* read(`${CTX}/schemes/1/tried_regions/total_bytes`), `${100 * MiB}\n`)

      // ...then the original schemes again.
      yield* write(`${CTX}/schemes/nr_schemes`, "1")
      yield* writeAll(damoScheme(S0, "pageout", "0"))
      yield* write(`${K}/state`, "commit")
      assert.deepStrictEqual(yield* k.damonCall(schemes), original)
      assert.strictEqual(yield* read(`${S0}/quotas/reset_interval_ms`), `${MAX}\n`)
      assert.strictEqual(yield* read(`${CTX}/monitoring_attrs/intervals/sample_us`), "5000\n")
      assert.strictEqual(yield* read(`${K}/state`), "on\n")
    }).pipe(Effect.provide(sysfsLayer({}, damoHandles))))
})
