/**
 * The working set size distribution as a Vega-Lite spec, like damo's `report wss --plot`:
 * percentile (by size) or runtime position (by time) on x, WSS on y, with the mean as a dashed
 * line. Pure; plain JSON with the data inline.
 */
import type { TopLevelSpec } from "vega-lite"
import { baseConfig, round } from "./SpecConfig.ts"
import { formatSize, sizeUnitFor } from "./Units.ts"
import { average, percentiles, type SortBy, type WssDistribution } from "./WssDistribution.ts"

/** Looks and content of the WSS picture. */
export interface WssSpecOptions {
  readonly sortBy?: SortBy
  /** Percentiles to plot; default 0, 1, ..., 100. */
  readonly percentiles?: ReadonlyArray<number>
  readonly title?: string
  readonly widthPx?: number
  readonly heightPx?: number
}

const allPercentiles = Array.from({ length: 101 }, (_, i) => i)

/** The Vega-Lite spec of the WSS distribution. */
export const wssSpec = (dist: WssDistribution, options: WssSpecOptions = {}): TopLevelSpec => {
  const sortBy = options.sortBy ?? "size"
  const unit = sizeUnitFor(Math.max(1, dist.count === 0 ? 1 : dist.max))
  const points = percentiles(dist, options.percentiles ?? allPercentiles, sortBy).map((p) => ({
    percentile: p.percentile,
    wss: round(p.wssBytes / unit.scale, 6),
    size: formatSize(p.wssBytes)
  }))
  const mean = average(dist)
  const yTitle = `working set size (${unit.name})`
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: options.title ?? "DAMON working set size",
      subtitle: `${dist.count} snapshots; regions with >= ${dist.minNrAccesses} accesses and >= ${formatSize(dist.minRegionBytes)}; ` +
        `mean ${mean === undefined ? "-" : formatSize(mean)} (dashed)` +
        (sortBy === "size" ? "" : "; by time: the WSS at that point of the run")
    },
    width: options.widthPx ?? 480,
    height: options.heightPx ?? 300,
    config: baseConfig,
    layer: [
      {
        data: { values: points },
        mark: { type: "line", point: true, color: "#3b528b" },
        encoding: {
          x: {
            field: "percentile",
            type: "quantitative",
            title: sortBy === "size" ? "percentile" : "runtime (%)",
            scale: { domain: [0, 100], nice: false }
          },
          y: { field: "wss", type: "quantitative", title: yTitle, scale: { zero: true } },
          tooltip: [
            { field: "percentile", type: "quantitative", title: sortBy === "size" ? "percentile" : "runtime (%)" },
            { field: "size", type: "nominal", title: "working set size" }
          ]
        }
      },
      {
        data: { values: mean === undefined ? [] : [{ wss: round(mean / unit.scale, 6) }] },
        mark: { type: "rule", color: "#dd4444", strokeDash: [6, 4] },
        encoding: { y: { field: "wss", type: "quantitative", title: yTitle } }
      }
    ]
  }
}
