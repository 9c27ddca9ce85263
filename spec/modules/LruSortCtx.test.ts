import { assert, describe, it } from "@effect/vitest"
import { Result, Schema } from "effect"
import { decodeConfig } from "../../src/core/BuildCtx.ts"
import { makeRng } from "../../src/core/Rng.ts"
import { buildLruSort } from "../../src/modules/LruSortCtx.ts"
import {
  coldStatsTable,
  defaults,
  hotStatsTable,
  inputTable,
  type LruSortParams,
  LruSortParamsSchema
} from "../../src/modules/LruSortParams.ts"

const MiB = 1024 * 1024
const GiB = 1024 * MiB
const ram = [{ start: 1 * MiB, end: 129 * MiB }, { start: 4 * GiB, end: 4 * GiB + 128 * MiB }]
const UINT_MAX = 0xffff_ffff
const page = { minSzRegion: 4096, maxSzRegion: Number.MAX_SAFE_INTEGER }

const built = (p: Partial<LruSortParams> = {}) => Result.getOrThrow(buildLruSort({ ...defaults, ...p }, ram, "systemRams"))
const failed = (p: Partial<LruSortParams>) => Result.getOrThrow(Result.flip(buildLruSort({ ...defaults, ...p }, ram, "systemRams")))

describe("LruSortParams", () => {
  it("defaults - the kernel's static initialisers", () => {
    assert.deepStrictEqual(defaults, {
      activeMemBp: 0,
      autotuneMonitoringIntervals: false,
      filterYoungPages: false,
      hotThresAccessFreq: 500,
      coldMinAgeUs: 120_000_000,
      quotaMs: 10,
      quotaResetIntervalMs: 1000,
      wmarksIntervalUs: 5_000_000,
      wmarksHigh: 200,
      wmarksMid: 150,
      wmarksLow: 50,
      sampleIntervalUs: 5000,
      aggrIntervalUs: 100_000,
      minNrRegions: 10,
      maxNrRegions: 1000,
      monitorRegionStart: 0,
      monitorRegionEnd: 0,
      addrUnit: 1
    })
    assert.deepStrictEqual(Schema.decodeUnknownSync(LruSortParamsSchema)({}), defaults)
  })

  it("inputTable - every typed field has exactly one kernel parameter; the ten stats parameters", () => {
    assert.deepStrictEqual(inputTable.map((p) => p.key).sort(), Object.keys(defaults).sort())
    assert.isFalse(inputTable.some((p) => p.name === "quota_sz"), "lru_sort has no size quota parameter")
    assert.deepStrictEqual([...hotStatsTable, ...coldStatsTable].map(([n]) => n), [
      "nr_lru_sort_tried_hot_regions",
      "bytes_lru_sort_tried_hot_regions",
      "nr_lru_sorted_hot_regions",
      "bytes_lru_sorted_hot_regions",
      "nr_hot_quota_exceeds",
      "nr_lru_sort_tried_cold_regions",
      "bytes_lru_sort_tried_cold_regions",
      "nr_lru_sorted_cold_regions",
      "bytes_lru_sorted_cold_regions",
      "nr_cold_quota_exceeds"
    ])
  })
})

describe("LruSortCtx", () => {
  it("buildLruSort - defaults: hot lru_prio then cold lru_deprio, half of quota_ms each, over all System RAM", () => {
    const b = built()
    assert.deepStrictEqual(b.region, { start: 1 * MiB, end: 4 * GiB + 128 * MiB })
    assert.strictEqual(b.hotThres, 10)
    assert.strictEqual(b.coldThres, 1200)
    const quota = { ms: 5, sz: 0, resetIntervalMs: 1000, weightSz: 0, weightNrAccesses: 1, weightAge: 1, goals: [] }
    const wmarks = { metric: "free_mem_rate" as const, intervalUs: 5_000_000, high: 200, mid: 150, low: 50 }
    assert.deepStrictEqual(b.config.schemes, [
      {
        pattern: { ...page, minNrAccesses: 10, maxNrAccesses: UINT_MAX, minAgeRegion: 0, maxAgeRegion: UINT_MAX },
        action: "lru_prio",
        applyIntervalUs: 0,
        quota,
        wmarks,
        filters: []
      },
      {
        pattern: { ...page, minNrAccesses: 0, maxNrAccesses: 0, minAgeRegion: 1200, maxAgeRegion: UINT_MAX },
        action: "lru_deprio",
        applyIntervalUs: 0,
        quota,
        wmarks,
        filters: []
      }
    ])
    assert.isTrue(Result.isSuccess(decodeConfig(b.config)))
  })

  it("buildLruSort - the biggest System RAM on request", () => {
    assert.deepStrictEqual(Result.getOrThrow(buildLruSort(defaults, ram, "biggest")).region, ram[0])
  })

  it("buildLruSort - hot_thres = max_nr_accesses * hot_thres_access_freq / 1000, cold_thres = cold_min_age / aggr", () => {
    assert.strictEqual(built({ hotThresAccessFreq: 1000 }).hotThres, 20)
    assert.strictEqual(built({ hotThresAccessFreq: 999 }).hotThres, 19)
    assert.strictEqual(built({ hotThresAccessFreq: 2000 }).hotThres, 40)
    assert.strictEqual(built({ sampleIntervalUs: 1000, aggrIntervalUs: 1_000_000, hotThresAccessFreq: 250 }).hotThres, 250)
    assert.strictEqual(built({ coldMinAgeUs: 3_000_000, aggrIntervalUs: 200_000 }).coldThres, 15)
    assert.strictEqual(built({ quotaMs: 7 }).config.schemes[0]!.quota?.ms, 3)
  })

  it("buildLruSort - active_mem_bp goals with the deliberate 2 bp overlap", () => {
    const s = built({ activeMemBp: 3000 }).config.schemes
    assert.deepStrictEqual(s[0]!.quota?.goals, [{ metric: "active_mem_bp", targetValue: 3000 }])
    assert.deepStrictEqual(s[1]!.quota?.goals, [{ metric: "inactive_mem_bp", targetValue: 7002 }])
    assert.deepStrictEqual(built({ activeMemBp: 10_000 }).config.schemes[1]!.quota?.goals, [{ metric: "inactive_mem_bp", targetValue: 2 }])
    assert.include(failed({ activeMemBp: 10_001 }).message, "damon_lru_sort.active_mem_bp: 10001 is invalid: must be <= 10000")
  })

  it("buildLruSort - filter_young_pages: do not promote non-young pages, do not demote young ones", () => {
    const s = built({ filterYoungPages: true }).config.schemes
    assert.deepStrictEqual(s[0]!.filters, [{ type: "young", matching: false, allow: false }])
    assert.deepStrictEqual(s[1]!.filters, [{ type: "young", matching: true, allow: false }])
  })

  it("buildLruSort - autotune_monitoring_intervals overrides the intervals and sets the intervals goal", () => {
    const b = built({ autotuneMonitoringIntervals: true, sampleIntervalUs: 20_000, aggrIntervalUs: 2_000_000 })
    assert.deepStrictEqual(b.config.attrs, {
      sampleIntervalUs: 5000,
      aggrIntervalUs: 100_000,
      intervalsGoal: { accessBp: 40, aggrs: 3, minSampleUs: 5000, maxSampleUs: 10_000_000 },
      minNrRegions: 10,
      maxNrRegions: 1000,
      opsUpdateIntervalUs: 0
    })
    assert.strictEqual(b.hotThres, 10)
    assert.isTrue(Result.isSuccess(decodeConfig(b.config)))
  })

  it("buildLruSort - invalid parameters are named", () => {
    assert.include(failed({ addrUnit: 3 }).message, "damon_lru_sort.addr_unit: 3 is invalid")
    assert.include(failed({ sampleIntervalUs: 0 }).message, "damon_lru_sort.sample_interval: 0 is invalid")
    assert.include(failed({ sampleIntervalUs: 0, autotuneMonitoringIntervals: true }).message, "damon_lru_sort.sample_interval: 0")
    assert.include(failed({ aggrIntervalUs: 1000 }).message, "damon_lru_sort.sample_interval: 5000 is invalid")
    assert.include(failed({ minNrRegions: 0 }).message, "damon_lru_sort.min_nr_regions: 0 is invalid")
    assert.include(failed({ wmarksLow: 151 }).message, "damon_lru_sort.wmarks_low: 151 is invalid")
    assert.include(failed({ monitorRegionStart: 1, monitorRegionEnd: 0 }).message, "damon_lru_sort.monitor_region_start: 1 is invalid")
  })

  it("buildLruSort - every config it builds is one the engine accepts, hot_thres matches bigint arithmetic (seeded)", () => {
    const rng = makeRng(8)
    for (let i = 0; i < 300; i++) {
      const sample = rng.rand(1, 20_000)
      const aggr = sample * rng.rand(1, 200)
      const freq = rng.rand(0, 3000)
      const p: LruSortParams = {
        ...defaults,
        activeMemBp: rng.float() < 0.3 ? 0 : rng.rand(0, 10_001),
        autotuneMonitoringIntervals: rng.float() < 0.3,
        filterYoungPages: rng.float() < 0.5,
        hotThresAccessFreq: freq,
        coldMinAgeUs: rng.rand(0, 1_000_000_000),
        quotaMs: rng.rand(0, 100),
        sampleIntervalUs: sample,
        aggrIntervalUs: aggr,
        minNrRegions: rng.rand(3, 20),
        maxNrRegions: rng.rand(20, 2000),
        addrUnit: 2 ** rng.rand(0, 14)
      }
      const b = Result.getOrThrow(buildLruSort(p, ram, "systemRams"))
      const [s, a] = p.autotuneMonitoringIntervals ? [5000, 100_000] : [sample, aggr]
      assert.strictEqual(b.hotThres, Number((BigInt(Math.floor(a / s)) * BigInt(freq)) / 1000n))
      const decoded = decodeConfig(b.config)
      assert.isTrue(Result.isSuccess(decoded), Result.isFailure(decoded) ? decoded.failure.message : "")
    }
  })
})
