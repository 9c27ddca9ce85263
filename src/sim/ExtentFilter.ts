/**
 * DAMOS ops-layer filters evaluated over a page extent instead of one folio at a time: the
 * fraction of an extent's folios that pass `damos_pa_filter_out()` / `damos_va_filter_out()`.
 * Pure arithmetic over the extent's attributes; the caller applies the result.
 */
import type { FolioFilterChain } from "../ops/FolioFilter.ts"
import type { PageExtent } from "./PageExtent.ts"
import { HUGE_PAGE_SIZE, PAGE_SIZE } from "./PageExtent.ts"

/** Scratch output of {@link passFraction}. */
export interface ChainScratch {
  /** Some folio reached the young filter (so its accessed bit got cleared). */
  youngReached: boolean
  /**
   * Fraction of the extent's resident folios that are active and pass (at most the returned
   * fraction and `e.active`): the LRU effects of an action follow which folios passed.
   */
  passActive: number
}

/**
 * Fraction of `e`'s resident folios that pass `chain`, given the fraction `young` of them that
 * were accessed since their accessed bits were last cleared. Young and active folios are taken
 * as independent sub-populations; every other attribute is uniform over an extent. The fraction
 * of the resident folios that are active and pass goes to `scratch.passActive`.
 *
 * **Details**
 * Mirrors `damos_pa_filter_out()` / `damos_va_filter_out()`: when `coreAllowed` every folio
 * passes; otherwise the first filter whose condition equals its `matching` decides
 * (`pass = allow`), and when none matches `pass = !defaultReject`. Filter types that belong to
 * the core layer (`addr`, `target`) never match here.
 */
export const passFraction = (chain: FolioFilterChain, e: PageExtent, young: number, scratch: ChainScratch): number => {
  scratch.youngReached = false
  if (chain.coreAllowed) {
    scratch.passActive = e.active
    return 1
  }
  const filters = chain.filters
  if (filters.length === 0) {
    scratch.passActive = chain.defaultReject ? 0 : e.active
    return chain.defaultReject ? 0 : 1
  }
  const folioSz = e.huge ? HUGE_PAGE_SIZE : PAGE_SIZE
  const nY = chain.hasYoung ? 2 : 1
  const nA = chain.hasActive ? 2 : 1
  let pass = 0
  let passActive = 0
  for (let yi = 0; yi < nY; yi++) {
    const wy = chain.hasYoung ? (yi === 0 ? young : 1 - young) : 1
    if (wy <= 0) continue
    for (let ai = 0; ai < nA; ai++) {
      const wa = chain.hasActive ? (ai === 0 ? e.active : 1 - e.active) : 1
      if (wa <= 0) continue
      let verdict = !chain.defaultReject
      for (const f of filters) {
        let cond: boolean
        switch (f.type) {
          case "anon":
            cond = e.anon
            break
          case "active":
            cond = ai === 0
            break
          case "memcg":
            cond = e.memcgId === f.memcgId
            break
          case "young":
            scratch.youngReached = true
            cond = yi === 0
            break
          case "hugepage_size":
            cond = f.szRange.min <= folioSz && folioSz <= f.szRange.max
            break
          case "unmapped":
            cond = !e.mapped
            break
          default:
            continue
        }
        if (cond === f.matching) {
          verdict = f.allow
          break
        }
      }
      if (verdict) {
        pass += wy * wa
        if (ai === 0) passActive += wy * wa
      }
    }
  }
  // Without an active filter the verdict does not depend on the LRU list: the passing folios
  // are active in the extent's proportion.
  scratch.passActive = chain.hasActive ? passActive : pass * e.active
  return pass
}
