/**
 * damo's `report access` in its default detailed style, for records (of a file, or of the live
 * snapshot): a record head (`kdamond 0 / context 0 / scheme none / target id 0 / recorded for
 * 1 m from 0 ns`), then per snapshot its monitored time, a one-line heatmap, a line per region
 * (`<index> addr <start> size <size> access <rate> age <age>`, columns aligned) and a tail with
 * the estimated memory bandwidth and the total size. Regions can be sorted by address, access
 * rate, age, size or temperature (damo's `--sort_regions_by`, `--sort_regions_dsc`). Pure.
 */
import { formatBp, formatNr, formatSz, formatTimeNs, formatTimeUs } from "../damo/DamoValues.ts"
import type { DamonRecord, RecordRegion, RecordSnapshot } from "../damo/Record.ts"
import type { SortKey } from "./AccessTextKeys.ts"

export { type SortKey, sortKeys } from "./AccessTextKeys.ts"

/** How to print. */
export interface AccessTextOptions {
  /** Sort keys, applied in order (damo: the last given key is the primary one); default address. */
  readonly sortBy?: ReadonlyArray<SortKey>
  /** Sort in descending order. */
  readonly descending?: boolean
  /** Machine-friendly numbers (damo's `--raw_number`). */
  readonly raw?: boolean
  /** Columns of the snapshot's one-line heatmap (0 for none). Default 60. */
  readonly heatmapColumns?: number
}

interface Intervals {
  readonly sampleUs: number
  readonly aggrUs: number
}

const intervalsOf = (r: DamonRecord, s: RecordSnapshot): Intervals =>
  r.intervals !== null
    ? { sampleUs: r.intervals.sampleUs, aggrUs: r.intervals.aggrUs }
    : { sampleUs: 5000, aggrUs: Math.max(1, Number(s.endNs - s.startNs) / 1000) }

/** Access rate in percent of the samples of a window. */
export const ratePercent = (region: RecordRegion, iv: Intervals): number =>
  (region.nrAccesses * 100) / Math.max(1, Math.floor(iv.aggrUs / Math.max(1, iv.sampleUs)))

/** damo's default temperature (`temperature_of()` with weights 0, 100, 100): hot and old is high, cold and old low. */
export const temperature = (region: RecordRegion, iv: Intervals): number => {
  const rate = ratePercent(region, iv)
  const score = rate * 100 + region.age * iv.aggrUs * 100
  return rate > 0 ? score : -score
}

const keyOf = (key: SortKey, r: RecordRegion, iv: Intervals): number => {
  switch (key) {
    case "address":
      return r.start
    case "access_rate":
      return ratePercent(r, iv)
    case "age":
      return r.age
    case "size":
      return r.end - r.start
    case "temperature":
      return temperature(r, iv)
  }
}

/** The regions in the requested order (stable sorts, one per key, as damo applies them). */
export const sortRegions = (regions: ReadonlyArray<RecordRegion>, iv: Intervals, options: AccessTextOptions): Array<RecordRegion> => {
  let out = [...regions]
  for (const key of options.sortBy ?? ["address"]) {
    out = out.map((r, i) => [r, i] as const).sort((a, b) => {
      const d = keyOf(key, a[0], iv) - keyOf(key, b[0], iv)
      return d === 0 ? a[1] - b[1] : options.descending === true ? -d : d
    }).map(([r]) => r)
  }
  return out
}

/** One line of digits 0-9: each column's access rate, weighted by bytes, over the snapshot's span. */
const heatmapLine = (regions: ReadonlyArray<RecordRegion>, iv: Intervals, columns: number): string => {
  const sorted = [...regions].sort((a, b) => a.start - b.start)
  const total = sorted.reduce((n, r) => n + (r.end - r.start), 0)
  if (total === 0 || columns <= 0) return ""
  const mass = new Float64Array(columns)
  const cover = new Float64Array(columns)
  let offset = 0
  let col = 0
  for (const r of sorted) {
    const to = offset + (r.end - r.start)
    const rate = Math.min(100, ratePercent(r, iv))
    // the columns this region overlaps, each taking its share of bytes
    while (col < columns) {
      const colStart = (total * col) / columns
      const colEnd = (total * (col + 1)) / columns
      const part = Math.min(to, colEnd) - Math.max(offset, colStart)
      if (part > 0) {
        cover[col]! += part
        mass[col]! += part * rate
      }
      if (colEnd > to) break
      col++
    }
    offset = to
  }
  let line = ""
  // (a tiny epsilon: sums of byte shares land a hair below whole tens)
  for (let c = 0; c < columns; c++) line += cover[c]! === 0 ? " " : String(Math.min(9, Math.floor(mass[c]! / cover[c]! / 10 + 1e-9)))
  return line
}

const pad = (rows: ReadonlyArray<ReadonlyArray<string>>): Array<string> => {
  const widths: Array<number> = []
  for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)))
  return rows.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join(" "))
}

/** One snapshot of a record: head, heatmap, regions, tail. */
export const formatSnapshot = (record: DamonRecord, s: RecordSnapshot, options: AccessTextOptions = {}): string => {
  const raw = options.raw === true
  const iv = intervalsOf(record, s)
  const base = record.snapshots[0]?.startNs ?? s.startNs
  const lines = [
    `monitored time: [${formatTimeNs(Number(s.startNs - base), raw)}, ${formatTimeNs(Number(s.endNs - base), raw)}] ` +
    `(${formatTimeNs(Number(s.endNs - s.startNs), raw)})`
  ]
  const columns = options.heatmapColumns ?? 60
  if (columns > 0 && s.regions.length > 0) lines.push(`heatmap: |${heatmapLine(s.regions, iv, columns)}| (0-9: access rate in tens of %)`)
  const rows = sortRegions(s.regions, iv, options).map((r, i) => [
    formatNr(i, raw),
    "addr",
    formatSz(r.start, raw),
    "size",
    formatSz(r.end - r.start, raw),
    "access",
    raw ? ratePercent(r, iv).toFixed(6) : formatBp(ratePercent(r, iv) * 100, false),
    "age",
    formatTimeUs(r.age * iv.aggrUs, raw)
  ])
  lines.push(...pad(rows))
  const accessBytes = s.regions.reduce((n, r) => n + (r.end - r.start) * r.nrAccesses, 0)
  lines.push(`memory bw estimate: ${formatSz(accessBytes / (iv.aggrUs / 1e6), raw)} per second`)
  lines.push(`total size: ${formatSz(s.regions.reduce((n, r) => n + (r.end - r.start), 0), raw)}`)
  return lines.join("\n")
}

/** The record head line. */
export const formatRecordHead = (r: DamonRecord, raw = false): string => {
  const first = r.snapshots[0]
  const last = r.snapshots[r.snapshots.length - 1]
  const duration = first === undefined || last === undefined ? 0 : Number(last.endNs - first.startNs)
  return `kdamond ${r.kdamondIdx ?? "none"} / context ${r.contextIdx ?? "none"} / scheme ${r.schemeIdx ?? "none"} / ` +
    `target id ${r.targetId ?? "none"} / recorded for ${formatTimeNs(duration, raw)} from ${formatTimeNs(Number(first?.startNs ?? 0n), raw)}`
}

/** Which snapshots of a record to print: `all`, `last`, or an index. */
export type SnapshotChoice = "all" | "last" | number

/** The selected snapshots of a record. */
export const selectSnapshots = (r: DamonRecord, choice: SnapshotChoice): ReadonlyArray<RecordSnapshot> => {
  if (choice === "all") return r.snapshots
  if (choice === "last") return r.snapshots.slice(-1)
  const s = r.snapshots[choice]
  return s === undefined ? [] : [s]
}

/** Records in damo's default detailed style. */
export const formatAccess = (records: ReadonlyArray<DamonRecord>, choice: SnapshotChoice, options: AccessTextOptions = {}): string =>
  records.map((r) =>
    [formatRecordHead(r, options.raw === true), ...selectSnapshots(r, choice).map((s) => formatSnapshot(r, s, options))].join("\n")
  ).join("\n\n")
