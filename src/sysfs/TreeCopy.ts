/**
 * The copies the `state` commands make from a running context into the admin tree: scheme
 * stats, effective quotas, tuned intervals and tried regions. Each runs inside the function
 * given to `damonCall` or `damosWalk` (so it sees a consistent context), exactly where the
 * kernel's sysfs does its copy. Pure and synchronous; does not decide when to copy.
 *
 * **Gotchas**
 * Every function mutates the tree records it is given.
 */
import type { WalkVisit } from "../engine/Control.ts"
import type { Attrs } from "../model/Attrs.ts"
import type { Damos } from "../model/Damos.ts"
import { U64_MAX } from "./Kstrtox.ts"
import type { AttrsDir, SchemeDir } from "./TreeState.ts"

const ul = (n: number): bigint => BigInt(Math.floor(n))

/**
 * Copies each running scheme's statistics into the scheme directory of the same index, stopping
 * at the shorter list ("user could have removed the scheme sysfs dir").
 *
 * **Details**
 * Mirrors `damon_sysfs_schemes_update_stats()` in `mm/damon/sysfs-schemes.c`.
 */
export const copyStats = (dirs: ReadonlyArray<SchemeDir>, schemes: ReadonlyArray<Damos>): void => {
  const n = Math.min(dirs.length, schemes.length)
  for (let i = 0; i < n; i++) {
    const d = dirs[i]!.stats
    const s = schemes[i]!.stat
    d.nrTried = ul(s.nrTried)
    d.szTried = ul(s.szTried)
    d.nrApplied = ul(s.nrApplied)
    d.szApplied = ul(s.szApplied)
    d.szOpsFilterPassed = ul(s.szOpsFilterPassed)
    d.qtExceeds = ul(s.qtExceeds)
    d.nrSnapshots = ul(s.nrSnapshots)
  }
}

/**
 * Copies each running scheme's effective size quota into `quotas/effective_bytes`; the
 * library's saturated "unlimited" (2^53-1) is shown as the kernel's `ULONG_MAX`.
 *
 * **Details**
 * Mirrors `damos_sysfs_update_effective_quotas()` in `mm/damon/sysfs-schemes.c`.
 */
export const copyEffectiveQuotas = (dirs: ReadonlyArray<SchemeDir>, schemes: ReadonlyArray<Damos>): void => {
  const n = Math.min(dirs.length, schemes.length)
  for (let i = 0; i < n; i++) {
    const esz = schemes[i]!.quota.esz
    dirs[i]!.quotas.effectiveSz = esz >= Number.MAX_SAFE_INTEGER ? U64_MAX : ul(esz)
  }
}

/**
 * Copies the current (possibly auto-tuned) sampling and aggregation intervals into `sample_us`
 * and `aggr_us`, so a later `commit` does not reset them.
 *
 * **Details**
 * Mirrors `damon_sysfs_upd_tuned_intervals()` in `mm/damon/sysfs.c`.
 */
export const copyTunedIntervals = (dir: AttrsDir, attrs: Attrs): void => {
  dir.sampleUs = ul(attrs.sampleIntervalUs)
  dir.aggrUs = ul(attrs.aggrIntervalUs)
}

/**
 * Removes every tried-region directory and zeroes `total_bytes`.
 *
 * **Details**
 * Mirrors `damon_sysfs_schemes_clear_regions()` in `mm/damon/sysfs-schemes.c`.
 */
export const clearTriedRegions = (dirs: ReadonlyArray<SchemeDir>): void => {
  for (const d of dirs) {
    d.triedRegions.regions = []
    d.triedRegions.totalBytes = 0n
  }
}

/**
 * Accounts one region a scheme was applied to: adds its size to the scheme's
 * `tried_regions/total_bytes` and, unless `bytesOnly`, appends `tried_regions/<N>/` with its
 * start, end, `nr_accesses` (`nr_accesses_bp / 10000`), age (before the action's age reset) and
 * the bytes that passed the ops filters.
 *
 * **Details**
 * Mirrors `damos_sysfs_populate_region_dir()` in `mm/damon/sysfs-schemes.c`; a scheme without a
 * directory (removed by the user) is skipped.
 */
export const populateTriedRegion = (dirs: ReadonlyArray<SchemeDir>, visit: WalkVisit, bytesOnly: boolean): void => {
  const d = dirs[visit.schemeIndex]
  if (d === undefined) return
  const r = visit.region
  d.triedRegions.totalBytes += ul(r.end - r.start)
  if (bytesOnly) return
  d.triedRegions.regions.push({
    start: ul(r.start),
    end: ul(r.end),
    nrAccesses: Math.floor(r.nrAccessesBp / 10000),
    age: r.age,
    szFilterPassed: ul(visit.szFilterPassed)
  })
}
