/**
 * The loop's side of `DamonOps.settle`: vaddr keeps samples aside between settles, and the loop
 * settles before everything that reads or changes the regions (a user function of any call
 * point, a walk, the merge, a due scheme pass, an ops update, intervals tuning, a commit, the
 * stop). Whole kdamond runs with vaddr as shipped and with vaddr stripped of `settle` (which then
 * writes every sample) must see the same regions everywhere a user can look.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Result } from "effect"
import { Damon, type DamonConfigInput, type DamonOpsFactory, OpsRegistry, World } from "effect-damon"
import { MasimFiles, SimMachine, SimOps } from "effect-damon/sim"
import { makeRng } from "../../src/core/Rng.ts"
import type { DamonCtx } from "../../src/model/DamonCtx.ts"
import * as Region from "../../src/model/Region.ts"

const unwrap = <A, E>(r: Result.Result<A, E>): A => {
  if (Result.isFailure(r)) throw r.failure
  return r.success
}

/** `factory`'s ops sets without `settle`: the engine then has them write every sample. */
const unsettled = (factory: DamonOpsFactory): DamonOpsFactory => () => {
  const { settle: _settle, ...rest } = factory()
  return rest
}

const regionsOf = (ctx: DamonCtx) =>
  ctx.targets.map((t) => t.regions.map((r) => [r.start, r.end, r.nrAccesses, r.nrAccessesBp, r.lastNrAccesses, r.age, r.samplingAddr]))

/** The schemes: a stat pass every 9 samples (the samples kept in between), a quota-limited pageout of cold regions, a `cold` at aggregations. */
const config = (seed: number): DamonConfigInput => ({
  ops: "vaddr",
  targets: [{ pid: 42 }],
  attrs: {
    minNrRegions: 10 + (seed % 3) * 20,
    maxNrRegions: 400,
    opsUpdateIntervalUs: 5000 * (37 + seed),
    ...(seed % 2 === 0 ? { intervalsGoal: { accessBp: 400, aggrs: 3, minSampleUs: 1000, maxSampleUs: 20_000 } } : {})
  },
  schemes: [
    { action: "stat", applyIntervalUs: 45_000, pattern: { minNrAccesses: 1 } },
    { action: "pageout", pattern: { maxNrAccesses: 0, minAgeRegion: 2 }, quota: { sz: 64 * 1024 * 1024, resetIntervalMs: 100 } },
    { action: "cold", pattern: { maxNrAccesses: 1 } }
  ]
})

/**
 * One seeded run of 3 s of virtual time on stairs, with a mapping that appears and goes: an aggregation repeat call records the regions
 * and the scheme statistics, calls at random moments (served at once or at the loop point) read
 * them and sometimes split one,
 * a walk records what it visits, a commit halfway changes the intervals.
 */
const record = (seed: number, keep: boolean) =>
  Effect.gen(function*() {
    const stairs = unwrap(MasimFiles.loadMasimConfig("stairs"))
    // A mapping that comes and goes: vaddr's updates then move the regions' edges.
    const at = 0x600000000000
    const events = [
      { atUs: 700_000, kind: "mmap" as const, range: { start: at, end: at + 64 * 1024 * 1024 } },
      { atUs: 1_900_000, kind: "munmap" as const, range: { start: at, end: at + 64 * 1024 * 1024 } }
    ]
    const machine = unwrap(SimMachine.SimMachine.withMasim(stairs, { seed: 1, pid: 42, events }))
    const ops = SimOps.simOps(machine)
    const registry = keep ? ops : { ...ops, vaddr: unsettled(ops.vaddr) }
    return yield* Effect.gen(function*() {
      const world = yield* World.WorldClock
      const k = yield* (yield* Damon.Damon).start(config(seed), { seed, stopAtUs: 3_000_000 })
      const seen: Array<unknown> = []
      yield* Effect.forkChild(k.damonCallRepeat((ctx) => void seen.push(["aggr", ctx.passedSampleIntervals, regionsOf(ctx), ctx.schemes.map((s) => ({ ...s.stat }))]), { at: "aggregation" }), { startImmediately: true })
      const plan = makeRng(seed + 77)
      const prompt = Effect.gen(function*() {
        for (let i = 0; i < 30; i++) {
          yield* world.sleep(plan.rand(1000, 150_000))
          const split = plan.rand(0, 3) === 0
          const at = plan.rand(0, 1000)
          const point = plan.rand(0, 2) === 0 ? "sample" as const : "loop" as const
          const got = yield* Effect.exit(k.damonCall((ctx) => {
            const t = ctx.targets[0]!
            const r = t.regions[at % t.regions.length]!
            if (split && r.end - r.start >= 8192) {
              const right = { ...r, start: r.start + 4096, samplingAddr: -1 }
              r.end = right.start
              t.regions.splice(at % t.regions.length + 1, 0, right)
            }
            return [point, ctx.passedSampleIntervals, regionsOf(ctx)]
          }, { at: point }))
          if (Exit.isSuccess(got)) seen.push(got.value)
        }
      })
      const prompts = yield* Effect.forkChild(prompt, { startImmediately: true })
      const walks = yield* Effect.forkChild(Effect.gen(function*() {
        yield* world.sleep(1_200_000)
        const visits: Array<unknown> = []
        yield* Effect.exit(k.damosWalk((v) => void visits.push([v.schemeIndex, v.region.start, v.region.end, v.region.nrAccesses, v.region.age])))
        seen.push(["walk", visits])
        yield* world.sleep(300_000)
        yield* Effect.exit(k.commit({ ...config(seed), attrs: { ...config(seed).attrs, sampleIntervalUs: 4000, aggrIntervalUs: 120_000 } }))
      }), { startImmediately: true })
      yield* k.join
      yield* Fiber.join(prompts)
      yield* Fiber.join(walks)
      return seen
    }).pipe(Effect.provide(Damon.layer.pipe(Layer.provide(OpsRegistry.layer(registry)))))
  }).pipe(Effect.provide(World.layerVirtual))

describe("settle in the kdamond loop", () => {
  it.effect("vaddr keeping samples aside and vaddr writing every sample show the same regions to every call and walk (6 seeded runs)", () =>
    Effect.gen(function*() {
      for (let seed = 1; seed <= 6; seed++) {
        const kept = yield* record(seed, true)
        const written = yield* record(seed, false)
        assert.isAbove(kept.length, 50, `seed ${seed}: observations`)
        assert.strictEqual(JSON.stringify(kept), JSON.stringify(written), `seed ${seed}`)
      }
    }))
})

/** An ops set that logs its hooks (settle among them), over one target of 100 pages. */
const probeOps = (log: Array<string>, settleThrows = false): DamonOpsFactory => () => ({
  id: "probe",
  init: (ctx) => {
    for (const t of ctx.targets) t.regions = [Region.make(0, 100 * 4096)]
  },
  update: () => void log.push("update"),
  prepareAccessChecks: () => void log.push("prepare"),
  checkAccesses: () => {
    log.push("check")
    return 0
  },
  settle: () => {
    log.push("settle")
    if (settleThrows) throw new Error("settle failed")
  },
  applyScheme: (_ctx, _t, _r, _s, _env, out) => {
    log.push("apply")
    out.applied = 0
  },
  targetValid: () => true,
  cleanupTarget: () => void log.push("cleanupTarget")
})

describe("settle's place in the loop", () => {
  it.effect("every user function, scheme pass, ops update and the stop come after a settle that follows the last check", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const layer = Damon.layer.pipe(Layer.provide(OpsRegistry.layer({ probe: probeOps(log) })))
      yield* Effect.gen(function*() {
        const k = yield* (yield* Damon.Damon).start({
          ops: "probe",
          targets: [{}],
          attrs: { opsUpdateIntervalUs: 35_000 },
          schemes: [{ action: "stat", applyIntervalUs: 20_000 }]
          // the last check is sample 81: no boundary, scheme pass or update after it, only the stop
        }, { seed: 1, stopAtUs: 402_000 })
        const world = yield* World.WorldClock
        for (let i = 0; i < 5; i++) {
          yield* world.sleep(37_000)
          yield* k.damonCall(() => void log.push("user"), { at: i % 2 === 0 ? "sample" : "loop" })
        }
        yield* k.join
      }).pipe(Effect.provide(layer))
      const readers = ["user", "apply", "update", "cleanupTarget"]
      for (const reader of readers) assert.isTrue(log.includes(reader), `${reader} ran`)
      log.forEach((entry, i) => {
        if (!readers.includes(entry)) return
        const lastCheck = log.lastIndexOf("check", i)
        const lastSettle = log.lastIndexOf("settle", i)
        assert.isTrue(lastSettle > lastCheck, `${entry} at ${i} without a settle after the check at ${lastCheck}`)
      })
    }).pipe(Effect.provide(World.layerVirtual)))

  it.effect("a settle that throws stops the kdamond with OpsFailed naming settle; the call it came before is cancelled, not run", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const layer = Damon.layer.pipe(Layer.provide(OpsRegistry.layer({ probe: probeOps(log, true) })))
      const { reason, call } = yield* Effect.gen(function*() {
        const k = yield* (yield* Damon.Damon).start({ ops: "probe", targets: [{}] }, { seed: 1, stopAtUs: 1_000_000 })
        const call = yield* Effect.exit(k.damonCall(() => void log.push("user")))
        return { reason: yield* k.join, call }
      }).pipe(Effect.provide(layer))
      assert.strictEqual(reason._tag, "OpsFailed")
      assert.include(JSON.stringify(reason), "settle")
      assert.isTrue(Exit.isFailure(call))
      assert.include(JSON.stringify(call), "Canceled")
      assert.notInclude(log, "user")
    }).pipe(Effect.provide(World.layerVirtual)))
})
