import { assert, describe, it } from "@effect/vitest"
import { makeRng } from "../../src/core/Rng.ts"
import { type ActionRequest, makeOutcome, type MemAction } from "../../src/ops/AddressSpace.ts"
import { makeChain } from "../../src/ops/FolioFilter.ts"
import { ActionEffects } from "../../src/sim/ActionEffects.ts"
import { PhysFrames } from "../../src/sim/PhysFrames.ts"
import { SimProcess } from "../../src/sim/SimProcess.ts"
import type { PageExtent } from "../../src/sim/PageExtent.ts"
import { cfg, HUGE, MiB, PAGE } from "./support.ts"

// "hot" is swept every 0.33 ms; "cold" is never accessed.
const workload = cfg(`hot, ${16 * MiB}\ncold, ${16 * MiB}\n\np\n1000\nhot, 0, 4096, 1\n`)

const req = (action: MemAction, extra: Partial<ActionRequest> = {}): ActionRequest => ({
  action,
  chain: null,
  targetNid: -1,
  dests: [],
  splitThp: true,
  skipFolio: -1,
  ...extra
})

/** The effects over real frames holding pid 42 (exiting at 10 s), with counting hooks. */
const setup = () => {
  const frames = new PhysFrames([
    { start: MiB, end: 129 * MiB, nid: 0 },
    { start: 256 * MiB, end: 384 * MiB, nid: 1 }
  ])
  const p = new SimProcess({ pid: 42, workload, exitUs: 10_000_000 }, makeRng(1))
  frames.addOwner(p)
  for (const v of p.initialVmas) frames.mapVma(p, v, 0)
  const counts = { advanced: [] as Array<number>, settled: 0, touched: 0 }
  const effects = new ActionEffects({
    timeline: { advance: (t) => counts.advanced.push(t), process: (pid) => (pid === 42 ? p : undefined) },
    frames,
    settle: () => {
      counts.settled++
      return false
    },
    touch: () => {
      counts.touched++
      frames.invalidate()
    }
  })
  const hot = p.regionStart[0]!
  const cold = p.regionStart[1]!
  const virt = (start: number, end: number, r: ActionRequest, nowUs = 1000) => {
    const out = makeOutcome()
    effects.applyVirtual(42, start, end, r, nowUs, out)
    return out
  }
  const at = (v: number) => p.extents.find((e) => e.vStart <= v && v < e.vEnd)!
  return { frames, p, effects, counts, hot, cold, virt, at }
}

describe("ActionEffects", () => {
  it("pages out a virtual range, settling and invalidating first; a second pageout affects nothing", () => {
    const s = setup()
    const out = s.virt(s.cold, s.cold + 16 * MiB, req("pageout"))
    assert.strictEqual(out.affectedBytes, 16 * MiB)
    assert.strictEqual(out.passedBytes, 16 * MiB)
    assert.strictEqual(out.unmappedBytes, 0)
    assert.strictEqual(out.folios, (16 * MiB) / PAGE)
    assert.deepStrictEqual(s.counts.advanced, [1000])
    assert.isAbove(s.counts.settled, 0)
    assert.isAbove(s.counts.touched, 0)
    assert.isTrue(s.p.extents.filter((e) => e.regionIdx === 1).every((e) => e.resident === 0 && e.pagedOutAtUs === 1000))
    assert.strictEqual(s.virt(s.cold, s.cold + 16 * MiB, req("pageout")).affectedBytes, 0)
    // willneed brings it back without refaults.
    assert.strictEqual(s.virt(s.cold, s.cold + 16 * MiB, req("willneed")).affectedBytes, 16 * MiB)
    assert.strictEqual(s.at(s.cold).resident, 1)
  })

  it("counts unmapped bytes; a dead or unknown process is all unmapped and untouched", () => {
    const s = setup()
    const out = s.virt(s.cold - 3 * PAGE, s.cold + PAGE, req("stat"))
    assert.strictEqual(out.unmappedBytes, 3 * PAGE)
    const touched = s.counts.touched
    const dead = s.virt(s.cold, s.cold + MiB, req("pageout"), 10_000_000)
    assert.deepStrictEqual([dead.unmappedBytes, dead.affectedBytes], [MiB, 0])
    const unknown = makeOutcome()
    s.effects.applyVirtual(7, 100, 2 * PAGE + 1, req("pageout"), 1000, unknown)
    assert.strictEqual(unknown.unmappedBytes, 3 * PAGE)
    assert.strictEqual(s.counts.touched, touched)
    assert.strictEqual(s.at(s.cold).resident, 1)
  })

  it("moves pages between the LRU lists", () => {
    const s = setup()
    assert.strictEqual(s.virt(s.hot, s.hot + MiB, req("activate")).affectedBytes, MiB)
    assert.strictEqual(s.at(s.hot).active, 1)
    assert.strictEqual(s.virt(s.hot, s.hot + MiB, req("deactivate")).affectedBytes, MiB)
    assert.strictEqual(s.at(s.hot).active, 0)
  })

  it("moves pages already on the target list without splitting their extent, counting them the same", () => {
    const s = setup()
    const extents = [...s.p.extents]
    const settled = s.counts.settled
    const touched = s.counts.touched
    // the cold region starts inactive (anon): a range inside one extent, unaligned to it
    const out = s.virt(s.cold + 3 * PAGE, s.cold + 3 * PAGE + MiB, req("deactivate"))
    assert.deepStrictEqual(
      [out.affectedBytes, out.passedBytes, out.folios, out.unmappedBytes],
      [MiB, MiB, MiB / PAGE, 0]
    )
    assert.strictEqual(out.lastFolio, s.frames.translate(s.p, s.cold + 3 * PAGE + MiB - PAGE))
    // the same extent objects: nothing was split, nothing settled (all resident)
    assert.deepStrictEqual(s.p.extents, extents)
    assert.isTrue(s.p.extents.every((e, i) => e === extents[i]))
    assert.strictEqual(s.counts.settled, settled)
    assert.strictEqual(s.counts.touched, touched + 1)
    // a range with one active page takes the general walk, which splits
    s.virt(s.cold + 5 * PAGE, s.cold + 6 * PAGE, req("activate"))
    const split = s.p.extents.length
    s.virt(s.cold, s.cold + MiB, req("deactivate"))
    assert.isFalse(s.p.extents.every((e, i) => e === extents[i]))
    assert.isBelow(s.p.extents.length, split)
  })

  // 400 seeded cases, about 0.3 s: the LRU shortcut (`LruNoop`) against the general walk itself,
  // reached by a `skipFolio` no folio has (it changes nothing else), after random histories of
  // moves, pageouts and collapses (holes, huge pages, partly resident and unmerged runs)
  it("an LRU move gives what the general walk gives, extents and outcome, whether or not it takes the shortcut", () => {
    const rng = makeRng(7)
    const actions: ReadonlyArray<MemAction> = ["activate", "deactivate", "pageout", "hugepage"]
    let shortcuts = 0
    for (let c = 0; c < 400; c++) {
      const a = setup()
      const b = setup()
      const span = 32 * MiB
      const range = () => {
        const start = a.hot + rng.rand(0, span / PAGE) * PAGE + (rng.rand(0, 4) === 0 ? rng.rand(1, PAGE) : 0)
        return [start, Math.min(a.hot + span, start + rng.rand(1, 1024) * PAGE)] as const
      }
      for (let k = rng.rand(0, 6); k > 0; k--) {
        const [start, end] = range()
        const r = req(actions[rng.rand(0, actions.length)]!)
        a.virt(start, end, r, 1000 + k)
        b.virt(start, end, r, 1000 + k)
      }
      const [start, end] = range()
      const action = rng.rand(0, 2) === 0 ? "activate" : "deactivate"
      const before = a.p.extents.length
      const kept = [...a.p.extents]
      const viaShortcut = a.virt(start, end, req(action), 2000)
      const viaWalk = b.virt(start, end, req(action, { skipFolio: 2 ** 52 }), 2000)
      const plain = (list: ReadonlyArray<PageExtent>) => list.map(({ owner: _, ...rest }) => rest)
      const msg = `case ${c}: ${action} [${start}, ${end})`
      assert.deepStrictEqual(plain(a.p.extents), plain(b.p.extents), msg)
      assert.deepStrictEqual(viaShortcut, viaWalk, msg)
      if (a.p.extents.length <= before && a.p.extents.every((e) => kept.includes(e))) shortcuts++
    }
    // both paths taken many times
    assert.isAbove(shortcuts, 50)
    assert.isBelow(shortcuts, 350)
  })

  it("applies filters per extent: only the passing share is acted on", () => {
    const s = setup()
    const file = makeChain([{ type: "anon", matching: false, allow: true }], false, true)
    const out = s.virt(s.cold, s.cold + MiB, req("pageout", { chain: file }))
    assert.deepStrictEqual([out.passedBytes, out.affectedBytes], [0, 0])
    const young = makeChain([{ type: "young", matching: true, allow: true }], false, true)
    // The hot region was touched since it was mapped: everything passes, and its young bits are cleared.
    assert.strictEqual(s.virt(s.hot, s.hot + MiB, req("stat", { chain: young })).passedBytes, MiB)
    assert.strictEqual(s.at(s.hot).youngSinceUs, 1000)
  })

  it("collapses aligned chunks (hugify, hugepage) and splits them back (nohugepage)", () => {
    const s = setup()
    s.effects.hugify(s.p, s.hot, s.hot + 16 * MiB, 0)
    assert.isTrue(s.at(s.hot).huge)
    assert.strictEqual(s.at(s.hot + 16 * MiB - 1).vEnd, s.hot + 16 * MiB)
    assert.strictEqual(s.virt(s.hot, s.hot + 16 * MiB, req("nohugepage")).affectedBytes, 16 * MiB)
    assert.isFalse(s.at(s.hot).huge)
    assert.strictEqual(s.virt(s.cold, s.cold + 4 * MiB + PAGE, req("hugepage")).affectedBytes, 4 * MiB)
    assert.isTrue(s.at(s.cold).huge)
    assert.isFalse(s.at(s.cold + 4 * MiB).huge)
  })

  it("takes huge folios at the ends whole unless splitThp, and skips last_applied only first", () => {
    const s = setup()
    s.effects.hugify(s.p, s.hot, s.hot + 16 * MiB, 0)
    const whole = s.virt(s.hot + PAGE, s.hot + 2 * PAGE, req("stat", { splitThp: false }))
    assert.strictEqual(whole.passedBytes, HUGE)
    assert.strictEqual(whole.lastFolio, s.at(s.hot).pStart)
    const skipped = s.virt(s.hot, s.hot + 2 * HUGE, req("stat", { splitThp: false, skipFolio: whole.lastFolio }))
    assert.strictEqual(skipped.passedBytes, HUGE)
    // Not first: a later folio equal to skipFolio is acted on.
    const later = s.virt(s.hot, s.hot + 2 * HUGE, req("stat", { splitThp: false, skipFolio: s.at(s.hot).pStart + HUGE }))
    assert.strictEqual(later.passedBytes, 2 * HUGE)
    // splitThp (madvise): exactly the range, the huge page split around it.
    assert.strictEqual(s.virt(s.hot + PAGE, s.hot + 2 * PAGE, req("pageout")).affectedBytes, PAGE)
    assert.isFalse(s.at(s.hot).huge)
  })

  it("acts on the folios of a physical range through the reverse map", () => {
    const s = setup()
    const pa = s.frames.translate(s.p, s.cold)!
    const out = makeOutcome()
    s.effects.applyPhysical(pa, pa + 8 * PAGE, req("pageout"), 1000, out)
    assert.strictEqual(out.affectedBytes, 8 * PAGE)
    assert.strictEqual(out.lastFolio, pa + 7 * PAGE)
    assert.strictEqual(s.at(s.cold).resident, 0)
    assert.strictEqual(s.at(s.cold + 8 * PAGE).resident, 1)
    // Free frames: nothing, no last folio.
    const free = makeOutcome()
    s.effects.applyPhysical(300 * MiB, 301 * MiB, req("pageout"), 1000, free)
    assert.deepStrictEqual([free.affectedBytes, free.lastFolio], [0, -1])
  })

  it("migrates to a node with memory, and not to one without", () => {
    const s = setup()
    const out = s.virt(s.cold, s.cold + 16 * MiB, req("migrate", { targetNid: 1 }))
    assert.strictEqual(out.affectedBytes, 16 * MiB)
    assert.strictEqual(s.frames.nodeOf(s.frames.translate(s.p, s.cold + 5 * PAGE)!), 1)
    assert.deepStrictEqual(s.frames.reverseMap(s.frames.translate(s.p, s.cold + 5 * PAGE)!), { pid: 42, vaddr: s.cold + 5 * PAGE })
    assert.strictEqual(s.virt(s.hot, s.hot + MiB, req("migrate", { targetNid: 3 })).affectedBytes, 0)
  })
})
