import { assert, describe, it } from "@effect/vitest"
import { makeRng } from "../../src/core/Rng.ts"
import { makeChain } from "../../src/ops/FolioFilter.ts"
import { passFraction } from "../../src/sim/ExtentFilter.ts"
import { coalesce, HUGE_PAGE_SIZE, type PageExtent, PAGE_SIZE, splitAt } from "../../src/sim/PageExtent.ts"
import { FrameAllocator } from "../../src/sim/PhysMem.ts"
import { SimProcess } from "../../src/sim/SimProcess.ts"
import { MiB } from "./support.ts"

const owner = new SimProcess({ pid: 9 }, makeRng(1))

const extent = (vStart: number, vEnd: number, over: Partial<PageExtent> = {}): PageExtent => ({
  owner,
  vStart,
  vEnd,
  pStart: vStart + 64 * MiB,
  nid: 0,
  huge: false,
  anon: true,
  mapped: true,
  memcgId: 1,
  resident: 1,
  active: 0,
  pagedOutAtUs: 0,
  refaultBase: 1,
  youngSinceUs: 0,
  regionIdx: 0,
  regionOff: vStart,
  vmaStart: 0,
  vmaPgoff: 0,
  ...over
})

describe("PageExtent", () => {
  it("splits a huge extent at an unaligned address into huge, base and huge parts", () => {
    const list = [extent(0, 3 * HUGE_PAGE_SIZE, { huge: true })]
    assert.isTrue(splitAt(list, HUGE_PAGE_SIZE + PAGE_SIZE))
    assert.deepStrictEqual(
      list.map((e) => [e.vStart, e.vEnd, e.huge, e.pStart - e.vStart, e.regionOff - e.vStart]),
      [
        [0, HUGE_PAGE_SIZE, true, 64 * MiB, 0],
        [HUGE_PAGE_SIZE, HUGE_PAGE_SIZE + PAGE_SIZE, false, 64 * MiB, 0],
        [HUGE_PAGE_SIZE + PAGE_SIZE, 2 * HUGE_PAGE_SIZE, false, 64 * MiB, 0],
        [2 * HUGE_PAGE_SIZE, 3 * HUGE_PAGE_SIZE, true, 64 * MiB, 0]
      ]
    )
    assert.isFalse(splitAt(list, HUGE_PAGE_SIZE))
    assert.isFalse(splitAt(list, 10 * HUGE_PAGE_SIZE))
  })

  it("coalesces neighbours with identical state and contiguous frames only", () => {
    const list = [extent(0, PAGE_SIZE), extent(PAGE_SIZE, 2 * PAGE_SIZE), extent(2 * PAGE_SIZE, 3 * PAGE_SIZE, { active: 1 })]
    coalesce(list, 0, list.length - 1)
    assert.deepStrictEqual(list.map((e) => [e.vStart, e.vEnd]), [[0, 2 * PAGE_SIZE], [2 * PAGE_SIZE, 3 * PAGE_SIZE]])
    const gap = [extent(0, PAGE_SIZE), { ...extent(PAGE_SIZE, 2 * PAGE_SIZE), pStart: 0 }]
    coalesce(gap, 0, 1)
    assert.strictEqual(gap.length, 2)
  })
})

describe("FrameAllocator", () => {
  it("allocates congruent frames, whole when possible, and merges on release", () => {
    const a = new FrameAllocator([{ start: MiB, end: 65 * MiB, nid: 0 }, { start: 128 * MiB, end: 192 * MiB, nid: 1 }])
    const p1 = a.allocate(0x7f0000123000, 8 * MiB, [0, 1])
    assert.strictEqual(p1.length, 1)
    assert.strictEqual((p1[0]!.pStart - 0x7f0000123000) % (2 * MiB), 0)
    assert.strictEqual(a.freeBytes(0), 64 * MiB - 8 * MiB)
    // Too big for node 0: pieces over both nodes, in preference order.
    const p2 = a.allocate(0x7f1000000000, 100 * MiB, [0, 1])
    let got = 0
    for (const p of p2) got += p.len
    assert.strictEqual(got, 100 * MiB)
    assert.strictEqual(p2[p2.length - 1]!.nid, 1)
    // Strict: nothing left on node 0 beyond fragments that cannot host 1 GiB.
    assert.isBelow(a.allocate(0, 1024 * MiB, [0]).reduce((n, p) => n + p.len, 0), 1024 * MiB)
    const before = a.freeBytes()
    for (const p of p2) a.release(p.pStart, p.len)
    assert.strictEqual(a.freeBytes(), before + 100 * MiB)
    assert.strictEqual(a.nodeOf(130 * MiB), 1)
    assert.strictEqual(a.nodeOf(100 * MiB), -1)
  })
})

describe("passFraction", () => {
  const e = extent(0, PAGE_SIZE, { active: 0.25, memcgId: 3 })
  const scratch = { youngReached: false, passActive: 0 }

  it("lets everything pass when a core allow filter matched, and applies the default verdict", () => {
    const chain = makeChain([{ type: "anon", matching: false, allow: true }], true, true)
    assert.strictEqual(passFraction(chain, e, 0.5, scratch), 1)
    assert.isFalse(scratch.youngReached)
    assert.strictEqual(passFraction(makeChain([], false, true), e, 0, scratch), 0)
    assert.strictEqual(passFraction(makeChain([{ type: "anon", matching: false, allow: true }], false, true), e, 0, scratch), 0)
    assert.strictEqual(passFraction(makeChain([{ type: "anon", matching: false, allow: true }], false, false), e, 0, scratch), 1)
  })

  it("splits young and active sub-populations by their fractions; the first match decides", () => {
    const young = makeChain([{ type: "young", matching: true, allow: false }], false, false)
    assert.closeTo(passFraction(young, e, 0.3, scratch), 0.7, 1e-12)
    assert.isTrue(scratch.youngReached)
    const activeThenYoung = makeChain(
      [
        { type: "active", matching: true, allow: true },
        { type: "young", matching: true, allow: false }
      ],
      false,
      false
    )
    // Active folios (25 %) pass; of the rest, the non-young (70 %) pass by default.
    assert.closeTo(passFraction(activeThenYoung, e, 0.3, scratch), 0.25 + 0.75 * 0.7, 1e-12)
    const memcg = makeChain([{ type: "memcg", matching: true, allow: true, memcgId: 3 }], false, true)
    assert.strictEqual(passFraction(memcg, e, 0, scratch), 1)
    const size = makeChain([{ type: "hugepage_size", matching: true, allow: true, szRange: { min: PAGE_SIZE, max: PAGE_SIZE } }], false, true)
    assert.strictEqual(passFraction(size, e, 0, scratch), 1)
    assert.strictEqual(passFraction(size, { ...e, huge: true }, 0, scratch), 0)
  })

  it("reports which share of the passing folios is active (the LRU effects follow it)", () => {
    // An active filter splits the LRU lists: only the active folios (25 %) pass, or only the rest.
    const onlyActive = makeChain([{ type: "active", matching: true, allow: true }], false, true)
    assert.strictEqual(passFraction(onlyActive, e, 0, scratch), 0.25)
    assert.strictEqual(scratch.passActive, 0.25)
    const onlyInactive = makeChain([{ type: "active", matching: true, allow: false }], false, false)
    assert.strictEqual(passFraction(onlyInactive, e, 0, scratch), 0.75)
    assert.strictEqual(scratch.passActive, 0)
    // Young and active are independent: non-young active folios are 0.7 x 0.25 of all.
    const activeNotYoung = makeChain(
      [
        { type: "young", matching: true, allow: false },
        { type: "active", matching: true, allow: true }
      ],
      false,
      true
    )
    assert.closeTo(passFraction(activeNotYoung, e, 0.3, scratch), 0.7 * 0.25, 1e-12)
    assert.closeTo(scratch.passActive, 0.7 * 0.25, 1e-12)
    // Without an active filter the passing folios are active in the extent's proportion.
    const young = makeChain([{ type: "young", matching: true, allow: false }], false, false)
    assert.closeTo(passFraction(young, e, 0.3, scratch), 0.7, 1e-12)
    assert.closeTo(scratch.passActive, 0.7 * 0.25, 1e-12)
    passFraction(makeChain([], false, true), e, 0, scratch)
    assert.strictEqual(scratch.passActive, 0)
    passFraction(makeChain([{ type: "anon", matching: false, allow: true }], true, true), e, 0, scratch)
    assert.strictEqual(scratch.passActive, 0.25)
  })
})
