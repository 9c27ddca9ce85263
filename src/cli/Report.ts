/**
 * Text reports of monitoring results, in the spirit of damo's `report access` and
 * `report heatmap`: a per-region access snapshot and a time x address heatmap of access
 * frequency. Pure: formats snapshots given to it; no clock, no I/O.
 */
import * as Result from "effect/Result"
import * as HeatmapGrid from "../report/HeatmapGrid.ts"
import * as HeatmapText from "../report/HeatmapText.ts"
import { accessRatePercent, type Snapshot } from "../report/Snapshot.ts"
import { formatDurationUs, formatSize } from "../report/Units.ts"

export type { Snapshot } from "../report/Snapshot.ts"
export { accessRatePercent } from "../report/Snapshot.ts"
export { formatDurationUs, formatSize } from "../report/Units.ts"

const hex = (n: number): string => `0x${n.toString(16)}`

/**
 * The access snapshot of every region: index, address range, size, access rate and age, one
 * line each, with a header per target (damo `report access` style).
 */
export const formatAccessSnapshot = (snapshot: Snapshot, title: string): string => {
  const lines = [`# ${title}  time ${formatDurationUs(snapshot.atUs)}`]
  for (const t of snapshot.targets) {
    const total = t.regions.reduce((sum, r) => sum + (r.end - r.start), 0)
    lines.push(`# target ${t.index}${t.pid === null ? "" : ` (pid ${t.pid})`}: ${t.regions.length} regions, ${formatSize(total)}`)
    t.regions.forEach((r, i) => {
      const rate = accessRatePercent(r, snapshot).toFixed(0).padStart(3)
      const age = formatDurationUs(r.age * snapshot.aggrIntervalUs)
      lines.push(
        `${String(i).padStart(3, "0")} addr [${hex(r.start)}, ${hex(r.end)}) ` +
          `(${formatSize(r.end - r.start).padStart(12)}) access ${rate} %  age ${age}`
      )
    })
  }
  return lines.join("\n")
}

/** Options of the heatmap. */
export interface HeatmapOptions {
  /** Address columns. */
  readonly width: number
  /** Time rows. */
  readonly height: number
  /** Render with ANSI 256-colour backgrounds instead of plain digits. */
  readonly color: boolean
}

/**
 * Renders access frequency over time (rows, oldest first) and address (columns, the monitored
 * ranges of all snapshots with unmonitored gaps squeezed out) as digits 0-9 (0 = idle,
 * 9 = accessed every sample), or as colours. For snapshots already in memory; a long run should
 * fold its snapshots into a `HeatmapGrid` as they come instead of keeping them.
 */
export const formatHeatmap = (snapshots: ReadonlyArray<Snapshot>, options: HeatmapOptions): string => {
  const first = snapshots[0]
  const last = snapshots[snapshots.length - 1]
  if (first === undefined || last === undefined) return "(no snapshots)"
  const grid = HeatmapGrid.fromSnapshots(snapshots, {
    width: Math.max(1, options.width),
    height: Math.max(1, Math.min(options.height, snapshots.length)),
    expectedDurationUs: Math.max(1, last.atUs - (first.atUs - first.aggrIntervalUs))
  })
  return Result.isFailure(grid) ? grid.failure.message : HeatmapText.formatHeatmap(grid.success, { color: options.color })
}
