import { assert, describe, it } from "@effect/vitest"
import { quotaIsSet } from "../../../src/core/damos/AccessPattern.ts"
import { type ApplyHooks, applySchemes, noHooks } from "../../../src/core/damos/ApplySchemes.ts"
import { makeRng, type Rng } from "../../../src/core/Rng.ts"
import { actions, type Stat } from "../../../src/model/Damos.ts"
import type { DamonCtx } from "../../../src/model/DamonCtx.ts"
import type { Target } from "../../../src/model/Target.ts"
import type { DamonOps } from "../../../src/ops/DamonOps.ts"
import { ctxOf, envAt, makeDue, region, scheme } from "./fixtures.ts"

const MIN = 4096
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
