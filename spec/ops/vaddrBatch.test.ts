/**
 * vaddr's batch sampling path (`AccessSampler.mkoldBatch`/`youngBatch`, which the simulated
 * machine offers) against its per-address path (`mkold`/`young`, which every space offers): the
 * same draws, the same answers, the same regions; and a seeded run pinned to the figures the
 * per-address path gave before the batch path existed.
 */
import { assert, describe, it } from "@effect/vitest"
import { makeRng } from "../../src/core/Rng.ts"
import { evenlySplitRegion } from "../../src/core/ThreeRegions.ts"
import * as Region from "../../src/model/Region.ts"
import * as Target from "../../src/model/Target.ts"
import type { AccessSampler } from "../../src/ops/AddressSpace.ts"
import { makeSampleState, SampleSlot } from "../../src/ops/opsCommon.ts"
import { makeVaddrOps } from "../../src/ops/vaddr.ts"
import type { SimMachine } from "../../src/sim/SimMachine.ts"
import { simSpace } from "../../src/sim/SimSpace.ts"
import { cfg, GiB, machineOf, MiB, PAGE, shipped } from "../sim/support.ts"
import { type Clock, ctxOf, envOf, perAddress, runLoop, snapshotRegions } from "./support.ts"

const PID = 42

/**
 * Seed `seed`'s scenario on a fresh machine: a coin-flip workload (huge pages when `thp`), two
 * targets on the process (tiny neighbouring regions that share folios, then even pieces) and one
 * on a pid that does not exist; samples one by one, with a control call between prepare and check
 * every 7th sample (splitting a region, or moving the boundary between two: the same number of
 * regions), then runs the adaptive loop. The env counts user functions (`OpsEnv.userRuns`), so the
 * batch path reuses its drawn addresses except after those calls.
 */
const scenario = (seed: number, thp: boolean, batch: boolean) => {
  const config = cfg(`a, ${GiB}\nb, ${64 * MiB}\n\np\n1000\na, 1, 64, 1\nb, 1, 4096, 1\n`)
  // Rates where a checked folio of `a` (random, stride 64) is a coin flip: a 4 KiB page without
  // huge pages, a 2 MiB page (32 768 slots, Λ ≈ 1 per sample) with them.
  const machine: SimMachine = machineOf(config, { throughput: thp ? 200_000 : 40_000_000, thp: thp ? "always" : "never" })
  const space = batch ? simSpace(machine) : perAddress(simSpace(machine))
  const p = machine.process(PID)!
  const a = p.regionStart[0]!
  const b = p.regionStart[1]!
  const ctx = ctxOf("vaddr")
  const tiny: Array<Region.Region> = []
  for (let i = 0; i < 40; i++) tiny.push(Region.make(a + i * 1024, a + (i + 1) * 1024))
  const edge = a + 64 * MiB
  const first = Target.make(PID, [
    ...tiny,
    Region.make(a + MiB, a + MiB + PAGE),
    Region.make(a + 3 * MiB, edge),
    Region.make(edge, edge + 1024)
  ])
  // Starts in the folio where `first` ends: the cache is per target walk, so it is tested again.
  const again = Target.make(PID, [Region.make(edge + 1024, edge + 2048)])
  const second = Target.make(PID, [Region.make(b, b + 64 * MiB)])
  evenlySplitRegion(second, 0, 30, PAGE)
  ctx.targets.push(first, again, second, Target.make(7, [Region.make(a, a + MiB)]))
  const clock: Clock = { now: 0 }
  const rng = makeRng(seed)
  let userRuns = 0
  const env = { ...envOf(rng, clock), userRuns: () => userRuns }
  const ops = makeVaddrOps(space)
  const snaps = []
  for (let i = 0; i < 60; i++) {
    ops.prepareAccessChecks!(ctx, env)
    if (i % 7 === 3) {
      // A control call between prepare and check: a split (its right piece is not tested) or a
      // moved boundary (a sampling address may now lie in the neighbour: not tested either).
      userRuns++
      const k = i % (second.regions.length - 1)
      const r = second.regions[k]!
      const half = Math.floor((r.end - r.start) / 2 / PAGE) * PAGE
      if (half > 0 && i % 2 === 1) Target.splitRegionAt(second, k, half)
      else if (half > 0) {
        r.end = r.start + half
        second.regions[k + 1]!.start = r.end
      }
    }
    clock.now += 5000
    ops.checkAccesses!(ctx, env)
    snaps.push(snapshotRegions(ctx.targets))
  }
  ctx.targets.pop()
  runLoop(ctx, ops, env, clock, 300, (c) => snaps.push(snapshotRegions(c.targets)))
  return { snaps, state: rng.state() }
}

/** `AccessSampler.youngBatch`'s contract written with `young`. */
const byContract = (s: AccessSampler, pid: number, addrs: Float64Array, nowUs: number, cache: Float64Array, out: Uint8Array) => {
  for (let i = 0; i < addrs.length; i++) {
    const a = addrs[i]!
    out[i] = 0
    if (Number.isNaN(a)) continue
    if (i > 0 && Math.floor(a * cache[SampleSlot.folioInv]!) === cache[SampleSlot.folioIdx]) {
      out[i] = cache[SampleSlot.accessed]!
      continue
    }
    const y = s.young(pid, a, nowUs)
    if (y >= 0 && s.folioSz !== cache[SampleSlot.folioSz]) {
      cache[SampleSlot.folioSz] = s.folioSz
      cache[SampleSlot.folioInv] = 1 / s.folioSz
    }
    cache[SampleSlot.accessed] = y === 1 ? 1 : 0
    cache[SampleSlot.folioIdx] = Math.floor(a * cache[SampleSlot.folioInv]!)
    out[i] = cache[SampleSlot.accessed]!
  }
}

describe("vaddr batch sampling", () => {
  it("the simulated machine's youngBatch keeps its contract: untested, repeated, unmapped addresses, unknown pid, pages alike or not (60 seeds)", () => {
    // Random at stride 64 (every page of the extent alike), at stride 8192 (every other page
    // untouched), and a sequential cursor (pages it passed and pages it did not).
    const patterns = ["1, 64, 1", "1, 8192, 1", "0, 4096, 1"]
    for (let seed = 0; seed < 60; seed++) {
      const config = cfg(`a, ${64 * MiB}\n\np\n1000\na, ${patterns[seed % 3]}\n`)
      const thp = seed % 2 === 0
      const options = { throughput: thp ? 40_000 : 20_000_000, thp: thp ? "always" as const : "never" as const }
      const draw = makeRng(seed)
      const a = machineOf(config, options).process(PID)!.regionStart[0]!
      // Mapped addresses, some in one folio, some past the mapping, some not tested.
      const addrs = Float64Array.from({ length: 200 }, () => {
        const k = draw.rand(0, 10)
        if (k === 0) return Number.NaN
        if (k === 1) return a + 80 * MiB + draw.rand(0, MiB)
        return a + (k < 5 ? draw.rand(0, 4 * PAGE) : draw.rand(0, 64 * MiB))
      })
      // The first address is not tested, the second is in the last one's folio: an unknown pid's
      // batch starts on the cache the process's batch left.
      addrs[0] = Number.NaN
      addrs[1] = a + 8
      addrs[addrs.length - 1] = a + 16
      const results = [true, false].map((batch) => {
        const s = simSpace(machineOf(config, options)).sampler(makeRng(seed))
        const cache = makeSampleState()
        const out = new Uint8Array(addrs.length)
        const answers = []
        for (let t = 1; t <= 6; t++) {
          const pid = t % 2 === 1 ? PID : 7
          s.mkold(pid, a, t * 5000)
          if (batch) s.youngBatch!(pid, addrs, addrs.length, t * 5000 + 4000, cache, out)
          else byContract(s, pid, addrs, t * 5000 + 4000, cache, out)
          answers.push([...out, ...cache, s.folioSz])
        }
        return answers
      })
      assert.deepStrictEqual(results[0], results[1], `seed ${seed}`)
    }
  })


  it("gives the per-address path's draws and results (50 seeded scenarios, 4 KiB and huge folios)", () => {
    for (let seed = 0; seed < 25; seed++) {
      for (const thp of [false, true]) {
        const viaBatch = scenario(seed, thp, true)
        const perAddr = scenario(seed, thp, false)
        assert.deepStrictEqual(viaBatch.state, perAddr.state, `seed ${seed} thp ${thp}`)
        assert.deepStrictEqual(viaBatch.snaps, perAddr.snaps, `seed ${seed} thp ${thp}`)
      }
    }
  })

  it("reuses the drawn addresses only while no user function ran since prepare (OpsEnv.userRuns)", () => {
    // Every page is accessed in every window: a tested address always counts.
    const config = cfg(`a, ${4 * MiB}\n\np\n1000\na, 1, 64, 1\n`)
    const machine = machineOf(config, { throughput: 1_000_000_000 })
    const a = machine.process(PID)!.regionStart[0]!
    const sampleOnce = (env: (clock: Clock) => ReturnType<typeof envOf>, userRan: (runs: { n: number }) => void) => {
      const ctx = ctxOf("vaddr")
      const t = Target.make(PID, [Region.make(a, a + 2 * MiB), Region.make(a + 2 * MiB, a + 4 * MiB)])
      ctx.targets.push(t)
      const clock: Clock = { now: 0 }
      const runs = { n: 0 }
      const e = env(clock)
      const ops = makeVaddrOps(simSpace(machine))
      ops.prepareAccessChecks!(ctx, { ...e, userRuns: () => runs.n })
      // A user function moves the boundary onto the first region's sampling address: that address
      // now belongs to the second region, so the first region has nothing to test.
      const [r0, r1] = t.regions as [Region.Region, Region.Region]
      r0.end = r0.samplingAddr
      r1.start = r0.samplingAddr
      userRan(runs)
      clock.now += 5000
      ops.checkAccesses!(ctx, { ...e, userRuns: () => runs.n })
      return t.regions.map((r) => r.nrAccesses)
    }
    const env = (clock: Clock) => envOf(makeRng(5), clock)
    // The user function was counted: the regions are read again.
    assert.deepStrictEqual(sampleOnce(env, (runs) => runs.n++), [0, 1])
    // Not counted (only user functions can change regions here, and they are counted): the
    // addresses drawn at prepare are tested as they were.
    assert.deepStrictEqual(sampleOnce(env, () => {}), [1, 1])
  })

  it("a seeded adaptive run on stairs (4000 samples, 100..1000 regions) gives the figures pinned before the batch path existed", () => {
    const machine = machineOf(shipped("stairs"))
    const ctx = ctxOf("vaddr")
    ctx.attrs = { ...ctx.attrs, minNrRegions: 100, maxNrRegions: 1000 }
    ctx.targets.push(Target.make(PID))
    const clock: Clock = { now: 0 }
    const env = envOf(makeRng(2026), clock)
    let sumNr = 0
    let sumBp = 0
    let hash = 0
    runLoop(ctx, makeVaddrOps(simSpace(machine)), env, clock, 4000, (c) => {
      for (const r of c.targets[0]!.regions) {
        sumNr += r.nrAccesses
        sumBp += r.nrAccessesBp
        hash = (hash * 31 + r.nrAccesses * 7 + (r.start % 1_000_003)) % 1_000_000_007
      }
    })
    const regions = ctx.targets[0]!.regions
    // Measured with the per-address path (the code before the batch forms) for this seed.
    assert.deepStrictEqual({ regions: regions.length, sumNr, sumBp, hash }, { regions: 321, sumNr: 187586, sumBp: 1875860000, hash: 831514069 })
  })
})
