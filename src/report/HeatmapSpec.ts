/**
 * The heatmap as a Vega-Lite spec: time on x, the monitored address space (gaps squeezed out)
 * on y, each cell coloured by its mean access rate, a colour legend in percent, dashed lines
 * where a squeezed gap separates two ranges, and a grey background where nothing was
 * monitored. The spec is plain JSON with the data inline: render it headless (`Render`) or hand
 * it to vega-embed in a browser. Pure.
 */
import type { TopLevelSpec } from "vega-lite"
import { type HeatmapGrid, ratePercentAt, rowsInUse, rowTimeUs } from "./HeatmapGrid.ts"
import { baseConfig, rangesSubtitle, round } from "./SpecConfig.ts"
import * as AddressAxis from "./AddressAxis.ts"
import { formatAddress, formatDurationUs, formatSize, sizeUnitFor, timeUnitFor } from "./Units.ts"

/** Looks of the heatmap picture. */
export interface HeatmapSpecOptions {
  readonly title?: string
  /** Plot area in CSS pixels (axes and legend come on top); defaults 640 x 360. */
  readonly widthPx?: number
  readonly heightPx?: number
  /** `absolute` (default): colours span 0 .. 100 %; `relative`: the coldest .. hottest cell. */
  readonly scale?: "absolute" | "relative"
}

/** One drawn rectangle: a run of equal cells of one row, in axis units. */
export interface HeatmapCell {
  /** Time since the first window, in the time unit of the picture. */
  readonly t0: number
  readonly t1: number
  /** Offset on the squeezed address axis, in the size unit of the picture. */
  readonly a0: number
  readonly a1: number
  /** Mean access rate in percent (one decimal). */
  readonly rate: number
  /** The same rate, for the outline (its own field, so the outline gets no second legend). */
  readonly edge: number
  /** The cell's address range, for tooltips. */
  readonly from: string
  readonly to: string
}

/**
 * The cells to draw, oldest row first; cells with nothing monitored are left out, and adjacent
 * cells of a row with the same rate (to 0.1 %) become one rectangle.
 */
export const heatmapCells = (grid: HeatmapGrid): ReadonlyArray<HeatmapCell> => {
  const durationUs = Math.max(1, grid.endUs - (grid.startUs ?? 0))
  const time = timeUnitFor(durationUs)
  const size = sizeUnitFor(grid.axis.total)
  const colBytes = grid.axis.total / grid.width
  const cells: Array<HeatmapCell> = []
  for (let row = 0; row < rowsInUse(grid); row++) {
    const { fromUs, toUs } = rowTimeUs(grid, row)
    const t0 = round((fromUs - (grid.startUs ?? 0)) / time.scale, 6)
    const t1 = round((toUs - (grid.startUs ?? 0)) / time.scale, 6)
    let col = 0
    while (col < grid.width) {
      const rate = ratePercentAt(grid, row, col)
      let end = col + 1
      if (rate !== undefined) {
        const rounded = round(rate, 1)
        while (end < grid.width && ratePercentAt(grid, row, end) !== undefined && round(ratePercentAt(grid, row, end)!, 1) === rounded) end++
        cells.push({
          t0,
          t1,
          a0: round((col * colBytes) / size.scale, 6),
          a1: round((end * colBytes) / size.scale, 6),
          rate: rounded,
          edge: rounded,
          from: formatAddress(AddressAxis.addressAt(grid.axis, col * colBytes)),
          to: formatAddress(AddressAxis.addressAt(grid.axis, end * colBytes))
        })
      }
      col = end
    }
  }
  return cells
}

/** The Vega-Lite spec of the heatmap. */
export const heatmapSpec = (grid: HeatmapGrid, options: HeatmapSpecOptions = {}): TopLevelSpec => {
  const durationUs = Math.max(1, grid.endUs - (grid.startUs ?? 0))
  const time = timeUnitFor(durationUs)
  const size = sizeUnitFor(grid.axis.total)
  const cells = heatmapCells(grid)
  const relative = options.scale === "relative"
  const rates = cells.map((c) => c.rate)
  const domain = relative && rates.length > 0 ? [Math.min(...rates), Math.max(...rates, Math.min(...rates) + 0.1)] : [0, 100]
  const gaps = grid.axis.spans.slice(1).map((s) => ({ a0: round(s.offset / size.scale, 6) }))
  const yAxis = {
    field: "a0",
    type: "quantitative" as const,
    title: `address offset in the monitored ranges (${size.name})`,
    scale: { domain: [0, round(grid.axis.total / size.scale, 6)], nice: false, zero: false }
  }
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: options.title ?? "DAMON access heatmap",
      subtitle: [
        `${grid.nrSnapshots} aggregations over ${formatDurationUs(durationUs)}, ${formatSize(grid.axis.total)} monitored; ` +
        `cell ${formatDurationUs(grid.rowUs)} x ${formatSize(grid.axis.total / grid.width)}`,
        `${rangesSubtitle(grid.axis)}; grey: not monitored`
      ]
    },
    width: options.widthPx ?? 640,
    height: options.heightPx ?? 360,
    config: { ...baseConfig, view: { ...baseConfig.view, fill: "#d9d9d9" } },
    layer: [
      {
        data: { values: cells as Array<HeatmapCell> },
        // a hairline stroke in the fill colour closes the anti-aliasing seams between cells
        mark: { type: "rect", strokeWidth: 1 },
        encoding: {
          x: {
            field: "t0",
            type: "quantitative",
            title: `time (${time.name})`,
            scale: { domain: [0, round(durationUs / time.scale, 6)], nice: false, zero: false }
          },
          x2: { field: "t1" },
          y: yAxis,
          y2: { field: "a1" },
          color: {
            field: "rate",
            type: "quantitative",
            title: relative ? "access rate (%, relative)" : "access rate (%)",
            scale: { scheme: "inferno", domain },
            legend: { type: "gradient", gradientLength: Math.min(200, options.heightPx ?? 360) }
          },
          stroke: { field: "edge", type: "quantitative", scale: { scheme: "inferno", domain }, legend: null },
          tooltip: [
            { field: "t0", type: "quantitative", title: `from (${time.name})` },
            { field: "t1", type: "quantitative", title: `to (${time.name})` },
            { field: "from", type: "nominal", title: "address from" },
            { field: "to", type: "nominal", title: "address to" },
            { field: "rate", type: "quantitative", title: "access rate (%)" }
          ]
        }
      },
      {
        data: { values: gaps },
        mark: { type: "rule", color: "#00c8ff", strokeDash: [4, 3], strokeWidth: 1 },
        encoding: { y: yAxis }
      }
    ]
  }
}
