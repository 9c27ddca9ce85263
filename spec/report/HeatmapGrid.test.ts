import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { Rng } from "effect-damon"
import * as AddressAxis from "../../src/report/AddressAxis.ts"
import * as HeatmapGrid from "../../src/report/HeatmapGrid.ts"
import type { Snapshot } from "../../src/report/Snapshot.ts"
import { close, randomRanges, randomSnapshot } from "./gen.ts"

const grid = (options: HeatmapGrid.HeatmapGridOptions) => Result.getOrThrow(HeatmapGrid.make(options))

/** A stream of windows of varied length, back to back, over the given ranges. */
const stream = (rng: Rng.Rng, ranges: ReadonlyArray<AddressAxis.Range>, n: number, targets = 1): Array<Snapshot> => {
  const out: Array<Snapshot> = []
  let atUs = rng.rand(0, 10_000_000)
  for (let i = 0; i < n; i++) {
    const aggrUs = 5000 * rng.rand(1, 40)
    atUs += aggrUs
    out.push(randomSnapshot(rng, ranges, atUs, aggrUs, 5000, targets))
  }
  return out
}

const massOf = (snapshots: ReadonlyArray<Snapshot>, targetIndex?: number) =>
  snapshots.reduce((sum, s) => sum + HeatmapGrid.snapshotMass(s, targetIndex), 0)

const coverageOf = (snapshots: ReadonlyArray<Snapshot>) =>
  snapshots.reduce((sum, s) => sum + s.targets.flatMap((t) => t.regions).reduce((b, r) => b + r.end - r.start, 0) * s.aggrIntervalUs, 0)

describe("HeatmapGrid", () => {
  it("make - refuses bad sizes, naming the option, the value and the rule", () => {
    const error = (options: HeatmapGrid.HeatmapGridOptions) => {
      const made = HeatmapGrid.make(options)
      return Result.isFailure(made) ? made.failure.message : "accepted"
    }
    assert.strictEqual(error({ width: 0, height: 10 }), "heatmap.width: 0 is invalid: must be an integer >= 1")
    assert.strictEqual(error({ width: 80, height: -3 }), "heatmap.height: -3 is invalid: must be an integer >= 1")
    assert.strictEqual(error({ width: 80, height: 1.5 }), "heatmap.height: 1.5 is invalid: must be an integer >= 1")
    assert.strictEqual(error({ width: 8, height: 8, expectedDurationUs: 0 }), "heatmap.expectedDurationUs: 0 is invalid: must be an integer >= 1")
    assert.include(error({ width: 8, height: 8, addressRanges: [{ start: 10, end: 10 }] }), "heatmap.addressRanges")
  })

  it("keeps the input's access mass and coverage exactly (seeded: coarsening, axis growth, split windows)", () => {
    const rng = Rng.makeRng(21)
    for (let run = 0; run < 60; run++) {
      const ranges = randomRanges(rng, rng.rand(1, 5))
      const width = rng.rand(1, 100)
      const height = rng.rand(1, 40)
      const snapshots = stream(rng, ranges, rng.rand(1, 400), rng.rand(1, 3))
      // sometimes the axis is known up front, sometimes it grows as regions appear
      const known = rng.rand(0, 2) === 0 ? { addressRanges: ranges.slice(0, 1) } : {}
      const g = Result.getOrThrow(HeatmapGrid.fromSnapshots(snapshots, { width, height, ...known }))
      assert.isTrue(close(HeatmapGrid.totalMass(g), massOf(snapshots), 1e-9), `run ${run}: mass`)
      assert.isTrue(close(g.coverage.reduce((a, b) => a + b, 0), coverageOf(snapshots), 1e-9), `run ${run}: coverage`)
      assert.isAtMost(HeatmapGrid.rowsInUse(g), height)
      assert.strictEqual(g.nrSnapshots, snapshots.length)
    }
  })

  it("memory is width x height cells whatever the run length", () => {
    const rng = Rng.makeRng(22)
    const ranges = randomRanges(rng, 3)
    const g = grid({ width: 40, height: 16 })
    let atUs = 0
    for (let i = 0; i < 100_000; i++) {
      atUs += 100_000
      HeatmapGrid.add(g, randomSnapshot(rng, ranges, atUs, 100_000))
    }
    assert.strictEqual(g.mass.length, 40 * 16)
    assert.strictEqual(g.coverage.length, 40 * 16)
    assert.isAtMost(HeatmapGrid.rowsInUse(g), 16)
    assert.isAtLeast(HeatmapGrid.rowsInUse(g), 8)
    assert.strictEqual(g.rowUs * 16 >= atUs, true)
  })

  it("coarsening is exact: merged rows equal the rows a grid sized for the whole run builds (seeded)", () => {
    const rng = Rng.makeRng(23)
    for (let run = 0; run < 40; run++) {
      const ranges = randomRanges(rng, rng.rand(1, 4))
      const width = rng.rand(1, 60)
      const height = rng.rand(1, 20)
      const snapshots = stream(rng, ranges, rng.rand(height, 300))
      const coarsened = Result.getOrThrow(HeatmapGrid.fromSnapshots(snapshots, { width, height, addressRanges: ranges }))
      const duration = coarsened.rowUs * height
      const direct = Result.getOrThrow(
        HeatmapGrid.fromSnapshots(snapshots, { width, height, addressRanges: ranges, expectedDurationUs: duration })
      )
      assert.strictEqual(direct.rowUs, coarsened.rowUs)
      for (let i = 0; i < width * height; i++) {
        assert.isTrue(close(coarsened.mass[i]!, direct.mass[i]!, 1e-9), `run ${run} cell ${i} mass`)
        assert.isTrue(close(coarsened.coverage[i]!, direct.coverage[i]!, 1e-9), `run ${run} cell ${i} coverage`)
      }
    }
  })

  it("cells hold the mean access rate of what they cover; unmonitored cells have none", () => {
    const region = (start: number, end: number, nrAccesses: number) =>
      ({ start, end, nrAccesses, nrAccessesBp: 0, lastNrAccesses: 0, age: 0 })
    const at = (atUs: number, regions: Snapshot["targets"][number]["regions"]): Snapshot =>
      ({ atUs, sampleIntervalUs: 5000, aggrIntervalUs: 100_000, targets: [{ index: 0, pid: 1, regions }] })
    // two windows per row; the first window has [0, 1000) at 100 %, the second at 50 %
    const g = grid({ width: 2, height: 1, expectedDurationUs: 200_000 })
    HeatmapGrid.add(g, at(100_000, [region(0, 1000, 20), region(5000, 6000, 0)]))
    HeatmapGrid.add(g, at(200_000, [region(0, 1000, 10)]))
    assert.strictEqual(g.rowUs, 200_000)
    assert.strictEqual(HeatmapGrid.ratePercentAt(g, 0, 0), 75)
    assert.strictEqual(HeatmapGrid.ratePercentAt(g, 0, 1), 0)
    assert.deepStrictEqual(HeatmapGrid.rowTimeUs(g, 0), { fromUs: 0, toUs: 200_000 })
    const later = grid({ width: 2, height: 4 })
    HeatmapGrid.add(later, at(100_000, [region(0, 1000, 20), region(5000, 6000, 0)]))
    HeatmapGrid.add(later, at(200_000, [region(0, 1000, 10)]))
    assert.strictEqual(HeatmapGrid.ratePercentAt(later, 1, 1), undefined)
  })

  it("a region outside the axis grows it, keeps the mass, and says so", () => {
    const g = grid({ width: 4, height: 4, addressRanges: [{ start: 0, end: 4000 }] })
    const s = (atUs: number, start: number, end: number): Snapshot => ({
      atUs,
      sampleIntervalUs: 5000,
      aggrIntervalUs: 100_000,
      targets: [{ index: 0, pid: 1, regions: [{ start, end, nrAccesses: 20, nrAccessesBp: 0, lastNrAccesses: 0, age: 0 }] }]
    })
    HeatmapGrid.add(g, s(100_000, 0, 4000))
    HeatmapGrid.add(g, s(200_000, 10_000, 14_000))
    assert.strictEqual(g.nrAxisGrowths, 1)
    assert.strictEqual(g.axis.total, 8000)
    assert.isTrue(close(HeatmapGrid.totalMass(g), 2 * 4000 * 100_000))
    // the first row's mass moved onto the low half of the wider axis
    assert.strictEqual(HeatmapGrid.ratePercentAt(g, 0, 0), 100)
    assert.strictEqual(HeatmapGrid.ratePercentAt(g, 0, 3), undefined)
    assert.strictEqual(HeatmapGrid.ratePercentAt(g, 1, 3), 100)
  })

  it("targetIndex keeps one target; windows before the first are counted as clipped", () => {
    const rng = Rng.makeRng(24)
    const ranges = randomRanges(rng, 2)
    const snapshots = stream(rng, ranges, 50, 2)
    const one = Result.getOrThrow(HeatmapGrid.fromSnapshots(snapshots, { width: 10, height: 10, targetIndex: 1 }))
    assert.isTrue(close(HeatmapGrid.totalMass(one), massOf(snapshots, 1)))
    const g = grid({ width: 4, height: 4 })
    HeatmapGrid.add(g, randomSnapshot(rng, ranges, 1_000_000, 100_000))
    HeatmapGrid.add(g, randomSnapshot(rng, ranges, 950_000, 100_000))
    assert.strictEqual(g.clippedUs, 50_000)
  })
})
