/**
 * The heatmap as text, readable without colour: one row per time slice, one digit per address
 * column, like damo's `report heatmap` with `--stdout_heatmap_color none`; a ruler and footer
 * name both axes, their units and the squeezed gaps. Optional ANSI 256-colour backgrounds.
 * Pure.
 */
import { columnBytes, type HeatmapGrid, ratePercentAt, rowsInUse, rowTimeUs } from "./HeatmapGrid.ts"
import { formatAddress, formatDurationUs, formatSize } from "./Units.ts"

/** How to print. */
export interface HeatmapTextOptions {
  /** ANSI 256-colour backgrounds behind the digits. */
  readonly color?: boolean
  /**
   * `absolute` (default): digit = access rate / 10% (9 = 90% or more of the samples saw an
   * access). `relative`: 0 .. 9 spread from the coldest to the hottest cell, like damo.
   */
  readonly scale?: "absolute" | "relative"
  /** Ranges listed in the footer before eliding the rest. */
  readonly maxListedRanges?: number
}

const palette = [17, 18, 19, 20, 21, 57, 93, 129, 165, 201] as const
const reset = "\u001b[0m"

const cell = (level: number, color: boolean): string => {
  if (level < 0) return color ? `${reset} ` : " "
  return color ? `\u001b[48;5;${palette[level]}m${level}` : String(level)
}

const LABEL_WIDTH = 11

/** Places `text` into `line` at `at` (clamped to fit) if the spot is free; returns whether it did. */
const place = (line: Array<string>, text: string, at: number): boolean => {
  const from = Math.max(0, Math.min(at, line.length - text.length))
  if (from + text.length > line.length) return false
  for (let i = Math.max(0, from - 1); i < Math.min(line.length, from + text.length + 1); i++) if (line[i] !== " ") return false
  for (let i = 0; i < text.length; i++) line[from + i] = text[i]!
  return true
}

/** The ruler under the map: `+---|---+`, a `|` where a squeezed gap separates two ranges. */
const ruler = (grid: HeatmapGrid): string => {
  const marks = Array.from({ length: grid.width }, () => "-")
  const colBytes = columnBytes(grid)
  for (const span of grid.axis.spans.slice(1)) marks[Math.min(grid.width - 1, Math.floor(span.offset / colBytes))] = "|"
  return `${" ".repeat(LABEL_WIDTH)} +${marks.join("")}+`
}

/** Axis offsets under the ruler: 0, the middle and the total where they fit, else `0 .. total`. */
const rulerLabels = (grid: HeatmapGrid): string => {
  const line = Array.from({ length: grid.width + 2 }, () => " ")
  const total = grid.axis.total
  const end = formatSize(total)
  place(line, "0", 0)
  if (!place(line, end, line.length - end.length)) return `${" ".repeat(LABEL_WIDTH)} 0 .. ${end}`
  const mid = formatSize(total / 2)
  place(line, mid, Math.floor(line.length / 2 - mid.length / 2))
  return `${" ".repeat(LABEL_WIDTH)} ${line.join("").trimEnd()}`
}

/** Renders the grid: header, one line per row in use, ruler, axis and legend lines. */
export const formatHeatmap = (grid: HeatmapGrid, options: HeatmapTextOptions = {}): string => {
  const rows = rowsInUse(grid)
  if (rows === 0) return "(no snapshots)"
  if (grid.axis.total === 0) return "(no regions)"
  const color = options.color ?? false
  const relative = options.scale === "relative"
  let lowest = Infinity
  let highest = -Infinity
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < grid.width; col++) {
      const rate = ratePercentAt(grid, row, col)
      if (rate === undefined) continue
      lowest = Math.min(lowest, rate)
      highest = Math.max(highest, rate)
    }
  }
  const levelOf = (rate: number | undefined): number => {
    if (rate === undefined) return -1
    if (!relative) return Math.min(9, Math.floor(rate / 10 + 1e-9))
    return highest > lowest ? Math.min(9, Math.floor(((rate - lowest) / (highest - lowest)) * 10)) : 0
  }
  const spans = grid.axis.spans
  const first = spans[0]!
  const last = spans[spans.length - 1]!
  const lines = [
    `# heatmap: ${grid.nrSnapshots} aggregations x ${formatSize(grid.axis.total)} monitored ` +
    `(${formatAddress(first.start)} .. ${formatAddress(last.end)}, ${spans.length} ranges, gaps squeezed out)`
  ]
  for (let row = 0; row < rows; row++) {
    let digits = ""
    for (let col = 0; col < grid.width; col++) digits += cell(levelOf(ratePercentAt(grid, row, col)), color)
    const label = formatDurationUs(rowTimeUs(grid, row).toUs).padStart(LABEL_WIDTH)
    lines.push(`${label} |${digits}${color ? reset : ""}|`)
  }
  lines.push(ruler(grid), rulerLabels(grid))
  const colBytes = columnBytes(grid)
  const maxListed = options.maxListedRanges ?? 6
  const listed = spans.slice(0, maxListed).map((s) => {
    const fromCol = Math.floor(s.offset / colBytes)
    const toCol = Math.min(grid.width - 1, Math.ceil((s.offset + s.end - s.start) / colBytes) - 1)
    return `[${formatAddress(s.start)}, ${formatAddress(s.end)}) columns ${fromCol}-${toCol}`
  })
  if (spans.length > maxListed) listed.push(`... ${spans.length - maxListed} more`)
  lines.push(
    `# x: address offset in the monitored ranges, ${formatSize(colBytes)} per column ('|' on the ruler: a squeezed gap)`,
    `# ranges: ${listed.join("; ")}`,
    `# y: time, ${formatDurationUs(grid.rowUs)} per row, labelled with the row's end`,
    relative
      ? `# digits: access rate relative, 0 = ${lowest.toFixed(1)} % .. 9 = ${highest.toFixed(1)} %; ' ' = not monitored`
      : `# digits: access rate in tens of percent, 0 (idle) .. 9 (accessed at 90-100 % of samples); ' ' = not monitored`
  )
  if (color) {
    lines.push(`# colours: ${palette.map((_, level) => cell(level, true)).join("")}${reset} (0 .. 9)`)
  }
  if (grid.nrAxisGrowths > 0) {
    lines.push(`# the monitored ranges grew ${grid.nrAxisGrowths} times; earlier rows were spread onto the wider axis`)
  }
  if (grid.clippedUs > 0) lines.push(`# ${formatDurationUs(grid.clippedUs)} of windows before the first one were not counted`)
  return lines.join("\n")
}
