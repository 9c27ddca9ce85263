/**
 * Decoding and validation of user-written DAMOS schemes into {@link SchemeConfig}, and building
 * the running {@link Damos} a kdamond owns from one (`damon_new_scheme()` plus
 * `damos_add_filter()`, `damos_add_quota_goal()` and the migration destinations).
 *
 * Every input field is optional and defaults to the kernel/sysfs default, except the access
 * pattern bounds (see {@link patternDefaults}). Pure: no clock, no randomness; does not commit
 * into a running scheme (see `Commit.ts`).
 */
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { snapshot } from "../../internal/InputSnapshot.ts"
import { decode as decodeWith, decodePlain, Int32, UInt, ULong } from "../../internal/validate.ts"
import { UINT_MAX, ULONG_MAX_SAFE } from "../../internal/uint.ts"
import { type DamonError, formatValue, invalidArgument } from "../../model/DamonError.ts"
import type { DamonCtx } from "../../model/DamonCtx.ts"
import {
  type AccessPattern,
  actions,
  type Damos,
  type Filter,
  type FilterType,
  filterTypes,
  type GoalState,
  goalMetrics,
  isOpsFilterType,
  makeStat,
  type QuotaGoal,
  type QuotaState,
  type SchemeConfig
} from "../../model/Damos.ts"
import { goalsPerSchemeShape, schemeShape, schemesShape } from "../../model/Limits.ts"
import { setNextApplySis } from "../SetAttrs.ts"
import { setFiltersDefaultReject } from "./Filters.ts"

/** `NUMA_NO_NODE`: no migration target node. */
export const NUMA_NO_NODE = -1

const withDefault = <S extends Schema.Top>(schema: S, value: S["Type"]) =>
  schema.pipe(Schema.withDecodingDefaultKey(Effect.succeed(value)))

const NonNegInt32 = Int32.check(Schema.makeFilter((n: number) => (n >= 0 ? undefined : "must be >= 0")))

/**
 * Library defaults of the access pattern: every lower bound `0`, every upper bound the largest
 * representable value (`maxSzRegion` = 2^53-1 bytes, `maxNrAccesses` = `maxAgeRegion` = u32 max).
 *
 * **Details**
 * sysfs defaults every bound to 0, which matches nothing but 0-byte, never-accessed, age-0
 * regions; a library caller who omits a bound means "do not restrict on it", so the defaults
 * here are the widest bounds. The sysfs layer passes its zeros explicitly.
 */
export const patternDefaults: AccessPattern = {
  minSzRegion: 0,
  maxSzRegion: ULONG_MAX_SAFE,
  minNrAccesses: 0,
  maxNrAccesses: UINT_MAX,
  minAgeRegion: 0,
  maxAgeRegion: UINT_MAX
}

/** Schema of the access pattern input; every bound optional (see {@link patternDefaults}). */
export const AccessPatternSchema = Schema.Struct({
  minSzRegion: withDefault(ULong, patternDefaults.minSzRegion),
  maxSzRegion: withDefault(ULong, patternDefaults.maxSzRegion),
  minNrAccesses: withDefault(UInt, patternDefaults.minNrAccesses),
  maxNrAccesses: withDefault(UInt, patternDefaults.maxNrAccesses),
  minAgeRegion: withDefault(UInt, patternDefaults.minAgeRegion),
  maxAgeRegion: withDefault(UInt, patternDefaults.maxAgeRegion)
})

/** Schema of one quota goal input (sysfs defaults: `user_input`, everything else 0). */
export const QuotaGoalSchema = Schema.Struct({
  metric: withDefault(Schema.Literals(goalMetrics), "user_input"),
  targetValue: withDefault(ULong, 0),
  currentValue: withDefault(ULong, 0),
  nid: withDefault(Int32, 0),
  memcgId: withDefault(ULong, 0)
})

/** Schema of the quota input (sysfs defaults: all 0, no goals, `consist` tuner). */
export const QuotaSchema = Schema.Struct({
  resetIntervalMs: withDefault(ULong, 0),
  ms: withDefault(ULong, 0),
  sz: withDefault(ULong, 0),
  goals: withDefault(Schema.Array(QuotaGoalSchema), []),
  goalTuner: withDefault(Schema.Literals(["consist", "temporal"]), "consist"),
  weightSz: withDefault(UInt, 0),
  weightNrAccesses: withDefault(UInt, 0),
  weightAge: withDefault(UInt, 0)
})

/** Schema of the watermarks input (sysfs defaults: metric `none`, all values 0). */
export const WatermarksSchema = Schema.Struct({
  metric: withDefault(Schema.Literals(["none", "free_mem_rate"]), "none"),
  intervalUs: withDefault(ULong, 0),
  high: withDefault(ULong, 0),
  mid: withDefault(ULong, 0),
  low: withDefault(ULong, 0)
})

/** Schema of one migration destination input (sysfs defaults: node 0, weight 0). */
export const MigrateDestSchema = Schema.Struct({
  nid: withDefault(NonNegInt32, 0),
  weight: withDefault(UInt, 0)
})

const quotaDefaults = {
  resetIntervalMs: 0,
  ms: 0,
  sz: 0,
  goals: [],
  goalTuner: "consist",
  weightSz: 0,
  weightNrAccesses: 0,
  weightAge: 0
} as const
const wmarksDefaults = { metric: "none", intervalUs: 0, high: 0, mid: 0, low: 0 } as const

/**
 * Schema of the scheme input. Filters are decoded one by one afterwards (their fields depend on
 * their `type`), so they are `unknown` here.
 */
export const SchemeSchema = Schema.Struct({
  pattern: withDefault(AccessPatternSchema, patternDefaults),
  action: withDefault(Schema.Literals(actions), "stat"),
  applyIntervalUs: withDefault(ULong, 0),
  quota: withDefault(QuotaSchema, quotaDefaults),
  wmarks: withDefault(WatermarksSchema, wmarksDefaults),
  targetNid: withDefault(Int32, NUMA_NO_NODE),
  dests: withDefault(Schema.Array(MigrateDestSchema), []),
  filters: withDefault(Schema.Array(Schema.Unknown), []),
  maxNrSnapshots: withDefault(ULong, 0)
})


/** The scheme every empty input decodes to. */
export const defaults: SchemeConfig = {
  pattern: patternDefaults,
  action: "stat",
  applyIntervalUs: 0,
  quota: quotaDefaults,
  wmarks: wmarksDefaults,
  targetNid: NUMA_NO_NODE,
  dests: [],
  filters: [],
  maxNrSnapshots: 0
}

// --- Filters ---------------------------------------------------------------------------------

const filterBase = {
  matching: withDefault(Schema.Boolean, false),
  allow: withDefault(Schema.Boolean, false)
}

const AddrRangeSchema = Schema.Struct({ start: withDefault(ULong, 0), end: withDefault(ULong, 0) })
const SizeRangeSchema = Schema.Struct({ min: withDefault(ULong, 0), max: withDefault(ULong, 0) })

/** The type-specific argument field of each filter type (`undefined` = none). */
export const filterArgField: Readonly<Record<FilterType, string | undefined>> = {
  anon: undefined,
  active: undefined,
  young: undefined,
  unmapped: undefined,
  memcg: "memcgId",
  addr: "addrRange",
  target: "targetIdx",
  hugepage_size: "szRange"
}

const filterArgFields: ReadonlyArray<string> = ["memcgId", "addrRange", "targetIdx", "szRange"]

const filterSchemas = {
  anon: Schema.Struct({ type: Schema.Literal("anon"), ...filterBase }),
  active: Schema.Struct({ type: Schema.Literal("active"), ...filterBase }),
  young: Schema.Struct({ type: Schema.Literal("young"), ...filterBase }),
  unmapped: Schema.Struct({ type: Schema.Literal("unmapped"), ...filterBase }),
  memcg: Schema.Struct({ type: Schema.Literal("memcg"), ...filterBase, memcgId: withDefault(ULong, 0) }),
  addr: Schema.Struct({
    type: Schema.Literal("addr"),
    ...filterBase,
    addrRange: withDefault(AddrRangeSchema, { start: 0, end: 0 })
  }),
  target: Schema.Struct({ type: Schema.Literal("target"), ...filterBase, targetIdx: withDefault(NonNegInt32, 0) }),
  hugepage_size: Schema.Struct({
    type: Schema.Literal("hugepage_size"),
    ...filterBase,
    szRange: withDefault(SizeRangeSchema, { min: 0, max: 0 })
  })
} as const

/**
 * One filter as a user writes it: the fields of its `type` (`anon` when omitted), each optional
 * with the sysfs default.
 */
export type FilterInput =
  | { readonly [K in FilterType]: (typeof filterSchemas)[K]["Encoded"] }[FilterType]
  | Omit<(typeof filterSchemas)["anon"]["Encoded"], "type">

/** Input accepted by {@link decode}: any subset of the fields. */
export type SchemeInput = Omit<typeof SchemeSchema.Encoded, "filters"> & {
  readonly filters?: ReadonlyArray<FilterInput>
}

/** One quota goal as a user writes it (see {@link QuotaGoalSchema}). */
export type QuotaGoalInput = typeof QuotaGoalSchema.Encoded

const isFilterType = (u: unknown): u is FilterType =>
  typeof u === "string" && (filterTypes as ReadonlyArray<string>).includes(u)

/**
 * Decodes one filter: the `type` (default `anon`, as sysfs) picks the fields; a field another
 * type uses is rejected by name; `addr` needs `start <= end` and `hugepage_size` `min <= max`.
 *
 * **Details**
 * The range checks mirror `damon_sysfs_add_scheme_filters()` (sysfs rejects `end < start` and
 * `min > max` with `-EINVAL`).
 */
const decodePlainFilter = (input: unknown, prefix: string): Result.Result<Filter, DamonError> => {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    return Result.fail(invalidArgument(prefix, input, "must be an object"))
  }
  const record = input as Record<string, unknown>
  const type = "type" in record ? record["type"] : "anon"
  if (!isFilterType(type)) {
    return Result.fail(invalidArgument(`${prefix}.type`, type, `must be one of ${filterTypes.join(", ")}`))
  }
  const own = filterArgField[type]
  for (const field of filterArgFields) {
    if (field !== own && field in record) {
      return Result.fail(invalidArgument(`${prefix}.${field}`, record[field], `not used by filter type ${type}`))
    }
  }
  const decoded = decodePlain(filterSchemas[type], { ...record, type }, prefix)
  if (Result.isFailure(decoded)) return decoded
  const f = decoded.success as Filter
  if (f.type === "addr" && f.addrRange.end < f.addrRange.start) {
    return Result.fail(
      invalidArgument(`${prefix}.addrRange.end`, f.addrRange.end, `must be >= addrRange.start (${f.addrRange.start})`)
    )
  }
  if (f.type === "hugepage_size" && f.szRange.min > f.szRange.max) {
    return Result.fail(
      invalidArgument(`${prefix}.szRange.min`, f.szRange.min, `must be <= szRange.max (${f.szRange.max})`)
    )
  }
  return Result.succeed(f)
}

export const decodeFilter = (input: unknown, prefix: string): Result.Result<Filter, DamonError> => {
  const plain = snapshot(input, prefix)
  return Result.isFailure(plain) ? Result.fail(plain.failure) : decodePlainFilter(plain.success, prefix)
}

// --- Semantic checks -------------------------------------------------------------------------

const checkPattern = (p: AccessPattern, prefix: string): DamonError | undefined => {
  const pairs = [
    ["minSzRegion", "maxSzRegion"],
    ["minNrAccesses", "maxNrAccesses"],
    ["minAgeRegion", "maxAgeRegion"]
  ] as const
  for (const [min, max] of pairs) {
    if (p[min] > p[max]) {
      return invalidArgument(`${prefix}.pattern.${min}`, p[min], `must be <= pattern.${max} (${p[max]})`)
    }
  }
  return undefined
}

/**
 * Checks the quota goals: a zero `targetValue` (the score divides by it) and
 * `node_eligible_mem_bp` on an ops set other than `paddr` are rejected.
 *
 * **Details**
 * sysfs silently skips zero-target goals (`damos_sysfs_add_quota_score()`); the library rejects
 * them instead so a typo does not vanish. The paddr rule mirrors `damon_commit_ctx()`.
 */
const checkGoals = (goals: ReadonlyArray<QuotaGoal>, opsId: string, prefix: string): DamonError | undefined => {
  for (let i = 0; i < goals.length; i++) {
    const g = goals[i]!
    const at = `${prefix}.quota.goals[${i}]`
    if (g.targetValue === 0) return invalidArgument(`${at}.targetValue`, 0, "must be non-zero")
    if (g.metric === "node_eligible_mem_bp" && opsId !== "paddr") {
      return invalidArgument(`${at}.metric`, g.metric, `needs the paddr operations set (ops is ${formatValue(opsId)})`)
    }
  }
  return undefined
}

/**
 * Checks the watermark ordering `high >= mid >= low` for `free_mem_rate`.
 *
 * **Details**
 * The kernel enforces no ordering; with `mid > high` a scheme can never pass the "inactive and
 * between mid and high" state and with `low > mid` it can never activate, so the library
 * rejects both. Metric `none` ignores the values and is not checked.
 */
const checkWmarks = (w: SchemeConfig["wmarks"], prefix: string): DamonError | undefined => {
  if (w.metric === "none") return undefined
  if (w.mid > w.high) return invalidArgument(`${prefix}.wmarks.mid`, w.mid, `must be <= wmarks.high (${w.high})`)
  if (w.low > w.mid) return invalidArgument(`${prefix}.wmarks.low`, w.low, `must be <= wmarks.mid (${w.mid})`)
  return undefined
}

/**
 * Decodes and validates one scheme input into a {@link SchemeConfig}; errors name the field
 * under `prefix` (e.g. `schemes[2].pattern.minNrAccesses`).
 *
 * **Details**
 * Field types first (unsigned/`int` ranges, known action, metric and filter type), then: pattern
 * `min <= max` for size, accesses and age; goals with a non-zero target and
 * `node_eligible_mem_bp` only with `opsId === "paddr"`; watermark ordering (see `checkWmarks`);
 * filters one by one (see {@link decodeFilter}). Destination node ids are non-negative `int`s and
 * weights `u32`s; the kernel migrates nothing when all weights are 0, which is accepted.
 */
export const decode = (input: unknown, opsId: string, prefix = "scheme"): Result.Result<SchemeConfig, DamonError> => {
  const plain = snapshot(input, prefix, schemeShape)
  return Result.isFailure(plain) ? Result.fail(plain.failure) : decodePlainScheme(plain.success, opsId, prefix)
}

/** {@link decode} of a guarded copy (`InputSnapshot.ts`). */
const decodePlainScheme = (input: unknown, opsId: string, prefix: string): Result.Result<SchemeConfig, DamonError> => {
  const decoded = decodePlain(SchemeSchema, input === undefined ? {} : input, prefix)
  if (Result.isFailure(decoded)) return Result.fail(decoded.failure)
  const raw = decoded.success
  const error = checkPattern(raw.pattern, prefix) ??
    checkGoals(raw.quota.goals, opsId, prefix) ??
    checkWmarks(raw.wmarks, prefix)
  if (error !== undefined) return Result.fail(error)
  const filters: Array<Filter> = []
  for (let i = 0; i < raw.filters.length; i++) {
    const f = decodePlainFilter(raw.filters[i], `${prefix}.filters[${i}]`)
    if (Result.isFailure(f)) return Result.fail(f.failure)
    filters.push(f.success)
  }
  return Result.succeed({ ...raw, filters })
}

/**
 * Decodes a list of scheme inputs; the first bad one fails the whole list, named
 * `schemes[i]...`.
 */
export const decodeSchemes = (
  inputs: unknown,
  opsId: string,
  prefix = "schemes"
): Result.Result<Array<SchemeConfig>, DamonError> => {
  const plain = snapshot(inputs, prefix, schemesShape)
  if (Result.isFailure(plain)) return Result.fail(plain.failure)
  const list = plain.success
  if (!Array.isArray(list)) return Result.fail(invalidArgument(prefix, list, "must be an array"))
  const out: Array<SchemeConfig> = []
  for (let i = 0; i < list.length; i++) {
    const s = decodePlainScheme(list[i], opsId, `${prefix}[${i}]`)
    if (Result.isFailure(s)) return Result.fail(s.failure)
    out.push(s.success)
  }
  return Result.succeed(out)
}

const GoalsPerSchemeSchema = Schema.Array(Schema.Array(QuotaGoalSchema))

/**
 * Decodes quota goals per scheme (the input of a goals-only commit); errors name
 * `goals[i][j].field`.
 */
export const decodeGoalsPerScheme = (input: unknown): Result.Result<ReadonlyArray<ReadonlyArray<QuotaGoal>>, DamonError> =>
  decodeWith(GoalsPerSchemeSchema, input, "goals", goalsPerSchemeShape)

/**
 * True when the scheme reads system memory state (a watermark metric or a measured goal
 * metric), so an ops set without `system` metrics cannot serve it faithfully.
 */
export const needsSystemMetrics = (config: SchemeConfig): boolean =>
  config.wmarks.metric !== "none" || config.quota.goals.some((g) => g.metric !== "user_input")

// --- Running scheme --------------------------------------------------------------------------

/** A fresh goal state from a goal config (`last_psi_total` starts at 0, as R2's `kmalloc` + commit). */
export const goalStateOf = (g: QuotaGoal): GoalState => ({
  metric: g.metric,
  targetValue: g.targetValue,
  currentValue: g.currentValue,
  nid: g.nid,
  memcgId: g.memcgId,
  lastPsiTotal: 0
})

/** A quota state with the given parameters and zeroed private charging state. */
export const quotaStateOf = (q: SchemeConfig["quota"]): QuotaState => ({
  resetIntervalMs: q.resetIntervalMs,
  ms: q.ms,
  sz: q.sz,
  goals: q.goals.map(goalStateOf),
  goalTuner: q.goalTuner,
  weightSz: q.weightSz,
  weightNrAccesses: q.weightNrAccesses,
  weightAge: q.weightAge,
  esz: 0,
  eszBp: 0n,
  totalChargedSz: 0,
  totalChargedNs: 0,
  chargedSz: 0,
  chargedFrom: -1,
  chargeTargetFrom: null,
  chargeAddrFrom: 0,
  minScore: 0
})

/**
 * Builds the running scheme for `config`, scheduled relative to `ctx`'s sample count.
 *
 * **Details**
 * Mirrors `damon_new_scheme()` (private quota state zeroed, `wmarks.activated = true`, zero
 * stats, `max_nr_snapshots` copied), `damos_add_filter()` for every filter in order (routed to
 * the core list for `addr`/`target`, else the ops list), the goals and destinations the
 * interfaces attach, and `damon_add_scheme()`'s `damos_set_next_apply_sis()`. The filter
 * default-reject flags are computed here too (the kernel does it at kdamond start and on every
 * filter commit, which every path to a running scheme goes through).
 */
export const fromConfig = (config: SchemeConfig, ctx: DamonCtx): Damos => {
  const s: Damos = {
    pattern: { ...config.pattern },
    action: config.action,
    applyIntervalUs: config.applyIntervalUs,
    quota: quotaStateOf(config.quota),
    wmarks: { ...config.wmarks, activated: true },
    targetNid: config.targetNid,
    dests: config.dests.map((d) => ({ nid: d.nid, weight: d.weight })),
    coreFilters: config.filters.filter((f) => !isOpsFilterType(f.type)),
    opsFilters: config.filters.filter((f) => isOpsFilterType(f.type)),
    stat: makeStat(),
    maxNrSnapshots: config.maxNrSnapshots,
    nextApplySis: 0,
    lastApplied: -1,
    walkCompleted: false,
    coreFiltersAllowed: false,
    coreFiltersDefaultReject: false,
    opsFiltersDefaultReject: false
  }
  setFiltersDefaultReject(s)
  setNextApplySis(ctx, s)
  return s
}
