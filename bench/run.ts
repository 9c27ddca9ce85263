/**
 * `npm run bench`: runs every benchmark in one process, prints a table and writes
 * `bench/results/latest.json`. Pass benchmark names to run a subset (`testing-soak` runs only when named).
 *
 * Every benchmark starts on a settled heap (`settleHeap`), and a benchmark that throws is
 * reported (`failures` in the JSON, a line in the table) without stopping the others. After a
 * full run, the benchmarks in {@link soloCompared} run again, each alone in a fresh child
 * process (`run.ts --solo NAME`), and their metrics get a solo counterpart and a full/solo ratio
 * (inverted for lower-is-better metrics, so below 1 always means "worse in the full run");
 * `bench.orderSensitivity` is the worst of those ratios.
 */
import { spawnSync } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import { loadavg } from "node:os"
import { fileURLToPath } from "node:url"
import { accuracyBench } from "./accuracy.ts"
import { type Bench, type Metric, settleHeap } from "./Harness.ts"
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
 * The metrics that get a solo counterpart, by benchmark, with which direction is better: the
 * throughput and cost figures of benchmarks that run after others in the full run and take
 * seconds, not minutes, alone. Counts, scores and sizes do not depend on what ran before; the
 * monitor runs first (its full run is a solo run); http, cli and startup already time fresh
 * processes or servers.
 */
const soloCompared: Readonly<Record<string, Readonly<Record<string, "higher" | "lower">>>> = {
  damos: { "damos.regionsPerSec": "higher", "damos.schemesOnOverOffTime": "lower" },
  control: { "call.throughputPerSec": "higher", "call.latencyP50Us": "lower", "walk.overheadNsPerRegion": "lower" },
  pictures: { "report.heatmapFoldRegionsPerSec": "higher" },
  fuzz: { "fuzz.casesPerSec": "higher" }
}

const SOLO_MARK = "SOLO-RESULT "

const args = process.argv.slice(2)
const soloMode = args[0] === "--solo"
const selected = soloMode ? args.slice(1) : args

/** Runs the selected benchmarks in this process, each on a settled heap; failures are kept. */
const runBenches = async (): Promise<{ metrics: Record<string, Metric>; failures: Record<string, string> }> => {
  const metrics: Record<string, Metric> = {}
  const failures: Record<string, string> = {}
  for (const bench of benches) {
    if (selected.length > 0 ? !selected.includes(bench.name) : bench.onlyWhenNamed === true) continue
    process.stdout.write(`running ${bench.name} ...\n`)
    settleHeap()
    try {
      Object.assign(metrics, await bench.run())
    } catch (cause) {
      const text = cause instanceof Error ? cause.message : String(cause)
      failures[bench.name] = text
      process.stdout.write(`  ${bench.name} FAILED: ${text}\n`)
    }
  }
  return { metrics, failures }
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

const { metrics, failures } = await runBenches()
if (soloMode) {
  process.stdout.write(`${SOLO_MARK}${JSON.stringify(metrics)}\n`)
  process.exit(Object.keys(failures).length === 0 ? 0 : 1)
}

// solo counterparts, after the full run (so they cannot disturb it)
const solo: Record<string, { value: number; fullOverSolo: number }> = {}
if (selected.length === 0) {
  for (const [bench, compared] of Object.entries(soloCompared)) {
    const alone = runSolo(bench)
    if (typeof alone === "string") {
      failures[`${bench} (solo)`] = alone
      continue
    }
    for (const [name, better] of Object.entries(compared)) {
      const full = metrics[name]
      const single = alone[name]
      if (full === undefined || single === undefined) continue
      const ratio = better === "higher" ? full.value / single.value : single.value / full.value
      solo[name] = { value: single.value, fullOverSolo: ratio }
    }
  }
  const ratios = Object.entries(solo)
  if (ratios.length > 0) {
    const [worstName, worst] = ratios.reduce((a, b) => (b[1].fullOverSolo < a[1].fullOverSolo ? b : a))
    metrics["bench.orderSensitivity"] = {
      value: worst.fullOverSolo,
      unit: "full/solo",
      goal: ">= 0.8",
      note: `worst of ${ratios.length} full/solo ratios (lower-is-better inverted): ${worstName}; solo = the benchmark alone in a fresh process`
    }
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
