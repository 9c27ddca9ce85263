import { assert, describe, it } from "@effect/vitest"
import { makeRng, type Rng } from "../../src/core/Rng.ts"
import { makeOutcome } from "../../src/ops/AddressSpace.ts"
import { lruMoveIsNoop, type Tally } from "../../src/sim/LruNoop.ts"
import { coalesce, lowerBound, type PageExtent, PAGE_SIZE, pages, splitAt } from "../../src/sim/PageExtent.ts"
import { SimProcess } from "../../src/sim/SimProcess.ts"
import { MiB } from "./support.ts"

const owner = new SimProcess({ pid: 9 }, makeRng(1))

/**
 * A list of base-page extents with gaps, runs that `coalesce` would merge but nothing merged yet
 * (as refaults settled in place leave them), and LRU fractions mostly on the target list.
 */
const randomList = (rng: Rng, onList: number): Array<PageExtent> => {
  const list: Array<PageExtent> = []
  let v = rng.rand(0, 4) * PAGE_SIZE
  let p = 64 * MiB
  for (let k = rng.rand(1, 9); k > 0; k--) {
    const len = rng.rand(1, 7) * PAGE_SIZE
    if (rng.rand(0, 4) === 0) p += PAGE_SIZE
    list.push({
      owner,
      vStart: v,
      vEnd: v + len,
      pStart: p,
      nid: 0,
      huge: false,
      anon: true,
      mapped: true,
      memcgId: 1,
      resident: rng.rand(0, 12) === 0 ? 0.5 : 1,
      active: rng.rand(0, 6) === 0 ? 1 - onList : onList,
      pagedOutAtUs: rng.rand(0, 2) * 100,
      refaultBase: 1,
      youngSinceUs: rng.rand(0, 3) === 0 ? 5 : 0,
      regionIdx: 0,
      regionOff: v,
      vmaStart: 0,
      vmaPgoff: 0
    })
    v += len + (rng.rand(0, 3) === 0 ? rng.rand(1, 3) * PAGE_SIZE : 0)
    p += len
  }
  return list
}

const plain = (list: ReadonlyArray<PageExtent>) => list.map(({ owner: _, ...rest }) => rest)

/**
 * The general walk of `ActionEffects.applyRange` for an LRU move without ops filters, on
 * resident base pages already on the target list: split at both ends, account per piece,
 * merge from the piece before the first to the piece after the last.
 */
const referenceWalk = (list: Array<PageExtent>, start: number, end: number, out: ReturnType<typeof makeOutcome>, acc: Tally) => {
  splitAt(list, start)
  splitAt(list, end)
  const i0 = lowerBound(list, start)
  let i = i0
  while (i < list.length && list[i]!.vStart < end) {
    const e = list[i]!
    const residentPages = e.resident * pages(e)
    out.folios += Math.round(residentPages / 1)
    const passed = 1 * residentPages
    acc.passed += passed
    acc.affected += passed
    out.lastFolio = e.pStart + (e.vEnd - e.vStart) - PAGE_SIZE
    i++
  }
  coalesce(list, i0, i)
}

describe("lruMoveIsNoop", () => {
  // 2 000 seeded cases, about 0.1 s: lists of 1-8 extents with gaps and unmerged runs, ranges
  // that start and end inside extents, on their edges and in gaps
  it("accounts and merges exactly as the split-and-merge walk, or changes nothing", () => {
    const rng = makeRng(20261207)
    let handled = 0
    for (let c = 0; c < 2000; c++) {
      const action = rng.rand(0, 2) === 0 ? "activate" : "deactivate"
      const onList = action === "activate" ? 1 : 0
      const list = randomList(rng, onList)
      const lo = list[0]!.vStart
      const hi = list[list.length - 1]!.vEnd
      const start = Math.max(0, lo + (rng.rand(0, (hi - lo) / PAGE_SIZE + 2) - 1) * PAGE_SIZE)
      const end = Math.min(hi + PAGE_SIZE, start + rng.rand(1, (hi - start) / PAGE_SIZE + 2) * PAGE_SIZE)
      const first = lowerBound(list, start)
      if (first === list.length || list[first]!.vStart >= end) continue // nothing mapped: never asked
      const before = plain(list)
      const copy = list.map((e) => ({ ...e }))
      const out = makeOutcome()
      const acc = { affected: 0, passed: 0 }
      const done = lruMoveIsNoop(list, start, end, action, out, acc)
      const msg = `case ${c}: ${action} [${start}, ${end}) over ${JSON.stringify(before.map((e) => [e.vStart, e.vEnd, e.active, e.resident]))}`
      let eligible = true
      for (let i = first; i < copy.length && copy[i]!.vStart < end; i++) {
        if (copy[i]!.resident < 1 || copy[i]!.active !== onList) eligible = false
      }
      assert.strictEqual(done, eligible, msg)
      if (!done) {
        assert.deepStrictEqual(plain(list), before, msg)
        assert.deepStrictEqual([out, acc], [makeOutcome(), { affected: 0, passed: 0 }], msg)
        continue
      }
      handled++
      const refOut = makeOutcome()
      const refAcc = { affected: 0, passed: 0 }
      referenceWalk(copy, start, end, refOut, refAcc)
      assert.deepStrictEqual(plain(list), plain(copy), msg)
      assert.deepStrictEqual([out, acc], [refOut, refAcc], msg)
    }
    assert.isAbove(handled, 500)
  })

  it("refuses huge extents, whose split would turn a huge page into base pages", () => {
    const list = randomList(makeRng(3), 0).map((e) => ({ ...e, resident: 1, active: 0 }))
    list[0] = { ...list[0]!, huge: true }
    const before = plain(list)
    assert.isFalse(lruMoveIsNoop(list, list[0]!.vStart, list[0]!.vEnd, "deactivate", makeOutcome(), { affected: 0, passed: 0 }))
    assert.deepStrictEqual(plain(list), before)
  })
})
