/**
 * Helpers shared by the operations sets, after `mm/damon/ops-common.c`: the DAMOS
 * prioritisation scores, the ops-filter chain of a scheme, the sampling state of an instance and
 * the modelled cost of an action. Pure.
 */
import * as Attrs from "../model/Attrs.ts"
import type { DamonCtx } from "../model/DamonCtx.ts"
import type { Damos, Filter } from "../model/Damos.ts"
import type { Region } from "../model/Region.ts"
import type { ActionOutcome, MemAction } from "./AddressSpace.ts"
import { type FolioFilterChain, makeChain } from "./FolioFilter.ts"

/** `DAMOS_MAX_SCORE`. */
export const DAMOS_MAX_SCORE = 99

const MAX_SUBSCORE = 100
const MAX_AGE_IN_LOG = 32

/**
 * The hotness of `r` in [0, 99] from its access frequency and age, weighted by the scheme's
 * quota weights.
 *
 * **Details**
 * Mirrors `damon_hot_score()` (R2 ops-common): `freq = nr_accesses * 100 / samples_per_aggr`
 * (u32 arithmetic), `age_in_log = ilog2(age seconds) + 1` capped at 32 and negated when the
 * frequency is 0, `age_sub = (age_in_log + 32) * 100 / 32 / 2`, the weighted mean of the two
 * (unsigned division), then `* 99 / 100` clamped to [0, 99]. `weightSz` is ignored, as in the
 * kernel.
 */
export const hotScore = (ctx: DamonCtx, r: Region, s: Damos): number => {
  const freqWeight = s.quota.weightNrAccesses >>> 0
  const ageWeight = s.quota.weightAge >>> 0
  const samples = Math.max(Attrs.maxNrAccesses(ctx.attrs), 1)
  const freq = Math.floor(((r.nrAccesses * MAX_SUBSCORE) >>> 0) / samples)
  const ageInSec = Math.floor((r.age * ctx.attrs.aggrIntervalUs) / 1_000_000) >>> 0
  let ageInLog = ageInSec !== 0 ? Math.min(31 - Math.clz32(ageInSec) + 1, MAX_AGE_IN_LOG) : 0
  if (freq === 0) ageInLog = -ageInLog
  ageInLog += MAX_AGE_IN_LOG
  const ageSub = Math.trunc(Math.trunc((ageInLog * MAX_SUBSCORE) / MAX_AGE_IN_LOG) / 2)
  let hotness = (freqWeight * freq + ageWeight * ageSub) >>> 0
  const div = (freqWeight + ageWeight) >>> 0
  hotness = div !== 0 ? Math.floor(hotness / div) | 0 : hotness | 0
  hotness = Math.trunc(Math.imul(hotness, DAMOS_MAX_SCORE) / MAX_SUBSCORE)
  return Math.max(Math.min(hotness, DAMOS_MAX_SCORE), 0)
}

/** The coldness of `r`: `99 - hotScore`. Mirrors `damon_cold_score()`. */
export const coldScore = (ctx: DamonCtx, r: Region, s: Damos): number => DAMOS_MAX_SCORE - hotScore(ctx, r, s)

/**
 * Slots of the per-instance sampling state (see {@link makeSampleState}): the folio cache of the
 * access check (`ALIGN_DOWN(last_addr, last_folio_sz)` kept as a folio index, the folio size and
 * its reciprocal, the last answer as 0/1).
 */
export const SampleSlot = { folioIdx: 0, folioSz: 1, folioInv: 2, accessed: 3 } as const

/**
 * A fresh sampling state: a `Float64Array`, so the hot loops store large doubles without boxing
 * them (closure variables holding non-small integers allocate on every store). The folio cache
 * starts as the kernel's statics do: address 0, `PAGE_SIZE`, not accessed.
 */
export const makeSampleState = (): Float64Array => {
  const st = new Float64Array(4)
  st[SampleSlot.folioSz] = 4096
  st[SampleSlot.folioInv] = 1 / 4096
  return st
}

/** True when the scheme has ops-layer filters. Mirrors `damos_ops_has_filter()`. */
export const hasOpsFilter = (s: Damos): boolean => s.opsFilters.length > 0

/**
 * `stat` without ops filters: the one action both ops sets answer with nothing at all (no
 * bytes applied or passed, no cost, nothing changed), for `DamonOps.applyIsNoop`.
 */
export const statWithoutOpsFilters = (s: Damos): boolean => s.action === "stat" && !hasOpsFilter(s)

/** A prioritisation score function of an ops set (`hotScore` or `coldScore`). */
export type ScoreFn = (ctx: DamonCtx, r: Region, s: Damos) => number

/** The implicit filter paddr's pageout installs: `young, matching=Y, allow=N`. */
export const implicitYoungFilter: Filter = { type: "young", matching: true, allow: false }

/**
 * The scheme's ops-filter chain as evaluated per folio (`damos_pa_filter_out()` /
 * `damos_va_filter_out()`), optionally with one filter appended (paddr pageout's young check).
 *
 * **Details**
 * The default-reject flag is the scheme's `opsFiltersDefaultReject` as it stands: like the
 * kernel, an appended temporary filter does not recompute it.
 */
export const opsChain = (s: Damos, extra?: Filter): FolioFilterChain =>
  makeChain(extra === undefined ? s.opsFilters : [...s.opsFilters, extra], s.coreFiltersAllowed, s.opsFiltersDefaultReject)

/**
 * Modelled costs, in nanoseconds. Per call: `callNs` (a `madvise()` or a folio walk's setup).
 * Per visited folio: `folioNs`. Per affected 4 KiB page: by action. Per converted 2 MiB page:
 * `collapseHugeNs` (allocate and copy, as khugepaged does) and `splitHugeNs`.
 */
export const costs = {
  callNs: 2_000,
  folioNs: 30,
  pageoutPageNs: 1_500,
  lruPageNs: 100,
  willneedPageNs: 2_000,
  migratePageNs: 1_200,
  collapseHugeNs: 60_000,
  splitHugeNs: 3_000
} as const

/** Modelled time `action` took for `outcome`, in nanoseconds (see {@link costs}). */
export const actionCostNs = (action: MemAction, outcome: ActionOutcome): number => {
  const pagesAffected = outcome.affectedBytes / 4096
  let perPage = 0
  switch (action) {
    case "pageout":
      perPage = costs.pageoutPageNs
      break
    case "deactivate":
    case "activate":
      perPage = costs.lruPageNs
      break
    case "willneed":
      perPage = costs.willneedPageNs
      break
    case "migrate":
      perPage = costs.migratePageNs
      break
    case "hugepage":
    case "collapse":
      perPage = costs.collapseHugeNs / 512
      break
    case "nohugepage":
      perPage = costs.splitHugeNs / 512
      break
    case "stat":
      perPage = 0
      break
  }
  return Math.round(costs.callNs + outcome.folios * costs.folioNs + pagesAffected * perPage)
}
