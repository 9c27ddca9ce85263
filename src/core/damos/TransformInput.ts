/**
 * Validation of what the pure DAMOS transform is given: its options and each snapshot. Snapshots
 * come from recordings and other programs, so every field is checked before a pass reads it, and
 * a bad one is an `InvalidArgument` naming it (`snapshot.targets[0].regions[3].end`), never a
 * thrown exception. Snapshots are checked with plain loops: the transform runs at millions of
 * regions per second and a schema decode per region would dominate it.
 */
import { Result, Schema } from "effect"
import { decode, ULong } from "../../internal/validate.ts"
import { isPowerOfTwo, UINT_MAX } from "../../internal/uint.ts"
import * as Attrs from "../../model/Attrs.ts"
import { DamonError, InvalidArgument, invalidArgument } from "../../model/DamonError.ts"

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

const checkRegion = (r: unknown, at: string, prevEnd: number): DamonError | undefined => {
  if (!isObject(r)) return invalidArgument(at, r, "must be an object")
  if (!isULong(r["start"])) return invalidArgument(`${at}.start`, r["start"], "must be a non-negative safe integer")
  if (!isULong(r["end"])) return invalidArgument(`${at}.end`, r["end"], "must be a non-negative safe integer")
  if (r["end"] <= r["start"]) return invalidArgument(`${at}.end`, r["end"], `must be > start (${r["start"]})`)
  if (r["start"] < prevEnd) {
    return invalidArgument(`${at}.start`, r["start"], `must be >= the previous region's end (${prevEnd}): regions must be sorted and non-overlapping`)
  }
  if (!isU32(r["nrAccesses"])) return invalidArgument(`${at}.nrAccesses`, r["nrAccesses"], "must be an integer in [0, 4294967295]")
  if (!isU32(r["age"])) return invalidArgument(`${at}.age`, r["age"], "must be an integer in [0, 4294967295]")
  for (const field of ["nrAccessesBp", "lastNrAccesses"] as const) {
    if (field in r && r[field] !== undefined && !isU32(r[field])) {
      return invalidArgument(`${at}.${field}`, r[field], "must be an integer in [0, 4294967295]")
    }
  }
  return undefined
}

/**
 * Checks one snapshot; errors name the field under `prefix`. Targets must keep their count from
 * snapshot to snapshot (`nrTargets`, when known), as a context's targets do.
 */
export const checkSnapshot = (input: unknown, prefix: string, nrTargets: number | undefined): DamonError | undefined => {
  if (!isObject(input)) return invalidArgument(prefix, input, "must be an object")
  const nowUs = input["nowUs"]
  if (typeof nowUs !== "number" || !Number.isFinite(nowUs) || nowUs < 0) {
    return invalidArgument(`${prefix}.nowUs`, nowUs, "must be a finite number >= 0")
  }
  const sis = input["passedSampleIntervals"]
  if (sis !== undefined && !isULong(sis)) return invalidArgument(`${prefix}.passedSampleIntervals`, sis, "must be a non-negative safe integer")
  const targets = input["targets"]
  if (!Array.isArray(targets)) return invalidArgument(`${prefix}.targets`, targets, "must be an array")
  if (nrTargets !== undefined && targets.length !== nrTargets) {
    return invalidArgument(`${prefix}.targets`, targets.length, `must have the ${nrTargets} targets of the previous snapshots`)
  }
  for (let ti = 0; ti < targets.length; ti++) {
    const t: unknown = targets[ti]
    const at = `${prefix}.targets[${ti}]`
    if (!isObject(t)) return invalidArgument(at, t, "must be an object")
    const pid = t["pid"]
    if (pid !== undefined && pid !== null && !(typeof pid === "number" && Number.isInteger(pid) && pid >= 0)) {
      return invalidArgument(`${at}.pid`, pid, "must be a process id, null or absent")
    }
    const regions = t["regions"]
    if (!Array.isArray(regions)) return invalidArgument(`${at}.regions`, regions, "must be an array")
    let prevEnd = 0
    for (let i = 0; i < regions.length; i++) {
      const error = checkRegion(regions[i], `${at}.regions[${i}]`, prevEnd)
      if (error !== undefined) return error
      prevEnd = (regions[i] as SnapshotRegion).end
    }
  }
  return undefined
}
