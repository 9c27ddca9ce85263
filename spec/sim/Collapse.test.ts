import { assert, describe, it } from "@effect/vitest"
import { makeRng } from "../../src/core/Rng.ts"
import { collapseRange } from "../../src/sim/Collapse.ts"
import type { PageExtent } from "../../src/sim/PageExtent.ts"
import { PhysFrames } from "../../src/sim/PhysFrames.ts"
import { SimProcess } from "../../src/sim/SimProcess.ts"
import { HUGE, MiB, PAGE } from "./support.ts"

const owner = new SimProcess({ pid: 9 }, makeRng(1))
const V = 0x7f0000000000

const extent = (vStart: number, vEnd: number, pStart: number, over: Partial<PageExtent> = {}): PageExtent => ({
  owner,
  vStart,
  vEnd,
  pStart,
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
  regionOff: vStart - V,
  vmaStart: V,
  vmaPgoff: 0,
  ...over
})

const setup = () => {
  const frames = new PhysFrames([{ start: 2 * MiB, end: 66 * MiB, nid: 0 }])
  const settled: Array<number> = []
  const deps = {
    frames,
    settle: (e: PageExtent) => {
      settled.push(e.vStart)
      return false
    }
  }
  return { frames, deps, settled }
}

describe("collapseRange", () => {
  it("makes aligned chunks of congruent anonymous memory huge in place, not the unaligned edges", () => {
    const { frames, deps, settled } = setup()
    const p = frames.allocate(V, 3 * HUGE, [0])[0]!.pStart
    const list = [extent(V, V + 3 * HUGE, p, { resident: 0.5, active: 0.5 })]
    const acc = { affected: 0 }
    collapseRange(list, V + PAGE, V + 3 * HUGE, 100, acc, deps)
    assert.strictEqual(acc.affected, (2 * HUGE) / PAGE)
    assert.deepStrictEqual(list.map((e) => [e.vStart - V, e.vEnd - V, e.huge]), [[0, HUGE, false], [HUGE, 3 * HUGE, true]])
    // A huge page is resident; the pages that were out come back (inactive).
    assert.deepStrictEqual([list[1]!.resident, list[1]!.active, list[1]!.pagedOutAtUs], [1, 0.25, 100])
    assert.deepStrictEqual(settled, [V + HUGE])
  })

  it("copies a chunk straddling two runs of frames into a fresh huge frame", () => {
    const { frames, deps } = setup()
    const a = frames.allocate(V, MiB, [0])[0]!.pStart
    // Another owner takes the frames that would continue `a`: the second half lands elsewhere.
    frames.allocate(V + MiB, MiB, [0])
    const b = frames.allocate(V + MiB, MiB, [0])[0]!.pStart
    assert.notStrictEqual(b, a + MiB)
    const list = [extent(V, V + MiB, a, { active: 1, youngSinceUs: 50 }), extent(V + MiB, V + HUGE, b, { youngSinceUs: 20 })]
    const free = frames.freeBytes()
    const acc = { affected: 0 }
    collapseRange(list, V, V + HUGE, 100, acc, deps)
    assert.strictEqual(acc.affected, HUGE / PAGE)
    assert.strictEqual(list.length, 1)
    const h = list[0]!
    assert.deepStrictEqual([h.vStart, h.vEnd, h.huge, h.pStart % HUGE, h.active, h.youngSinceUs], [V, V + HUGE, true, 0, 0.5, 20])
    // The two old runs went back, one huge frame was taken.
    assert.strictEqual(frames.freeBytes(), free)
    assert.strictEqual(frames.allocate(0, 64 * MiB, [0]).reduce((n, x) => n + x.len, 0), free)
  })

  it("leaves file memory, partial chunks and chunks spanning mappings alone", () => {
    const { frames, deps } = setup()
    const p = frames.allocate(V, 2 * HUGE, [0])[0]!.pStart
    const file = [extent(V, V + 2 * HUGE, p, { anon: false })]
    const acc = { affected: 0 }
    collapseRange(file, V, V + 2 * HUGE, 0, acc, deps)
    const partial = [extent(V, V + MiB, p + 8 * HUGE)]
    collapseRange(partial, V, V + HUGE, 0, acc, deps)
    const twoVmas = [extent(V, V + MiB, p + 8 * HUGE), extent(V + MiB, V + HUGE, p + 12 * HUGE, { vmaStart: V + MiB })]
    collapseRange(twoVmas, V, V + HUGE, 0, acc, deps)
    assert.strictEqual(acc.affected, 0)
    assert.isFalse([...file, ...partial, ...twoVmas].some((e) => e.huge))
  })
})
