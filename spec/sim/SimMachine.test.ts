import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { makeRng } from "../../src/core/Rng.ts"
import * as Target from "../../src/model/Target.ts"
import { makeChain } from "../../src/ops/FolioFilter.ts"
import { defaultRamLayout } from "../../src/sim/PhysMem.ts"
import { type ActionRequest, makeOutcome, type MemAction } from "../../src/ops/AddressSpace.ts"
import { SimMachine } from "../../src/sim/SimMachine.ts"
import { simSpace } from "../../src/sim/SimSpace.ts"
import { biggestSystemRamRange, setRegionBiggestSystemRamDefault } from "../../src/ops/paddr.ts"
import { cfg, GiB, HUGE, MiB, machineOf, PAGE, unwrap } from "./support.ts"

const PID = 42
// "hot" is swept every 0.33 ms; "cold" is never accessed.
const twoRegions = cfg(`hot, ${64 * MiB}\ncold, ${64 * MiB}\n\np\n1000\nhot, 0, 4096, 1\n`)

const req = (action: MemAction, extra: Partial<ActionRequest> = {}): ActionRequest => ({
  action,
  chain: null,
  targetNid: -1,
  dests: [],
  splitThp: true,
  skipFolio: -1,
  ...extra
})

const regionRange = (m: SimMachine, i: number) => {
  const p = m.process(PID)!
  const start = p.regionStart[i]!
  return { start, end: start + p.model!.regionSize[i]! }
}

const act = (m: SimMachine, i: number, action: MemAction, nowUs: number, extra: Partial<ActionRequest> = {}) => {
  const out = makeOutcome()
  const { start, end } = regionRange(m, i)
  m.applyVirtual(PID, start, end, req(action, extra), nowUs, out)
  return out
}

describe("SimMachine memory layout", () => {
  it("backs every mapping with frames and finds the owner through the reverse map", () => {
    const m = machineOf(twoRegions)
    const p = m.process(PID)!
    let mapped = 0
    for (const v of p.vmasAt(0)) mapped += v.end - v.start
    assert.strictEqual(m.residentBytes(0, PID), mapped)
    assert.strictEqual(m.usedBytes(0), mapped)
    assert.strictEqual(m.nodeUsedBytes(0, 0) + m.nodeUsedBytes(1, 0), mapped)
    const hot = regionRange(m, 0)
    const v = hot.start + 123 * PAGE + 17
    const pa = m.translate(PID, v)!
    assert.deepStrictEqual(m.reverseMap(pa), { pid: PID, vaddr: v })
    // Frames are congruent to their virtual address modulo 2 MiB.
    assert.strictEqual(pa % HUGE, v % HUGE)
    const lastRam = m.ram[m.ram.length - 1]!
    assert.isUndefined(m.reverseMap(lastRam.end - PAGE))
    assert.strictEqual(m.physYoung(lastRam.end - PAGE, 0, 5000, makeRng(1)), -1)
  })

  it("lets paddr sampling see the workload's frames: hot ones accessed, cold ones not", () => {
    const m = machineOf(twoRegions)
    const rng = makeRng(1)
    const hotPa = m.translate(PID, regionRange(m, 0).start + 5 * PAGE)!
    const coldPa = m.translate(PID, regionRange(m, 1).start + 5 * PAGE)!
    assert.strictEqual(m.physYoung(hotPa, 1000, 6000, rng), 1)
    assert.strictEqual(m.folioSz, PAGE)
    assert.strictEqual(m.physYoung(coldPa, 1000, 6000, rng), 0)
  })

  it("lays RAM out over NUMA nodes and reports the biggest System RAM", () => {
    const ram = defaultRamLayout(8 * GiB, 2)
    assert.deepStrictEqual(ram, [
      { start: MiB, end: MiB + 3 * GiB - MiB, nid: 0 },
      { start: 4 * GiB, end: 4 * GiB + 1 * GiB + MiB, nid: 0 },
      { start: 5 * GiB + MiB, end: 9 * GiB + MiB, nid: 1 }
    ])
    const m = unwrap(SimMachine.make({ ram, processes: [] }))
    assert.deepStrictEqual(m.systemRamRanges(), [
      { start: MiB, end: 3 * GiB },
      { start: 4 * GiB, end: 9 * GiB + MiB }
    ])
    assert.deepStrictEqual(biggestSystemRamRange(simSpace(m)), { start: 4 * GiB, end: 9 * GiB + MiB })
    assert.strictEqual(m.metrics.nodeOfAddr(6 * GiB), 1)
    assert.strictEqual(m.metrics.nodeOfAddr(3.5 * GiB), -1)
    const t = Target.make(null)
    assert.deepStrictEqual(unwrap(setRegionBiggestSystemRamDefault(simSpace(m), t, 0, 0, 4, PAGE)), {
      start: GiB,
      end: (9 * GiB + MiB) / 4
    })
    assert.deepStrictEqual(Target.ranges(t), [{ start: GiB, end: (9 * GiB + MiB) / 4 }])
    assert.isTrue(Result.isFailure(setRegionBiggestSystemRamDefault(simSpace(m), t, 10, 5, 1, PAGE)))
  })

  it("rejects bad options", () => {
    assert.isTrue(Result.isFailure(SimMachine.make({ nrNodes: 0, processes: [] })))
    assert.isTrue(Result.isFailure(SimMachine.make({ processes: [{ pid: 1 }, { pid: 1 }] })))
    assert.isTrue(Result.isFailure(SimMachine.withMasim(twoRegions, { ramBytes: 64 * MiB })))
    const bad = SimMachine.withMasim(twoRegions, { events: [{ atUs: 0, kind: "mmap", range: { start: 5, end: 4096 } }] })
    assert.isTrue(Result.isFailure(bad))
    if (Result.isFailure(bad)) assert.match(bad.failure.message, /processes\[0\]\.events\[0\]\.range/)
  })

  it("is deterministic for a seed", () => {
    const a = machineOf(twoRegions, { seed: 5 })
    const b = machineOf(twoRegions, { seed: 5 })
    assert.deepStrictEqual(a.process(PID)!.vmasAt(0), b.process(PID)!.vmasAt(0))
    assert.strictEqual(a.translate(PID, regionRange(a, 1).start), b.translate(PID, regionRange(b, 1).start))
  })
})

describe("SimMachine DAMOS effects", () => {
  it("pageout frees memory; a cold range never refaults", () => {
    const m = machineOf(twoRegions)
    const used = m.usedBytes(0)
    const free = m.metrics.freeMemRatePermil(0)
    const out = act(m, 1, "pageout", 1000)
    assert.strictEqual(out.affectedBytes, 64 * MiB)
    assert.strictEqual(out.unmappedBytes, 0)
    assert.strictEqual(m.usedBytes(1000), used - 64 * MiB)
    assert.isAbove(m.metrics.freeMemRatePermil(1000), free)
    assert.strictEqual(m.refaultPages(60_000_000), 0)
    assert.strictEqual(m.usedBytes(60_000_000), used - 64 * MiB)
    // Paging out what is already out affects nothing.
    assert.strictEqual(act(m, 1, "pageout", 61_000_000).affectedBytes, 0)
  })

  it("a paged-out hot range faults back in; refaults raise PSI", () => {
    const m = machineOf(twoRegions)
    const used = m.usedBytes(0)
    assert.strictEqual(m.metrics.someMemPsiTotalUs(0), 0)
    act(m, 0, "pageout", 1000)
    assert.strictEqual(m.usedBytes(1000), used - 64 * MiB)
    // The sweep covers the region every 0.33 ms: by 1 s everything came back.
    assert.strictEqual(m.usedBytes(1_000_000), used)
    assert.closeTo(m.refaultPages(1_000_000), 16384, 1e-6)
    assert.strictEqual(m.metrics.someMemPsiTotalUs(1_000_000), 16384 * 50)
    // Refaulted pages join the active LRU.
    assert.isAbove(m.metrics.activeMemBp(1_000_000), 4000)
  })

  it("counts refaults of a slow sweep exactly, whenever they are observed", () => {
    // One page per ms: 1000 pages come back within each second of a 100 s phase.
    const slow = cfg(`hot, ${64 * MiB}\ncold, ${64 * MiB}\n\np\n100000\nhot, 0, 4096, 1\n`)
    const m = machineOf(slow, { throughput: 1000 })
    act(m, 0, "pageout", 0)
    assert.closeTo(m.refaultPages(1_000_000), 1000, 1e-6)
    assert.closeTo(m.refaultPages(2_000_000), 2000, 1e-6)
    const once = machineOf(slow, { throughput: 1000 })
    act(once, 0, "pageout", 0)
    assert.closeTo(once.refaultPages(2_000_000), 2000, 1e-6)
    // A 1 s phase restarts the cursor every second: the same 1000 pages, counted once.
    const looping = machineOf(twoRegions, { throughput: 1000 })
    act(looping, 0, "pageout", 0)
    assert.closeTo(looping.refaultPages(1_000_000), 1000, 1e-6)
    assert.closeTo(looping.refaultPages(5_500_000), 1000, 1e-6)
  })

  it("willneed makes paged-out memory resident without refaults", () => {
    const m = machineOf(twoRegions)
    const used = m.usedBytes(0)
    act(m, 1, "pageout", 0)
    const out = act(m, 1, "willneed", 10)
    assert.strictEqual(out.affectedBytes, 64 * MiB)
    assert.strictEqual(m.usedBytes(20), used)
    assert.strictEqual(m.refaultPages(20), 0)
  })

  it("deactivate and activate move pages between the LRU lists", () => {
    const m = machineOf(twoRegions)
    const before = m.metrics.activeMemBp(0)
    assert.strictEqual(act(m, 0, "activate", 0).affectedBytes, 64 * MiB)
    const after = m.metrics.activeMemBp(0)
    assert.isAbove(after, before + 4000)
    assert.strictEqual(m.metrics.activeMemBp(0) + m.metrics.inactiveMemBp(0) >= 9999, true)
    assert.strictEqual(act(m, 0, "deactivate", 0).affectedBytes, 64 * MiB)
    assert.strictEqual(m.metrics.activeMemBp(0), before)
  })

  describe("the LRU effects follow which folios passed the filters", () => {
    // 16 MiB swept in about 4 ms: activating the pages touched in the last 2 ms makes it partly active.
    const partlyActive = () => {
      const m = machineOf(cfg(`big, ${16 * MiB}\n\nsweep\n1000\nbig, 0, 4096, 1\n`), { throughput: 1e6 })
      const p = m.process(PID)!
      const start = p.regionStart[0]!
      const young = makeChain([{ type: "young", matching: true, allow: true }], false, true)
      m.applyVirtual(PID, start, start + 16 * MiB, req("activate", { chain: young }), 2000, makeOutcome())
      const e = p.extents.find((x) => x.vStart <= start && start < x.vEnd)!
      assert.isTrue(e.active > 0.1 && e.active < 0.9, `active share ${e.active}`)
      return { m, p, start, e, a: e.active }
    }
    const onlyActive = makeChain([{ type: "active", matching: true, allow: true }], false, true)
    const onlyInactive = makeChain([{ type: "active", matching: true, allow: false }], false, false)

    it("deactivate moves exactly the passing active folios; activate the passing inactive ones", () => {
      const d = partlyActive()
      d.m.applyVirtual(PID, d.e.vStart, d.e.vEnd, req("deactivate", { chain: onlyActive }), 2000, makeOutcome())
      assert.strictEqual(d.p.extents.find((x) => x.vStart === d.e.vStart)!.active, 0)
      const u = partlyActive()
      const out = makeOutcome()
      u.m.applyVirtual(PID, u.e.vStart, u.e.vEnd, req("activate", { chain: onlyInactive }), 2000, out)
      assert.strictEqual(u.p.extents.find((x) => x.vStart === u.e.vStart)!.active, 1)
      assert.strictEqual(out.affectedBytes, Math.round(((1 - u.a) * (u.e.vEnd - u.e.vStart)) / PAGE) * PAGE)
    })

    it("pageout reclaims the passing folios; the folios left keep their lists", () => {
      const { m, p, e, a } = partlyActive()
      m.applyVirtual(PID, e.vStart, e.vEnd, req("pageout", { chain: onlyInactive }), 2000, makeOutcome())
      const after = p.extents.find((x) => x.vStart === e.vStart)!
      assert.closeTo(after.resident, a, 1e-12)
      assert.closeTo(after.active, 1, 1e-12)
    })

    it("migrate moves the passing folios with their active flags", () => {
      const { m, p, e } = partlyActive()
      const out = makeOutcome()
      const migrate = req("migrate", { chain: onlyActive, targetNid: 1, splitThp: false })
      m.applyVirtual(PID, e.vStart, e.vEnd, migrate, 2000, out)
      assert.isAbove(out.affectedBytes, 0)
      const inRange = p.extents.filter((x) => x.vStart >= e.vStart && x.vEnd <= e.vEnd)
      const moved = inRange.filter((x) => x.nid === 1)
      const stayed = inRange.filter((x) => x.nid !== 1)
      assert.isAbove(moved.length, 0)
      assert.isAbove(stayed.length, 0)
      for (const x of moved) assert.strictEqual(x.active, 1)
      // The count of moved folios is rounded, so the inactive rest may keep a trace of active.
      for (const x of stayed) assert.closeTo(x.active, 0, 1e-3)
    })
  })

  it("hugepage collapses aligned chunks; the accessed bit is then per huge page; nohugepage splits", () => {
    const m = machineOf(twoRegions)
    const p = m.process(PID)!
    const { start } = regionRange(m, 0)
    assert.strictEqual(act(m, 0, "hugepage", 0).affectedBytes, 64 * MiB)
    // The sweep takes 0.33 ms: a 1 ms window covers the whole region.
    assert.strictEqual(p.youngAt(start + 3 * MiB + 5, 100, 1100, makeRng(1)), 1)
    assert.strictEqual(p.folioSz, HUGE)
    assert.strictEqual(m.extentCount(PID), machineOf(twoRegions).extentCount(PID))
    assert.strictEqual(act(m, 0, "nohugepage", 0).affectedBytes, 64 * MiB)
    p.youngAt(start + 3 * MiB + 5, 100, 1100, makeRng(1))
    assert.strictEqual(p.folioSz, PAGE)
    // A range that covers no aligned 2 MiB chunk collapses nothing.
    const out = makeOutcome()
    m.applyVirtual(PID, start + PAGE, start + HUGE, req("collapse"), 0, out)
    assert.strictEqual(out.affectedBytes, 0)
  })

  it("a huge page starts young over its whole range (THP always)", () => {
    const m = machineOf(cfg(`a, ${8 * MiB}\n\np\n1000\na, 1, 4194304, 1\n`), { thp: "always" })
    const p = m.process(PID)!
    const start = p.regionStart[0]!
    // Slots at 0 and 4 MiB: without THP the page at 1 MiB is never accessed; with THP its huge
    // page (which holds offset 0) is.
    assert.strictEqual(p.youngAt(start + MiB, 0, 1_000_000, makeRng(1)), 1)
    const base = machineOf(cfg(`a, ${8 * MiB}\n\np\n1000\na, 1, 4194304, 1\n`))
    assert.strictEqual(base.process(PID)!.youngAt(start + MiB, 0, 1_000_000, makeRng(1)), 0)
  })

  it("migrates to a node, and splits among weighted destinations", () => {
    const m = machineOf(twoRegions, { ramBytes: 4 * GiB })
    assert.strictEqual(m.nodeUsedBytes(1, 0), 0)
    const out = act(m, 1, "migrate", 0, { targetNid: 1, splitThp: false })
    assert.strictEqual(out.affectedBytes, 64 * MiB)
    assert.strictEqual(m.nodeUsedBytes(1, 0), 64 * MiB)
    // Again: already there.
    assert.strictEqual(act(m, 1, "migrate", 0, { targetNid: 1, splitThp: false }).affectedBytes, 0)
    // Invalid node: nothing.
    assert.strictEqual(act(m, 0, "migrate", 0, { targetNid: 7, splitThp: false }).affectedBytes, 0)
    // Weighted 1:1 interleave between nodes 0 and 1: half of the hot region moves to node 1.
    const w = act(m, 0, "migrate", 0, { dests: [{ nid: 0, weight: 1 }, { nid: 1, weight: 1 }], splitThp: false })
    assert.strictEqual(w.affectedBytes, 32 * MiB)
    assert.strictEqual(m.nodeUsedBytes(1, 0), 96 * MiB)
    // Weight 3:1 of a fresh machine: a quarter to node 1.
    const q = machineOf(twoRegions, { ramBytes: 4 * GiB })
    const w3 = act(q, 0, "migrate", 0, { dests: [{ nid: 0, weight: 3 }, { nid: 1, weight: 1 }], splitThp: false })
    assert.strictEqual(w3.affectedBytes, 16 * MiB)
    // The moved memory is still the same pages: sampling and the reverse map follow it.
    const v = regionRange(m, 1).start + 7 * PAGE
    const pa = m.translate(PID, v)!
    assert.strictEqual(m.metrics.nodeOfAddr(pa), 1)
    assert.deepStrictEqual(m.reverseMap(pa), { pid: PID, vaddr: v })
  })

  it("evaluates ops filters per extent and counts passing bytes", () => {
    const m = machineOf(twoRegions)
    const stat = (i: number, chain: ActionRequest["chain"]) => act(m, i, "stat", 5000, { chain, splitThp: false })
    const anonAllow = makeChain([{ type: "anon", matching: true, allow: true }], false, true)
    assert.strictEqual(stat(1, anonAllow).passedBytes, 64 * MiB)
    const otherMemcg = makeChain([{ type: "memcg", matching: true, allow: true, memcgId: 9 }], false, true)
    assert.strictEqual(stat(1, otherMemcg).passedBytes, 0)
    assert.strictEqual(stat(1, makeChain([{ type: "memcg", matching: true, allow: true, memcgId: 9 }], true, true)).passedBytes, 64 * MiB)
    const rejectYoung = makeChain([{ type: "young", matching: true, allow: false }], false, false)
    assert.strictEqual(stat(0, rejectYoung).passedBytes, 0)
    assert.strictEqual(stat(1, rejectYoung).passedBytes, 64 * MiB)
    const huge = makeChain([{ type: "hugepage_size", matching: true, allow: true, szRange: { min: HUGE, max: HUGE } }], false, true)
    assert.strictEqual(stat(1, huge).passedBytes, 0)
    // Filtered pageout only reclaims what passes.
    assert.strictEqual(act(m, 0, "pageout", 6000, { chain: rejectYoung, splitThp: false }).affectedBytes, 0)
    assert.strictEqual(act(m, 1, "pageout", 6000, { chain: rejectYoung, splitThp: false }).affectedBytes, 64 * MiB)
  })

  it("skips the last applied folio (a huge page straddling two ranges counts once)", () => {
    const m = machineOf(twoRegions, { ramBytes: GiB })
    act(m, 1, "collapse", 0)
    const { start } = regionRange(m, 1)
    const chain = makeChain([{ type: "anon", matching: true, allow: true }], false, true)
    const first = makeOutcome()
    m.applyVirtual(PID, start, start + MiB, req("stat", { chain, splitThp: false }), 10, first)
    assert.strictEqual(first.passedBytes, HUGE)
    const second = makeOutcome()
    m.applyVirtual(PID, start + MiB, start + HUGE, req("stat", { chain, splitThp: false, skipFolio: first.lastFolio }), 10, second)
    assert.strictEqual(second.passedBytes, 0)
  })

  it("counts unmapped bytes and does nothing to a dead process", () => {
    const m = machineOf(twoRegions, { exitUs: 1_000_000 })
    const { start, end } = regionRange(m, 0)
    const out = makeOutcome()
    m.applyVirtual(PID, start - 4 * PAGE, end, req("pageout"), 0, out)
    assert.strictEqual(out.unmappedBytes, 4 * PAGE)
    assert.strictEqual(out.affectedBytes, 64 * MiB)
    const late = makeOutcome()
    m.applyVirtual(PID, start, end, req("pageout"), 2_000_000, late)
    assert.strictEqual(late.affectedBytes, 0)
    assert.strictEqual(late.unmappedBytes, 64 * MiB)
  })
})

describe("SimMachine timeline and metrics", () => {
  it("frees a process's memory at exit", () => {
    const m = machineOf(twoRegions, { exitUs: 1_000_000 })
    assert.isAbove(m.usedBytes(0), 128 * MiB)
    assert.strictEqual(m.usedBytes(1_000_000), 0)
    assert.strictEqual(m.metrics.freeMemRatePermil(1_000_000), 1000)
  })

  it("applies munmap and mmap events to the page state", () => {
    const at = 0x600000000000
    const m = machineOf(twoRegions, {
      events: [
        { atUs: 1_000_000, kind: "mmap", range: { start: at, end: at + 32 * MiB } },
        { atUs: 2_000_000, kind: "munmap", range: { start: at, end: at + 32 * MiB } }
      ]
    })
    const p = m.process(PID)!
    const base = m.residentBytes(0, PID)
    assert.strictEqual(m.residentBytes(1_000_000, PID), base + 32 * MiB)
    assert.strictEqual(p.youngAt(at + PAGE, 1_000_000, 1_005_000, makeRng(1)), 0)
    assert.strictEqual(p.folioSz, PAGE)
    assert.strictEqual(m.residentBytes(2_000_000, PID), base)
    assert.strictEqual(p.youngAt(at + PAGE, 2_000_000, 2_005_000, makeRng(1)), -1)
  })

  it("re-mapping a workload range resumes its accesses", () => {
    const m = machineOf(twoRegions)
    const { start } = regionRange(m, 0)
    const remap = machineOf(twoRegions, {
      events: [
        { atUs: 1000, kind: "munmap", range: { start, end: start + 4 * MiB } },
        { atUs: 2000, kind: "mmap", range: { start, end: start + 4 * MiB } }
      ]
    })
    const p = remap.process(PID)!
    remap.advance(1500)
    assert.strictEqual(p.youngAt(start + PAGE, 1500, 1900, makeRng(1)), -1)
    remap.advance(9000)
    assert.strictEqual(p.youngAt(start + PAGE, 3000, 9000, makeRng(1)), 1)
  })

  it("accumulates pressure while free memory is short", () => {
    // About 2 % free: below the 5 % threshold.
    const probe = machineOf(twoRegions)
    const need = probe.usedBytes(0)
    const tight = machineOf(twoRegions, { ramBytes: Math.ceil((need / 0.98) / (4 * MiB)) * 4 * MiB, nrNodes: 1 })
    assert.isBelow(tight.metrics.freeMemRatePermil(0), 50)
    const a = tight.metrics.someMemPsiTotalUs(1_000_000)
    const b = tight.metrics.someMemPsiTotalUs(2_000_000)
    assert.isAbove(a, 0)
    assert.isAbove(b, a)
    // Paging out the cold half ends the shortage: pressure stops growing.
    act(tight, 1, "pageout", 2_000_000)
    tight.metrics.freeMemRatePermil(2_000_000)
    const c = tight.metrics.someMemPsiTotalUs(3_000_000)
    assert.strictEqual(tight.metrics.someMemPsiTotalUs(4_000_000), c)
  })

  it("reports node and memcg usage in basis points", () => {
    const m = machineOf(twoRegions, { memcgId: 3, ramBytes: 4 * GiB })
    const total0 = m.nodeTotalBytes(0)
    const used0 = m.nodeUsedBytes(0, 0)
    assert.strictEqual(m.metrics.nodeMemUsedBp(0, 0), Math.floor((used0 * 10000) / total0))
    assert.strictEqual(m.metrics.nodeMemFreeBp(0, 0), Math.floor(((total0 - used0) * 10000) / total0))
    assert.strictEqual(m.metrics.nodeMemUsedBp(5, 0), 0)
    assert.strictEqual(m.metrics.nodeMemFreeBp(5, 0), 10000)
    assert.strictEqual(m.metrics.nodeMemcgUsedBp(0, 3, 0), m.metrics.nodeMemUsedBp(0, 0))
    assert.strictEqual(m.metrics.nodeMemcgUsedBp(0, 4, 0), 0)
    act(m, 1, "pageout", 0)
    assert.isBelow(m.metrics.nodeMemcgUsedBp(0, 3, 0), Math.floor((used0 * 10000) / total0))
  })

  it("walks physical ranges like paddr: lastFolio is the folio at the last address tried, -1 on a free frame", () => {
    const m = machineOf(twoRegions)
    const { start } = regionRange(m, 1)
    const pa = m.translate(PID, start)!
    const out = makeOutcome()
    m.applyPhysical(pa, pa + 8 * PAGE, req("stat", { splitThp: false }), 0, out)
    assert.strictEqual(out.passedBytes, 8 * PAGE)
    assert.strictEqual(out.lastFolio, pa + 7 * PAGE)
    // The highest frame in use is followed by free frames: a walk ending there has no last folio.
    let top = 0
    for (const o of m.pageOwners()) for (const e of o.extents) top = Math.max(top, e.pStart + (e.vEnd - e.vStart))
    const tail = makeOutcome()
    m.applyPhysical(top - PAGE, top + 4 * PAGE, req("stat", { splitThp: false }), 0, tail)
    assert.strictEqual(tail.passedBytes, PAGE)
    assert.strictEqual(tail.lastFolio, -1)
  })

  it("has reclaimable unmapped page cache when asked", () => {
    const m = machineOf(twoRegions, { pageCacheBytes: 16 * MiB })
    // The page cache owns extents but is not a process.
    const owners = m.pageOwners()
    assert.strictEqual(owners[0]!.pid, 0)
    assert.deepStrictEqual(owners.slice(1), m.processes())
    assert.isUndefined(m.process(0))
    const used = m.usedBytes(0)
    const out = makeOutcome()
    const unmapped = makeChain([{ type: "unmapped", matching: true, allow: true }], false, true)
    for (const r of m.systemRamRanges()) m.applyPhysical(r.start, r.end, req("pageout", { chain: unmapped, splitThp: false }), 0, out)
    assert.strictEqual(out.affectedBytes, 16 * MiB)
    assert.strictEqual(m.usedBytes(0), used - 16 * MiB)
  })
})
