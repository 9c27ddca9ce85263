import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { makeRng } from "../../src/core/Rng.ts"
import {
  checkAddrUnit,
  checkMonAttrs,
  minRegionSzOf,
  monitorRegion,
  paddrConfig,
  statsOf,
  withRegionWrittenBack,
  wmarksOf,
  zeroStats
} from "../../src/modules/ModulesCommon.ts"

const MiB = 1024 * 1024
const GiB = 1024 * MiB
const ram = [
  { start: 1 * MiB, end: 129 * MiB },
  { start: 4 * GiB, end: 4 * GiB + 256 * MiB }
]
const region = (start: number, end: number, addrUnit = 1) => ({ monitorRegionStart: start, monitorRegionEnd: end, addrUnit })

describe("ModulesCommon", () => {
  it("minRegionSzOf - max(4096 / addr_unit, 1)", () => {
    assert.deepStrictEqual([1, 2, 3, 4096, 8192, 1 << 20].map(minRegionSzOf), [4096, 2048, 1365, 1, 1, 1])
  })

  it("checkAddrUnit - refuses 0 and units whose minimum region size is not a power of two, naming addr_unit", () => {
    assert.isUndefined(checkAddrUnit("m", 1))
    assert.isUndefined(checkAddrUnit("m", 1024))
    assert.isUndefined(checkAddrUnit("m", 5000))
    assert.include(checkAddrUnit("m", 0)!.message, "m.addr_unit: 0 is invalid")
    assert.include(checkAddrUnit("m", 3)!.message, "m.addr_unit: 3 is invalid: gives a minimum region size of max(4096 / addr_unit, 1) = 1365")
  })

  it("checkMonAttrs - damon_validate_attrs rules named by module parameter", () => {
    const ok = { sampleIntervalUs: 5000, aggrIntervalUs: 100_000, minNrRegions: 10, maxNrRegions: 1000 }
    assert.isUndefined(checkMonAttrs("m", ok))
    assert.isUndefined(checkMonAttrs("m", { ...ok, minNrRegions: 3, maxNrRegions: 3, sampleIntervalUs: 100_000 }))
    assert.include(checkMonAttrs("m", { ...ok, minNrRegions: 2 })!.message, "m.min_nr_regions: 2 is invalid: must be >= 3")
    assert.include(checkMonAttrs("m", { ...ok, maxNrRegions: 9 })!.message, "m.min_nr_regions: 10 is invalid: must be <= max_nr_regions (9)")
    assert.include(checkMonAttrs("m", { ...ok, sampleIntervalUs: 100_001 })!.message, "m.sample_interval: 100001 is invalid")
  })

  it("wmarksOf - free_mem_rate watermarks; mid > high and low > mid are refused by name", () => {
    const w = { wmarksIntervalUs: 5_000_000, wmarksHigh: 500, wmarksMid: 400, wmarksLow: 200 }
    assert.deepStrictEqual(Result.getOrThrow(wmarksOf("m", w)), { metric: "free_mem_rate", intervalUs: 5_000_000, high: 500, mid: 400, low: 200 })
    assert.include(Result.getOrThrow(Result.flip(wmarksOf("m", { ...w, wmarksMid: 600 }))).message, "m.wmarks_mid: 600 is invalid")
    assert.include(Result.getOrThrow(Result.flip(wmarksOf("m", { ...w, wmarksLow: 401 }))).message, "m.wmarks_low: 401 is invalid")
  })

  describe("monitorRegion", () => {
    it("monitorRegion - both 0: the biggest System RAM, or the span of all of them", () => {
      assert.deepStrictEqual(Result.getOrThrow(monitorRegion("m", region(0, 0), ram, "biggest")), ram[1])
      assert.deepStrictEqual(Result.getOrThrow(monitorRegion("m", region(0, 0), ram, "systemRams")), { start: 1 * MiB, end: 4 * GiB + 256 * MiB })
    })

    it("monitorRegion - the default is in addr_unit units", () => {
      assert.deepStrictEqual(Result.getOrThrow(monitorRegion("m", region(0, 0, 1024), ram, "biggest")), { start: 4 * MiB, end: 4 * MiB + 256 * 1024 })
    })

    it("monitorRegion - explicit bounds are kept; start > end and empty ranges are refused by name", () => {
      assert.deepStrictEqual(Result.getOrThrow(monitorRegion("m", region(4096, 8192), ram, "biggest")), { start: 4096, end: 8192 })
      assert.include(
        Result.getOrThrow(Result.flip(monitorRegion("m", region(2, 1), ram, "biggest"))).message,
        "m.monitor_region_start: 2 is invalid: must be <= monitor_region_end (1)"
      )
      assert.include(Result.getOrThrow(Result.flip(monitorRegion("m", region(5, 5), ram, "biggest"))).message, "m.monitor_region_end: 5 is invalid")
      assert.include(Result.getOrThrow(Result.flip(monitorRegion("m", region(0, 0), [], "biggest"))).message, "no System RAM")
    })

    it("monitorRegion - the default always lies within System RAM (seeded layouts)", () => {
      const rng = makeRng(3)
      for (let i = 0; i < 300; i++) {
        const n = rng.rand(1, 6)
        const layout: Array<{ start: number; end: number }> = []
        let at = rng.rand(0, 64) * MiB
        for (let k = 0; k < n; k++) {
          const len = rng.rand(1, 512) * MiB
          layout.push({ start: at, end: at + len })
          at += len + rng.rand(0, 3) * GiB
        }
        const biggest = Result.getOrThrow(monitorRegion("m", region(0, 0), layout, "biggest"))
        assert.isTrue(layout.some((r) => r.start === biggest.start && r.end === biggest.end))
        assert.isTrue(layout.every((r) => r.end - r.start <= biggest.end - biggest.start))
        const span = Result.getOrThrow(monitorRegion("m", region(0, 0), layout, "systemRams"))
        assert.deepStrictEqual(span, { start: layout[0]!.start, end: layout[n - 1]!.end })
      }
    })
  })

  it("paddrConfig - one paddr target, ops update interval 0, min region size from addr_unit", () => {
    const c = paddrConfig({ sampleIntervalUs: 5000 }, { start: 0, end: 4096 }, [], 2)
    assert.deepStrictEqual(c, {
      ops: "paddr",
      attrs: { sampleIntervalUs: 5000, opsUpdateIntervalUs: 0 },
      targets: [{ regions: [{ start: 0, end: 4096 }] }],
      schemes: [],
      addrUnit: 2,
      minRegionSz: 2048
    })
  })

  it("statsOf - adds the running scheme's stat to the earlier runs' counts", () => {
    const stat = { nrTried: 2, szTried: 8192, nrApplied: 1, szApplied: 4096, szOpsFilterPassed: 0, qtExceeds: 3, nrSnapshots: 9 }
    const once = statsOf(zeroStats, stat)
    assert.deepStrictEqual(once, { nrTried: 2, bytesTried: 8192, nrApplied: 1, bytesApplied: 4096, nrQuotaExceeds: 3 })
    assert.deepStrictEqual(statsOf(once, stat), { nrTried: 4, bytesTried: 16384, nrApplied: 2, bytesApplied: 8192, nrQuotaExceeds: 6 })
  })

  it("withRegionWrittenBack - writes the chosen region back only when both bounds are 0", () => {
    const region = { start: 4096, end: 8192 }
    const unset = { monitorRegionStart: 0, monitorRegionEnd: 0, addrUnit: 1 }
    assert.deepStrictEqual(withRegionWrittenBack(unset, region), { monitorRegionStart: 4096, monitorRegionEnd: 8192, addrUnit: 1 })
    const set = { monitorRegionStart: 0, monitorRegionEnd: 12288, addrUnit: 1 }
    assert.strictEqual(withRegionWrittenBack(set, region), set)
  })
})
