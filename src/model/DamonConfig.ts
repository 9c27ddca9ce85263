/**
 * A context's user parameters: what a user (or the admin tree, or a module) asks a kdamond to
 * do. It plays the role of the kernel's never-started "parameter" `damon_ctx` that is
 * committed into a running one. Decoding validates everything up front, so building or
 * committing a context from a decoded config cannot fail half-way.
 */
import { Effect, Result, Schema } from "effect"
import { decode, ULong } from "../internal/validate.ts"
import { isPowerOfTwo } from "../internal/uint.ts"
import type { AddrRange } from "./AddrRange.ts"
import * as Attrs from "./Attrs.ts"
import { type DamonError, invalidArgument } from "./DamonError.ts"
import { DAMON_MIN_REGION_SZ } from "./DamonCtx.ts"

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

const TargetSchema = Schema.Struct({
  pid: Schema.NullOr(Schema.Number.check(Schema.makeFilter((n: number) =>
    Number.isInteger(n) && n >= 0 && n <= 0x7fff_ffff ? undefined : "must be a process id in [0, 2147483647]"
  ))).pipe(Schema.withDecodingDefaultKey(Effect.succeed(null))),
  regions: Schema.Array(RangeSchema).pipe(Schema.withDecodingDefaultKey(Effect.succeed([]))),
  obsolete: Schema.Boolean.pipe(Schema.withDecodingDefaultKey(Effect.succeed(false)))
})

/** Schema of the config input (schemes are decoded separately). */
export const ConfigSchema = Schema.Struct({
  ops: Schema.String,
  attrs: Schema.Unknown.pipe(Schema.withDecodingDefaultKey(Effect.succeed({}))),
  targets: Schema.Array(TargetSchema).pipe(Schema.withDecodingDefaultKey(Effect.succeed([]))),
  schemes: Schema.Array(Schema.Unknown).pipe(Schema.withDecodingDefaultKey(Effect.succeed([]))),
  addrUnit: ULong.pipe(Schema.withDecodingDefaultKey(Effect.succeed(1))),
  minRegionSz: ULong.pipe(Schema.withDecodingDefaultKey(Effect.succeed(DAMON_MIN_REGION_SZ)))
})

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
 * Decodes and validates everything but the schemes; returns the raw scheme inputs alongside
 * for the DAMOS decoder.
 */
export const decodeBase = (
  input: unknown
): Result.Result<{ readonly base: DamonConfigBase; readonly schemes: ReadonlyArray<unknown> }, DamonError> => {
  const decoded = decode(ConfigSchema, input, "")
  if (Result.isFailure(decoded)) return Result.fail(decoded.failure)
  const c = decoded.success
  const attrs = Attrs.make(c.attrs)
  if (Result.isFailure(attrs)) return Result.fail(attrs.failure)
  if (!isPowerOfTwo(c.minRegionSz)) return Result.fail(invalidArgument("minRegionSz", c.minRegionSz, "must be a power of two"))
  if (c.addrUnit === 0) return Result.fail(invalidArgument("addrUnit", c.addrUnit, "must be > 0"))
  for (let i = 0; i < c.targets.length; i++) {
    const error = checkRanges(c.targets[i]!.regions, `targets[${i}].regions`)
    if (error !== undefined) return Result.fail(error)
  }
  return Result.succeed({
    base: { ops: c.ops, attrs: attrs.success, targets: c.targets, addrUnit: c.addrUnit, minRegionSz: c.minRegionSz },
    schemes: c.schemes
  })
}
