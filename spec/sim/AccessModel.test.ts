import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { makeRng } from "../../src/core/Rng.ts"
import { AccessModel } from "../../src/sim/AccessModel.ts"
import { type MasimConfig, parseMasimConfig } from "../../src/sim/MasimConfig.ts"

const cfg = (text: string): MasimConfig => {
  const r = parseMasimConfig(text, "t.cfg")
  if (Result.isFailure(r)) throw new Error(r.failure.message)
  return r.success
}

const MiB = 1024 * 1024
const PAGE = 4096

describe("AccessModel.uniformPageProbability", () => {
  it("answers what every page of the range gets from pageAccessProbability, or -1 where a page may not share it", () => {
    // a: random over 4 MiB at stride 64 (every page alike); b: stride 8192 (every other page untouched).
    const m = AccessModel.make(cfg(`a, ${4 * MiB}\nb, ${4 * MiB}\n\np\n1000\na, 1, 64, 1\nb, 1, 8192, 1\n`), { throughput: 2_000_000 })
    m.setWindow(0, 5000)
    const HUGE = 2 * MiB
    for (const sz of [PAGE, HUGE]) {
      const p = m.uniformPageProbability(0, 0, 4 * MiB, sz)
      assert.isAbove(p, 0)
      // An uncertain 4 KiB page (the caller draws); a 2 MiB one holds enough slots to be certain.
      if (sz === PAGE) assert.isBelow(p, 1)
      for (let lo = 0; lo < 4 * MiB; lo += sz) assert.strictEqual(m.pageAccessProbability(0, lo, lo + sz), p)
    }
    // Ranges where the shortcut does not hold for every page.
    assert.strictEqual(m.uniformPageProbability(0, -PAGE, MiB, PAGE), -1)
    assert.strictEqual(m.uniformPageProbability(0, 100, MiB + 100, PAGE), -1)
    assert.strictEqual(m.uniformPageProbability(0, 0, 4 * MiB + PAGE, PAGE), -1)
    assert.strictEqual(m.uniformPageProbability(0, 0, MiB, 8192), -1)
    assert.strictEqual(m.uniformPageProbability(1, 0, 4 * MiB, PAGE), -1)
  })
})

describe("AccessModel uniform-page tables", () => {
  it("are per window: a region first asked about in a later window answers as in a fresh model (200 seeded windows)", () => {
    const text = `a, ${4 * MiB}\nb, ${4 * MiB}\n\np\n7\na, 1, 64, 1\nb, 0, 4096, 1\n\nq\n5\nb, 1, 64, 1\na, 0, 4096, 1\n`
    const used = AccessModel.make(cfg(text), { throughput: 400_000 })
    const draw = makeRng(4)
    for (let w = 0; w < 200; w++) {
      const from = draw.rand(0, 30_000)
      const to = from + draw.rand(1, 6000)
      used.setWindow(from, to)
      const fresh = AccessModel.make(cfg(text), { throughput: 400_000 })
      fresh.setWindow(from, to)
      // Ask about one region (sometimes none) in this window; both regions in the next.
      const r = draw.rand(0, 3)
      for (const region of r === 2 ? [] : [r]) {
        for (const [lo, sz] of [[0, PAGE], [MiB, PAGE], [0, 2 * MiB]] as const) {
          assert.strictEqual(used.pageAccessProbability(region, lo, lo + sz), fresh.pageAccessProbability(region, lo, lo + sz), `window ${w}`)
          assert.strictEqual(used.uniformPageProbability(region, 0, 4 * MiB, sz), fresh.uniformPageProbability(region, 0, 4 * MiB, sz), `window ${w}`)
        }
      }
    }
  })
})

describe("AccessModel.cursorIntervals", () => {
  it("answers like pageAccessProbability for every page, at every window: part of a sweep, wrapping, whole, two cursors (400 windows)", () => {
    // A region that is not a whole number of pages (its last page is partial), two cursors in
    // phase q (stride 4096 and 512), and a phase with a random stream (no intervals then).
    const size = 10_000_000
    const m = AccessModel.make(
      cfg(`a, ${size}\n\np\n7\na, 0, 4096, 1\n\nq\n5\na, 0, 4096, 1\na, 0, 512, 1\n\nr\n3\na, 1, 64, 1\n`),
      { throughput: 300_000 }
    )
    const draw = makeRng(11)
    let answered = 0
    for (let w = 0; w < 400; w++) {
      const from = draw.rand(0, 40_000)
      m.setWindow(from, from + draw.rand(1, 9000))
      for (const sz of [PAGE, 2 * MiB]) {
        const n = m.cursorIntervals(0, sz)
        if (n < 0) continue
        answered++
        // Offsets on and off the page grid, before, inside and past the region.
        for (const shift of [0, 1000]) {
          for (let o = shift - sz; o < size + sz; o += sz) {
            let hit = false
            for (let j = 0; j < n; j++) hit ||= o <= m.intervals[2 * j + 1]! && o + sz > m.intervals[2 * j]!
            const expected = m.pageAccessProbability(0, o, o + sz)
            // the message is built only for a mismatch (a million comparisons)
            if ((hit ? 1 : 0) !== expected) assert.strictEqual(hit ? 1 : 0, expected, `window ${w} page ${o} size ${sz}`)
          }
        }
      }
    }
    assert.isAbove(answered, 200)
    // Pages shorter than a cursor's stride may hold no slot; a random stream needs draws.
    m.setWindow(1000, 3000)
    assert.isAtLeast(m.cursorIntervals(0, PAGE), 1)
    assert.strictEqual(m.cursorIntervals(0, 2048), -1)
    m.setWindow(12_500, 13_500)
    assert.strictEqual(m.cursorIntervals(0, PAGE), -1)
  })
})

describe("AccessModel random patterns", () => {
  // 1 MiB, stride 64: 16384 slots, 64 per page. Throughput 25600/s gives Λ = 0.5 per page per 5 ms.
  const model = AccessModel.make(cfg(`a, ${MiB}\n\np\n1000\na, 1, 64, 1\n`), { throughput: 25_600 })

  it("gives each page the Poisson probability 1 - exp(-Λ)", () => {
    model.setWindow(0, 5000)
    assert.closeTo(model.pageAccessProbability(0, 0, PAGE), 1 - Math.exp(-0.5), 1e-12)
    assert.closeTo(model.pageAccessProbability(0, 100 * PAGE, 101 * PAGE), 1 - Math.exp(-0.5), 1e-12)
    // A 2 MiB range is clipped to the 1 MiB region: 256 times the slots of a page.
    model.setWindow(0, 5000 / 256)
    assert.closeTo(model.pageAccessProbability(0, 0, 2 * MiB), 1 - Math.exp(-0.5), 1e-9)
  })

  it("matches 1 - exp(-Λ) in observed frequency over many windows (seeded)", () => {
    const rng = makeRng(2024)
    let hits = 0
    const n = 40_000
    for (let i = 0; i < n; i++) {
      model.setWindow(i * 5000, (i + 1) * 5000)
      const page = rng.rand(0, 256)
      if (model.pageAccessed(0, page * PAGE, (page + 1) * PAGE, rng)) hits++
    }
    // sd = sqrt(p(1-p)/n) ~ 0.0024; allow 4 sd.
    assert.closeTo(hits / n, 1 - Math.exp(-0.5), 0.01)
  })

  it("is deterministic for a seed and differs across seeds", () => {
    const run = (seed: number) => {
      const rng = makeRng(seed)
      const out: Array<boolean> = []
      for (let i = 0; i < 200; i++) {
        model.setWindow(i * 5000, (i + 1) * 5000)
        out.push(model.pageAccessed(0, (i % 256) * PAGE, (i % 256 + 1) * PAGE, rng))
      }
      return out
    }
    assert.deepStrictEqual(run(7), run(7))
    assert.notDeepEqual(run(7), run(8))
  })

  it("never touches pages that hold no stride multiple", () => {
    const m = AccessModel.make(cfg(`a, ${MiB}\n\np\n1000\na, 1, 8192, 1\n`))
    m.setWindow(0, 1_000_000)
    for (let page = 0; page < 256; page++) {
      const p = m.pageAccessProbability(0, page * PAGE, (page + 1) * PAGE)
      if (page % 2 === 0) assert.isAbove(p, 0.99)
      else assert.strictEqual(p, 0)
    }
  })

  it("counts the slots of a page exactly when the stride does not divide the page", () => {
    // Stride 3000: page 0 holds offsets 0 and 3000, page 1 holds 6000 only.
    const m = AccessModel.make(cfg(`a, ${MiB}\n\np\n1000\na, 1, 3000, 1\n`), { throughput: 1000 })
    m.setWindow(0, 1000)
    const slots = Math.floor(MiB / 3000)
    const l = (1000 / slots) * 0.001
    assert.closeTo(m.pageAccessProbability(0, 0, PAGE), -Math.expm1(-2 * l), 1e-15)
    assert.closeTo(m.pageAccessProbability(0, PAGE, 2 * PAGE), -Math.expm1(-l), 1e-15)
  })

  it("sums the rates of random patterns of one region and splits throughput by weight", () => {
    const one = AccessModel.make(cfg(`a, ${MiB}\nb, ${MiB}\n\np\n1000\na, 1, 64, 3\nb, 1, 64, 1\n`), { throughput: 25_600 })
    const two = AccessModel.make(cfg(`a, ${MiB}\nb, ${MiB}\n\np\n1000\na, 1, 64, 1\na, 1, 64, 2\nb, 1, 64, 1\n`), { throughput: 25_600 })
    one.setWindow(0, 5000)
    two.setWindow(0, 5000)
    const pa = one.pageAccessProbability(0, 0, PAGE)
    assert.closeTo(pa, -Math.expm1(-0.5 * 0.75), 1e-12)
    assert.closeTo(one.pageAccessProbability(1, 0, PAGE), -Math.expm1(-0.5 * 0.25), 1e-12)
    assert.closeTo(two.pageAccessProbability(0, 0, PAGE), pa, 1e-12)
  })

  it("integrates Λ exactly over windows spanning many cycles", () => {
    // Phase p (1 ms) gives region a half the throughput, phase q (3 ms) all of it. At full rate a
    // page gets Λ = 1e-4 per µs, so a 4 ms cycle adds 0.05 + 0.3.
    const m = AccessModel.make(cfg(`a, ${MiB}\nb, ${MiB}\n\np\n1\na, 1, 64, 1\nb, 1, 64, 1\n\nq\n3\na, 1, 64, 1\n`), {
      throughput: 25_600
    })
    m.setWindow(1234, 1234 + 10 * 4000 + 500)
    assert.closeTo(m.pageAccessProbability(0, 0, PAGE), -Math.expm1(-(10 * 0.35 + 0.05)), 1e-12)
    m.setWindow(500, 1500)
    assert.closeTo(m.pageAccessProbability(0, 0, PAGE), -Math.expm1(-(0.025 + 0.05)), 1e-12)
    assert.closeTo(m.pageAccessProbability(1, 0, PAGE), -Math.expm1(-0.025), 1e-12)
  })
})

describe("AccessModel sequential patterns", () => {
  // 1 MiB = 256 pages, stride 4096: one page per access; 1000 accesses/s = one page per ms.
  const model = AccessModel.make(cfg(`a, ${MiB}\n\np\n1000\na, 0, 4096, 1\n`), { throughput: 1000 })
  const touched = (from: number, to: number) => {
    model.setWindow(from, to)
    const out: Array<number> = []
    for (let page = 0; page < 256; page++) {
      const p = model.pageAccessProbability(0, page * PAGE, (page + 1) * PAGE)
      assert.isTrue(p === 0 || p === 1, "a sweep is deterministic")
      if (p === 1) out.push(page)
    }
    return out
  }

  it("sweeps exactly the pages the cursor passes", () => {
    assert.deepStrictEqual(touched(0, 10_000), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    assert.deepStrictEqual(touched(10_000, 12_000), [10, 11])
    assert.deepStrictEqual(touched(10_500, 11_500), [11])
  })

  it("wraps at the end of the region and covers everything in a long window", () => {
    assert.deepStrictEqual(touched(250_000, 260_000), [0, 1, 2, 3, 250, 251, 252, 253, 254, 255])
    assert.strictEqual(touched(100_000, 400_000).length, 256)
  })

  it("restarts at slot 0 in each phase instance (looping)", () => {
    // The phase lasts 1000 ms: the cursor wraps at 256 ms and restarts at 1000 ms.
    assert.deepStrictEqual(touched(1_000_000, 1_003_000), [0, 1, 2])
    assert.deepStrictEqual(touched(999_000, 1_001_000), [0, 231])
  })

  it("touches only pages holding a stride multiple when the stride exceeds the page", () => {
    const m = AccessModel.make(cfg(`a, ${MiB}\n\np\n1000\na, 0, 12288, 1\n`))
    m.setWindow(0, 1_000_000)
    for (let page = 0; page < 256; page++) {
      assert.strictEqual(m.pageAccessProbability(0, page * PAGE, (page + 1) * PAGE), page % 3 === 0 ? 1 : 0)
    }
  })

  it("answers the expected touched fraction of a range exactly", () => {
    assert.closeTo(model.touchedFraction(0, 0, MiB, PAGE, 0, 10_000), 10 / 256, 1e-12)
    assert.closeTo(model.touchedFraction(0, 0, 16 * PAGE, PAGE, 0, 10_000), 10 / 16, 1e-12)
    assert.strictEqual(model.touchedFraction(0, 32 * PAGE, 64 * PAGE, PAGE, 0, 10_000), 0)
  })

  it("counts the union of a cursor's visits over phase instances and wraps, as the sweep touches them", () => {
    // Windows across the wrap at 256 ms and the restart at 1000 ms: one to four visited
    // intervals per window, out of order (a wrapped piece starts at slot 0), some overlapping.
    const windows: ReadonlyArray<readonly [number, number]> = [
      [999_000, 1_001_000],
      [900_000, 1_100_000],
      [200_000, 300_000],
      [700_000, 2_300_000],
      [1_240_000, 2_020_000],
      [0, 256_000]
    ]
    for (const [from, to] of windows) {
      const pages = touched(from, to)
      assert.strictEqual(model.touchedFraction(0, 0, MiB, PAGE, from, to), pages.length / 256, `${from}-${to}`)
      const inMiddle = pages.filter((p) => p >= 64 && p < 192).length
      assert.strictEqual(model.touchedFraction(0, 64 * PAGE, 192 * PAGE, PAGE, from, to), inMiddle / 128, `${from}-${to} middle`)
    }
    assert.strictEqual(touched(900_000, 1_100_000).length, 200, "132..231 of one instance, 0..99 of the next")
  })
})

describe("AccessModel phases", () => {
  const text = `a, ${MiB}\nb, ${MiB}\n\nA\n100\na, 0, 4096, 1\n\nB\n100\nb, 0, 4096, 1\n`
  const looping = AccessModel.make(cfg(text))
  const once = AccessModel.make(cfg(text), { loop: false })
  const hot = (m: AccessModel, from: number, to: number) => {
    m.setWindow(from, to)
    return [m.pageAccessProbability(0, 0, PAGE), m.pageAccessProbability(1, 0, PAGE)]
  }

  it("switches the hot region at phase boundaries", () => {
    assert.deepStrictEqual(hot(looping, 10_000, 20_000), [1, 0])
    assert.deepStrictEqual(hot(looping, 110_000, 120_000), [0, 1])
    assert.deepStrictEqual(hot(looping, 90_000, 110_000), [1, 1])
    assert.strictEqual(looping.phaseAt(150_000), 1)
  })

  it("repeats the phases when looping and stops after the last one otherwise", () => {
    assert.deepStrictEqual(hot(looping, 210_000, 220_000), [1, 0])
    assert.strictEqual(looping.phaseAt(250_000), 0)
    assert.deepStrictEqual(hot(once, 210_000, 220_000), [0, 0])
    assert.deepStrictEqual(hot(once, 190_000, 220_000), [0, 1])
    assert.strictEqual(once.phaseAt(250_000), -1)
  })

  it("has nothing to access in an empty or negative window", () => {
    assert.deepStrictEqual(hot(looping, 5000, 5000), [0, 0])
    assert.deepStrictEqual(hot(looping, -50, 0), [0, 0])
  })

  it("rejects a non-positive throughput", () => {
    assert.throws(() => AccessModel.make(cfg(text), { throughput: 0 }))
  })
})
