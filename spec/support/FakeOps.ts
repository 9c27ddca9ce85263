/**
 * A tiny deterministic operations set for engine tests: one address space where a fixed set of
 * ranges is "hot" (always accessed) and everything else is idle. It records every hook call so
 * tests can assert the loop order.
 */
import { AccessRate, type AddrRange, type DamonCtx, type DamonOps, type DamonOpsFactory, type SystemMetrics } from "effect-damon"

export interface FakeOpsLog {
  readonly calls: Array<string>
}

export interface FakeOpsOptions {
  readonly hot?: ReadonlyArray<AddrRange.AddrRange>
  /** Regions given to targets without regions at init. */
  readonly initRange?: AddrRange.AddrRange
  /** Throw from this hook (on its n-th call, 1-based). */
  readonly failAt?: { readonly hook: "prepareAccessChecks" | "checkAccesses" | "update"; readonly call: number }
  /** targetValid answers false from this sample count on. */
  readonly invalidFromSis?: number
  readonly log?: FakeOpsLog
  readonly id?: string
  /** Give the ops set system metrics whose free-memory rate (per mille) the test controls. */
  readonly freeMemRate?: { value: number }
  /** Give the ops set an `applyScheme` that applies every byte (or throws on the given call). */
  readonly apply?: { readonly failOnCall?: number }
  /** Only these pids are valid targets (others: `targetValid` false). */
  readonly validPids?: ReadonlyArray<number | null>
  /** Give the ops set a `cleanupTarget` hook that throws. */
  readonly failCleanupTarget?: boolean
}

const fakeSystem = (freeMemRate: { value: number }): SystemMetrics => ({
  freeMemRatePermil: () => freeMemRate.value,
  someMemPsiTotalUs: () => 0,
  nodeMemUsedBp: () => 10000 - freeMemRate.value * 10,
  nodeMemFreeBp: () => freeMemRate.value * 10,
  nodeMemcgUsedBp: () => 0,
  activeMemBp: () => 5000,
  inactiveMemBp: () => 5000,
  nodeOfAddr: () => 0
})

export const makeFakeOps = (options: FakeOpsOptions = {}): DamonOpsFactory => () => {
  const hot = options.hot ?? []
  const counts = new Map<string, number>()
  const note = (hook: string) => {
    const n = (counts.get(hook) ?? 0) + 1
    counts.set(hook, n)
    options.log?.calls.push(hook)
    if (options.failAt !== undefined && options.failAt.hook === hook && options.failAt.call === n) {
      throw new Error(`${hook} failed on call ${n}`)
    }
  }
  const isHot = (addr: number) => hot.some((r) => addr >= r.start && addr < r.end)
  const ops: DamonOps = {
    id: options.id ?? "fake",
    init: (ctx) => {
      note("init")
      const range = options.initRange
      if (range === undefined) return
      for (const t of ctx.targets) {
        if (t.regions.length === 0) {
          t.regions.push({ start: range.start, end: range.end, nrAccesses: 0, nrAccessesBp: 0, lastNrAccesses: 0, age: 0, samplingAddr: -1 })
        }
      }
    },
    update: () => note("update"),
    prepareAccessChecks: (ctx: DamonCtx.DamonCtx, env) => {
      note("prepareAccessChecks")
      for (const t of ctx.targets) for (const r of t.regions) r.samplingAddr = env.rng.rand(r.start, r.end)
    },
    checkAccesses: (ctx: DamonCtx.DamonCtx) => {
      note("checkAccesses")
      let max = 0
      for (const t of ctx.targets) {
        for (const r of t.regions) {
          const accessed = r.samplingAddr >= r.start && r.samplingAddr < r.end && isHot(r.samplingAddr)
          AccessRate.updateRegionAccessRate(r, accessed, ctx.attrs)
          if (r.nrAccesses > max) max = r.nrAccesses
        }
      }
      return max
    },
    targetValid: (ctx: DamonCtx.DamonCtx, t) =>
      (options.invalidFromSis === undefined || ctx.passedSampleIntervals < options.invalidFromSis) &&
      (options.validPids === undefined || options.validPids.includes(t.pid)),
    ...(options.failCleanupTarget === true ? {
      cleanupTarget: () => {
        throw new Error("cleanupTarget failed")
      }
    } : {}),
    ...(options.freeMemRate === undefined ? {} : { system: fakeSystem(options.freeMemRate) }),
    ...(options.apply === undefined ? {} : {
      applyScheme: (_ctx, _t, region, _s, _env, out) => {
        const n = (counts.get("applyScheme") ?? 0) + 1
        counts.set("applyScheme", n)
        if (options.apply?.failOnCall === n) throw new Error(`applyScheme failed on call ${n}`)
        out.applied = region.end - region.start
        out.filterPassed = region.end - region.start
        out.costNs = 0
      }
    })
  }
  return ops
}
