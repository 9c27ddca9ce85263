import { assert, describe, it } from "@effect/vitest"
import { makeRng } from "../../src/core/Rng.ts"
import { type AccountingOptions, MemAccounting } from "../../src/sim/MemAccounting.ts"
import type { PageExtent } from "../../src/sim/PageExtent.ts"
import { PhysFrames } from "../../src/sim/PhysFrames.ts"
import type { RamRange } from "../../src/sim/PhysMem.ts"
import { SimProcess } from "../../src/sim/SimProcess.ts"
import { cfg, MiB, PAGE } from "./support.ts"

// "hot" is swept every 0.33 ms; "cold" is never accessed.
const workload = cfg(`hot, ${16 * MiB}\ncold, ${16 * MiB}\n\np\n1000\nhot, 0, 4096, 1\n`)
const RAM: ReadonlyArray<RamRange> = [
  { start: MiB, end: 129 * MiB, nid: 0 },
  { start: 256 * MiB, end: 384 * MiB, nid: 1 }
]

/** A clock that follows the latest time and records the times asked for. */
const testClock = () => {
  const asked: Array<number> = []
  return {
    asked,
    nowUs: 0,
    advance(nowUs: number) {
      asked.push(nowUs)
      if (nowUs > this.nowUs) this.nowUs = nowUs
    }
  }
}

/** Accounting over frames holding one process (pid 42, memcg 3) and optional page cache. */
const setup = (options: Partial<AccountingOptions> & { readonly pageCacheBytes?: number } = {}) => {
  const frames = new PhysFrames(RAM)
  if (options.pageCacheBytes !== undefined) frames.addPageCache(options.pageCacheBytes, 1)
  const p = new SimProcess({ pid: 42, workload, memcgId: 3 }, makeRng(1))
  frames.addOwner(p)
  for (const v of p.initialVmas) frames.mapVma(p, v, 0)
  const clock = testClock()
  const acc = new MemAccounting(frames, clock, {
    reservedBytes: 0,
    refaultStallUs: 50,
    minFreePermil: 50,
    isProcess: (pid) => pid === 42,
    ...options
  })
  let mapped = 0
  for (const v of p.initialVmas) mapped += v.end - v.start
  const region = (i: number) => p.extents.filter((e) => e.regionIdx === i)
  return { frames, p, clock, acc, mapped, region }
}

/** Pages out `extents` at `atUs` (as a pageout action would), then tells the accounting. */
const pageOut = (acc: MemAccounting, extents: ReadonlyArray<PageExtent>, atUs: number) => {
  for (const e of extents) {
    e.resident = 0
    e.pagedOutAtUs = atUs
    e.refaultBase = 0
  }
  acc.invalidate()
}

describe("MemAccounting", () => {
  it("counts resident pages and reserved memory per node and per memcg", () => {
    const { acc, mapped, frames } = setup({ reservedBytes: 2 * MiB })
    assert.strictEqual(acc.usedBytes(0), mapped + 2 * MiB)
    assert.strictEqual(acc.nodeUsedBytes(0, 0), mapped + 2 * MiB)
    assert.strictEqual(acc.nodeUsedBytes(1, 0), 0)
    assert.strictEqual(acc.nodeUsedBytes(7, 0), 0)
    assert.strictEqual(acc.residentBytes(0, 42), mapped)
    const total0 = frames.nodeTotalBytes(0)
    assert.strictEqual(acc.nodeMemUsedBp(0, 0), Math.floor(((mapped + 2 * MiB) * 10000) / total0))
    assert.strictEqual(acc.nodeMemFreeBp(0, 0), Math.floor(((total0 - mapped - 2 * MiB) * 10000) / total0))
    assert.strictEqual(acc.nodeMemcgUsedBp(0, 3, 0), Math.floor((mapped * 10000) / total0))
    assert.strictEqual(acc.nodeMemcgUsedBp(0, 4, 0), 0)
    assert.strictEqual(acc.nodeMemUsedBp(9, 0), 0)
    assert.strictEqual(acc.nodeMemFreeBp(9, 0), 10000)
    assert.strictEqual(acc.freeMemRatePermil(0), Math.floor(((256 * MiB - mapped - 2 * MiB) * 1000) / (256 * MiB)))
  })

  it("leaves page cache out of the processes' resident bytes but not out of memory use", () => {
    const { acc, mapped } = setup({ pageCacheBytes: 8 * MiB })
    assert.strictEqual(acc.residentBytes(0), mapped)
    assert.strictEqual(acc.residentBytes(0, 0), 8 * MiB)
    assert.strictEqual(acc.usedBytes(0), mapped + 8 * MiB)
    // Page cache joins the inactive list (file mappings of the process are on the active one).
    const without = setup()
    assert.isAbove(acc.inactiveMemBp(0), without.acc.inactiveMemBp(0))
    assert.isAbove(without.acc.activeMemBp(0), 0)
  })

  it("brings the machine to the time of every read first", () => {
    const { acc, clock } = setup()
    acc.usedBytes(5000)
    acc.metrics.someMemPsiTotalUs(7000)
    acc.metrics.nodeMemUsedBp(0, 8000)
    assert.deepStrictEqual(clock.asked, [5000, 7000, 8000])
    // An unknown node answers without reading.
    acc.nodeMemUsedBp(9, 9000)
    assert.strictEqual(clock.nowUs, 8000)
  })

  it("caches the statistics until invalidated", () => {
    const { acc, region } = setup()
    const used = acc.usedBytes(0)
    for (const e of region(1)) e.resident = 0
    assert.strictEqual(acc.usedBytes(0), used)
    acc.invalidate()
    assert.strictEqual(acc.usedBytes(0), used - 16 * MiB)
  })

  it("settles refaults of touched pages: resident again, active, counted, stalling", () => {
    const { acc, region } = setup()
    const used = acc.usedBytes(0)
    pageOut(acc, region(0), 1000)
    pageOut(acc, region(1), 1000)
    assert.strictEqual(acc.usedBytes(1000), used - 32 * MiB)
    // By 1 s the sweep touched every hot page once more; cold pages stay out.
    assert.strictEqual(acc.usedBytes(1_000_000), used - 16 * MiB)
    assert.closeTo(acc.refaultPages(1_000_000), (16 * MiB) / PAGE, 1e-6)
    assert.strictEqual(acc.someMemPsiTotalUs(1_000_000), ((16 * MiB) / PAGE) * 50)
    assert.isTrue(region(0).every((e) => e.resident === 1 && e.active === 1))
    // settle on its own: nothing more to bring back.
    assert.isFalse(acc.settle(region(0)[0]!, 2_000_000))
    assert.isFalse(acc.settle(region(1)[0]!, 2_000_000))
  })

  it("integrates stall time while free memory is below the minimum", () => {
    const { acc } = setup({ minFreePermil: 950 })
    const free = acc.freeMemRatePermil(0)
    assert.isBelow(free, 950)
    acc.elapsed(0, 1_000_000)
    const expected = Math.floor(((950 - free) / 950) * 1_000_000)
    assert.strictEqual(acc.someMemPsiTotalUs(0), expected)
    // No shortage: no stall.
    const relaxed = setup()
    relaxed.acc.elapsed(0, 1_000_000)
    assert.strictEqual(relaxed.acc.someMemPsiTotalUs(0), 0)
  })

  it("never decreases PSI or refaults, and keeps the LRU balance whole, over random reads (seeded)", () => {
    const rng = makeRng(3)
    const { acc, region, p } = setup({ minFreePermil: 900 })
    let now = 0
    let psi = 0
    let refaults = 0
    for (let step = 0; step < 300; step++) {
      const t = now + rng.rand(0, 50_000)
      acc.elapsed(now, t)
      now = t
      if (rng.rand(0, 5) === 0) {
        const rs = region(rng.rand(0, 2))
        pageOut(acc, rs.slice(0, Math.max(1, rng.rand(0, rs.length + 1))), now)
      }
      const nextPsi = acc.someMemPsiTotalUs(now)
      const nextRefaults = acc.refaultPages(now)
      assert.isAtLeast(nextPsi, psi)
      assert.isAtLeast(nextRefaults, refaults)
      psi = nextPsi
      refaults = nextRefaults
      const sum = acc.activeMemBp(now) + acc.inactiveMemBp(now)
      assert.isTrue(sum >= 9998 && sum <= 10000, `LRU balance ${sum}`)
      assert.isTrue(p.extents.every((e) => e.resident >= 0 && e.resident <= 1 && e.active >= 0 && e.active <= 1))
    }
  })
})
