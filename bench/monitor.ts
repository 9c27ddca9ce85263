/**
 * Monitoring-engine benchmarks (the foundation issue): region-samples per second with 1000
 * regions, the virtual/real time ratio at the default intervals, cost on a 1 GiB versus a 1 TiB
 * address space, and heap bytes per region. Every figure runs the whole kdamond (loop phases,
 * vaddr ops over the simulated machine) in virtual time.
 */
import { Effect, Layer, Result } from "effect"
import { Damon, OpsRegistry, World } from "effect-damon"
import { MasimConfig, MasimFiles, SimMachine, SimOps } from "effect-damon/sim"
import { type Bench, gc, median, nowMs } from "./Harness.ts"

const unwrap = <A, E>(r: Result.Result<A, E>): A => {
  if (Result.isFailure(r)) throw r.failure
  return r.success
}

const GiB = 1024 ** 3

/** A masim config with one region of `size` bytes accessed at random with stride 64. */
const oneRegion = (size: number): MasimConfig.MasimConfig =>
  unwrap(MasimConfig.parseMasimConfig(`big, ${size}\n\nphase\n1000000\nbig, 1, 64, 1\n`, `big-${size}`))

interface RunResult {
  readonly wallMs: number
  readonly regionSamples: number
  readonly samples: number
  readonly nrRegions: number
}

/**
 * Runs one kdamond on `config` for `virtualUs` of virtual time and measures wall time and the
 * region-samples done (counted at every iteration by a repeat damonCall).
 */
const runVirtual = (
  config: MasimConfig.MasimConfig,
  attrs: Record<string, number>,
  virtualUs: number
): Promise<RunResult> => {
  const machine = unwrap(SimMachine.SimMachine.withMasim(config, { seed: 1, pid: 42 }))
  const layer = Damon.layer.pipe(Layer.provide([OpsRegistry.layer(SimOps.simOps(machine)), World.layerVirtual]))
  return Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const damon = yield* Damon.Damon
    let regionSamples = 0
    let samples = 0
    let nrRegions = 0
    const t0 = nowMs()
    const k = yield* damon.start({ ops: "vaddr", targets: [{ pid: 42 }], attrs }, { seed: 1, stopAtUs: virtualUs })
    yield* Effect.forkChild(k.damonCallRepeat((ctx) => {
      nrRegions = ctx.targets[0]!.regions.length
      regionSamples += nrRegions
      samples++
    }), { startImmediately: true })
    yield* k.join
    return { wallMs: nowMs() - t0, regionSamples, samples, nrRegions }
  })).pipe(Effect.provide(layer)))
}

/** Heap bytes of a running kdamond per region: heap with N regions minus heap with few, over N. */
const heapWithRegions = (nrRegions: number): Promise<{ heap: number; regions: number }> => {
  const machine = unwrap(SimMachine.SimMachine.withMasim(oneRegion(64 * GiB), { seed: 1, pid: 42 }))
  const layer = Damon.layer.pipe(Layer.provide([OpsRegistry.layer(SimOps.simOps(machine)), World.layerReal]))
  return Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const k = yield* (yield* Damon.Damon).start(
      { ops: "vaddr", targets: [{ pid: 42 }], attrs: { minNrRegions: nrRegions, maxNrRegions: nrRegions } },
      { seed: 1 }
    )
    yield* Effect.sleep("30 millis")
    return yield* k.damonCall((ctx) => {
      gc()
      gc()
      return { heap: process.memoryUsage().heapUsed, regions: ctx.targets[0]!.regions.length }
    })
  })).pipe(Effect.provide(layer)))
}

export const monitorBench: Bench = {
  name: "monitor",
  run: async () => {
    const attrs1000 = { minNrRegions: 1000, maxNrRegions: 1000 }
    const stairs = unwrap(MasimFiles.loadMasimConfig("stairs"))

    // 1. region-samples per second, 1000 regions, 10 s of virtual time; median of 5
    await runVirtual(stairs, attrs1000, 2_000_000)
    const rates: Array<number> = []
    let regions = 0
    for (let i = 0; i < 5; i++) {
      const r = await runVirtual(stairs, attrs1000, 10_000_000)
      rates.push(r.regionSamples / (r.wallMs / 1000))
      regions = r.nrRegions
    }

    // 2. virtual/real ratio at the default intervals over one stairs cycle (60 s); median of 3
    const ratios: Array<number> = []
    for (let i = 0; i < 3; i++) {
      const r = await runVirtual(stairs, {}, 60_000_000)
      ratios.push(60_000 / r.wallMs)
    }

    // 3. the same number of samples on 1 GiB and 1 TiB, alternating runs; median of 5 each
    const small = oneRegion(GiB)
    const large = oneRegion(1024 * GiB)
    await runVirtual(small, attrs1000, 1_000_000)
    await runVirtual(large, attrs1000, 1_000_000)
    const tSmall: Array<number> = []
    const tLarge: Array<number> = []
    for (let i = 0; i < 5; i++) {
      tSmall.push((await runVirtual(small, attrs1000, 5_000_000)).wallMs)
      tLarge.push((await runVirtual(large, attrs1000, 5_000_000)).wallMs)
    }

    // 4. heap bytes per region of a running kdamond
    const few = await heapWithRegions(1_000)
    const many = await heapWithRegions(201_000)
    const perRegion = (many.heap - few.heap) / (many.regions - few.regions)

    return {
      "monitor.regionSamplesPerSec": {
        value: median(rates),
        unit: "region-samples/s",
        goal: ">= 20000000",
        note: `vaddr on masim stairs, ~${regions} regions, virtual time, median of 5 x 2000 samples`
      },
      "monitor.virtualToRealRatio": {
        value: median(ratios),
        unit: "x",
        goal: ">= 100",
        note: "stairs, default intervals (5 ms / 100 ms, 10..1000 regions), 60 s virtual, median of 3"
      },
      "monitor.sizeScaling1TiBOver1GiB": {
        value: median(tLarge) / median(tSmall),
        unit: "time ratio",
        goal: "within 0.8..1.2",
        note: `1000 regions, 1000 samples each; medians ${median(tLarge).toFixed(1)} / ${median(tSmall).toFixed(1)} ms`
      },
      "monitor.heapBytesPerRegion": {
        value: perRegion,
        unit: "bytes",
        goal: "<= 256",
        note: `running kdamond, heap(${many.regions} regions) - heap(${few.regions}) after gc`
      }
    }
  }
}
