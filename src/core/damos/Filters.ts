/**
 * DAMOS filters: core-layer matching (`addr`, `target`, which may split regions), the core
 * filter verdict, the default-reject flags, and the first-match rule the ops sets apply per
 * folio (`damos_filter_match()`, `damos_core_filter_out()`, `damos_set_filters_default_reject()`
 * in `mm/damon/core.c`; `damos_pa_filter_out()`-style helpers in the ops sets).
 *
 * Pure: no clock, no randomness. Does not evaluate the ops filter types (anon, memcg, young, ...):
 * only an ops set knows its pages; it uses {@link opsFilterOut} with its own matcher.
 */
import { alignDown } from "../../internal/uint.ts"
import type { DamonCtx } from "../../model/DamonCtx.ts"
import type { Damos, Filter, FilterType } from "../../model/Damos.ts"
import * as Target from "../../model/Target.ts"

/**
 * Creates a filter of `type` with a zeroed type argument (`memcgId` 0, empty ranges, target 0).
 * Mirrors `damos_new_filter()` (which leaves the argument for the caller to set).
 */
export const make = (type: FilterType, matching: boolean, allow: boolean): Filter => {
  switch (type) {
    case "memcg":
      return { type, matching, allow, memcgId: 0 }
    case "addr":
      return { type, matching, allow, addrRange: { start: 0, end: 0 } }
    case "target":
      return { type, matching, allow, targetIdx: 0 }
    case "hugepage_size":
      return { type, matching, allow, szRange: { min: 0, max: 0 } }
    default:
      return { type, matching, allow }
  }
}

/**
 * Whether core filter `filter` matches the region at `regionIndex` of `target` (its type
 * condition equals `filter.matching`). Ops filter types never match here.
 *
 * **Details**
 * Mirrors `damos_filter_match()` in `mm/damon/core.c` (R2). `target`: the target's index in
 * `ctx.targets` equals `targetIdx`. `addr`: the range is aligned down to `ctx.minRegionSz` at both
 * ends; a region inside matches, one outside does not; one that starts before the range is split
 * at the range start and its left (outside) piece does not match; one that starts inside and
 * extends past the end is split at the range end and its left (inside) piece matches.
 *
 * **Gotchas**
 * May split the region in place (`Target.splitRegionAt`): the verdict is for the left piece,
 * which stays at `regionIndex`; the right piece is inserted after it.
 */
export const filterMatch = (ctx: DamonCtx, target: Target.Target, regionIndex: number, filter: Filter): boolean => {
  let matched: boolean
  switch (filter.type) {
    case "target":
      matched = ctx.targets.indexOf(target) === filter.targetIdx
      break
    case "addr": {
      const r = target.regions[regionIndex]!
      const start = alignDown(filter.addrRange.start, ctx.minRegionSz)
      const end = alignDown(filter.addrRange.end, ctx.minRegionSz)
      if (start <= r.start && r.end <= end) matched = true
      else if (r.end <= start || end <= r.start) matched = false
      else if (r.start < start) {
        Target.splitRegionAt(target, regionIndex, start - r.start)
        matched = false
      } else {
        Target.splitRegionAt(target, regionIndex, end - r.start)
        matched = true
      }
      break
    }
    default:
      return false
  }
  return matched === filter.matching
}

/**
 * Whether the core filters reject the region at `regionIndex`: the first matching filter
 * decides (`!allow`), else the default-reject flag. Also records in `scheme.coreFiltersAllowed`
 * whether an allow-filter decided, which lets the ops layer skip its own filters.
 *
 * **Details**
 * Mirrors `damos_core_filter_out()` in `mm/damon/core.c` (R2).
 *
 * **Gotchas**
 * Writes `scheme.coreFiltersAllowed`; may split the region (see {@link filterMatch}).
 */
export const coreFilterOut = (ctx: DamonCtx, target: Target.Target, regionIndex: number, scheme: Damos): boolean => {
  scheme.coreFiltersAllowed = false
  const filters = scheme.coreFilters
  for (let i = 0; i < filters.length; i++) {
    const f = filters[i]!
    if (filterMatch(ctx, target, regionIndex, f)) {
      if (f.allow) scheme.coreFiltersAllowed = true
      return !f.allow
    }
  }
  return scheme.coreFiltersDefaultReject
}

const lastAllow = (filters: ReadonlyArray<Filter>): boolean =>
  filters.length === 0 ? false : filters[filters.length - 1]!.allow

/**
 * Recomputes the two default-reject flags: memory no filter matched is rejected when the last
 * filter of the deciding layer allows (and let through when it rejects).
 *
 * **Details**
 * Mirrors `damos_set_filters_default_reject()` (R2): the core layer rejects by default only when
 * there are no ops filters (otherwise the ops layer decides); each flag is the `allow` of the
 * last filter of its list, `false` for an empty list. The engine calls it for every scheme at
 * kdamond start; commits call it after committing filters.
 *
 * **Gotchas**
 * Mutates `scheme`.
 */
export const setFiltersDefaultReject = (scheme: Damos): void => {
  scheme.coreFiltersDefaultReject = scheme.opsFilters.length !== 0 ? false : lastAllow(scheme.coreFilters)
  scheme.opsFiltersDefaultReject = lastAllow(scheme.opsFilters)
}

/**
 * Whether the ops filters reject one entity (a folio, a page): passes at once when a core
 * allow-filter already decided for the region; else the first ops filter whose type condition
 * (`condition(filter, data)`) equals its `matching` decides (`!allow`); else the default-reject
 * flag. `data` is the ops set's own per-entity context, so the matcher can be a static function
 * and nothing is allocated per entity.
 *
 * **Details**
 * Mirrors `damos_pa_filter_out()` / `damos_va_filter_out()` with `damos_folio_filter_match()`
 * (R2): `condition` returns the raw type test (e.g. "the folio is anonymous"), this function
 * compares it with `filter.matching`.
 */
export const opsFilterOut = <D>(
  scheme: Damos,
  data: D,
  condition: (filter: Filter, data: D) => boolean
): boolean => {
  if (scheme.coreFiltersAllowed) return false
  const filters = scheme.opsFilters
  for (let i = 0; i < filters.length; i++) {
    const f = filters[i]!
    if (condition(f, data) === f.matching) return !f.allow
  }
  return scheme.opsFiltersDefaultReject
}
