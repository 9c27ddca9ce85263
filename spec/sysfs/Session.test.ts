/**
 * Sessions in the style of the kernel's DAMON selftests (tools/testing/selftests/damon): write a
 * tree, `on`, let time pass (TestClock), update and read the results, compare with a `damonCall`
 * snapshot of the engine's state (the drgn dump of sysfs.py), `commit` a change, `off`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { type DamonCtx, SchemesControl, type Kdamond } from "effect-damon"
import { Sysfs } from "../../src/sysfs/Sysfs.ts"
import {
  CTX,
  errnoOf,
  type Handles,
  matchAll,
  MiB,
  read,
  S0,
  setupVaddr,
  sysfsLayer,
  write,
  writeAll
} from "./support/TestOps.ts"

const K = "kdamonds/0"

/** Runs a state command that waits for the kdamond (a walk) while the clock advances by `ms`. */
const writeWhileAdvancing = (path: string, text: string, ms: number) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.forkChild(write(path, text), { startImmediately: true })
    yield* TestClock.adjust(ms)
    return yield* Fiber.join(fiber)
  })

const snapshot = <A>(k: Kdamond.Kdamond, f: (ctx: DamonCtx.DamonCtx) => A) => k.damonCall(f)
const num = (s: string): number => Number(s.trim())
const handle = (h: Handles): Kdamond.Kdamond => h.all[h.all.length - 1]!

describe("Session", () => {
  const handles: Handles = { all: [] }

  it.effect("sysfs.py - 'on' starts a kdamond with exactly the tree's parameters", () =>
    Effect.gen(function*() {
      // _damon_sysfs.Kdamond(contexts=[DamonCtx(targets=[DamonTarget(pid=-1)], schemes=[Damos()])])
      yield* writeAll([
        ["kdamonds/nr_kdamonds", "1"],
        [`${K}/contexts/nr_contexts`, "1"],
        [`${CTX}/operations`, "paddr"],
        [`${CTX}/monitoring_attrs/intervals/sample_us`, "5000"],
        [`${CTX}/monitoring_attrs/intervals/aggr_us`, "100000"],
        [`${CTX}/monitoring_attrs/intervals/update_us`, "1000000"],
        [`${CTX}/monitoring_attrs/nr_regions/min`, "10"],
        [`${CTX}/monitoring_attrs/nr_regions/max`, "1000"],
        [`${CTX}/targets/nr_targets`, "1"],
        [`${CTX}/targets/0/regions/nr_regions`, "0"],
        [`${CTX}/targets/0/pid_target`, "-1"],
        [`${CTX}/schemes/nr_schemes`, "1"],
        [`${S0}/action`, "stat"],
        ...matchAll(S0),
        [`${S0}/quotas/ms`, "0"],
        [`${S0}/quotas/bytes`, "0"],
        [`${S0}/watermarks/metric`, "none"],
        [`${S0}/filters/nr_filters`, "0"],
        [`${K}/state`, "on"]
      ])
      const k = handle(handles)
      const status = yield* snapshot(k, (ctx) => ({
        ops: ctx.opsId,
        attrs: { ...ctx.attrs },
        targets: ctx.targets.map((t) => t.pid),
        schemes: ctx.schemes.map((s) => ({
          pattern: s.pattern,
          action: s.action,
          applyIntervalUs: s.applyIntervalUs,
          targetNid: s.targetNid,
          dests: s.dests,
          quota: [s.quota.resetIntervalMs, s.quota.ms, s.quota.sz, s.quota.goals.length, s.quota.weightSz],
          wmarks: s.wmarks.metric,
          filters: s.coreFilters.length + s.opsFilters.length
        }))
      }))
      assert.strictEqual(status.ops, "paddr")
      assert.strictEqual(status.attrs.sampleIntervalUs, 5000)
      assert.strictEqual(status.attrs.aggrIntervalUs, 100000)
      assert.strictEqual(status.attrs.opsUpdateIntervalUs, 1000000)
      assert.deepStrictEqual(status.attrs.intervalsGoal, { accessBp: 0, aggrs: 0, minSampleUs: 0, maxSampleUs: 0 })
      assert.deepStrictEqual([status.attrs.minNrRegions, status.attrs.maxNrRegions], [10, 1000])
      assert.deepStrictEqual(status.targets, [null])
      assert.deepStrictEqual(status.schemes, [{
        // ULONG_MAX upper bounds are the library's widest ("no limit") bounds.
        pattern: { minSzRegion: 0, maxSzRegion: Number.MAX_SAFE_INTEGER, minNrAccesses: 0, maxNrAccesses: 4294967295, minAgeRegion: 0, maxAgeRegion: 4294967295 },
        action: "stat",
        applyIntervalUs: 0,
        targetNid: -1,
        dests: [],
        quota: [0, 0, 0, 0, 0],
        wmarks: "none",
        filters: 0
      }])
      assert.strictEqual(yield* read(`${K}/state`), "on\n")
      assert.strictEqual(yield* read(`${K}/pid`), `${k.pid}\n`)
      yield* write(`${K}/state`, "off")
      assert.strictEqual(yield* read(`${K}/state`), "off\n")
      assert.strictEqual(yield* read(`${K}/pid`), "-1\n")
    }).pipe(Effect.provide(sysfsLayer({}, handles))))

  it.effect("damos_tried_regions.py - update_schemes_tried_regions lists the regions a stat scheme tried in one pass", () =>
    Effect.gen(function*() {
      const fs = yield* Sysfs
      yield* setupVaddr(1)
      yield* write(`${K}/state`, "on")
      for (let round = 0; round < 5; round++) {
        yield* TestClock.adjust("100 millis")
        yield* writeWhileAdvancing(`${K}/state`, "update_schemes_tried_regions", 150)
        const entries = (yield* fs.list(`${S0}/tried_regions`)).filter((e) => e !== "total_bytes")
        assert.deepStrictEqual(entries, entries.map((_, i) => String(i)), "numbered from 0")
        // Every region of the 100 MiB target is tried once per pass (min_nr_regions = 10).
        assert.isAtLeast(entries.length, 10)
        let sum = 0
        let prevEnd = 0
        for (const e of entries) {
          const start = num(yield* read(`${S0}/tried_regions/${e}/start`))
          const end = num(yield* read(`${S0}/tried_regions/${e}/end`))
          assert.isTrue(start >= prevEnd && end > start, "sorted, non-overlapping")
          prevEnd = end
          sum += end - start
          assert.strictEqual(num(yield* read(`${S0}/tried_regions/${e}/sz_filter_passed`)), end - start)
          assert.isAtMost(num(yield* read(`${S0}/tried_regions/${e}/nr_accesses`)), 20)
          num(yield* read(`${S0}/tried_regions/${e}/age`))
        }
        assert.strictEqual(num(yield* read(`${S0}/tried_regions/total_bytes`)), sum)
        const monitored = yield* snapshot(handle(handles), (ctx) =>
          ctx.targets[0]!.regions.reduce((a, r) => a + r.end - r.start, 0))
        assert.strictEqual(sum, monitored)
        assert.strictEqual(sum, 100 * MiB)
      }
      yield* write(`${K}/state`, "clear_schemes_tried_regions")
      assert.deepStrictEqual(yield* fs.list(`${S0}/tried_regions`), ["total_bytes"])
      assert.strictEqual(yield* read(`${S0}/tried_regions/total_bytes`), "0\n")
    }).pipe(Effect.provide(sysfsLayer({}, handles))))

  it.effect("damos_quota.py - tried bytes never exceed the size quota per reset interval; qt_exceeds counts", () =>
    Effect.gen(function*() {
      yield* setupVaddr(1)
      yield* writeAll([
        [`${S0}/quotas/bytes`, String(MiB)],
        [`${S0}/quotas/reset_interval_ms`, "100"],
        [`${K}/state`, "on"]
      ])
      const k = handle(handles)
      const collected: Array<number> = []
      let qtExceeds = 0
      for (let round = 0; round < 10; round++) {
        yield* TestClock.adjust("100 millis")
        yield* writeWhileAdvancing(`${K}/state`, "update_schemes_tried_bytes", 100)
        yield* write(`${K}/state`, "update_schemes_stats")
        collected.push(num(yield* read(`${S0}/tried_regions/total_bytes`)))
        qtExceeds = num(yield* read(`${S0}/stats/qt_exceeds`))
        // The copy equals the engine's stats (nothing ran in between: time did not move).
        const [stat] = yield* SchemesControl.schemesStats(k)
        assert.strictEqual(num(yield* read(`${S0}/stats/nr_tried`)), stat!.nrTried)
        assert.strictEqual(num(yield* read(`${S0}/stats/sz_tried`)), stat!.szTried)
        assert.strictEqual(num(yield* read(`${S0}/stats/nr_applied`)), stat!.nrApplied)
        assert.strictEqual(num(yield* read(`${S0}/stats/sz_applied`)), stat!.szApplied)
        assert.strictEqual(num(yield* read(`${S0}/stats/sz_ops_filter_passed`)), stat!.szOpsFilterPassed)
        assert.strictEqual(qtExceeds, stat!.qtExceeds)
        assert.strictEqual(num(yield* read(`${S0}/stats/nr_snapshots`)), stat!.nrSnapshots)
      }
      for (const bytes of collected) assert.isAtMost(bytes, MiB)
      assert.isTrue(collected.some((b) => b > 0))
      assert.isAtLeast(qtExceeds, collected.length - 1)
      yield* write(`${K}/state`, "update_schemes_effective_quotas")
      assert.strictEqual(yield* read(`${S0}/quotas/effective_bytes`), `${MiB}\n`)
    }).pipe(Effect.provide(sysfsLayer({}, handles))))

  it.effect("damos_apply_interval.py - a 10 ms apply interval is tried about ten times as often as the 100 ms one", () =>
    Effect.gen(function*() {
      yield* setupVaddr(2)
      yield* write(`${CTX}/schemes/1/apply_interval_us`, "10000")
      yield* write(`${K}/state`, "on")
      yield* TestClock.adjust("2 seconds")
      yield* write(`${K}/state`, "update_schemes_stats")
      const tried0 = num(yield* read(`${CTX}/schemes/0/stats/nr_tried`))
      const tried1 = num(yield* read(`${CTX}/schemes/1/stats/nr_tried`))
      assert.isTrue(tried0 > 0 && tried1 > 0)
      assert.isAtLeast(tried1 / tried0, 9)
    }).pipe(Effect.provide(sysfsLayer())))

  it.effect("commit - a changed tree takes effect in the running kdamond; stats are kept", () =>
    Effect.gen(function*() {
      yield* setupVaddr(1)
      yield* write(`${K}/state`, "on")
      const k = handle(handles)
      yield* TestClock.adjust("500 millis")
      const before = yield* SchemesControl.schemesStats(k)
      yield* writeAll([
        [`${CTX}/monitoring_attrs/intervals/sample_us`, "10000"],
        [`${CTX}/monitoring_attrs/intervals/aggr_us`, "200000"],
        [`${S0}/action`, "cold"],
        [`${S0}/quotas/weights/age_permil`, "7"]
      ])
      // Files are inert until commit.
      assert.strictEqual(yield* snapshot(k, (ctx) => ctx.attrs.sampleIntervalUs), 5000)
      yield* write(`${K}/state`, "commit")
      const after = yield* snapshot(k, (ctx) => ({
        sample: ctx.attrs.sampleIntervalUs,
        aggr: ctx.attrs.aggrIntervalUs,
        action: ctx.schemes[0]!.action,
        age: ctx.schemes[0]!.quota.weightAge,
        nrTried: ctx.schemes[0]!.stat.nrTried
      }))
      assert.deepStrictEqual([after.sample, after.aggr, after.action, after.age], [10000, 200000, "cold", 7])
      assert.strictEqual(after.nrTried, before[0]!.nrTried)
      // A second scheme, then the removal of the first: positional, as damon_commit_ctx().
      yield* write(`${CTX}/schemes/nr_schemes`, "2")
      yield* writeAll([...matchAll(`${CTX}/schemes/0`), ...matchAll(`${CTX}/schemes/1`), [`${CTX}/schemes/1/action`, "pageout"]])
      yield* write(`${K}/state`, "commit")
      assert.deepStrictEqual(yield* snapshot(k, (ctx) => ctx.schemes.map((s) => s.action)), ["stat", "pageout"])
      yield* write(`${K}/state`, "off")
    }).pipe(Effect.provide(sysfsLayer({}, handles))))

  it.effect("commit - an invalid tree fails with EINVAL naming the file and leaves the kdamond as it was", () =>
    Effect.gen(function*() {
      yield* setupVaddr(1)
      yield* write(`${K}/state`, "on")
      const k = handle(handles)
      yield* write(`${CTX}/monitoring_attrs/nr_regions/min`, "2")
      const exit = yield* Effect.flip(write(`${K}/state`, "commit"))
      assert.strictEqual(exit.errno, "EINVAL")
      assert.include(exit.message, `${CTX}/monitoring_attrs/nr_regions/min`)
      assert.include(exit.message, "2")
      assert.strictEqual(yield* snapshot(k, (ctx) => ctx.attrs.minNrRegions), 10)
      yield* write(`${CTX}/monitoring_attrs/nr_regions/min`, "18446744073709551615")
      const tooBig = yield* Effect.flip(write(`${K}/state`, "commit"))
      assert.strictEqual(tooBig.errno, "EINVAL")
      assert.include(tooBig.message, "18446744073709551615")
      assert.include(tooBig.message, "must be <= max (1000)")
      assert.strictEqual(yield* read(`${K}/state`), "on\n")
    }).pipe(Effect.provide(sysfsLayer({}, handles))))

  it.effect("commit_schemes_quota_goals - feeds user_input goals without a full commit", () =>
    Effect.gen(function*() {
      yield* setupVaddr(1)
      yield* writeAll([
        [`${S0}/quotas/reset_interval_ms`, "100"],
        [`${S0}/quotas/goals/nr_goals`, "2"],
        [`${S0}/quotas/goals/0/target_value`, "10000"],
        [`${S0}/quotas/goals/0/current_value`, "5000"],
        // A goal without a target value is skipped, as damos_sysfs_add_quota_score() does.
        [`${S0}/quotas/goals/1/current_value`, "1"],
        [`${K}/state`, "on"]
      ])
      const k = handle(handles)
      const goals = () => snapshot(k, (ctx) => ctx.schemes[0]!.quota.goals.map((g) => [g.metric, g.targetValue, g.currentValue]))
      assert.deepStrictEqual(yield* goals(), [["user_input", 10000, 5000]])
      yield* write(`${S0}/quotas/goals/0/current_value`, "8000")
      assert.deepStrictEqual(yield* goals(), [["user_input", 10000, 5000]])
      yield* write(`${K}/state`, "commit_schemes_quota_goals")
      assert.deepStrictEqual(yield* goals(), [["user_input", 10000, 8000]])
    }).pipe(Effect.provide(sysfsLayer({}, handles))))

  it.effect("update_tuned_intervals - copies the auto-tuned intervals into sample_us and aggr_us", () =>
    Effect.gen(function*() {
      yield* setupVaddr(0)
      yield* writeAll([
        [`${CTX}/monitoring_attrs/intervals/intervals_goal/access_bp`, "400"],
        [`${CTX}/monitoring_attrs/intervals/intervals_goal/aggrs`, "3"],
        [`${CTX}/monitoring_attrs/intervals/intervals_goal/min_sample_us`, "1000"],
        [`${CTX}/monitoring_attrs/intervals/intervals_goal/max_sample_us`, "100000"],
        [`${K}/state`, "on"]
      ])
      const k = handle(handles)
      yield* TestClock.adjust("5 seconds")
      yield* write(`${K}/state`, "update_tuned_intervals")
      const tuned = yield* snapshot(k, (ctx) => [ctx.attrs.sampleIntervalUs, ctx.attrs.aggrIntervalUs])
      assert.notStrictEqual(tuned[0], 5000)
      assert.strictEqual(yield* read(`${CTX}/monitoring_attrs/intervals/sample_us`), `${tuned[0]}\n`)
      assert.strictEqual(yield* read(`${CTX}/monitoring_attrs/intervals/aggr_us`), `${tuned[1]}\n`)
    }).pipe(Effect.provide(sysfsLayer({}, handles))))

  it.effect("refresh_ms - copies intervals, stats and effective quotas every refresh_ms while running", () =>
    Effect.gen(function*() {
      yield* setupVaddr(1)
      yield* writeAll([[`${K}/refresh_ms`, "100"], [`${S0}/quotas/bytes`, String(4 * MiB)], [`${S0}/quotas/reset_interval_ms`, "1000"]])
      yield* write(`${K}/state`, "on")
      const k = handle(handles)
      assert.strictEqual(yield* read(`${S0}/stats/nr_tried`), "0\n")
      yield* TestClock.adjust("1 second")
      const copied = num(yield* read(`${S0}/stats/nr_tried`))
      assert.isAbove(copied, 0)
      // The last copy is at most one refresh period old.
      const [now] = yield* SchemesControl.schemesStats(k)
      assert.isAtMost(copied, now!.nrTried)
      assert.strictEqual(yield* read(`${S0}/quotas/effective_bytes`), `${4 * MiB}\n`)
      // refresh_ms = 0 stops the copies; a new value resumes them.
      yield* write(`${K}/refresh_ms`, "0")
      yield* TestClock.adjust("10 millis")
      const frozen = yield* read(`${S0}/stats/nr_tried`)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* read(`${S0}/stats/nr_tried`), frozen)
      yield* write(`${K}/refresh_ms`, "50")
      yield* TestClock.adjust("200 millis")
      assert.isAbove(num(yield* read(`${S0}/stats/nr_tried`)), num(frozen))
      // Stopped: no more copies.
      yield* write(`${K}/state`, "off")
      const last = yield* read(`${S0}/stats/nr_tried`)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* read(`${S0}/stats/nr_tried`), last)
    }).pipe(Effect.provide(sysfsLayer({}, handles))))

  it.effect("refresh_ms - copies go on while a state command waits on the kdamond (it holds no lock)", () =>
    Effect.gen(function*() {
      yield* setupVaddr(2)
      // Scheme 1's 1 s apply interval keeps update_schemes_tried_regions waiting while scheme 0
      // is tried every 100 ms.
      yield* writeAll([[`${K}/refresh_ms`, "100"], [`${CTX}/schemes/1/apply_interval_us`, "1000000"]])
      yield* write(`${K}/state`, "on")
      yield* TestClock.adjust("1100 millis")
      const before = yield* read(`${S0}/stats/nr_tried`)
      assert.isAbove(num(before), 0)
      const walk = yield* Effect.forkChild(write(`${K}/state`, "update_schemes_tried_regions"), { startImmediately: true })
      yield* TestClock.adjust("500 millis")
      assert.isUndefined(walk.pollUnsafe(), "the walk still waits")
      assert.isAbove(num(yield* read(`${S0}/stats/nr_tried`)), num(before), "refresh copies while the walk waits")
      assert.strictEqual(yield* read(`${K}/state`), "on\n")
      yield* TestClock.adjust("600 millis")
      yield* Fiber.join(walk)
      assert.isAbove(num(yield* read(`${S0}/tried_regions/total_bytes`)), 0)
    }).pipe(Effect.provide(sysfsLayer())))

  it.effect("off/on - the stopped context stays readable until the next 'on', which starts afresh", () =>
    Effect.gen(function*() {
      yield* setupVaddr(1)
      yield* write(`${K}/state`, "on")
      const first = handle(handles)
      yield* TestClock.adjust("300 millis")
      yield* write(`${K}/state`, "update_schemes_stats")
      yield* write(`${K}/state`, "off")
      assert.isAbove(num(yield* read(`${S0}/stats/nr_tried`)), 0)
      assert.strictEqual(yield* errnoOf(write(`${K}/state`, "update_schemes_stats")), "ECANCELED")
      yield* write(`${K}/state`, "on")
      const second = handle(handles)
      assert.notStrictEqual(first.pid, second.pid)
      assert.strictEqual(yield* read(`${K}/pid`), `${second.pid}\n`)
      yield* write(`${K}/state`, "update_schemes_stats")
      assert.strictEqual(yield* read(`${S0}/stats/nr_tried`), "0\n")
    }).pipe(Effect.provide(sysfsLayer({}, handles))))
})
