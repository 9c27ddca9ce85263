import { assert, describe, it } from "@effect/vitest"
import { makeRng } from "../../src/core/Rng.ts"
import type { ActionRequest } from "../../src/ops/AddressSpace.ts"
import { interleaveCounts, migrate } from "../../src/sim/Migration.ts"
import type { PageExtent } from "../../src/sim/PageExtent.ts"
import { PhysFrames } from "../../src/sim/PhysFrames.ts"
import { SimProcess } from "../../src/sim/SimProcess.ts"
import { MiB, PAGE } from "./support.ts"

const owner = new SimProcess({ pid: 9 }, makeRng(1))

const req = (extra: Partial<ActionRequest>): ActionRequest => ({
  action: "migrate",
  chain: null,
  targetNid: -1,
  dests: [],
  splitThp: false,
  skipFolio: -1,
  ...extra
})

/** Frames on two nodes and one 64-page anonymous extent on node 0. */
const setup = (active = 0) => {
  const frames = new PhysFrames([
    { start: MiB, end: 33 * MiB, nid: 0 },
    { start: 64 * MiB, end: 96 * MiB, nid: 1 }
  ])
  const v = 0x7f0000000000
  const piece = frames.allocate(v, 64 * PAGE, [0])[0]!
  const e: PageExtent = {
    owner,
    vStart: v,
    vEnd: v + 64 * PAGE,
    pStart: piece.pStart,
    nid: 0,
    huge: false,
    anon: true,
    mapped: true,
    memcgId: 1,
    resident: 1,
    active,
    pagedOutAtUs: 0,
    refaultBase: 1,
    youngSinceUs: 0,
    regionIdx: 0,
    regionOff: 0,
    vmaStart: v,
    vmaPgoff: 0
  }
  return { frames, list: [e], v }
}

describe("interleaveCounts (weighted interleave)", () => {
  it("gives each destination the folios whose index modulo the total weight falls in its share", () => {
    const rng = makeRng(17)
    for (let run = 0; run < 300; run++) {
      const dests = Array.from({ length: rng.rand(1, 4) }, (_, i) => ({ nid: i, weight: rng.rand(0, 5) }))
      const x0 = rng.rand(0, 1000)
      const k = rng.rand(0, 200)
      const w = dests.reduce((n, d) => n + d.weight, 0)
      const plan = interleaveCounts(dests, x0, k)
      if (w === 0) {
        assert.isUndefined(plan)
        continue
      }
      // Brute force: folio x goes to the destination whose [lo, lo + weight) holds x mod w.
      const expected = dests.map(() => 0)
      for (let x = x0; x < x0 + k; x++) {
        let lo = 0
        for (let d = 0; d < dests.length; d++) {
          if (x % w >= lo && x % w < lo + dests[d]!.weight) expected[d]!++
          lo += dests[d]!.weight
        }
      }
      assert.deepStrictEqual(plan!.map((s) => s.count), expected)
      assert.deepStrictEqual(plan!.map((s) => s.nid), dests.map((d) => d.nid))
    }
  })
})

describe("migrate", () => {
  it("moves the passing share of an extent to the target node, keeping the pages", () => {
    const { frames, list, v } = setup()
    const acc = { affected: 0 }
    const span = migrate(list, 0, 0.25, 0, req({ targetNid: 1 }), acc, frames)
    assert.strictEqual(acc.affected, 16)
    assert.strictEqual(span, list.length)
    assert.deepStrictEqual(list.map((e) => [e.vStart - v, e.vEnd - v, e.nid]), [[0, 16 * PAGE, 1], [16 * PAGE, 64 * PAGE, 0]])
    assert.strictEqual(frames.nodeOf(list[0]!.pStart), 1)
    assert.strictEqual(list[0]!.regionOff, 0)
  })

  it("splits among weighted destinations; nothing moves without weights or to a node without memory", () => {
    const { frames, list } = setup()
    const acc = { affected: 0 }
    migrate(list, 0, 1, 0, req({ dests: [{ nid: 0, weight: 1 }, { nid: 1, weight: 3 }] }), acc, frames)
    // Folios 0..63: a quarter stays on node 0 (as one run), three quarters move.
    assert.strictEqual(acc.affected, 48)
    assert.strictEqual(list.filter((e) => e.nid === 1).reduce((n, e) => n + (e.vEnd - e.vStart), 0), 48 * PAGE)
    const none = setup()
    const zero = { affected: 0 }
    assert.strictEqual(migrate(none.list, 0, 1, 0, req({ dests: [{ nid: 1, weight: 0 }] }), zero, none.frames), 1)
    assert.strictEqual(migrate(none.list, 0, 1, 0, req({ targetNid: 4 }), zero, none.frames), 1)
    assert.strictEqual(zero.affected, 0)
    assert.strictEqual(none.list[0]!.nid, 0)
  })

  it("moves passing folios with their active share; the folios left keep the rest", () => {
    const { frames, list } = setup(0.5)
    // Half of the folios pass, and all active folios are among them.
    migrate(list, 0, 0.5, 0.5, req({ targetNid: 1 }), { affected: 0 }, frames)
    assert.deepStrictEqual(list.map((e) => [e.nid, e.active]), [[1, 1], [0, 0]])
  })

  it("moves only whole huge folios when the destination has room for part of an extent", () => {
    // Node 1 has 5 MiB and 3 pages free: two of the four huge folios fit, the rest stays.
    const frames = new PhysFrames([
      { start: 4 * MiB, end: 36 * MiB, nid: 0 },
      { start: 64 * MiB, end: 69 * MiB + 3 * PAGE, nid: 1 }
    ])
    const v = 0x7f0000000000
    const piece = frames.allocate(v, 8 * MiB, [0])[0]!
    const list: Array<PageExtent> = [{ ...setup().list[0]!, vStart: v, vEnd: v + 8 * MiB, pStart: piece.pStart, huge: true }]
    const free = frames.freeBytes()
    const acc = { affected: 0 }
    migrate(list, 0, 1, 0, req({ targetNid: 1 }), acc, frames)
    assert.strictEqual(acc.affected, (4 * MiB) / PAGE)
    assert.deepStrictEqual(list.map((e) => [e.vStart - v, e.vEnd - v, e.huge, e.nid]), [[0, 4 * MiB, true, 1], [4 * MiB, 8 * MiB, true, 0]])
    for (let i = 1; i < list.length; i++) assert.strictEqual(list[i - 1]!.vEnd, list[i]!.vStart)
    for (const e of list) assert.strictEqual(e.pStart % (2 * MiB), 0)
    // Frames: 4 MiB taken on node 1, 4 MiB given back on node 0, nothing else.
    for (const e of list) assert.strictEqual(frames.nodeOf(e.pStart + (e.vEnd - e.vStart) - 1), e.nid)
    const owned = list.reduce((n, e) => n + (e.vEnd - e.vStart), 0)
    assert.strictEqual(frames.freeBytes() + owned, frames.totalBytes)
    assert.strictEqual(frames.freeBytes(), free)
  })
})

