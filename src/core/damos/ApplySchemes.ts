/**
 * One DAMOS apply pass over every region: `kdamond_apply_schemes()`, `damon_do_apply_schemes()`
 * and `damos_apply_scheme()` of R2 `mm/damon/core.c`, with the quota, resume, snapshot, filter
 * and statistics rules of each.
 *
 * Pure: time comes in as numbers, the ops set and the walk bookkeeping come in as objects. This
 * is the code both the kdamond and the offline transform (`Transform.ts`) run. Does not
 * evaluate watermarks (`Watermarks.ts`, called by the engine before sampling) and does not
 * implement `damos_walk()` (the engine does, through {@link ApplyHooks}).
 */
import { alignDown } from "../../internal/uint.ts"
import type { DamonCtx } from "../../model/DamonCtx.ts"
import type { Damos } from "../../model/Damos.ts"
import type { Region } from "../../model/Region.ts"
import * as Target from "../../model/Target.ts"
import type { ApplyResult, DamonOps, OpsEnv } from "../../ops/DamonOps.ts"
import { checkApplyResult, checkedMetricsOf, checkFixedScore, checkIsNoop } from "../OpsResults.ts"
import { setNextApplySis } from "../SetAttrs.ts"
import { CUT_ALL, CUT_NONE, fitsPattern, minScoreCut, patternNrAccesses, quotaIsSet } from "./AccessPattern.ts"
import { coreFilterOut } from "./Filters.ts"
import { adjustQuotaWindow, updateMinScores } from "./Quota.ts"
import { skipChargedRegion } from "./SkipCharged.ts"

/**
 * What the engine plugs into an apply pass. Called synchronously inside the pass; must not
 * allocate per call on the hot path and must not re-enter {@link applySchemes}.
 */
export interface ApplyHooks {
  /**
   * Right after `ops.applyScheme` acted on `region` (trimmed and filtered; its age not yet reset),
   * with the bytes that passed the ops filters; for an action the ops set says is a no-op
   * (`DamonOps.applyIsNoop`), where it would have been called, with 0. The engine's `damos_walk_call_walk()`: it checks
   * the pending walk and `scheme.walkCompleted` itself.
   */
  readonly onApplied: (target: Target.Target, region: Region, scheme: Damos, szFilterPassed: number) => void
  /** At the end of the pass, for every scheme that was due (active or not): `damos_walk_complete()`. */
  readonly walkComplete: (scheme: Damos) => void
  /** Optional: the core filters rejected `region` (nothing applied, nothing counted). */
  readonly onCoreFilteredOut?: (target: Target.Target, region: Region, scheme: Damos) => void
}

/** Hooks that do nothing (no walk pending, nothing recorded). */
export const noHooks: ApplyHooks = {
  onApplied: () => {},
  walkComplete: () => {}
}

/**
 * What a pass knows of each due scheme before its walk, by position in the due list. The ops
 * set's answers (`DamonOps.fixedSchemeScore`, `DamonOps.applyIsNoop`) are asked once per pass; a
 * scheme's action and filters change between passes (a commit, a `damonCall`), and a walk
 * function must not change them (`docs/design.md`, damosWalk). Made afresh for each pass, so a
 * pass started from inside a walk function (an offline `Transform.step`) has its own.
 */
export interface PassFacts {
  /** `DamonOps.fixedSchemeScore`; `NaN`: score each region. */
  readonly fixedScore: Float64Array
  /** 1: `DamonOps.applyIsNoop` (count the try without calling `applyScheme`). */
  readonly noop: Uint8Array
  /** `fixedScore` of the schemes whose thresholds the pass computes, in their order. */
  readonly scoredFixedScore: Float64Array
  /** 1: a quota is in force (`quotaIsSet`; `esz` does not change during the walk). */
  readonly quotaSet: Uint8Array
  /** `AccessPattern.minScoreCut` of the scheme: `minScore` and a fixed score stay as they are during the walk. */
  readonly scoreCut: Uint8Array
  /**
   * 1: a no-op try (`noop`) of a scheme with neither a quota in force nor core filters, which
   * `applyScheme` would neither trim nor filter: only counted ({@link countTry}).
   */
  readonly plainNoop: Uint8Array
  /**
   * How far the scheme's checks can still get in this walk: {@link LIVE}, {@link SNAPSHOTS_TAKEN}
   * or {@link QUOTA_FULL} (which wins: it is the first check). Both stay so until the next pass:
   * only the scheme's own tries charge its quota, only its own checks count its snapshots.
   */
  readonly live: Uint8Array
}

/** {@link PassFacts.live}: the quota is full; the scheme skips every region, as `damon_do_apply_schemes()`'s first check. */
const QUOTA_FULL = 0
/** {@link PassFacts.live}: the scheme's checks run in full. */
const LIVE = 1
/**
 * {@link PassFacts.live}: the scheme took its `maxNrSnapshots`; a region still goes through its
 * resume check (which may split the region or clear the resume point) before it is skipped.
 */
const SNAPSHOTS_TAKEN = 2

/**
 * The ops set's answers for `due`, each checked (`OpsResults.checkFixedScore`, `checkIsNoop`);
 * the rest is filled by {@link walkFactsOf} once the windows and thresholds are done.
 */
const passFactsOf = (ops: DamonOps, due: ReadonlyArray<Damos>): PassFacts => {
  const n = due.length
  const facts: PassFacts = {
    fixedScore: new Float64Array(n),
    noop: new Uint8Array(n),
    scoredFixedScore: new Float64Array(n),
    quotaSet: new Uint8Array(n),
    scoreCut: new Uint8Array(n),
    plainNoop: new Uint8Array(n),
    live: new Uint8Array(n)
  }
  const fixed = ops.fixedSchemeScore
  const noop = ops.applyIsNoop
  for (let j = 0; j < n; j++) {
    const s = due[j]!
    facts.fixedScore[j] = fixed === undefined ? Number.NaN : checkFixedScore(fixed(s), s.action)
    facts.noop[j] = noop !== undefined && checkIsNoop(noop(s), s.action) ? 1 : 0
  }
  return facts
}

/** Fills the walk's facts of `due` from their state after the windows and thresholds. */
const walkFactsOf = (ops: DamonOps, due: ReadonlyArray<Damos>, facts: PassFacts): void => {
  for (let j = 0; j < due.length; j++) {
    const s = due[j]!
    const q = s.quota
    const set = quotaIsSet(q)
    facts.quotaSet[j] = set ? 1 : 0
    facts.scoreCut[j] = minScoreCut(q, ops, facts.fixedScore[j]!)
    facts.plainNoop[j] = facts.noop[j] === 1 && !set && s.coreFilters.length === 0 && !s.coreFiltersDefaultReject ? 1 : 0
    facts.live[j] = set && q.chargedSz >= q.esz ? QUOTA_FULL : reachedSnapshots(s) ? SNAPSHOTS_TAKEN : LIVE
  }
}

/** Whether the scheme has taken its `maxNrSnapshots` (`0`: no limit). */
const reachedSnapshots = (s: Damos): boolean => s.maxNrSnapshots !== 0 && s.maxNrSnapshots <= s.stat.nrSnapshots

/**
 * Adds one try to the scheme's statistics. Mirrors `damos_update_stat()`.
 *
 * **Gotchas**
 * Mutates `scheme.stat`.
 */
export const updateStat = (scheme: Damos, szTried: number, szApplied: number, szOpsFilterPassed: number): void => {
  const st = scheme.stat
  st.nrTried++
  st.szTried += szTried
  if (szApplied !== 0) st.nrApplied++
  st.szApplied += szApplied
  st.szOpsFilterPassed += szOpsFilterPassed
}

/**
 * Applies `scheme` to the region at `regionIndex` of `target`, which the scheme targets.
 *
 * **Details**
 * Mirrors `damos_apply_scheme()` (R2). With `ops.applyScheme`: a region that would overflow the
 * quota is trimmed to `ALIGN_DOWN(esz - chargedSz, minRegionSz)` bytes (split; 0 bytes = a try of
 * 0 bytes and nothing else); rejected by the core filters = nothing at all; otherwise the ops set
 * acts (`out` reused), `hooks.onApplied` runs, the modelled cost joins `totalChargedNs`, the
 * bytes are charged and, when that fills the quota, the resume point becomes
 * `(target, region.end)`. Then any action but `stat` resets the region's age, and the stats count
 * the try. With `noop` (the ops set said `applyIsNoop` of the scheme) the ops set is not called:
 * it would report 0 bytes and no cost. What the ops set reports is checked first (`OpsResults.checkApplyResult`: bytes within
 * the region, a finite cost); a bad answer throws an `OpsFault` before anything is counted. Without `ops.applyScheme` the region counts as tried with its full size (no quota, no
 * filters) and its age is still reset.
 *
 * Deviation (development-tree fix): the tried and charged size is the region's size after core
 * filtering (an `addr` filter may split the region); R2 counts the size before that split, so a
 * split region's bytes would be counted twice. The kernel also adds the wall time of the walk
 * callback to `total_charged_ns`; here only the ops set's modelled `costNs` counts.
 *
 * **Gotchas**
 * Mutates the region, its target's region list, the scheme's quota and stats.
 */
export const applyScheme = (
  ctx: DamonCtx,
  ops: DamonOps,
  env: OpsEnv,
  target: Target.Target,
  regionIndex: number,
  scheme: Damos,
  hooks: ApplyHooks,
  out: ApplyResult,
  noop = false
): void => {
  const q = scheme.quota
  const r = target.regions[regionIndex]!
  let sz = r.end - r.start
  const apply = ops.applyScheme
  if (apply !== undefined) {
    if (quotaIsSet(q) && q.chargedSz + sz > q.esz) {
      // Less room than one `minRegionSz` aligns down to 0 without a division. The pass counts
      // such a try itself without calling here (`applyToTarget`); a direct caller gets the
      // kernel's 0-byte try.
      const room = q.esz - q.chargedSz
      sz = room < ctx.minRegionSz ? 0 : alignDown(room, ctx.minRegionSz)
      if (sz === 0) {
        updateStat(scheme, 0, 0, 0)
        return
      }
      Target.splitRegionAt(target, regionIndex, sz)
    }
    if (coreFilterOut(ctx, target, regionIndex, scheme)) {
      if (hooks.onCoreFilteredOut !== undefined) hooks.onCoreFilteredOut(target, r, scheme)
      return
    }
    sz = r.end - r.start
    out.applied = 0
    out.filterPassed = 0
    out.costNs = 0
    if (!noop) {
      apply(ctx, target, r, scheme, env, out)
      checkApplyResult(out, sz)
    }
    countTry(target, r, scheme, hooks, sz, out.applied, out.filterPassed, out.costNs)
    return
  }
  if (scheme.action !== "stat") r.age = 0
  updateStat(scheme, sz, 0, 0)
}

/**
 * The end of `damos_apply_scheme()` (R2) once the ops set acted on `r` (trimmed and filtered):
 * the walk function, the charge (with the resume point when it fills the quota), the age reset
 * of any action but `stat`, the statistics.
 *
 * **Gotchas**
 * Mutates the region's age, the scheme's quota and stats.
 */
const countTry = (
  target: Target.Target,
  r: Region,
  scheme: Damos,
  hooks: ApplyHooks,
  sz: number,
  szApplied: number,
  szOpsFilterPassed: number,
  costNs: number
): void => {
  const q = scheme.quota
  hooks.onApplied(target, r, scheme, szOpsFilterPassed)
  q.totalChargedNs += costNs
  q.chargedSz += sz
  if (quotaIsSet(q) && q.chargedSz >= q.esz) {
    q.chargeTargetFrom = target
    q.chargeAddrFrom = r.end
  }
  if (scheme.action !== "stat") r.age = 0
  updateStat(scheme, sz, szApplied, szOpsFilterPassed)
}

/**
 * Runs the due, active schemes `due` (in list order) on every region of `target`, region by
 * region: `damon_do_apply_schemes()` (R2) for each region of the walk.
 *
 * **Details**
 * For a region, a scheme is skipped when its quota is full, the region was charged in the
 * previous window (may split it), or it reached `maxNrSnapshots`; otherwise it is applied when
 * it targets the region (`damos_valid_target()`: the pattern, then, with a quota in force and an
 * ops set that scores, the score against `minScore`). A scheme that got past those checks counts
 * a snapshot when the region is (still) the last of its target. Regions are walked by index while
 * the list grows, so pieces split off are visited in the same walk (R2's non-safe walk).
 *
 * What does not change during the walk is decided once (`facts`): whether a quota is in force,
 * the prioritisation cut when the score is fixed, and which schemes' quotas are full or
 * snapshots taken (a scheme leaves the walk when its own try fills its quota or its own check
 * takes its last snapshot). A region's size, access count and age are read when a scheme first
 * gets to its pattern and again only after something that can change them (a split, an action,
 * a walk function). A try with no room left in the quota is counted without the call (all
 * `applyScheme` would do).
 *
 * **Gotchas**
 * Mutates like {@link applyScheme}. Splits keep the current region at its index and insert the
 * remainder right after it, where the walk reaches it next. `getSchemeScore` must not change the
 * region.
 */
const applyToTarget = (
  ctx: DamonCtx,
  ops: DamonOps,
  env: OpsEnv,
  target: Target.Target,
  due: ReadonlyArray<Damos>,
  hooks: ApplyHooks,
  out: ApplyResult,
  facts: PassFacts
): void => {
  const regions = target.regions
  const { live, noop, plainNoop, quotaSet, scoreCut } = facts
  const canApply = ops.applyScheme !== undefined
  const minRegionSz = ctx.minRegionSz
  for (let i = 0; i < regions.length; i++) {
    // the region's fields, read when a scheme first gets to its pattern and again after anything
    // that can change them (`read` false)
    let read = false
    let r = regions[i]!
    let sz = 0
    let nrAccesses = 0
    let age = 0
    for (let si = 0; si < due.length; si++) {
      const state = live[si]!
      if (state === QUOTA_FULL) continue
      const s = due[si]!
      const q = s.quota
      if (q.chargeTargetFrom !== null) {
        read = false
        if (skipChargedRegion(target, i, s, minRegionSz)) continue
      }
      if (state === SNAPSHOTS_TAKEN) continue
      if (!read) {
        r = regions[i]!
        sz = r.end - r.start
        nrAccesses = patternNrAccesses(r)
        age = r.age
        read = true
      }
      const cut = scoreCut[si]!
      if (
        cut !== CUT_ALL && fitsPattern(s.pattern, sz, nrAccesses, age) &&
        (cut === CUT_NONE || ops.getSchemeScore!(ctx, target, r, s) >= q.minScore)
      ) {
        const room = q.esz - q.chargedSz
        if (canApply && quotaSet[si] === 1 && room < minRegionSz && sz > room) {
          // what `applyScheme` does when the quota has no room for a `minRegionSz` piece: a try
          // of 0 bytes, nothing else (no split, no action, the age kept); a time quota's `esz` is
          // rarely page-aligned, so every fitting region after the quota nearly filled lands here
          s.stat.nrTried++
        } else if (canApply && plainNoop[si] === 1) {
          // what `applyScheme` does for such a try: no trim (no quota), the core-filter check
          // finds no filter (and clears `coreFiltersAllowed`), no ops call; then the count
          s.coreFiltersAllowed = false
          countTry(target, r, s, hooks, sz, 0, 0, 0)
          read = false
        } else {
          applyScheme(ctx, ops, env, target, i, s, hooks, out, noop[si] === 1)
          read = false
          if (quotaSet[si] === 1 && q.chargedSz >= q.esz) live[si] = QUOTA_FULL
        }
      }
      if (i === regions.length - 1) {
        s.stat.nrSnapshots++
        // a quota filled by this very try stays full (its resume point is kept for the next window)
        if (live[si] === LIVE && reachedSnapshots(s)) live[si] = SNAPSHOTS_TAKEN
      }
    }
  }
}

/**
 * One apply pass: the quota bookkeeping of every due and active scheme, then every region of
 * every valid target through every scheme, then the end-of-pass bookkeeping of every due scheme.
 * Returns whether any scheme was due and active (when none is, nothing else happens).
 *
 * **Details**
 * Mirrors `kdamond_apply_schemes()` (R2). Due = `passedSampleIntervals >= nextApplySis`. Targets
 * that `ops.targetValid` rejects are skipped. Regions are walked by index while the list grows,
 * so pieces split off during the pass are visited in the same pass (R2's non-safe walk; schemes
 * earlier in the list see such pieces again). After the walk, every due scheme (activation not
 * checked, as the kernel) gets `hooks.walkComplete`, its next apply time and `lastApplied = -1`.
 * The quota windows run on `nowMs`; system metrics are read at `env.nowUs()`, checked (a throw
 * or a non-finite reading is an `OpsFault` naming the metric).
 *
 * **Gotchas**
 * Mutates `ctx` (regions, schemes). Allocates one {@link ApplyResult}, the due lists and the {@link PassFacts} per pass, nothing per
 * region.
 */
export const applySchemes = (
  ctx: DamonCtx,
  ops: DamonOps,
  env: OpsEnv,
  nowMs: number,
  hooks: ApplyHooks
): boolean => {
  const nowUs = env.nowUs()
  const metrics = checkedMetricsOf(ops.system)
  const due = ctx.schemes.filter((s) => ctx.passedSampleIntervals >= s.nextApplySis && s.wmarks.activated)
  // asked (and checked) before anything changes, so a bad answer leaves the quotas as they were
  const facts = passFactsOf(ops, due)
  const scored: Array<Damos> = []
  for (let j = 0; j < due.length; j++) {
    const s = due[j]!
    if (adjustQuotaWindow(ctx, s, nowMs, metrics, nowUs)) facts.scoredFixedScore[scored.push(s) - 1] = facts.fixedScore[j]!
  }
  // Every window first, then the thresholds (in one walk when it can be): nothing a window step
  // reads is changed by another scheme's threshold, nor the other way round.
  updateMinScores(ctx, scored, ops, facts.scoredFixedScore)
  if (due.length === 0) return false
  walkFactsOf(ops, due, facts)
  const out: ApplyResult = { applied: 0, filterPassed: 0, costNs: 0 }
  for (const t of ctx.targets) {
    if (ops.targetValid !== undefined && !ops.targetValid(ctx, t, env)) continue
    applyToTarget(ctx, ops, env, t, due, hooks, out, facts)
  }
  for (const s of ctx.schemes) {
    if (ctx.passedSampleIntervals < s.nextApplySis) continue
    hooks.walkComplete(s)
    setNextApplySis(ctx, s)
    s.lastApplied = -1
  }
  return true
}
