/**
 * A sweep's results as a text table and as a picture: accuracy against cost (pages checked per
 * second, log scale), one point per setting, the Pareto front drawn as a line through its
 * points. The picture is a Vega-Lite spec (render it with `effect-damon/report`'s `Render`).
 * Pure.
 */
import type { TopLevelSpec } from "vega-lite"
import { baseConfig, round } from "../report/SpecConfig.ts"
import type { SweepMetric, SweepPoint, SweepResult } from "./Sweep.ts"
import { workloadName } from "./Workload.ts"

const metricTitle: Record<SweepMetric, string> = {
  wssErrorPct: "WSS error, median (%)",
  hotPrecision: "hot precision, median",
  hotRecall: "hot recall, median",
  hotF1: "hot F1 (pooled)"
}

const num = (v: number | null, digits: number): string => (v === null ? "-" : v.toFixed(digits))

const goalOf = (p: SweepPoint): string => {
  const g = p.attrs.intervalsGoal
  return g.aggrs === 0 ? "off" : `${g.accessBp}bp/${g.aggrs} [${g.minSampleUs},${g.maxSampleUs}]`
}

/** The results as a table, one line per setting, Pareto-front settings marked `*`. */
export const formatTable = (result: SweepResult): string => {
  const header = ["", "#", "sample us", "aggr us", "min", "max", "tuning", "checks/s", "WSS err % p50", "p90", "hot P", "hot R", "hot F1"]
  const rows = result.points.map((p) => [
    p.pareto ? "*" : "",
    String(p.index),
    String(p.attrs.sampleIntervalUs),
    String(p.attrs.aggrIntervalUs),
    String(p.attrs.minNrRegions),
    String(p.attrs.maxNrRegions),
    goalOf(p),
    Math.round(p.checksPerSec).toLocaleString("en-US"),
    num(p.wssErrorPct, 2),
    num(p.summary.wssErrorPct.p90, 2),
    num(p.hotPrecision, 3),
    num(p.hotRecall, 3),
    num(p.hotF1, 3)
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((c, i) => (i <= 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd()
  const lines = [
    `# sweep of ${workloadName(result.workload)}: ${result.points.length} settings, ${result.durationUs / 1e6} s each, ` +
    `truth tick ${result.truthTickUs} us, hot from ${result.hotThreshold}; * = Pareto front (checks/s vs ${metricTitle[result.metric]})`,
    line(header),
    ...rows.map(line)
  ]
  for (const s of result.skipped) lines.push(`# skipped ${JSON.stringify(s.attrs)}: ${s.reason}`)
  return lines.join("\n")
}

/** Options of {@link sweepSpec}. */
export interface SweepSpecOptions {
  readonly title?: string
  readonly widthPx?: number
  readonly heightPx?: number
}

/** The picture: accuracy (the result's metric) against checks per second, the front marked. */
export const sweepSpec = (result: SweepResult, options: SweepSpecOptions = {}): TopLevelSpec => {
  const y = metricTitle[result.metric]
  const values = result.points.flatMap((p) => {
    const v = p[result.metric]
    if (v === null) return []
    return [{
      cost: round(p.checksPerSec, 1),
      value: round(v, 4),
      front: p.pareto ? "Pareto front" : "dominated",
      setting: `#${p.index}: sample ${p.attrs.sampleIntervalUs} us, aggr ${p.attrs.aggrIntervalUs} us, regions ${p.attrs.minNrRegions}..${p.attrs.maxNrRegions}, tuning ${goalOf(p)}`
    }]
  })
  const front = values.filter((v) => v.front === "Pareto front").sort((a, b) => a.cost - b.cost)
  const x = { field: "cost", type: "quantitative" as const, title: "pages checked per second", scale: { type: "log" as const } }
  // WSS errors span orders of magnitude (0.1 % to 100+ %): a symmetric log scale keeps 0 and shows both
  const yScale = result.metric === "wssErrorPct" ? { type: "symlog" as const, constant: 0.1 } : { zero: false }
  const yAxis = result.metric === "wssErrorPct"
    ? { field: "value", type: "quantitative" as const, title: y, scale: yScale, axis: { values: [0, 0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000], format: ".2~r" } }
    : { field: "value", type: "quantitative" as const, title: y, scale: yScale }
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: options.title ?? `DAMON accuracy against cost: ${workloadName(result.workload)}`,
      subtitle: `${result.points.length} settings, ${result.durationUs / 1e6} s each; truth tick ${result.truthTickUs} us, hot from ${result.hotThreshold}`
    },
    width: options.widthPx ?? 480,
    height: options.heightPx ?? 300,
    config: baseConfig,
    layer: [
      {
        data: { values: front },
        mark: { type: "line", color: "#dd4444", strokeDash: [6, 4] },
        encoding: { x, y: yAxis }
      },
      {
        data: { values },
        mark: { type: "point", filled: true, size: 60 },
        encoding: {
          x,
          y: yAxis,
          color: {
            field: "front",
            type: "nominal",
            title: null,
            scale: { domain: ["Pareto front", "dominated"], range: ["#dd4444", "#3b528b"] }
          },
          tooltip: [{ field: "setting", type: "nominal" }, { field: "cost", type: "quantitative", title: "checks/s" }, {
            field: "value",
            type: "quantitative",
            title: y
          }]
        }
      }
    ]
  }
}
