/**
 * Which regions a scheme targets: the access-pattern match (`__damos_valid_target()`), whether a
 * quota is in force (`damos_quota_is_set()`) and the prioritisation cut (`damos_valid_target()`)
 * of `mm/damon/core.c` (R2).
 *
 * Pure: no clock, no randomness, no mutation. Does not compute scores (the ops set does) nor
 * the score threshold (`Quota.ts` does).
 */
import type { AccessPattern, QuotaState } from "../../model/Damos.ts"
import type { Region } from "../../model/Region.ts"
import type { DamonOps } from "../../ops/DamonOps.ts"

/**
 * Whether `region` fits the scheme's access pattern: size, accesses and age each within their
 * closed bounds.
 *
 * **Details**
 * Mirrors `__damos_valid_target()` in `mm/damon/core.c`: the access count compared is
 * `nrAccessesBp / 10000` (the moving sum, usable mid-window), not `nrAccesses`.
 */
export const isValidTargetPattern = (region: Region, scheme: { readonly pattern: AccessPattern }): boolean =>
  fitsPattern(scheme.pattern, region.end - region.start, patternNrAccesses(region), region.age)

/** The access count a pattern compares: `nrAccessesBp / 10000`, floored. */
export const patternNrAccesses = (region: Region): number => Math.floor(region.nrAccessesBp / 10000)

/**
 * The test of {@link isValidTargetPattern} on a region's size, access count (as
 * {@link patternNrAccesses}) and age already read, for walks that test one region against
 * several patterns.
 */
export const fitsPattern = (p: AccessPattern, sz: number, nrAccesses: number, age: number): boolean =>
  p.minSzRegion <= sz && sz <= p.maxSzRegion &&
  p.minNrAccesses <= nrAccesses && nrAccesses <= p.maxNrAccesses &&
  p.minAgeRegion <= age && age <= p.maxAgeRegion

/**
 * Whether a quota is in force: an effective size, a size or time quota, or any goal.
 *
 * **Details**
 * Mirrors `damos_quota_is_set()` (R2). With a quota in force `esz == 0` means "apply nothing"
 * (the `temporal` tuner relies on it); R1 instead tested `esz != 0` alone.
 */
export const quotaIsSet = (quota: QuotaState): boolean =>
  quota.esz !== 0 || quota.sz !== 0 || quota.ms !== 0 || quota.goals.length !== 0

/**
 * How the prioritisation cut of `damos_valid_target()` (R2) goes for a fitting region, decided
 * once for a pass: {@link CUT_NONE}, {@link CUT_ALL} or {@link CUT_ASK}.
 */
export type ScoreCut = typeof CUT_NONE | typeof CUT_ALL | typeof CUT_ASK
/** {@link ScoreCut}: every fitting region passes (no quota in force, or an ops set that does not score). */
export const CUT_NONE = 0
/** {@link ScoreCut}: no region passes (a fixed score below `minScore`). */
export const CUT_ALL = 1
/** {@link ScoreCut}: each fitting region's score is asked of the ops set and compared with `minScore`. */
export const CUT_ASK = 2

/**
 * The prioritisation cut for a pass of a scheme whose quota state is `quota`: with a quota in
 * force and an ops set that scores regions, a region passes when its score reaches `minScore`;
 * otherwise always. `fixedScore` is what `DamonOps.fixedSchemeScore` said of the scheme (`NaN`:
 * each region is scored), which decides for every region at once.
 *
 * **Gotchas**
 * Valid for as long as `quota.esz` and `quota.minScore` stay as they are: from the end of the
 * thresholds (`updateMinScores`) to the end of the pass.
 */
export const minScoreCut = (quota: QuotaState, ops: DamonOps, fixedScore: number): ScoreCut =>
  !quotaIsSet(quota) || ops.getSchemeScore === undefined
    ? CUT_NONE
    : fixedScore !== fixedScore
    ? CUT_ASK
    : fixedScore >= quota.minScore
    ? CUT_NONE
    : CUT_ALL
