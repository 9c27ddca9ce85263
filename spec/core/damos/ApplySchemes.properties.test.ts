import { describe, it } from "@effect/vitest"
import { assert } from "../../support/loopAssert.ts"
import { quotaIsSet } from "../../../src/core/damos/AccessPattern.ts"
import { type ApplyHooks, applySchemes, noHooks } from "../../../src/core/damos/ApplySchemes.ts"
import { makeRng, type Rng } from "../../../src/core/Rng.ts"
import { actions, type Damos, type Stat } from "../../../src/model/Damos.ts"
import type { DamonCtx } from "../../../src/model/DamonCtx.ts"
import type { Target } from "../../../src/model/Target.ts"
import type { ApplyResult, DamonOps } from "../../../src/ops/DamonOps.ts"
import { ctxOf, envAt, makeDue, region, scheme } from "./fixtures.ts"

const MIN = 4096
/**
 * Seeds per property (300, some 0.1 s of CPU each property): the quota-window properties assert
 * that their quota filled more than once per seed on average, so fewer seeds prove less.
 */
const SEEDS = 300

const pick = <A>(rng: Rng, xs: ReadonlyArray<A>): A => xs[rng.rand(0, xs.length)]!

const randomTargets = (rng: Rng): Array<Target> => {
  const targets: Array<Target> = []
  const nrTargets = rng.rand(1, 4)
  for (let ti = 0; ti < nrTargets; ti++) {
    const t: Target = { pid: null, regions: [], obsolete: false }
    let addr = rng.rand(0, 16) * MIN
    const nrRegions = rng.rand(1, 9)
    for (let i = 0; i < nrRegions; i++) {
      if (rng.rand(0, 4) === 0) addr += rng.rand(1, 4) * MIN
      const size = rng.rand(1, 17) * MIN
      t.regions.push(region(addr, addr + size, rng.rand(0, 21), rng.rand(0, 10)))
      addr += size
    }
    targets.push(t)
  }
  return targets
}

const randomFilter = (rng: Rng, nrTargets: number): unknown => {
  if (rng.rand(0, 3) === 0) {
    return {
      type: "target",
      matching: rng.rand(0, 2) === 0,
      allow: rng.rand(0, 2) === 0,
      targetIdx: rng.rand(0, nrTargets + 1)
    }
  }
  const start = rng.rand(0, 120) * 1024
  return {
    type: "addr",
    matching: rng.rand(0, 2) === 0,
    allow: rng.rand(0, 2) === 0,
    addrRange: { start, end: start + rng.rand(0, 60) * 1024 }
  }
}

const randomScheme = (rng: Rng, nrTargets: number, opts: { readonly filters: boolean }): unknown => ({
  action: pick(rng, actions),
  applyIntervalUs: pick(rng, [0, 0, 200_000]),
  pattern: {
    minNrAccesses: rng.rand(0, 4),
    maxNrAccesses: rng.rand(4, 22),
    maxAgeRegion: rng.rand(3, 12)
  },
  quota: {
    sz: rng.rand(0, 3) === 0 ? 0 : rng.rand(1, 40) * MIN + rng.rand(0, MIN),
    ms: rng.rand(0, 4) === 0 ? rng.rand(1, 3) : 0,
    resetIntervalMs: pick(rng, [0, 100, 250, 1000]),
    goalTuner: pick(rng, ["consist", "temporal"] as const),
    goals: rng.rand(0, 3) === 0
      ? [{ metric: "user_input", targetValue: rng.rand(1, 1000), currentValue: rng.rand(0, 2000) }]
      : []
  },
  filters: opts.filters ? Array.from({ length: rng.rand(0, 4) }, () => randomFilter(rng, nrTargets)) : [],
  maxNrSnapshots: rng.rand(0, 4) === 0 ? rng.rand(1, 10) : 0
})

/** Ops that apply a random share of each region (never more) and score by accesses and age. */
const randomOps = (rng: Rng): DamonOps => ({
  id: "random",
  applyScheme: (_c, _t, r, _s, _e, o) => {
    const sz = r.end - r.start
    o.applied = rng.rand(0, 3) === 0 ? 0 : rng.rand(0, sz + 1)
    o.filterPassed = rng.rand(0, sz + 1)
    o.costNs = rng.rand(0, 100_000)
  },
  getSchemeScore: (_c, _t, r) => (r.nrAccesses * 5 + r.age) % 100
})

const ULONG_MAX = 2n ** 64n - 1n
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)
const BP = 10000n

/** `damon_feed_loop_next_input()` as `mm/damon/core.c` writes it (u64 arithmetic). */
const kernelFeedLoop = (last: bigint, score: bigint): bigint => {
  const goal = 10000n
  const minInput = 10000n
  if (score === goal) return last
  if (score >= goal * 2n) return minInput
  const over = score > goal
  const diff = over ? score - goal : goal - score
  const compensation = last < ULONG_MAX / diff ? (last * diff) / goal : (last / goal) * diff
  if (over) return last - compensation > minInput ? last - compensation : minInput
  return last < ULONG_MAX - compensation ? last + compensation : ULONG_MAX
}

/** A user_input goal the test steers: the kernel scores it `current * 10000 / target`. */
interface ModelGoal {
  readonly targetValue: number
  currentValue: number
}

/**
 * The test's own model of one scheme's quota (`damos_adjust_quota()` and
 * `damos_set_effective_quota()` of R2, kernel-semantics 4.4), fed only with what the ops set was
 * asked to do: the bytes of every region handed to `applyScheme` and the `costNs` it reported.
 */
interface QuotaModel {
  readonly ms: number
  readonly sz: number
  readonly resetIntervalMs: number
  readonly tuner: "consist" | "temporal"
  readonly goals: ReadonlyArray<ModelGoal>
  chargedFrom: number
  chargedSz: number
  totalChargedSz: number
  totalChargedNs: number
  eszBp: bigint
  esz: number
  windowApplied: number
}

const modelSetEsz = (m: QuotaModel, minRegionSz: number): void => {
  if (m.ms === 0 && m.goals.length === 0) {
    m.esz = m.sz
    return
  }
  let esz = ULONG_MAX
  if (m.goals.length !== 0) {
    let score = 0n
    for (const g of m.goals) {
      const sc = (BigInt(g.currentValue) * BP) / BigInt(g.targetValue)
      if (sc > score) score = sc
    }
    if (m.tuner === "consist") m.eszBp = kernelFeedLoop(m.eszBp > BP ? m.eszBp : BP, score)
    else if (score >= BP) m.eszBp = 0n
    else m.eszBp = m.sz !== 0 ? BigInt(m.sz) * BP : ULONG_MAX
    esz = m.eszBp / BP
  }
  if (m.ms !== 0) {
    const throughput = m.totalChargedNs !== 0
      ? (BigInt(m.totalChargedSz) * 1_000_000n) / BigInt(m.totalChargedNs)
      : 4096n * 1024n
    const timeEsz = throughput * BigInt(m.ms)
    if (timeEsz < esz) esz = timeEsz
    if (esz < BigInt(minRegionSz)) esz = BigInt(minRegionSz)
  }
  if (m.sz !== 0 && BigInt(m.sz) < esz) esz = BigInt(m.sz)
  m.esz = Number(esz < MAX_SAFE ? esz : MAX_SAFE)
}

/** The window bookkeeping of `damos_adjust_quota()` (R2) at `nowMs`. */
const modelAdjust = (m: QuotaModel, nowMs: number, minRegionSz: number): void => {
  if (m.chargedFrom === -1) {
    m.chargedFrom = nowMs
    modelSetEsz(m, minRegionSz)
  }
  if (!(nowMs >= m.chargedFrom && nowMs < m.chargedFrom + m.resetIntervalMs)) {
    m.totalChargedSz += m.chargedSz
    m.chargedFrom = nowMs
    m.chargedSz = 0
    m.windowApplied = 0
    modelSetEsz(m, minRegionSz)
  }
}

/**
 * Stub ops whose actions take a modelled time: `callNs` plus `nsPerByte` per applied byte (the
 * time quota's throughput is measured from it). Applies the whole region, sometimes a part.
 * Every call is reported to `record`.
 */
const timedOps = (
  rng: Rng,
  nsPerByte: number,
  callNs: number,
  record: (s: Damos, sz: number, o: ApplyResult) => void
): DamonOps => ({
  id: "timed",
  applyScheme: (_c, _t, r, s, _e, o) => {
    const sz = r.end - r.start
    o.applied = rng.rand(0, 4) === 0 ? rng.rand(0, sz + 1) : sz
    o.filterPassed = 0
    o.costNs = callNs + Math.round(o.applied * nsPerByte)
    record(s, sz, o)
  },
  getSchemeScore: (_c, _t, r) => (r.nrAccesses * 7 + r.age) % 100
})

/** Targets of 2-48 regions of up to 4 MiB each, so time and goal quotas bind. */
const bigTargets = (rng: Rng): Array<Target> => {
  const targets: Array<Target> = []
  const nrTargets = rng.rand(1, 4)
  for (let ti = 0; ti < nrTargets; ti++) {
    const t: Target = { pid: null, regions: [], obsolete: false }
    let addr = rng.rand(0, 64) * MIN
    const nrRegions = rng.rand(2, 17)
    for (let i = 0; i < nrRegions; i++) {
      if (rng.rand(0, 4) === 0) addr += rng.rand(1, 64) * MIN
      const size = rng.rand(1, 1025) * MIN
      t.regions.push(region(addr, addr + size, rng.rand(0, 21), rng.rand(0, 10)))
      addr += size
    }
    targets.push(t)
  }
  return targets
}

/**
 * Runs 40 apply passes of 1-2 schemes with time quotas (`kind: "time"`) or user_input goals
 * (`kind: "goals"`), steering the goals' current values between passes, and checks every window
 * against {@link QuotaModel}. Returns how many windows the quota filled (to within one
 * `minRegionSz`), so the caller can check the bound was exercised.
 */
const checkQuotaWindows = (seed: number, kind: "time" | "goals"): number => {
  const rng = makeRng(seed)
  const ctx = ctxOf(bigTargets(rng))
  const minRegionSz = ctx.minRegionSz
  const models = new Map<Damos, QuotaModel>()
  const calls: Array<{ readonly s: Damos; readonly sz: number; readonly applied: number; readonly costNs: number }> = []
  const nrSchemes = rng.rand(1, 3)
  for (let i = 0; i < nrSchemes; i++) {
    const ms = kind === "time" ? rng.rand(1, 6) : rng.rand(0, 3) === 0 ? rng.rand(1, 4) : 0
    const sz = rng.rand(0, 3) === 0 ? rng.rand(1, 4096) * MIN + rng.rand(0, MIN) : 0
    const resetIntervalMs = pick(rng, [0, 0, 100, 250, 1000])
    const tuner = pick(rng, ["consist", "temporal"] as const)
    const nrGoals = kind === "goals" ? rng.rand(1, 4) : rng.rand(0, 4) === 0 ? 1 : 0
    const goals: Array<ModelGoal> = Array.from({ length: nrGoals }, () => {
      const targetValue = rng.rand(1, 1000)
      return { targetValue, currentValue: rng.rand(0, targetValue * 2) }
    })
    const s = scheme(ctx, {
      action: pick(rng, ["pageout", "cold", "lru_prio", "stat"] as const),
      quota: {
        ms,
        sz,
        resetIntervalMs,
        goalTuner: tuner,
        goals: goals.map((g) => ({ metric: "user_input", targetValue: g.targetValue, currentValue: g.currentValue }))
      }
    })
    models.set(s, {
      ms,
      sz,
      resetIntervalMs,
      tuner,
      goals,
      chargedFrom: -1,
      chargedSz: 0,
      totalChargedSz: 0,
      totalChargedNs: 0,
      eszBp: 0n,
      esz: 0,
      windowApplied: 0
    })
  }
  const nsPerByte = rng.rand(1, 2001) / 100
  const ops = timedOps(rng, nsPerByte, rng.rand(0, 5000), (s, sz, o) =>
    calls.push({ s, sz, applied: o.applied, costNs: o.costNs }))
  let filled = 0
  let nowMs = 0
  for (let pass = 0; pass < 40; pass++) {
    const at = `seed ${seed} pass ${pass}`
    nowMs += rng.rand(20, 300)
    for (const [s, m] of models) {
      m.goals.forEach((g, i) => {
        if (rng.rand(0, 3) !== 0) return
        g.currentValue = rng.rand(0, Math.floor((g.targetValue * 5) / 2))
        s.quota.goals[i]!.currentValue = g.currentValue
      })
      modelAdjust(m, nowMs, minRegionSz)
    }
    ctx.passedSampleIntervals += 20
    calls.length = 0
    applySchemes(ctx, ops, envAt(nowMs * 1000, rng), nowMs, noHooks)
    for (const c of calls) {
      const m = models.get(c.s)!
      m.chargedSz += c.sz
      m.windowApplied += c.applied
      m.totalChargedNs += c.costNs
    }
    for (const [s, m] of models) {
      assert.strictEqual(s.quota.esz, m.esz, `${at}: esz is not the kernel formula's`)
      assert.isTrue(m.chargedSz <= m.esz, `${at}: window charged ${m.chargedSz} > esz ${m.esz}`)
      assert.isTrue(m.windowApplied <= m.esz, `${at}: window applied ${m.windowApplied} > esz ${m.esz}`)
      assert.strictEqual(s.quota.chargedSz, m.chargedSz, `${at}: charged bytes`)
      assert.strictEqual(s.quota.totalChargedNs, m.totalChargedNs, `${at}: charged time`)
      if (m.chargedSz > 0 && m.esz - m.chargedSz < minRegionSz) filled++
    }
    for (const t of ctx.targets) {
      for (const r of t.regions) {
        r.nrAccesses = rng.rand(0, 21)
        r.nrAccessesBp = r.nrAccesses * 10000
        r.age = rng.rand(0, 10)
      }
    }
  }
  return filled
}

const statFields: ReadonlyArray<keyof Stat> = [
  "nrTried",
  "szTried",
  "nrApplied",
  "szApplied",
  "szOpsFilterPassed",
  "qtExceeds",
  "nrSnapshots"
]

const checkRegions = (ctx: DamonCtx, totals: ReadonlyArray<number>, seed: number): void => {
  ctx.targets.forEach((t, i) => {
    let sum = 0
    for (let j = 0; j < t.regions.length; j++) {
      const r = t.regions[j]!
      assert.isTrue(r.start < r.end, `seed ${seed}: empty region`)
      if (j > 0) assert.isTrue(t.regions[j - 1]!.end <= r.start, `seed ${seed}: overlap`)
      sum += r.end - r.start
    }
    assert.strictEqual(sum, totals[i], `seed ${seed}: splits changed the covered bytes`)
  })
}

describe("ApplySchemes properties", () => {
  it("quota, stats and regions invariants hold over many random passes", () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const rng = makeRng(seed)
      const ctx = ctxOf(randomTargets(rng))
      const totals = ctx.targets.map((t) => t.regions.reduce((a, r) => a + r.end - r.start, 0))
      const nrSchemes = rng.rand(1, 4)
      for (let i = 0; i < nrSchemes; i++) scheme(ctx, randomScheme(rng, ctx.targets.length, { filters: true }))
      const ops = randomOps(rng)
      let nowMs = 0
      for (let pass = 0; pass < 20; pass++) {
        const before = ctx.schemes.map((s) => ({ ...s.stat }))
        ctx.passedSampleIntervals += 20
        nowMs += rng.rand(50, 160)
        applySchemes(ctx, ops, envAt(nowMs * 1000, rng), nowMs, noHooks)
        ctx.schemes.forEach((s, i) => {
          const st = s.stat
          for (const f of statFields) assert.isTrue(st[f] >= before[i]![f], `seed ${seed}: ${f} went down`)
          assert.isTrue(st.nrApplied <= st.nrTried, `seed ${seed}: nrApplied > nrTried`)
          assert.isTrue(st.szApplied <= st.szTried, `seed ${seed}: szApplied > szTried`)
          if (quotaIsSet(s.quota)) {
            const msg = `seed ${seed}: window charged ${s.quota.chargedSz} > esz ${s.quota.esz}`
            assert.isTrue(s.quota.chargedSz <= s.quota.esz, msg)
          }
          assert.strictEqual(s.quota.totalChargedSz + s.quota.chargedSz, st.szTried, `seed ${seed}: charged != tried`)
        })
        checkRegions(ctx, totals, seed)
        for (const t of ctx.targets) {
          for (const r of t.regions) {
            r.nrAccesses = rng.rand(0, 21)
            r.nrAccessesBp = r.nrAccesses * 10000
            r.age = rng.rand(0, 10)
          }
        }
      }
    }
  })

  it("applied bytes per window never exceed esz (no slack: trims are aligned down)", () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const rng = makeRng(seed * 7919)
      const ctx = ctxOf(randomTargets(rng))
      const s = scheme(ctx, {
        action: "pageout",
        quota: { sz: rng.rand(1, 30) * MIN + rng.rand(0, MIN), resetIntervalMs: pick(rng, [0, 100, 300]) }
      })
      const ops = randomOps(rng)
      let nowMs = 0
      let windowStart = -1
      let windowApplied = 0
      let windowEsz = 0
      for (let pass = 0; pass < 25; pass++) {
        ctx.passedSampleIntervals += 20
        nowMs += rng.rand(40, 120)
        const appliedBefore = s.stat.szApplied
        const eszBefore = s.quota.esz
        const chargedBefore = s.quota.chargedSz
        applySchemes(ctx, ops, envAt(nowMs * 1000, rng), nowMs, noHooks)
        if (s.quota.chargedFrom !== windowStart || s.quota.chargedSz < chargedBefore || s.quota.esz !== eszBefore) {
          windowStart = s.quota.chargedFrom
          windowApplied = 0
          windowEsz = s.quota.esz
        }
        windowApplied += s.stat.szApplied - appliedBefore
        assert.isTrue(windowApplied <= windowEsz, `seed ${seed}: applied ${windowApplied} > esz ${windowEsz}`)
      }
    }
  })

  it("time quotas: esz = min(ms * measured throughput, sz) (at least minRegionSz) and no window charges more", () => {
    let filled = 0
    for (let seed = 1; seed <= SEEDS; seed++) filled += checkQuotaWindows(seed * 4099, "time")
    assert.isAbove(filled, SEEDS, "the time quota rarely bound: the bound was not exercised")
  })

  it("goal-driven esz (user_input goals, consist and temporal tuners) follows the feedback loop, bounds windows", () => {
    let filled = 0
    for (let seed = 1; seed <= SEEDS; seed++) filled += checkQuotaWindows(seed * 65537, "goals")
    assert.isAbove(filled, SEEDS, "the goal quota rarely bound: the bound was not exercised")
  })

  it("filters partition the bytes exactly: passed + filtered = tried candidates", () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const rng = makeRng(seed * 104729)
      const ctx = ctxOf(randomTargets(rng))
      const total = ctx.targets.reduce((a, t) => a + t.regions.reduce((b, r) => b + r.end - r.start, 0), 0)
      const s = scheme(ctx, {
        action: "stat",
        filters: Array.from({ length: rng.rand(1, 5) }, () => randomFilter(rng, ctx.targets.length))
      })
      makeDue(ctx)
      let passed = 0
      let filtered = 0
      const hooks: ApplyHooks = {
        ...noHooks,
        onApplied: (_t, r) => {
          passed += r.end - r.start
        },
        onCoreFilteredOut: (_t, r) => {
          filtered += r.end - r.start
        }
      }
      applySchemes(ctx, randomOps(rng), envAt(), 0, hooks)
      assert.strictEqual(passed + filtered, total, `seed ${seed}`)
      assert.strictEqual(s.stat.szTried, passed, `seed ${seed}`)
    }
  })

  it("prioritisation: minScore is the histogram cut and only regions scoring at least that are applied", () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const rng = makeRng(seed * 31337)
      const ctx = ctxOf(randomTargets(rng))
      const sz = rng.rand(1, 20) * MIN
      const s = scheme(ctx, { action: "pageout", quota: { sz, resetIntervalMs: 1000 } })
      const ops = randomOps(rng)
      const score = (r: { readonly nrAccesses: number; readonly age: number }) => (r.nrAccesses * 5 + r.age) % 100
      const bytes = new Array<number>(100).fill(0)
      for (const t of ctx.targets) for (const r of t.regions) bytes[score(r)]! += r.end - r.start
      let expected = 0
      let cum = 0
      for (let sc = 99; sc >= 0; sc--) {
        cum += bytes[sc]!
        if (cum >= sz) {
          expected = sc
          break
        }
      }
      makeDue(ctx)
      const appliedScores: Array<number> = []
      applySchemes(ctx, ops, envAt(), 0, { ...noHooks, onApplied: (_t, r) => appliedScores.push(score(r)) })
      assert.strictEqual(s.quota.minScore, expected, `seed ${seed}`)
      for (const sc of appliedScores) assert.isTrue(sc >= expected, `seed ${seed}: applied score ${sc} < ${expected}`)
      assert.isTrue(s.stat.szTried <= sz, `seed ${seed}`)
    }
  })
})
