/**
 * The operations-set contract, the analogue of `struct damon_operations`: the pluggable layer
 * that knows an address space (virtual memory of a process, physical memory, or anything a
 * user instruments). The engine only ever calls these hooks and treats a missing hook as
 * "not supported", as `mm/damon/core.c` does with `ctx->ops.X`.
 */
import type { Rng } from "../core/Rng.ts"
import type { DamonCtx } from "../model/DamonCtx.ts"
import type { Damos } from "../model/Damos.ts"
import type { Region } from "../model/Region.ts"
import type { Target } from "../model/Target.ts"

/** The well-known ops ids of the kernel (`enum damon_ops_id`); registries accept others too. */
export type KernelOpsId = "vaddr" | "fvaddr" | "paddr"

/**
 * What the engine lends an ops set on every call: the kdamond's seeded random generator (the
 * `damon_rand()` analogue) and its clock, so simulated address spaces can model time.
 */
export interface OpsEnv {
  readonly rng: Rng
  /** The kdamond's current time, in microseconds (virtual or real). */
  readonly nowUs: () => number
  /**
   * How many user functions (`damonCall` and `damosWalk` functions) the kdamond has run so far.
   * Only those can change the regions between `prepareAccessChecks` and `checkAccesses`, so an
   * ops set may keep what it drew for a sample and skip re-reading the regions when this count
   * did not move. Absent: assume anything changed.
   */
  readonly userRuns?: () => number
  /**
   * True when the engine calls {@link DamonOps.settle} (the ops set being called has one)
   * before anything reads or changes the regions (a user function, a merge, a scheme pass, an ops update, the stop). An ops set may
   * then keep a sample's results in its own arrays and write them into the regions at `settle`,
   * instead of at every sample. Absent or false: every hook leaves the regions up to date.
   */
  readonly settles?: boolean
}

/** Out-parameter of {@link DamonOps.applyScheme}, reused across calls to avoid allocation. */
export interface ApplyResult {
  /** Bytes the action was really applied to. */
  applied: number
  /** Bytes that passed the ops-layer filters (`sz_filter_passed`). */
  filterPassed: number
  /** Modeled time the action took, in nanoseconds (0 when the ops set does not model it). */
  costNs: number
}

/**
 * One operations set. Every hook is optional; synchronous, because the sampling hooks run over
 * every region every sample interval and must not allocate per region.
 *
 * **Details**
 * Mirrors `struct damon_operations` in `include/linux/damon.h` (R2 shape, plus `cleanup` of R1).
 * A hook that throws makes the kdamond stop cleanly with an `OpsFailed` exit reason.
 */
export interface DamonOps {
  readonly id: string
  /** Once at kdamond start: e.g. vaddr builds initial regions for targets that have none. */
  readonly init?: (ctx: DamonCtx, env: OpsEnv) => void
  /** Every `opsUpdateIntervalUs`: e.g. vaddr re-reads the mappings and resets regions. */
  readonly update?: (ctx: DamonCtx, env: OpsEnv) => void
  /** Before each sample's wait: pick every region's `samplingAddr` and clear its accessed state. */
  readonly prepareAccessChecks?: (ctx: DamonCtx, env: OpsEnv) => void
  /**
   * After each sample's wait: record each region's result with `updateRegionAccessRate` and
   * return the largest `nrAccesses`.
   */
  readonly checkAccesses?: (ctx: DamonCtx, env: OpsEnv) => number
  /**
   * Writes into the regions what `prepareAccessChecks` and `checkAccesses` kept aside while
   * `OpsEnv.settles` allowed it; afterwards the regions are exactly what per-sample writes would
   * have made them. No effect when nothing is kept.
   */
  readonly settle?: (ctx: DamonCtx) => void
  /**
   * DAMOS prioritisation score of a region in [0, 99]. Like `applyScheme`, must not change the
   * scheme (its quota, filters, action or statistics): the apply pass decides what those allow
   * once per pass (`ApplySchemes.ts`, `PassFacts`).
   */
  readonly getSchemeScore?: (ctx: DamonCtx, target: Target, region: Region, scheme: Damos) => number
  /**
   * Optional, for speed: the score `getSchemeScore` gives every region under `scheme` when it
   * does not depend on the region (vaddr and paddr give `DAMOS_MAX_SCORE` to the actions they do
   * not prioritise), else `undefined`. Asked once per apply pass; the pass then makes no
   * per-region score call for that scheme. Must agree with `getSchemeScore`: a wrapper that
   * replaces `getSchemeScore` must drop it (or replace it too).
   */
  readonly fixedSchemeScore?: (scheme: Damos) => number | undefined
  /**
   * Applies a scheme's action to a region; fills `out` (bytes applied, passed ops filters, cost).
   * May change the region and the scheme's `lastApplied`, not the rest of the scheme.
   */
  readonly applyScheme?: (
    ctx: DamonCtx,
    target: Target,
    region: Region,
    scheme: Damos,
    env: OpsEnv,
    out: ApplyResult
  ) => void
  /**
   * Optional, for speed: whether `applyScheme` does nothing for `scheme` on any region (0 bytes
   * applied, 0 passed, no cost, no change anywhere), as `stat` without ops filters. Asked once
   * per apply pass; the pass then counts the try (and calls a pending walk's function) without
   * the call. A wrapper that replaces `applyScheme` to see every call must drop it.
   */
  readonly applyIsNoop?: (scheme: Damos) => boolean
  /** Whether the target can still be monitored (vaddr: the process is alive). */
  readonly targetValid?: (ctx: DamonCtx, target: Target, env: OpsEnv) => boolean
  /** When a target is destroyed while the context lives (R2 `cleanup_target`). */
  readonly cleanupTarget?: (ctx: DamonCtx, target: Target) => void
  /** At kdamond exit (R1 `cleanup`). */
  readonly cleanup?: (ctx: DamonCtx) => void
  /** The memory state behind this address space, for watermarks and quota goals. */
  readonly system?: SystemMetrics
}

/**
 * System-wide memory state that DAMOS reads: the watermark metric and the quota-goal metrics.
 * The kernel reads these from global counters; here the address space an ops set monitors
 * provides them (a simulated machine does; a custom ops set may leave them out, and then schemes
 * that need them are rejected when the context is built).
 */
export interface SystemMetrics {
  /** Free memory in per-mille of total RAM (watermark metric `free_mem_rate`). */
  readonly freeMemRatePermil: (nowUs: number) => number
  /** Total "some" memory-pressure stall time since boot, in microseconds (PSI). */
  readonly someMemPsiTotalUs: (nowUs: number) => number
  /** Used memory of NUMA node `nid` in basis points of its total; `0` for an unknown node. */
  readonly nodeMemUsedBp: (nid: number, nowUs: number) => number
  /** Free memory of NUMA node `nid` in basis points of its total; `10000` for an unknown node. */
  readonly nodeMemFreeBp: (nid: number, nowUs: number) => number
  /** Memory of cgroup `memcgId` on node `nid` in basis points of the node's total. */
  readonly nodeMemcgUsedBp: (nid: number, memcgId: number, nowUs: number) => number
  /** Active LRU pages in basis points of all LRU pages. */
  readonly activeMemBp: (nowUs: number) => number
  /** Inactive LRU pages in basis points of all LRU pages. */
  readonly inactiveMemBp: (nowUs: number) => number
  /** NUMA node holding the core address `addr` (for `node_eligible_mem_bp`); `-1` if none. */
  readonly nodeOfAddr: (addr: number) => number
}

/** Builds a fresh ops instance for one kdamond (ops sets may keep per-kdamond state). */
export type DamonOpsFactory = () => DamonOps
