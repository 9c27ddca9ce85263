/**
 * The address-space port: what the kernel's operations sets take from mm, in the engine's
 * terms. `vaddr`, `fvaddr` and `paddr` are written once over it; anything that can answer these
 * questions (the simulated machine, a page table a program marks, a recorded trace) can be
 * monitored by them without writing an operations set.
 *
 * - the mapped layout at a time: a process's VMAs (vaddr's three regions, `targetValid`), the
 *   "System RAM" ranges (paddr's default region);
 * - accessed bits: clear (`mkold`) at prepare time, test (`young`) at check time, for the page
 *   (virtual: a pid's page table entry) or the folio (physical) holding a sampled address;
 * - actions: pageout, LRU (de)activation, migration, (no)hugepage/collapse, willneed, stat, with
 *   the scheme's ops filters evaluated per folio on the folio attributes (anon, memcg, young,
 *   hugepage size, active, unmapped), reporting the bytes actually affected;
 * - memory metrics for watermarks and quota goals (optional).
 *
 * Time is world time (see `engine/World.ts`), passed to every call: the space follows it.
 */
import type { Rng } from "../core/Rng.ts"
import type { AddrRange } from "../model/AddrRange.ts"
import type { MigrateDest } from "../model/Damos.ts"
import type { SystemMetrics } from "./DamonOps.ts"
import type { FolioFilterChain } from "./FolioFilter.ts"

/** Base page size (`PAGE_SIZE`), in bytes. */
export const PAGE_SIZE = 4096

/** PMD huge page size (`HPAGE_PMD_SIZE`), in bytes. */
export const HUGE_PAGE_SIZE = 2 * 1024 * 1024

/** What an action does to memory, as an address space knows it. */
export type MemAction =
  | "pageout"
  | "deactivate"
  | "activate"
  | "willneed"
  | "hugepage"
  | "collapse"
  | "nohugepage"
  | "migrate"
  | "stat"

/** A request to act on a range. */
export interface ActionRequest {
  readonly action: MemAction
  /** Ops filters evaluated per folio, or `null` (madvise-style actions evaluate none). */
  readonly chain: FolioFilterChain | null
  /** Destination node of `migrate` when `dests` is empty (`-1` = none: nothing migrates). */
  readonly targetNid: number
  /** Weighted destinations of `migrate` (weighted-interleave assignment of folios). */
  readonly dests: ReadonlyArray<MigrateDest>
  /** Split huge pages that straddle the range ends (madvise) instead of visiting them whole. */
  readonly splitThp: boolean
  /**
   * Physical address of a folio to skip (the scheme's `last_applied`), or `-1`: wherever a
   * physical walk meets it, but only as the first present folio of a virtual walk.
   */
  readonly skipFolio: number
}

/** Result of an action, in bytes (all base-page multiples) and folios; accumulated by the space. */
export interface ActionOutcome {
  /** Bytes the action changed (paged out, moved, (de)activated, made resident, converted). */
  affectedBytes: number
  /** Bytes of resident folios that passed the ops filters. */
  passedBytes: number
  /** Folios visited (resident folios in the range). */
  folios: number
  /** Bytes of the range with no mapping. */
  unmappedBytes: number
  /** Physical address of the last folio visited, or `-1`. */
  lastFolio: number
}

/** A zeroed outcome. */
export const makeOutcome = (): ActionOutcome => ({
  affectedBytes: 0,
  passedBytes: 0,
  folios: 0,
  unmappedBytes: 0,
  lastFolio: -1
})

/** Zeroes `out` for the next action. */
export const resetOutcome = (out: ActionOutcome): void => {
  out.affectedBytes = 0
  out.passedBytes = 0
  out.folios = 0
  out.unmappedBytes = 0
  out.lastFolio = -1
}

/**
 * The accessed-bit interface of one operations-set instance (one kdamond), so a space can keep
 * per-observer state where its accessed bits are modelled rather than stored.
 *
 * **Details**
 * `pid` is a process id for a virtual address, `null` for a physical one. `young` does not clear
 * the bit (the kernel's `damon_{va,pa}_young()`); the next `mkold` does.
 */
export interface AccessSampler {
  /** `damon_{va,pa}_mkold()`: clears the accessed bit of the page or folio holding `addr`. */
  readonly mkold: (pid: number | null, addr: number, nowUs: number) => void
  /**
   * `damon_{va,pa}_young()`: `1` when the page or folio holding `addr` was accessed since its
   * last `mkold`, `0` when not, `-1` when nothing is mapped there. Sets `folioSz` unless `-1`.
   */
  readonly young: (pid: number | null, addr: number, nowUs: number) => number
  /** Size of the folio found by the last `young` that found one, in bytes. */
  readonly folioSz: number
  /**
   * Optional batch form of `mkold` for one sample of one process's regions: makes `addrs[0..n)`
   * old as `n` calls of `mkold(pid, addrs[i], nowUs)` in order would. vaddr draws every address
   * first and then calls it, so a space whose `mkold` draws from the generator must not offer it.
   */
  readonly mkoldBatch?: (pid: number, addrs: Float64Array, n: number, nowUs: number) => void
  /**
   * Optional batch form of `young` for one sample of one process's regions, so a space answers
   * them in one call; without it vaddr calls `young` per address (same answers either way).
   *
   * **Details**
   * Answers `addrs[0..n)` in order the way `damon_va_check_accesses()` sees them through its
   * folio cache, `cache` (the ops set's sampling state, laid out as `opsCommon.SampleSlot`:
   * folio index, folio size, its reciprocal, last answer), which it reads and leaves updated:
   * a `NaN` address is not tested (`out[i] = 0`, cache untouched); an address after the first
   * whose `floor(addr / folioSz)` equals the cached folio index repeats the cached answer without
   * a test; any other is tested as `young(pid, addr, nowUs)` would (drawing the same random
   * numbers in the same order), a found folio's size replaces the cached one, and the cache
   * keeps the address's folio index and whether it was accessed. `out[i]` is `1` when accessed.
   */
  readonly youngBatch?: (
    pid: number,
    addrs: Float64Array,
    n: number,
    nowUs: number,
    cache: Float64Array,
    out: Uint8Array
  ) => void
}

/** An address space the kernel's operations sets can monitor and act on. */
export interface AddressSpace {
  /** A short name for messages (`"simulated machine"`, `"page table"`, ...). */
  readonly name: string
  /** Whether process `pid` exists at `nowUs` (vaddr's `targetValid`). */
  readonly processAlive: (pid: number, nowUs: number) => boolean
  /** Process `pid`'s mappings at `nowUs`, sorted, non-overlapping; empty when it is not alive. */
  readonly mappings: (pid: number, nowUs: number) => ReadonlyArray<AddrRange>
  /** The "System RAM" ranges of physical memory, ascending (empty: no physical view). */
  readonly systemRam: () => ReadonlyArray<AddrRange>
  /** A fresh accessed-bit interface for one operations-set instance, drawing from `rng`. */
  readonly sampler: (rng: Rng) => AccessSampler
  /**
   * Applies `req` to `[start, end)` of process `pid`'s virtual memory the way vaddr's walks do
   * (huge folios at either end whole unless `req.splitThp`; `req.skipFolio` only as the first
   * present folio), accumulating into `out`. A dead or unknown process counts as unmapped.
   */
  readonly applyVirtual: (pid: number, start: number, end: number, req: ActionRequest, nowUs: number, out: ActionOutcome) => void
  /**
   * Applies `req` to the folios of physical `[start, end)` the way paddr's walks do (from
   * `start` in folio steps, page steps over free frames and `req.skipFolio`), accumulating into
   * `out`; `out.lastFolio` is the folio found at the walk's last address (`-1` when none).
   */
  readonly applyPhysical: (start: number, end: number, req: ActionRequest, nowUs: number, out: ActionOutcome) => void
  /** Memory state for watermarks and quota goals; absent when the space has none. */
  readonly metrics?: SystemMetrics
}
