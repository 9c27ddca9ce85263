/**
 * Online commit of a whole context: `damon_commit_ctx()` (R2 order: schemes, targets, attrs,
 * then the ops set and the address unit), made atomic. Everything that can be wrong is checked
 * before the first change, so a failed commit leaves the running context exactly as it was
 * (the kernel instead marks the context `maybe_corrupted` and stops the kdamond).
 * Pure: no clock, no randomness.
 */
import { commitSchemes } from "./damos/Commit.ts"
import { forgetChargeTarget } from "./damos/SkipCharged.ts"
import * as Attrs from "../model/Attrs.ts"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import type { DamonConfigBase } from "../model/DamonConfig.ts"
import type { DamonCtx } from "../model/DamonCtx.ts"
import type { SchemeConfig } from "../model/Damos.ts"
import * as Target from "../model/Target.ts"
import { setAttrs } from "./SetAttrs.ts"

/** A decoded config ready to commit. */
export interface CommitSource {
  readonly base: DamonConfigBase
  readonly schemes: ReadonlyArray<SchemeConfig>
}

/**
 * Checks the parts of a commit that depend on the running context: an extra source target
 * (beyond the running ones) must not be `obsolete`.
 *
 * **Details**
 * Mirrors the `-EINVAL` of `damon_commit_targets()` (R2) for obsolete new targets; the
 * config-only rules were checked when the config was decoded.
 */
export const checkCommit = (dst: DamonCtx, src: CommitSource): DamonError | undefined => {
  for (let i = dst.targets.length; i < src.base.targets.length; i++) {
    if (src.base.targets[i]!.obsolete) {
      return invalidArgument(`targets[${i}].obsolete`, true, `there is no running target ${i} to remove`)
    }
  }
  // decoded configs are valid already; a hand-built source must not fail half-way in setAttrs
  return Attrs.check(src.base.attrs)
}

/**
 * Commits targets by position: a kept target takes the source's regions (when it has any;
 * `damon_set_regions()` keeps the results of overlapping regions) and pid; a target without a
 * source, or whose source is `obsolete`, is destroyed (and schemes forget it as a resume
 * point); extra source targets are added. Returns the destroyed targets.
 *
 * **Details**
 * Mirrors `damon_commit_targets()` and `damon_commit_target()` (R2). Matching is positional and
 * not re-indexed after removals within one commit.
 */
export const commitTargets = (dst: DamonCtx, src: CommitSource): Array<Target.Target> => {
  const destroyed: Array<Target.Target> = []
  const kept: Array<Target.Target> = []
  const minRegionSz = src.base.minRegionSz
  dst.targets.forEach((t, i) => {
    const s = src.base.targets[i]
    if (s === undefined || s.obsolete) {
      destroyed.push(t)
      forgetChargeTarget(dst.schemes, t)
      return
    }
    if (s.regions.length > 0) Target.setRegions(t, s.regions, minRegionSz)
    t.pid = s.pid
    kept.push(t)
  })
  for (let i = dst.targets.length; i < src.base.targets.length; i++) {
    const s = src.base.targets[i]!
    const t = Target.make(s.pid)
    if (s.regions.length > 0) Target.setRegions(t, s.regions, minRegionSz)
    kept.push(t)
  }
  dst.targets = kept
  return destroyed
}

/**
 * Commits `src` into the running `dst`: schemes, targets, attrs (only when they differ, so an
 * unchanged commit does not re-phase the schedule), then ops id, address unit and minimum region
 * size. Returns the error without changing anything, or the destroyed targets.
 *
 * **Details**
 * Mirrors `damon_commit_ctx()` (R2). Schemes and targets go first because `damon_set_attrs()`
 * rescales region results and re-phases every scheme's next apply time.
 *
 * **Gotchas**
 * Mutates `dst`. The caller swaps the ops instance when `dst.opsId` changed and runs
 * `cleanupTarget` for the destroyed targets.
 */
export const commitCtx = (
  dst: DamonCtx,
  src: CommitSource
): { readonly _tag: "Failed"; readonly error: DamonError } | {
  readonly _tag: "Committed"
  readonly destroyed: Array<Target.Target>
} => {
  const error = checkCommit(dst, src)
  if (error !== undefined) return { _tag: "Failed", error }
  commitSchemes(dst, src.schemes)
  const destroyed = commitTargets(dst, src)
  if (Attrs.differ(dst.attrs, src.base.attrs)) setAttrs(dst, src.base.attrs)
  dst.opsId = src.base.ops
  dst.addrUnit = src.base.addrUnit
  dst.minRegionSz = src.base.minRegionSz
  return { _tag: "Committed", destroyed }
}
