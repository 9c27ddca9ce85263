/**
 * Aggregations into a record file as they come: the first one adds a record per target (damo's
 * `DamonRecord`: intervals, target id), every one appends each target's snapshot, timed from the
 * previous snapshot's end. Memory stays that of one snapshot (the writer streams). Gaps in the
 * aggregations' numbers (a slow reader lost events) are counted, never hidden.
 */
import * as Effect from "effect/Effect"
import { headersOf, snapshotOf } from "../damo/Record.ts"
import type { RecordWriter } from "../damo/RecordFile.ts"
import type { MonitorEvent } from "../engine/Events.ts"
import type { AggregatedData } from "../http/EventsCodec.ts"
import type { DamonError } from "../model/DamonError.ts"

/** An `Aggregated` event. */
export type Aggregated = Extract<MonitorEvent, { readonly _tag: "Aggregated" }>

/** An aggregation received over the events endpoint, as the engine's event. */
export const fromWire = (d: AggregatedData): Aggregated => ({
  _tag: "Aggregated",
  seq: d.seq,
  atUs: d.atUs,
  sis: 0,
  nrAggregations: d.nrAggregations,
  sampleIntervalUs: d.sampleIntervalUs,
  aggrIntervalUs: d.aggrIntervalUs,
  targets: d.targets.map((t) => ({
    index: t.index,
    pid: t.pid,
    regions: t.regions.map(([start, end, nrAccesses, age]) => ({
      start,
      end,
      nrAccesses,
      age,
      nrAccessesBp: nrAccesses * 10000,
      lastNrAccesses: 0
    }))
  }))
})

/** Where aggregations go, and what it has seen. */
export interface RecordSink {
  readonly add: (event: Aggregated) => Effect.Effect<void, DamonError>
  /** Aggregations written. */
  readonly written: () => number
  /** Aggregations lost before they reached the sink (gaps in their numbers). */
  readonly dropped: () => number
  /** Kdamond time of the last aggregation written, in microseconds. */
  readonly lastAtUs: () => number
}

/** A sink over an open record writer; `opsUpdateUs` goes into each record's intervals. */
export const makeRecordSink = (writer: RecordWriter, opsUpdateUs: number): RecordSink => {
  const records = new Map<number, number>()
  const prevEnd = new Map<number, bigint>()
  let written = 0
  let dropped = 0
  let firstNr = -1
  let lastAtUs = 0
  const add = (e: Aggregated): Effect.Effect<void, DamonError> =>
    Effect.gen(function*() {
      // Aggregations are numbered: every number between the first seen and this one not written was lost.
      if (firstNr < 0) firstNr = e.nrAggregations
      else dropped = Math.max(dropped, e.nrAggregations - firstNr - written)
      const headers = headersOf(e, opsUpdateUs)
      for (let i = 0; i < e.targets.length; i++) {
        const index = e.targets[i]!.index
        let record = records.get(index)
        if (record === undefined) {
          record = yield* writer.addRecord(headers[i]!)
          records.set(index, record)
        }
        const snapshot = snapshotOf(e, index, prevEnd.get(index))
        if (snapshot === undefined) continue
        yield* writer.append(record, snapshot)
        prevEnd.set(index, snapshot.endNs)
      }
      written++
      lastAtUs = e.atUs
    })
  return { add, written: () => written, dropped: () => dropped, lastAtUs: () => lastAtUs }
}
