/**
 * The heatmap's data in bounded memory: aggregation snapshots folded, as they come, into a fixed
 * grid of time rows x address columns. Each cell keeps two sums, the access mass (access rate x
 * bytes x microseconds) and the monitored coverage (bytes x microseconds), so its value is the
 * mean access rate over whatever it covers, however many windows and regions fall into it.
 *
 * Time: rows of `rowUs` from the start of the first window. When a window ends past the last
 * row, adjacent rows are merged in pairs and `rowUs` doubles (exact: sums add), so memory is
 * `width x height` cells whatever the run length, and at least half of the rows are in use.
 * A window that spans rows is split over them by time overlap.
 *
 * Address: the monitored ranges with gaps squeezed out (`AddressAxis`), split into `width`
 * columns; a region is split over columns by byte overlap. When a region falls outside the axis
 * (the monitored ranges grew), the axis is extended and every row redistributed onto the new
 * columns in proportion to bytes: mass is kept, detail within a column is lost. Give
 * `addressRanges` up front (from the targets or a first pass over a record) to avoid that.
 *
 * Pure: no clock, no I/O. The grid is a mutable accumulator owned by its caller.
 */
import * as Result from "effect/Result"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import * as AddressAxis from "./AddressAxis.ts"
import { accessRatePercent, type Snapshot, targetsOf } from "./Snapshot.ts"

/** How the grid is laid out. */
export interface HeatmapGridOptions {
  /** Address columns (>= 1). */
  readonly width: number
  /** Time rows at most (>= 1). */
  readonly height: number
  /**
   * The run length expected: rows start at `expectedDurationUs / height` rounded up to whole
   * windows of the first snapshot; default: one window per row.
   */
  readonly expectedDurationUs?: number
  /** Monitored ranges known up front; the axis grows past them if regions do. */
  readonly addressRanges?: ReadonlyArray<AddressAxis.Range>
  /** Only this target (its index in the context); default: every target on one axis. */
  readonly targetIndex?: number
}

/** The accumulator. Read it through the functions of this module. */
export interface HeatmapGrid {
  readonly width: number
  readonly height: number
  readonly targetIndex: number | undefined
  /** Time origin (start of the first window); undefined before the first snapshot. */
  startUs: number | undefined
  /** End of the latest window folded in. */
  endUs: number
  rowUs: number
  axis: AddressAxis.AddressAxis
  /** Row-major `height x width`: sum of (access rate in [0, 1]) x bytes x us. */
  readonly mass: Float64Array
  /** Row-major `height x width`: sum of monitored bytes x us. */
  readonly coverage: Float64Array
  nrSnapshots: number
  /** Times the address axis grew after data was in the grid. */
  nrAxisGrowths: number
  /** Microseconds of windows that started before `startUs` (out of order) and were not counted. */
  clippedUs: number
  /** Scratch column sums of one snapshot. */
  readonly snapMass: Float64Array
  readonly snapCoverage: Float64Array
  readonly expectedDurationUs: number | undefined
}

const positiveInt = (field: string, value: number): DamonError | undefined =>
  Number.isSafeInteger(value) && value >= 1 ? undefined : invalidArgument(field, value, "must be an integer >= 1")

/** A new, empty grid; fails with `InvalidArgument` naming the bad option. */
export const make = (options: HeatmapGridOptions): Result.Result<HeatmapGrid, DamonError> => {
  const bad = positiveInt("heatmap.width", options.width) ?? positiveInt("heatmap.height", options.height) ??
    (options.expectedDurationUs === undefined ? undefined : positiveInt("heatmap.expectedDurationUs", options.expectedDurationUs))
  if (bad !== undefined) return Result.fail(bad)
  for (const r of options.addressRanges ?? []) {
    if (!(Number.isFinite(r.start) && Number.isFinite(r.end) && r.start < r.end)) {
      return Result.fail(invalidArgument("heatmap.addressRanges", r, "each range needs finite start < end"))
    }
  }
  const cells = options.width * options.height
  return Result.succeed({
    width: options.width,
    height: options.height,
    targetIndex: options.targetIndex,
    startUs: undefined,
    endUs: 0,
    rowUs: 0,
    axis: AddressAxis.fromRanges(options.addressRanges ?? []),
    mass: new Float64Array(cells),
    coverage: new Float64Array(cells),
    nrSnapshots: 0,
    nrAxisGrowths: 0,
    clippedUs: 0,
    snapMass: new Float64Array(options.width),
    snapCoverage: new Float64Array(options.width),
    expectedDurationUs: options.expectedDurationUs
  })
}

/** Merges rows pairwise (row i takes rows 2i and 2i+1) and doubles `rowUs`. */
const coarsen = (grid: HeatmapGrid): void => {
  const { width, height, mass, coverage } = grid
  for (let row = 0; row < height; row++) {
    const a = 2 * row * width
    const b = a + width
    for (let col = 0; col < width; col++) {
      const i = row * width + col
      if (2 * row + 1 < height) {
        mass[i] = mass[a + col]! + mass[b + col]!
        coverage[i] = coverage[a + col]! + coverage[b + col]!
      } else if (2 * row < height) {
        mass[i] = mass[a + col]!
        coverage[i] = coverage[a + col]!
      } else {
        mass[i] = 0
        coverage[i] = 0
      }
    }
  }
  grid.rowUs *= 2
}

/** Replaces the axis by `next` (a superset), moving every cell's sums onto the new columns by bytes. */
const growAxis = (grid: HeatmapGrid, next: AddressAxis.AddressAxis): void => {
  const { width, height, mass, coverage } = grid
  const old = grid.axis
  grid.axis = next
  if (old.total === 0 || grid.nrSnapshots === 0) return
  grid.nrAxisGrowths++
  // where each old column's bytes go: (new column, fraction of the old column)
  const oldColBytes = old.total / width
  const moves: Array<Array<readonly [number, number]>> = []
  for (let col = 0; col < width; col++) {
    const to: Array<readonly [number, number]> = []
    AddressAxis.rangesAt(old, col * oldColBytes, (col + 1) * oldColBytes, (start, end) =>
      AddressAxis.spreadOverColumns(next, width, start, end, (c, bytes) => to.push([c, bytes / oldColBytes])))
    moves.push(to)
  }
  const rowMass = new Float64Array(width)
  const rowCoverage = new Float64Array(width)
  for (let row = 0; row < height; row++) {
    const base = row * width
    rowMass.fill(0)
    rowCoverage.fill(0)
    for (let col = 0; col < width; col++) {
      const m = mass[base + col]!
      const c = coverage[base + col]!
      if (m === 0 && c === 0) continue
      for (const [to, fraction] of moves[col]!) {
        rowMass[to] = rowMass[to]! + m * fraction
        rowCoverage[to] = rowCoverage[to]! + c * fraction
      }
    }
    mass.set(rowMass, base)
    coverage.set(rowCoverage, base)
  }
}

/** Folds one snapshot into the grid. */
export const add = (grid: HeatmapGrid, snapshot: Snapshot): void => {
  const targets = targetsOf(snapshot, grid.targetIndex)
  const outside: Array<AddressAxis.Range> = []
  for (const t of targets) {
    for (const r of t.regions) if (r.end > r.start && !AddressAxis.covers(grid.axis, r.start, r.end)) outside.push(r)
  }
  if (outside.length > 0) growAxis(grid, AddressAxis.extend(grid.axis, outside))

  let fromUs = snapshot.atUs - snapshot.aggrIntervalUs
  const toUs = snapshot.atUs
  if (grid.startUs === undefined) {
    grid.startUs = fromUs
    const windowUs = Math.max(1, snapshot.aggrIntervalUs)
    const expected = grid.expectedDurationUs ?? windowUs * grid.height
    grid.rowUs = Math.ceil(expected / grid.height / windowUs) * windowUs
  }
  grid.nrSnapshots++
  const startUs = grid.startUs
  if (fromUs < startUs) {
    grid.clippedUs += Math.min(toUs, startUs) - fromUs
    fromUs = startUs
  }
  if (toUs <= fromUs) return
  grid.endUs = Math.max(grid.endUs, toUs)
  while (toUs - startUs > grid.rowUs * grid.height) coarsen(grid)

  const { width, snapMass, snapCoverage } = grid
  snapMass.fill(0)
  snapCoverage.fill(0)
  for (const t of targets) {
    for (const r of t.regions) {
      const rate = accessRatePercent(r, snapshot) / 100
      AddressAxis.spreadOverColumns(grid.axis, width, r.start, r.end, (col, bytes) => {
        snapMass[col] = snapMass[col]! + rate * bytes
        snapCoverage[col] = snapCoverage[col]! + bytes
      })
    }
  }
  const firstRow = Math.floor((fromUs - startUs) / grid.rowUs)
  const lastRow = Math.min(grid.height - 1, Math.ceil((toUs - startUs) / grid.rowUs) - 1)
  for (let row = firstRow; row <= lastRow; row++) {
    const rowStart = startUs + row * grid.rowUs
    const us = Math.min(toUs, rowStart + grid.rowUs) - Math.max(fromUs, rowStart)
    if (us <= 0) continue
    const base = row * width
    for (let col = 0; col < width; col++) {
      grid.mass[base + col] = grid.mass[base + col]! + snapMass[col]! * us
      grid.coverage[base + col] = grid.coverage[base + col]! + snapCoverage[col]! * us
    }
  }
}

/** A grid with every snapshot folded in. */
export const fromSnapshots = (
  snapshots: Iterable<Snapshot>,
  options: HeatmapGridOptions
): Result.Result<HeatmapGrid, DamonError> =>
  Result.map(make(options), (grid) => {
    for (const s of snapshots) add(grid, s)
    return grid
  })

/** Rows holding data so far (at most `height`). */
export const rowsInUse = (grid: HeatmapGrid): number =>
  grid.startUs === undefined ? 0 : Math.min(grid.height, Math.max(1, Math.ceil((grid.endUs - grid.startUs) / grid.rowUs)))

/** Mean access rate of a cell in percent, or undefined where nothing was monitored. */
export const ratePercentAt = (grid: HeatmapGrid, row: number, col: number): number | undefined => {
  const i = row * grid.width + col
  const coverage = grid.coverage[i]!
  return coverage > 0 ? (grid.mass[i]! / coverage) * 100 : undefined
}

/** Time span `[fromUs, toUs)` of a row (the last row in use ends at the latest window's end). */
export const rowTimeUs = (grid: HeatmapGrid, row: number): { readonly fromUs: number; readonly toUs: number } => {
  const fromUs = (grid.startUs ?? 0) + row * grid.rowUs
  return { fromUs, toUs: Math.min(fromUs + grid.rowUs, Math.max(grid.endUs, fromUs)) }
}

/** Bytes per column of the address axis. */
export const columnBytes = (grid: HeatmapGrid): number => grid.axis.total / grid.width

/** Total access mass in the grid: sum of access rate (0..1) x bytes x us. */
export const totalMass = (grid: HeatmapGrid): number => grid.mass.reduce((sum, m) => sum + m, 0)

/** The access mass a snapshot brings (what `add` puts into the grid, before clipping). */
export const snapshotMass = (snapshot: Snapshot, targetIndex?: number): number => {
  let mass = 0
  for (const t of targetsOf(snapshot, targetIndex)) {
    for (const r of t.regions) mass += (accessRatePercent(r, snapshot) / 100) * Math.max(0, r.end - r.start)
  }
  return mass * snapshot.aggrIntervalUs
}
