/**
 * The commands that look at results and at the tree: `report access|heatmap|wss|damon`,
 * `sysfs read|write|ls`, `workload list|show`, with their flags, help and examples. Implementations
 * are imported when a command runs. `reportSubcommands` is where a new report registers (e.g.
 * `report accuracy`, `ReportAccuracy.ts`).
 */
import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import { sortKeys } from "./AccessTextKeys.ts"
import * as F from "./CliFlags.ts"
import { lazy } from "./CliMonitor.ts"
import { wordsOf } from "./DamoArgv.ts"
import { reportAccuracyCommand } from "./CliReportAccuracy.ts"
import { reportSweepCommand } from "./CliReportSweep.ts"

const inputFile = Flag.String("input_file").pipe(
  Flag.withAlias("i"),
  Flag.withDescription("record file (damo's json_compressed or json; written by `effect-damon record` or damo)")
)
const output = Flag.String("output").pipe(
  Flag.withDescription("draw the picture to this file instead of printing text: .svg or .png"),
  Flag.optional
)
const tid = F.intAtLeast("tid", 0, "only this target (its index in the context)").pipe(Flag.optional)

const snapshot = Flag.String("snapshot").pipe(
  Flag.mapTryCatch(
    (s): "all" | "last" | number => {
      if (s === "all" || s === "last") return s
      if (/^\d+$/.test(s)) return Number(s)
      throw new Error("bad")
    },
    () => "must be all, last, or a snapshot index (0, 1, ...)"
  ),
  Flag.withDescription("which snapshots of each record to print (record files)"),
  Flag.withDefault("all" as const)
)

const access = Command.make(
  "access",
  {
    input: inputFile.pipe(Flag.optional),
    server: F.server,
    snapshot,
    sortBy: Flag.Literals("sort_regions_by", sortKeys).pipe(
      Flag.withDescription("sort regions by this key (repeat for more keys; the last is the primary one)"),
      Flag.atLeast(0)
    ),
    descending: Flag.Boolean("sort_regions_dsc").pipe(Flag.withDescription("sort in descending order"), Flag.withDefault(false)),
    json: Flag.Boolean("json").pipe(Flag.withDescription("print damo's record JSON instead"), Flag.withDefault(false)),
    raw: Flag.Boolean("raw_number").pipe(Flag.withDescription("machine-friendly numbers"), Flag.withDefault(false))
  },
  lazy(() => import("./ReportAccess.ts"), (m, o) => m.runReportAccess(o))
).pipe(
  Command.withDescription(
    "Regions with access rate and age, damo's detailed style: from a record file, or live from a running serve (damo's commit / tried-regions / commit-back sequence)"
  ),
  Command.withExamples([
    { command: "effect-damon report access -i damon.data --snapshot last", description: "the last snapshot of a record" },
    { command: "effect-damon report access --server http://127.0.0.1:8080 --sort_regions_by access_rate --sort_regions_dsc", description: "live, hottest first" },
    { command: "effect-damon report access -i damon.data --json", description: "damo's record JSON" }
  ])
)

const heatmap = Command.make(
  "heatmap",
  {
    input: inputFile.pipe(Flag.withDefault("damon.data")),
    output,
    width: F.intAtLeast("width", 1, "address columns (default 80; 200 for pictures)").pipe(Flag.optional),
    height: F.intAtLeast("height", 1, "time rows (default 30; 100 for pictures)").pipe(Flag.optional),
    color: Flag.Boolean("color").pipe(Flag.withDescription("ANSI colours behind the digits"), Flag.withDefault(false)),
    scale: Flag.Literals("scale", ["absolute", "relative"]).pipe(
      Flag.withDescription("absolute: 0-100 % of samples; relative: coldest to hottest cell"),
      Flag.withDefault("absolute" as const)
    ),
    tid
  },
  lazy(() => import("./ReportHeatmap.ts"), (m, o) => m.runReportHeatmap(o))
).pipe(
  Command.withDescription("Access frequency over time and address of a record file, as text or as an SVG/PNG picture (damo report heatmap)"),
  Command.withExamples([
    { command: "effect-damon report heatmap -i damon.data", description: "in the terminal" },
    { command: "effect-damon report heatmap -i damon.data --output heatmap.png", description: "a picture" }
  ])
)

const range = Flag.String("range").pipe(
  Flag.mapTryCatch(
    (s): readonly [number, number, number] => {
      const w = wordsOf(s).map(Number)
      if (w.length !== 3 || w.some((x) => !Number.isInteger(x) || x < 0) || w[2]! < 1) throw new Error("bad")
      return [w[0]!, w[1]!, w[2]!]
    },
    () => "must be <start> <end> <interval> percentiles, e.g. 0 101 25"
  ),
  Flag.withDescription("percentiles to print: <start> <end> <interval> (default 0 101 25)"),
  Flag.withDefault([0, 101, 25] as const)
)

const wss = Command.make(
  "wss",
  {
    input: inputFile.pipe(Flag.withDefault("damon.data")),
    output,
    sortBy: Flag.Literals("sortby", ["size", "time"]).pipe(Flag.withDescription("percentiles by size or by time"), Flag.withDefault("size" as const)),
    range,
    accThres: F.intAtLeast("acc_thres", 0, "minimum nr_accesses of a region in the working set (default 1)").pipe(Flag.withDefault(1)),
    szThres: F.intAtLeast("sz_thres", 0, "minimum size in bytes of a region in the working set (default 1)").pipe(Flag.withDefault(1)),
    tid
  },
  lazy(() => import("./ReportWss.ts"), (m, o) => m.runReportWss(o))
).pipe(
  Command.withDescription("Working set size distribution of a record file, by size or by time (damo report wss)"),
  Command.withExamples([
    { command: "effect-damon report wss -i damon.data", description: "percentiles 0, 25, 50, 75, 100" },
    { command: "effect-damon report wss -i damon.data --sortby time --range 0 101 10 --output wss.svg", description: "over time, as a picture" }
  ])
)

const damon = Command.make(
  "damon",
  {
    server: F.server,
    kdamond: F.kdamond.pipe(Flag.optional),
    json: Flag.Boolean("json").pipe(Flag.withDescription("print the kdamonds JSON (readable by start --kdamonds and damo)"), Flag.withDefault(false)),
    raw: Flag.Boolean("raw").pipe(Flag.withDescription("machine-friendly numbers"), Flag.withDefault(false)),
    triedRegions: Flag.Boolean("tried_regions").pipe(Flag.withDescription("also show the regions each scheme was tried on"), Flag.withDefault(false))
  },
  lazy(() => import("./ReportDamon.ts"), (m, o) => m.runReportDamon(o))
).pipe(
  Command.withDescription("Parameters, state, scheme stats and tried regions of a running serve's kdamonds (damo report damon)"),
  Command.withExamples([
    { command: "effect-damon report damon", description: "every kdamond of $EFFECT_DAMON_SERVER" },
    { command: "effect-damon report damon --json > kdamonds.json", description: "the setup, reusable with start --kdamonds" }
  ])
)

/** Every `report` subcommand; register new reports here. */
export const reportSubcommands = [access, heatmap, wss, damon, reportAccuracyCommand, reportSweepCommand] as const

export const report = Command.make("report").pipe(
  Command.withDescription("Reports of recorded or live monitoring results (damo report)"),
  Command.withSubcommands(reportSubcommands)
)

const path = Argument.String("path").pipe(Argument.withDescription("path below /sys/kernel/mm/damon/admin, e.g. kdamonds/0/state"))
const sysfsFlags = {
  server: F.server,
  kdamonds: Flag.String("kdamonds").pipe(
    Flag.withDescription("offline only: set up the in-process tree from this kdamonds JSON file first"),
    Flag.optional
  )
}

const sysfsRead = Command.make(
  "read",
  { ...sysfsFlags, path },
  lazy(() => import("./SysfsCommand.ts"), (m, o) => m.runSysfs(o, { _tag: "read", path: o.path }))
).pipe(Command.withDescription("Print a file, or every file below a directory (cat, grep -r)"))

const sysfsWrite = Command.make(
  "write",
  { ...sysfsFlags, path, value: Argument.String("value").pipe(Argument.withDescription("text to write")) },
  lazy(() => import("./SysfsCommand.ts"), (m, o) => m.runSysfs(o, { _tag: "write", path: o.path, value: o.value }))
).pipe(Command.withDescription("Write a file (echo value > file)"))

const sysfsLs = Command.make(
  "ls",
  { ...sysfsFlags, path: path.pipe(Argument.withDefault("")) },
  lazy(() => import("./SysfsCommand.ts"), (m, o) => m.runSysfs(o, { _tag: "ls", path: o.path }))
).pipe(Command.withDescription("List a directory"))

export const sysfs = Command.make("sysfs").pipe(
  Command.withDescription("The DAMON admin tree file by file: on a running serve (--server), or offline on an in-process tree"),
  Command.withSubcommands([sysfsRead, sysfsWrite, sysfsLs]),
  Command.withExamples([
    { command: "effect-damon sysfs ls kdamonds", description: "offline: the tree after boot" },
    { command: "effect-damon sysfs read kdamonds/0 --kdamonds kdamonds.json", description: "offline: the files a kdamonds JSON sets" },
    { command: "effect-damon sysfs write kdamonds/0/state update_schemes_stats --server http://127.0.0.1:8080", description: "a state command on a server" }
  ])
)

const workloadList = Command.make("list", {}, lazy(() => import("./Workloads.ts"), (m) => m.runWorkloadList)).pipe(
  Command.withDescription("The shipped masim workloads")
)
const workloadShow = Command.make(
  "show",
  { workload: Argument.String("workload").pipe(Argument.withDescription("a shipped name or a masim file")) },
  lazy(() => import("./Workloads.ts"), (m, o) => m.runWorkloadShow(o.workload))
).pipe(Command.withDescription("A workload's regions and phases, and a preview of which region each phase touches"))

export const workload = Command.make("workload").pipe(
  Command.withDescription("The masim workloads the simulated machine runs"),
  Command.withSubcommands([workloadList, workloadShow]),
  Command.withExamples([
    { command: "effect-damon workload list", description: "" },
    { command: "effect-damon workload show zigzag", description: "" }
  ])
)
