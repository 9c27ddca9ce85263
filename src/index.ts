/**
 * effect-damon: Linux DAMON (Data Access MONitor) and DAMOS re-implemented on Effect 4.
 *
 * This entry point holds the model, the monitoring engine's public face, DAMOS and the control
 * API; modules are exported as namespaces (`Region.splitAt`, `Attrs.make`, ...), Effect style.
 * Other entry points: `effect-damon/sim` (the simulated machine and masim workloads),
 * `effect-damon/sysfs` (the admin tree), `effect-damon/modules` (DAMON_RECLAIM, DAMON_LRU_SORT),
 * `effect-damon/report` (heatmaps, WSS, pictures), `effect-damon/http` (the HTTP endpoint: the
 * only one that loads a platform package).
 *
 * @since 0.1.0
 */

// --- Model -----------------------------------------------------------------------------------

/** Address and size ranges (`damon_addr_range`, `damon_size_range`). */
export * as AddrRange from "./model/AddrRange.ts"
/** Monitoring regions (`damon_region`). */
export * as Region from "./model/Region.ts"
/** Monitoring targets (`damon_target`). */
export * as Target from "./model/Target.ts"
/** Monitoring attributes (`damon_attrs`) with the kernel's defaults and rules. */
export * as Attrs from "./model/Attrs.ts"
/** DAMOS scheme model (`damos`). */
export * as Damos from "./model/Damos.ts"
/** Monitoring contexts (`damon_ctx`). */
export * as DamonCtx from "./model/DamonCtx.ts"
/** The public error and its errno-like reasons. */
export * from "./model/DamonError.ts"
/** A whole context configuration as a user writes it (the input of `start` and `commit`). */
export type { DamonConfigInput } from "./core/BuildCtx.ts"

// --- Algorithms an operations set uses -------------------------------------------------------

/** Access-rate arithmetic (`damon_update_region_access_rate()`, moving sum, rescaling). */
export * as AccessRate from "./core/AccessRate.ts"
/** vaddr's three-regions heuristic and even split. */
export * as ThreeRegions from "./core/ThreeRegions.ts"
/** The seeded random generator (`damon_rand()`). */
export * as Rng from "./core/Rng.ts"

// --- DAMOS -----------------------------------------------------------------------------------

/** DAMOS scheme inputs, decoding and validation. */
export * as DamosConfig from "./core/damos/DamosConfig.ts"
/** The pure DAMOS transform over recorded snapshots. */
export * as Transform from "./core/damos/Transform.ts"
/** The same transform as an Effect Stream. */
export * as TransformStream from "./core/damos/TransformStream.ts"

// --- Operations sets and address spaces ------------------------------------------------------

/** The operations-set contract (`damon_operations`). */
export type { ApplyResult, DamonOps, DamonOpsFactory, KernelOpsId, OpsEnv, SystemMetrics } from "./ops/DamonOps.ts"
/** The ops registry service. */
export * as OpsRegistry from "./ops/OpsRegistry.ts"
/** The address-space port the kernel's operations sets are written over. */
export * as AddressSpace from "./ops/AddressSpace.ts"
/** Ops-filter chains evaluated per folio by address spaces. */
export * as FolioFilter from "./ops/FolioFilter.ts"
/** vaddr over an address space (three regions, sampling, madvise-like actions). */
export * as Vaddr from "./ops/vaddr.ts"
/** fvaddr: vaddr on fixed, user-given ranges. */
export * as Fvaddr from "./ops/fvaddr.ts"
/** paddr over an address space's physical memory. */
export * as Paddr from "./ops/paddr.ts"
/** Scores and helpers shared by ops sets (`ops-common.c`). */
export * as OpsCommon from "./ops/opsCommon.ts"
/** A minimal address space: a page table whose accessed bits a program sets. */
export * as PageTable from "./spaces/PageTable.ts"

// --- Engine and control ----------------------------------------------------------------------

/** The kdamond handle: `damonCall`, its repeat mode, `damosWalk`, commit, events, stop. */
export * as Kdamond from "./engine/Kdamond.ts"
/** Monitoring events. */
export * as Events from "./engine/Events.ts"
/** The kdamond's counters. */
export type { KdamondStats } from "./engine/KdamondStats.ts"
/** World time shared by every kdamond of a runtime (real or virtual). */
export * as World from "./engine/World.ts"
export * as FairScheduler from "./engine/FairScheduler.ts"
/** The DAMON runtime service: start kdamonds. */
export * as Damon from "./Damon.ts"
/** On-demand scheme stats, tried regions, effective quotas, tuned intervals, goal commits. */
export * as SchemesControl from "./SchemesControl.ts"
