/**
 * vaddr keeping samples aside (`OpsEnv.settles`, `DamonOps.settle`): with the engine's promise to
 * settle before anything reads or changes the regions, vaddr counts a sample's accesses and draws
 * the next addresses in its own arrays, and `settle` writes them into the regions. Here the same
 * seeded scenarios run with and without keeping, settling where the engine would (user functions
 * between prepare and check or after the check, aggregation boundaries, a window length change),
 * and every region, every `checkAccesses` answer and the generator's state must agree.
 */
import { assert, describe, it } from "@effect/vitest"
import { applyMinNrRegions, mergeRegions, resetAggregated, type SplitState, splitRegions } from "../../src/core/RegionAdjust.ts"
import { makeRng, type Rng } from "../../src/core/Rng.ts"
import { evenlySplitRegion } from "../../src/core/ThreeRegions.ts"
import { initSchedule } from "../../src/core/SetAttrs.ts"
import * as Region from "../../src/model/Region.ts"
import * as Target from "../../src/model/Target.ts"
import type { AccessSampler, AddressSpace } from "../../src/ops/AddressSpace.ts"
import { makeVaddrOps } from "../../src/ops/vaddr.ts"
import { simSpace } from "../../src/sim/SimSpace.ts"
import { cfg, GiB, machineOf, MiB, PAGE } from "../sim/support.ts"
import { type Clock, ctxOf, envOf, perAddress, snapshotRegions } from "./support.ts"

const PID = 42

/** How the space answers: both batch forms, the per-address forms only, or a batch `mkold` with a per-address `young`. */
type Sampling = "batch" | "perAddress" | "mixed"

/** `space` with a batch `mkold` but a per-address `young` (each form is optional on its own). */
const mixed = (space: AddressSpace): AddressSpace => ({
  ...space,
  sampler: (rng: Rng): AccessSampler => {
    const inner = space.sampler(rng)
    return {
      mkold: (pid, addr, nowUs) => inner.mkold(pid, addr, nowUs),
      mkoldBatch: (pid, addrs, n, nowUs) => inner.mkoldBatch!(pid, addrs, n, nowUs),
      young: (pid, addr, nowUs) => inner.young(pid, addr, nowUs),
      get folioSz() {
        return inner.folioSz
      }
    }
  }
})

/**
 * Seed `seed`'s run: two targets on a process that exits after 1.6 s (an empty region among the
 * first's) and one on a pid that does not exist, 400 samples with aggregations every 20, and at
 * random (the same plan with and without keeping) a user function between prepare and check
 * (changing a region, or only reading), one after the check, and a new aggregation interval (the
 * moving sum's window) at a boundary. Every user function and boundary settles first, as the
 * engine does; snapshots are taken right after. Without `counted`, the env has no `userRuns`.
 */
const run = (seed: number, keep: boolean, sampling: Sampling, counted = true) => {
  const config = cfg(`a, ${GiB}\nb, ${64 * MiB}\n\np\n1000\na, 1, 64, 1\nb, 0, 4096, 1\n`)
  const machine = machineOf(config, { throughput: 40_000_000, thp: seed % 3 === 0 ? "always" : "never", exitUs: 1_600_000 })
  const sim = simSpace(machine)
  const space = sampling === "batch" ? sim : sampling === "perAddress" ? perAddress(sim) : mixed(sim)
  const p = machine.process(PID)!
  const a = p.regionStart[0]!
  const b = p.regionStart[1]!
  const ctx = ctxOf("vaddr")
  ctx.attrs = { ...ctx.attrs, minNrRegions: 10, maxNrRegions: 200 }
  const first = Target.make(PID, [Region.make(a, a + GiB)])
  evenlySplitRegion(first, 0, 40, PAGE)
  const cut = first.regions[7]!.end
  first.regions.splice(8, 0, Region.make(cut, cut))
  const second = Target.make(PID, [Region.make(b, b + 64 * MiB)])
  evenlySplitRegion(second, 0, 12, PAGE)
  ctx.targets.push(first, Target.make(7, [Region.make(a, a + MiB)]), second)
  const clock: Clock = { now: 0 }
  const rng = makeRng(seed)
  const plan = makeRng(seed + 1_000_003)
  let userRuns = 0
  const env = { ...envOf(rng, clock), ...(counted ? { userRuns: () => userRuns } : {}), settles: keep }
  const ops = makeVaddrOps(space)
  const settle = () => ops.settle!(ctx)
  /** A user function: settled first, then maybe a change of `second`'s regions. */
  const userFn = (change: boolean) => {
    settle()
    userRuns++
    if (!change) return
    const k = plan.rand(0, second.regions.length - 1)
    const r = second.regions[k]!
    const half = Math.floor((r.end - r.start) / 2 / PAGE) * PAGE
    if (half === 0) return
    if (plan.rand(0, 2) === 0 || k + 1 >= second.regions.length) Target.splitRegionAt(second, k, half)
    else {
      r.end = r.start + half
      second.regions[k + 1]!.start = r.end
    }
  }
  initSchedule(ctx)
  let szLimit = applyMinNrRegions(ctx)
  const split: SplitState = { lastNrRegions: 0 }
  const snaps = []
  const maxes: Array<number> = []
  let nextAggregation = 20
  for (let i = 0; i < 400; i++) {
    ops.prepareAccessChecks!(ctx, env)
    const between = plan.rand(0, 12)
    if (between === 0) userFn(true)
    else if (between === 1) userFn(false)
    if (between < 2) snaps.push(snapshotRegions(ctx.targets))
    clock.now += 5000
    maxes.push(ops.checkAccesses!(ctx, env))
    ctx.passedSampleIntervals++
    if (ctx.passedSampleIntervals >= nextAggregation) {
      settle()
      mergeRegions(ctx, Math.floor(maxes[maxes.length - 1]! / 10), szLimit)
      snaps.push(snapshotRegions(ctx.targets))
      resetAggregated(ctx)
      splitRegions(ctx, split, rng)
      szLimit = applyMinNrRegions(ctx)
      if (plan.rand(0, 5) === 0) {
        // A new window: 10 to 39 samples per aggregation.
        ctx.attrs = { ...ctx.attrs, aggrIntervalUs: 5000 * plan.rand(10, 40) }
      }
      nextAggregation = ctx.passedSampleIntervals + Math.floor(ctx.attrs.aggrIntervalUs / 5000)
    } else if (plan.rand(0, 15) === 0) {
      userFn(plan.rand(0, 2) === 0)
      snaps.push(snapshotRegions(ctx.targets))
    }
  }
  settle()
  snaps.push(snapshotRegions(ctx.targets))
  return { snaps, maxes, state: rng.state() }
}

/**
 * One target of `nrRegions` even regions over a 1 GiB mapping accessed at random; `sample` runs
 * one prepare and check, with keeping allowed when `keep`.
 */
const oneTarget = (nrRegions: number, seed: number, keep: boolean) => {
  const machine = machineOf(cfg(`a, ${GiB}\n\np\n1000\na, 1, 64, 1\n`), { throughput: 40_000_000 })
  const a = machine.process(PID)!.regionStart[0]!
  const ctx = ctxOf("vaddr")
  const t = Target.make(PID, [Region.make(a, a + GiB)])
  evenlySplitRegion(t, 0, nrRegions, PAGE)
  ctx.targets.push(t)
  const clock: Clock = { now: 0 }
  const env = { ...envOf(makeRng(seed), clock), settles: keep }
  const ops = makeVaddrOps(simSpace(machine))
  const sample = () => {
    ops.prepareAccessChecks!(ctx, env)
    clock.now += 5000
    return ops.checkAccesses!(ctx, env)
  }
  return { ctx, t, ops, sample }
}

describe("vaddr settle (OpsEnv.settles)", () => {
  it("keeping samples aside gives the regions, answers and draws of writing every sample (12 seeds x 4 ways of sampling)", () => {
    const ways: ReadonlyArray<readonly [Sampling, boolean]> = [["batch", true], ["perAddress", true], ["mixed", true], ["batch", false]]
    for (let seed = 0; seed < 12; seed++) {
      for (const [sampling, counted] of ways) {
        const kept = run(seed, true, sampling, counted)
        const written = run(seed, false, sampling, counted)
        const what = `seed ${seed}, ${sampling}${counted ? "" : " without userRuns"}`
        assert.deepStrictEqual(kept.maxes, written.maxes, `${what}: checkAccesses answers`)
        assert.deepStrictEqual(kept.snaps, written.snaps, `${what}: regions`)
        assert.deepStrictEqual(kept.state, written.state, `${what}: generator`)
      }
    }
  })

  it("keeps between settles: the regions are not written until settle, then hold every sample", () => {
    const { ctx, t, ops, sample } = oneTarget(50, 3, true)
    sample()
    const afterFirst = snapshotRegions(ctx.targets)
    let max = 0
    for (let i = 0; i < 9; i++) max = sample()
    // The first check after a settle writes; the next nine only count aside.
    assert.deepStrictEqual(snapshotRegions(ctx.targets), afterFirst)
    ops.settle!(ctx)
    const counts = t.regions.map((r) => r.nrAccesses)
    assert.strictEqual(Math.max(...counts), max)
    assert.isTrue(counts.reduce((x, y) => x + y, 0) > afterFirst[0]!.reduce((x, r) => x + (r[3] as number), 0))
    assert.notDeepEqual(snapshotRegions(ctx.targets), afterFirst)
  })

  it("after a settle that found nothing kept (a user function at every sample), the next checks write straight into the regions", () => {
    const { ctx, ops, sample } = oneTarget(50, 3, true)
    sample()
    ops.settle!(ctx)
    for (let i = 0; i < 16; i++) {
      const before = snapshotRegions(ctx.targets)
      sample()
      assert.notDeepEqual(snapshotRegions(ctx.targets), before, `check ${i} after the wasted keep`)
    }
    // Then it keeps again: the 17th check writes and keeps, the 18th only counts aside.
    sample()
    const kept = snapshotRegions(ctx.targets)
    sample()
    assert.deepStrictEqual(snapshotRegions(ctx.targets), kept)
  })

  it("a new window (aggregation interval) without a settle: the kept samples count in the old window", () => {
    const run2 = (keep: boolean) => {
      const { ctx, t, ops, sample } = oneTarget(30, 5, keep)
      for (const r of t.regions) r.lastNrAccesses = 7
      for (let i = 0; i < 12; i++) {
        if (i === 6) ctx.attrs = { ...ctx.attrs, aggrIntervalUs: 40 * 5000 }
        sample()
      }
      ops.settle!(ctx)
      return snapshotRegions(ctx.targets)
    }
    assert.deepStrictEqual(run2(true), run2(false))
  })

  it("a regions array replaced without a settle: what was kept lands in the regions it was kept for", () => {
    const run2 = (keep: boolean) => {
      const { ctx, t, ops, sample } = oneTarget(30, 5, keep)
      for (let i = 0; i < 8; i++) sample()
      const old = t.regions
      t.regions = old.slice(0, 10).map((r) => Region.make(r.start, r.end))
      for (let i = 0; i < 3; i++) sample()
      ops.settle!(ctx)
      return [snapshotRegions([{ ...t, regions: old }]), snapshotRegions(ctx.targets)]
    }
    assert.deepStrictEqual(run2(true), run2(false))
  })
})
