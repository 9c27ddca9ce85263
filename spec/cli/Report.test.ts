import { assert, describe, it } from "@effect/vitest"
import { Rng } from "effect-damon"
import { formatAccessSnapshot, formatHeatmap, formatSize, type Snapshot } from "../../src/cli/Report.ts"

const snapshotOf = (cuts: ReadonlyArray<number>, rates: (i: number) => number, atUs = 100_000): Snapshot => ({
  atUs,
  sampleIntervalUs: 5000,
  aggrIntervalUs: 100_000,
  targets: [{
    index: 0,
    pid: 42,
    regions: cuts.slice(0, -1).map((c, i) => ({
      start: c,
      end: cuts[i + 1]!,
      nrAccesses: rates(i),
      nrAccessesBp: rates(i) * 10000,
      lastNrAccesses: 0,
      age: 3
    }))
  }]
})

describe("Report", () => {
  it("formatSize - uses binary units with three decimals like damo", () => {
    assert.strictEqual(formatSize(512), "512 B")
    assert.strictEqual(formatSize(4096), "4.000 KiB")
    assert.strictEqual(formatSize(10 * 1024 * 1024 + 512 * 1024), "10.500 MiB")
  })

  it("formatAccessSnapshot - one line per region with range, size, access rate and age", () => {
    const text = formatAccessSnapshot(snapshotOf([0x1000, 0x3000, 0x4000], (i) => (i === 0 ? 20 : 5)), "kdamond.0")
    const lines = text.split("\n")
    assert.strictEqual(lines[0], "# kdamond.0  time 100.000 ms")
    assert.strictEqual(lines[1], "# target 0 (pid 42): 2 regions, 12.000 KiB")
    assert.strictEqual(lines[2], "000 addr [0x1000, 0x3000) (   8.000 KiB) access 100 %  age 300.000 ms")
    assert.strictEqual(lines[3], "001 addr [0x3000, 0x4000) (   4.000 KiB) access  25 %  age 300.000 ms")
  })

  it("formatHeatmap - digits follow access frequency over address and time, gaps squeezed out", () => {
    const hotLow = snapshotOf([0, 1000, 2000, 5000, 6000], (i) => (i === 0 ? 20 : 0), 100_000)
    const hotHigh = snapshotOf([0, 1000, 2000, 5000, 6000], (i) => (i === 3 ? 20 : 0), 200_000)
    const rows = formatHeatmap([hotLow, hotHigh], { width: 6, height: 2, color: false }).split("\n")
    assert.strictEqual(rows[1], " 100.000 ms |900000|")
    assert.strictEqual(rows[2], " 200.000 ms |000009|")
    const gappy: Snapshot = {
      ...hotLow,
      targets: [{ index: 0, pid: 42, regions: [hotLow.targets[0]!.regions[0]!, { ...hotLow.targets[0]!.regions[3]!, nrAccesses: 10 }] }]
    }
    const map = formatHeatmap([gappy], { width: 2, height: 1, color: false }).split("\n")
    assert.include(map[0]!, "2 ranges, gaps squeezed out")
    assert.strictEqual(map[1], " 100.000 ms |95|")
  })

  it("formatHeatmap - every column of a fully monitored space has a value (seeded layouts)", () => {
    const rng = Rng.makeRng(7)
    for (let run = 0; run < 300; run++) {
      const total = rng.rand(1_000, 200_000_000)
      const cuts = [0]
      const n = rng.rand(1, 40)
      for (let i = 0; i < n; i++) cuts.push(rng.rand(1, total))
      cuts.push(total)
      const sorted = [...new Set(cuts)].sort((a, b) => a - b)
      const width = rng.rand(1, 120)
      const map = formatHeatmap([snapshotOf(sorted, () => 10)], { width, height: 1, color: false })
      const row = map.split("\n")[1]!
      assert.notInclude(row.slice(row.indexOf("|")), " ", `hole with total ${total}, width ${width}, cuts ${sorted.join(",")}`)
    }
  })
})
