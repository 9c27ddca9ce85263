import { assert, describe, it } from "@effect/vitest"
import { makeRng } from "../../src/core/Rng.ts"
import { evenlySplitRegion, threeRegions } from "../../src/core/ThreeRegions.ts"
import * as Region from "../../src/model/Region.ts"
import * as Target from "../../src/model/Target.ts"
import { makeFvaddrOps } from "../../src/ops/fvaddr.ts"
import { makeVaddrOps } from "../../src/ops/vaddr.ts"
import { simOps } from "../../src/sim/SimOps.ts"
import { makeOutcome } from "../../src/ops/AddressSpace.ts"
import type { SimMachine } from "../../src/sim/SimMachine.ts"
import { simSpace } from "../../src/sim/SimSpace.ts"
import { cfg, countingRng, GiB, HUGE, machineOf, MiB, PAGE, shipped } from "../sim/support.ts"
import { type Clock, ctxOf, envOf, out, runLoop, scheme } from "./support.ts"

const PID = 42
// "hot" is swept every 0.33 ms; "cold" is never accessed.
const twoRegions = cfg(`hot, ${64 * MiB}\ncold, ${64 * MiB}\n\np\n1000\nhot, 0, 4096, 1\n`)

const regionOf = (m: SimMachine, i: number) => {
  const p = m.process(PID)!
  const start = p.regionStart[i]!
  return { start, end: start + p.model!.regionSize[i]! }
}

const setup = (machine: SimMachine) => {
  const ctx = ctxOf("vaddr")
  const t = Target.make(PID)
  ctx.targets.push(t)
  const clock: Clock = { now: 0 }
  const env = envOf(makeRng(11), clock)
  const ops = makeVaddrOps(simSpace(machine))
  return { ctx, t, clock, env, ops }
}

const sample = (s: ReturnType<typeof setup>, times: number): number => {
  let max = 0
  for (let i = 0; i < times; i++) {
    s.ops.prepareAccessChecks!(s.ctx, s.env)
    s.clock.now += 5000
    max = s.ops.checkAccesses!(s.ctx, s.env)
  }
  return max
}

describe("vaddr init and update", () => {
  it("sets the three regions of targets without regions, the workload inside the middle one", () => {
    const m = machineOf(shipped("stairs"))
    const s = setup(m)
    const user = Target.make(PID, [Region.make(0, PAGE)])
    const ghost = Target.make(999)
    s.ctx.targets.push(user, ghost)
    s.ops.init!(s.ctx, s.env)
    const three = threeRegions(m.process(PID)!.vmasAt(0), PAGE)!
    assert.deepStrictEqual(Target.ranges(s.t), [...three])
    const middle = s.t.regions[1]!
    const p = m.process(PID)!
    for (let i = 0; i < 10; i++) {
      assert.isAtLeast(p.regionStart[i]!, middle.start)
      assert.isAtMost(p.regionStart[i]! + 10_000_000, middle.end)
    }
    assert.deepStrictEqual(Target.ranges(user), [{ start: 0, end: PAGE }])
    assert.strictEqual(ghost.regions.length, 0)
  })

  it("follows mmap and munmap events on update, and keeps regions when the process is gone", () => {
    const at = 0x600000000000
    const m = machineOf(twoRegions, {
      exitUs: 3_000_000,
      events: [
        { atUs: 1_000_000, kind: "mmap", range: { start: at, end: at + 64 * MiB } },
        { atUs: 2_000_000, kind: "munmap", range: { start: at, end: at + 64 * MiB } }
      ]
    })
    const s = setup(m)
    s.ops.init!(s.ctx, s.env)
    const initial = Target.ranges(s.t)
    s.clock.now = 1_500_000
    s.ops.update!(s.ctx, s.env)
    // The new mapping splits the heap-to-mmap gap: it becomes the middle region.
    assert.deepStrictEqual(s.t.regions[1]!.start, at)
    assert.deepStrictEqual(s.t.regions[1]!.end, at + 64 * MiB)
    assert.isAtMost(s.t.regions[2]!.start, regionOf(m, 0).start)
    s.clock.now = 2_500_000
    s.ops.update!(s.ctx, s.env)
    assert.deepStrictEqual(Target.ranges(s.t), initial)
    s.clock.now = 3_500_000
    assert.isFalse(s.ops.targetValid!(s.ctx, s.t, s.env))
    s.ops.update!(s.ctx, s.env)
    assert.deepStrictEqual(Target.ranges(s.t), initial)
  })

  it("fvaddr has no init and no update", () => {
    const m = machineOf(twoRegions)
    const f = makeFvaddrOps(simSpace(m))
    assert.strictEqual(f.id, "fvaddr")
    assert.isUndefined(f.init)
    assert.isUndefined(f.update)
    const ops = simOps(m)
    assert.deepStrictEqual([ops.vaddr().id, ops.fvaddr().id, ops.paddr().id], ["vaddr", "fvaddr", "paddr"])
  })
})

describe("vaddr access checks", () => {
  it("finds the hot region accessed every sample and the cold one never", () => {
    const m = machineOf(twoRegions)
    const s = setup(m)
    const hot = regionOf(m, 0)
    const cold = regionOf(m, 1)
    s.t.regions = [Region.make(hot.start, hot.end), Region.make(cold.start, cold.end)]
    assert.strictEqual(sample(s, 20), 20)
    assert.deepStrictEqual(s.t.regions.map((r) => r.nrAccesses), [20, 0])
    assert.strictEqual(s.t.regions[0]!.nrAccessesBp, 20 * 10000 - 0)
  })

  it("reuses the answer for a sampling address in the last checked folio of the same target", () => {
    // A random pattern with Λ ≈ 0.7 per page per sample: answers are coin flips.
    const m = machineOf(cfg(`a, ${GiB}\n\np\n1000\na, 1, 64, 1\n`), { throughput: 40_000_000 })
    const { start } = regionOf(m, 0)
    const s = setup(m)
    const rng = countingRng(5)
    s.env = envOf(rng, s.clock)
    const page = start + 100 * PAGE
    s.t.regions = [Region.make(page, page + 2048), Region.make(page + 2048, page + PAGE)]
    let differ = 0
    for (let i = 0; i < 200; i++) {
      const before = s.t.regions.map((r) => r.nrAccesses)
      sample(s, 1)
      const after = s.t.regions.map((r) => r.nrAccesses)
      if (after[0]! - before[0]! !== after[1]! - before[1]!) differ++
    }
    assert.strictEqual(differ, 0)
    assert.strictEqual(rng.counts.float, 200)
    assert.isAbove(s.t.regions[0]!.nrAccesses, 50)
    assert.isBelow(s.t.regions[0]!.nrAccesses, 190)
    // Another target on the same page is checked again (the cache is per target walk).
    const other = Target.make(PID, [Region.make(page, page + PAGE)])
    s.ctx.targets.push(other)
    sample(s, 1)
    assert.strictEqual(rng.counts.float, 202)
  })

  it("uses the huge page as the folio once collapsed", () => {
    const m = machineOf(cfg(`a, ${GiB}\n\np\n1000\na, 1, 64, 1\n`), { throughput: 40_000_000, thp: "always" })
    const { start } = regionOf(m, 0)
    const s = setup(m)
    const rng = countingRng(5)
    s.env = envOf(rng, s.clock)
    // Two regions in one huge page, far apart: one check, one answer.
    s.t.regions = [Region.make(start, start + PAGE), Region.make(start + MiB, start + MiB + PAGE)]
    sample(s, 50)
    assert.strictEqual(s.t.regions[0]!.nrAccesses, s.t.regions[1]!.nrAccesses)
    // 512 times the slots of a page: a huge page is always accessed, no draw needed.
    assert.strictEqual(s.t.regions[0]!.nrAccesses, 50)
    assert.strictEqual(rng.counts.float, 0)
  })

  it("counts a region whose sampling address is outside it as not accessed", () => {
    const m = machineOf(twoRegions)
    const s = setup(m)
    const hot = regionOf(m, 0)
    s.t.regions = [Region.make(hot.start, hot.end)]
    s.ops.prepareAccessChecks!(s.ctx, s.env)
    // A control call splits the region between prepare and check.
    const right = Target.splitRegionAt(s.t, 0, 32 * MiB)
    s.clock.now += 5000
    s.ops.checkAccesses!(s.ctx, s.env)
    assert.strictEqual(right.samplingAddr, -1)
    assert.strictEqual(right.nrAccesses, 0)
  })

  it("records no accesses for an exited process and leaves its sampling addresses", () => {
    const m = machineOf(twoRegions, { exitUs: 100_000 })
    const s = setup(m)
    const hot = regionOf(m, 0)
    s.t.regions = [Region.make(hot.start, hot.end)]
    assert.strictEqual(sample(s, 10), 10)
    assert.isTrue(s.ops.targetValid!(s.ctx, s.t, s.env))
    s.clock.now = 200_000
    assert.isFalse(s.ops.targetValid!(s.ctx, s.t, s.env))
    const addr = s.t.regions[0]!.samplingAddr
    sample(s, 5)
    assert.strictEqual(s.t.regions[0]!.samplingAddr, addr)
    assert.strictEqual(s.t.regions[0]!.nrAccesses, 10)
    assert.strictEqual(s.t.regions[0]!.nrAccessesBp, 10 * 10000)
  })

  it("is deterministic for a seed", () => {
    const run = (seed: number) => {
      const m = machineOf(shipped("100mb"), { throughput: 2_000_000 })
      const s = setup(m)
      s.env = envOf(makeRng(seed), s.clock)
      const r = regionOf(m, 0)
      s.t.regions = [Region.make(r.start, r.end)]
      evenlySplitRegion(s.t, 0, 50, PAGE)
      sample(s, 20)
      return s.t.regions.map((x) => [x.samplingAddr, x.nrAccesses])
    }
    assert.deepStrictEqual(run(3), run(3))
    assert.notDeepEqual(run(3), run(4))
  })

  it("tracks the zigzag workload with the core's adaptive regions", () => {
    const m = machineOf(shipped("zigzag"))
    const s = setup(m)
    s.ctx.attrs = { ...s.ctx.attrs, minNrRegions: 10, maxNrRegions: 100 }
    const a = regionOf(m, 0)
    const b = regionOf(m, 1)
    const hotBytes = (lo: number, hi: number) => {
      let sum = 0
      for (const r of s.t.regions) if (r.nrAccesses > 10) sum += Math.max(0, Math.min(hi, r.end) - Math.max(lo, r.start))
      return sum
    }
    const seen: Array<readonly [number, number]> = []
    // Until 10 s both are swept; then a is hot for 5 s, then b.
    runLoop(s.ctx, s.ops, s.env, s.clock, 4000, () => {
      if (s.clock.now === 14_000_000 || s.clock.now === 19_000_000) seen.push([hotBytes(a.start, a.end), hotBytes(b.start, b.end)])
    })
    assert.strictEqual(seen.length, 2)
    assert.isAbove(seen[0]![0], 0.9 * (a.end - a.start))
    assert.isBelow(seen[0]![1], 0.1 * (b.end - b.start))
    assert.isBelow(seen[1]![0], 0.1 * (a.end - a.start))
    assert.isAbove(seen[1]![1], 0.9 * (b.end - b.start))
  })
})

describe("vaddr scores", () => {
  it("uses the cold score for pageout and migrate_cold, the hot one for migrate_hot, 99 otherwise", () => {
    const m = machineOf(twoRegions)
    const s = setup(m)
    const r = Region.make(0, PAGE)
    r.nrAccesses = 10
    r.age = 30
    const weights = { quota: { weightNrAccesses: 1, weightAge: 1 } }
    // freq 10*100/20 = 50; age 30 * 0.1 s = 3 s -> log 2 -> (34 * 100 / 32) / 2 = 53; (50+53)/2 = 51; 51*99/100 = 50.
    const score = (action: string) => s.ops.getSchemeScore!(s.ctx, s.t, r, scheme(s.ctx, { action, ...weights }))
    assert.strictEqual(score("migrate_hot"), 50)
    assert.strictEqual(score("migrate_cold"), 49)
    assert.strictEqual(score("pageout"), 49)
    assert.strictEqual(score("willneed"), 99)
    assert.strictEqual(score("lru_prio"), 99)
    r.nrAccesses = 0
    // freq 0: age counts as colder: log -2 -> (30 * 100 / 32) / 2 = 46; 46/2 = 23; 23*99/100 = 22.
    assert.strictEqual(score("migrate_hot"), 22)
  })
})

describe("vaddr DAMOS actions", () => {
  const apply = (s: ReturnType<typeof setup>, r: Region.Region, input: unknown) => {
    const o = out()
    const sc = scheme(s.ctx, input)
    s.ops.applyScheme!(s.ctx, s.t, r, sc, s.env, o)
    return { o, sc }
  }

  it("pageout reports the whole range like madvise and frees the memory", () => {
    const m = machineOf(twoRegions)
    const s = setup(m)
    const cold = regionOf(m, 1)
    const used = m.usedBytes(0)
    const { o } = apply(s, Region.make(cold.start, cold.end), { action: "pageout" })
    assert.strictEqual(o.applied, 64 * MiB)
    assert.strictEqual(o.filterPassed, 0)
    assert.isAbove(o.costNs, 0)
    assert.strictEqual(m.usedBytes(0), used - 64 * MiB)
    // Applied again: madvise still succeeds on the whole range.
    assert.strictEqual(apply(s, Region.make(cold.start, cold.end), { action: "pageout" }).o.applied, 64 * MiB)
  })

  it("reports 0 for a range with an unmapped hole (ENOMEM) but still acts on the mapped part", () => {
    const m = machineOf(twoRegions)
    const s = setup(m)
    const hot = regionOf(m, 0)
    const cold = regionOf(m, 1)
    const used = m.usedBytes(0)
    const both = Region.make(hot.start, cold.end)
    assert.strictEqual(apply(s, both, { action: "pageout" }).o.applied, 0)
    assert.strictEqual(m.usedBytes(0), used - 128 * MiB)
    const affected = makeVaddrOps(simSpace(m), { madviseApplied: "affected" })
    const o = out()
    affected.applyScheme!(s.ctx, s.t, Region.make(hot.start, cold.end), scheme(s.ctx, { action: "willneed" }), s.env, o)
    assert.strictEqual(o.applied, 128 * MiB)
  })

  it("cold deactivates, hugepage and collapse collapse, nohugepage splits", () => {
    const m = machineOf(twoRegions)
    const s = setup(m)
    const hot = regionOf(m, 0)
    const r = Region.make(hot.start, hot.end)
    const req = { action: "activate" as const, chain: null, targetNid: -1, dests: [], splitThp: true, skipFolio: -1 }
    m.applyVirtual(PID, hot.start, hot.end, req, 0, makeOutcome())
    const before = m.metrics.activeMemBp(0)
    assert.strictEqual(apply(s, r, { action: "cold" }).o.applied, 64 * MiB)
    assert.isBelow(m.metrics.activeMemBp(0), before)
    assert.strictEqual(apply(s, r, { action: "hugepage" }).o.applied, 64 * MiB)
    const p = m.process(PID)!
    p.youngAt(hot.start + 5 * MiB, 0, 1000, makeRng(1))
    assert.strictEqual(p.folioSz, HUGE)
    assert.strictEqual(apply(s, r, { action: "nohugepage" }).o.applied, 64 * MiB)
    p.youngAt(hot.start + 5 * MiB, 0, 1000, makeRng(1))
    assert.strictEqual(p.folioSz, PAGE)
    assert.strictEqual(apply(s, r, { action: "collapse" }).o.applied, 64 * MiB)
    p.youngAt(hot.start + 5 * MiB, 0, 1000, makeRng(1))
    assert.strictEqual(p.folioSz, HUGE)
  })

  it("migrates to the target node, honours ops filters, and reports no filter-passed bytes (as the kernel)", () => {
    const m = machineOf(twoRegions, { ramBytes: 4 * GiB })
    const s = setup(m)
    const cold = regionOf(m, 1)
    const r = Region.make(cold.start, cold.end)
    const rejected = apply(s, r, { action: "migrate_cold", targetNid: 1, filters: [{ type: "anon", matching: true, allow: false }] })
    assert.strictEqual(rejected.o.applied, 0)
    assert.strictEqual(m.nodeUsedBytes(1, 0), 0)
    const { o } = apply(s, r, { action: "migrate_cold", targetNid: 1, filters: [{ type: "anon", matching: true, allow: true }] })
    assert.strictEqual(o.applied, 64 * MiB)
    assert.strictEqual(o.filterPassed, 0)
    assert.strictEqual(m.nodeUsedBytes(1, 0), 64 * MiB)
    const hot = regionOf(m, 0)
    const w = apply(s, Region.make(hot.start, hot.end), { action: "migrate_hot", dests: [{ nid: 0, weight: 1 }, { nid: 1, weight: 3 }] })
    assert.strictEqual(w.o.applied, 48 * MiB)
    assert.strictEqual(m.nodeUsedBytes(1, 0), 112 * MiB)
  })

  it("stat counts bytes passing the ops filters (nothing without filters), core allow short-circuits", () => {
    const m = machineOf(twoRegions)
    const s = setup(m)
    const hot = regionOf(m, 0)
    const r = Region.make(hot.start, hot.end)
    assert.strictEqual(apply(s, r, { action: "stat" }).o.filterPassed, 0)
    assert.strictEqual(apply(s, r, { action: "stat", filters: [{ type: "anon", matching: true, allow: true }] }).o.filterPassed, 64 * MiB)
    const memcg = { action: "stat", filters: [{ type: "memcg", matching: true, allow: true, memcgId: 5 }] }
    assert.strictEqual(apply(s, r, memcg).o.filterPassed, 0)
    const o = out()
    const sc = scheme(s.ctx, memcg)
    sc.coreFiltersAllowed = true
    s.ops.applyScheme!(s.ctx, s.t, r, sc, s.env, o)
    assert.strictEqual(o.filterPassed, 64 * MiB)
    // Young pages (the hot sweep) are rejected by a young filter.
    s.clock.now = 10_000
    const young = { action: "stat", filters: [{ type: "young", matching: true, allow: false }] }
    assert.strictEqual(apply(s, r, young).o.filterPassed, 0)
    // Checking young cleared the accessed bits: right away nothing is young any more...
    const notYoung = { action: "stat", filters: [{ type: "young", matching: false, allow: true }] }
    assert.strictEqual(apply(s, r, notYoung).o.filterPassed, 64 * MiB)
    // ...until the workload touches the pages again.
    s.clock.now = 20_000
    assert.strictEqual(apply(s, r, notYoung).o.filterPassed, 0)
    const cold = regionOf(m, 1)
    assert.strictEqual(apply(s, Region.make(cold.start, cold.end), young).o.filterPassed, 64 * MiB)
  })

  it("stat skips the last applied huge folio in the same pass", () => {
    const m = machineOf(twoRegions, { thp: "always" })
    const s = setup(m)
    const cold = regionOf(m, 1)
    const sc = scheme(s.ctx, { action: "stat", filters: [{ type: "anon", matching: true, allow: true }] })
    const o1 = out()
    s.ops.applyScheme!(s.ctx, s.t, Region.make(cold.start, cold.start + MiB), sc, s.env, o1)
    const o2 = out()
    s.ops.applyScheme!(s.ctx, s.t, Region.make(cold.start + MiB, cold.start + 3 * MiB), sc, s.env, o2)
    assert.strictEqual(o1.filterPassed, HUGE)
    assert.strictEqual(o2.filterPassed, HUGE)
    // After the pass (the engine resets lastApplied), the first folio counts again.
    sc.lastApplied = -1
    const o3 = out()
    s.ops.applyScheme!(s.ctx, s.t, Region.make(cold.start + MiB, cold.start + 3 * MiB), sc, s.env, o3)
    assert.strictEqual(o3.filterPassed, 2 * HUGE)
  })

  it("does not support lru_prio and does nothing for an exited process", () => {
    const m = machineOf(twoRegions, { exitUs: 1000 })
    const s = setup(m)
    const hot = regionOf(m, 0)
    assert.strictEqual(apply(s, Region.make(hot.start, hot.end), { action: "lru_prio" }).o.applied, 0)
    s.clock.now = 2000
    assert.strictEqual(apply(s, Region.make(hot.start, hot.end), { action: "pageout" }).o.applied, 0)
  })
})

describe("vaddr per-sample work does not depend on the size of the address space", () => {
  it("1 GiB and 1 TiB workloads cost the same per sample (same draws, lookups, extents, results)", () => {
    const run = (size: number) => {
      // Throughput scales with the size, so every page sees the same Λ in both.
      const m = machineOf(cfg(`a, ${size}\n\np\n1000\na, 1, 64, 1\n`), { throughput: size / 32, nrNodes: 1 })
      const s = setup(m)
      const rng = countingRng(77)
      s.env = envOf(rng, s.clock)
      const r = regionOf(m, 0)
      s.t.regions = [Region.make(r.start, r.end)]
      evenlySplitRegion(s.t, 0, 1000, PAGE)
      const p = m.process(PID)!
      const steps0 = p.lookupSteps
      sample(s, 100)
      return {
        extents: m.extentCount(PID),
        draws: rng.counts,
        lookups: p.lookupSteps - steps0,
        accesses: s.t.regions.map((x) => x.nrAccesses)
      }
    }
    const small = run(GiB)
    const big = run(1024 * GiB)
    assert.strictEqual(small.extents, big.extents)
    assert.deepStrictEqual(small.draws, big.draws)
    assert.strictEqual(small.lookups, big.lookups)
    assert.deepStrictEqual(small.accesses, big.accesses)
    assert.strictEqual(small.draws.rand, 100 * 1000)
  })
})
