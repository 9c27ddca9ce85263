/**
 * Online parameter commit of DAMOS schemes into a running context: the scheme part of
 * `damon_commit_ctx()` (`damon_commit_schemes()`, `damos_commit()`, `damos_commit_quota()`,
 * `damos_commit_quota_goals()`, `damos_commit_filters()`, `damos_commit_dests()`, R2
 * `mm/damon/core.c`).
 *
 * Everything user-visible is copied; the running state (stats, next apply time, walk flag,
 * quota charging and feedback state, PSI baselines) is kept. Pure: no clock, no randomness.
 * Does not validate (decode configs with `DamosConfig.decode` first) and does not commit
 * targets, attributes or the ops set (the engine does).
 */
import type { DamonCtx } from "../../model/DamonCtx.ts"
import {
  type Damos,
  type Filter,
  type GoalState,
  isOpsFilterType,
  type MigrateDest,
  type Quota,
  type QuotaGoal,
  type QuotaState,
  type SchemeConfig
} from "../../model/Damos.ts"
import { fromConfig, goalStateOf } from "./DamosConfig.ts"
import { setFiltersDefaultReject } from "./Filters.ts"

/**
 * Copies one goal's parameters into a running goal: metric, target value, node and memcg ids
 * always, the current value only for `user_input`; `lastPsiTotal` is kept so PSI deltas stay
 * continuous.
 *
 * **Details**
 * Mirrors `damos_commit_quota_goal()` (R2). The kernel keeps `nid`/`memcg_id` in a union with
 * `last_psi_total` and copies them only for the node metrics (R2 misses
 * `node_eligible_mem_bp`'s `nid`, fixed in the development tree); the model keeps separate
 * fields, so both are always copied.
 *
 * **Gotchas**
 * Mutates `dst`.
 */
export const commitQuotaGoal = (dst: GoalState, src: QuotaGoal): void => {
  dst.metric = src.metric
  dst.targetValue = src.targetValue
  if (dst.metric === "user_input") dst.currentValue = src.currentValue
  dst.nid = src.nid
  dst.memcgId = src.memcgId
}

/**
 * Commits a goal list into a running quota by position: matched goals are committed, extra
 * running goals dropped, extra source goals appended.
 *
 * **Details**
 * Mirrors `damos_commit_quota_goals()` (R2, which applies the full goal commit to new goals
 * too; new goals start with `currentValue` from the source and `lastPsiTotal` 0). Also used on
 * its own by sysfs `commit_schemes_quota_goals`.
 *
 * **Gotchas**
 * Mutates `dst.goals`.
 */
export const commitQuotaGoals = (dst: QuotaState, src: ReadonlyArray<QuotaGoal>): void => {
  const n = Math.min(dst.goals.length, src.length)
  for (let i = 0; i < n; i++) commitQuotaGoal(dst.goals[i]!, src[i]!)
  dst.goals.length = n
  for (let i = n; i < src.length; i++) dst.goals.push(goalStateOf(src[i]!))
}

/**
 * Commits the quota parameters (window, time and size quotas, goals, tuner, weights), keeping
 * the charging state.
 *
 * **Details**
 * Mirrors `damos_commit_quota()` (R2; the NEXT-only failed-charge ratio does not exist here).
 *
 * **Gotchas**
 * Mutates `dst`.
 */
export const commitQuota = (dst: QuotaState, src: Quota): void => {
  dst.resetIntervalMs = src.resetIntervalMs
  dst.ms = src.ms
  dst.sz = src.sz
  commitQuotaGoals(dst, src.goals)
  dst.goalTuner = src.goalTuner
  dst.weightSz = src.weightSz
  dst.weightNrAccesses = src.weightNrAccesses
  dst.weightAge = src.weightAge
}

/**
 * The committed value of one filter: type, matching, allow and the type's argument of `src`.
 * Mirrors `damos_commit_filter()` (R2, which copies `allow`; R1 did not).
 */
export const commitFilter = (_dst: Filter, src: Filter): Filter => ({ ...src })

const commitFilterList = (dst: Array<Filter>, src: ReadonlyArray<Filter>): void => {
  const n = Math.min(dst.length, src.length)
  for (let i = 0; i < n; i++) dst[i] = commitFilter(dst[i]!, src[i]!)
  dst.length = n
  for (let i = n; i < src.length; i++) dst.push({ ...src[i]! })
}

/**
 * Commits a scheme's filters, given in the order they were added: the core-handled and the
 * ops-handled ones are committed separately, each list by position; then the default-reject
 * flags are recomputed.
 *
 * **Details**
 * Mirrors `damos_commit_filters()` (R2: `damos_commit_core_filters()` then
 * `damos_commit_ops_filters()`, each matching the n-th filter of its own list, new filters
 * routed by type, then `damos_set_filters_default_reject()`).
 *
 * **Gotchas**
 * Mutates `dst`.
 */
export const commitFilters = (dst: Damos, src: ReadonlyArray<Filter>): void => {
  commitFilterList(dst.coreFilters, src.filter((f) => !isOpsFilterType(f.type)))
  commitFilterList(dst.opsFilters, src.filter((f) => isOpsFilterType(f.type)))
  setFiltersDefaultReject(dst)
}

/**
 * Makes the scheme's migration destinations equal to `src`. Mirrors `damos_commit_dests()`.
 *
 * **Gotchas**
 * Mutates `dst.dests`.
 */
export const commitDests = (dst: Damos, src: ReadonlyArray<MigrateDest>): void => {
  dst.dests.length = 0
  for (const d of src) dst.dests.push({ nid: d.nid, weight: d.weight })
}

/**
 * Commits a scheme config into a running scheme.
 *
 * **Details**
 * Mirrors `damos_commit()` (R2): copies pattern, action, apply interval (`nextApplySis` is not
 * recomputed), quota parameters, the whole watermarks including `activated = true` (the kernel
 * copies a fresh scheme's watermarks, so a commit re-activates a deactivated scheme until the
 * next check), target node, destinations, filters and `maxNrSnapshots`. Keeps stats,
 * `nextApplySis`, `walkCompleted`, `lastApplied` and all private quota state.
 *
 * **Gotchas**
 * Mutates `dst`.
 */
export const commitScheme = (dst: Damos, src: SchemeConfig): void => {
  dst.pattern = { ...src.pattern }
  dst.action = src.action
  dst.applyIntervalUs = src.applyIntervalUs
  commitQuota(dst.quota, src.quota)
  dst.wmarks = { ...src.wmarks, activated: true }
  dst.targetNid = src.targetNid
  commitDests(dst, src.dests)
  commitFilters(dst, src.filters)
  dst.maxNrSnapshots = src.maxNrSnapshots
}

/**
 * Commits a list of scheme configs into the context by position: matched schemes are
 * committed, extra running schemes dropped, extra configs added as new schemes due one apply
 * interval from now.
 *
 * **Details**
 * Mirrors `damon_commit_schemes()` (R2; new schemes via `damon_new_scheme()` + `damos_commit()` +
 * `damon_add_scheme()`, i.e. {@link fromConfig}). The `node_eligible_mem_bp`-needs-paddr check of
 * `damon_commit_ctx()` belongs to decoding (`DamosConfig.decode` with the new ops id).
 *
 * **Gotchas**
 * Mutates `ctx.schemes` (dropped schemes leave the list; a pending walk's completion is the
 * engine's concern).
 */
export const commitSchemes = (ctx: DamonCtx, src: ReadonlyArray<SchemeConfig>): void => {
  const n = Math.min(ctx.schemes.length, src.length)
  for (let i = 0; i < n; i++) commitScheme(ctx.schemes[i]!, src[i]!)
  ctx.schemes.length = n
  for (let i = n; i < src.length; i++) ctx.schemes.push(fromConfig(src[i]!, ctx))
}
