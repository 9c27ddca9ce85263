/**
 * What the reports consume: one aggregated snapshot of the monitored regions. The kdamond's
 * `Aggregated` event has this shape, so events fold in as they come; a record file's snapshots
 * are mapped to it.
 */
import type { RegionSnapshot, TargetSnapshot } from "../engine/Events.ts"

/** One aggregation window's regions, per target. */
export interface Snapshot {
  /** Kdamond time at the end of the window, in microseconds. */
  readonly atUs: number
  readonly sampleIntervalUs: number
  /** Length of the window, in microseconds: the window is `[atUs - aggrIntervalUs, atUs)`. */
  readonly aggrIntervalUs: number
  readonly targets: ReadonlyArray<TargetSnapshot>
}

/** The `nrAccesses` of a region accessed at every sample of the window (at least 1). */
export const maxNrAccesses = (snapshot: Snapshot): number =>
  Math.max(Math.floor(snapshot.aggrIntervalUs / Math.max(snapshot.sampleIntervalUs, 1)), 1)

/** Access rate of a region in percent of `maxNrAccesses` (may exceed 100 if counts do). */
export const accessRatePercent = (region: RegionSnapshot, snapshot: Snapshot): number =>
  (region.nrAccesses * 100) / maxNrAccesses(snapshot)

/** The targets a report looks at: all of them, or the one at `targetIndex`. */
export const targetsOf = (snapshot: Snapshot, targetIndex: number | undefined): ReadonlyArray<TargetSnapshot> =>
  targetIndex === undefined ? snapshot.targets : snapshot.targets.filter((t) => t.index === targetIndex)
