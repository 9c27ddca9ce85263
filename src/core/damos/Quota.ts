/**
 * DAMOS quotas (R2 `mm/damon/core.c`): goal metrics and the goal score, the effective size quota
 * `esz` of a charge window (`damos_set_effective_quota()`), the per-pass window bookkeeping and
 * prioritisation threshold (`damos_adjust_quota()`), and the "quota full" test.
 *
 * Pure: time comes in as numbers (the charge windows run on milliseconds of the kdamond clock;
 * system metrics are read at a microsecond instant); memory state comes from `SystemMetrics`.
 * Does not charge applied bytes (`ApplySchemes.ts` does) nor resume windows (`SkipCharged.ts`).
 */
import { ULONG_MAX_BIG } from "../../internal/uint.ts"
import type { DamonCtx } from "../../model/DamonCtx.ts"
import type { Damos, GoalState, QuotaState } from "../../model/Damos.ts"
import type { DamonOps, SystemMetrics } from "../../ops/DamonOps.ts"
import { feedLoopNextInput } from "../FeedLoop.ts"
import { isValidTargetPattern, quotaIsSet } from "./AccessPattern.ts"
import { coreFilterOut } from "./Filters.ts"

/** `DAMOS_MAX_SCORE`: prioritisation scores are integers in `[0, 99]`. */
export const DAMOS_MAX_SCORE = 99

/** The `esz` that stands for the kernel's `ULONG_MAX` ("no size limit"). */
export const ESZ_UNLIMITED = Number.MAX_SAFE_INTEGER

/** `PAGE_SIZE * 1024`: the time-quota throughput assumed before any measurement, in bytes/ms. */
export const DEFAULT_THROUGHPUT_BYTES_PER_MS = 4096 * 1024

const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER)
const BP = 10000n

/** `mult_frac(x, n, d)` on unsigned 64-bit values, exact (bigint). */
const multFrac = (x: bigint, n: bigint, d: bigint): bigint => (x / d) * n + ((x % d) * n) / d

const minBig = (a: bigint, b: bigint): bigint => (a < b ? a : b)
const maxBig = (a: bigint, b: bigint): bigint => (a > b ? a : b)

/** A metric reading as a non-negative integer (sources may hand back fractions). */
const reading = (x: number): number => (x > 0 ? Math.floor(x) : 0)

/**
 * Share of the pattern-matching bytes that live on node `nid`, in basis points (0 when nothing
 * matches, the ops set is not `paddr`, the node is invalid or no metrics are available).
 *
 * **Details**
 * Mirrors `damos_get_node_eligible_mem_bp()` (R2): regions that fit the pattern are walked;
 * bytes whose node is unknown (`nodeOfAddr` returns -1, the kernel's "no folio") count for
 * neither side. Addresses are core addresses: the kernel's scaling by `addr_unit` cancels out in
 * the ratio.
 *
 * **Gotchas**
 * Asks `nodeOfAddr` once per `ctx.minRegionSz` bytes (the kernel walks folios), so its cost is
 * linear in the matching memory; it runs only at charge-window resets of schemes with this goal.
 */
export const nodeEligibleMemBp = (
  ctx: DamonCtx,
  scheme: Damos,
  nid: number,
  metrics: SystemMetrics | undefined
): number => {
  if (ctx.opsId !== "paddr" || nid < 0 || metrics === undefined) return 0
  const step = Math.max(ctx.minRegionSz, 1)
  let total = 0
  let onNode = 0
  for (const t of ctx.targets) {
    for (const r of t.regions) {
      if (!isValidTargetPattern(r, scheme)) continue
      let addr = r.start
      while (addr < r.end) {
        const next = Math.min(r.end, addr - (addr % step) + step)
        const node = metrics.nodeOfAddr(addr)
        if (node >= 0) {
          total += next - addr
          if (node === nid) onNode += next - addr
        }
        addr = next
      }
    }
  }
  if (total === 0) return 0
  return Number(multFrac(BigInt(onNode), BP, BigInt(total)))
}

/**
 * Refreshes `goal.currentValue` from the system state (`user_input` keeps what the user set).
 *
 * **Details**
 * Mirrors `damos_set_quota_goal_current_value()` (R2). `some_mem_psi_us` is the growth of the PSI
 * total since the previous measurement (the first measurement counts from 0, as R2); a total that
 * went backwards gives 0 instead of a wrapped u64. `node_memcg_free_bp` is `10000 - used_bp` (the
 * kernel computes `(total - used) * 10000 / total`, which can round one basis point lower).
 * Without `metrics` every measured metric reads 0, like a kernel built without PSI/NUMA.
 *
 * **Gotchas**
 * Mutates `goal` (`currentValue`, and `lastPsiTotal` for PSI).
 */
export const setGoalCurrentValue = (
  ctx: DamonCtx,
  scheme: Damos,
  goal: GoalState,
  metrics: SystemMetrics | undefined,
  nowUs: number
): void => {
  if (goal.metric === "user_input") return
  if (goal.metric === "node_eligible_mem_bp") {
    goal.currentValue = nodeEligibleMemBp(ctx, scheme, goal.nid, metrics)
    return
  }
  if (metrics === undefined) {
    goal.currentValue = 0
    return
  }
  switch (goal.metric) {
    case "some_mem_psi_us": {
      const now = reading(metrics.someMemPsiTotalUs(nowUs))
      goal.currentValue = Math.max(0, now - goal.lastPsiTotal)
      goal.lastPsiTotal = now
      return
    }
    case "node_mem_used_bp":
      goal.currentValue = reading(metrics.nodeMemUsedBp(goal.nid, nowUs))
      return
    case "node_mem_free_bp":
      goal.currentValue = reading(metrics.nodeMemFreeBp(goal.nid, nowUs))
      return
    case "node_memcg_used_bp":
      goal.currentValue = reading(metrics.nodeMemcgUsedBp(goal.nid, goal.memcgId, nowUs))
      return
    case "node_memcg_free_bp":
      goal.currentValue = Math.max(0, 10000 - reading(metrics.nodeMemcgUsedBp(goal.nid, goal.memcgId, nowUs)))
      return
    case "active_mem_bp":
      goal.currentValue = reading(metrics.activeMemBp(nowUs))
      return
    case "inactive_mem_bp":
      goal.currentValue = reading(metrics.inactiveMemBp(nowUs))
      return
  }
}

/**
 * The quota's goal score in basis points of achievement: the highest
 * `currentValue * 10000 / targetValue` over the goals (the least aggressive goal wins), after
 * refreshing every goal's current value.
 *
 * **Details**
 * Mirrors `damos_quota_score()` (R2). A goal with `targetValue` 0 (rejected by decoding) scores 0
 * instead of dividing by zero.
 */
export const quotaScore = (
  ctx: DamonCtx,
  scheme: Damos,
  metrics: SystemMetrics | undefined,
  nowUs: number
): bigint => {
  let highest = 0n
  for (const goal of scheme.quota.goals) {
    setGoalCurrentValue(ctx, scheme, goal, metrics, nowUs)
    if (goal.targetValue === 0) continue
    const score = multFrac(BigInt(goal.currentValue), BP, BigInt(goal.targetValue))
    if (score > highest) highest = score
  }
  return highest
}

/**
 * Computes the effective size quota `esz` of a new charge window from the size quota, the time
 * quota (via the measured throughput) and the goals.
 *
 * **Details**
 * Mirrors `damos_set_effective_quota()` (R2). Without time quota and goals, `esz = sz`.
 * Otherwise it starts unlimited; goals set `eszBp` by the tuner (`consist`: the feedback loop
 * from `max(eszBp, 10000)`; `temporal`: 0 once the score reaches 10000, else `sz * 10000` or
 * unlimited) and `esz = eszBp / 10000`; a time quota caps it at `throughput * ms` (throughput =
 * `totalChargedSz * 1e6 / totalChargedNs` bytes/ms, 4 MiB/ms before any measurement) and
 * raises it to at least `ctx.minRegionSz`; a size quota caps it last. u64 arithmetic in bigint;
 * `sz * 10000` and `throughput * ms` saturate at `ULONG_MAX` where the kernel (R2) wraps (the
 * development tree saturates `sz * 10000` too). The result saturates at {@link ESZ_UNLIMITED}.
 *
 * **Gotchas**
 * Mutates `scheme.quota` (`esz`, `eszBp`) and the goals' current values.
 */
export const setEffectiveQuota = (
  ctx: DamonCtx,
  scheme: Damos,
  metrics: SystemMetrics | undefined,
  nowUs: number
): void => {
  const q = scheme.quota
  if (q.ms === 0 && q.goals.length === 0) {
    q.esz = q.sz
    return
  }
  let esz = ULONG_MAX_BIG
  if (q.goals.length !== 0) {
    const score = quotaScore(ctx, scheme, metrics, nowUs)
    if (q.goalTuner === "consist") q.eszBp = feedLoopNextInput(maxBig(q.eszBp, BP), score)
    else if (score >= BP) q.eszBp = 0n
    else q.eszBp = q.sz !== 0 ? minBig(BigInt(q.sz) * BP, ULONG_MAX_BIG) : ULONG_MAX_BIG
    esz = q.eszBp / BP
  }
  if (q.ms !== 0) {
    const throughput = q.totalChargedNs !== 0
      ? multFrac(BigInt(q.totalChargedSz), 1_000_000n, BigInt(q.totalChargedNs))
      : BigInt(DEFAULT_THROUGHPUT_BYTES_PER_MS)
    esz = minBig(minBig(throughput * BigInt(q.ms), ULONG_MAX_BIG), esz)
    esz = maxBig(BigInt(ctx.minRegionSz), esz)
  }
  if (q.sz !== 0 && BigInt(q.sz) < esz) esz = BigInt(q.sz)
  q.esz = Number(minBig(esz, MAX_SAFE_BIG))
}

/**
 * Whether the scheme used up its quota in the current window: a quota is in force and the
 * charged bytes reached `esz` (so `esz == 0` with a quota means "apply nothing").
 *
 * **Details**
 * The R2 test used by `damon_do_apply_schemes()`, `damos_apply_scheme()` and
 * `damos_adjust_quota()`.
 */
export const quotaFull = (quota: QuotaState): boolean => quotaIsSet(quota) && quota.chargedSz >= quota.esz

const histogram = new Float64Array(DAMOS_MAX_SCORE + 1)

const clampScore = (score: number): number =>
  score > 0 ? Math.min(DAMOS_MAX_SCORE, Math.floor(score)) : 0

/**
 * Sets `quota.minScore`: the highest score such that the regions scoring at least that much
 * (and passing the pattern and the core filters) fill the effective quota; 0 when all of them
 * together do not.
 *
 * **Details**
 * The histogram part of `damos_adjust_quota()` (R2): bytes per score of every region of every
 * target that fits the pattern and is not rejected by the core filters; then a walk down from
 * the highest score seen, accumulating bytes, stops at the first score where the total reaches
 * `esz`, or at 0. Scores from the ops set are clamped to `[0, 99]`. A `fixedScore` (what
 * `DamonOps.fixedSchemeScore` said of the scheme; `NaN` for none) stands for every region's
 * score, with no call.
 *
 * **Gotchas**
 * Core filtering may split regions (`addr` filters) and sets `scheme.coreFiltersAllowed`, as in
 * the kernel. Uses a module-level scratch histogram (no allocation per pass); not reentrant.
 */
export const updateMinScore = (ctx: DamonCtx, scheme: Damos, ops: DamonOps, fixedScore = Number.NaN): void => {
  const getScore = ops.getSchemeScore
  if (getScore === undefined) return
  histogram.fill(0)
  let maxScore = 0
  for (const t of ctx.targets) {
    for (let i = 0; i < t.regions.length; i++) {
      if (!isValidTargetPattern(t.regions[i]!, scheme)) continue
      if (coreFilterOut(ctx, t, i, scheme)) continue
      const r = t.regions[i]!
      const score = clampScore(fixedScore === fixedScore ? fixedScore : getScore(ctx, t, r, scheme))
      histogram[score]! += r.end - r.start
      if (score > maxScore) maxScore = score
    }
  }
  scheme.quota.minScore = thresholdScore(histogram, 0, maxScore, scheme.quota.esz)
}

/** The walk down a histogram (at `base`) from `maxScore`: the first score where the bytes reach `esz`, or 0. */
const thresholdScore = (hist: Float64Array, base: number, maxScore: number, esz: number): number => {
  let cumulated = 0
  let score = maxScore
  for (;; score--) {
    cumulated += hist[base + score]!
    if (cumulated >= esz || score === 0) return score
  }
}

let histograms = new Float64Array(0)
let bounds = new Float64Array(0)
let fitBytes = new Float64Array(0)

/** Copies the access patterns of `schemes` into `bounds`, six numbers per scheme (min/max size, accesses, age). */
const loadBounds = (schemes: ReadonlyArray<Damos>): Float64Array => {
  if (bounds.length < schemes.length * 6) bounds = new Float64Array(schemes.length * 6)
  for (let j = 0; j < schemes.length; j++) {
    const p = schemes[j]!.pattern
    bounds[j * 6] = p.minSzRegion
    bounds[j * 6 + 1] = p.maxSzRegion
    bounds[j * 6 + 2] = p.minNrAccesses
    bounds[j * 6 + 3] = p.maxNrAccesses
    bounds[j * 6 + 4] = p.minAgeRegion
    bounds[j * 6 + 5] = p.maxAgeRegion
  }
  return bounds
}

/** {@link isValidTargetPattern} against the `j`th scheme of `b`, on a region's size, access count and age. */
const fitsBounds = (b: Float64Array, j: number, sz: number, nrAccesses: number, age: number): boolean =>
  b[j * 6]! <= sz && sz <= b[j * 6 + 1]! &&
  b[j * 6 + 2]! <= nrAccesses && nrAccesses <= b[j * 6 + 3]! &&
  b[j * 6 + 4]! <= age && age <= b[j * 6 + 5]!

/**
 * {@link updateMinScore} for each of `schemes`, in order; when none of them has core filters,
 * in at most two walks over the regions for all of them, and scoring only where it matters.
 *
 * **Details**
 * Exact: without core filters nothing in a histogram walk changes the regions or what another
 * scheme's walk reads, and a scheme's `coreFiltersAllowed` is cleared as `coreFilterOut` would
 * (when some region fits its pattern). The first walk sums the bytes that fit each pattern:
 * when they do not reach `esz`, the walk down the histogram would end at 0 whatever the scores,
 * so only the schemes whose bytes reach it are scored, in a second walk. A scheme with a fixed
 * score (`fixedScores[j]`, `NaN` for none: see {@link updateMinScore}) needs no second walk:
 * its histogram is all its fitting bytes at that one score, so the threshold is that score
 * when they reach `esz` (0 when nothing fits). Both walks read a region's size, access count
 * and age once and test them against the patterns copied into a typed array (the test of
 * {@link isValidTargetPattern}, which they must stay equal to).
 */
export const updateMinScores = (
  ctx: DamonCtx,
  schemes: ReadonlyArray<Damos>,
  ops: DamonOps,
  fixedScores?: ArrayLike<number>
): void => {
  const getScore = ops.getSchemeScore
  if (getScore === undefined) return
  const k = schemes.length
  let filtered = false
  for (let j = 0; j < k; j++) filtered ||= schemes[j]!.coreFilters.length > 0
  if (k < 2 || filtered) {
    for (let j = 0; j < k; j++) updateMinScore(ctx, schemes[j]!, ops, fixedScores === undefined ? Number.NaN : fixedScores[j]!)
    return
  }
  // No core filter rejects a region (with none, their default-reject flag is false).
  let b = loadBounds(schemes)
  if (fitBytes.length < k) fitBytes = new Float64Array(k)
  fitBytes.fill(-1, 0, k)
  for (const t of ctx.targets) {
    const regions = t.regions
    for (let i = 0; i < regions.length; i++) {
      const r = regions[i]!
      const sz = r.end - r.start
      const nrAccesses = Math.floor(r.nrAccessesBp / 10000)
      const age = r.age
      for (let j = 0; j < k; j++) {
        if (!fitsBounds(b, j, sz, nrAccesses, age)) continue
        // -1 marks "nothing fitted" (a fit of 0 bytes still clears `coreFiltersAllowed`)
        fitBytes[j] = (fitBytes[j]! < 0 ? 0 : fitBytes[j]!) + sz
      }
    }
  }
  const scored: Array<Damos> = []
  for (let j = 0; j < k; j++) {
    const scheme = schemes[j]!
    const fit = fitBytes[j]!
    if (fit >= 0) scheme.coreFiltersAllowed = false
    const fixed = fixedScores === undefined ? Number.NaN : fixedScores[j]!
    if ((fit < 0 ? 0 : fit) < scheme.quota.esz) scheme.quota.minScore = 0
    else if (fixed === fixed) scheme.quota.minScore = fit < 0 ? 0 : clampScore(fixed)
    else scored.push(scheme)
  }
  const n = scored.length
  if (n === 0) return
  b = loadBounds(scored)
  const stride = DAMOS_MAX_SCORE + 1
  if (histograms.length < n * stride) histograms = new Float64Array(n * stride)
  histograms.fill(0, 0, n * stride)
  const maxScores = new Array<number>(n).fill(0)
  for (const t of ctx.targets) {
    const regions = t.regions
    for (let i = 0; i < regions.length; i++) {
      const r = regions[i]!
      const sz = r.end - r.start
      const nrAccesses = Math.floor(r.nrAccessesBp / 10000)
      const age = r.age
      for (let j = 0; j < n; j++) {
        if (!fitsBounds(b, j, sz, nrAccesses, age)) continue
        const score = clampScore(getScore(ctx, t, r, scored[j]!))
        histograms[j * stride + score]! += sz
        if (score > maxScores[j]!) maxScores[j] = score
      }
    }
  }
  for (let j = 0; j < n; j++) {
    const scheme = scored[j]!
    scheme.quota.minScore = thresholdScore(histograms, j * stride, maxScores[j]!, scheme.quota.esz)
  }
}

/**
 * Per-pass quota bookkeeping for a due, active scheme, up to its prioritisation threshold: opens
 * the first charge window, rolls the window over when it expired (counting a full window in
 * `qtExceeds`) and recomputes `esz`. Returns whether the scheme has a quota, and so needs its
 * threshold ({@link updateMinScores}, run for every such scheme once all windows are done).
 *
 * **Details**
 * Mirrors `damos_adjust_quota()` (R2) without its histogram. Does nothing without any quota. The
 * first window opens at the first call (`chargedFrom === -1` means "no window yet": time 0 is a
 * valid virtual time, so the kernel's `charged_from == 0 && total_charged_sz == 0` test is not
 * reusable). A window has expired when `nowMs` is outside `[chargedFrom, chargedFrom +
 * resetIntervalMs)`, so with `resetIntervalMs == 0` every pass opens a new window (also right
 * after the first one opened); on expiry `chargedSz` is folded into `totalChargedSz`. Windows are
 * counted in milliseconds of the kdamond clock where the kernel uses jiffies. Metrics are read at
 * `nowUs`.
 *
 * **Gotchas**
 * Mutates `scheme.quota` and `scheme.stat.qtExceeds`.
 */
export const adjustQuotaWindow = (
  ctx: DamonCtx,
  scheme: Damos,
  nowMs: number,
  metrics: SystemMetrics | undefined,
  nowUs: number
): boolean => {
  const q = scheme.quota
  if (q.ms === 0 && q.sz === 0 && q.goals.length === 0) return false
  if (q.chargedFrom === -1) {
    q.chargedFrom = nowMs
    setEffectiveQuota(ctx, scheme, metrics, nowUs)
  }
  if (!(nowMs >= q.chargedFrom && nowMs < q.chargedFrom + q.resetIntervalMs)) {
    if (quotaFull(q)) scheme.stat.qtExceeds++
    q.totalChargedSz += q.chargedSz
    q.chargedFrom = nowMs
    q.chargedSz = 0
    setEffectiveQuota(ctx, scheme, metrics, nowUs)
  }
  return true
}
