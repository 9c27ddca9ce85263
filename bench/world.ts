/**
 * World benchmarks (the "one world" issue): the cost of sharing one virtual world among several
 * kdamonds, and how closely a real-time kdamond keeps its configured sample interval.
 */
import { Effect, Layer, Result } from "effect"
import { Damon, type DamonConfigInput, OpsRegistry, World } from "effect-damon"
import { MasimFiles, SimMachine, SimOps } from "effect-damon/sim"
import { type Bench, cpuMs, median } from "./Harness.ts"

const unwrap = <A, E>(r: Result.Result<A, E>): A => {
  if (Result.isFailure(r)) throw r.failure
  return r.success
}

const stairs = unwrap(MasimFiles.loadMasimConfig("stairs"))

/** The three kdamonds of the comparison: vaddr with a stat scheme, fvaddr, paddr. */
const configsOf = (machine: SimMachine.SimMachine): ReadonlyArray<DamonConfigInput> => {
  const vmas = machine.process(42)!.vmasAt(0).map((v) => ({ start: v.start, end: v.end }))
  const ram = machine.systemRamRanges()
  return [
    { ops: "vaddr", targets: [{ pid: 42 }], schemes: [{ action: "stat", pattern: { minNrAccesses: 1 } }] },
    { ops: "fvaddr", targets: [{ pid: 42, regions: vmas }] },
    { ops: "paddr", targets: [{ regions: [{ start: ram[0]!.start, end: ram[ram.length - 1]!.end }] }] }
  ]
}

/**
 * CPU time of running `which` of the three configs together on one fresh machine and world (CPU
 * time: a run is a few tens of milliseconds, and the shared host's load moved wall times more
 * than the ratio being measured).
 */
const runTogether = (which: ReadonlyArray<number>, virtualUs: number): Promise<number> => {
  const machine = unwrap(SimMachine.SimMachine.withMasim(stairs, { seed: 1, pid: 42 }))
  const configs = configsOf(machine)
  const layer = Damon.layer.pipe(Layer.provide([OpsRegistry.layer(SimOps.simOps(machine)), World.layerVirtual]))
  return Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const damon = yield* Damon.Damon
    const t0 = cpuMs()
    const ks = []
    for (const i of which) ks.push(yield* damon.start(configs[i]!, { seed: i + 1, stopAtUs: virtualUs }))
    for (const k of ks) yield* k.join
    return cpuMs() - t0
  })).pipe(Effect.provide(layer)))
}

/** Samples a real-time kdamond at `sampleUs` takes in `durationMs` of wall time. */
const realTimeSamples = (sampleUs: number, durationMs: number): Promise<number> => {
  const machine = unwrap(SimMachine.SimMachine.withMasim(stairs, { seed: 1, pid: 42 }))
  const layer = Damon.layer.pipe(Layer.provide([OpsRegistry.layer(SimOps.simOps(machine)), World.layerReal]))
  return Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const k = yield* (yield* Damon.Damon).start(
      { ops: "vaddr", targets: [{ pid: 42 }], attrs: { sampleIntervalUs: sampleUs } },
      { seed: 1 }
    )
    const first = (yield* k.stats).samples
    yield* Effect.sleep(`${durationMs} millis`)
    return (yield* k.stats).samples - first
  })).pipe(Effect.provide(layer)))
}

export const worldBench: Bench = {
  name: "world",
  run: async () => {
    const virtualUs = 60_000_000
    // warm up each variant, then alternate: three alone, then the three together
    for (const which of [[0], [1], [2], [0, 1, 2]]) await runTogether(which, 1_000_000)
    const ratios: Array<number> = []
    for (let i = 0; i < 5; i++) {
      const alone = (await runTogether([0], virtualUs)) + (await runTogether([1], virtualUs)) + (await runTogether([2], virtualUs))
      ratios.push((await runTogether([0, 1, 2], virtualUs)) / alone)
    }

    const sampleUs = 5000
    const durationMs = 2000
    const errors: Array<number> = []
    for (let i = 0; i < 3; i++) {
      const samples = await realTimeSamples(sampleUs, durationMs)
      const meanUs = (durationMs * 1000) / samples
      errors.push((Math.abs(meanUs - sampleUs) / sampleUs) * 100)
    }

    return {
      "sim.multiKdamondSlowdown": {
        value: median(ratios),
        unit: "time ratio",
        goal: "<= 1.15",
        note: "3 kdamonds (vaddr+stat, fvaddr, paddr) on one stairs world vs the sum of each alone, 60 s virtual, CPU time, median of 5"
      },
      "realtime.sampleIntervalErrorPct": {
        value: median(errors),
        unit: "%",
        goal: "<= 1",
        note: `real-time vaddr kdamond at ${sampleUs} us sampling, |mean interval - configured| over ${durationMs} ms, median of 3`
      }
    }
  }
}
