/**
 * Test helpers for the simulated ops sets: contexts, schemes from plain inputs, a virtual clock
 * env, and a mini kdamond loop built from the core algorithms (no Effect runtime).
 */
import { Result } from "effect"
import * as DamosConfig from "../../src/core/damos/DamosConfig.ts"
import { applyMinNrRegions, mergeRegions, resetAggregated, splitRegions, type SplitState } from "../../src/core/RegionAdjust.ts"
import type { Rng } from "../../src/core/Rng.ts"
import { initSchedule } from "../../src/core/SetAttrs.ts"
import * as DamonCtx from "../../src/model/DamonCtx.ts"
import type { Damos } from "../../src/model/Damos.ts"
import type { Target } from "../../src/model/Target.ts"
import type { AccessSampler, AddressSpace } from "../../src/ops/AddressSpace.ts"
import type { ApplyResult, DamonOps, OpsEnv } from "../../src/ops/DamonOps.ts"

/** A context for `opsId` with the given attrs overrides. */
export const ctxOf = (opsId: string): DamonCtx.DamonCtx => DamonCtx.make(opsId)

/** A running scheme decoded from `input` (throws on bad test input). */
export const scheme = (ctx: DamonCtx.DamonCtx, input: unknown): Damos => {
  const r = DamosConfig.decode(input, ctx.opsId)
  if (Result.isFailure(r)) throw new Error(r.failure.message)
  return DamosConfig.fromConfig(r.success, ctx)
}

/** A mutable virtual clock and an env over it. */
export interface Clock {
  now: number
}

export const envOf = (rng: Rng, clock: Clock): OpsEnv => ({ rng, nowUs: () => clock.now })

export const out = (): ApplyResult => ({ applied: 0, filterPassed: 0, costNs: 0 })

/**
 * Runs `samples` sample intervals of a kdamond-like loop with the core algorithms: prepare,
 * wait, check, and at each aggregation merge, reset, split and enforce `minNrRegions`.
 * `onAggregate` sees the regions right before they are reset.
 */
export const runLoop = (
  ctx: DamonCtx.DamonCtx,
  ops: DamonOps,
  env: OpsEnv,
  clock: Clock,
  samples: number,
  onAggregate: (ctx: DamonCtx.DamonCtx) => void = () => {}
): void => {
  initSchedule(ctx)
  ops.init?.(ctx, env)
  let szLimit = applyMinNrRegions(ctx)
  const split: SplitState = { lastNrRegions: 0 }
  for (let i = 0; i < samples; i++) {
    ops.prepareAccessChecks?.(ctx, env)
    clock.now += ctx.attrs.sampleIntervalUs
    const max = ops.checkAccesses?.(ctx, env) ?? 0
    ctx.passedSampleIntervals++
    if (ctx.passedSampleIntervals >= ctx.nextAggregationSis) {
      mergeRegions(ctx, Math.max(1, Math.floor(max / 10)), szLimit)
      onAggregate(ctx)
      resetAggregated(ctx)
      splitRegions(ctx, split, env.rng)
      szLimit = applyMinNrRegions(ctx)
      ctx.nextAggregationSis = ctx.passedSampleIntervals + ctx.attrs.aggrSamples
    }
  }
}

/** `space` with only the per-address forms of its sampler (the fallback every space has). */
export const perAddress = (space: AddressSpace): AddressSpace => ({
  ...space,
  sampler: (rng: Rng): AccessSampler => {
    const inner = space.sampler(rng)
    return {
      mkold: (pid, addr, nowUs) => inner.mkold(pid, addr, nowUs),
      young: (pid, addr, nowUs) => inner.young(pid, addr, nowUs),
      get folioSz() {
        return inner.folioSz
      }
    }
  }
})

/** Every region's state, in order, per target. */
export const snapshotRegions = (targets: ReadonlyArray<Target>) =>
  targets.map((t) => t.regions.map((r) => [r.start, r.end, r.samplingAddr, r.nrAccesses, r.nrAccessesBp, r.lastNrAccesses, r.age]))
