/**
 * The accuracy functions against hand-computed cases and properties: one window's WSS error and
 * hot/cold precision and recall, truth segments from page counts, percentiles, the baseline's
 * partition and sampling, and the masim truth (stairs' hot stair, a random pattern's chance).
 */
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { PageTable, Rng } from "effect-damon"
import { Accuracy, FixedMonitor, MasimTruth, PageTruth, Summary } from "effect-damon/accuracy"
import { MasimConfig, MasimFiles } from "effect-damon/sim"

const PAGE = 4096

describe("Accuracy.windowAccuracy", () => {
  const truth: Accuracy.TruthWindow = {
    startUs: 0,
    endUs: 100,
    segments: [{ start: 0, end: 2 * PAGE, freq: 1, touched: 1 }, { start: 2 * PAGE, end: 3 * PAGE, freq: 0.25, touched: 1 }]
  }

  it("a hand-computed window", () => {
    const a = Accuracy.windowAccuracy(truth, {
      regions: [{ start: 0, end: PAGE, nrAccesses: 4 }, { start: PAGE, end: 4 * PAGE, nrAccesses: 1 }],
      maxNrAccesses: 4
    }, { hotThreshold: 0.5 })
    // WSS: truth 3 pages; estimate 4 pages (both regions have accesses): error 1/3
    // hot: truth pages 0-1; estimate page 0 (4/4), not pages 1-3 (1/4): precision 1, recall 1/2
    // cold over the 4 monitored pages: estimate pages 1-3, truth pages 2-3: precision 2/3, recall 1
    assert.deepStrictEqual(a, {
      startUs: 0,
      endUs: 100,
      monitoredBytes: 4 * PAGE,
      wssTrueBytes: 3 * PAGE,
      wssEstBytes: 4 * PAGE,
      wssErrorPct: (1 / 3) * 100,
      hotTrueBytes: 2 * PAGE,
      hotEstBytes: PAGE,
      hotBothBytes: PAGE,
      hotPrecision: 1,
      hotRecall: 0.5,
      coldPrecision: 2 / 3,
      coldRecall: 1
    })
  })

  it("the threshold, minNrAccesses and expected (fractional) touches", () => {
    const est = { regions: [{ start: 0, end: 4 * PAGE, nrAccesses: 1 }], maxNrAccesses: 4 }
    const low = Accuracy.windowAccuracy(truth, est, { hotThreshold: 0.25 })
    assert.deepStrictEqual([low.hotTrueBytes, low.hotEstBytes, low.hotBothBytes], [3 * PAGE, 4 * PAGE, 3 * PAGE])
    const strict = Accuracy.windowAccuracy(truth, est, { hotThreshold: 0.5, minNrAccesses: 2 })
    assert.deepStrictEqual([strict.wssEstBytes, strict.wssErrorPct, strict.hotPrecision, strict.hotRecall], [0, 100, null, 0])
    const expected = Accuracy.windowAccuracy(
      { startUs: 0, endUs: 1, segments: [{ start: 0, end: 10 * PAGE, freq: 0.1, touched: 0.5 }] },
      { regions: [{ start: 0, end: 5 * PAGE, nrAccesses: 1 }], maxNrAccesses: 20 },
      { hotThreshold: 0.5 }
    )
    assert.strictEqual(expected.wssTrueBytes, 5 * PAGE)
    assert.strictEqual(expected.wssErrorPct, 0)
  })

  it("a window that throws half-way leaves nothing to the next (the hot ranges are reused scratch)", () => {
    const good = { regions: [{ start: 0, end: PAGE, nrAccesses: 4 }, { start: PAGE, end: 4 * PAGE, nrAccesses: 1 }], maxNrAccesses: 4 }
    const fresh = Accuracy.windowAccuracy(truth, good, { hotThreshold: 0.5 })
    const broken = { regions: [{ start: 2 * PAGE, end: 3 * PAGE, nrAccesses: 4 }, null as never], maxNrAccesses: 4 }
    assert.throws(() => Accuracy.windowAccuracy(truth, broken, { hotThreshold: 0.5 }))
    assert.deepStrictEqual(Accuracy.windowAccuracy(truth, good, { hotThreshold: 0.5 }), fresh)
  })

  it("empty denominators are null, not 0 or 1", () => {
    const a = Accuracy.windowAccuracy({ startUs: 0, endUs: 1, segments: [] }, { regions: [{ start: 0, end: PAGE, nrAccesses: 0 }], maxNrAccesses: 20 }, { hotThreshold: 0.5 })
    assert.deepStrictEqual([a.wssErrorPct, a.hotPrecision, a.hotRecall, a.coldPrecision, a.coldRecall], [null, null, null, 1, 1])
  })

  it("property: a perfect estimate scores 0 % and 1; every ratio is in [0, 1] (seeded)", () => {
    const rng = Rng.makeRng(3)
    for (let trial = 0; trial < 200; trial++) {
      const max = rng.rand(1, 40)
      const regions: Array<Accuracy.EstimateRegion> = []
      const segments: Array<Accuracy.TruthSegment> = []
      let at = rng.rand(0, 1000) * PAGE
      for (let i = 0; i < rng.rand(1, 20); i++) {
        const end = at + rng.rand(1, 50) * PAGE
        const nr = rng.rand(0, max + 1)
        regions.push({ start: at, end, nrAccesses: nr })
        if (nr > 0) segments.push({ start: at, end, freq: nr / max, touched: 1 })
        at = end
      }
      const theta = rng.rand(1, 101) / 100
      const perfect = Accuracy.windowAccuracy({ startUs: 0, endUs: 1, segments }, { regions, maxNrAccesses: max }, { hotThreshold: theta })
      if (perfect.wssErrorPct !== null) assert.strictEqual(perfect.wssErrorPct, 0)
      for (const v of [perfect.hotPrecision, perfect.hotRecall, perfect.coldPrecision, perfect.coldRecall]) assert.isTrue(v === null || v === 1)
      // a shuffled estimate: every ratio stays in [0, 1]
      const shuffled = regions.map((r) => ({ ...r, nrAccesses: rng.rand(0, max + 1) }))
      const a = Accuracy.windowAccuracy({ startUs: 0, endUs: 1, segments }, { regions: shuffled, maxNrAccesses: max }, { hotThreshold: theta })
      for (const v of [a.hotPrecision, a.hotRecall, a.coldPrecision, a.coldRecall]) assert.isTrue(v === null || (v >= 0 && v <= 1), String(v))
    }
  })

  it("truth segments from page counts: frequencies per tick, equal neighbours merged", () => {
    const truthRec = Result.getOrThrow(PageTruth.make({ tickUs: 10 }))
    for (const [page, t] of [[5, 0], [5, 15], [6, 1], [6, 12], [7, 3], [9, 4], [9, 4]] as const) truthRec.record(page, truthRec.tickOf(t))
    const w = Accuracy.truthFromPageCounts(truthRec.closeWindow(20))
    assert.deepStrictEqual(w.segments, [
      { start: 5 * PAGE, end: 7 * PAGE, freq: 1, touched: 1 },
      { start: 7 * PAGE, end: 8 * PAGE, freq: 0.5, touched: 1 },
      { start: 9 * PAGE, end: 10 * PAGE, freq: 0.5, touched: 1 }
    ])
    assert.deepStrictEqual(Accuracy.truthFromPageCounts(truthRec.closeWindow(40)).segments, [], "counts reset per window")
    assert.strictEqual(PageTruth.ticksIn(5, 25, 10), 3)
  })
})

describe("Summary", () => {
  it("percentiles interpolate between ranks; nulls are counted as missing", () => {
    const s = Summary.summarize([4, null, 1, 3, 2, null])
    assert.deepStrictEqual(s, { count: 4, missing: 2, mean: 2.5, min: 1, p10: 1.3, p25: 1.75, median: 2.5, p75: 3.25, p90: 3.7, max: 4 })
    assert.strictEqual(Summary.summarize([7]).median, 7)
    assert.deepStrictEqual(Summary.summarize([null]), { count: 0, missing: 1, mean: null, min: null, p10: null, p25: null, median: null, p75: null, p90: null, max: null })
  })
})

describe("FixedMonitor", () => {
  it("property: exactly the asked number of page-aligned regions, covering the ranges, equal within a range (seeded)", () => {
    const rng = Rng.makeRng(9)
    const problems: Array<string> = []
    for (let trial = 0; trial < 200; trial++) {
      const ranges: Array<{ start: number; end: number }> = []
      let at = rng.rand(0, 2 ** 30) * PAGE
      for (let i = 0; i < rng.rand(1, 5); i++) {
        at += rng.rand(1, 2 ** 20) * PAGE
        const end = at + rng.rand(1, 2 ** 14) * PAGE
        ranges.push({ start: at, end })
        at = end
      }
      const pages = ranges.reduce((n, r) => n + (r.end - r.start) / PAGE, 0)
      const n = rng.rand(1, 2000)
      const regions = FixedMonitor.partition(ranges, n)
      if (regions.length !== Math.min(Math.max(n, ranges.length), pages)) problems.push(`trial ${trial}: ${regions.length} regions for ${n}`)
      let k = 0
      for (const r of ranges) {
        let start = r.start
        const sizes = new Set<number>()
        while (k < regions.length && regions[k]!.start < r.end) {
          const x = regions[k]!
          if (x.start !== start || x.end <= x.start || x.start % PAGE !== 0 || x.end % PAGE !== 0) problems.push(`trial ${trial}: region ${k}`)
          if (x.end !== r.end) sizes.add(x.end - x.start)
          start = x.end
          k++
        }
        if (start !== r.end) problems.push(`trial ${trial}: range not covered`)
        if (sizes.size > 1) problems.push(`trial ${trial}: unequal pieces ${[...sizes]}`)
      }
    }
    assert.deepStrictEqual(problems, [])
  })

  it("samples like DAMON: one random page per region made old, then tested; counts per window reset", () => {
    const t = PageTable.make({ pid: 2 })
    Result.getOrThrow(t.map(0, 64 * PAGE))
    const regions = FixedMonitor.partition([{ start: 0, end: 64 * PAGE }], 4)
    assert.deepStrictEqual(regions.map((r) => [r.start / PAGE, r.end / PAGE]), [[0, 16], [16, 32], [32, 48], [48, 64]])
    const rng = Rng.makeRng(1)
    const s = t.space.sampler(rng)
    for (let i = 0; i < 10; i++) {
      FixedMonitor.prepare(regions, s, 2, rng, i)
      t.markRange(16 * PAGE, 32 * PAGE) // region 1 all hot
      t.mark(48 * PAGE) // one page of region 3
      assert.strictEqual(FixedMonitor.check(regions, s, 2, i + 1), 4)
    }
    const est = FixedMonitor.aggregate(regions)
    assert.deepStrictEqual(est.map((r) => r.nrAccesses >= 10 ? "hot" : r.nrAccesses === 0 ? "cold" : "warm").slice(0, 3), ["cold", "hot", "cold"])
    assert.isBelow(est[3]!.nrAccesses, 5)
    assert.deepStrictEqual(regions.map((r) => r.nrAccesses), [0, 0, 0, 0])
  })
})

describe("MasimTruth", () => {
  const stairs = Result.getOrThrow(MasimFiles.loadMasimConfig("stairs"))
  const info = (config: MasimConfig.MasimConfig, throughput = 50e6): MasimTruth.MasimProcessInfo => ({
    config,
    regionStart: config.regions.map((_, i) => 0x7f00_0000_0000 + i * 16 * 2 ** 20),
    startUs: 0,
    throughput,
    loop: true
  })

  it("stairs: every stair hot in the initial phase, then only the current stair", () => {
    const t = MasimTruth.make(info(stairs), 5000)
    const initial = t.window(1_000_000, 1_100_000)
    assert.strictEqual(initial.segments.length, 10)
    for (const s of initial.segments) assert.deepStrictEqual([s.freq, s.touched, s.end - s.start], [1, 1, 10_000_000])
    const phase3 = t.window(27_000_000, 27_100_000)
    assert.deepStrictEqual(phase3.segments, [{ start: 0x7f00_0000_0000 + 3 * 16 * 2 ** 20, end: 0x7f00_0000_0000 + 3 * 16 * 2 ** 20 + 10_000_000, freq: 1, touched: 1 }])
    // a window straddling the change from stair 3 to stair 4 (at 30 s): half the ticks each
    const change = t.window(29_950_000, 30_050_000)
    assert.deepStrictEqual(change.segments.map((s) => s.freq), [0.5, 0.5])
  })

  it("a random pattern: each page's chance per tick and per window from the access rate", () => {
    // 1 MiB, 256 slots of 4 KiB, 256 accesses per second: every page at 1 access/s
    const config = Result.getOrThrow(MasimConfig.parseMasimConfig("r, 1048576\n\nphase\n1000\nr, 1, 4096, 1\n", "random.cfg"))
    const w = MasimTruth.make(info(config, 256), 5000).window(0, 100_000)
    assert.strictEqual(w.segments.length, 1)
    assert.closeTo(w.segments[0]!.freq, -Math.expm1(-0.005), 1e-12)
    assert.closeTo(w.segments[0]!.touched, -Math.expm1(-0.1), 1e-12)
  })
})
