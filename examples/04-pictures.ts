/**
 * Monitor a minute of masim `stairs` in virtual time and draw what DAMON saw: the heatmap and the
 * WSS distribution as text, and as pictures (SVG and PNG, no gnuplot): the heatmap, the WSS
 * distribution and the regions at 32 s as boxes. Memory stays bounded: every aggregation is
 * folded into a grid and a distribution as it comes, none is kept.
 * Run: `node --conditions=development examples/04-pictures.ts [output directory]`.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Layer, Stream } from "effect"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { Damon, type Events, OpsRegistry, World } from "effect-damon"
import { MasimFiles, SimMachine, SimOps } from "effect-damon/sim"
import { HeatmapGrid, HeatmapSpec, HeatmapText, RegionsSpec, Render, WssDistribution, WssSpec, WssText } from "effect-damon/report"

export const writePictures = (outDir: string) =>
  Effect.gen(function*() {
    const workload = yield* Effect.fromResult(MasimFiles.loadMasimConfig("stairs"))
    const machine = yield* Effect.fromResult(SimMachine.SimMachine.withMasim(workload, { pid: 42, seed: 1, loop: true }))
    const runtime = Damon.layer.pipe(Layer.provide([OpsRegistry.layer(SimOps.simOps(machine)), World.layerVirtual]))
    // 60 s in 30 rows of 2 s; 80 address columns
    const grid = yield* Effect.fromResult(HeatmapGrid.make({ width: 80, height: 30, expectedDurationUs: 60_000_000 }))
    const wss = yield* Effect.fromResult(WssDistribution.make())
    let at32s: Extract<Events.MonitorEvent, { _tag: "Aggregated" }> | undefined

    yield* Effect.scoped(Effect.gen(function*() {
      const kdamond = yield* (yield* Damon.Damon).start(
        { ops: "vaddr", targets: [{ pid: 42 }] },
        { seed: 1, stopAtUs: 60_000_000, eventBufferSize: 1 << 16 }
      )
      yield* Stream.runForEach(kdamond.events, (e) =>
        Effect.sync(() => {
          if (e._tag !== "Aggregated") return
          HeatmapGrid.add(grid, e)
          WssDistribution.add(wss, e)
          if (e.atUs === 32_000_000) at32s = e
        }))
    })).pipe(Effect.provide(runtime))

    yield* Console.log(HeatmapText.formatHeatmap(grid))
    yield* Console.log(WssText.formatWss(wss, { barColumns: 40 }))

    const pictures = [
      ["stairs-heatmap", HeatmapSpec.heatmapSpec(grid, { title: "masim stairs: access heatmap" })],
      ["stairs-wss", WssSpec.wssSpec(wss, { title: "masim stairs: working set size" })],
      ["stairs-regions", RegionsSpec.regionsSpec(at32s!, { title: "masim stairs: regions at 32 s" })]
    ] as const
    for (const [name, spec] of pictures) {
      const svg = yield* Render.toSvg(spec)
      const png = yield* Render.svgToPng(svg.svg, { scale: 1 })
      yield* Effect.sync(() => {
        writeFileSync(join(outDir, `${name}.svg`), svg.svg)
        writeFileSync(join(outDir, `${name}.png`), png.data)
      })
      yield* Console.log(`wrote ${name}.svg (${svg.widthPx} x ${svg.heightPx}) and ${name}.png (${png.widthPx} x ${png.heightPx})`)
    }
  })

export const main = writePictures(process.argv[2] ?? ".")

if (import.meta.main) NodeRuntime.runMain(main)
