/**
 * The `paddr` operations set over the simulated machine: monitors physical memory, like
 * `mm/damon/paddr.c`. A sampled physical address is followed through the reverse map to the
 * owning process page; free frames have no folio and are never accessed. DAMOS actions walk the
 * physical range as the kernel does (from the region start in `folio_size` steps, past
 * `last_applied` a page at a time; `SimMachine.applyPhysical`) and act on the folios found
 * (reclaim, LRU (de)activation, migration, stat). No `init`,
 * `update` or `targetValid`: regions come from the user or the biggest System RAM
 * (`SimMachine.setRegionBiggestSystemRamDefault`).
 */
import { lenWindowOf, recordAccess } from "../core/AccessRate.ts"
import type { DamonCtx } from "../model/DamonCtx.ts"
import type { Damos } from "../model/Damos.ts"
import { makeOutcome, type SimAction, type SimMachine } from "../sim/SimMachine.ts"
import type { DamonOps, DamonOpsFactory, OpsEnv } from "./DamonOps.ts"
import {
  actionCostNs,
  coldScore,
  DAMOS_MAX_SCORE,
  hasOpsFilter,
  hotScore,
  implicitYoungFilter,
  makeSampleState,
  opsChain,
  SampleSlot
} from "./opsCommon.ts"

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
export const makePaddrOps = (machine: SimMachine): DamonOps => {
  const st = makeSampleState()
  const outcome = makeOutcome()

  /** `damon_pa_prepare_access_checks()`. */
  const prepareAccessChecks = (ctx: DamonCtx, env: OpsEnv): void => {
    const now = env.nowUs()
    machine.advance(now)
    st[SampleSlot.prepUs] = now
    const rand = env.rng.rand
    const targets = ctx.targets
    for (let ti = 0; ti < targets.length; ti++) {
      const regions = targets[ti]!.regions
      for (let i = 0; i < regions.length; i++) {
        const r = regions[i]!
        r.samplingAddr = rand(r.start, r.end)
      }
    }
  }

  /** `damon_pa_check_accesses()`, with the folio cache of `__damon_pa_check_access()`. */
  const checkAccesses = (ctx: DamonCtx, env: OpsEnv): number => {
    const now = env.nowUs()
    machine.advance(now)
    const from = st[SampleSlot.prepUs]!
    const rng = env.rng
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
            const y = machine.physYoung(pa, from, now, rng)
            if (y >= 0 && machine.folioSz !== folioSz) {
              folioSz = machine.folioSz
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

  const act = (start: number, end: number, action: SimAction, s: Damos, nowUs: number, withYoung: boolean): void => {
    outcome.affectedBytes = 0
    outcome.passedBytes = 0
    outcome.folios = 0
    outcome.unmappedBytes = 0
    outcome.lastFolio = -1
    const req = {
      action,
      chain: opsChain(s, withYoung ? implicitYoungFilter : undefined),
      targetNid: s.targetNid,
      dests: [],
      splitThp: false,
      skipFolio: s.lastApplied
    }
    machine.applyPhysical(start, end, req, nowUs, outcome)
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
      switch (s.action) {
        case "pageout":
        case "lru_deprio":
        case "migrate_cold":
          return coldScore(ctx, r, s)
        case "lru_prio":
        case "migrate_hot":
          return hotScore(ctx, r, s)
        default:
          return DAMOS_MAX_SCORE
      }
    },
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
      machine.advance(now)
      const unit = ctx.addrUnit
      const start = r.start * unit
      const end = r.end * unit
      let action: SimAction
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
          if (!hasOpsFilter(s)) return
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
    system: machine.metrics
  }
  return ops
}

/** The `paddr` registry entry over `machine`. */
export const paddrOps = (machine: SimMachine): DamonOpsFactory => () => makePaddrOps(machine)
