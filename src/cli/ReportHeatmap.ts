/**
 * `report heatmap`: access frequency over time and address of a record file, folded into a
 * bounded grid (`HeatmapGrid`), printed as digits on the terminal (readable without colour;
 * `--color` adds ANSI colours) or drawn to `--output x.svg` / `x.png`. The monitored ranges are
 * collected first, so the address axis is fixed before any cell is filled.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import type { DamonError } from "../model/DamonError.ts"
import * as HeatmapGrid from "../report/HeatmapGrid.ts"
import { heatmapSpec } from "../report/HeatmapSpec.ts"
import { formatHeatmap } from "../report/HeatmapText.ts"
import type { RenderError } from "../report/Render.ts"
import { formatOf, writePicture } from "./PictureFile.ts"
import { addressRanges, durationUs, readRecords, reportSnapshots } from "./RecordInput.ts"

/** Options of `report heatmap`. */
export interface ReportHeatmapOptions {
  readonly input: string
  readonly output: Option.Option<string>
  readonly width: Option.Option<number>
  readonly height: Option.Option<number>
  readonly color: boolean
  readonly scale: "absolute" | "relative"
  readonly tid: Option.Option<number>
}

/** `effect-damon report heatmap`. */
export const runReportHeatmap = (o: ReportHeatmapOptions): Effect.Effect<void, DamonError | RenderError> =>
  Effect.gen(function*() {
    if (Option.isSome(o.output)) yield* formatOf(o.output.value)
    const picture = Option.isSome(o.output)
    const snapshots = reportSnapshots(yield* readRecords(o.input))
    const grid = HeatmapGrid.make({
      width: Option.getOrElse(o.width, () => (picture ? 200 : 80)),
      height: Option.getOrElse(o.height, () => (picture ? 100 : 30)),
      expectedDurationUs: durationUs(snapshots),
      addressRanges: addressRanges(snapshots),
      ...(Option.isSome(o.tid) ? { targetIndex: o.tid.value } : {})
    })
    if (Result.isFailure(grid)) return yield* Effect.fail(grid.failure)
    for (const s of snapshots) HeatmapGrid.add(grid.success, s)
    if (Option.isNone(o.output)) return yield* Console.log(formatHeatmap(grid.success, { color: o.color, scale: o.scale }))
    yield* Console.log(yield* writePicture(heatmapSpec(grid.success, { title: `heatmap of ${o.input}`, scale: o.scale }), o.output.value))
  })
