/**
 * `report wss`: the working set size distribution of a record file (`WssDistribution`, bounded
 * memory), percentiles by size or by time as damo's `report wss` prints them, or drawn to
 * `--output x.svg` / `x.png`.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import type { DamonError } from "../model/DamonError.ts"
import type { RenderError } from "../report/Render.ts"
import * as WssDistribution from "../report/WssDistribution.ts"
import { wssSpec } from "../report/WssSpec.ts"
import { formatWss } from "../report/WssText.ts"
import { formatOf, writePicture } from "./PictureFile.ts"
import { readRecords, reportSnapshots } from "./RecordInput.ts"

/** Options of `report wss`. */
export interface ReportWssOptions {
  readonly input: string
  readonly output: Option.Option<string>
  readonly sortBy: "size" | "time"
  /** damo's `--range <start> <end> <interval>` of percentiles (end exclusive). */
  readonly range: readonly [number, number, number]
  readonly accThres: number
  readonly szThres: number
  readonly tid: Option.Option<number>
}

/** `effect-damon report wss`. */
export const runReportWss = (o: ReportWssOptions): Effect.Effect<void, DamonError | RenderError> =>
  Effect.gen(function*() {
    if (Option.isSome(o.output)) yield* formatOf(o.output.value)
    const dist = WssDistribution.make({
      minNrAccesses: o.accThres,
      minRegionBytes: o.szThres,
      ...(Option.isSome(o.tid) ? { targetIndex: o.tid.value } : {})
    })
    if (Result.isFailure(dist)) return yield* Effect.fail(dist.failure)
    for (const s of reportSnapshots(yield* readRecords(o.input))) WssDistribution.add(dist.success, s)
    const [from, to, step] = o.range
    const percentiles: Array<number> = []
    for (let p = from; p < to && p <= 100; p += step) percentiles.push(p)
    if (Option.isNone(o.output)) return yield* Console.log(formatWss(dist.success, { sortBy: o.sortBy, percentiles }))
    yield* Console.log(yield* writePicture(wssSpec(dist.success, { sortBy: o.sortBy, title: `working set size of ${o.input}` }), o.output.value))
  })
