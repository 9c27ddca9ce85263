/**
 * The `paddr` operations set over an address space: monitors physical memory, like
 * `mm/damon/paddr.c`. A sampled physical address's folio is made old and tested through the
 * space's `AccessSampler` (a simulated machine follows its reverse map to the owning process
 * page); free frames have no folio and are never accessed. DAMOS actions walk the physical range
 * as the kernel does (from the region start in `folio_size` steps, past `last_applied` a page
 * at a time; `AddressSpace.applyPhysical`) and act on the folios found (reclaim, LRU
 * (de)activation, migration, stat). No `init`, `update` or `targetValid`: regions come from the
 * user or the biggest System RAM (`setRegionBiggestSystemRamDefault`).
 */
import { lenWindowOf, recordAccess } from "../core/AccessRate.ts"
import type { Rng } from "../core/Rng.ts"
import type { AddrRange } from "../model/AddrRange.ts"
import type { DamonCtx } from "../model/DamonCtx.ts"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import type { Action, Damos } from "../model/Damos.ts"
import * as Target from "../model/Target.ts"
import * as Result from "effect/Result"
import { type AccessSampler, type AddressSpace, makeOutcome, type MemAction, resetOutcome } from "./AddressSpace.ts"
import type { DamonOps, DamonOpsFactory, OpsEnv } from "./DamonOps.ts"
import {
  actionCostNs,
  coldScore,
  DAMOS_MAX_SCORE,
  hotScore,
  implicitYoungFilter,
  makeSampleState,
  opsChain,
  SampleSlot,
  type ScoreFn,
  statWithoutOpsFilters
} from "./opsCommon.ts"

/**
 * The score `damon_pa_scheme_score()` gives under `action`: coldness for `pageout`,
 * `lru_deprio` and `migrate_cold`, hotness for `lru_prio` and `migrate_hot`; `undefined` for
 * the rest, which all get `DAMOS_MAX_SCORE` whatever the region.
 */
const paScoreOf = (action: Action): ScoreFn | undefined => {
  switch (action) {
    case "pageout":
    case "lru_deprio":
    case "migrate_cold":
      return coldScore
    case "lru_prio":
    case "migrate_hot":
      return hotScore
    default:
      return undefined
  }
}

/**
 * Builds one paddr instance for one kdamond (its folio cache and sampling window live in it;
 * `last_applied` is the scheme's `lastApplied`, a physical folio address).
 *
 * **Details**
 * Mirrors `damon_pa_initcall()` and the R2 `addr_unit` handling (`core address * addrUnit =
 * physical address`; reported bytes are divided back). Deviations: the folio cache is per
 * instance instead of function statics shared by every kdamond; a region whose `samplingAddr`
 * is outside it counts as not accessed; `lru_prio` activates folios (`folio_activate()`, as newer
 * kernels do) rather than `folio_mark_accessed()`.
 */
export const makePaddrOps = (space: AddressSpace): DamonOps => {
  const st = makeSampleState()
  const outcome = makeOutcome()
  let sampler: AccessSampler | undefined
  let samplerRng: Rng | undefined
  /** The space's accessed-bit interface for this instance, drawing from the kdamond's generator. */
  const samplerOf = (env: OpsEnv): AccessSampler => {
    if (sampler === undefined || samplerRng !== env.rng) {
      sampler = space.sampler(env.rng)
      samplerRng = env.rng
    }
    return sampler
  }

  /** `damon_pa_prepare_access_checks()`: a random sampling address per region, its folio made old. */
  const prepareAccessChecks = (ctx: DamonCtx, env: OpsEnv): void => {
    const now = env.nowUs()
    const s = samplerOf(env)
    const unit = ctx.addrUnit
    const rand = env.rng.rand
    const targets = ctx.targets
    for (let ti = 0; ti < targets.length; ti++) {
      const regions = targets[ti]!.regions
      for (let i = 0; i < regions.length; i++) {
        const r = regions[i]!
        const a = rand(r.start, r.end)
        r.samplingAddr = a
        s.mkold(null, a * unit, now)
      }
    }
  }

  /** `damon_pa_check_accesses()`, with the folio cache of `__damon_pa_check_access()`. */
  const checkAccesses = (ctx: DamonCtx, env: OpsEnv): number => {
    const now = env.nowUs()
    const s = samplerOf(env)
    const lenWindow = lenWindowOf(ctx.attrs)
    const unit = ctx.addrUnit
    // Folio cache in locals (registers) for the loop; written back at the end.
    let folioIdx = st[SampleSlot.folioIdx]!
    let folioSz = st[SampleSlot.folioSz]!
    let folioInv = st[SampleSlot.folioInv]!
    let lastAccessed = st[SampleSlot.accessed] === 1
    let max = 0
    const targets = ctx.targets
    for (let ti = 0; ti < targets.length; ti++) {
      const regions = targets[ti]!.regions
      for (let i = 0; i < regions.length; i++) {
        const r = regions[i]!
        const a = r.samplingAddr
        let accessed = false
        if (a >= r.start && a < r.end) {
          const pa = a * unit
          if (Math.floor(pa * folioInv) === folioIdx) {
            accessed = lastAccessed
          } else {
            const y = s.young(null, pa, now)
            if (y >= 0 && s.folioSz !== folioSz) {
              folioSz = s.folioSz
              folioInv = 1 / folioSz
            }
            lastAccessed = y === 1
            folioIdx = Math.floor(pa * folioInv)
            accessed = lastAccessed
          }
        }
        recordAccess(r, accessed, lenWindow)
        if (r.nrAccesses > max) max = r.nrAccesses
      }
    }
    st[SampleSlot.folioIdx] = folioIdx
    st[SampleSlot.folioSz] = folioSz
    st[SampleSlot.folioInv] = folioInv
    st[SampleSlot.accessed] = lastAccessed ? 1 : 0
    return max
  }

  const act = (start: number, end: number, action: MemAction, s: Damos, nowUs: number, withYoung: boolean): void => {
    resetOutcome(outcome)
    const req = {
      action,
      chain: opsChain(s, withYoung ? implicitYoungFilter : undefined),
      targetNid: s.targetNid,
      dests: [],
      splitThp: false,
      skipFolio: s.lastApplied
    }
    space.applyPhysical(start, end, req, nowUs, outcome)
    // `s->last_applied = folio` after the walk: the last folio, or none when the range ends in
    // frames without one.
    s.lastApplied = outcome.lastFolio
  }

  const ops: DamonOps = {
    id: "paddr",
    prepareAccessChecks,
    checkAccesses,
    /** `damon_pa_scheme_score()`. */
    getSchemeScore: (ctx, _t, r, s) => {
      const score = paScoreOf(s.action)
      return score === undefined ? DAMOS_MAX_SCORE : score(ctx, r, s)
    },
    fixedSchemeScore: (s) => (paScoreOf(s.action) === undefined ? DAMOS_MAX_SCORE : undefined),
    applyIsNoop: statWithoutOpsFilters,
    /**
     * `damon_pa_apply_scheme()`: `pageout` (with the implicit `young, matching=Y, allow=N` filter
     * unless the scheme has a young filter), `lru_prio`, `lru_deprio`, `migrate_hot/cold` (to
     * `targetNid`; paddr ignores `dests`) and `stat` (bytes passing the ops filters; nothing
     * without filters). Other actions apply 0 bytes.
     */
    applyScheme: (ctx, _t, r, s, env, out) => {
      out.applied = 0
      out.filterPassed = 0
      out.costNs = 0
      const now = env.nowUs()
      const unit = ctx.addrUnit
      const start = r.start * unit
      const end = r.end * unit
      let action: MemAction
      let withYoung = false
      switch (s.action) {
        case "pageout":
          action = "pageout"
          withYoung = !s.opsFilters.some((f) => f.type === "young")
          break
        case "lru_prio":
          action = "activate"
          break
        case "lru_deprio":
          action = "deactivate"
          break
        case "migrate_hot":
        case "migrate_cold":
          action = "migrate"
          break
        case "stat":
          if (statWithoutOpsFilters(s)) return
          action = "stat"
          break
        default:
          return
      }
      act(start, end, action, s, now, withYoung)
      out.applied = action === "stat" ? 0 : Math.floor(outcome.affectedBytes / unit)
      out.filterPassed = Math.floor(outcome.passedBytes / unit)
      out.costNs = actionCostNs(action, outcome)
    },
    cleanup: () => {
      st.set(makeSampleState())
    },
    ...(space.metrics === undefined ? {} : { system: space.metrics })
  }
  return ops
}

/** The `paddr` registry entry over `space`. */
export const paddrOps = (space: AddressSpace): DamonOpsFactory => () => makePaddrOps(space)

/** The largest "System RAM" range of `space` (kernel 3.5: the default paddr region). */
export const biggestSystemRamRange = (space: AddressSpace): AddrRange => {
  let best = { start: 0, end: 0 }
  for (const r of space.systemRam()) if (r.end - r.start > best.end - best.start) best = r
  return best
}

/**
 * Sets `target`'s regions to `[start, end)`, or to the biggest System RAM of `space` (in core
 * addresses, divided by `addrUnit`) when both are 0; returns the range used.
 *
 * **Details**
 * Mirrors `damon_set_region_biggest_system_ram_default()` (R2): `start > end` is `-EINVAL`.
 */
export const setRegionBiggestSystemRamDefault = (
  space: AddressSpace,
  target: Target.Target,
  start: number,
  end: number,
  addrUnit: number,
  minRegionSz: number
): Result.Result<AddrRange, DamonError> => {
  if (start > end) return Result.fail(invalidArgument("monitorRegionStart", start, `must be <= monitorRegionEnd (${end})`))
  let range = { start, end }
  if (start === 0 && end === 0) {
    const big = biggestSystemRamRange(space)
    if (big.end === big.start) return Result.fail(invalidArgument("monitorRegion", 0, "no System RAM"))
    range = { start: Math.floor(big.start / addrUnit), end: Math.floor(big.end / addrUnit) }
  }
  Target.setRegions(target, [range], minRegionSz)
  return Result.succeed(range)
}
