/**
 * `npm run bench`: runs every benchmark in one process, prints a table and writes
 * `bench/results/latest.json`. Pass benchmark names to run a subset (`testing-soak` runs only when named).
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { accuracyBench } from "./accuracy.ts"
import type { Bench, Metric } from "./Harness.ts"
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

const selected = process.argv.slice(2)
const metrics: Record<string, Metric> = {}
for (const bench of benches) {
  if (selected.length > 0 ? !selected.includes(bench.name) : bench.onlyWhenNamed === true) continue
  process.stdout.write(`running ${bench.name} ...\n`)
  Object.assign(metrics, await bench.run())
}

const rows = Object.entries(metrics).map(([name, m]) => [
  name,
  m.value >= 1000 ? Math.round(m.value).toLocaleString("en-US") : m.value.toPrecision(4),
  m.unit,
  m.goal ?? "",
  m.note ?? ""
])
const header = ["metric", "value", "unit", "goal", "how"]
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
const line = (cells: ReadonlyArray<string>) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ")
process.stdout.write(`\n${line(header)}\n${line(widths.map((w) => "-".repeat(w)))}\n`)
for (const r of rows) process.stdout.write(`${line(r)}\n`)

const out = new URL("./results/", import.meta.url)
mkdirSync(out, { recursive: true })
const json = { metrics: Object.fromEntries(Object.entries(metrics).map(([k, m]) => [k, { value: m.value, unit: m.unit }])) }
writeFileSync(new URL("latest.json", out), `${JSON.stringify(json, null, 2)}\n`)
process.stdout.write(`\nwrote bench/results/latest.json\n`)
