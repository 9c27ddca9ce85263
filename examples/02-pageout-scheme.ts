/**
 * A DAMOS scheme at work: page out regions of masim's stairs that have been idle for 5 s, under a
 * size quota, and watch the resident set shrink while the hot stair stays in memory.
 * Run: `node --conditions=development examples/02-pageout-scheme.ts`.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Fiber, Layer } from "effect"
import { Damon, OpsRegistry, World, DamosConfig } from "effect-damon"
import { MasimFiles, SimMachine, SimOps } from "effect-damon/sim"

const MiB = 2 ** 20

export const main = Effect.gen(function*() {
  const workload = yield* Effect.fromResult(MasimFiles.loadMasimConfig("stairs"))
  const machine = yield* Effect.fromResult(SimMachine.SimMachine.withMasim(workload, { pid: 42, seed: 1 }))
  const runtime = Damon.layer.pipe(Layer.provide([OpsRegistry.layer(SimOps.simOps(machine)), World.layerVirtual]))
  const pageoutIdle = {
    action: "pageout",
    // never accessed in the window, for at least 50 aggregations (5 s)
    pattern: { maxNrAccesses: 0, minAgeRegion: 50 },
    // at most 32 MiB per second, oldest regions first
    quota: { sz: 32 * MiB, resetIntervalMs: 1000, weightAge: 1 }
  } satisfies DamosConfig.SchemeInput
  const lines = yield* Effect.scoped(Effect.gen(function*() {
    const kdamond = yield* (yield* Damon.Damon).start(
      { ops: "vaddr", targets: [{ pid: 42 }], schemes: [pageoutIdle] },
      { seed: 1, stopAtUs: 60_000_000 }
    )
    // every 10 s of virtual time, on the kdamond: the resident set and the scheme's stats
    const out: Array<string> = []
    const report = yield* Effect.forkChild(
      kdamond.damonCallRepeat((ctx) => {
        const nowUs = ctx.passedSampleIntervals * ctx.attrs.sampleIntervalUs
        if (nowUs % 10_000_000 !== 0) return
        const s = ctx.schemes[0]!.stat
        // like the kernel's madvise, a region spanning an unmapped gap reports 0 bytes applied
        // even though its mapped parts were paged out: tried bytes say what the scheme chose
        out.push(
          `t=${nowUs / 1e6}s resident ${(machine.residentBytes(nowUs, 42) / MiB).toFixed(1)} MiB, ` +
            `pageout tried on ${(s.szTried / MiB).toFixed(1)} MiB in ${s.nrTried} regions, quota full ${s.qtExceeds} times`
        )
      }, { at: "aggregation" }),
      { startImmediately: true }
    )
    yield* kdamond.join
    yield* Fiber.await(report)
    return out
  })).pipe(Effect.provide(runtime))
  for (const line of lines) yield* Console.log(line)
  yield* Console.log(`refaulted ${(machine.refaultPages(60_000_000) * 4096 / MiB).toFixed(1)} MiB in total`)
})

if (import.meta.main) NodeRuntime.runMain(main)
