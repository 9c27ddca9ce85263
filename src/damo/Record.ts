/**
 * damo's monitoring records (`DamonRecord`, `DamonSnapshot` and `DamonRegion` of damo's
 * `_damo_records.py` and `_damon.py`): a list of records, each one target's (or one scheme's
 * tried regions') snapshots over time, with the monitoring intervals. This module holds the
 * model, the JSON text of the model in damo's `json` record format (the content of a
 * `json_compressed` file before zlib), and the conversion from the engine's `Aggregated` events.
 * Pure; `RecordFile.ts` does the file I/O.
 */
import * as Result from "effect/Result"
import type { MonitorEvent } from "../engine/Events.ts"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import * as V from "./DamoValues.ts"
import { at, type JsonObject, list, object, parse } from "./JsonReader.ts"

/** One region of a snapshot. */
export interface RecordRegion {
  readonly start: number
  readonly end: number
  /** Accessed samples in the aggregation window (`nr_accesses`). */
  readonly nrAccesses: number
  /** Aggregation intervals the access pattern has lasted (`age`). */
  readonly age: number
  /** Bytes that passed the scheme's ops filters (tried regions; 0 for monitoring records). */
  readonly szFilterPassed: number
}

/** The regions of one aggregation window, `[startNs, endNs)`. */
export interface RecordSnapshot {
  readonly startNs: bigint
  readonly endNs: bigint
  readonly regions: ReadonlyArray<RecordRegion>
  readonly totalBytes: number
}

/** The monitoring intervals of a record (`DamonIntervals`), in microseconds. */
export interface RecordIntervals {
  readonly sampleUs: number
  readonly aggrUs: number
  readonly opsUpdateUs: number
  readonly goal: { readonly accessBp: number; readonly aggrs: number; readonly minSampleUs: number; readonly maxSampleUs: number }
}

/** Everything of a record but its snapshots. */
export interface RecordHeader {
  readonly kdamondIdx: number | null
  readonly contextIdx: number | null
  readonly intervals: RecordIntervals | null
  /** Set for a scheme's tried-regions record. */
  readonly schemeIdx: number | null
  /** The target: damo's kernel target id (trace records), or the target's index here. */
  readonly targetId: bigint | null
  /** The scheme's filters as damo wrote them (`DamosFilter.to_kvpairs()`), kept verbatim. */
  readonly schemeFilters: ReadonlyArray<unknown>
}

/** A record: one target's (or scheme's) snapshots in time order. */
export interface DamonRecord extends RecordHeader {
  readonly snapshots: ReadonlyArray<RecordSnapshot>
}

// --- From the engine's events ------------------------------------------------------------------

/** Record headers for the targets of an `Aggregated` event: one per target, `targetId` = index. */
export const headersOf = (
  event: Extract<MonitorEvent, { readonly _tag: "Aggregated" }>,
  opsUpdateUs: number,
  kdamondIdx = 0
): Array<RecordHeader> =>
  event.targets.map((t) => ({
    kdamondIdx,
    contextIdx: 0,
    intervals: {
      sampleUs: event.sampleIntervalUs,
      aggrUs: event.aggrIntervalUs,
      opsUpdateUs,
      goal: { accessBp: 0, aggrs: 0, minSampleUs: 0, maxSampleUs: 0 }
    },
    schemeIdx: null,
    targetId: BigInt(t.index),
    schemeFilters: []
  }))

/**
 * The snapshot of target `index` in an `Aggregated` event: its regions with the window's
 * `nrAccesses` and `age`, the window ending at the event (`atUs`) and starting at `prevEndNs`
 * (the previous snapshot's end) or, for the first, one aggregation interval earlier.
 */
export const snapshotOf = (
  event: Extract<MonitorEvent, { readonly _tag: "Aggregated" }>,
  index: number,
  prevEndNs?: bigint
): RecordSnapshot | undefined => {
  const t = event.targets.find((x) => x.index === index)
  if (t === undefined) return undefined
  const endNs = BigInt(Math.round(event.atUs * 1000))
  const startNs = prevEndNs ?? endNs - BigInt(Math.round(event.aggrIntervalUs * 1000))
  let totalBytes = 0
  const regions = t.regions.map((r) => {
    totalBytes += r.end - r.start
    return { start: r.start, end: r.end, nrAccesses: r.nrAccesses, age: r.age, szFilterPassed: 0 }
  })
  return { startNs, endNs, regions, totalBytes }
}

// --- JSON text ---------------------------------------------------------------------------------

/**
 * The decimal digits of a safe non-negative integer, in two halves below 2^31 each (V8 turns
 * those into text several times faster than a large double; recording writes millions).
 */
const digits = (n: number): string => {
  if (n < 2147483648) return `${n}`
  const hi = Math.floor(n / 1e8)
  const lo = `${n - hi * 1e8}`
  return `${hi}${"00000000".slice(lo.length)}${lo}`
}

const str = (n: number | bigint): string =>
  typeof n === "bigint" ? `"${n}"` : Number.isSafeInteger(n) && n >= 0 ? `"${digits(n)}"` : `"${V.formatNr(n, true)}"`
const nullable = (v: number | bigint | null): string => (v === null ? "null" : String(v))

/**
 * A region as damo's `DamonRegion.to_kvpairs()` shapes it (numbers as digit strings, damo's
 * machine-friendly form): `start`, `end`, `nr_accesses` in samples, `age` in aggregation
 * intervals, `sz_filter_passed`.
 */
const regionJson = (r: RecordRegion): string =>
  `{"start":${str(r.start)},"end":${str(r.end)},"nr_accesses":{"samples":${r.nrAccesses},"percent":null},` +
  `"age":{"usec":null,"aggr_intervals":${str(r.age)}},"sz_filter_passed":${str(r.szFilterPassed)}}`

/** A snapshot as damo's `DamonSnapshot.to_kvpairs(raw=True)` shapes it. */
export const snapshotJson = (s: RecordSnapshot): string => {
  let regions = ""
  for (let i = 0; i < s.regions.length; i++) regions += i === 0 ? regionJson(s.regions[i]!) : `,${regionJson(s.regions[i]!)}`
  return `{"start_time":${str(s.startNs)},"end_time":${str(s.endNs)},"regions":[${regions}],"total_bytes":${str(s.totalBytes)}}`
}

/**
 * The start of a record's JSON object up to and including `"snapshots":[` (the snapshots and
 * `]}` follow), as damo's `DamonRecord.to_kvpairs(raw=True)` shapes it.
 */
export const recordJsonHead = (h: RecordHeader): string => {
  const iv = h.intervals
  const intervals = iv === null
    ? "null"
    : `{"sample_us":${str(iv.sampleUs)},"aggr_us":${str(iv.aggrUs)},"ops_update_us":${str(iv.opsUpdateUs)},` +
      `"intervals_goal":{"access_bp":"${V.formatBp(iv.goal.accessBp, true)}","aggrs":${str(iv.goal.aggrs)},` +
      `"min_sample_us":${str(iv.goal.minSampleUs)},"max_sample_us":${str(iv.goal.maxSampleUs)}}}`
  return `{"kdamond_idx":${nullable(h.kdamondIdx)},"context_idx":${nullable(h.contextIdx)},"intervals":${intervals},` +
    `"scheme_idx":${nullable(h.schemeIdx)},"target_id":${nullable(h.targetId)},` +
    `"scheme_filters":${JSON.stringify(h.schemeFilters)},"snapshots":[`
}

/** The JSON text of records in damo's `json` record format (what `json_compressed` compresses). */
export const encodeRecords = (records: ReadonlyArray<DamonRecord>): string =>
  `[${records.map((r) => `${recordJsonHead(r)}${r.snapshots.map(snapshotJson).join(",")}]}`).join(",")}]`

// --- Decoding ----------------------------------------------------------------------------------

/**
 * JSON.parse that keeps integers beyond 2^53 exact (as bigint), as Python's json does. Such an
 * integer has at least 16 digits (2^53 is 9007199254740992); a text without a run of 16 digits
 * has none, and is parsed without the reviver, which costs some 4 times the parse (a reviver call
 * and its source text for every value of a record file of thousands of snapshots).
 */
const parseExact = (text: string): unknown =>
  !/\d{16}/.test(text) ? JSON.parse(text) : (JSON.parse as (t: string, reviver: (k: string, v: unknown, ctx: { readonly source?: string }) => unknown) => unknown)(
    text,
    (_k, v, ctx) =>
      typeof v === "number" && !Number.isSafeInteger(v) && ctx.source !== undefined && /^-?\d+$/.test(ctx.source) ? BigInt(ctx.source) : v
  )

/** A time in nanoseconds: digit strings and integers exactly, else damo's time syntax. */
const timeNs = (v: unknown, path: string): Result.Result<bigint, DamonError> => {
  if (typeof v === "bigint") return Result.succeed(v)
  if (typeof v === "string" && /^\s*-?\d+\s*$/.test(v)) return Result.succeed(BigInt(v.trim()))
  return Result.map(parse(v, path, V.textToNs), (n) => BigInt(Math.trunc(n)))
}

const nonNegInt = (v: unknown, path: string, parser: (x: unknown) => Result.Result<number, string>, what: string) =>
  Result.flatMap(parse(typeof v === "bigint" ? Number(v) : v, path, parser), (n) =>
    n >= 0 && n <= Number.MAX_SAFE_INTEGER
      ? Result.succeed(Math.trunc(n))
      : Result.fail(invalidArgument(path, v, `must be ${what} in [0, 9007199254740991]`)))

const intOrNull = (v: unknown, path: string): Result.Result<number | null, DamonError> =>
  v === null || v === undefined ? Result.succeed(null) : nonNegInt(v, path, V.textToNr, "an index")

const readIntervals = (v: unknown, path: string): Result.Result<RecordIntervals | null, DamonError> =>
  Result.gen(function*() {
    if (v === null || v === undefined) return null
    const o = yield* object(v, path)
    const us = (key: string, x: unknown) => nonNegInt(x, at(path, key), V.textToUs, "a time in microseconds")
    const g: JsonObject = o["intervals_goal"] === undefined ? {} : yield* object(o["intervals_goal"], at(path, "intervals_goal"))
    const gp = at(path, "intervals_goal")
    return {
      sampleUs: yield* us("sample_us", o["sample_us"]),
      aggrUs: yield* us("aggr_us", o["aggr_us"]),
      opsUpdateUs: yield* us("ops_update_us", o["ops_update_us"]),
      goal: {
        accessBp: g["access_bp"] === undefined ? 0 : yield* nonNegInt(g["access_bp"], at(gp, "access_bp"), V.textToBp, "basis points"),
        aggrs: g["aggrs"] === undefined ? 0 : yield* nonNegInt(g["aggrs"], at(gp, "aggrs"), V.textToNr, "a count"),
        minSampleUs: g["min_sample_us"] === undefined ? 0 : yield* nonNegInt(g["min_sample_us"], at(gp, "min_sample_us"), V.textToUs, "a time"),
        maxSampleUs: g["max_sample_us"] === undefined ? 0 : yield* nonNegInt(g["max_sample_us"], at(gp, "max_sample_us"), V.textToUs, "a time")
      }
    }
  })

/** `nr_accesses` (`{samples, percent}`) in samples; percent needs the record's intervals, as in damo. */
const readNrAccesses = (v: unknown, path: string, iv: RecordIntervals | null) =>
  Result.gen(function*() {
    const o = yield* object(v, path)
    if (o["samples"] !== null && o["samples"] !== undefined) return yield* nonNegInt(o["samples"], at(path, "samples"), V.textToNr, "a count")
    if (o["percent"] === null || o["percent"] === undefined) return yield* Result.fail(invalidArgument(path, o, "needs samples or percent"))
    const p = yield* parse(o["percent"], at(path, "percent"), V.textToPercent)
    if (iv === null || iv.sampleUs === 0) return yield* Result.fail(invalidArgument(at(path, "percent"), o["percent"], "needs the record's intervals (sample_us > 0) to become samples"))
    return Math.trunc((p * (iv.aggrUs / iv.sampleUs)) / 100)
  })

/** `age` (`{usec, aggr_intervals}`) in aggregation intervals; usec needs the record's intervals. */
const readAge = (v: unknown, path: string, iv: RecordIntervals | null) =>
  Result.gen(function*() {
    const o = yield* object(v, path)
    if (o["aggr_intervals"] !== null && o["aggr_intervals"] !== undefined) {
      return yield* nonNegInt(o["aggr_intervals"], at(path, "aggr_intervals"), V.textToNr, "a count")
    }
    if (o["usec"] === null || o["usec"] === undefined) return yield* Result.fail(invalidArgument(path, o, "needs usec or aggr_intervals"))
    const us = yield* parse(o["usec"], at(path, "usec"), V.textToUs)
    if (iv === null || iv.aggrUs === 0) return yield* Result.fail(invalidArgument(at(path, "usec"), o["usec"], "needs the record's intervals (aggr_us > 0) to become aggregation intervals"))
    return Math.trunc(us / iv.aggrUs)
  })

/**
 * A count or address in the form recorders write it (a JSON number, or a digit string of at most
 * 15 digits, so below 2^53), as {@link nonNegInt} reads it; `-1` for anything else, which the
 * full reader then judges (and names in its error).
 */
const plainNonNegInt = (v: unknown): number => {
  if (typeof v === "number") return v >= 0 && v <= Number.MAX_SAFE_INTEGER ? Math.trunc(v) : -1
  if (typeof v !== "string" || v.length === 0 || v.length > 15) return -1
  let n = 0
  for (let i = 0; i < v.length; i++) {
    const d = v.charCodeAt(i) - 48
    if (d < 0 || d > 9) return -1
    n = n * 10 + d
  }
  return n
}

const present = (v: unknown): boolean => v !== null && v !== undefined

/**
 * A region as damo and effect-damon write it (plain numbers or digit strings, `nr_accesses` in
 * samples, `age` in aggregation intervals), read without building a JSON path per field: a record
 * file holds millions of regions. `undefined` for any other form, which {@link readSnapshot}
 * reads the long way, with the same result or the error naming the field.
 */
const plainRegion = (v: unknown): RecordRegion | undefined => {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined
  const r = v as JsonObject
  const start = plainNonNegInt(r["start"])
  const end = plainNonNegInt(r["end"])
  const na = r["nr_accesses"]
  const ag = r["age"]
  if (start < 0 || end < start || na === null || typeof na !== "object" || ag === null || typeof ag !== "object") return undefined
  const samples = (na as JsonObject)["samples"]
  const aggrs = (ag as JsonObject)["aggr_intervals"]
  if (Array.isArray(na) || Array.isArray(ag) || !present(samples) || !present(aggrs)) return undefined
  const nrAccesses = plainNonNegInt(samples)
  const age = plainNonNegInt(aggrs)
  const sz = r["sz_filter_passed"]
  const szFilterPassed = present(sz) ? plainNonNegInt(sz) : 0
  if (nrAccesses < 0 || age < 0 || szFilterPassed < 0) return undefined
  return { start, end, nrAccesses, age, szFilterPassed }
}

const readSnapshot = (v: unknown, path: string, iv: RecordIntervals | null): Result.Result<RecordSnapshot, DamonError> =>
  Result.gen(function*() {
    const o = yield* object(v, path)
    const startNs = yield* timeNs(o["start_time"], at(path, "start_time"))
    const endNs = yield* timeNs(o["end_time"], at(path, "end_time"))
    const rp = at(path, "regions")
    const items = yield* list(o["regions"], rp)
    const regions: Array<RecordRegion> = []
    let sum = 0
    for (let i = 0; i < items.length; i++) {
      const plain = plainRegion(items[i])
      if (plain !== undefined) {
        sum += plain.end - plain.start
        regions.push(plain)
        continue
      }
      const p = at(rp, i)
      const r = yield* object(items[i], p)
      const start = yield* nonNegInt(r["start"], at(p, "start"), V.textToBytes, "an address")
      const end = yield* nonNegInt(r["end"], at(p, "end"), V.textToBytes, "an address")
      if (end < start) return yield* Result.fail(invalidArgument(at(p, "end"), r["end"], `must be >= start (${start})`))
      const nrAccesses = yield* readNrAccesses(r["nr_accesses"], at(p, "nr_accesses"), iv)
      const age = yield* readAge(r["age"], at(p, "age"), iv)
      const szFilterPassed = r["sz_filter_passed"] === undefined || r["sz_filter_passed"] === null
        ? 0
        : yield* nonNegInt(r["sz_filter_passed"], at(p, "sz_filter_passed"), V.textToBytes, "a size")
      sum += end - start
      regions.push({ start, end, nrAccesses, age, szFilterPassed })
    }
    const tb = o["total_bytes"]
    const totalBytes = tb === null || tb === undefined ? sum : yield* nonNegInt(tb, at(path, "total_bytes"), V.textToBytes, "a size")
    return { startNs, endNs, regions, totalBytes }
  })

/**
 * Reads records from a parsed damo record document (a list of `DamonRecord.to_kvpairs()`
 * objects); the first bad value is an `InvalidArgument` naming its path (`[0].snapshots[2]...`).
 *
 * **Details**
 * Accepts both of damo's number styles (digit strings, human sizes and times, thousands commas)
 * and converts access rates in percent and ages in time with the record's intervals, as damo's
 * `add_unset_unit()` does. A missing `total_bytes` is the sum of the region sizes; missing
 * indices, intervals and filters are null and empty, as damo reads them.
 */
export const decodeRecordsDocument = (doc: unknown): Result.Result<Array<DamonRecord>, DamonError> =>
  Result.gen(function*() {
    const items = yield* Result.mapError(list(doc, "(document)"), () =>
      invalidArgument("(document)", typeof doc, "must be a list of records, as damo writes its record files"))
    const records: Array<DamonRecord> = []
    for (let i = 0; i < items.length; i++) {
      const p = `[${i}]`
      const o = yield* object(items[i], p)
      const intervals = yield* readIntervals(o["intervals"], at(p, "intervals"))
      const tid = o["target_id"]
      let targetId: bigint | null = null
      if (typeof tid === "bigint") targetId = tid
      else if (typeof tid === "number" && Number.isInteger(tid)) targetId = BigInt(tid)
      else if (tid !== null && tid !== undefined) return yield* Result.fail(invalidArgument(at(p, "target_id"), tid, "must be an integer or null"))
      const filters = o["scheme_filters"] === undefined || o["scheme_filters"] === null ? [] : yield* list(o["scheme_filters"], at(p, "scheme_filters"))
      const sp = at(p, "snapshots")
      const snaps = yield* list(o["snapshots"], sp)
      const snapshots: Array<RecordSnapshot> = []
      for (let j = 0; j < snaps.length; j++) snapshots.push(yield* readSnapshot(snaps[j], at(sp, j), intervals))
      records.push({
        kdamondIdx: yield* intOrNull(o["kdamond_idx"], at(p, "kdamond_idx")),
        contextIdx: yield* intOrNull(o["context_idx"], at(p, "context_idx")),
        intervals,
        schemeIdx: yield* intOrNull(o["scheme_idx"], at(p, "scheme_idx")),
        targetId,
        schemeFilters: filters,
        snapshots
      })
    }
    return records
  })

/** Parses the JSON text of records (see {@link decodeRecordsDocument}); text that is not JSON is an `InvalidArgument`. */
export const decodeRecords = (text: string): Result.Result<Array<DamonRecord>, DamonError> => {
  let doc: unknown
  try {
    doc = parseExact(text)
  } catch (e) {
    return Result.fail(invalidArgument("(document)", text.length > 40 ? `${text.slice(0, 40)}...` : text, `is not JSON: ${e instanceof Error ? e.message : String(e)}`))
  }
  return decodeRecordsDocument(doc)
}
