/**
 * Resuming a scheme where its previous quota window stopped, so a quota that keeps filling up
 * does not keep acting on the same leading regions: `damos_skip_charged_region()` (R2
 * `mm/damon/core.c`).
 *
 * Pure: no clock, no randomness. Does not set the resume point (`ApplySchemes.ts` does when a
 * region fills the quota).
 */
import { alignDown } from "../../internal/uint.ts"
import type { Damos } from "../../model/Damos.ts"
import * as Target from "../../model/Target.ts"

/**
 * Whether the scheme skips the region at `regionIndex` of `target` because the previous window
 * already charged it.
 *
 * **Details**
 * Mirrors `damos_skip_charged_region()` (R2). With a resume point (`chargeTargetFrom`,
 * `chargeAddrFrom` = the `end` of the region that filled the quota): other targets are skipped;
 * the last region of the resume target clears the point and is skipped (a kernel quirk, kept);
 * regions ending at or before the address are skipped; a region straddling it is split at
 * `ALIGN_DOWN(addr - start, minRegionSz)` (at least `minRegionSz`; a region no larger than that is
 * just skipped) and its left piece skipped, the right piece being visited next by the region
 * walk; any other region clears the point and is not skipped.
 *
 * **Gotchas**
 * May split the region in place (the left piece stays at `regionIndex`) and clears the scheme's
 * resume point.
 */
export const skipChargedRegion = (
  target: Target.Target,
  regionIndex: number,
  scheme: Damos,
  minRegionSz: number
): boolean => {
  const q = scheme.quota
  if (q.chargeTargetFrom === null) return false
  if (target !== q.chargeTargetFrom) return true
  const r = target.regions[regionIndex]!
  if (regionIndex === target.regions.length - 1) {
    q.chargeTargetFrom = null
    q.chargeAddrFrom = 0
    return true
  }
  if (q.chargeAddrFrom !== 0 && r.end <= q.chargeAddrFrom) return true
  if (q.chargeAddrFrom !== 0 && r.start < q.chargeAddrFrom) {
    let szToSkip = alignDown(q.chargeAddrFrom - r.start, minRegionSz)
    if (szToSkip === 0) {
      if (r.end - r.start <= minRegionSz) return true
      szToSkip = minRegionSz
    }
    Target.splitRegionAt(target, regionIndex, szToSkip)
    return true
  }
  q.chargeTargetFrom = null
  q.chargeAddrFrom = 0
  return false
}

/**
 * Forgets every resume point that refers to `target`, which is being removed from the context.
 *
 * **Details**
 * The scheme part of `damon_commit_targets()` (R2) when it destroys a target: schemes whose
 * `charge_target_from` is that target get it cleared, with `charge_addr_from`.
 *
 * **Gotchas**
 * Mutates the schemes' quota state.
 */
export const forgetChargeTarget = (schemes: ReadonlyArray<Damos>, target: Target.Target): void => {
  for (const s of schemes) {
    if (s.quota.chargeTargetFrom === target) {
      s.quota.chargeTargetFrom = null
      s.quota.chargeAddrFrom = 0
    }
  }
}
