/**
 * The `vaddr` operations set over an address space: monitors the virtual address space of
 * processes (targets are pids), like `mm/damon/vaddr.c`. Regions start as the "three regions"
 * of the process's mappings and follow them on every `update`; sampling clears and tests the
 * accessed bits of the sampled pages through the space's `AccessSampler`; DAMOS actions act like
 * `madvise()` and page migration through `applyVirtual`. `fvaddr` is the same without
 * `init`/`update`.
 */
import { lenWindowOf, movingSumSteps, nomvsumQuotients, recordAccessIn } from "../core/AccessRate.ts"
import { u32 } from "../internal/uint.ts"
import type { Rng } from "../core/Rng.ts"
import { threeRegions } from "../core/ThreeRegions.ts"
import { DAMON_MIN_REGION_SZ, type DamonCtx } from "../model/DamonCtx.ts"
import type { Action } from "../model/Damos.ts"
import type { Region } from "../model/Region.ts"
import * as Target from "../model/Target.ts"
import {
  type AccessSampler,
  type ActionRequest,
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
  SampleSlot,
  type ScoreFn,
  statWithoutOpsFilters
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

/**
 * The score `damon_va_scheme_score()` gives under `action`: coldness for `pageout` and
 * `migrate_cold`, hotness for `migrate_hot`; `undefined` for the rest, which all get
 * `DAMOS_MAX_SCORE` whatever the region.
 */
const vaScoreOf = (action: Action): ScoreFn | undefined => {
  switch (action) {
    case "pageout":
    case "migrate_cold":
      return coldScore
    case "migrate_hot":
      return hotScore
    default:
      return undefined
  }
}

/** A madvise-style request: no ops filters, no folio skipped, huge pages split at the ends. */
const madvise = (action: MemAction): ActionRequest => ({ action, chain: null, targetNid: -1, dests: [], splitThp: true, skipFolio: -1 })

/**
 * The request of each madvise-style action. Made once: a request is read-only and the same for
 * every region (an action is tried on thousands of regions per pass).
 */
const madviseRequests: Readonly<Partial<Record<Action, ActionRequest>>> = {
  willneed: madvise("willneed"),
  cold: madvise("deactivate"),
  pageout: madvise("pageout"),
  hugepage: madvise("hugepage"),
  nohugepage: madvise("nohugepage"),
  collapse: madvise("collapse")
}

const alignUp = (x: number, a: number): number => Math.ceil(x / a) * a

/**
 * What vaddr keeps of a target's regions between two settles (`OpsEnv.settles`): their ranges,
 * their `nrAccesses` at the first check, the accesses seen since and how many samples those are.
 */
interface Kept {
  regions: ReadonlyArray<Region>
  n: number
  lenWindow: number
  readonly starts: Float64Array
  readonly spans: Float64Array
  readonly nrAccesses: Uint32Array
  readonly hits: Uint32Array
  /** Samples counted in `hits`, not yet in the regions. */
  k: number
  /** The slot's `addrs` were drawn from `starts`/`spans`: `samplingAddr` not yet written. */
  drawPending: boolean
}

/** One target's sampling state in a vaddr instance (see `drawn` in {@link makeVaddrOps}). */
interface TargetSlot {
  readonly addrs: Float64Array
  /** The regions array `addrs` was drawn for; `undefined`: nothing drawn. */
  regions: ReadonlyArray<Region> | undefined
  n: number
  /** Set while the ops set keeps this target's counts aside. */
  kept: Kept | undefined
  /** Arrays for `kept`, reused from one settle to the next. */
  readonly keepArrays: Kept
  /**
   * Checks that record straight into the regions before keeping again: set when a settle came
   * right after the keeping check (a user function at every sample), where keeping only costs.
   */
  skipKeeps: number
}

const makeSlot = (n: number): TargetSlot => ({
  addrs: new Float64Array(n),
  regions: undefined,
  n: 0,
  kept: undefined,
  keepArrays: {
    regions: [],
    n: 0,
    lenWindow: 0,
    starts: new Float64Array(n),
    spans: new Float64Array(n),
    nrAccesses: new Uint32Array(n),
    hits: new Uint32Array(n),
    k: 0,
    drawPending: false
  },
  skipKeeps: 0
})

/** Checks a slot records straight into the regions after a keep that a settle wasted. */
const SKIP_KEEPS = 16

/** Starts keeping `regions` (the first `n`) in `slot`; the caller fills the ranges and counts. */
const keepFor = (slot: TargetSlot, regions: ReadonlyArray<Region>, n: number, lenWindow: number): Kept => {
  const k = slot.keepArrays
  k.regions = regions
  k.n = n
  k.lenWindow = lenWindow
  k.hits.fill(0, 0, n)
  k.k = 0
  k.drawPending = false
  slot.kept = k
  return k
}

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

  /** The moving sum's quotients for the current window length (see `nomvsumQuotients`). */
  let quotients = nomvsumQuotients(1)
  let quotientsLen = 1

  /**
   * Per target index: the sampling addresses the last prepare drew and the regions array they
   * were drawn for (`undefined`: none drawn), with `OpsEnv.userRuns` then. The check reuses them
   * when the target still has that array, as long, and no user function ran since: one pass over
   * the regions fewer per sample (a region object read is a cache miss at a thousand regions).
   *
   * While the engine settles (`OpsEnv.settles`), the slot also holds the regions' ranges and
   * counts since the first check after the last `settle` (`kept`): later samples draw from
   * `starts`/`spans` and count into `hits` without touching a region object, and `settle` writes
   * the `k` kept samples and the last draw into the regions in one pass.
   */
  const drawn: Array<TargetSlot> = []
  let drawnUserRuns = -1
  /** Whether some slot keeps samples or a draw that `settle` has to write. */
  let anyKept = false
  /**
   * Writes the kept samples and the last kept draw into the regions: `k` samples of the moving
   * sum at once (its u32 steps add up modulo 2^32, and `lastNrAccesses`, hence the quotient, is
   * the same in each), `nrAccesses` plus the hits, `samplingAddr` the drawn address (the range's
   * start where the range was empty). Bit for bit what per-sample writes give.
   */
  const settle = (): void => {
    if (!anyKept) return
    anyKept = false
    const q = quotients
    for (const d of drawn) {
      const k = d?.kept
      if (k === undefined) continue
      d!.kept = undefined
      if (k.k === 0) d!.skipKeeps = SKIP_KEEPS
      const regions = k.regions
      const n = Math.min(k.n, regions.length)
      const samples = k.k
      if (samples > 0) {
        const hits = k.hits
        const lenWindow = k.lenWindow
        const useTable = lenWindow === quotientsLen
        for (let i = 0; i < n; i++) {
          const r = regions[i]!
          const h = hits[i]!
          const last = r.lastNrAccesses
          const t = useTable ? q[last] : undefined
          const quotient = t !== undefined ? t : Math.floor(u32(last * 10000) / lenWindow)
          r.nrAccessesBp = movingSumSteps(r.nrAccessesBp, samples, quotient, h)
          r.nrAccesses = u32(r.nrAccesses + h)
        }
      }
      if (k.drawPending) {
        const addrs = d!.addrs
        for (let i = 0; i < n; i++) {
          const a = addrs[i]!
          regions[i]!.samplingAddr = a === a ? a : k.starts[i]!
        }
      }
    }
  }

  /** Target `ti`'s slot, with room for `n` regions. */
  const slotFor = (ti: number, n: number): TargetSlot => {
    let d = drawn[ti]
    if (d === undefined) {
      d = makeSlot(n)
      drawn[ti] = d
    } else if (d.addrs.length < n) {
      // More regions than before: they changed, so whatever was kept is settled first.
      if (d.kept !== undefined) settle()
      d = makeSlot(n)
      drawn[ti] = d
    }
    return d
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
      const slot = drawn[ti]
      if (slot !== undefined) slot.regions = undefined
      if (pid === null || !space.processAlive(pid, now)) continue
      const regions = t.regions
      const n = regions.length
      if (s.mkoldBatch !== undefined) {
        const d = slotFor(ti, n)
        const addrs = d.addrs
        const kept = d.kept
        // Kept for other regions: a caller changed them without settling first.
        if (kept !== undefined && (kept.regions !== regions || kept.n !== n)) settle()
        // Drawn aside only for a space that checks the drawn addresses in one batch: the
        // per-address check reads each region's `samplingAddr`, which must then be current.
        if (d.kept !== undefined && env.rng.randSpans !== undefined && s.youngBatch !== undefined) {
          env.rng.randSpans(d.kept.starts, d.kept.spans, n, addrs)
          d.kept.drawPending = true
        } else if (env.rng.randRegions !== undefined) env.rng.randRegions(regions, n, addrs)
        else {
          for (let i = 0; i < n; i++) {
            const r = regions[i]!
            const a = rand(r.start, r.end)
            r.samplingAddr = a
            addrs[i] = a < r.end ? a : Number.NaN
          }
        }
        d.regions = regions
        d.n = n
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
        // A draw kept aside is current: anything that could change the regions settles first.
        if (d !== undefined && d.regions === regions && d.n === n && (d.kept?.drawPending === true || unchangedSinceDrawn(env))) {
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
      const slot = drawn[ti]
      const held = slot?.kept
      // Kept for other regions or another window: a caller changed them without settling first.
      if (held !== undefined && (held.regions !== regions || held.n !== n || held.lenWindow !== lenWindow)) settle()
      const kept = slot?.kept
      if (kept !== undefined) {
        // Counted aside (`OpsEnv.settles`): the regions' counts are the kept ones plus `hits`.
        const hits = kept.hits
        const nr0 = kept.nrAccesses
        for (let i = 0; i < n; i++) {
          const h = hits[i]! + out[i]!
          hits[i] = h
          const v = (nr0[i]! + h) >>> 0
          if (v > max) max = v
        }
        kept.k++
        continue
      }
      const keepSlot = env.settles === true ? slotFor(ti, n) : undefined
      if (keepSlot === undefined || keepSlot.skipKeeps > 0) {
        if (keepSlot !== undefined) keepSlot.skipKeeps--
        for (let i = 0; i < n; i++) {
          const r = regions[i]!
          recordAccessIn(r, out[i] === 1, lenWindow, q)
          if (r.nrAccesses > max) max = r.nrAccesses
        }
        continue
      }
      // The first check since a settle: recorded into the regions, whose ranges and counts are
      // kept in the same pass, so the next samples need not read them.
      const k = keepFor(keepSlot, regions, n, lenWindow)
      const starts = k.starts
      const spans = k.spans
      const nr = k.nrAccesses
      for (let i = 0; i < n; i++) {
        const r = regions[i]!
        recordAccessIn(r, out[i] === 1, lenWindow, q)
        const v = r.nrAccesses
        if (v > max) max = v
        const l = r.start
        starts[i] = l
        spans[i] = r.end - l
        nr[i] = v
      }
      anyKept = true
    }
    return max
  }

  const ops: DamonOps = {
    id: options.id ?? (fixed ? "fvaddr" : "vaddr"),
    ...(fixed ? {} : { init, update }),
    prepareAccessChecks,
    checkAccesses,
    settle,
    /** `damon_va_scheme_score()`. */
    getSchemeScore: (ctx, _t, r, s) => {
      const score = vaScoreOf(s.action)
      return score === undefined ? DAMOS_MAX_SCORE : score(ctx, r, s)
    },
    fixedSchemeScore: (s) => (vaScoreOf(s.action) === undefined ? DAMOS_MAX_SCORE : undefined),
    applyIsNoop: statWithoutOpsFilters,
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
      if (statWithoutOpsFilters(s)) return
      const now = env.nowUs()
      const pid = t.pid
      if (pid === null || !space.processAlive(pid, now)) return
      resetOutcome(outcome)
      const madv = madviseRequests[s.action]
      if (madv !== undefined) {
        const start = alignUp(r.start, PAGE_SIZE)
        const len = alignUp(r.end - r.start, PAGE_SIZE)
        space.applyVirtual(pid, start, start + len, madv, now, outcome)
        out.applied = reportKernel ? (outcome.unmappedBytes === 0 ? len : 0) : outcome.affectedBytes
        out.costNs = actionCostNs(madv.action, outcome)
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
      anyKept = false
    },
    ...(space.metrics === undefined ? {} : { system: space.metrics })
  }
  return ops
}

/** The `vaddr` registry entry over `space`. */
export const vaddrOps = (space: AddressSpace): DamonOpsFactory => () => makeVaddrOps(space)
