/**
 * A context's user parameters: what a user (or the admin tree, or a module) asks a kdamond to
 * do. It plays the role of the kernel's never-started "parameter" `damon_ctx` that is
 * committed into a running one. Decoding validates everything up front, so building or
 * committing a context from a decoded config cannot fail half-way.
 */
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { snapshot } from "../internal/InputSnapshot.ts"
import { decodePlain, ULong } from "../internal/validate.ts"
import { isPowerOfTwo } from "../internal/uint.ts"
import type { AddrRange } from "./AddrRange.ts"
import * as Attrs from "./Attrs.ts"
import { type DamonError, invalidArgument, limitExceeded } from "./DamonError.ts"
import { DAMON_MIN_REGION_SZ } from "./DamonCtx.ts"
import { configShape, MAX_NR_REGIONS } from "./Limits.ts"

/** A monitoring target as configured. */
export interface TargetConfig {
  /** Process id for `vaddr`/`fvaddr`; `null` otherwise. */
  readonly pid: number | null
  /** Initial (or, on commit, new) regions: sorted, non-overlapping; empty = let the ops set decide. */
  readonly regions: ReadonlyArray<AddrRange>
  /** On commit: remove the matching running target (R2 `obsolete_target`). */
  readonly obsolete: boolean
}

/** A context's parameters, validated. */
export interface DamonConfigBase {
  /** Operations set id. */
  readonly ops: string
  readonly attrs: Attrs.Attrs
  readonly targets: ReadonlyArray<TargetConfig>
  /** R2 `addr_unit`: core-address to physical-address factor (paddr). Defaults to 1. */
  readonly addrUnit: number
  /** R2 `min_region_sz`: a power of two. Defaults to 4096. */
  readonly minRegionSz: number
}

const RangeSchema = Schema.Struct({ start: ULong, end: ULong })

const targetSchema = <R extends Schema.Top>(regions: R) =>
  Schema.Struct({
    pid: Schema.NullOr(Schema.Number.check(Schema.makeFilter((n: number) =>
      Number.isInteger(n) && n >= 0 && n <= 0x7fff_ffff ? undefined : "must be a process id in [0, 2147483647]"
    ))).pipe(Schema.withDecodingDefaultKey(Effect.succeed(null))),
    regions: Schema.Array(regions).pipe(Schema.withDecodingDefaultKey(Effect.succeed([]))),
    obsolete: Schema.Boolean.pipe(Schema.withDecodingDefaultKey(Effect.succeed(false)))
  })

const configSchema = <R extends Schema.Top>(regions: R) =>
  Schema.Struct({
    ops: Schema.String,
    attrs: Schema.Unknown.pipe(Schema.withDecodingDefaultKey(Effect.succeed({}))),
    targets: Schema.Array(targetSchema(regions)).pipe(Schema.withDecodingDefaultKey(Effect.succeed([]))),
    schemes: Schema.Array(Schema.Unknown).pipe(Schema.withDecodingDefaultKey(Effect.succeed([]))),
    addrUnit: ULong.pipe(Schema.withDecodingDefaultKey(Effect.succeed(1))),
    minRegionSz: ULong.pipe(Schema.withDecodingDefaultKey(Effect.succeed(DAMON_MIN_REGION_SZ)))
  })

/** Schema of the config input (schemes are decoded separately); the source of its input type. */
export const ConfigSchema = configSchema(RangeSchema)

/**
 * What decoding runs: {@link ConfigSchema} with the ranges left to {@link decodeRanges}, a plain
 * loop (a Schema decode per range costs microseconds, and a config may carry 65 536 of them).
 */
const ConfigDecodeSchema = configSchema(Schema.Unknown)

const RANGE_RULE = "must be a non-negative integer no larger than 9007199254740991 (2^53-1); larger u64 values cannot be honoured"
const isULong = (u: unknown): u is number => typeof u === "number" && Number.isSafeInteger(u) && u >= 0

/** Decodes one target's ranges (plain data): objects of exactly `start` and `end`, both {@link ULong}. */
const decodeRanges = (ranges: ReadonlyArray<unknown>, field: string): Result.Result<Array<AddrRange>, DamonError> => {
  const out: Array<AddrRange> = new Array(ranges.length)
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i]
    const at = `${field}[${i}]`
    if (typeof r !== "object" || r === null || Array.isArray(r)) {
      return Result.fail(invalidArgument(at, r, "must be an object { start, end }"))
    }
    const range = r as Record<string, unknown>
    for (const key of Object.keys(range)) {
      if (key !== "start" && key !== "end") return Result.fail(invalidArgument(`${at}.${key}`, range[key], "unknown field"))
    }
    const start = range["start"]
    if (!isULong(start)) return Result.fail(invalidArgument(`${at}.start`, start, RANGE_RULE))
    const end = range["end"]
    if (!isULong(end)) return Result.fail(invalidArgument(`${at}.end`, end, RANGE_RULE))
    out[i] = { start, end }
  }
  return Result.succeed(out)
}

/** Input accepted by {@link decodeBase}. */
export type ConfigInput = typeof ConfigSchema.Encoded

/**
 * Checks one target's ranges: each `start < end`, sorted and non-overlapping (the rule the
 * sysfs interface enforces before `damon_set_regions()`).
 */
export const checkRanges = (ranges: ReadonlyArray<AddrRange>, field: string): DamonError | undefined => {
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i]!
    if (r.start >= r.end) return invalidArgument(`${field}[${i}].end`, r.end, `must be > start (${r.start})`)
    const prev = ranges[i - 1]
    if (prev !== undefined && prev.end > r.start) {
      return invalidArgument(`${field}[${i}].start`, r.start, `must be >= the previous region's end (${prev.end}): regions must be sorted and non-overlapping`)
    }
  }
  return undefined
}

/**
 * The region limits of a config: `attrs.minNrRegions` (what a kdamond must split into at once)
 * and the initial ranges of all targets together at most {@link MAX_NR_REGIONS}, so that building
 * and running the context stays bounded (`ENOMEM` past it, before anything is built).
 * `attrs.maxNrRegions` takes any u64, as in the kernel: splitting stops at
 * {@link MAX_NR_REGIONS} whatever it says (`RegionAdjust.splitRegions`).
 */
const checkRegionLimits = (attrs: Attrs.Attrs, targets: ReadonlyArray<TargetConfig>): DamonError | undefined => {
  if (attrs.minNrRegions > MAX_NR_REGIONS) {
    return limitExceeded("attrs.minNrRegions", attrs.minNrRegions, `at most ${MAX_NR_REGIONS} regions per kdamond`)
  }
  let total = 0
  for (let i = 0; i < targets.length; i++) {
    total += targets[i]!.regions.length
    if (total > MAX_NR_REGIONS) {
      return limitExceeded(`targets[${i}].regions`, total, `at most ${MAX_NR_REGIONS} regions per context, over all targets`)
    }
  }
  return undefined
}

/**
 * Decodes and validates everything but the schemes; returns the scheme inputs (a guarded copy)
 * alongside for the DAMOS decoder.
 *
 * **Details**
 * The input is snapshotted first (`InputSnapshot.ts`: throwing accessors, Proxies, cycles, deep
 * nesting and huge values are refused naming the field; array lengths are checked against the
 * library's limits), then decoded; the region limits are checked last.
 */
export const decodeBase = (
  input: unknown
): Result.Result<{ readonly base: DamonConfigBase; readonly schemes: ReadonlyArray<unknown> }, DamonError> => {
  const plain = snapshot(input, "", configShape)
  if (Result.isFailure(plain)) return Result.fail(plain.failure)
  const decoded = decodePlain(ConfigDecodeSchema, plain.success, "")
  if (Result.isFailure(decoded)) return Result.fail(decoded.failure)
  const attrs = Attrs.make(decoded.success.attrs)
  if (Result.isFailure(attrs)) return Result.fail(attrs.failure)
  const targets: Array<TargetConfig> = []
  for (let i = 0; i < decoded.success.targets.length; i++) {
    const t = decoded.success.targets[i]!
    const regions = decodeRanges(t.regions, `targets[${i}].regions`)
    if (Result.isFailure(regions)) return Result.fail(regions.failure)
    targets.push({ pid: t.pid, regions: regions.success, obsolete: t.obsolete })
  }
  const c = { ...decoded.success, targets }
  if (!isPowerOfTwo(c.minRegionSz)) return Result.fail(invalidArgument("minRegionSz", c.minRegionSz, "must be a power of two"))
  if (c.addrUnit === 0) return Result.fail(invalidArgument("addrUnit", c.addrUnit, "must be > 0"))
  for (let i = 0; i < c.targets.length; i++) {
    const error = checkRanges(c.targets[i]!.regions, `targets[${i}].regions`)
    if (error !== undefined) return Result.fail(error)
  }
  const tooMany = checkRegionLimits(attrs.success, c.targets)
  if (tooMany !== undefined) return Result.fail(tooMany)
  return Result.succeed({
    base: { ops: c.ops, attrs: attrs.success, targets: c.targets, addrUnit: c.addrUnit, minRegionSz: c.minRegionSz },
    schemes: c.schemes
  })
}
