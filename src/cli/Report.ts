/**
 * Text reports of monitoring results, in the spirit of damo's `report access` and
 * `report heatmap`: a per-region access snapshot and a time x address heatmap of access
 * frequency. Pure: formats snapshots given to it; no clock, no I/O.
 */
import type { RegionSnapshot, TargetSnapshot } from "../engine/Events.ts"

/** One aggregated snapshot as the reports need it. */
export interface Snapshot {
  /** Kdamond time at the end of the window, in microseconds. */
  readonly atUs: number
  readonly sampleIntervalUs: number
  readonly aggrIntervalUs: number
  readonly targets: ReadonlyArray<TargetSnapshot>
}

const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] as const

/** Formats a byte count like damo: `4.000 KiB`. */
export const formatSize = (bytes: number): string => {
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(3)} ${units[unit]}`
}

/** Formats a duration in microseconds with the largest fitting unit: `1.500 s`, `100 ms`. */
export const formatDurationUs = (us: number): string => {
  if (us >= 1_000_000) return `${(us / 1_000_000).toFixed(3)} s`
  if (us >= 1_000) return `${(us / 1_000).toFixed(3)} ms`
  return `${us} us`
}

/** Access rate of a region in percent of the maximum `nrAccesses` per window. */
export const accessRatePercent = (r: RegionSnapshot, snapshot: Snapshot): number => {
  const max = Math.max(Math.floor(snapshot.aggrIntervalUs / Math.max(snapshot.sampleIntervalUs, 1)), 1)
  return (r.nrAccesses * 100) / max
}

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

/** The monitored address axis: the union of every range seen, gaps squeezed out. */
interface Axis {
  readonly spans: ReadonlyArray<{ readonly start: number; readonly end: number; readonly offset: number }>
  readonly total: number
}

const buildAxis = (snapshots: ReadonlyArray<Snapshot>): Axis => {
  const ranges: Array<{ start: number; end: number }> = []
  for (const s of snapshots) for (const t of s.targets) for (const r of t.regions) ranges.push({ start: r.start, end: r.end })
  ranges.sort((a, b) => a.start - b.start)
  const merged: Array<{ start: number; end: number }> = []
  for (const r of ranges) {
    const last = merged[merged.length - 1]
    if (last !== undefined && r.start <= last.end) last.end = Math.max(last.end, r.end)
    else merged.push({ ...r })
  }
  let offset = 0
  const spans = merged.map((m) => {
    const span = { start: m.start, end: m.end, offset }
    offset += m.end - m.start
    return span
  })
  return { spans, total: offset }
}

/** Adds `weight * value` of the address range `[start, end)` into the row's columns. */
const accumulate = (
  axis: Axis,
  width: number,
  sums: Float64Array,
  weights: Float64Array,
  start: number,
  end: number,
  value: number
): void => {
  const colBytes = axis.total / width
  for (const span of axis.spans) {
    const lo = Math.max(start, span.start)
    const hi = Math.min(end, span.end)
    if (lo >= hi) continue
    let pos = span.offset + (lo - span.start)
    const stop = span.offset + (hi - span.start)
    while (pos < stop) {
      let col = Math.min(Math.floor(pos / colBytes), width - 1)
      // floating-point division can land one column early right at a column boundary
      if (col < width - 1 && (col + 1) * colBytes <= pos) col++
      const next = col === width - 1 ? stop : Math.min(stop, (col + 1) * colBytes)
      const bytes = next - pos
      sums[col] = sums[col]! + value * bytes
      weights[col] = weights[col]! + bytes
      pos = next
    }
  }
}

/**
 * Renders access frequency over time (rows, oldest first) and address (columns, the monitored
 * ranges of all snapshots with unmonitored gaps squeezed out) as digits 0-9 (0 = idle,
 * 9 = accessed every sample), or as colours.
 */
export const formatHeatmap = (snapshots: ReadonlyArray<Snapshot>, options: HeatmapOptions): string => {
  if (snapshots.length === 0) return "(no snapshots)"
  const axis = buildAxis(snapshots)
  if (axis.total === 0) return "(no regions)"
  const width = Math.max(1, options.width)
  const height = Math.max(1, Math.min(options.height, snapshots.length))
  const perRow = snapshots.length / height
  const rows: Array<string> = []
  for (let row = 0; row < height; row++) {
    const sums = new Float64Array(width)
    const weights = new Float64Array(width)
    const from = Math.floor(row * perRow)
    const to = Math.max(from + 1, Math.floor((row + 1) * perRow))
    for (let i = from; i < to && i < snapshots.length; i++) {
      const s = snapshots[i]!
      for (const t of s.targets) {
        for (const r of t.regions) accumulate(axis, width, sums, weights, r.start, r.end, accessRatePercent(r, s))
      }
    }
    let line = ""
    for (let col = 0; col < width; col++) {
      const w = weights[col]!
      const level = w === 0 ? -1 : Math.min(9, Math.floor((sums[col]! / w) / 10 + 1e-9))
      line += cell(level, options.color)
    }
    const atUs = snapshots[Math.min(to, snapshots.length) - 1]!.atUs
    rows.push(`${formatDurationUs(atUs).padStart(11)} |${line}${options.color ? "\u001b[0m" : ""}|`)
  }
  const first = axis.spans[0]!
  const last = axis.spans[axis.spans.length - 1]!
  const legend = options.color
    ? `colour: dark = idle ... bright = accessed every sample`
    : `digits: access frequency 0 (idle) .. 9 (accessed every sample); ' ' = not monitored`
  return [
    `# heatmap: ${snapshots.length} aggregations x ${formatSize(axis.total)} monitored ` +
    `(${hex(first.start)} .. ${hex(last.end)}, ${axis.spans.length} ranges, gaps squeezed out)`,
    ...rows,
    `# ${legend}`
  ].join("\n")
}

const palette = [17, 18, 19, 20, 21, 57, 93, 129, 165, 201] as const

const cell = (level: number, color: boolean): string => {
  if (level < 0) return color ? "\u001b[0m " : " "
  if (!color) return String(level)
  return `\u001b[48;5;${palette[level]}m${String(level)}`
}
