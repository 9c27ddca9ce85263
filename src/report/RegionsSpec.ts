/**
 * One snapshot's regions as boxes, as a Vega-Lite spec, after damo's region boxes: each region
 * spans its addresses on x (gaps between monitored ranges squeezed out), is coloured by its
 * access rate and rises to its age on y, outlined so that a region of age 0 still shows as a
 * line on the floor. Pure; plain JSON.
 */
import type { TopLevelSpec } from "vega-lite"
import * as AddressAxis from "./AddressAxis.ts"
import { accessRatePercent, type Snapshot, targetsOf } from "./Snapshot.ts"
import { baseConfig, rangesSubtitle, round } from "./SpecConfig.ts"
import { formatAddress, formatDurationUs, formatSize, sizeUnitFor, timeUnitFor } from "./Units.ts"

/** Looks and content of the regions picture. */
export interface RegionsSpecOptions {
  /** Only this target; default: every target on one axis. */
  readonly targetIndex?: number
  readonly title?: string
  readonly widthPx?: number
  readonly heightPx?: number
}

/** The Vega-Lite spec of one snapshot's regions. */
export const regionsSpec = (snapshot: Snapshot, options: RegionsSpecOptions = {}): TopLevelSpec => {
  const regions = targetsOf(snapshot, options.targetIndex).flatMap((t) => t.regions.map((r) => ({ target: t.index, r })))
  const axis = AddressAxis.fromRanges(regions.map((x) => x.r))
  const size = sizeUnitFor(Math.max(1, axis.total))
  const maxAgeUs = Math.max(1, ...regions.map((x) => x.r.age * snapshot.aggrIntervalUs))
  const age = timeUnitFor(maxAgeUs)
  const boxes = regions.filter((x) => x.r.end > x.r.start).map(({ target, r }) => ({
    a0: round((AddressAxis.offsetOf(axis, r.start) ?? 0) / size.scale, 6),
    a1: round(((AddressAxis.offsetOf(axis, r.start) ?? 0) + (r.end - r.start)) / size.scale, 6),
    rate: round(accessRatePercent(r, snapshot), 1),
    age: round((r.age * snapshot.aggrIntervalUs) / age.scale, 3),
    target,
    nrAccesses: r.nrAccesses,
    start: formatAddress(r.start),
    end: formatAddress(r.end),
    size: formatSize(r.end - r.start)
  }))
  const gaps = axis.spans.slice(1).map((s) => ({ a0: round(s.offset / size.scale, 6) }))
  const xAxis = {
    field: "a0",
    type: "quantitative" as const,
    title: `address offset in the monitored ranges (${size.name})`,
    scale: { domain: [0, round(axis.total / size.scale, 6)], nice: false, zero: false }
  }
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: options.title ?? `DAMON regions at ${formatDurationUs(snapshot.atUs)}`,
      subtitle: [
        `${boxes.length} regions, ${formatSize(axis.total)}; sampling ${formatDurationUs(snapshot.sampleIntervalUs)}, ` +
        `aggregation ${formatDurationUs(snapshot.aggrIntervalUs)}`,
        rangesSubtitle(axis)
      ]
    },
    width: options.widthPx ?? 640,
    height: options.heightPx ?? 300,
    config: baseConfig,
    layer: [
      {
        data: { values: boxes },
        mark: { type: "rect", stroke: "#7f7f7f", strokeWidth: 0.5 },
        encoding: {
          x: xAxis,
          x2: { field: "a1" },
          y: { field: "age", type: "quantitative", title: `age (${age.name})` },
          y2: { datum: 0 },
          color: { field: "rate", type: "quantitative", title: "access rate (%)", scale: { scheme: "inferno", domain: [0, 100] } },
          tooltip: [
            { field: "start", type: "nominal", title: "start" },
            { field: "end", type: "nominal", title: "end" },
            { field: "size", type: "nominal", title: "size" },
            { field: "nrAccesses", type: "quantitative", title: "nr_accesses" },
            { field: "rate", type: "quantitative", title: "access rate (%)" },
            { field: "age", type: "quantitative", title: `age (${age.name})` },
            { field: "target", type: "quantitative", title: "target" }
          ]
        }
      },
      {
        data: { values: gaps },
        mark: { type: "rule", color: "#dd4444", strokeDash: [4, 3] },
        encoding: { x: xAxis }
      }
    ]
  }
}
