/**
 * The heatmap of real monitoring: masim `stairs` and `zigzag` run on the simulated machine in
 * virtual time (seeded), folded into a grid as the aggregations come. Rows of 5 s line up with
 * the workloads' phases (10 s of initial phase, then 5 s per phase), so each phase row must be
 * hot exactly over the masim region that phase accesses.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import * as AddressAxis from "../../src/report/AddressAxis.ts"
import * as HeatmapGrid from "../../src/report/HeatmapGrid.ts"
import { formatHeatmap } from "../../src/report/HeatmapText.ts"
import { monitorWorkload } from "./support.ts"

const WIDTH = 40
const ROWS = 12

/** Monitors 60 s of the workload into a 40 x 12 grid (5 s rows). */
const heatmapOf = (workload: string, seed: number) =>
  Effect.gen(function*() {
    const grid = Result.getOrThrow(HeatmapGrid.make({ width: WIDTH, height: ROWS, expectedDurationUs: 60_000_000 }))
    const run = yield* monitorWorkload(workload, { seconds: 60, seed }, (s) => HeatmapGrid.add(grid, s))
    return { grid, run }
  })

/** Columns whose whole address range lies inside `[start, end)`, and those wholly outside it. */
const columnsAgainst = (grid: HeatmapGrid.HeatmapGrid, start: number, end: number) => {
  const colBytes = HeatmapGrid.columnBytes(grid)
  const inside: Array<number> = []
  const outside: Array<number> = []
  for (let col = 0; col < grid.width; col++) {
    const lo = AddressAxis.addressAt(grid.axis, col * colBytes)
    const hi = AddressAxis.addressAt(grid.axis, (col + 1) * colBytes - 1)
    if (lo >= start && hi < end) inside.push(col)
    else if (hi < start || lo >= end) outside.push(col)
  }
  return { inside, outside }
}

/** The hottest column of a row. */
const hottest = (grid: HeatmapGrid.HeatmapGrid, row: number): number => {
  let best = 0
  for (let col = 1; col < grid.width; col++) {
    if ((HeatmapGrid.ratePercentAt(grid, row, col) ?? 0) > (HeatmapGrid.ratePercentAt(grid, row, best) ?? 0)) best = col
  }
  return best
}

/** Every phase row is hot over the region `hotRegion(phase)` and cold elsewhere. */
const assertPhases = (
  grid: HeatmapGrid.HeatmapGrid,
  regions: ReadonlyArray<{ readonly name: string; readonly start: number; readonly end: number }>,
  hotRegion: (phase: number) => number
) => {
  assert.strictEqual(HeatmapGrid.rowsInUse(grid), ROWS)
  for (let row = 2; row < ROWS; row++) {
    const region = regions[hotRegion(row - 2)]!
    const { inside, outside } = columnsAgainst(grid, region.start, region.end)
    assert.isAtLeast(inside.length, 2, `${region.name} spans whole columns`)
    for (const col of inside) {
      assert.isAtLeast(HeatmapGrid.ratePercentAt(grid, row, col)!, 80, `row ${row}: ${region.name} is hot at column ${col}`)
    }
    for (const col of outside) {
      assert.isAtMost(HeatmapGrid.ratePercentAt(grid, row, col)!, 10, `row ${row}: column ${col} outside ${region.name} is cold`)
    }
    assert.include(inside, hottest(grid, row), `row ${row}: the hottest column is in ${region.name}`)
  }
}

describe("heatmap of masim workloads", () => {
  it.effect("stairs - the hot cells climb one region per phase: a staircase", () =>
    Effect.gen(function*() {
      for (const seed of [1, 2]) {
        const { grid, run } = yield* heatmapOf("stairs", seed)
        assertPhases(grid, run.regions, (phase) => phase)
        const stairs = Array.from({ length: ROWS - 2 }, (_, i) => hottest(grid, i + 2))
        for (let i = 1; i < stairs.length; i++) assert.isAbove(stairs[i]!, stairs[i - 1]!, `seed ${seed}: stair ${i} is above stair ${i - 1}`)
        // the initial phase (rows 0 and 1) touches every region
        for (const r of run.regions) {
          for (const col of columnsAgainst(grid, r.start, r.end).inside) assert.isAtLeast(HeatmapGrid.ratePercentAt(grid, 0, col)!, 50)
        }
      }
    }))

  it.effect("zigzag - the hot cells alternate between the low and the high region", () =>
    Effect.gen(function*() {
      const { grid, run } = yield* heatmapOf("zigzag", 1)
      assertPhases(grid, run.regions, (phase) => phase % 2)
      const zig = Array.from({ length: ROWS - 2 }, (_, i) => hottest(grid, i + 2))
      for (let i = 1; i < zig.length; i++) {
        if (i % 2 === 1) assert.isAbove(zig[i]!, zig[i - 1]!, `phase ${i} (high) is above phase ${i - 1}`)
        else assert.isBelow(zig[i]!, zig[i - 1]!, `phase ${i} (low) is below phase ${i - 1}`)
      }
    }))

  it.effect("stairs - the text heatmap shows the staircase in digits, with both axes labelled", () =>
    Effect.gen(function*() {
      const { grid } = yield* heatmapOf("stairs", 1)
      const lines = formatHeatmap(grid).split("\n")
      assert.match(lines[0]!, /^# heatmap: 600 aggregations x [\d.]+ MiB monitored \(0x[0-9a-f]+ \.\. 0x[0-9a-f]+, 3 ranges, gaps squeezed out\)$/)
      const rows = lines.slice(1, 1 + ROWS)
      assert.strictEqual(rows[0]!.slice(0, 13), "    5.000 s |")
      assert.strictEqual(rows[ROWS - 1]!.slice(0, 13), "   60.000 s |")
      // the first 9 of each phase row moves right, row after row
      const firstNine = rows.slice(2).map((r) => r.indexOf("9"))
      for (let i = 1; i < firstNine.length; i++) assert.isAbove(firstNine[i]!, firstNine[i - 1]!)
      assert.isTrue(lines.some((l) => l.startsWith("# x: address offset in the monitored ranges")))
      assert.isTrue(lines.some((l) => l.startsWith("# y: time, 5.000 s per row")))
    }))
})
