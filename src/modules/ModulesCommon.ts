/**
 * What DAMON_RECLAIM and DAMON_LRU_SORT share, the counterpart of `mm/damon/modules-common.{c,h}`
 * plus the pieces both modules' `*_apply_parameters()` repeat: the parameter groups
 * (`DEFINE_DAMON_MODULES_MON_ATTRS_PARAMS`, `..._DAMOS_TIME_QUOTA`, `..._DAMOS_QUOTAS`,
 * `..._WMARKS_PARAMS`, `..._DAMOS_STATS_PARAMS`), the paddr parameter context with its one target
 * (`damon_modules_new_paddr_ctx_target()`), `addr_unit`, the monitoring region default, and the
 * statistics view. Pure: builds engine config input, starts nothing (see `ModuleRuntime.ts`).
 */
import type * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import type { SchemeInput } from "../core/damos/DamosConfig.ts"
import type { AddrRange } from "../model/AddrRange.ts"
import type { Kdamond } from "../engine/Kdamond.ts"
import type { AttrsInput } from "../model/Attrs.ts"
import type { ConfigInput } from "../model/DamonConfig.ts"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import { DAMON_MIN_REGION_SZ } from "../model/DamonCtx.ts"
import type { Stat } from "../model/Damos.ts"
import { isPowerOfTwo } from "../internal/uint.ts"
import type { InputParam, ParamRecord } from "./ModuleParams.ts"

/** `PAGE_SIZE` of the modules' access patterns (`min_sz_region`). */
export const PAGE_SIZE = DAMON_MIN_REGION_SZ

/**
 * Where the modules monitor when `monitor_region_start` and `monitor_region_end` are both 0:
 * `"biggest"` = the biggest System RAM resource (`damon_set_region_biggest_system_ram_default()`,
 * R2), `"systemRams"` = from the start of the first to the end of the last System RAM resource
 * (`damon_set_region_system_rams_default()`, mainline lru_sort and the maintainer's newest reclaim).
 */
export type DefaultRegion = "biggest" | "systemRams"

/** The physical memory a module monitors: its "System RAM" resources (`/proc/iomem`). A `SimMachine` is one. */
export interface SystemRam {
  readonly systemRamRanges: () => ReadonlyArray<AddrRange>
}

// --- Parameter groups ---------------------------------------------------------------------

/** The monitoring attributes parameters (`DEFINE_DAMON_MODULES_MON_ATTRS_PARAMS`). */
export interface MonAttrsParams {
  /** `sample_interval`, µs. */
  readonly sampleIntervalUs: number
  /** `aggr_interval`, µs. */
  readonly aggrIntervalUs: number
  /** `min_nr_regions`. */
  readonly minNrRegions: number
  /** `max_nr_regions`. */
  readonly maxNrRegions: number
}

/** The watermarks parameters (`DEFINE_DAMON_MODULES_WMARKS_PARAMS`); the metric is always `free_mem_rate`. */
export interface WmarksParams {
  /** `wmarks_interval`, µs. */
  readonly wmarksIntervalUs: number
  /** `wmarks_high`, free memory per-mille. */
  readonly wmarksHigh: number
  /** `wmarks_mid`, free memory per-mille. */
  readonly wmarksMid: number
  /** `wmarks_low`, free memory per-mille. */
  readonly wmarksLow: number
}

/** The time quota parameters (`DEFINE_DAMON_MODULES_DAMOS_TIME_QUOTA`). */
export interface TimeQuotaParams {
  /** `quota_ms`. */
  readonly quotaMs: number
  /** `quota_reset_interval_ms`. */
  readonly quotaResetIntervalMs: number
}

/** The monitoring region and address unit parameters. */
export interface RegionParams {
  /** `monitor_region_start`, in `addr_unit` units; 0 with `monitorRegionEnd` 0 = the default region. */
  readonly monitorRegionStart: number
  /** `monitor_region_end`, in `addr_unit` units. */
  readonly monitorRegionEnd: number
  /** `addr_unit`: core-address to physical-address factor; never 0. */
  readonly addrUnit: number
}

/** Table entries of {@link MonAttrsParams}. */
export const monAttrsTable = <P extends MonAttrsParams & ParamRecord<P>>(): Array<InputParam<P>> => [
  { name: "sample_interval", key: "sampleIntervalUs", kind: "ulong" },
  { name: "aggr_interval", key: "aggrIntervalUs", kind: "ulong" },
  { name: "min_nr_regions", key: "minNrRegions", kind: "ulong" },
  { name: "max_nr_regions", key: "maxNrRegions", kind: "ulong" }
]

/** Table entries of {@link WmarksParams}. */
export const wmarksTable = <P extends WmarksParams & ParamRecord<P>>(): Array<InputParam<P>> => [
  { name: "wmarks_interval", key: "wmarksIntervalUs", kind: "ulong" },
  { name: "wmarks_high", key: "wmarksHigh", kind: "ulong" },
  { name: "wmarks_mid", key: "wmarksMid", kind: "ulong" },
  { name: "wmarks_low", key: "wmarksLow", kind: "ulong" }
]

/** Table entries of {@link TimeQuotaParams}. */
export const timeQuotaTable = <P extends TimeQuotaParams & ParamRecord<P>>(): Array<InputParam<P>> => [
  { name: "quota_ms", key: "quotaMs", kind: "ulong" },
  { name: "quota_reset_interval_ms", key: "quotaResetIntervalMs", kind: "ulong" }
]

/** Table entries of {@link RegionParams}. */
export const regionTable = <P extends RegionParams & ParamRecord<P>>(): Array<InputParam<P>> => [
  { name: "monitor_region_start", key: "monitorRegionStart", kind: "ulong" },
  { name: "monitor_region_end", key: "monitorRegionEnd", kind: "ulong" },
  { name: "addr_unit", key: "addrUnit", kind: "ulong", nonZero: true }
]

// --- Statistics ---------------------------------------------------------------------------

/** One scheme's statistics as the module's read-only parameters show them. */
export interface SchemeStats {
  /** `nr_<try>`: regions the scheme tried. */
  readonly nrTried: number
  /** `bytes_<try>`: bytes of those regions, in `addr_unit` units. */
  readonly bytesTried: number
  /** `nr_<succ>`: regions the action was applied to. */
  readonly nrApplied: number
  /** `bytes_<succ>`: bytes the action was applied to, in `addr_unit` units. */
  readonly bytesApplied: number
  /** `nr_<qt_exceed>`: quota windows that ended with the quota exceeded. */
  readonly nrQuotaExceeds: number
}

/** All zero. */
export const zeroStats: SchemeStats = { nrTried: 0, bytesTried: 0, nrApplied: 0, bytesApplied: 0, nrQuotaExceeds: 0 }

/**
 * The stats a module shows for a scheme: what its context's scheme accumulated in earlier runs
 * (`base`) plus the running scheme's `stat`.
 *
 * **Details**
 * The kernel module keeps one context for its lifetime and commits every new parameter context
 * into it, so a scheme's `stat` survives disable/enable; here each enable starts a fresh
 * kdamond, and the base carries the earlier runs' counts.
 */
export const statsOf = (base: SchemeStats, s: Stat): SchemeStats => ({
  nrTried: base.nrTried + s.nrTried,
  bytesTried: base.bytesTried + s.szTried,
  nrApplied: base.nrApplied + s.nrApplied,
  bytesApplied: base.bytesApplied + s.szApplied,
  nrQuotaExceeds: base.nrQuotaExceeds + s.qtExceeds
})

/** The five read-only parameters of one scheme (`DEFINE_DAMON_MODULES_DAMOS_STATS_PARAMS`). */
export const statsParamNames = (
  tryName: string,
  succName: string,
  qtExceedName: string
): ReadonlyArray<readonly [string, keyof SchemeStats]> => [
  [`nr_${tryName}`, "nrTried"],
  [`bytes_${tryName}`, "bytesTried"],
  [`nr_${succName}`, "nrApplied"],
  [`bytes_${succName}`, "bytesApplied"],
  [`nr_${qtExceedName}`, "nrQuotaExceeds"]
]

// --- The parameter context ------------------------------------------------------------------

/** The engine config a module commits: one `paddr` context with one target. */
export interface ModuleConfig extends ConfigInput {
  readonly ops: "paddr"
  readonly attrs: AttrsInput
  readonly targets: ReadonlyArray<{ readonly regions: ReadonlyArray<AddrRange> }>
  readonly schemes: ReadonlyArray<SchemeInput>
  readonly addrUnit: number
  readonly minRegionSz: number
}

/**
 * `max(DAMON_MIN_REGION_SZ / addr_unit, 1)`: the minimum region size of a module context.
 *
 * **Details**
 * Mirrors the line both modules' `*_apply_parameters()` run after `param_ctx->addr_unit = addr_unit`.
 */
export const minRegionSzOf = (addrUnit: number): number => Math.max(Math.floor(DAMON_MIN_REGION_SZ / addrUnit), 1)

/**
 * Checks `addr_unit`: non-zero, and giving a power-of-two minimum region size.
 *
 * **Details**
 * The kernel checks the power of two in `damon_commit_ctx()` (R2; after marking the context
 * `maybe_corrupted`, so a bad value stops the kdamond) and lru_sort also up front; here every
 * module checks it up front and names the parameter.
 */
export const checkAddrUnit = (prefix: string, addrUnit: number): DamonError | undefined => {
  if (addrUnit === 0) return invalidArgument(`${prefix}.addr_unit`, addrUnit, "must not be 0")
  const sz = minRegionSzOf(addrUnit)
  return isPowerOfTwo(sz)
    ? undefined
    : invalidArgument(
      `${prefix}.addr_unit`,
      addrUnit,
      `gives a minimum region size of max(${DAMON_MIN_REGION_SZ} / addr_unit, 1) = ${sz}, which is not a power of two`
    )
}

/**
 * Checks the monitoring attributes parameters with the rules of `damon_set_attrs()`, naming the
 * module parameter.
 *
 * **Details**
 * Mirrors `damon_validate_attrs()` (R2/NEXT, which DAMON_RECLAIM's `commit_inputs` store calls):
 * `min_nr_regions >= 3`, `min_nr_regions <= max_nr_regions`, `sample_interval <= aggr_interval`.
 */
export const checkMonAttrs = (prefix: string, p: MonAttrsParams): DamonError | undefined => {
  if (p.minNrRegions < 3) return invalidArgument(`${prefix}.min_nr_regions`, p.minNrRegions, "must be >= 3")
  if (p.minNrRegions > p.maxNrRegions) {
    return invalidArgument(`${prefix}.min_nr_regions`, p.minNrRegions, `must be <= max_nr_regions (${p.maxNrRegions})`)
  }
  if (p.sampleIntervalUs > p.aggrIntervalUs) {
    return invalidArgument(
      `${prefix}.sample_interval`,
      p.sampleIntervalUs,
      `must be <= aggr_interval (${p.aggrIntervalUs})`
    )
  }
  return undefined
}

/**
 * The scheme watermarks of the parameters (metric `free_mem_rate`).
 *
 * **Details**
 * The kernel takes any values; the library refuses `wmarks_mid > wmarks_high` and
 * `wmarks_low > wmarks_mid` (a scheme could never activate or never deactivate), reported here
 * under the module parameter's name.
 */
export const wmarksOf = (
  prefix: string,
  p: WmarksParams
): Result.Result<NonNullable<SchemeInput["wmarks"]>, DamonError> => {
  if (p.wmarksMid > p.wmarksHigh) {
    return Result.fail(invalidArgument(`${prefix}.wmarks_mid`, p.wmarksMid, `must be <= wmarks_high (${p.wmarksHigh})`))
  }
  if (p.wmarksLow > p.wmarksMid) {
    return Result.fail(invalidArgument(`${prefix}.wmarks_low`, p.wmarksLow, `must be <= wmarks_mid (${p.wmarksMid})`))
  }
  return Result.succeed({
    metric: "free_mem_rate",
    intervalUs: p.wmarksIntervalUs,
    high: p.wmarksHigh,
    mid: p.wmarksMid,
    low: p.wmarksLow
  })
}

/**
 * The range to monitor: the parameters' `[monitor_region_start, monitor_region_end)`, or the
 * default region (in `addr_unit` units) when both are 0.
 *
 * **Details**
 * Mirrors `damon_set_region_biggest_system_ram_default()` (`"biggest"`) and
 * `damon_set_region_system_rams_default()` (`"systemRams"`): `start > end` is `-EINVAL`; no
 * System RAM is `-EINVAL`. The caller writes the default back into the parameters, as the
 * kernel does through its pointer arguments. The library also refuses an empty range
 * (`start == end`, not both 0).
 */
export const monitorRegion = (
  prefix: string,
  p: RegionParams,
  ram: ReadonlyArray<AddrRange>,
  mode: DefaultRegion
): Result.Result<AddrRange, DamonError> => {
  const { monitorRegionStart: start, monitorRegionEnd: end, addrUnit } = p
  if (start > end) {
    return Result.fail(invalidArgument(`${prefix}.monitor_region_start`, start, `must be <= monitor_region_end (${end})`))
  }
  if (start !== 0 || end !== 0) {
    return start === end
      ? Result.fail(invalidArgument(`${prefix}.monitor_region_end`, end, `must be > monitor_region_start (${start})`))
      : Result.succeed({ start, end })
  }
  const sorted = [...ram].filter((r) => r.end > r.start).sort((a, b) => a.start - b.start)
  if (sorted.length === 0) {
    return Result.fail(invalidArgument(`${prefix}.monitor_region_start`, 0, "no System RAM to default to"))
  }
  let range = sorted[0]!
  if (mode === "biggest") {
    for (const r of sorted) if (r.end - r.start > range.end - range.start) range = r
  } else {
    range = { start: sorted[0]!.start, end: sorted[sorted.length - 1]!.end }
  }
  const core = { start: Math.floor(range.start / addrUnit), end: Math.floor(range.end / addrUnit) }
  return core.end > core.start
    ? Result.succeed(core)
    : Result.fail(invalidArgument(`${prefix}.addr_unit`, addrUnit, "leaves no System RAM in core addresses"))
}

/**
 * The module's parameter context: `paddr`, the attrs (with `ops_update_interval` 0: paddr has
 * no update operation), one target covering `region`, the schemes, `addr_unit` and its minimum
 * region size.
 *
 * **Details**
 * Mirrors `damon_modules_new_paddr_ctx_target()` plus the `addr_unit`/`min_region_sz` lines of
 * `*_apply_parameters()`.
 */
export const paddrConfig = (
  attrs: AttrsInput,
  region: AddrRange,
  schemes: ReadonlyArray<SchemeInput>,
  addrUnit: number
): ModuleConfig => ({
  ops: "paddr",
  attrs: { ...attrs, opsUpdateIntervalUs: 0 },
  targets: [{ regions: [region] }],
  schemes,
  addrUnit,
  minRegionSz: minRegionSzOf(addrUnit)
})

/**
 * What both modules offer, shaped like their `/sys/module/<module>/parameters/` files plus a
 * typed view. `P` is the input parameters, `I` a patch of them, `S` the statistics parameters.
 */
export interface DamonModule<P, I, S> {
  /** The input parameters, typed. */
  readonly params: Effect.Effect<P>
  /**
   * Writes input parameters, all or nothing; a running module sees them after `commitInputs`.
   * Errors name the kernel parameter (`damon_<module>.<name>`) and the value.
   */
  readonly set: (patch: I) => Effect.Effect<void, DamonError>
  /** Whether the module's kdamond runs (`enabled`). */
  readonly enabled: Effect.Effect<boolean>
  /**
   * Writes `enabled = Y`: builds the parameter context and starts it exclusively. `Busy` while
   * any other DAMON user runs; an invalid parameter is an `InvalidArgument` naming it. Nothing
   * when already running.
   */
  readonly enable: Effect.Effect<void, DamonError>
  /** Writes `enabled = N`: stops the kdamond. Nothing when not running. */
  readonly disable: Effect.Effect<void>
  /** Writes `commit_inputs = Y` (each module documents when the parameters take effect). */
  readonly commitInputs: Effect.Effect<void, DamonError>
  /** `kdamond_pid`: the running kdamond's pid, or `-1`. */
  readonly kdamondPid: Effect.Effect<number>
  /** The kdamond of the current (or last, until `disable`) run, to observe it. */
  readonly kdamond: Effect.Effect<Kdamond | undefined>
  /** The statistics parameters, as last copied by the repeat call. */
  readonly stats: Effect.Effect<S>
  /** Reads a parameter file: the kernel's text, trailing newline included. */
  readonly read: (name: string) => Effect.Effect<string, DamonError>
  /**
   * Writes a parameter file as `echo text > file` does: `ENOENT` for an unknown name, `EACCES`
   * for a read-only one, `EINVAL`/`ERANGE` for bad text (nothing changes).
   */
  readonly write: (name: string, text: string) => Effect.Effect<void, DamonError>
  /** The parameter file names, sorted. */
  readonly parameters: ReadonlyArray<string>
}

/**
 * The parameters after a build: when both monitoring-region bounds are 0, the region the build
 * chose (the default), as the kernel writes it back through its pointer arguments
 * (`damon_set_region_biggest_system_ram_default()`); otherwise `params` unchanged.
 */
export const withRegionWrittenBack = <P extends RegionParams>(params: P, region: AddrRange): P =>
  params.monitorRegionStart === 0 && params.monitorRegionEnd === 0
    ? { ...params, monitorRegionStart: region.start, monitorRegionEnd: region.end }
    : params
