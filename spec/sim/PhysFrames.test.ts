import { assert, describe, it } from "@effect/vitest"
import { makeRng } from "../../src/core/Rng.ts"
import { HUGE_PAGE_SIZE, type PageExtent } from "../../src/sim/PageExtent.ts"
import { PhysFrames, type PhysPiece } from "../../src/sim/PhysFrames.ts"
import type { RamRange } from "../../src/sim/PhysMem.ts"
import { SimProcess } from "../../src/sim/SimProcess.ts"
import { cfg, HUGE, MiB, PAGE } from "./support.ts"

// "hot" is swept every 0.33 ms; "cold" is never accessed.
const workload = cfg(`hot, ${16 * MiB}\ncold, ${16 * MiB}\n\np\n1000\nhot, 0, 4096, 1\n`)
const RAM: ReadonlyArray<RamRange> = [
  { start: MiB, end: 129 * MiB, nid: 0 },
  { start: 256 * MiB, end: 384 * MiB, nid: 1 }
]

/** Frames with one process (pid 42) whose initial mappings are backed. */
const setup = (ram: ReadonlyArray<RamRange> = RAM) => {
  const frames = new PhysFrames(ram)
  const p = new SimProcess({ pid: 42, workload }, makeRng(1))
  frames.addOwner(p)
  for (const v of p.initialVmas) frames.mapVma(p, v, 0)
  let mapped = 0
  for (const v of p.initialVmas) mapped += v.end - v.start
  return { frames, p, mapped, hot: p.regionStart[0]!, cold: p.regionStart[1]! }
}

/** Checks frames disjoint, congruent, on the right node, and free + owned = RAM. */
const checkFrames = (frames: PhysFrames) => {
  const all: Array<PageExtent> = []
  for (const o of frames.pageOwners()) all.push(...o.extents)
  let owned = 0
  for (const e of all) {
    owned += e.vEnd - e.vStart
    assert.strictEqual((e.pStart - e.vStart) % HUGE_PAGE_SIZE, 0, "2 MiB congruent frames")
    assert.strictEqual(frames.nodeOf(e.pStart), e.nid)
    assert.strictEqual(frames.nodeOf(e.pStart + (e.vEnd - e.vStart) - 1), e.nid)
  }
  all.sort((a, b) => a.pStart - b.pStart)
  for (let i = 1; i < all.length; i++) {
    assert.isAtMost(all[i - 1]!.pStart + (all[i - 1]!.vEnd - all[i - 1]!.vStart), all[i]!.pStart, "frames disjoint")
  }
  assert.strictEqual(frames.freeBytes() + owned, frames.totalBytes)
}

describe("PhysFrames", () => {
  it("knows the nodes and the System RAM", () => {
    const frames = new PhysFrames(RAM)
    assert.strictEqual(frames.totalBytes, 256 * MiB)
    assert.deepStrictEqual(frames.nodeIds, [0, 1])
    assert.strictEqual(frames.nodeSlots, 2)
    assert.strictEqual(frames.nodeTotalBytes(1), 128 * MiB)
    assert.strictEqual(frames.nodeTotalBytes(5), 0)
    assert.isTrue(frames.hasMemory(1))
    assert.isFalse(frames.hasMemory(2))
    assert.isFalse(frames.hasMemory(-1))
    assert.strictEqual(frames.nodeOf(300 * MiB), 1)
    assert.strictEqual(frames.nodeOf(200 * MiB), -1)
    assert.deepStrictEqual(frames.systemRamRanges(), [{ start: MiB, end: 129 * MiB }, { start: 256 * MiB, end: 384 * MiB }])
    frames.reserve(3 * PAGE + 1)
    assert.strictEqual(frames.freeBytes(), 256 * MiB - 4 * PAGE)
  })

  it("backs mappings with frames on the preferred node; the reverse map inverts translation", () => {
    const { frames, p, mapped, hot } = setup()
    assert.strictEqual(frames.freeBytes(), frames.totalBytes - mapped)
    assert.isTrue(p.extents.every((e) => e.nid === 0 && e.resident === 1 && e.active === (e.anon ? 0 : 1)))
    checkFrames(frames)
    const v = hot + 77 * PAGE + 5
    const pa = frames.translate(p, v)!
    assert.strictEqual(pa % HUGE, v % HUGE)
    assert.deepStrictEqual(frames.reverseMap(pa), { pid: 42, vaddr: v })
    assert.isUndefined(frames.translate(p, 0))
    assert.isUndefined(frames.translate(undefined, v))
    assert.isUndefined(frames.reverseMap(383 * MiB))
    assert.strictEqual(frames.extentCount(42), p.extents.length)
    assert.strictEqual(frames.extentCount(7), 0)
  })

  it("answers accessed bits through the reverse map, -1 on a free frame", () => {
    const { frames, p, hot, cold } = setup()
    const rng = makeRng(1)
    assert.strictEqual(frames.physYoung(frames.translate(p, hot + 9 * PAGE)!, 1000, 6000, rng), 1)
    assert.strictEqual(frames.folioSz, PAGE)
    assert.strictEqual(frames.physYoung(frames.translate(p, cold + 9 * PAGE)!, 1000, 6000, rng), 0)
    assert.strictEqual(frames.physYoung(383 * MiB, 1000, 6000, rng), -1)
  })

  it("frees the frames of unmapped ranges, and everything with infinite bounds", () => {
    const { frames, p, mapped, cold } = setup()
    const pa = frames.translate(p, cold)!
    frames.unmap(p, cold, cold + 4 * MiB)
    assert.strictEqual(frames.freeBytes(), frames.totalBytes - mapped + 4 * MiB)
    assert.isUndefined(frames.reverseMap(pa))
    checkFrames(frames)
    frames.unmap(p, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY)
    assert.strictEqual(p.extents.length, 0)
    assert.strictEqual(frames.freeBytes(), frames.totalBytes)
  })

  it("spills to other nodes when the preferred one is full, and throws when RAM runs out", () => {
    const small: ReadonlyArray<RamRange> = [{ start: MiB, end: 25 * MiB, nid: 0 }, { start: 32 * MiB, end: 64 * MiB, nid: 1 }]
    const { frames, p } = setup(small)
    assert.isTrue(p.extents.some((e) => e.nid === 1))
    checkFrames(frames)
    const big = { ...p.initialVmas[0]!, start: 0x600000000000, end: 0x600000000000 + 64 * MiB }
    assert.throws(() => frames.mapVma(p, big, 0), /out of memory/)
  })

  it("fills page cache: unmapped, file, never accessed, owned by pid 0 before the processes", () => {
    const frames = new PhysFrames(RAM)
    const cache = frames.addPageCache(8 * MiB, 1)
    const p = new SimProcess({ pid: 42, workload }, makeRng(1))
    frames.addOwner(p)
    assert.deepStrictEqual(frames.pageOwners(), [cache, p])
    assert.strictEqual(cache.pid, 0)
    assert.isTrue(cache.extents.every((e) => !e.mapped && !e.anon && e.vStart === e.pStart && e.regionIdx === -1))
    assert.strictEqual(frames.freeBytes(), frames.totalBytes - 8 * MiB)
    const pa = cache.extents[0]!.pStart + PAGE
    assert.deepStrictEqual(frames.reverseMap(pa), { pid: 0, vaddr: pa })
    assert.strictEqual(frames.physYoung(pa, 0, 1_000_000, makeRng(1)), 0)
  })

  describe("walk (paddr's folio walk)", () => {
    const walk = (frames: PhysFrames, start: number, end: number, skip = -1) => {
      const work: Array<PhysPiece> = []
      const last = frames.walk(start, end, skip, work)
      return { last, pieces: work.map((w) => [w.p.pid, w.vs, w.ve]) }
    }

    it("visits the folios of a range as virtual ranges; free frames end it with no last folio", () => {
      const { frames, p, cold } = setup()
      const pa = frames.translate(p, cold)!
      assert.deepStrictEqual(walk(frames, pa, pa + 8 * PAGE), { last: pa + 7 * PAGE, pieces: [[42, cold, cold + 8 * PAGE]] })
      // An unaligned start visits the page holding it, and keeps its offset: one page, then two.
      assert.deepStrictEqual(walk(frames, pa + 100, pa + PAGE + 100).pieces, [[42, cold, cold + PAGE]])
      assert.deepStrictEqual(walk(frames, pa + 100, pa + PAGE + 101).pieces, [[42, cold, cold + 2 * PAGE]])
      // Past the highest frame in use: nothing.
      assert.deepStrictEqual(walk(frames, 300 * MiB, 301 * MiB), { last: -1, pieces: [] })
    })

    it("skips last_applied wherever it meets it, and steps huge folios whole", () => {
      const { frames, p, cold } = setup()
      const pa = frames.translate(p, cold)!
      assert.deepStrictEqual(walk(frames, pa, pa + 4 * PAGE, pa + 2 * PAGE).pieces, [
        [42, cold, cold + 2 * PAGE],
        [42, cold + 3 * PAGE, cold + 4 * PAGE]
      ])
      // Make the first 4 MiB of "cold" two huge pages.
      const i = p.extents.findIndex((e) => e.vStart <= cold && cold < e.vEnd)
      const e = p.extents[i]!
      p.extents.splice(i, 1, { ...e, vEnd: cold, pStart: e.pStart }, { ...e, vStart: cold, vEnd: cold + 2 * HUGE, pStart: pa, huge: true, regionOff: e.regionOff + (cold - e.vStart) }, {
        ...e,
        vStart: cold + 2 * HUGE,
        pStart: pa + 2 * HUGE,
        regionOff: e.regionOff + (cold + 2 * HUGE - e.vStart)
      })
      if (p.extents[i]!.vEnd === p.extents[i]!.vStart) p.extents.splice(i, 1)
      frames.invalidate()
      // Entering a huge folio past its head: the whole folio, then the next one.
      assert.deepStrictEqual(walk(frames, pa + PAGE, pa + HUGE + 2 * PAGE), { last: pa + HUGE, pieces: [[42, cold, cold + 2 * HUGE]] })
      assert.deepStrictEqual(walk(frames, pa, pa + 2 * HUGE, pa).pieces, [[42, cold + HUGE, cold + 2 * HUGE]])
    })
  })

  it("keeps frames disjoint and accounted over random map/unmap sequences (seeded)", () => {
    const rng = makeRng(5)
    const { frames, p } = setup()
    const base = 0x600000000000
    const template = p.initialVmas.find((v) => v.anon)!
    for (let step = 0; step < 200; step++) {
      const start = base + rng.rand(0, 64) * MiB + rng.rand(0, 8) * PAGE
      const end = start + rng.rand(1, 2048) * PAGE
      frames.unmap(p, start, end)
      if (rng.rand(0, 2) === 0) frames.mapVma(p, { ...template, start, end, regionIdx: -1, regionOff: 0 }, step)
      checkFrames(frames)
      const e = p.extents[rng.rand(0, p.extents.length)]!
      const v = e.vStart + rng.rand(0, (e.vEnd - e.vStart) / PAGE) * PAGE
      assert.deepStrictEqual(frames.reverseMap(frames.translate(p, v)!), { pid: 42, vaddr: v })
    }
  })
})
