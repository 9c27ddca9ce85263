/**
 * The apply pass against a literal transcription of R2's `kdamond_apply_schemes()`: per due
 * scheme the quota window and then its histogram, then every region through every scheme with
 * each check reading the region as it is at that moment (`damos_quota_is_full()`,
 * `damos_skip_charged_region()`, `max_nr_snapshots`, `damos_valid_target()` with a score call,
 * `damos_apply_scheme()` with an ops call). `applySchemes` reads a region once and again only
 * after a split or an action, tests thresholds in shared walks and takes the ops set's
 * shortcuts (fixed scores, no-op actions): none of that may change a region, a statistic or a
 * quota.
 */
import { describe, it } from "@effect/vitest"
import { assert } from "../../support/loopAssert.ts"
import { isValidTargetPattern, quotaIsSet } from "../../../src/core/damos/AccessPattern.ts"
import { type ApplyHooks, applyScheme, applySchemes, noHooks } from "../../../src/core/damos/ApplySchemes.ts"
import { adjustQuotaWindow, quotaFull, updateMinScore } from "../../../src/core/damos/Quota.ts"
import { skipChargedRegion } from "../../../src/core/damos/SkipCharged.ts"
import { makeRng, type Rng } from "../../../src/core/Rng.ts"
import { setNextApplySis } from "../../../src/core/SetAttrs.ts"
import type { Action } from "../../../src/model/Damos.ts"
import type { DamonCtx } from "../../../src/model/DamonCtx.ts"
import type { Target } from "../../../src/model/Target.ts"
import type { ApplyResult, DamonOps, OpsEnv } from "../../../src/ops/DamonOps.ts"
import { ctxOf, envAt, region, scheme } from "./fixtures.ts"

const MIN = 4096
/** Seeds (300 x 12 passes, some 0.3 s of CPU): the tallies below assert each re-read case happens dozens of times. */
const SEEDS = 300

const pick = <A>(rng: Rng, xs: ReadonlyArray<A>): A => xs[rng.rand(0, xs.length)]!

/** Actions with a fixed score in {@link opsOf} (in and out of [0, 99], fractional). */
const fixedScores: ReadonlyMap<Action, number> = new Map<Action, number>([["stat", 99], ["willneed", 41.5], ["cold", 120], ["pageout", -2]])

/**
 * The no-op actions of {@link opsOf}: `stat`, which keeps the age, and `lru_prio`, whose try
 * still resets it (so a later scheme must read the region again).
 */
const noopActions: ReadonlySet<Action> = new Set<Action>(["stat", "lru_prio"])

/**
 * Ops that score by accesses and age except for the actions of {@link fixedScores} (also given
 * as `fixedSchemeScore`), apply a random share of each region, and do nothing for
 * {@link noopActions} (also given as `applyIsNoop`). Two ops made from the same seed draw the same numbers as long as they
 * are asked the same things.
 */
const opsOf = (seed: number, shortcuts: boolean): DamonOps => {
  const rng = makeRng(seed)
  // one seed in 5: an ops set that cannot act (every try counts the whole region, no quota trim)
  if (seed % 5 === 0) return { id: "walk", getSchemeScore: (_c, _t, r) => (r.nrAccesses * 5 + r.age) % 100 }
  return {
    id: "walk",
    getSchemeScore: (_c, _t, r, s) => fixedScores.get(s.action) ?? (r.nrAccesses * 5 + r.age) % 100,
    applyScheme: (_c, _t, r, s, _e, o) => {
      o.applied = 0
      o.filterPassed = 0
      o.costNs = 0
      if (noopActions.has(s.action)) return
      const sz = r.end - r.start
      o.applied = rng.rand(0, 3) === 0 ? 0 : rng.rand(0, sz + 1)
      o.filterPassed = rng.rand(0, sz + 1)
      o.costNs = rng.rand(0, 100_000)
    },
    ...(shortcuts
      ? {
        fixedSchemeScore: (s) => fixedScores.get(s.action),
        applyIsNoop: (s) => noopActions.has(s.action)
      }
      : {})
  }
}

/** Regions of 1-16 pages with random accesses and ages, sometimes with gaps. */
const randomTargets = (rng: Rng): Array<Target> =>
  Array.from({ length: rng.rand(1, 3) }, () => {
    const t: Target = { pid: null, regions: [], obsolete: false }
    let addr = rng.rand(0, 16) * MIN
    for (let i = rng.rand(3, 12); i > 0; i--) {
      if (rng.rand(0, 5) === 0) addr += rng.rand(1, 4) * MIN
      const size = rng.rand(1, 17) * MIN
      t.regions.push(region(addr, addr + size, rng.rand(0, 21), rng.rand(0, 6)))
      addr += size
    }
    return t
  })

/**
 * Schemes whose checks depend on what the schemes before them did to the region: age bounds
 * that exclude 0 (an action resets the age), size bounds (a quota trim or a resume split
 * shrinks it), quotas small enough to trim, fill and resume, and goals.
 */
const randomScheme = (rng: Rng): unknown => ({
  action: pick(rng, ["stat", "willneed", "cold", "pageout", "lru_prio"] as const),
  pattern: {
    minSzRegion: pick(rng, [0, 0, MIN, 2 * MIN]),
    maxSzRegion: pick(rng, [Number.MAX_SAFE_INTEGER, 4 * MIN, 8 * MIN]),
    minNrAccesses: rng.rand(0, 4),
    maxNrAccesses: rng.rand(4, 22),
    minAgeRegion: rng.rand(0, 3),
    maxAgeRegion: rng.rand(2, 8)
  },
  quota: {
    // page-aligned half the time: only then can a region fill the quota exactly and leave a resume point
    sz: rng.rand(0, 3) === 0 ? 0 : rng.rand(1, 30) * MIN + (rng.rand(0, 2) === 0 ? 0 : rng.rand(0, MIN)),
    ms: rng.rand(0, 5) === 0 ? rng.rand(1, 3) : 0,
    resetIntervalMs: pick(rng, [0, 100, 250]),
    // goals: the temporal tuner sets esz to 0 once a goal is met (a quota that applies nothing)
    goalTuner: pick(rng, ["consist", "temporal"] as const),
    goals: rng.rand(0, 4) === 0 ? [{ metric: "user_input", targetValue: rng.rand(1, 1000), currentValue: rng.rand(0, 2000) }] : [],
    weightNrAccesses: rng.rand(0, 3),
    weightAge: rng.rand(0, 3)
  },
  maxNrSnapshots: rng.rand(0, 5) === 0 ? rng.rand(1, 10) : 0,
  // one scheme in 4 with an addr filter: thresholds scheme by scheme, and regions split by it
  filters: rng.rand(0, 4) === 0
    ? [{ type: "addr", matching: rng.rand(0, 2) === 0, allow: rng.rand(0, 2) === 0, addrRange: { start: rng.rand(0, 40) * 1024, end: rng.rand(40, 200) * 1024 } }]
    : []
})

/** What may differ if the pass went wrong: every region, statistic and quota field. */
const stateOf = (ctx: DamonCtx): string =>
  JSON.stringify([
    ctx.targets.map((t) => t.regions.map((r) => [r.start, r.end, r.nrAccesses, r.nrAccessesBp, r.age])),
    ctx.schemes.map((s) => [s.stat, s.quota.esz, s.quota.chargedSz, s.quota.totalChargedSz, s.quota.totalChargedNs, s.quota.minScore, s.quota.chargeAddrFrom, s.quota.chargeTargetFrom === null ? -1 : ctx.targets.indexOf(s.quota.chargeTargetFrom), s.nextApplySis, s.lastApplied])
  ])

interface Tally {
  ageReset: number
  trimmed: number
  resumeSplit: number
  visits: number
}

/** Hooks that write down every walk visit, core-filter rejection and completed scheme, as the engine's walk sees them. */
const recordingHooks = (ctx: DamonCtx, log: Array<unknown>): ApplyHooks => ({
  onApplied: (t, r, s, passed) => void log.push(["applied", ctx.targets.indexOf(t), r.start, r.end, ctx.schemes.indexOf(s), passed]),
  walkComplete: (s) => void log.push(["complete", ctx.schemes.indexOf(s)]),
  onCoreFilteredOut: (t, r, s) => void log.push(["filtered", ctx.targets.indexOf(t), r.start, r.end, ctx.schemes.indexOf(s)])
})

/** R2's pass, literally: windows and histograms scheme by scheme, every check on the region as it is. */
const kernelPass = (ctx: DamonCtx, ops: DamonOps, env: OpsEnv, nowMs: number, hooks: ApplyHooks, tally: Tally): void => {
  const due = ctx.schemes.filter((s) => ctx.passedSampleIntervals >= s.nextApplySis && s.wmarks.activated)
  for (const s of due) {
    if (adjustQuotaWindow(ctx, s, nowMs, undefined, env.nowUs())) updateMinScore(ctx, s, ops)
  }
  if (due.length === 0) return
  const out: ApplyResult = { applied: 0, filterPassed: 0, costNs: 0 }
  for (const t of ctx.targets) {
    for (let i = 0; i < t.regions.length; i++) {
      for (const s of due) {
        if (quotaFull(s.quota)) continue
        const before = t.regions.length
        if (skipChargedRegion(t, i, s, ctx.minRegionSz)) {
          if (t.regions.length > before) tally.resumeSplit++
          continue
        }
        if (s.maxNrSnapshots !== 0 && s.maxNrSnapshots <= s.stat.nrSnapshots) continue
        const r = t.regions[i]!
        const valid = isValidTargetPattern(r, s) &&
          (!quotaIsSet(s.quota) || ops.getSchemeScore!(ctx, t, r, s) >= s.quota.minScore)
        if (valid) {
          const [age, nr] = [r.age, t.regions.length]
          applyScheme(ctx, ops, env, t, i, s, hooks, out)
          if (age !== 0 && r.age === 0) tally.ageReset++
          if (t.regions.length > nr) tally.trimmed++
        }
        if (i === t.regions.length - 1) s.stat.nrSnapshots++
      }
    }
  }
  for (const s of ctx.schemes) {
    if (ctx.passedSampleIntervals < s.nextApplySis) continue
    hooks.walkComplete(s)
    setNextApplySis(ctx, s)
    s.lastApplied = -1
  }
}

/** Two copies of one random context, schemes and pass schedule. */
const scenario = (seed: number) => {
  const build = () => {
    const rng = makeRng(seed)
    const ctx = ctxOf(randomTargets(rng))
    // regions are whole pages; a larger minRegionSz leaves some smaller than it, so that a quota
    // without room for a minRegionSz piece can still have room for a whole region
    ctx.minRegionSz = pick(rng, [MIN, MIN, 2 * MIN, 4 * MIN])
    for (let i = rng.rand(1, 5); i > 0; i--) scheme(ctx, randomScheme(rng))
    return ctx
  }
  return [build(), build()] as const
}

/**
 * One pass at 1 ms over two contexts from `build`: the fast pass with shortcuts, then R2's
 * literal loop without; asserts they leave the same state and returns both.
 */
const onePassBoth = (build: () => DamonCtx): readonly [DamonCtx, DamonCtx] => {
  const [fast, literal] = [build(), build()]
  applySchemes(fast, opsOf(1, true), envAt(1000), 1, noHooks)
  kernelPass(literal, opsOf(1, false), envAt(1000), 1, noHooks, { ageReset: 0, trimmed: 0, resumeSplit: 0, visits: 0 })
  assert.strictEqual(stateOf(fast), stateOf(literal))
  return [fast, literal]
}

describe("the apply walk", () => {
  it("leaves every region, statistic and quota as R2's literal loop does, shortcuts or not (300 seeds x 12 passes)", () => {
    const tally: Tally = { ageReset: 0, trimmed: 0, resumeSplit: 0, visits: 0 }
    for (const shortcuts of [true, false]) {
      for (let seed = 1; seed <= SEEDS; seed++) {
        const [fast, literal] = scenario(seed)
        const fastOps = opsOf(seed, shortcuts)
        const literalOps = opsOf(seed, false)
        const changes = makeRng(seed + 1_000_000)
        const [fastLog, literalLog]: [Array<unknown>, Array<unknown>] = [[], []]
        const [fastHooks, literalHooks] = [recordingHooks(fast, fastLog), recordingHooks(literal, literalLog)]
        let nowMs = 0
        for (let pass = 0; pass < 12; pass++) {
          nowMs += changes.rand(40, 160)
          for (const ctx of [fast, literal]) ctx.passedSampleIntervals += 20
          applySchemes(fast, fastOps, envAt(nowMs * 1000), nowMs, fastHooks)
          kernelPass(literal, literalOps, envAt(nowMs * 1000), nowMs, literalHooks, tally)
          const where = `seed ${seed} pass ${pass}${shortcuts ? "" : " (no shortcuts)"}`
          assert.strictEqual(stateOf(fast), stateOf(literal), where)
          assert.strictEqual(JSON.stringify(fastLog), JSON.stringify(literalLog), `${where}: walk visits`)
          tally.visits += fastLog.length
          // the same merges of neighbours in both (a resume address then falls inside a region)
          const merges = fast.targets.map((t) => t.regions.map(() => changes.rand(0, 3) === 0))
          for (const ctx of [fast, literal]) {
            ctx.targets.forEach((t, ti) => {
              for (let i = t.regions.length - 2; i >= 0; i--) {
                const [l, r] = [t.regions[i]!, t.regions[i + 1]!]
                if (merges[ti]![i] && l.end === r.start) {
                  l.end = r.end
                  t.regions.splice(i + 1, 1)
                }
              }
            })
          }
          // the same new accesses and ages in both
          const draws = fast.targets.flatMap((t) => t.regions.map(() => [changes.rand(0, 21), changes.rand(0, 6)] as const))
          for (const ctx of [fast, literal]) {
            let k = 0
            for (const t of ctx.targets) {
              for (const r of t.regions) {
                const [nr, age] = draws[k++]!
                r.nrAccesses = nr
                r.nrAccessesBp = nr * 10000
                r.age = age
              }
            }
          }
        }
      }
    }
    // the cases a walk that reads a region once could get wrong, each met many times
    assert.isAbove(tally.ageReset, 1000, "ages reset by an action, then checked by a later scheme")
    assert.isAbove(tally.trimmed, 100, "regions trimmed by a quota")
    assert.isAbove(tally.resumeSplit, 30, "regions split at a resume point")
    assert.isAbove(tally.visits, 10_000, "walk visits compared")
  })

  it("a pass started from inside a walk function (an offline transform step) leaves the outer pass exact", () => {
    for (let seed = 1; seed <= 30; seed++) {
      const [fast, literal] = scenario(seed)
      const [inner1, inner2] = scenario(seed + 500)
      // the inner pass: other schemes, other shortcuts, run at the first visit of every outer pass
      const reentering = (ctx: DamonCtx, inner: DamonCtx, log: Array<unknown>): ApplyHooks => {
        const base = recordingHooks(ctx, log)
        let once = false
        return {
          ...base,
          onApplied: (t, r, s, passed) => {
            base.onApplied(t, r, s, passed)
            if (once) return
            once = true
            inner.passedSampleIntervals += 20
            applySchemes(inner, opsOf(seed + 7, true), envAt(5000), 5, noHooks)
          }
        }
      }
      const [fastLog, literalLog]: [Array<unknown>, Array<unknown>] = [[], []]
      for (let pass = 0; pass < 4; pass++) {
        for (const ctx of [fast, literal]) ctx.passedSampleIntervals += 20
        applySchemes(fast, opsOf(seed, true), envAt(100_000 * (pass + 1)), 100 * (pass + 1), reentering(fast, inner1, fastLog))
        kernelPass(literal, opsOf(seed, false), envAt(100_000 * (pass + 1)), 100 * (pass + 1), reentering(literal, inner2, literalLog), { ageReset: 0, trimmed: 0, resumeSplit: 0, visits: 0 })
        assert.strictEqual(stateOf(fast), stateOf(literal), `seed ${seed} pass ${pass}`)
        assert.strictEqual(JSON.stringify(fastLog), JSON.stringify(literalLog), `seed ${seed} pass ${pass}: visits`)
      }
    }
  })

  it("a region split at a resume point is read again by the schemes after it (a scheme before it read the whole region)", () => {
    const build = () => {
      const ctx = ctxOf([{ pid: null, regions: [region(0, 4 * MIN, 3, 2), region(4 * MIN, 8 * MIN, 3, 2)], obsolete: false }])
      ctx.minRegionSz = MIN
      // A reads the region and does not fit it; B's resume point splits it; C fits only the 4 KiB piece
      scheme(ctx, { action: "stat", pattern: { minAgeRegion: 100 } })
      const b = scheme(ctx, { action: "stat", quota: { sz: 64 * MIN, resetIntervalMs: 1000 } })
      scheme(ctx, { action: "stat", pattern: { maxSzRegion: MIN } })
      b.quota.chargeTargetFrom = ctx.targets[0]!
      b.quota.chargeAddrFrom = MIN
      ctx.passedSampleIntervals = 20
      return ctx
    }
    const [fast] = onePassBoth(build)
    assert.deepStrictEqual(fast.targets[0]!.regions.map((r) => [r.start, r.end]), [[0, MIN], [MIN, 4 * MIN], [4 * MIN, 8 * MIN]])
    assert.strictEqual(fast.schemes[2]!.stat.nrTried, 1, "C tried the 4 KiB piece, and only it")
  })

  it("a scheme at its snapshot limit still goes through its resume point (which splits a region and is cleared)", () => {
    const build = () => {
      const ctx = ctxOf([{ pid: null, regions: [region(0, 4 * MIN, 3, 2), region(4 * MIN, 8 * MIN, 3, 2)], obsolete: false }])
      ctx.minRegionSz = MIN
      const a = scheme(ctx, { action: "stat", quota: { sz: 64 * MIN, resetIntervalMs: 1000 }, maxNrSnapshots: 1 })
      a.stat.nrSnapshots = 1
      a.quota.chargeTargetFrom = ctx.targets[0]!
      a.quota.chargeAddrFrom = 2 * MIN
      ctx.passedSampleIntervals = 20
      return ctx
    }
    const [fast] = onePassBoth(build)
    assert.deepStrictEqual(fast.targets[0]!.regions.map((r) => [r.start, r.end]), [[0, 2 * MIN], [2 * MIN, 4 * MIN], [4 * MIN, 8 * MIN]])
    assert.isNull(fast.schemes[0]!.quota.chargeTargetFrom, "the resume point is cleared past its address")
    assert.strictEqual(fast.schemes[0]!.stat.nrTried, 0, "nothing tried at the snapshot limit")
  })

  it("a scheme that fills its quota on the last region and takes its last snapshot there stays quota-full", () => {
    const build = () => {
      const ctx = ctxOf([{ pid: null, regions: [region(0, 4 * MIN, 3, 0), region(4 * MIN, 8 * MIN, 3, 5)], obsolete: false }])
      ctx.minRegionSz = MIN
      // A fits only the last region and fills its quota with it exactly, at its last snapshot
      scheme(ctx, { action: "stat", pattern: { minAgeRegion: 5 }, quota: { sz: 4 * MIN, resetIntervalMs: 1000 }, maxNrSnapshots: 1 })
      // B trims that last region (splits it), so the walk visits one more region of the target
      scheme(ctx, { action: "stat", pattern: { minAgeRegion: 5 }, quota: { sz: 2 * MIN, resetIntervalMs: 1000 } })
      ctx.passedSampleIntervals = 20
      return ctx
    }
    const [, literal] = onePassBoth(build)
    assert.strictEqual(literal.schemes[0]!.quota.chargeTargetFrom, literal.targets[0], "R2 keeps the resume point")
  })
})
