/**
 * The copies the `state` commands make from a running context into the admin tree: scheme
 * stats, effective quotas, tuned intervals and tried regions. Each runs inside the function
 * given to `damonCall` or `damosWalk` (so it sees a consistent context), exactly where the
 * kernel's sysfs does its copy. Pure and synchronous; does not decide when to copy.
 *
 * **Gotchas**
 * Every function mutates the tree records it is given.
 */
import type { Stat } from "../model/Damos.ts"
import type { SchemeTriedRegions } from "../SchemesControl.ts"
import { shownAfterCopy, shownEffectiveSz } from "./TreeNumbers.ts"
import type { AttrsDir, SchemeDir } from "./TreeState.ts"

const ul = (n: number): bigint => BigInt(Math.floor(n))

/**
 * Copies each running scheme's statistics into the scheme directory of the same index, stopping
 * at the shorter list ("user could have removed the scheme sysfs dir").
 *
 * **Details**
 * Mirrors `damon_sysfs_schemes_update_stats()` in `mm/damon/sysfs-schemes.c`.
 */
export const copyStats = (dirs: ReadonlyArray<SchemeDir>, stats: ReadonlyArray<Stat>): void => {
  const n = Math.min(dirs.length, stats.length)
  for (let i = 0; i < n; i++) {
    const d = dirs[i]!.stats
    const s = stats[i]!
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
 * library's saturated "unlimited" (2^53-1) is shown as the kernel computes it: the size quota
 * written in `bytes` when that is at least 2^53-1, else `ULONG_MAX`.
 *
 * **Details**
 * Mirrors `damos_sysfs_update_effective_quotas()` in `mm/damon/sysfs-schemes.c`.
 */
export const copyEffectiveQuotas = (dirs: ReadonlyArray<SchemeDir>, eszs: ReadonlyArray<number>): void => {
  const n = Math.min(dirs.length, eszs.length)
  for (let i = 0; i < n; i++) {
    const q = dirs[i]!.quotas
    q.effectiveSz = shownEffectiveSz(eszs[i]!, q.sz)
  }
}

/**
 * Copies the current (possibly auto-tuned) sampling and aggregation intervals into `sample_us`
 * and `aggr_us`, so a later `commit` does not reset them. A file whose value was saturated to
 * build the running one keeps its written value (it still reads back as written).
 *
 * **Details**
 * Mirrors `damon_sysfs_upd_tuned_intervals()` in `mm/damon/sysfs.c`.
 */
export const copyTunedIntervals = (
  dir: AttrsDir,
  attrs: { readonly sampleIntervalUs: number; readonly aggrIntervalUs: number }
): void => {
  dir.sampleUs = shownAfterCopy(dir.sampleUs, attrs.sampleIntervalUs)
  dir.aggrUs = shownAfterCopy(dir.aggrUs, attrs.aggrIntervalUs)
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
 * Fills each scheme directory's `tried_regions/` from one walk's result: `total_bytes` and,
 * unless `bytesOnly`, one `tried_regions/<N>/` per region in the order they were tried, with its
 * start, end, `nr_accesses` (`nr_accesses_bp / 10000`), age (before the action's age reset) and
 * the bytes that passed the ops filters.
 *
 * **Details**
 * Mirrors `damos_sysfs_populate_region_dir()` in `mm/damon/sysfs-schemes.c`; a scheme without a
 * directory (removed by the user) is skipped.
 */
export const populateTriedRegions = (
  dirs: ReadonlyArray<SchemeDir>,
  perScheme: ReadonlyArray<SchemeTriedRegions>,
  bytesOnly: boolean
): void => {
  const n = Math.min(dirs.length, perScheme.length)
  for (let i = 0; i < n; i++) {
    const d = dirs[i]!.triedRegions
    const tried = perScheme[i]!
    d.totalBytes = ul(tried.totalBytes)
    if (bytesOnly) continue
    d.regions = tried.regions.map((r) => ({
      start: ul(r.start),
      end: ul(r.end),
      nrAccesses: r.nrAccesses,
      age: r.age,
      szFilterPassed: ul(r.szFilterPassed)
    }))
  }
}
