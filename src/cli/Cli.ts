/**
 * The `effect-damon` command tree: `demo` (what `npm start` runs) monitors a simulated masim
 * workload in virtual time and prints snapshots and a heatmap; `serve` exposes the sysfs admin
 * tree of a simulated machine over loopback HTTP until interrupted. `main.ts` runs it.
 */
import { Command, Flag } from "effect/cli"
import { defaultOptions, runDemo } from "./Demo.ts"
import { reportAccuracyCommand } from "./ReportAccuracy.ts"
import { serveCommand } from "./Serve.ts"

const d = defaultOptions

const demo = Command.make(
  "demo",
  {
    workload: Flag.String("workload").pipe(
      Flag.withDescription("masim config: a shipped name (stairs, zigzag, demo, ...) or a path to a masim file"),
      Flag.withDefault(d.workload)
    ),
    ops: Flag.Literals("ops", ["vaddr", "fvaddr", "paddr"]).pipe(
      Flag.withDescription("operations set: vaddr (process, three regions), fvaddr (fixed ranges), paddr (physical RAM)"),
      Flag.withDefault(d.ops)
    ),
    seed: Flag.Int("seed").pipe(Flag.withDescription("seed of the run (same seed, same output)"), Flag.withDefault(d.seed)),
    durationMs: Flag.Int("duration-ms").pipe(
      Flag.withDescription("virtual run time in ms; 0 = one cycle of the workload's phases"),
      Flag.withDefault(d.durationMs)
    ),
    reportEvery: Flag.Int("report-every").pipe(
      Flag.withDescription("print an access snapshot every N aggregations; 0 = about ten per run"),
      Flag.withDefault(d.reportEvery)
    ),
    sampleUs: Flag.Int("sample-us").pipe(Flag.withDescription("sampling interval (us)"), Flag.withDefault(d.sampleUs)),
    aggrUs: Flag.Int("aggr-us").pipe(Flag.withDescription("aggregation interval (us)"), Flag.withDefault(d.aggrUs)),
    minNrRegions: Flag.Int("min-regions").pipe(Flag.withDefault(d.minNrRegions)),
    maxNrRegions: Flag.Int("max-regions").pipe(Flag.withDefault(d.maxNrRegions)),
    width: Flag.Int("width").pipe(Flag.withDescription("heatmap columns (address)"), Flag.withDefault(d.width)),
    height: Flag.Int("height").pipe(Flag.withDescription("heatmap rows (time)"), Flag.withDefault(d.height)),
    color: Flag.Boolean("color").pipe(Flag.withDescription("colour heatmap (ANSI 256)"), Flag.withDefault(d.color))
  },
  (options) => runDemo(options)
).pipe(Command.withDescription("Monitor a simulated masim workload in virtual time; print snapshots and a heatmap"))

const report = Command.make("report").pipe(
  Command.withDescription("Reports: accuracy (DAMON against the exact truth and a fixed-granularity baseline)"),
  Command.withSubcommands([reportAccuracyCommand])
)

export const cli = Command.make("effect-damon").pipe(
  Command.withDescription("DAMON (Data Access MONitor) on Effect"),
  Command.withSubcommands([demo, serveCommand, report])
)
