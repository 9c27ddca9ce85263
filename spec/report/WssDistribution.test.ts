import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import { Rng } from "effect-damon"
import type { Snapshot } from "../../src/report/Snapshot.ts"
import * as Wss from "../../src/report/WssDistribution.ts"
import { formatWss } from "../../src/report/WssText.ts"
import { randomRanges, randomSnapshot } from "./gen.ts"
import { monitorWorkload } from "./support.ts"

const make = (options: Wss.WssOptions = {}) => Result.getOrThrow(Wss.make(options))

/** damo's percentile: the value at index floor(p / 100 * n), the last one for p = 100. */
const damoPercentile = (values: ReadonlyArray<number>, p: number): number =>
  values[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!

const region = (start: number, end: number, nrAccesses: number) => ({ start, end, nrAccesses, nrAccessesBp: 0, lastNrAccesses: 0, age: 0 })

describe("WssDistribution", () => {
  it("make - refuses bad options, naming the option, the value and the rule", () => {
    const error = (options: Wss.WssOptions) => {
      const made = Wss.make(options)
      return Result.isFailure(made) ? made.failure.message : "accepted"
    }
    assert.strictEqual(error({ minNrAccesses: -1 }), "wss.minNrAccesses: -1 is invalid: must be an integer >= 0")
    assert.strictEqual(error({ timeBins: 0 }), "wss.timeBins: 0 is invalid: must be an integer >= 1")
    assert.strictEqual(error({ relativeAccuracy: 1 }), "wss.relativeAccuracy: 1 is invalid: must be > 0 and < 1")
  })

  it("wssOf - bytes of regions with enough accesses and size, per target or summed", () => {
    const s: Snapshot = {
      atUs: 100_000,
      sampleIntervalUs: 5000,
      aggrIntervalUs: 100_000,
      targets: [
        { index: 0, pid: 1, regions: [region(0, 4096, 0), region(4096, 8192, 1), region(8192, 16384, 5)] },
        { index: 1, pid: 2, regions: [region(0, 1024, 3)] }
      ]
    }
    assert.strictEqual(Wss.wssOf(s), 4096 + 8192 + 1024)
    assert.strictEqual(Wss.wssOf(s, { minNrAccesses: 2 }), 8192 + 1024)
    assert.strictEqual(Wss.wssOf(s, { minRegionBytes: 4096 }), 4096 + 8192)
    assert.strictEqual(Wss.wssOf(s, { targetIndex: 1 }), 1024)
    assert.strictEqual(Wss.wssOf(s, { minNrAccesses: 0 }), 16384 + 1024)
  })

  it("percentiles are exactly damo's while few values are kept, by size and by time (seeded)", () => {
    const rng = Rng.makeRng(31)
    for (let run = 0; run < 50; run++) {
      const n = rng.rand(1, 300)
      const values = Array.from({ length: n }, () => rng.rand(0, 1 << 30))
      const dist = make({ exactCapacity: 300, timeBins: 300 })
      values.forEach((v, i) => Wss.addValue(dist, v, i * 100_000))
      const sorted = [...values].sort((a, b) => a - b)
      for (const p of [0, 1, 25, 50, 75, 99, 100]) {
        assert.strictEqual(Wss.percentile(dist, p, "size"), damoPercentile(sorted, p))
        assert.strictEqual(Wss.percentile(dist, p, "time"), damoPercentile(values, p))
      }
      assert.isTrue(Wss.isExact(dist, "size") && Wss.isExact(dist, "time"))
      assert.strictEqual(Wss.average(dist), values.reduce((a, b) => a + b, 0) / n)
    }
  })

  it("past the exact capacity, size percentiles stay within the relative accuracy and memory stays bounded (seeded)", () => {
    const rng = Rng.makeRng(32)
    for (const accuracy of [0.01, 0.05]) {
      const dist = make({ exactCapacity: 64, timeBins: 32, relativeAccuracy: accuracy })
      const values: Array<number> = []
      for (let i = 0; i < 50_000; i++) {
        const v = rng.rand(0, 20) === 0 ? 0 : Math.floor(2 ** (rng.float() * 45))
        values.push(v)
        Wss.addValue(dist, v, i)
      }
      assert.isFalse(Wss.isExact(dist, "size"))
      const sorted = [...values].sort((a, b) => a - b)
      for (let p = 0; p <= 100; p += 5) {
        const truth = damoPercentile(sorted, p)
        const got = Wss.percentile(dist, p, "size")!
        assert.isAtMost(Math.abs(got - truth), accuracy * truth * 1.0001, `p${p}: ${got} vs ${truth}`)
      }
      assert.strictEqual(dist.min, sorted[0])
      assert.strictEqual(dist.max, sorted[sorted.length - 1])
      assert.isAtMost(Wss.storedValues(dist), 32 + Math.ceil(Math.log(2 ** 45) / Math.log((1 + accuracy) / (1 - accuracy))) + 1)
    }
  })

  it("the time series merges bins pairwise: a bin's mean is the mean of its snapshots", () => {
    const dist = make({ timeBins: 4 })
    for (let i = 0; i < 10; i++) Wss.addValue(dist, i * 10, (i + 1) * 1000)
    assert.isFalse(Wss.isExact(dist, "time"))
    assert.deepStrictEqual(Wss.timeSeries(dist), [
      { fromIndex: 0, toIndex: 4, fromUs: 1000, toUs: 4000, meanBytes: 15, minBytes: 0, maxBytes: 30 },
      { fromIndex: 4, toIndex: 8, fromUs: 5000, toUs: 8000, meanBytes: 55, minBytes: 40, maxBytes: 70 },
      { fromIndex: 8, toIndex: 10, fromUs: 9000, toUs: 10000, meanBytes: 85, minBytes: 80, maxBytes: 90 }
    ])
    // p50 by time is snapshot 5, in the second bin
    assert.strictEqual(Wss.percentile(dist, 50, "time"), 55)
    assert.deepStrictEqual(Wss.percentiles(make(), [50], "size"), [])
    assert.strictEqual(Wss.percentile(make(), 50, "time"), undefined)
  })

  it("random snapshots fold like their wssOf values (seeded)", () => {
    const rng = Rng.makeRng(33)
    const ranges = randomRanges(rng, 3)
    const snapshots = Array.from({ length: 200 }, (_, i) => randomSnapshot(rng, ranges, (i + 1) * 100_000, 100_000))
    const dist = Result.getOrThrow(Wss.fromSnapshots(snapshots, { minNrAccesses: 3 }))
    const values = snapshots.map((s) => Wss.wssOf(s, { minNrAccesses: 3 })).sort((a, b) => a - b)
    assert.strictEqual(Wss.percentile(dist, 50, "size"), damoPercentile(values, 50))
  })

  it.effect("stairs - the working set is one 10 MB region most of the time, all ten in the initial phase", () =>
    Effect.gen(function*() {
      const dist = make()
      yield* monitorWorkload("stairs", { seconds: 60, seed: 1 }, (s) => Wss.add(dist, s))
      const p50 = Wss.percentile(dist, 50, "size")!
      assert.isAtLeast(p50, 10_000_000 * 0.9)
      assert.isAtMost(p50, 10_000_000 * 1.4)
      assert.isAtLeast(Wss.percentile(dist, 100, "size")!, 10 * 10_000_000 * 0.9)
      // by time: the first tenth of the run is the initial phase, the rest one stair at a time
      assert.isAtLeast(Wss.percentile(dist, 5, "time")!, 10 * 10_000_000 * 0.9)
      assert.isAtMost(Wss.percentile(dist, 60, "time")!, 10_000_000 * 1.4)
    }))
})

describe("WssText", () => {
  it("formatWss - damo's layout: header, mean, percentile lines with bars; estimates are marked", () => {
    const dist = make({ exactCapacity: 8, timeBins: 2 })
    for (const v of [0, 1024, 2048, 4096]) Wss.addValue(dist, v, v)
    assert.deepStrictEqual(formatWss(dist, { barColumns: 8 }).split("\n"), [
      "# <percentile> <wss>",
      "# avr:\t1.750 KiB",
      "  0             0 B |        |",
      " 25       1.000 KiB |**      |",
      " 50       2.000 KiB |****    |",
      " 75       4.000 KiB |********|",
      "100       4.000 KiB |********|"
    ])
    assert.strictEqual(formatWss(dist, { sortBy: "time", barColumns: 0 }).split("\n")[2], "# each value is the mean of 2 consecutive snapshots")
    for (let i = 0; i < 10; i++) Wss.addValue(dist, 4096, 0)
    assert.include(formatWss(dist), "# sizes estimated within 1.0 % (14 snapshots)")
    assert.strictEqual(formatWss(make()), "# <percentile> <wss>\n# no snapshot")
  })
})
