/**
 * Shared test fixtures for the DAMOS core: small contexts, schemes from plain inputs, and
 * hand-written ops stubs (no simulated memory).
 */
import { Result } from "effect"
import * as DamosConfig from "../../../src/core/damos/DamosConfig.ts"
import { makeRng, type Rng } from "../../../src/core/Rng.ts"
import * as DamonCtx from "../../../src/model/DamonCtx.ts"
import type { Damos, SchemeConfig } from "../../../src/model/Damos.ts"
import * as Region from "../../../src/model/Region.ts"
import * as Target from "../../../src/model/Target.ts"
import type { ApplyResult, DamonOps, OpsEnv, SystemMetrics } from "../../../src/ops/DamonOps.ts"

/** A region with counters set (`nrAccessesBp = nrAccesses * 10000`). */
export const region = (start: number, end: number, nrAccesses = 0, age = 0): Region.Region => {
  const r = Region.make(start, end)
  r.nrAccesses = nrAccesses
  r.nrAccessesBp = nrAccesses * 10000
  r.age = age
  return r
}

/** A target from `[start, end)` pairs. */
export const target = (ranges: ReadonlyArray<readonly [number, number]>): Target.Target =>
  Target.make(null, ranges.map(([s, e]) => region(s, e)))

/** A context with the given targets. */
export const ctxOf = (
  targets: ReadonlyArray<Target.Target> = [],
  options: { readonly minRegionSz?: number; readonly opsId?: string } = {}
): DamonCtx.DamonCtx => {
  const ctx = DamonCtx.make(options.opsId ?? "paddr")
  ctx.minRegionSz = options.minRegionSz ?? DamonCtx.DAMON_MIN_REGION_SZ
  ctx.targets = [...targets]
  return ctx
}

/** Decodes a scheme input or throws (test inputs are meant to be valid). */
export const config = (input: unknown = {}, opsId = "paddr"): SchemeConfig => {
  const r = DamosConfig.decode(input, opsId)
  if (Result.isFailure(r)) throw new Error(r.failure.message)
  return r.success
}

/** A running scheme from an input, added to `ctx.schemes`. */
export const scheme = (ctx: DamonCtx.DamonCtx, input: unknown = {}): Damos => {
  const s = DamosConfig.fromConfig(config(input, ctx.opsId), ctx)
  ctx.schemes.push(s)
  return s
}

/** Makes every scheme of `ctx` due now. */
export const makeDue = (ctx: DamonCtx.DamonCtx): void => {
  for (const s of ctx.schemes) s.nextApplySis = ctx.passedSampleIntervals
}

/** An ops env with a seeded generator and a fixed clock. */
export const envAt = (nowUs = 0, rng: Rng = makeRng(1)): OpsEnv => ({ rng, nowUs: () => nowUs })

/** A fresh out-parameter. */
export const out = (): ApplyResult => ({ applied: 0, filterPassed: 0, costNs: 0 })

/** Ops whose `applyScheme` applies nothing (returns 0 bytes), like the kunit stub. */
export const zeroOps: DamonOps = {
  id: "stub",
  applyScheme: (_c, _t, _r, _s, _e, o) => {
    o.applied = 0
  }
}

/** Ops without `applyScheme`. */
export const bareOps: DamonOps = { id: "bare" }

/** Ops that apply the whole region and report it as having passed the ops filters. */
export const allOps = (extra: Partial<DamonOps> = {}): DamonOps => ({
  id: "all",
  applyScheme: (_c, _t, r, _s, _e, o) => {
    o.applied = r.end - r.start
    o.filterPassed = r.end - r.start
    o.costNs = 1000
  },
  ...extra
})

/** System metrics with fixed values (override any). */
export const metrics = (over: Partial<SystemMetrics> = {}): SystemMetrics => ({
  freeMemRatePermil: () => 500,
  someMemPsiTotalUs: () => 0,
  nodeMemUsedBp: () => 0,
  nodeMemFreeBp: () => 10000,
  nodeMemcgUsedBp: () => 0,
  activeMemBp: () => 0,
  inactiveMemBp: () => 0,
  nodeOfAddr: () => 0,
  ...over
})
