/**
 * The commands that run or drive monitoring: `demo`, `serve`, `start`, `tune`, `stop`,
 * `status`, `record` and `args damon`, with their flags, help and examples. Each command's
 * implementation is imported when it runs (`lazy`), so `--help` and `--version` load only
 * `effect/cli` and these definitions.
 */
import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as F from "./CliFlags.ts"

/** A handler that imports its module on first use. */
export const lazy = <M, A, E, R>(load: () => Promise<M>, run: (m: M, a: A) => Effect.Effect<void, E, R>) => (a: A) =>
  Effect.flatMap(Effect.promise(load), (m) => run(m, a))

const target = Argument.String("target").pipe(
  Argument.withDescription("damo's deducible target: a pid (default 42, the workload) or paddr"),
  Argument.optional
)
const optionalWorkload = Flag.String("workload").pipe(
  Flag.withDescription("masim workload of the simulated machine (a shipped name or a masim file; default stairs)"),
  Flag.optional
)

export const demo = Command.make(
  "demo",
  {
    workload: F.workload,
    ops: Flag.Literals("ops", ["vaddr", "fvaddr", "paddr"]).pipe(
      Flag.withDescription("operations set: vaddr (process, three regions), fvaddr (fixed ranges), paddr (physical RAM)"),
      Flag.withDefault("vaddr" as const)
    ),
    seed: F.seed,
    durationMs: F.intAtLeast("duration-ms", 0, "virtual run time in ms; 0 = one cycle of the workload's phases").pipe(Flag.withDefault(0)),
    reportEvery: F.intAtLeast("report-every", 0, "print an access snapshot every N aggregations; 0 = about ten per run").pipe(Flag.withDefault(0)),
    sampleUs: F.intAtLeast("sample-us", 1, "sampling interval (us)").pipe(Flag.withDefault(5000)),
    aggrUs: F.intAtLeast("aggr-us", 1, "aggregation interval (us)").pipe(Flag.withDefault(100_000)),
    minNrRegions: F.intAtLeast("min-regions", 1, "minimum number of regions").pipe(Flag.withDefault(10)),
    maxNrRegions: F.intAtLeast("max-regions", 1, "maximum number of regions").pipe(Flag.withDefault(1000)),
    width: F.intAtLeast("width", 1, "heatmap columns (address)").pipe(Flag.withDefault(80)),
    height: F.intAtLeast("height", 1, "heatmap rows (time)").pipe(Flag.withDefault(30)),
    color: Flag.Boolean("color").pipe(Flag.withDescription("colour heatmap (ANSI 256)"), Flag.withDefault(false)),
    noPageout: Flag.Boolean("no-pageout").pipe(Flag.withDescription("run without the pageout scheme"), Flag.withDefault(false))
  },
  lazy(() => import("./Demo.ts"), (m, o) => m.runDemo({ ...o, pageout: !o.noPageout }))
).pipe(
  Command.withDescription("Monitor a simulated masim workload in virtual time with a pageout scheme; print snapshots, scheme stats and a heatmap"),
  Command.withExamples([
    { command: "effect-damon demo", description: "one minute of stairs (what npm start runs)" },
    { command: "effect-damon demo --workload zigzag --duration-ms 30000 --color", description: "another workload, in colour" },
    { command: "effect-damon demo --ops paddr --no-pageout", description: "physical memory, monitoring only" }
  ])
)

export const serve = Command.make(
  "serve",
  {
    port: F.port,
    host: F.host,
    allowRemote: Flag.Boolean("allow-remote").pipe(
      Flag.withDescription("allow a non-loopback --host (no TLS: use a token, and a trusted network)"),
      Flag.withDefault(false)
    ),
    tokenFile: Flag.String("token-file").pipe(
      Flag.withDescription("file holding a bearer token (16+ characters, mode 600) every request must carry"),
      Flag.optional
    ),
    httpThread: Flag.Literals("http-thread", ["worker", "main"]).pipe(
      Flag.withDescription("serve HTTP from a worker thread (default) or from the kdamonds' thread"),
      Flag.withDefault("worker" as const)
    ),
    shutdownGraceMs: Flag.Int("shutdown-grace-ms").pipe(
      Flag.withDescription("how long shutdown waits for answers in progress (ms); a second signal does not wait"),
      Flag.withDefault(3000)
    ),
    workload: F.workload,
    seed: F.seed,
    time: F.time.pipe(Flag.withDefault("real" as const)),
    otlp: F.otlp
  },
  lazy(() => import("./ServeCommand.ts"), (m, { tokenFile, ...o }) =>
    m.runServeCommand(Option.isSome(tokenFile) ? { ...o, tokenFile: tokenFile.value } : o))
).pipe(
  Command.withDescription("Serve the admin tree of a simulated machine over loopback HTTP (GET/PUT /admin/..., GET /metrics, GET /events/kdamonds/<K>) until Ctrl-C"),
  Command.withExamples([
    { command: "effect-damon serve --port 8080", description: "stairs as pid 42, real time; then export EFFECT_DAMON_SERVER=http://127.0.0.1:8080" },
    { command: "effect-damon serve --port 0 --workload zigzag --time virtual", description: "any free port, virtual time" },
    { command: "effect-damon serve --port 8080 --otlp http://127.0.0.1:4318", description: "with traces and metrics to a collector" }
  ])
)

export const start = Command.make(
  "start",
  {
    ...F.damoFlags,
    target,
    kdamonds: F.kdamondsFile,
    server: F.server,
    workload: optionalWorkload,
    seed: F.seed,
    time: F.time.pipe(Flag.optional),
    port: F.port.pipe(Flag.optional),
    host: F.host,
    otlp: F.otlp
  },
  lazy(() => import("./Start.ts"), (m, o) =>
    m.runStart({
      server: o.server,
      kdamonds: o.kdamonds,
      damo: F.toDamoOptions(o, o.target),
      workload: o.workload,
      seed: o.seed,
      time: o.time,
      port: o.port,
      host: o.host,
      otlp: o.otlp
    }))
).pipe(
  Command.withDescription(
    "Start monitoring (damo start): on a running serve (--server / $EFFECT_DAMON_SERVER), or here in the foreground on a simulated machine until stopped"
  ),
  Command.withExamples([
    { command: "effect-damon start --damos_action pageout --damos_access_rate 0 0 --damos_age 5s max", description: "page out regions idle for 5 s (foreground, stairs)" },
    { command: "effect-damon start --server http://127.0.0.1:8080 --kdamonds kdamonds.json", description: "what `damo args damon --format json` wrote, on a server" },
    { command: "effect-damon start paddr --monitoring_intervals 10ms 200ms 1s --regions 4294967296-8589934592", description: "physical memory, other intervals" }
  ])
)

export const tune = Command.make(
  "tune",
  { ...F.damoFlags, target, kdamonds: F.kdamondsFile, kdamond: F.kdamond.pipe(Flag.withDefault(0)), server: F.server },
  lazy(() => import("./Start.ts"), (m, o) =>
    m.runTune({ server: o.server, kdamonds: o.kdamonds, kdamond: o.kdamond, damo: F.toDamoOptions(o, o.target) }))
).pipe(
  Command.withDescription("Change a running kdamond's parameters online (damo tune: stage, then commit)"),
  Command.withExamples([
    { command: "effect-damon tune --monitoring_intervals 10ms 200ms 2s", description: "new intervals for kdamond 0" },
    { command: "effect-damon tune --kdamond 1 --damos_action lru_deprio --damos_access_rate 0 0", description: "another scheme for kdamond 1" }
  ])
)

export const stop = Command.make(
  "stop",
  { server: F.server, kdamond: F.kdamond.pipe(Flag.optional) },
  lazy(() => import("./Start.ts"), (m, o) => m.runStop(o))
).pipe(
  Command.withDescription("Stop kdamonds (damo stop: write off to their state)"),
  Command.withExamples([
    { command: "effect-damon stop", description: "every running kdamond of $EFFECT_DAMON_SERVER" },
    { command: "effect-damon stop --kdamond 0 --server http://127.0.0.1:8080", description: "one kdamond" }
  ])
)

export const status = Command.make(
  "status",
  { server: F.server },
  lazy(() => import("./Status.ts"), (m, o) => m.runStatus(o))
).pipe(
  Command.withDescription("What a running serve is doing: each kdamond's state, parameters, scheme stats and counters (damo status)"),
  Command.withExamples([{ command: "effect-damon status --server http://127.0.0.1:8080", description: "" }])
)

const outputType = Flag.Literals("output_type", ["json_compressed", "json"]).pipe(
  Flag.withDescription("record file format: json_compressed (damo's default) or json"),
  Flag.withDefault("json_compressed" as const)
)

export const record = Command.make(
  "record",
  {
    ...F.damoFlags,
    target,
    kdamonds: F.kdamondsFile,
    server: F.server,
    kdamond: F.kdamond.pipe(Flag.withDefault(0)),
    duration: F.duration("duration", "how long: virtual time offline (default one workload cycle), wall time live (default until the kdamond stops or Ctrl-C)").pipe(Flag.optional),
    out: Flag.String("out").pipe(Flag.withAlias("o"), Flag.withDescription("record file"), Flag.withDefault("damon.data")),
    outputType,
    workload: optionalWorkload,
    seed: F.seed,
    otlp: F.otlp
  },
  lazy(() => import("./RecordCommand.ts"), (m, o) =>
    m.runRecord({
      server: o.server,
      kdamond: o.kdamond,
      durationUs: o.duration,
      out: o.out,
      outputType: o.outputType,
      workload: o.workload,
      seed: o.seed,
      kdamonds: o.kdamonds,
      damo: F.toDamoOptions(o, o.target),
      otlp: o.otlp
    }))
).pipe(
  Command.withDescription("Record monitoring results to damo's record file: offline in virtual time, or live from a running serve"),
  Command.withExamples([
    { command: "effect-damon record --workload stairs --duration 60s", description: "a minute of stairs to damon.data, in well under a second" },
    { command: "effect-damon record --server http://127.0.0.1:8080 --duration 30s -o live.data", description: "30 s of kdamond 0 of a server" },
    { command: "effect-damon record --monitoring_intervals 1ms 20ms 1s --monitoring_nr_regions_range 100 1000", description: "finer monitoring" }
  ])
)

const argsDamon = Command.make(
  "damon",
  { ...F.damoFlags, target, kdamonds: F.kdamondsFile, raw: Flag.Boolean("raw").pipe(Flag.withDescription("machine-friendly numbers"), Flag.withDefault(false)) },
  lazy(() => import("./ArgsDamon.ts"), (m, o) => m.runArgsDamon({ kdamonds: o.kdamonds, damo: F.toDamoOptions(o, o.target), raw: o.raw }))
).pipe(
  Command.withDescription("Print the full kdamonds JSON the options describe (damo args damon --format json)"),
  Command.withExamples([
    { command: "effect-damon args damon --damos_action pageout --damos_access_rate 0 0 --damos_age 5s max > kdamonds.json", description: "then: effect-damon start --kdamonds kdamonds.json" },
    { command: "effect-damon args damon --raw", description: "damo's defaults, machine-friendly" }
  ])
)

export const args = Command.make("args").pipe(
  Command.withDescription("Print what options mean (damo args)"),
  Command.withSubcommands([argsDamon])
)
