/**
 * A tiny deterministic operations set for scenarios: one address range per target where fixed
 * sub-ranges are "hot" (always accessed) and the rest idle, an `applyScheme` that applies every
 * byte it is given, and, on request, memory metrics whose free-memory rate the test sets (for
 * watermarks and measured goals). Fast enough for thousands of schedules a second.
 *
 * @since 0.2.0
 */
import { updateRegionAccessRate } from "../core/AccessRate.ts"
import type { AddrRange } from "../model/AddrRange.ts"
import type { DamonCtx } from "../model/DamonCtx.ts"
import type { DamonOps, DamonOpsFactory, SystemMetrics } from "../ops/DamonOps.ts"

const MiB = 1 << 20

/** Options of {@link make}. */
export interface FakeOpsOptions {
  /** Operations set id (default `"fake"`). */
  readonly id?: string
  /** Each target's initial region when it has none (default `[0, 64 MiB)`). */
  readonly range?: AddrRange
  /** Always-accessed ranges (default `[0, 16 MiB)`). */
  readonly hot?: ReadonlyArray<AddrRange>
  /** Give the set memory metrics with this free-memory rate (per mille), which the test may change. */
  readonly freeMemRate?: { value: number }
}

const metrics = (freeMemRate: { value: number }): SystemMetrics => ({
  freeMemRatePermil: () => freeMemRate.value,
  someMemPsiTotalUs: () => 0,
  nodeMemUsedBp: () => 10000 - freeMemRate.value * 10,
  nodeMemFreeBp: () => freeMemRate.value * 10,
  nodeMemcgUsedBp: () => 0,
  activeMemBp: () => 5000,
  inactiveMemBp: () => 5000,
  nodeOfAddr: () => 0
})

/** A fake operations set factory. */
export const make = (options: FakeOpsOptions = {}): DamonOpsFactory => () => {
  const range = options.range ?? { start: 0, end: 64 * MiB }
  const hot = options.hot ?? [{ start: 0, end: 16 * MiB }]
  const isHot = (addr: number) => hot.some((r) => addr >= r.start && addr < r.end)
  const ops: DamonOps = {
    id: options.id ?? "fake",
    init: (ctx: DamonCtx) => {
      for (const t of ctx.targets) {
        if (t.regions.length === 0) {
          t.regions.push({ start: range.start, end: range.end, nrAccesses: 0, nrAccessesBp: 0, lastNrAccesses: 0, age: 0, samplingAddr: -1 })
        }
      }
    },
    prepareAccessChecks: (ctx, env) => {
      for (const t of ctx.targets) for (const r of t.regions) r.samplingAddr = env.rng.rand(r.start, r.end)
    },
    checkAccesses: (ctx) => {
      let max = 0
      for (const t of ctx.targets) {
        for (const r of t.regions) {
          updateRegionAccessRate(r, r.samplingAddr >= r.start && r.samplingAddr < r.end && isHot(r.samplingAddr), ctx.attrs)
          if (r.nrAccesses > max) max = r.nrAccesses
        }
      }
      return max
    },
    applyScheme: (_ctx, _t, region, _s, _env, out) => {
      out.applied = region.end - region.start
      out.filterPassed = region.end - region.start
      out.costNs = 0
    },
    ...(options.freeMemRate === undefined ? {} : { system: metrics(options.freeMemRate) })
  }
  return ops
}
