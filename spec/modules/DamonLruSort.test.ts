import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { Damon } from "effect-damon"
import { DamonLruSort } from "../../src/modules/DamonLruSort.ts"
import { DamonReclaim } from "../../src/modules/DamonReclaim.ts"
import { coldStatsTable, hotStatsTable, inputTable, type LruSortParamsInput } from "../../src/modules/LruSortParams.ts"
import { errorOf, MiB, reasonOf, smallMachine, stack } from "./support.ts"

const UINT_MAX = 0xffff_ffff

/** Parameters under which both schemes run on the small, mostly free machine. */
const busyParams = { coldMinAgeUs: 0, wmarksHigh: 1000, wmarksMid: 500, wmarksLow: 0 }

describe("DamonLruSort", () => {
  describe("parameters", () => {
    it.effect("read - every parameter file shows the kernel's default", () =>
      Effect.gen(function*() {
        const m = yield* DamonLruSort
        const expected: Record<string, string> = {
          enabled: "N\n",
          commit_inputs: "N\n",
          kdamond_pid: "-1\n",
          active_mem_bp: "0\n",
          autotune_monitoring_intervals: "N\n",
          filter_young_pages: "N\n",
          hot_thres_access_freq: "500\n",
          cold_min_age: "120000000\n",
          quota_ms: "10\n",
          quota_reset_interval_ms: "1000\n",
          wmarks_interval: "5000000\n",
          wmarks_high: "200\n",
          wmarks_mid: "150\n",
          wmarks_low: "50\n",
          sample_interval: "5000\n",
          aggr_interval: "100000\n",
          min_nr_regions: "10\n",
          max_nr_regions: "1000\n",
          monitor_region_start: "0\n",
          monitor_region_end: "0\n",
          addr_unit: "1\n"
        }
        for (const [n] of [...hotStatsTable, ...coldStatsTable]) expected[n] = "0\n"
        assert.deepStrictEqual([...m.parameters], Object.keys(expected).sort())
        for (const name of m.parameters) assert.strictEqual(yield* m.read(name), expected[name], name)
      }).pipe(Effect.provide(stack(smallMachine()))))

    it.effect("write - every input parameter takes valid text and refuses bad text by name and value, unchanged", () =>
      Effect.gen(function*() {
        const m = yield* DamonLruSort
        for (const p of inputTable) {
          const before = yield* m.read(p.name)
          const bad = p.kind === "bool" ? ["maybe", ""] : ["abc", "-1", "1 2", ""]
          for (const text of bad) {
            const e = errorOf(yield* Effect.exit(m.write(p.name, text)))
            assert.strictEqual(e?.reason._tag, "InvalidArgument", `${p.name} <- ${text}`)
            assert.include(e?.message, `damon_lru_sort.${p.name}: ${JSON.stringify(text)} is invalid`)
            assert.strictEqual(yield* m.read(p.name), before)
          }
          if (p.kind === "ulong") {
            assert.strictEqual(reasonOf(yield* Effect.exit(m.write(p.name, "99999999999999999999"))), "OutOfRange")
            assert.strictEqual(yield* m.read(p.name), before)
            yield* m.write(p.name, "077")
            assert.strictEqual(yield* m.read(p.name), "63\n", p.name)
          } else {
            yield* m.write(p.name, "1")
            assert.strictEqual(yield* m.read(p.name), "Y\n")
            yield* m.write(p.name, "n\n")
            assert.strictEqual(yield* m.read(p.name), "N\n")
          }
        }
        assert.include(errorOf(yield* Effect.exit(m.write("addr_unit", "0")))?.message, "damon_lru_sort.addr_unit: \"0\" is invalid")
        const typed = yield* m.params
        assert.strictEqual(typed.hotThresAccessFreq, 63)
        assert.strictEqual(typed.coldMinAgeUs, 63)
      }).pipe(Effect.provide(stack(smallMachine()))))

    it.effect("write - read-only parameters are EACCES, unknown ones ENOENT", () =>
      Effect.gen(function*() {
        const m = yield* DamonLruSort
        for (const name of ["kdamond_pid", ...[...hotStatsTable, ...coldStatsTable].map(([n]) => n)]) {
          assert.strictEqual(errorOf(yield* Effect.exit(m.write(name, "0")))?.errno, "EACCES", name)
        }
        assert.strictEqual(errorOf(yield* Effect.exit(m.write("quota_sz", "1")))?.errno, "ENOENT", "no size quota parameter")
        assert.strictEqual(errorOf(yield* Effect.exit(m.read("skip_anon")))?.errno, "ENOENT")
      }).pipe(Effect.provide(stack(smallMachine()))))

    it.effect("set - a typed patch is all or nothing; errors name the kernel parameter and the value", () =>
      Effect.gen(function*() {
        const m = yield* DamonLruSort
        yield* m.set({ activeMemBp: 4000, filterYoungPages: true })
        assert.strictEqual(yield* m.read("active_mem_bp"), "4000\n")
        assert.strictEqual(yield* m.read("filter_young_pages"), "Y\n")
        const e = errorOf(yield* Effect.exit(m.set({ activeMemBp: 1, autotuneMonitoringIntervals: 1 } as unknown as LruSortParamsInput)))
        assert.include(e?.message, "damon_lru_sort.autotune_monitoring_intervals: 1 is invalid")
        assert.strictEqual((yield* m.params).activeMemBp, 4000)
      }).pipe(Effect.provide(stack(smallMachine()))))
  })

  describe("enabled", () => {
    it.effect("enable - starts an exclusive kdamond with the hot and cold schemes over all System RAM; kdamond_pid", () =>
      Effect.gen(function*() {
        const m = yield* DamonLruSort
        const damon = yield* Damon.Damon
        yield* m.write("enabled", "Y")
        assert.strictEqual(yield* m.read("enabled"), "Y\n")
        const k = (yield* m.kdamond)!
        assert.strictEqual(yield* m.read("kdamond_pid"), `${k.pid}\n`)
        assert.strictEqual(reasonOf(yield* Effect.exit(damon.start({ ops: "paddr", targets: [{ regions: [{ start: 0, end: MiB }] }] }))), "Busy")
        assert.strictEqual(reasonOf(yield* Effect.exit((yield* DamonReclaim).enable)), "Busy")
        const ctx = yield* k.damonCall((c) => ({
          region: [c.targets[0]!.regions[0]!.start, c.targets[0]!.regions.at(-1)!.end],
          schemes: c.schemes.map((s) => [
            s.action,
            s.pattern.minNrAccesses,
            s.pattern.maxNrAccesses,
            s.pattern.minAgeRegion,
            s.quota.ms,
            s.quota.weightNrAccesses,
            s.quota.weightAge,
            s.wmarks.high
          ])
        }))
        const rams = smallMachine().systemRamRanges()
        assert.deepStrictEqual(ctx.region, [rams[0]!.start, rams.at(-1)!.end])
        assert.deepStrictEqual(ctx.schemes, [
          ["lru_prio", 10, UINT_MAX, 0, 5, 1, 1, 200],
          ["lru_deprio", 0, 0, 1200, 5, 1, 1, 200]
        ])
        yield* m.write("enabled", "N")
        assert.strictEqual(yield* m.read("enabled"), "N\n")
        assert.strictEqual(yield* m.read("kdamond_pid"), "-1\n")
        assert.strictEqual(yield* damon.nrRunningCtxs, 0)
      }).pipe(Effect.provide(stack(smallMachine()))))

    it.effect("enable - refused with Busy while DAMON_RECLAIM or a sysfs kdamond runs", () =>
      Effect.gen(function*() {
        const m = yield* DamonLruSort
        const reclaim = yield* DamonReclaim
        yield* reclaim.enable
        assert.strictEqual(errorOf(yield* Effect.exit(m.write("enabled", "Y")))?.errno, "EBUSY")
        assert.strictEqual(yield* m.read("enabled"), "N\n")
        yield* reclaim.disable
        const other = yield* (yield* Damon.Damon).start({ ops: "paddr", targets: [{ regions: [{ start: 0, end: MiB }] }] })
        assert.strictEqual(reasonOf(yield* Effect.exit(m.enable)), "Busy")
        yield* other.stop
        yield* m.enable
        assert.isTrue(yield* m.enabled)
      }).pipe(Effect.provide(stack(smallMachine()))))

    it.effect("enable - an invalid parameter is named and starts nothing", () =>
      Effect.gen(function*() {
        const m = yield* DamonLruSort
        yield* m.write("active_mem_bp", "10001")
        assert.include(errorOf(yield* Effect.exit(m.enable))?.message, "damon_lru_sort.active_mem_bp: 10001 is invalid")
        yield* m.write("active_mem_bp", "0")
        yield* m.write("sample_interval", "0")
        assert.include(errorOf(yield* Effect.exit(m.enable))?.message, "damon_lru_sort.sample_interval: 0 is invalid")
        assert.strictEqual(yield* (yield* Damon.Damon).nrRunningCtxs, 0)
      }).pipe(Effect.provide(stack(smallMachine()))))
  })

  describe("commit_inputs", () => {
    it.effect("commit_inputs - applies the parameters online in one damonCall and still reads N", () =>
      Effect.gen(function*() {
        const m = yield* DamonLruSort
        yield* m.enable
        const k = (yield* m.kdamond)!
        yield* m.set({
          hotThresAccessFreq: 800,
          coldMinAgeUs: 3_000_000,
          quotaMs: 20,
          activeMemBp: 6000,
          filterYoungPages: true,
          autotuneMonitoringIntervals: true
        })
        assert.strictEqual(yield* k.damonCall((c) => c.schemes[0]!.pattern.minNrAccesses), 10, "not applied yet")
        yield* m.write("commit_inputs", "Y")
        assert.strictEqual(yield* m.read("commit_inputs"), "N\n")
        const s = yield* k.damonCall((c) => ({
          schemes: c.schemes.map((x) => ({
            pattern: [x.pattern.minNrAccesses, x.pattern.maxNrAccesses, x.pattern.minAgeRegion],
            ms: x.quota.ms,
            goals: x.quota.goals.map((g) => [g.metric, g.targetValue]),
            filters: x.opsFilters
          })),
          goal: c.attrs.intervalsGoal
        }))
        assert.deepStrictEqual(s, {
          schemes: [
            { pattern: [16, UINT_MAX, 0], ms: 10, goals: [["active_mem_bp", 6000]], filters: [{ type: "young", matching: false, allow: false }] },
            { pattern: [0, 0, 30], ms: 10, goals: [["inactive_mem_bp", 4002]], filters: [{ type: "young", matching: true, allow: false }] }
          ],
          goal: { accessBp: 40, aggrs: 3, minSampleUs: 5000, maxSampleUs: 10_000_000 }
        })
        assert.strictEqual((yield* m.kdamond)!.pid, k.pid)
        yield* m.write("commit_inputs", "N")
        assert.isTrue(yield* m.enabled)
      }).pipe(Effect.provide(stack(smallMachine()))))

    it.effect("commit_inputs - an invalid input is returned to the writer and disables the module", () =>
      Effect.gen(function*() {
        const m = yield* DamonLruSort
        yield* m.enable
        const k = (yield* m.kdamond)!
        yield* m.write("active_mem_bp", "20000")
        const e = errorOf(yield* Effect.exit(m.write("commit_inputs", "Y")))
        assert.include(e?.message, "damon_lru_sort.active_mem_bp: 20000 is invalid: must be <= 10000")
        assert.strictEqual(yield* m.read("enabled"), "N\n")
        assert.strictEqual(yield* m.read("kdamond_pid"), "-1\n")
        assert.isFalse(yield* k.isRunning)
        // a new enable validates again
        assert.strictEqual(reasonOf(yield* Effect.exit(m.enable)), "InvalidArgument")
        yield* m.write("active_mem_bp", "0")
        yield* m.enable
        yield* m.write("addr_unit", "3")
        assert.include(errorOf(yield* Effect.exit(m.commitInputs))?.message, "damon_lru_sort.addr_unit: 3 is invalid")
        assert.isFalse(yield* m.enabled)
      }).pipe(Effect.provide(stack(smallMachine()))))

    it.effect("commit_inputs - Canceled while the module is not running", () =>
      Effect.gen(function*() {
        const m = yield* DamonLruSort
        const e = errorOf(yield* Effect.exit(m.write("commit_inputs", "Y")))
        assert.strictEqual(e?.errno, "ECANCELED")
        yield* m.write("commit_inputs", "N")
      }).pipe(Effect.provide(stack(smallMachine()))))
  })

  describe("stats", () => {
    it.effect("stats - hot and cold parameters follow the lru_prio and lru_deprio schemes' stats", () =>
      Effect.gen(function*() {
        const m = yield* DamonLruSort
        yield* m.set(busyParams)
        yield* m.enable
        const k = (yield* m.kdamond)!
        yield* TestClock.adjust("2 seconds")
        const stats = yield* k.damonCall((c) => c.schemes.map((s) => ({ ...s.stat })))
        yield* TestClock.adjust("5 millis")
        const shown = yield* m.stats
        const view = (s: (typeof stats)[number]) => ({
          nrTried: s.nrTried,
          bytesTried: s.szTried,
          nrApplied: s.nrApplied,
          bytesApplied: s.szApplied,
          nrQuotaExceeds: s.qtExceeds
        })
        assert.isTrue(stats[1]!.nrTried > 0, "cold memory was found")
        assert.deepStrictEqual(shown, { hot: view(stats[0]!), cold: view(stats[1]!) })
        assert.strictEqual(yield* m.read("nr_lru_sort_tried_cold_regions"), `${stats[1]!.nrTried}\n`)
        assert.strictEqual(yield* m.read("bytes_lru_sorted_cold_regions"), `${stats[1]!.szApplied}\n`)
        assert.strictEqual(yield* m.read("nr_lru_sort_tried_hot_regions"), `${stats[0]!.nrTried}\n`)
        assert.strictEqual(yield* m.read("nr_cold_quota_exceeds"), `${stats[1]!.qtExceeds}\n`)
      }).pipe(Effect.provide(stack(smallMachine()))))

    it.effect("stats - kept after disable and carried over by the next enable", () =>
      Effect.gen(function*() {
        const m = yield* DamonLruSort
        yield* m.set(busyParams)
        yield* m.enable
        yield* TestClock.adjust("1 second")
        yield* m.write("enabled", "N")
        const after = yield* m.stats
        assert.isTrue(after.cold.nrTried > 0)
        assert.strictEqual(yield* m.read("nr_lru_sort_tried_cold_regions"), `${after.cold.nrTried}\n`)
        yield* m.enable
        yield* TestClock.adjust("1 second")
        const again = yield* m.stats
        assert.isTrue(again.cold.nrTried > after.cold.nrTried)
        assert.isTrue(again.hot.nrTried >= after.hot.nrTried)
      }).pipe(Effect.provide(stack(smallMachine()))))
  })
})
