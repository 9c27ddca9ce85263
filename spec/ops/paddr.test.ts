import { assert, describe, it } from "@effect/vitest"
import { makeRng } from "../../src/core/Rng.ts"
import { evenlySplitRegion } from "../../src/core/ThreeRegions.ts"
import * as Region from "../../src/model/Region.ts"
import * as Target from "../../src/model/Target.ts"
import { biggestSystemRamRange, makePaddrOps, setRegionBiggestSystemRamDefault } from "../../src/ops/paddr.ts"
import type { SimMachine } from "../../src/sim/SimMachine.ts"
import { simSpace } from "../../src/sim/SimSpace.ts"
import { cfg, countingRng, GiB, HUGE, machineOf, MiB, PAGE, shipped, unwrap } from "../sim/support.ts"
import { type Clock, ctxOf, envOf, out, runLoop, scheme } from "./support.ts"

const PID = 42
const twoRegions = cfg(`hot, ${64 * MiB}\ncold, ${64 * MiB}\n\np\n1000\nhot, 0, 4096, 1\n`)

/** The physical ranges backing workload region `i` (one per extent). */
const physOf = (m: SimMachine, i: number) =>
  m.process(PID)!.extents.filter((e) => e.regionIdx === i).map((e) => ({ start: e.pStart, end: e.pStart + (e.vEnd - e.vStart) }))

const setup = (machine: SimMachine) => {
  const ctx = ctxOf("paddr")
  const t = Target.make(null)
  ctx.targets.push(t)
  const clock: Clock = { now: 0 }
  const env = envOf(makeRng(21), clock)
  const ops = makePaddrOps(simSpace(machine))
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

describe("paddr", () => {
  it("has no init, update or targetValid, and exposes the machine's metrics", () => {
    const m = machineOf(twoRegions)
    const ops = makePaddrOps(simSpace(m))
    assert.strictEqual(ops.id, "paddr")
    assert.isUndefined(ops.init)
    assert.isUndefined(ops.update)
    assert.isUndefined(ops.targetValid)
    assert.strictEqual(ops.system, m.metrics)
  })

  it("samples physical frames: the workload's hot frames are accessed, cold and free frames not", () => {
    const m = machineOf(twoRegions)
    const s = setup(m)
    const hot = physOf(m, 0)
    const cold = physOf(m, 1)
    const ram = m.ram[m.ram.length - 1]!
    s.t.regions = [...hot, ...cold, { start: ram.end - 16 * MiB, end: ram.end }]
      .sort((a, b) => a.start - b.start)
      .map((r) => Region.make(r.start, r.end))
    sample(s, 20)
    for (const r of s.t.regions) {
      const isHot = hot.some((h) => h.start === r.start)
      assert.strictEqual(r.nrAccesses, isHot ? 20 : 0)
    }
  })

  it("honours addrUnit (core address * addrUnit = physical address)", () => {
    const m = machineOf(twoRegions)
    const s = setup(m)
    s.ctx.addrUnit = 4
    const hot = physOf(m, 0)[0]!
    s.t.regions = [Region.make(hot.start / 4, hot.end / 4)]
    assert.strictEqual(sample(s, 10), 10)
    const sc = scheme(s.ctx, { action: "stat", filters: [{ type: "anon", matching: true, allow: true }] })
    const o = out()
    s.ops.applyScheme!(s.ctx, s.t, s.t.regions[0]!, sc, s.env, o)
    assert.strictEqual(o.filterPassed, (hot.end - hot.start) / 4)
  })

  it("monitors the biggest System RAM and finds the zigzag phases", () => {
    const m = machineOf(shipped("zigzag"))
    const s = setup(m)
    s.ctx.attrs = { ...s.ctx.attrs, minNrRegions: 10, maxNrRegions: 200 }
    const big = biggestSystemRamRange(simSpace(m))
    assert.deepStrictEqual(unwrap(setRegionBiggestSystemRamDefault(simSpace(m), s.t, 0, 0, 1, PAGE)), big)
    const a = physOf(m, 0)
    const b = physOf(m, 1)
    const hotBytes = (ranges: ReadonlyArray<{ start: number; end: number }>) => {
      let sum = 0
      for (const r of s.t.regions) {
        if (r.nrAccesses <= 10) continue
        for (const x of ranges) sum += Math.max(0, Math.min(x.end, r.end) - Math.max(x.start, r.start))
      }
      return sum
    }
    const size = (ranges: ReadonlyArray<{ start: number; end: number }>) => ranges.reduce((n, x) => n + x.end - x.start, 0)
    const inBig = (ranges: ReadonlyArray<{ start: number; end: number }>) =>
      ranges.filter((x) => x.start >= big.start && x.end <= big.end)
    const seen: Array<readonly [number, number]> = []
    runLoop(s.ctx, s.ops, s.env, s.clock, 4000, () => {
      if (s.clock.now === 14_000_000 || s.clock.now === 19_000_000) seen.push([hotBytes(inBig(a)), hotBytes(inBig(b))])
    })
    assert.isAbove(seen[0]![0], 0.8 * size(inBig(a)))
    assert.isBelow(seen[0]![1], 0.2 * size(inBig(b)) + 1)
    assert.isBelow(seen[1]![0], 0.2 * size(inBig(a)) + 1)
    assert.isAbove(seen[1]![1], 0.8 * size(inBig(b)))
  })

  it("uses hot scores for lru_prio and migrate_hot, cold ones for pageout, lru_deprio and migrate_cold", () => {
    const m = machineOf(twoRegions)
    const s = setup(m)
    const r = Region.make(0, PAGE)
    r.nrAccesses = 20
    const score = (action: string) =>
      s.ops.getSchemeScore!(s.ctx, s.t, r, scheme(s.ctx, { action, quota: { weightNrAccesses: 1 } }))
    assert.strictEqual(score("lru_prio"), 99)
    assert.strictEqual(score("migrate_hot"), 99)
    assert.strictEqual(score("pageout"), 0)
    assert.strictEqual(score("lru_deprio"), 0)
    assert.strictEqual(score("migrate_cold"), 0)
    assert.strictEqual(score("stat"), 99)
  })

  it("pageout keeps young pages (implicit young filter) unless the scheme has its own young filter", () => {
    const m = machineOf(twoRegions)
    const s = setup(m)
    s.clock.now = 10_000
    const used = m.usedBytes(0)
    const hot = physOf(m, 0)[0]!
    const cold = physOf(m, 1)[0]!
    const apply = (range: { start: number; end: number }, input: unknown) => {
      const o = out()
      s.ops.applyScheme!(s.ctx, s.t, Region.make(range.start, range.end), scheme(s.ctx, input), s.env, o)
      return o
    }
    const hotOut = apply(hot, { action: "pageout" })
    assert.strictEqual(hotOut.applied, 0)
    assert.strictEqual(hotOut.filterPassed, 0)
    const coldOut = apply(cold, { action: "pageout" })
    assert.strictEqual(coldOut.applied, cold.end - cold.start)
    assert.strictEqual(coldOut.filterPassed, cold.end - cold.start)
    assert.strictEqual(m.usedBytes(10_000), used - (cold.end - cold.start))
    // Own young filter (reject non-young): no implicit one, young hot pages are reclaimed.
    s.clock.now = 20_000
    const own = apply(hot, { action: "pageout", filters: [{ type: "young", matching: false, allow: false }] })
    assert.strictEqual(own.applied, hot.end - hot.start)
  })

  it("lru_prio and lru_deprio (de)activate the folios and report their bytes", () => {
    const m = machineOf(twoRegions)
    const s = setup(m)
    const hot = physOf(m, 0)[0]!
    const r = Region.make(hot.start, hot.end)
    const before = m.metrics.activeMemBp(0)
    const o = out()
    s.ops.applyScheme!(s.ctx, s.t, r, scheme(s.ctx, { action: "lru_prio" }), s.env, o)
    assert.strictEqual(o.applied, hot.end - hot.start)
    assert.isAbove(m.metrics.activeMemBp(0), before)
    const d = out()
    s.ops.applyScheme!(s.ctx, s.t, r, scheme(s.ctx, { action: "lru_deprio" }), s.env, d)
    assert.strictEqual(d.applied, hot.end - hot.start)
    assert.strictEqual(m.metrics.activeMemBp(0), before)
    // Actions paddr does not support apply nothing.
    const w = out()
    s.ops.applyScheme!(s.ctx, s.t, r, scheme(s.ctx, { action: "willneed" }), s.env, w)
    assert.strictEqual(w.applied, 0)
  })

  it("migrates to targetNid and ignores dests, as the kernel's paddr", () => {
    const m = machineOf(twoRegions, { ramBytes: 4 * GiB })
    const s = setup(m)
    const cold = physOf(m, 1)[0]!
    const r = Region.make(cold.start, cold.end)
    const o = out()
    s.ops.applyScheme!(s.ctx, s.t, r, scheme(s.ctx, { action: "migrate_cold", targetNid: 1 }), s.env, o)
    assert.strictEqual(o.applied, cold.end - cold.start)
    assert.strictEqual(m.nodeUsedBytes(1, 0), cold.end - cold.start)
    const hot = physOf(m, 0)[0]!
    const d = out()
    s.ops.applyScheme!(s.ctx, s.t, Region.make(hot.start, hot.end), scheme(s.ctx, { action: "migrate_hot", dests: [{ nid: 1, weight: 1 }] }), s.env, d)
    assert.strictEqual(d.applied, 0)
  })

  it("stat counts passing bytes only with filters, and a huge folio spanning regions once per pass", () => {
    const m = machineOf(twoRegions, { thp: "always" })
    const s = setup(m)
    const cold = physOf(m, 1)[0]!
    const none = out()
    s.ops.applyScheme!(s.ctx, s.t, Region.make(cold.start, cold.end), scheme(s.ctx, { action: "stat" }), s.env, none)
    assert.strictEqual(none.filterPassed, 0)
    const sc = scheme(s.ctx, { action: "stat", filters: [{ type: "hugepage_size", matching: true, allow: true, szRange: { min: HUGE, max: HUGE } }] })
    const o1 = out()
    s.ops.applyScheme!(s.ctx, s.t, Region.make(cold.start, cold.start + MiB), sc, s.env, o1)
    const o2 = out()
    s.ops.applyScheme!(s.ctx, s.t, Region.make(cold.start + MiB, cold.start + 2 * MiB), sc, s.env, o2)
    assert.strictEqual(o1.filterPassed, HUGE)
    assert.strictEqual(o2.filterPassed, 0)
    assert.strictEqual(o1.applied + o2.applied, 0)
  })

  it("reclaims unmapped page cache (never young) and only it with an unmapped filter", () => {
    const m = machineOf(twoRegions, { pageCacheBytes: 32 * MiB })
    const s = setup(m)
    s.clock.now = 1000
    const sc = scheme(s.ctx, { action: "pageout", filters: [{ type: "unmapped", matching: true, allow: true }] })
    let applied = 0
    for (const r of m.systemRamRanges()) {
      const o = out()
      s.ops.applyScheme!(s.ctx, s.t, Region.make(r.start, r.end), sc, s.env, o)
      applied += o.applied
    }
    assert.strictEqual(applied, 32 * MiB)
  })

  it("samples a 1 TiB machine at the same cost per sample as a 1 GiB one", () => {
    const run = (size: number) => {
      const m = machineOf(cfg(`a, ${size}\n\np\n1000\na, 1, 64, 1\n`), { throughput: size / 32, nrNodes: 1 })
      const s = setup(m)
      const rng = countingRng(9)
      s.env = envOf(rng, s.clock)
      const a = physOf(m, 0)[0]!
      s.t.regions = [Region.make(a.start, a.end)]
      evenlySplitRegion(s.t, 0, 1000, PAGE)
      sample(s, 100)
      return { draws: rng.counts, extents: m.extentCount(), accesses: s.t.regions.map((r) => r.nrAccesses) }
    }
    const small = run(GiB)
    const big = run(1024 * GiB)
    assert.deepStrictEqual(small.draws, big.draws)
    assert.strictEqual(small.extents, big.extents)
    assert.deepStrictEqual(small.accesses, big.accesses)
  })
})
