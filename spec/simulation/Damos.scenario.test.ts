/**
 * DAMOS scenarios on masim workloads over the simulated machine: schemes whose effects the
 * simulated memory really feels (resident set, refaults, free memory), quota goals that steer
 * the effective quota, watermarks that switch a scheme off and on.
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Layer, Result } from "effect"
import { TestClock } from "effect/testing"
import { Damon, OpsRegistry, SchemesControl, World, DamosConfig } from "effect-damon"
import { MasimConfig, MasimFiles, SimMachine, SimOps } from "effect-damon/sim"

const PID = 42
const MiB = 1024 * 1024

const stairsMachine = () => {
  const config = Result.getOrThrow(MasimFiles.loadMasimConfig("stairs"))
  return Result.getOrThrow(SimMachine.SimMachine.withMasim(config, { seed: 1, pid: PID, loop: true }))
}
const layerOf = (machine: SimMachine.SimMachine) => Damon.layer.pipe(Layer.provide(OpsRegistry.layer(SimOps.simOps(machine))))

/** Runs stairs for 60 s of virtual time with `schemes`; returns the machine's end state. */
const runStairs = (schemes: ReadonlyArray<DamosConfig.SchemeInput>) =>
  Effect.gen(function*() {
    const machine = stairsMachine()
    const endUs = 60_000_000
    const stats = yield* Effect.scoped(Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start({ ops: "vaddr", targets: [{ pid: PID }], schemes }, {
        seed: 1,
        stopAtUs: endUs
      })
      let last: ReadonlyArray<{ szApplied: number }> = []
      yield* Effect.forkChild(k.damonCallRepeat((ctx) => {
        last = ctx.schemes.map((s) => ({ szApplied: s.stat.szApplied }))
      }, { at: "aggregation" }), { startImmediately: true })
      yield* k.join
      return last
    })).pipe(Effect.provide(layerOf(machine)), Effect.provide(World.layerVirtual))
    return {
      residentBytes: machine.residentBytes(endUs, PID),
      refaultBytes: machine.refaultPages(endUs) * 4096,
      applied: stats.reduce((n, s) => n + s.szApplied, 0)
    }
  })

describe("DAMOS scenarios", () => {
  it.effect("pageout of regions idle for 5 s shrinks the resident set of stairs while refaults stay low", () =>
    Effect.gen(function*() {
      const workloadBytes = 10 * 10_000_000
      const none = yield* runStairs([])
      const coldPageout = yield* runStairs([{ action: "pageout", pattern: { maxNrAccesses: 0, minAgeRegion: 50 } }])
      const blindPageout = yield* runStairs([{ action: "pageout" }])
      assert.isTrue(none.residentBytes > 0.9 * workloadBytes)
      assert.strictEqual(none.refaultBytes, 0)
      // cold regions are gone; what stays is about the hot region and the most recent one
      assert.isTrue(coldPageout.residentBytes < 0.35 * none.residentBytes, `resident ${coldPageout.residentBytes / MiB} MiB`)
      // each stair is faulted back at most about once, when its phase comes
      assert.isTrue(coldPageout.refaultBytes <= 1.1 * workloadBytes, `refaults ${coldPageout.refaultBytes / MiB} MiB`)
      // paging out regardless of access refaults the hot stair over and over
      assert.isTrue(blindPageout.refaultBytes > 10 * coldPageout.refaultBytes)
    }))

  it.effect("a user_input quota goal converges: the effective quota follows the goal up and down", () =>
    Effect.gen(function*() {
      const machine = stairsMachine()
      yield* Effect.gen(function*() {
        const quota = { resetIntervalMs: 100, goals: [{ metric: "user_input", targetValue: 10_000, currentValue: 0 }] } as const
        const k = yield* (yield* Damon.Damon).start({
          ops: "vaddr",
          targets: [{ pid: PID }],
          schemes: [{ action: "stat", quota }]
        }, { seed: 1 })
        // the user's feedback: how far the effective quota is from the size they want
        const steer = (wantBytes: number, windows: number) =>
          Effect.gen(function*() {
            const seen: Array<number> = []
            for (let i = 0; i < windows; i++) {
              yield* TestClock.adjust("100 millis")
              const [esz] = yield* SchemesControl.schemesEffectiveQuotas(k)
              seen.push(esz!)
              const current = Math.round((esz! * 10_000) / wantBytes)
              yield* SchemesControl.commitSchemesQuotaGoals(k, [[{ metric: "user_input", targetValue: 10_000, currentValue: current }]])
            }
            return seen
          })
        const up = yield* steer(64 * MiB, 60)
        assert.isTrue(Math.abs(up.at(-1)! - 64 * MiB) < 0.05 * 64 * MiB, `up: ${up.at(-1)! / MiB} MiB`)
        assert.isTrue(up[5]! < up[20]!, "the quota ramps up from about nothing")
        const down = yield* steer(16 * MiB, 60)
        assert.isTrue(Math.abs(down.at(-1)! - 16 * MiB) < 0.05 * 16 * MiB, `down: ${down.at(-1)! / MiB} MiB`)
      }).pipe(Effect.provide(layerOf(machine)), Effect.provide(World.layerReal))
    }))

  it.effect("watermarks switch the scheme off and on as free memory crosses them", () =>
    Effect.gen(function*() {
      const stairs = Result.getOrThrow(MasimFiles.loadMasimConfig("stairs"))
      const hogWorkload = Result.getOrThrow(MasimConfig.parseMasimConfig("hog, 104857600\n\nrun\n100000\nhog, 1, 64, 1\n", "hog"))
      const machine = Result.getOrThrow(SimMachine.SimMachine.make({
        seed: 1,
        ramBytes: 256 * MiB,
        processes: [
          { pid: PID, workload: stairs },
          { pid: 43, workload: hogWorkload, startUs: 5_000_000, exitUs: 15_000_000 }
        ]
      }))
      yield* Effect.gen(function*() {
        const wmarks = { metric: "free_mem_rate", intervalUs: 100_000, high: 500, mid: 400, low: 100 } as const
        const k = yield* (yield* Damon.Damon).start({
          ops: "vaddr",
          targets: [{ pid: PID }],
          schemes: [{ action: "cold", wmarks }]
        }, { seed: 1 })
        const at = (sec: number) =>
          Effect.gen(function*() {
            const now = yield* Clock.currentTimeMillis
            yield* TestClock.adjust(sec * 1000 - now)
            return yield* k.damonCall((ctx) => ({
              active: ctx.schemes[0]!.wmarks.activated,
              tried: ctx.schemes[0]!.stat.nrTried,
              freePermil: machine.metrics.freeMemRatePermil(sec * 1_000_000)
            }))
          })
        const before = yield* at(4)
        assert.isTrue(before.freePermil > 500)
        assert.isFalse(before.active)
        assert.strictEqual(before.tried, 0)
        const during = yield* at(12)
        assert.isTrue(during.freePermil >= 100 && during.freePermil < 400, `free ${during.freePermil}`)
        assert.isTrue(during.active)
        assert.isTrue(during.tried > 0)
        const after = yield* at(18)
        assert.isTrue(after.freePermil > 500)
        assert.isFalse(after.active)
        const later = yield* at(25)
        assert.strictEqual(later.tried, after.tried, "an inactive scheme applies nothing")
      }).pipe(Effect.provide(layerOf(machine)), Effect.provide(World.layerReal))
    }))
})
