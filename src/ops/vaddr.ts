/**
 * The `vaddr` operations set over an address space: monitors the virtual address space of
 * processes (targets are pids), like `mm/damon/vaddr.c`. Regions start as the "three regions"
 * of the process's mappings and follow them on every `update`; sampling clears and tests the
 * accessed bits of the sampled pages through the space's `AccessSampler`; DAMOS actions act like
 * `madvise()` and page migration through `applyVirtual`. `fvaddr` is the same without
 * `init`/`update`.
 */
import { lenWindowOf, nomvsumQuotients, recordAccessIn } from "../core/AccessRate.ts"
import type { Rng } from "../core/Rng.ts"
import { threeRegions } from "../core/ThreeRegions.ts"
import { DAMON_MIN_REGION_SZ, type DamonCtx } from "../model/DamonCtx.ts"
import type { Action } from "../model/Damos.ts"
import type { Region } from "../model/Region.ts"
import * as Target from "../model/Target.ts"
import {
  type AccessSampler,
  type AddressSpace,
  type MemAction,
  makeOutcome,
  PAGE_SIZE,
  resetOutcome
} from "./AddressSpace.ts"
import type { DamonOps, DamonOpsFactory, OpsEnv } from "./DamonOps.ts"
import {
  actionCostNs,
  coldScore,
  DAMOS_MAX_SCORE,
  hasOpsFilter,
  hotScore,
  makeSampleState,
  opsChain,
  SampleSlot
} from "./opsCommon.ts"
/** Options of {@link makeVaddrOps}. */
export interface VaddrOptions {
  /** Ops id; defaults to `"vaddr"` (`"fvaddr"` when `fixed`). */
  readonly id?: string
  /** Fixed ranges (`fvaddr`): no `init`, no `update`. */
  readonly fixed?: boolean
  /**
   * What madvise-style actions report as applied: `"kernel"` (default) the whole page-aligned
   * range when the call succeeds and 0 when the range has an unmapped hole (`do_madvise()`
   * returns `-ENOMEM`), as `damos_madvise()` does; `"affected"` the bytes the action changed.
   */
  readonly madviseApplied?: "kernel" | "affected"
}

const madviseAction = (action: Action): MemAction | undefined => {
  switch (action) {
    case "willneed":
      return "willneed"
    case "cold":
      return "deactivate"
    case "pageout":
      return "pageout"
    case "hugepage":
      return "hugepage"
    case "nohugepage":
      return "nohugepage"
    case "collapse":
      return "collapse"
    default:
      return undefined
  }
}

const alignUp = (x: number, a: number): number => Math.ceil(x / a) * a

/**
 * Builds one vaddr (or fvaddr) instance for one kdamond; all its state (the folio cache of the
 * access check, the sampling window) lives in the instance; `last_applied` is the scheme's
 * `lastApplied` (a physical folio address).
 *
 * **Details**
 * Mirrors `damon_va_initcall()`'s two registrations. Deviations: the folio cache is per instance
 * (the kernel's is a set of function-level statics shared by every kdamond); a region whose
 * `samplingAddr` is outside it (created between prepare and check) counts as not accessed.
 */
export const makeVaddrOps = (space: AddressSpace, options: VaddrOptions = {}): DamonOps => {
  const fixed = options.fixed ?? false
  const reportKernel = (options.madviseApplied ?? "kernel") === "kernel"
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

  const setThreeRegions = (t: Target.Target, nowUs: number): void => {
    if (t.pid === null || !space.processAlive(t.pid, nowUs)) return
    const three = threeRegions(space.mappings(t.pid, nowUs), DAMON_MIN_REGION_SZ)
    if (three === undefined) return
    Target.setRegions(t, three, DAMON_MIN_REGION_SZ)
  }

  /** `damon_va_init()`: three regions for every target that has none. */
  const init = (ctx: DamonCtx, env: OpsEnv): void => {
    const now = env.nowUs()
    for (const t of ctx.targets) if (t.regions.length === 0) setThreeRegions(t, now)
  }

  /** `damon_va_update()`: re-apply the three regions (targets whose computation fails stay). */
  const update = (ctx: DamonCtx, env: OpsEnv): void => {
    const now = env.nowUs()
    for (const t of ctx.targets) setThreeRegions(t, now)
  }

  /** One target's sampling addresses (`NaN`: not tested) when re-read, and the answers. */
  let batchAddrs = new Float64Array(0)
  let batchOut = new Uint8Array(0)
  /** `batchAddrs` (and `batchOut`) with room for `n` regions. */
  const batchBuffers = (n: number): Float64Array => {
    if (batchAddrs.length < n) {
      batchAddrs = new Float64Array(n)
      batchOut = new Uint8Array(n)
    }
    return batchAddrs
  }

  /**
   * Per target index, the sampling addresses the last prepare drew and the regions array they
   * were drawn for (`undefined`: none drawn), and `OpsEnv.userRuns` then. The check reuses them
   * when the target still has that array, as long, and no user function ran since: one pass over
   * the regions fewer per sample (a region object read is a cache miss at a thousand regions).
   */
  const drawn: Array<{ addrs: Float64Array; regions: ReadonlyArray<Region> | undefined; n: number }> = []
  let drawnUserRuns = -1
  /** Target `ti`'s drawn-address slot, with room for `n` addresses. */
  const drawnFor = (ti: number, n: number): Float64Array => {
    let d = drawn[ti]
    if (d === undefined) {
      d = { addrs: new Float64Array(n), regions: undefined, n: 0 }
      drawn[ti] = d
    } else if (d.addrs.length < n) {
      d.addrs = new Float64Array(n)
    }
    return d.addrs
  }
  /** Records what target `ti`'s slot holds (`undefined`: nothing usable). */
  const setDrawn = (ti: number, regions: ReadonlyArray<Region> | undefined, n: number): void => {
    const d = drawn[ti]
    if (d === undefined) return
    d.regions = regions
    d.n = n
  }

  /** `damon_va_prepare_access_checks()`: a random sampling address per region, its page made old. */
  const prepareAccessChecks = (ctx: DamonCtx, env: OpsEnv): void => {
    const now = env.nowUs()
    const s = samplerOf(env)
    const rand = env.rng.rand
    const targets = ctx.targets
    for (let ti = 0; ti < targets.length; ti++) {
      const t = targets[ti]!
      const pid = t.pid
      setDrawn(ti, undefined, 0)
      if (pid === null || !space.processAlive(pid, now)) continue
      const regions = t.regions
      const n = regions.length
      if (s.mkoldBatch !== undefined) {
        const addrs = drawnFor(ti, n)
        if (env.rng.randRegions !== undefined) env.rng.randRegions(regions, n, addrs)
        else {
          for (let i = 0; i < n; i++) {
            const r = regions[i]!
            const a = rand(r.start, r.end)
            r.samplingAddr = a
            addrs[i] = a < r.end ? a : Number.NaN
          }
        }
        setDrawn(ti, regions, n)
        s.mkoldBatch(pid, addrs, n, now)
      } else {
        for (let i = 0; i < n; i++) {
          const r = regions[i]!
          const a = rand(r.start, r.end)
          r.samplingAddr = a
          s.mkold(pid, a, now)
        }
      }
    }
    drawnUserRuns = env.userRuns === undefined ? -1 : env.userRuns()
  }

  /** Whether no user function ran since the last prepare (`OpsEnv.userRuns`). */
  const unchangedSinceDrawn = (env: OpsEnv): boolean =>
    drawnUserRuns >= 0 && env.userRuns !== undefined && env.userRuns() === drawnUserRuns

  /** The moving sum's quotients for the current window length (see `nomvsumQuotients`). */
  let quotients = nomvsumQuotients(1)
  let quotientsLen = 1

  /** The per-address check of one live target's regions, through `st`'s folio cache. */
  const checkEach = (s: AccessSampler, pid: number, regions: ReadonlyArray<Region>, now: number): void => {
    // Folio cache in locals (registers) for the loop; written back at the end.
    let folioIdx = st[SampleSlot.folioIdx]!
    let folioSz = st[SampleSlot.folioSz]!
    let folioInv = st[SampleSlot.folioInv]!
    let lastAccessed = st[SampleSlot.accessed] === 1
    const out = batchOut
    for (let i = 0; i < regions.length; i++) {
      const r = regions[i]!
      let accessed = false
      const a = r.samplingAddr
      if (a >= r.start && a < r.end) {
        if (i > 0 && Math.floor(a * folioInv) === folioIdx) {
          accessed = lastAccessed
        } else {
          const y = s.young(pid, a, now)
          if (y >= 0 && s.folioSz !== folioSz) {
            folioSz = s.folioSz
            folioInv = 1 / folioSz
          }
          lastAccessed = y === 1
          folioIdx = Math.floor(a * folioInv)
          accessed = lastAccessed
        }
      }
      out[i] = accessed ? 1 : 0
    }
    st[SampleSlot.folioIdx] = folioIdx
    st[SampleSlot.folioSz] = folioSz
    st[SampleSlot.folioInv] = folioInv
    st[SampleSlot.accessed] = lastAccessed ? 1 : 0
  }

  /**
   * `damon_va_check_accesses()`: was each sampling page accessed since prepare? Reuses the
   * previous answer when the address is in the same folio of the same target (the folio cache).
   * A space with `youngBatch` answers a target's regions in one call; otherwise `young` per
   * address (the same answers).
   */
  const checkAccesses = (ctx: DamonCtx, env: OpsEnv): number => {
    const now = env.nowUs()
    const s = samplerOf(env)
    const lenWindow = lenWindowOf(ctx.attrs)
    if (lenWindow !== quotientsLen) {
      quotients = nomvsumQuotients(lenWindow)
      quotientsLen = lenWindow
    }
    const q = quotients
    let max = 0
    const targets = ctx.targets
    for (let ti = 0; ti < targets.length; ti++) {
      const t = targets[ti]!
      const pid = t.pid
      const regions = t.regions
      const n = regions.length
      let addrs = batchBuffers(n)
      const out = batchOut
      if (pid === null || !space.processAlive(pid, now)) {
        out.fill(0, 0, n)
      } else if (s.youngBatch !== undefined) {
        const d = drawn[ti]
        if (d !== undefined && d.regions === regions && d.n === n && unchangedSinceDrawn(env)) {
          addrs = d.addrs
        } else {
          for (let i = 0; i < n; i++) {
            const r = regions[i]!
            const a = r.samplingAddr
            addrs[i] = a >= r.start && a < r.end ? a : Number.NaN
          }
        }
        s.youngBatch(pid, addrs, n, now, st, out)
      } else {
        checkEach(s, pid, regions, now)
      }
      for (let i = 0; i < n; i++) {
        const r = regions[i]!
        recordAccessIn(r, out[i] === 1, lenWindow, q)
        if (r.nrAccesses > max) max = r.nrAccesses
      }
    }
    return max
  }

  const ops: DamonOps = {
    id: options.id ?? (fixed ? "fvaddr" : "vaddr"),
    ...(fixed ? {} : { init, update }),
    prepareAccessChecks,
    checkAccesses,
    /** `damon_va_scheme_score()`. */
    getSchemeScore: (ctx, _t, r, s) => {
      switch (s.action) {
        case "pageout":
        case "migrate_cold":
          return coldScore(ctx, r, s)
        case "migrate_hot":
          return hotScore(ctx, r, s)
        default:
          return DAMOS_MAX_SCORE
      }
    },
    /**
     * `damon_va_apply_scheme()`: madvise on the page-aligned range, migration (ops filters per
     * folio; like the kernel, no `sz_filter_passed`), or `stat` (counts bytes passing the ops
     * filters; nothing without filters). `lru_prio`/`lru_deprio` are not supported (0 bytes).
     */
    applyScheme: (_ctx, t, r, s, env, out) => {
      out.applied = 0
      out.filterPassed = 0
      out.costNs = 0
      // `stat` without ops filters counts nothing, whatever the process: answered first (it is
      // the common scheme, tried on every region it fits at every pass).
      if (s.action === "stat" && !hasOpsFilter(s)) return
      const now = env.nowUs()
      const pid = t.pid
      if (pid === null || !space.processAlive(pid, now)) return
      resetOutcome(outcome)
      const madv = madviseAction(s.action)
      if (madv !== undefined) {
        const start = alignUp(r.start, PAGE_SIZE)
        const len = alignUp(r.end - r.start, PAGE_SIZE)
        const req = { action: madv, chain: null, targetNid: -1, dests: [], splitThp: true, skipFolio: -1 }
        space.applyVirtual(pid, start, start + len, req, now, outcome)
        out.applied = reportKernel ? (outcome.unmappedBytes === 0 ? len : 0) : outcome.affectedBytes
        out.costNs = actionCostNs(madv, outcome)
        return
      }
      if (s.action === "migrate_hot" || s.action === "migrate_cold") {
        const req = { action: "migrate" as const, chain: opsChain(s), targetNid: s.targetNid, dests: s.dests, splitThp: false, skipFolio: -1 }
        space.applyVirtual(pid, r.start, r.end, req, now, outcome)
        out.applied = outcome.affectedBytes
        out.costNs = actionCostNs("migrate", outcome)
        return
      }
      if (s.action === "stat") {
        if (!hasOpsFilter(s)) return
        const req = { action: "stat" as const, chain: opsChain(s), targetNid: -1, dests: [], splitThp: false, skipFolio: s.lastApplied }
        space.applyVirtual(pid, r.start, r.end, req, now, outcome)
        // `damos_va_stat_pmd_entry()` makes every valid folio it visits `last_applied` (so the old
        // one is skipped only when met first, see `AddressSpace.applyVirtual`).
        if (outcome.lastFolio >= 0) s.lastApplied = outcome.lastFolio
        out.filterPassed = outcome.passedBytes
        out.costNs = actionCostNs("stat", outcome)
      }
    },
    /** `damon_va_target_valid()`: the process exists. */
    targetValid: (_ctx, t, env) => t.pid !== null && space.processAlive(t.pid, env.nowUs()),
    cleanupTarget: () => {},
    cleanup: () => {
      st.set(makeSampleState())
      drawn.length = 0
    },
    ...(space.metrics === undefined ? {} : { system: space.metrics })
  }
  return ops
}

/** The `vaddr` registry entry over `space`. */
export const vaddrOps = (space: AddressSpace): DamonOpsFactory => () => makeVaddrOps(space)
