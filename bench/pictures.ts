/**
 * Report and picture benchmarks: how fast snapshots fold into the bounded heatmap grid, how long
 * loading the rendering libraries takes (once per process), and how long each picture takes to
 * render to SVG (Vega) and to PNG (resvg) for a monitored minute of masim `stairs`.
 */
import { Effect, Layer, Result, Stream } from "effect"
import { Damon, OpsRegistry, Rng, World } from "effect-damon"
import { MasimFiles, SimMachine, SimOps } from "effect-damon/sim"
import { HeatmapGrid, HeatmapSpec, RegionsSpec, Render, WssDistribution, WssSpec } from "effect-damon/report"
import { type Bench, cpuMs, type Metric, median, nowMs, settleHeap, timeRuns } from "./Harness.ts"

const unwrap = <A, E>(r: Result.Result<A, E>): A => {
  if (Result.isFailure(r)) throw r.failure
  return r.success
}

/**
 * Regions folded per CPU-second: snapshots of 1000 regions over three ranges into a 200 x 100
 * grid. CPU time, not wall time: a run takes ~0.1 s, and on a shared machine wall time moved it
 * by a quarter between the full run and the solo ones (CPU time: the same in both). Median of
 * 20 runs after a warm-up: with 6, one process alone measured 15.4 M/s and the next 26.4 M/s
 * (the host's bursts last about as long as a few runs).
 */
const foldRate = (): number => {
  const rng = Rng.makeRng(3)
  const snapshots = Array.from({ length: 2000 }, (_, i) => ({
    atUs: (i + 1) * 100_000,
    sampleIntervalUs: 5000,
    aggrIntervalUs: 100_000,
    targets: [{
      index: 0,
      pid: 42,
      regions: Array.from({ length: 1000 }, (_, r) => {
        const base = r < 500 ? 0x5555_0000_0000 : 0x7fff_0000_0000
        return { start: base + r * 0x40_0000, end: base + (r + 1) * 0x40_0000, nrAccesses: rng.rand(0, 21), nrAccessesBp: 0, lastNrAccesses: 0, age: 1 }
      })
    }]
  }))
  // Settled into the old generation before timing (as `damos.regionsPerSec`'s input): the 2 000
  // snapshots are 2 million region objects, and moving them during a timed run costs GC work
  // that depends on the heap the earlier benchmarks left.
  settleHeap()
  const rates: Array<number> = []
  for (let run = 0; run < 21; run++) {
    const grid = unwrap(HeatmapGrid.make({ width: 200, height: 100 }))
    const t0 = cpuMs()
    for (const s of snapshots) HeatmapGrid.add(grid, s)
    const ms = cpuMs() - t0
    if (run > 0) rates.push((snapshots.length * 1000) / (ms / 1000))
  }
  return median(rates)
}

/** A monitored minute of stairs: grids of 80 x 30 and 200 x 100, the WSS, the snapshot at 32 s. */
const stairsMinute = () => {
  const config = unwrap(MasimFiles.loadMasimConfig("stairs"))
  const machine = unwrap(SimMachine.SimMachine.withMasim(config, { seed: 1, pid: 42, loop: true }))
  const layer = Damon.layer.pipe(Layer.provide([OpsRegistry.layer(SimOps.simOps(machine)), World.layerVirtual]))
  const small = unwrap(HeatmapGrid.make({ width: 80, height: 30, expectedDurationUs: 60_000_000 }))
  const large = unwrap(HeatmapGrid.make({ width: 200, height: 100, expectedDurationUs: 60_000_000 }))
  const wss = unwrap(WssDistribution.make())
  let snapshot: Parameters<typeof RegionsSpec.regionsSpec>[0] | undefined
  return Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const k = yield* (yield* Damon.Damon).start(
      { ops: "vaddr", targets: [{ pid: 42 }] },
      { seed: 1, stopAtUs: 60_000_000, eventBufferSize: 1 << 16 }
    )
    yield* Stream.runForEach(k.events, (e) =>
      Effect.sync(() => {
        if (e._tag !== "Aggregated") return
        HeatmapGrid.add(small, e)
        HeatmapGrid.add(large, e)
        WssDistribution.add(wss, e)
        if (e.atUs === 32_000_000) snapshot = e
      }))
    yield* k.join
    return { small, large, wss, snapshot: snapshot! }
  })).pipe(Effect.provide(layer)))
}

/** Median wall time of 5 runs after a warm-up, and the process CPU time per run (all threads). */
const wallAndCpu = async (f: () => Promise<void>): Promise<{ readonly wallMs: number; readonly cpuMs: number }> => {
  const cpu0 = process.cpuUsage()
  const times = await timeRuns(5, 1, f)
  const cpu = process.cpuUsage(cpu0)
  return { wallMs: median(times), cpuMs: (cpu.user + cpu.system) / 1000 / 6 }
}

const renderTimes = async (name: string, spec: Parameters<typeof Render.toSvg>[0]): Promise<Record<string, Metric>> => {
  let svg = ""
  const toSvg = await wallAndCpu(async () => {
    svg = (await Effect.runPromise(Render.toSvg(spec))).svg
  })
  const toPng = await wallAndCpu(async () => {
    await Effect.runPromise(Render.svgToPng(svg, { scale: 2 }))
  })
  const note = (cpuMs: number) => `median of 5 after 1 warm-up; CPU ${cpuMs.toFixed(0)} ms per run`
  return {
    [`pictures.${name}SvgMs`]: { value: toSvg.wallMs, unit: "ms", note: `${note(toSvg.cpuMs)}; ${Math.round(svg.length / 1024)} KiB` },
    [`pictures.${name}PngMs`]: { value: toPng.wallMs, unit: "ms", note: `${note(toPng.cpuMs)}; scale 2` }
  }
}

export const picturesBench: Bench = {
  name: "pictures",
  run: async () => {
    const fold = foldRate()
    const t0 = nowMs()
    await Promise.all([import("vega-lite"), import("vega"), import("@resvg/resvg-js")])
    const loadMs = nowMs() - t0
    const { small, large, wss, snapshot } = await stairsMinute()
    return {
      "report.heatmapFoldRegionsPerSec": { value: fold, unit: "regions/CPU-s", note: "1000 regions per snapshot, 200 x 100 grid, CPU time, median of 20 after a warm-up" },
      "pictures.loadMs": { value: loadMs, unit: "ms", note: "first import of vega-lite, vega, resvg (once per process)" },
      ...(await renderTimes("heatmap80x30", HeatmapSpec.heatmapSpec(small))),
      ...(await renderTimes("heatmap200x100", HeatmapSpec.heatmapSpec(large))),
      ...(await renderTimes("wss", WssSpec.wssSpec(wss))),
      ...(await renderTimes("regions", RegionsSpec.regionsSpec(snapshot)))
    }
  }
}
