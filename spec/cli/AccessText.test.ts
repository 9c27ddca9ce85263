import { assert, describe, it } from "@effect/vitest"
import { formatAccess, formatSnapshot, sortRegions, temperature } from "../../src/cli/AccessText.ts"
import type { DamonRecord } from "../../src/damo/Record.ts"

const region = (start: number, end: number, nrAccesses: number, age: number) => ({ start, end, nrAccesses, age, szFilterPassed: 0 })
const record: DamonRecord = {
  kdamondIdx: 0,
  contextIdx: 0,
  intervals: { sampleUs: 5000, aggrUs: 100_000, opsUpdateUs: 1_000_000, goal: { accessBp: 0, aggrs: 0, minSampleUs: 0, maxSampleUs: 0 } },
  schemeIdx: null,
  targetId: 0n,
  schemeFilters: [],
  snapshots: [
    { startNs: 0n, endNs: 100_000_000n, totalBytes: 12288, regions: [region(0, 4096, 0, 3), region(4096, 12288, 20, 1)] },
    { startNs: 100_000_000n, endNs: 200_000_000n, totalBytes: 12288, regions: [region(0, 8192, 10, 4), region(8192, 12288, 0, 9)] }
  ]
}
const iv = { sampleUs: 5000, aggrUs: 100_000 }

describe("report access text", () => {
  it("prints damo's default detailed style: record head, monitored time, heatmap, aligned regions, tail", () => {
    const lines = formatAccess([record], "last").split("\n")
    assert.strictEqual(lines[0], "kdamond 0 / context 0 / scheme none / target id 0 / recorded for 200 ms from 0 ns")
    assert.strictEqual(lines[1], "monitored time: [100 ms, 200 ms] (100 ms)")
    assert.match(lines[2]!, /^heatmap: \|5{40}0{20}\|/)
    assert.strictEqual(lines[3], "0 addr 0 B       size 8.000 KiB access 50 % age 400 ms")
    assert.strictEqual(lines[4], "1 addr 8.000 KiB size 4.000 KiB access 0 %  age 900 ms")
    assert.strictEqual(lines[5], "memory bw estimate: 800.000 KiB per second")
    assert.strictEqual(lines[6], "total size: 12.000 KiB")
    assert.strictEqual(formatAccess([record], "all").split("\n").filter((l) => l.startsWith("monitored time")).length, 2)
    assert.strictEqual(formatAccess([record], 5).split("\n").length, 1)
  })

  it("sorts by any key, ascending or descending, stably", () => {
    const rs = [region(0, 10, 5, 1), region(10, 30, 20, 1), region(30, 35, 0, 7)]
    const starts = (o: Parameters<typeof sortRegions>[2]) => sortRegions(rs, iv, o).map((r) => r.start)
    assert.deepStrictEqual(starts({ sortBy: ["access_rate"] }), [30, 0, 10])
    assert.deepStrictEqual(starts({ sortBy: ["access_rate"], descending: true }), [10, 0, 30])
    assert.deepStrictEqual(starts({ sortBy: ["size"] }), [30, 0, 10])
    assert.deepStrictEqual(starts({ sortBy: ["age", "address"] }), [0, 10, 30])
    // hot regions are warm, cold old ones the coldest
    assert.isAbove(temperature(rs[1]!, iv), temperature(rs[0]!, iv))
    assert.isBelow(temperature(rs[2]!, iv), 0)
  })

  it("raw numbers are machine-friendly", () => {
    const text = formatSnapshot(record, record.snapshots[1]!, { raw: true, heatmapColumns: 0 })
    assert.include(text, "0 addr 0    size 8192 access 50.000000 age 400000")
  })
})
