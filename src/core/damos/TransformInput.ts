/**
 * Validation of what the pure DAMOS transform is given: its options and each snapshot. Snapshots
 * come from recordings and other programs, so every field is checked before a pass reads it, and
 * a bad one is an `InvalidArgument` naming it (`snapshot.targets[0].regions[3].end`), never a
 * thrown exception. Snapshots are checked with plain loops: the transform runs at millions of
 * regions per second and a schema decode per region would dominate it.
 */
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { describeThrown } from "../../internal/boundedText.ts"
import { decode, ULong } from "../../internal/validate.ts"
import { isPowerOfTwo, UINT_MAX } from "../../internal/uint.ts"
import * as Attrs from "../../model/Attrs.ts"
import { DamonError, InvalidArgument, invalidArgument, invalidArgumentText, limitExceeded } from "../../model/DamonError.ts"
import { MAX_NR_TARGETS, MAX_SNAPSHOT_REGIONS } from "../../model/Limits.ts"
import type * as Region from "../../model/Region.ts"

/** `error` with its field prefixed, when it names one. */
const prefixed = (prefix: string, error: DamonError): DamonError => {
  const r = error.reason
  return r._tag === "InvalidArgument"
    ? new DamonError({ reason: new InvalidArgument({ field: prefix + r.field, value: r.value, rule: r.rule }) })
    : error
}

/** One region of a snapshot. */
export interface SnapshotRegion {
  readonly start: number
  readonly end: number
  readonly nrAccesses: number
  /** Defaults to `nrAccesses * 10000`. */
  readonly nrAccessesBp?: number
  /** Defaults to 0. */
  readonly lastNrAccesses?: number
  readonly age: number
}

/** One target's regions in a snapshot. */
export interface SnapshotTarget {
  readonly pid?: number | null
  /** Sorted, non-overlapping. */
  readonly regions: ReadonlyArray<SnapshotRegion>
}

/** An aggregated snapshot of every target, at a time. */
export interface Snapshot {
  /** Time of the snapshot, µs (quota windows and watermarks follow it). */
  readonly nowUs: number
  /** Sample count at the snapshot; defaults to the previous one plus one aggregation. */
  readonly passedSampleIntervals?: number
  readonly targets: ReadonlyArray<SnapshotTarget>
}

/** The context parameters of a transform, as a user writes them. */
export interface TransformOptions {
  /** Defaults to the kernel defaults. */
  readonly attrs?: Attrs.AttrsInput
  /** Defaults to `"paddr"`. */
  readonly opsId?: string
  /** Defaults to 4096; a power of two. */
  readonly minRegionSz?: number
  /** Defaults to 1. */
  readonly addrUnit?: number
  /** Seed of the generator lent to the ops set. Defaults to 0. */
  readonly seed?: number
  /** Sample count before the first snapshot. Defaults to 0. */
  readonly passedSampleIntervals?: number
}

/** Options with every default applied. */
export interface ValidOptions {
  readonly attrs: Attrs.Attrs
  readonly opsId: string
  readonly minRegionSz: number
  readonly addrUnit: number
  readonly seed: number
  readonly passedSampleIntervals: number
}

const OptionsSchema = Schema.Struct({
  attrs: Schema.optionalKey(Schema.Unknown),
  opsId: Schema.optionalKey(Schema.String),
  minRegionSz: Schema.optionalKey(ULong),
  addrUnit: Schema.optionalKey(ULong),
  seed: Schema.optionalKey(ULong),
  passedSampleIntervals: Schema.optionalKey(ULong)
})

/** Validates the options; errors name `options.<field>`. */
export const decodeOptions = (input: unknown): Result.Result<ValidOptions, DamonError> => {
  const decoded = decode(OptionsSchema, input === undefined ? {} : input, "options")
  if (Result.isFailure(decoded)) return Result.fail(decoded.failure)
  const o = decoded.success
  const attrs = Attrs.make(o.attrs ?? {})
  if (Result.isFailure(attrs)) return Result.fail(prefixed("options.", attrs.failure))
  const minRegionSz = o.minRegionSz ?? 4096
  if (!isPowerOfTwo(minRegionSz)) return Result.fail(invalidArgument("options.minRegionSz", minRegionSz, "must be a power of two"))
  const addrUnit = o.addrUnit ?? 1
  if (addrUnit === 0) return Result.fail(invalidArgument("options.addrUnit", 0, "must be > 0"))
  return Result.succeed({
    attrs: attrs.success,
    opsId: o.opsId ?? "paddr",
    minRegionSz,
    addrUnit,
    seed: o.seed ?? 0,
    passedSampleIntervals: o.passedSampleIntervals ?? 0
  })
}

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)
const isU32 = (u: unknown): u is number => typeof u === "number" && Number.isInteger(u) && u >= 0 && u <= UINT_MAX
const isULong = (u: unknown): u is number => typeof u === "number" && Number.isSafeInteger(u) && u >= 0
const U32_RULE = "must be an integer in [0, 4294967295]"
const ULONG_RULE = "must be a non-negative safe integer"

/** A snapshot as the transform uses it: every field read once, checked, and copied. */
export interface ReadSnapshot {
  readonly nowUs: number
  readonly passedSampleIntervals: number | undefined
  readonly targets: ReadonlyArray<{ readonly pid: number | null; readonly regions: Array<Region.Region> }>
}

/** Thrown inside {@link readSnapshot} with the refusal; caught at its top. */
class Refused {
  readonly error: DamonError
  constructor(error: DamonError) {
    this.error = error
  }
}

/**
 * Reads one snapshot into fresh regions, checking every field as it is read (each is read once,
 * so a getter cannot answer differently to the check and to the copy); errors name the field
 * under `prefix`. Targets must keep their count from snapshot to snapshot (`nrTargets`, when
 * known), as a context's targets do; at most `MAX_NR_TARGETS` targets and `MAX_SNAPSHOT_REGIONS`
 * regions in all (`ENOMEM` past them, before any region is read). A throwing accessor or Proxy
 * is an `InvalidArgument` naming the field, never a thrown exception.
 */
export const readSnapshot = (input: unknown, prefix: string, nrTargets: number | undefined): Result.Result<ReadSnapshot, DamonError> => {
  // where the reader is, for messages; built into a path only when something is refused
  let ti = -1
  let ri = -1
  let field = ""
  const at = (): string => `${regionPath(prefix, ti, ri)}${field === "" ? "" : `.${field}`}`
  const refuse = (value: unknown, rule: string): never => {
    throw new Refused(invalidArgument(at(), value, rule))
  }
  const fieldOf = (obj: Record<string, unknown>, name: string): unknown => {
    field = name
    return obj[name]
  }
  try {
    if (!isObject(input)) return refuse(input, "must be an object")
    const nowUs = fieldOf(input, "nowUs")
    if (typeof nowUs !== "number" || !Number.isFinite(nowUs) || nowUs < 0) refuse(nowUs, "must be a finite number >= 0")
    const sis = fieldOf(input, "passedSampleIntervals")
    if (sis !== undefined && !isULong(sis)) refuse(sis, "must be a non-negative safe integer")
    const targets = fieldOf(input, "targets")
    if (!Array.isArray(targets)) return refuse(targets, "must be an array")
    const nrT: unknown = targets.length
    if (typeof nrT !== "number" || !Number.isSafeInteger(nrT) || nrT < 0) return refuse(targets, "must be an array")
    if (nrT > MAX_NR_TARGETS) throw new Refused(limitExceeded(at(), nrT, `at most ${MAX_NR_TARGETS} targets per snapshot`))
    if (nrTargets !== undefined && nrT !== nrTargets) refuse(nrT, `must have the ${nrTargets} targets of the previous snapshots`)
    field = ""
    const out: Array<{ pid: number | null; regions: Array<Region.Region> }> = []
    let total = 0
    for (ti = 0; ti < nrT; ti++) {
      field = ""
      const t: unknown = targets[ti]
      if (!isObject(t)) refuse(t, "must be an object")
      const target = t as Record<string, unknown>
      const pid = fieldOf(target, "pid")
      if (pid !== undefined && pid !== null && !(typeof pid === "number" && Number.isInteger(pid) && pid >= 0)) {
        refuse(pid, "must be a process id, null or absent")
      }
      const regions = fieldOf(target, "regions")
      if (!Array.isArray(regions)) return refuse(regions, "must be an array")
      const n: unknown = regions.length
      if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) return refuse(regions, "must be an array")
      total += n
      if (total > MAX_SNAPSHOT_REGIONS) {
        throw new Refused(limitExceeded(at(), total, `at most ${MAX_SNAPSHOT_REGIONS} regions per snapshot, over all targets`))
      }
      field = ""
      out.push({ pid: (pid as number | null | undefined) ?? null, regions: readRegions(regions, n, prefix, ti) })
    }
    ti = -1
    return Result.succeed({ nowUs: nowUs as number, passedSampleIntervals: sis as number | undefined, targets: out })
  } catch (cause) {
    if (cause instanceof Refused) return Result.fail(cause.error)
    return Result.fail(invalidArgumentText(at(), "(unreadable)", `reading it threw: ${describeThrown(cause)}`))
  }
}

const regionPath = (prefix: string, ti: number, ri: number): string =>
  `${prefix}${ti >= 0 ? `.targets[${ti}]` : ""}${ri >= 0 ? `.regions[${ri}]` : ""}`

/** Reads the `n` regions of target `ti`; throws {@link Refused} naming the first bad field. */
const readRegions = (regions: ReadonlyArray<unknown>, n: number, prefix: string, ti: number): Array<Region.Region> => {
  const copied: Array<Region.Region> = []
  let prevEnd = 0
  let ri = 0
  try {
    for (; ri < n; ri++) {
      const r: unknown = regions[ri]
      if (!isObject(r)) throw new Refused(invalidArgument(regionPath(prefix, ti, ri), r, "must be an object"))
      const region = readRegion(r, prevEnd, prefix, ti, ri)
      copied.push(region)
      prevEnd = region.end
    }
  } catch (cause) {
    if (cause instanceof Refused) throw cause
    throw new Refused(invalidArgumentText(regionPath(prefix, ti, ri), "(unreadable)", `reading it threw: ${describeThrown(cause)}`))
  }
  return copied
}

/**
 * A region copy of the transform. A class of its own, not `Region.make`'s object literal: V8
 * decides per allocation site whether objects are born in the old generation, and per hidden
 * class how each field is stored. A kdamond's long-lived regions get `Region.make`'s site
 * pretenured (every later transform copy was then born old and freed only by full collections)
 * and its map's `samplingAddr` stored as a boxed double (one more heap number per copy); with a
 * class of their own, the copies keep neither (docs/performance.md).
 */
class SnapshotRegionCopy implements Region.Region {
  declare start: number
  declare end: number
  declare nrAccesses: number
  declare nrAccessesBp: number
  declare lastNrAccesses: number
  declare age: number
  declare samplingAddr: number
  constructor(start: number, end: number, nrAccesses: number, nrAccessesBp: number, lastNrAccesses: number, age: number) {
    this.start = start
    this.end = end
    this.nrAccesses = nrAccesses
    this.nrAccessesBp = nrAccessesBp
    this.lastNrAccesses = lastNrAccesses
    this.age = age
    this.samplingAddr = -1
  }
}

/**
 * Reads and checks one region, each field once and in order (a refusal names the first bad
 * field); the path is built only for a refusal.
 */
const readRegion = (r: Record<string, unknown>, prevEnd: number, prefix: string, ti: number, ri: number): Region.Region => {
  let field = "start"
  let value: unknown
  let rule = ULONG_RULE
  try {
    refused: {
      const start = r["start"]
      value = start
      if (!isULong(start)) break refused
      field = "end"
      const end = r["end"]
      value = end
      if (!isULong(end)) break refused
      if (end <= start) {
        rule = `must be > start (${start})`
        break refused
      }
      if (start < prevEnd) {
        field = "start"
        value = start
        rule = `must be >= the previous region's end (${prevEnd}): regions must be sorted and non-overlapping`
        break refused
      }
      rule = U32_RULE
      field = "nrAccesses"
      const nrAccesses = r["nrAccesses"]
      value = nrAccesses
      if (!isU32(nrAccesses)) break refused
      field = "age"
      const age = r["age"]
      value = age
      if (!isU32(age)) break refused
      field = "nrAccessesBp"
      const bp = r["nrAccessesBp"]
      value = bp
      if (bp !== undefined && !isU32(bp)) break refused
      field = "lastNrAccesses"
      const last = r["lastNrAccesses"]
      value = last
      if (last !== undefined && !isU32(last)) break refused
      return new SnapshotRegionCopy(start, end, nrAccesses, bp ?? nrAccesses * 10000, last ?? 0, age)
    }
  } catch (cause) {
    throw new Refused(invalidArgumentText(`${regionPath(prefix, ti, ri)}.${field}`, "(unreadable)", `reading it threw: ${describeThrown(cause)}`))
  }
  throw new Refused(invalidArgument(`${regionPath(prefix, ti, ri)}.${field}`, value, rule))
}
