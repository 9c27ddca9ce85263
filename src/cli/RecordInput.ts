/**
 * A record file as the reports read it: damo's records (`json_compressed` or `json`, written by
 * `record` or by damo), checked to hold snapshots, and turned into report snapshots (one per
 * aggregation window, every target of it together) for the heatmap and WSS accumulators.
 */
import * as Effect from "effect/Effect"
import type { DamonRecord } from "../damo/Record.ts"
import { readRecordFile } from "../damo/RecordFile.ts"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import type { Range } from "../report/AddressAxis.ts"
import type { Snapshot } from "../report/Snapshot.ts"

/** The records of a file; a file without any snapshot is an error naming it. */
export const readRecords = (path: string): Effect.Effect<Array<DamonRecord>, DamonError> =>
  Effect.flatMap(
    Effect.mapError(readRecordFile(path), (e) =>
      e.reason._tag === "NotFound" ? invalidArgument("--input_file", path, "no such file (record one with effect-damon record)") : e),
    (records) =>
    records.some((r) => r.snapshots.length > 0)
      ? Effect.succeed(records)
      : Effect.fail(invalidArgument(path, `${records.length} records`, "holds no snapshot (was the recording stopped before the first aggregation?)")))

/** The monitoring records (not scheme tried-regions records), or every record if there are only those. */
export const monitoringRecords = (records: ReadonlyArray<DamonRecord>): ReadonlyArray<DamonRecord> => {
  const monitoring = records.filter((r) => r.schemeIdx === null)
  return monitoring.length > 0 ? monitoring : records
}

/**
 * The snapshots of the records as report snapshots: the i-th snapshot of every record (each
 * record one target) make the i-th window; times count from the first window's start.
 */
export const reportSnapshots = (records: ReadonlyArray<DamonRecord>): Array<Snapshot> => {
  const rs = monitoringRecords(records)
  let base: bigint | undefined
  for (const r of rs) {
    const s = r.snapshots[0]
    if (s !== undefined && (base === undefined || s.startNs < base)) base = s.startNs
  }
  const n = Math.max(0, ...rs.map((r) => r.snapshots.length))
  const out: Array<Snapshot> = []
  for (let i = 0; i < n; i++) {
    const targets = []
    let endNs = 0n
    let startNs = 0n
    let sampleUs = 5000
    let aggrUs = 0
    for (let t = 0; t < rs.length; t++) {
      const r = rs[t]!
      const s = r.snapshots[i]
      if (s === undefined) continue
      endNs = s.endNs
      startNs = s.startNs
      if (r.intervals !== null) {
        sampleUs = r.intervals.sampleUs
        aggrUs = r.intervals.aggrUs
      }
      targets.push({
        index: t,
        pid: null,
        regions: s.regions.map((x) => ({ start: x.start, end: x.end, nrAccesses: x.nrAccesses, age: x.age, nrAccessesBp: 0, lastNrAccesses: 0 }))
      })
    }
    const windowUs = Number(endNs - startNs) / 1000
    out.push({
      atUs: Number(endNs - (base ?? 0n)) / 1000,
      sampleIntervalUs: sampleUs,
      aggrIntervalUs: aggrUs > 0 ? aggrUs : Math.max(windowUs, 1),
      targets
    })
  }
  return out
}

/** The monitored address ranges of the snapshots (regions merged where they touch or overlap). */
export const addressRanges = (snapshots: ReadonlyArray<Snapshot>): Array<Range> => {
  const all: Array<Range> = []
  for (const s of snapshots) for (const t of s.targets) for (const r of t.regions) all.push({ start: r.start, end: r.end })
  all.sort((a, b) => a.start - b.start)
  const out: Array<{ start: number; end: number }> = []
  for (const r of all) {
    const last = out[out.length - 1]
    if (last !== undefined && r.start <= last.end) last.end = Math.max(last.end, r.end)
    else out.push({ start: r.start, end: r.end })
  }
  return out
}

/** The span of the snapshots' windows, in microseconds. */
export const durationUs = (snapshots: ReadonlyArray<Snapshot>): number => {
  const first = snapshots[0]
  const last = snapshots[snapshots.length - 1]
  return first === undefined || last === undefined ? 0 : last.atUs - (first.atUs - first.aggrIntervalUs)
}
