import { assert, describe, it } from "@effect/vitest"
import { Result, Schema } from "effect"
import { decodeConfig } from "../../src/core/BuildCtx.ts"
import { makeRng } from "../../src/core/Rng.ts"
import { buildReclaim, checkCommitInputs } from "../../src/modules/ReclaimCtx.ts"
import { defaults, inputTable, type ReclaimParams, ReclaimParamsSchema, statsTable } from "../../src/modules/ReclaimParams.ts"

const MiB = 1024 * 1024
const ram = [{ start: 1 * MiB, end: 513 * MiB }]
const UINT_MAX = 0xffff_ffff

const built = (p: Partial<ReclaimParams> = {}) => Result.getOrThrow(buildReclaim({ ...defaults, ...p }, ram, "biggest"))
const failed = (p: Partial<ReclaimParams>) => Result.getOrThrow(Result.flip(buildReclaim({ ...defaults, ...p }, ram, "biggest")))

describe("ReclaimParams", () => {
  it("defaults - the kernel's static initialisers", () => {
    assert.deepStrictEqual(defaults, {
      minAgeUs: 120_000_000,
      quotaMs: 10,
      quotaSz: 128 * MiB,
      quotaResetIntervalMs: 1000,
      quotaMemPressureUs: 0,
      quotaAutotuneFeedback: 0,
      wmarksIntervalUs: 5_000_000,
      wmarksHigh: 500,
      wmarksMid: 400,
      wmarksLow: 200,
      sampleIntervalUs: 5000,
      aggrIntervalUs: 100_000,
      minNrRegions: 10,
      maxNrRegions: 1000,
      monitorRegionStart: 0,
      monitorRegionEnd: 0,
      addrUnit: 1,
      skipAnon: false
    })
    assert.deepStrictEqual(Schema.decodeUnknownSync(ReclaimParamsSchema)({}), defaults)
  })

  it("inputTable - every typed field has exactly one kernel parameter", () => {
    assert.deepStrictEqual(inputTable.map((p) => p.key).sort(), Object.keys(defaults).sort())
    assert.deepStrictEqual(inputTable.map((p) => p.name).sort(), [
      "addr_unit",
      "aggr_interval",
      "max_nr_regions",
      "min_age",
      "min_nr_regions",
      "monitor_region_end",
      "monitor_region_start",
      "quota_autotune_feedback",
      "quota_mem_pressure_us",
      "quota_ms",
      "quota_reset_interval_ms",
      "quota_sz",
      "sample_interval",
      "skip_anon",
      "wmarks_high",
      "wmarks_interval",
      "wmarks_low",
      "wmarks_mid"
    ])
    assert.deepStrictEqual(statsTable.map(([n]) => n), [
      "nr_reclaim_tried_regions",
      "bytes_reclaim_tried_regions",
      "nr_reclaimed_regions",
      "bytes_reclaimed_regions",
      "nr_quota_exceeds"
    ])
  })
})

describe("ReclaimCtx", () => {
  it("buildReclaim - defaults: one paddr target on the biggest System RAM and the kernel's pageout scheme", () => {
    const b = built()
    assert.deepStrictEqual(b.region, ram[0])
    assert.deepStrictEqual(b.config.attrs, {
      sampleIntervalUs: 5000,
      aggrIntervalUs: 100_000,
      minNrRegions: 10,
      maxNrRegions: 1000,
      opsUpdateIntervalUs: 0
    })
    assert.deepStrictEqual(b.config.targets, [{ regions: [ram[0]!] }])
    assert.strictEqual(b.config.minRegionSz, 4096)
    assert.deepStrictEqual(b.config.schemes, [{
      pattern: {
        minSzRegion: 4096,
        maxSzRegion: Number.MAX_SAFE_INTEGER,
        minNrAccesses: 0,
        maxNrAccesses: 0,
        minAgeRegion: 1200,
        maxAgeRegion: UINT_MAX
      },
      action: "pageout",
      applyIntervalUs: 0,
      quota: { ms: 10, sz: 128 * MiB, resetIntervalMs: 1000, weightSz: 0, weightNrAccesses: 0, weightAge: 1, goals: [] },
      wmarks: { metric: "free_mem_rate", intervalUs: 5_000_000, high: 500, mid: 400, low: 200 },
      filters: []
    }])
    assert.isTrue(Result.isSuccess(decodeConfig(b.config)))
  })

  it("buildReclaim - quota_mem_pressure_us then quota_autotune_feedback goals; skip_anon filter", () => {
    const s = built({ quotaMemPressureUs: 1000, quotaAutotuneFeedback: 2500, skipAnon: true }).config.schemes[0]!
    assert.deepStrictEqual(s.quota?.goals, [
      { metric: "some_mem_psi_us", targetValue: 1000 },
      { metric: "user_input", targetValue: 10_000, currentValue: 2500 }
    ])
    assert.deepStrictEqual(s.filters, [{ type: "anon", matching: true, allow: false }])
  })

  it("buildReclaim - min_age / aggr_interval is truncated to unsigned int", () => {
    assert.strictEqual(built({ minAgeUs: 5_000_000, aggrIntervalUs: 200_000 }).config.schemes[0]!.pattern?.minAgeRegion, 25)
    assert.strictEqual(built({ minAgeUs: 2 ** 40 + 7, aggrIntervalUs: 1, sampleIntervalUs: 1 }).config.schemes[0]!.pattern?.minAgeRegion, 7)
  })

  it("buildReclaim - addr_unit scales the default region and the minimum region size", () => {
    const b = built({ addrUnit: 1024 })
    assert.deepStrictEqual(b.region, { start: 1024, end: 513 * 1024 })
    assert.strictEqual(b.config.minRegionSz, 4)
    assert.strictEqual(b.config.addrUnit, 1024)
  })

  it("buildReclaim - invalid parameters are named", () => {
    assert.include(failed({ addrUnit: 3 }).message, "damon_reclaim.addr_unit: 3 is invalid")
    assert.include(failed({ aggrIntervalUs: 0, sampleIntervalUs: 0 }).message, "damon_reclaim.aggr_interval: 0 is invalid")
    assert.include(failed({ minNrRegions: 2 }).message, "damon_reclaim.min_nr_regions: 2 is invalid")
    assert.include(failed({ maxNrRegions: 5 }).message, "damon_reclaim.min_nr_regions: 10 is invalid")
    assert.include(failed({ sampleIntervalUs: 200_000 }).message, "damon_reclaim.sample_interval: 200000 is invalid")
    assert.include(failed({ wmarksMid: 501 }).message, "damon_reclaim.wmarks_mid: 501 is invalid")
    assert.include(failed({ monitorRegionStart: 10, monitorRegionEnd: 5 }).message, "damon_reclaim.monitor_region_start: 10 is invalid")
  })

  it("checkCommitInputs - validates only the monitoring attributes, like the commit_inputs store", () => {
    assert.isUndefined(checkCommitInputs({ ...defaults, monitorRegionStart: 10, monitorRegionEnd: 5, addrUnit: 3 }))
    assert.include(checkCommitInputs({ ...defaults, minNrRegions: 1 })!.message, "damon_reclaim.min_nr_regions")
  })

  it("buildReclaim - every config it builds is one the engine accepts (seeded)", () => {
    const rng = makeRng(21)
    for (let i = 0; i < 300; i++) {
      const sample = rng.rand(1, 20_000)
      const high = rng.rand(0, 1001)
      const mid = rng.rand(0, high + 1)
      const p: ReclaimParams = {
        ...defaults,
        minAgeUs: rng.rand(0, 1_000_000_000),
        quotaMs: rng.rand(0, 100),
        quotaSz: rng.rand(0, 1 << 30),
        quotaResetIntervalMs: rng.rand(0, 10_000),
        quotaMemPressureUs: rng.float() < 0.5 ? 0 : rng.rand(1, 100_000),
        quotaAutotuneFeedback: rng.float() < 0.5 ? 0 : rng.rand(1, 100_000),
        sampleIntervalUs: sample,
        aggrIntervalUs: sample * rng.rand(1, 50),
        minNrRegions: rng.rand(3, 20),
        maxNrRegions: rng.rand(20, 2000),
        wmarksHigh: high,
        wmarksMid: mid,
        wmarksLow: rng.rand(0, mid + 1),
        addrUnit: 2 ** rng.rand(0, 14),
        skipAnon: rng.float() < 0.5
      }
      const b = Result.getOrThrow(buildReclaim(p, ram, rng.float() < 0.5 ? "biggest" : "systemRams"))
      const decoded = decodeConfig(b.config)
      assert.isTrue(Result.isSuccess(decoded), Result.isFailure(decoded) ? decoded.failure.message : "")
    }
  })
})
