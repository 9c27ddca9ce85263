import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import * as HeatmapGrid from "../../src/report/HeatmapGrid.ts"
import { formatHeatmap } from "../../src/report/HeatmapText.ts"
import type { Snapshot } from "../../src/report/Snapshot.ts"

const region = (start: number, end: number, nrAccesses: number) => ({ start, end, nrAccesses, nrAccessesBp: 0, lastNrAccesses: 0, age: 0 })
const at = (atUs: number, regions: ReadonlyArray<ReturnType<typeof region>>): Snapshot =>
  ({ atUs, sampleIntervalUs: 5000, aggrIntervalUs: 100_000, targets: [{ index: 0, pid: 1, regions }] })

/** Two ranges of 4 KiB, 1 MiB apart; a hot spot moving from the low to the high range. */
const snapshots = [
  at(100_000, [region(0, 2048, 20), region(2048, 4096, 0), region(1 << 20, (1 << 20) + 4096, 0)]),
  at(200_000, [region(0, 2048, 10), region(2048, 4096, 0), region(1 << 20, (1 << 20) + 4096, 4)]),
  at(300_000, [region(0, 4096, 0), region(1 << 20, (1 << 20) + 2048, 0), region((1 << 20) + 2048, (1 << 20) + 4096, 20)])
]
const grid = (width: number) => Result.getOrThrow(HeatmapGrid.fromSnapshots(snapshots, { width, height: 3 }))

describe("HeatmapText", () => {
  it("formatHeatmap - digits per cell, rows labelled with time, ruler and axes described", () => {
    const lines = formatHeatmap(grid(8)).split("\n")
    assert.deepStrictEqual(lines, [
      "# heatmap: 3 aggregations x 8.000 KiB monitored (0x0 .. 0x101000, 2 ranges, gaps squeezed out)",
      " 100.000 ms |99000000|",
      " 200.000 ms |55002222|",
      " 300.000 ms |00000099|",
      "            +----|---+",
      "            0 .. 8.000 KiB",
      "# x: address offset in the monitored ranges, 1.000 KiB per column ('|' on the ruler: a squeezed gap)",
      "# ranges: [0x0, 0x1000) columns 0-3; [0x100000, 0x101000) columns 4-7",
      "# y: time, 100.000 ms per row, labelled with the row's end",
      "# digits: access rate in tens of percent, 0 (idle) .. 9 (accessed at 90-100 % of samples); ' ' = not monitored"
    ])
  })

  it("formatHeatmap - relative scale spreads the coldest .. hottest cells over 0 .. 9, like damo", () => {
    const cool = snapshots.map((s) => ({
      ...s,
      targets: s.targets.map((t) => ({ ...t, regions: t.regions.map((r) => ({ ...r, nrAccesses: Math.floor(r.nrAccesses / 4) })) }))
    }))
    const g = Result.getOrThrow(HeatmapGrid.fromSnapshots(cool, { width: 8, height: 3 }))
    const absolute = formatHeatmap(g).split("\n")
    assert.strictEqual(absolute[1], " 100.000 ms |22000000|")
    const relative = formatHeatmap(g, { scale: "relative" }).split("\n")
    assert.strictEqual(relative[1], " 100.000 ms |99000000|")
    assert.strictEqual(relative[2], " 200.000 ms |44002222|")
    assert.include(relative.at(-1)!, "relative, 0 = 0.0 % .. 9 = 25.0 %")
  })

  it("formatHeatmap - plain text has no escape codes; colour adds ANSI backgrounds and a swatch line", () => {
    assert.notInclude(formatHeatmap(grid(8)), "\u001b")
    const coloured = formatHeatmap(grid(8), { color: true }).split("\n")
    assert.strictEqual(coloured[1], " 100.000 ms |\u001b[48;5;201m9\u001b[48;5;201m9\u001b[48;5;17m0\u001b[48;5;17m0\u001b[48;5;17m0\u001b[48;5;17m0\u001b[48;5;17m0\u001b[48;5;17m0\u001b[0m|")
    assert.isTrue(coloured.some((l) => l.startsWith("# colours: ")))
  })

  it("formatHeatmap - unmonitored cells are blank; an empty grid says so", () => {
    const g = Result.getOrThrow(HeatmapGrid.make({ width: 4, height: 2, addressRanges: [{ start: 0, end: 8192 }] }))
    assert.strictEqual(formatHeatmap(g), "(no snapshots)")
    HeatmapGrid.add(g, at(100_000, [region(0, 4096, 20)]))
    assert.strictEqual(formatHeatmap(g).split("\n")[1], " 100.000 ms |99  |")
  })

  it("formatHeatmap - notes axis growth and clipped windows instead of hiding them", () => {
    const g = Result.getOrThrow(HeatmapGrid.make({ width: 4, height: 2, addressRanges: [{ start: 0, end: 4096 }] }))
    HeatmapGrid.add(g, at(200_000, [region(0, 4096, 20)]))
    HeatmapGrid.add(g, at(150_000, [region(8192, 12288, 20)]))
    const text = formatHeatmap(g)
    assert.include(text, "# the monitored ranges grew 1 times")
    assert.include(text, "# 50.000 ms of windows before the first one were not counted")
  })
})
