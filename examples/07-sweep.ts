/**
 * A parameter sweep: DAMON on masim's stairs under a small grid of intervals and region limits,
 * on worker threads (all cores), each setting judged against the exact truth; prints the table
 * with the Pareto front marked and writes the picture as SVG.
 * Run: `node --conditions=development examples/07-sweep.ts [output-dir]`.
 */
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect } from "effect"
import { Sweep, SweepReport } from "effect-damon/accuracy"
import { Render } from "effect-damon/report"

export const runSweep = (dir: string) =>
  Effect.gen(function*() {
    const result = yield* Sweep.run({
      workload: { kind: "masim", name: "stairs" },
      grid: { sampleIntervalUs: [5000, 20_000], maxNrRegions: [20, 1000] },
      durationUs: 3_000_000
    })
    yield* Console.log(SweepReport.formatTable(result))
    const svg = yield* Render.toSvg(SweepReport.sweepSpec(result))
    writeFileSync(join(dir, "stairs-sweep.svg"), svg.svg)
    yield* Console.log(`wrote stairs-sweep.svg (${svg.widthPx} x ${svg.heightPx})`)
  })

if (import.meta.main) NodeRuntime.runMain(runSweep(process.argv[2] ?? "."))
