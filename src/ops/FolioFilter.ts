/**
 * DAMOS ops-layer filters as an address space evaluates them per folio: the chain an action
 * request carries, and the verdict for one folio's attributes (`damos_pa_filter_out()` /
 * `damos_va_filter_out()`). Address spaces that model folios in bulk (the simulated machine's
 * page extents) evaluate the same chain over fractions instead (`sim/ExtentFilter.ts`).
 */
import type { Filter } from "../model/Damos.ts"

/** An ops filter chain with the scheme state that decides it. */
export interface FolioFilterChain {
  /** Ops filters in order. */
  readonly filters: ReadonlyArray<Filter>
  /** `scheme.coreFiltersAllowed`: a core allow-filter matched, so every folio passes. */
  readonly coreAllowed: boolean
  /** `scheme.opsFiltersDefaultReject`: the verdict when no filter matches. */
  readonly defaultReject: boolean
  readonly hasYoung: boolean
  readonly hasActive: boolean
}

/** Builds a chain from the scheme's ops filters and flags. */
export const makeChain = (
  filters: ReadonlyArray<Filter>,
  coreAllowed: boolean,
  defaultReject: boolean
): FolioFilterChain => ({
  filters,
  coreAllowed,
  defaultReject,
  hasYoung: filters.some((f) => f.type === "young"),
  hasActive: filters.some((f) => f.type === "active")
})

/** The attributes of one folio the ops filters look at. */
export interface FolioAttrs {
  readonly anon: boolean
  readonly active: boolean
  readonly memcgId: number
  /** Accessed since its accessed bit was last cleared (read only when the chain has `young`). */
  readonly young: boolean
  readonly folioSz: number
  /** `false` only for page cache no process maps. */
  readonly mapped: boolean
}

/**
 * Whether one folio passes the chain.
 *
 * **Details**
 * Mirrors `damos_pa_filter_out()` / `damos_va_filter_out()`: with `coreAllowed` every folio
 * passes; otherwise the first filter whose condition equals its `matching` decides
 * (`pass = allow`), and when none matches `pass = !defaultReject`. Core-layer filter types
 * (`addr`, `target`) never match here. The caller clears the folio's accessed bit when the
 * chain has a `young` filter that was reached (the kernel's `damon_folio_mkold()`).
 */
export const folioPasses = (chain: FolioFilterChain, folio: FolioAttrs): boolean => {
  if (chain.coreAllowed) return true
  for (const f of chain.filters) {
    let cond: boolean
    switch (f.type) {
      case "anon":
        cond = folio.anon
        break
      case "active":
        cond = folio.active
        break
      case "memcg":
        cond = folio.memcgId === f.memcgId
        break
      case "young":
        cond = folio.young
        break
      case "hugepage_size":
        cond = f.szRange.min <= folio.folioSz && folio.folioSz <= f.szRange.max
        break
      case "unmapped":
        cond = !folio.mapped
        break
      default:
        continue
    }
    if (cond === f.matching) return f.allow
  }
  return !chain.defaultReject
}
