/**
 * `npm run bench`: runs every benchmark in one process, prints a table and writes
 * `bench/results/latest.json`. Pass benchmark names to run a subset (`testing-soak` runs only when named).
 *
 * Every benchmark starts on a settled heap (`settleHeap`), and a benchmark that throws is
 * reported (`failures` in the JSON, a line in the table) without stopping the others. In a
 * full run, each benchmark in {@link soloCompared} also runs alone in a fresh child process
 * (`run.ts --solo NAME`; this process waits) right before and right after its turn, and the
 * mean of those two is its solo counterpart: bracketing the full-run turn cancels a machine
 * load that drifts while it runs. Its metrics get the solo value and a full/solo ratio
 * (inverted for lower-is-better metrics, so below 1 always means "worse in the full run").
 * `bench.orderSensitivity` is the worst of those ratios. A fixed loop timed before each turn and
 * at the end (`Harness.hostStepNs`) gives `bench.hostSpeedSpread`, how much the host's speed
 * moved during the run: on this shared VM the host, not run order, moves most figures.
 */
import { spawnSync } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import { loadavg } from "node:os"
import { fileURLToPath } from "node:url"
import { accuracyBench } from "./accuracy.ts"
import { type Bench, cpuMs, hostStepNs, type Metric, settleHeap } from "./Harness.ts"
import { cliBench } from "./cli.ts"
import { controlBench } from "./control.ts"
import { damosBench } from "./damos.ts"
import { fuzzBench } from "./fuzz.ts"
import { httpBench } from "./http.ts"
import { monitorBench } from "./monitor.ts"
import { picturesBench } from "./pictures.ts"
import { scheduleBench } from "./schedule.ts"
import { startupBench } from "./startup.ts"
import { testingBench, testingSoakBench } from "./testing.ts"
import { worldBench } from "./world.ts"

const benches: ReadonlyArray<Bench> = [
  monitorBench,
  damosBench,
  controlBench,
  worldBench,
  picturesBench,
  startupBench,
  accuracyBench,
  httpBench,
  cliBench,
  testingBench,
  testingSoakBench,
  fuzzBench,
  scheduleBench
]

/**
 * The metrics that get a solo counterpart, by benchmark, with which direction is better. Only
 * figures that other processes' load does not move are compared (CPU time, ratios of
 * interleaved runs, medians of many short runs), so that a ratio below 1 means run order, not a
 * busier machine while the solo run ran: on the shared 2-core box a minute-long wall-time rate
 * such as `fuzz.casesPerSec` moved 2.5x between runs at the same CPU time. `bench.cpuSeconds.X`
 * is the CPU time of a whole benchmark whose work is fixed (no real-time loops), the
 * load-independent measure of how run order changed its cost. Counts, scores and sizes do not
 * depend on run order; the monitor runs first (its full run is a solo run); http, cli, startup,
 * control's call figures and schedule time real-time loops, servers or fresh processes, which
 * load moves. The walk's cost is compared as the ratio of adjacent passes with and without a
 * walk: its absolute figure (`walk.overheadNsPerRegion`, real time) moved 1.8x between fresh
 * processes minutes apart, with the host's speed, and with it the order sensitivity.
 */
const soloCompared: Readonly<Record<string, Readonly<Record<string, "higher" | "lower">>>> = {
  damos: { "damos.regionsPerSec": "higher", "damos.schemesOnOverOffTime": "lower", "bench.cpuSeconds.damos": "lower" },
  control: { "walk.passTimeWithOverWithout": "lower" },
  pictures: { "report.heatmapFoldRegionsPerSec": "higher", "bench.cpuSeconds.pictures": "lower" },
  fuzz: { "bench.cpuSeconds.fuzz": "lower" }
}

/** Benchmarks whose whole CPU time is reported (`bench.cpuSeconds.NAME`): fixed work, no real-time loops. */
const cpuTimed: ReadonlyArray<string> = ["damos", "pictures", "fuzz"]

const SOLO_MARK = "SOLO-RESULT "

const args = process.argv.slice(2)
const soloMode = args[0] === "--solo"
const selected = soloMode ? args.slice(1) : args

interface Solo {
  readonly value: number
  readonly fullOverSolo: number
}

/**
 * Runs the selected benchmarks in this process, each on a settled heap; failures are kept. In
 * a full run, a compared benchmark is bracketed by its two solo runs.
 */
const runBenches = async (): Promise<{
  metrics: Record<string, Metric>
  failures: Record<string, string>
  solo: Record<string, Solo>
  hostSteps: Array<readonly [string, number]>
}> => {
  const metrics: Record<string, Metric> = {}
  const failures: Record<string, string> = {}
  const solo: Record<string, Solo> = {}
  const hostSteps: Array<readonly [string, number]> = []
  for (const bench of benches) {
    if (selected.length > 0 ? !selected.includes(bench.name) : bench.onlyWhenNamed === true) continue
    const compared = soloCompared[bench.name]
    const bracketed = !soloMode && selected.length === 0 && compared !== undefined
    const before = bracketed ? runSolo(bench.name) : undefined
    if (!soloMode) hostSteps.push([bench.name, hostStepNs()])
    process.stdout.write(`running ${bench.name} ...\n`)
    settleHeap()
    try {
      const c0 = cpuMs()
      Object.assign(metrics, await bench.run())
      if (cpuTimed.includes(bench.name)) {
        metrics[`bench.cpuSeconds.${bench.name}`] = {
          value: (cpuMs() - c0) / 1000,
          unit: "CPU-s",
          note: "CPU time of the whole benchmark (fixed work), every thread"
        }
      }
    } catch (cause) {
      const text = cause instanceof Error ? cause.message : String(cause)
      failures[bench.name] = text
      process.stdout.write(`  ${bench.name} FAILED: ${text}\n`)
      continue
    }
    if (!bracketed || compared === undefined || before === undefined) continue
    const after = runSolo(bench.name)
    for (const [run, alone] of [["before", before], ["after", after]] as const) {
      if (typeof alone === "string") failures[`${bench.name} (solo ${run})`] = alone
    }
    if (typeof before === "string" || typeof after === "string") continue
    for (const [name, better] of Object.entries(compared)) {
      const full = metrics[name]
      const b = before[name]
      const a = after[name]
      if (full === undefined || b === undefined || a === undefined) continue
      const single = (b.value + a.value) / 2
      solo[name] = { value: single, fullOverSolo: better === "higher" ? full.value / single : single / full.value }
    }
  }
  if (!soloMode) hostSteps.push(["end", hostStepNs()])
  return { metrics, failures, solo, hostSteps }
}

/** The metrics of `bench` run alone in a fresh process (same node flags), or why not. */
const runSolo = (bench: string): Record<string, Metric> | string => {
  process.stdout.write(`running ${bench} alone in a fresh process ...\n`)
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--solo", bench], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    stdio: ["ignore", "pipe", "inherit"]
  })
  const line = child.stdout.split("\n").find((l) => l.startsWith(SOLO_MARK))
  if (child.status !== 0 || line === undefined) return `exit ${child.status ?? child.signal}`
  return JSON.parse(line.slice(SOLO_MARK.length)) as Record<string, Metric>
}

interface Row {
  readonly name: string
  readonly metric: Metric
  readonly solo?: number
  readonly fullOverSolo?: number
}

const fmt = (v: number): string => (Math.abs(v) >= 1000 ? Math.round(v).toLocaleString("en-US") : v.toPrecision(4))

const { metrics, failures, solo, hostSteps } = await runBenches()
if (soloMode) {
  process.stdout.write(`${SOLO_MARK}${JSON.stringify(metrics)}\n`)
  process.exit(Object.keys(failures).length === 0 ? 0 : 1)
}

const ratios = Object.entries(solo)
if (ratios.length > 0) {
  const [worstName, worst] = ratios.reduce((a, b) => (b[1].fullOverSolo < a[1].fullOverSolo ? b : a))
  metrics["bench.orderSensitivity"] = {
    value: worst.fullOverSolo,
    unit: "full/solo",
    goal: ">= 0.8",
    note: `worst of ${ratios.length} full/solo ratios (lower-is-better inverted): ${worstName}; solo = mean of the benchmark alone in a fresh process right before and right after its turn`
  }
}

if (hostSteps.length > 1) {
  const slowest = hostSteps.reduce((a, b) => (b[1] > a[1] ? b : a))
  const fastest = hostSteps.reduce((a, b) => (b[1] < a[1] ? b : a))
  metrics["bench.hostSpeedSpread"] = {
    value: slowest[1] / fastest[1],
    unit: "slowest/fastest",
    note: `a fixed integer loop (Harness.hostStepNs) before each benchmark's turn and at the end: slowest before ${slowest[0]} (${
      slowest[1].toFixed(3)
    } ns/step), fastest before ${fastest[0]} (${fastest[1].toFixed(3)}); 1 = the host ran this process at one speed throughout`
  }
}

const rows: Array<Row> = Object.entries(metrics).map(([name, metric]) => ({ name, metric, ...solo[name] === undefined ? {} : { solo: solo[name].value, fullOverSolo: solo[name].fullOverSolo } }))
const cells = rows.map((r) => [
  r.name,
  fmt(r.metric.value),
  r.metric.unit,
  r.fullOverSolo === undefined ? "" : `${r.fullOverSolo.toFixed(2)} (${fmt(r.solo!)})`,
  r.metric.goal ?? "",
  r.metric.note ?? ""
])
const header = ["metric", "value", "unit", "full/solo (solo)", "goal", "how"]
const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)))
const line = (cs: ReadonlyArray<string>) => cs.map((c, i) => c.padEnd(widths[i]!)).join("  ")
process.stdout.write(`\n${line(header)}\n${line(widths.map((w) => "-".repeat(w)))}\n`)
for (const c of cells) process.stdout.write(`${line(c)}\n`)
for (const [bench, why] of Object.entries(failures)) process.stdout.write(`FAILED ${bench}: ${why}\n`)
const load = loadavg().map((l) => l.toFixed(2)).join(" ")
process.stdout.write(`load average at the end: ${load}\n`)

const out = new URL("./results/", import.meta.url)
mkdirSync(out, { recursive: true })
const json = {
  loadAverage: load,
  metrics: Object.fromEntries(rows.map((r) => [
    r.name,
    { value: r.metric.value, unit: r.metric.unit, ...r.fullOverSolo === undefined ? {} : { solo: r.solo, fullOverSolo: r.fullOverSolo } }
  ])),
  ...Object.keys(failures).length === 0 ? {} : { failures }
}
writeFileSync(new URL("latest.json", out), `${JSON.stringify(json, null, 2)}\n`)
process.stdout.write(`\nwrote bench/results/latest.json\n`)
if (Object.keys(failures).length > 0) process.exitCode = 1
