/**
 * effect-damon: Linux DAMON (Data Access MONitor) and DAMOS re-implemented on Effect 4.
 *
 * Modules are exported as namespaces (`Region.splitAt`, `Attrs.make`, ...), Effect style.
 */

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
/** User-level context configuration. */
export * as DamonConfig from "./model/DamonConfig.ts"
/** The public error and its errno-like reasons. */
export * from "./model/DamonError.ts"

/** Access-rate arithmetic (`damon_update_region_access_rate()`, moving sum, rescaling). */
export * as AccessRate from "./core/AccessRate.ts"
/** Region merge/split/size-limit algorithms. */
export * as RegionAdjust from "./core/RegionAdjust.ts"
/** vaddr's three-regions heuristic and even split. */
export * as ThreeRegions from "./core/ThreeRegions.ts"
/** The seeded random generator (`damon_rand()`). */
export * as Rng from "./core/Rng.ts"
/** The feedback loop of intervals tuning and quota goals. */
export * as FeedLoop from "./core/FeedLoop.ts"
/** `damon_set_attrs()` on a context. */
export * as SetAttrs from "./core/SetAttrs.ts"
/** Intervals auto-tuning. */
export * as IntervalsTune from "./core/IntervalsTune.ts"
/** Building a context from a config. */
export * as BuildCtx from "./core/BuildCtx.ts"

/** DAMOS scheme decoding/validation and running-scheme construction. */
export * as DamosConfig from "./core/damos/DamosConfig.ts"
/** DAMOS access-pattern matching. */
export * as AccessPattern from "./core/damos/AccessPattern.ts"
/** DAMOS filters (core evaluation, and the ops-layer decision helper for custom ops sets). */
export * as DamosFilters from "./core/damos/Filters.ts"
/** DAMOS quotas, goals and prioritisation. */
export * as Quota from "./core/damos/Quota.ts"
/** DAMOS watermarks. */
export * as Watermarks from "./core/damos/Watermarks.ts"
/** The DAMOS apply pass (`kdamond_apply_schemes()`). */
export * as ApplySchemes from "./core/damos/ApplySchemes.ts"
/** Online commit of schemes (`damos_commit()` and friends). */
export * as DamosCommit from "./core/damos/Commit.ts"
/** The pure DAMOS transform over recorded snapshots. */
export * as Transform from "./core/damos/Transform.ts"
/** The same transform as an Effect Stream. */
export * as TransformStream from "./core/damos/TransformStream.ts"

/** The operations-set contract (`damon_operations`). */
export type { ApplyResult, DamonOps, DamonOpsFactory, KernelOpsId, OpsEnv, SystemMetrics } from "./ops/DamonOps.ts"
/** The ops registry service. */
export * as OpsRegistry from "./ops/OpsRegistry.ts"

/** vaddr over the simulated machine (three regions, sampling, madvise-like actions). */
export * as Vaddr from "./ops/vaddr.ts"
/** fvaddr: vaddr on fixed, user-given ranges. */
export * as Fvaddr from "./ops/fvaddr.ts"
/** paddr over the simulated machine's physical memory. */
export * as Paddr from "./ops/paddr.ts"
/** Scores and helpers shared by ops sets (`ops-common.c`). */
export * as OpsCommon from "./ops/opsCommon.ts"

/** masim configuration files: the pure parser. */
export * as MasimConfig from "./sim/MasimConfig.ts"
/** The masim files shipped with the package, and loading any masim file. */
export * as MasimFiles from "./sim/MasimFiles.ts"
/** The analytic access model of masim workloads. */
export * as AccessModel from "./sim/AccessModel.ts"
/** The simulated machine: processes, physical memory, NUMA nodes, memory effects of actions. */
export * as SimMachine from "./sim/SimMachine.ts"
/** Simulated processes. */
export * as SimProcess from "./sim/SimProcess.ts"
/** Process-like address space layouts and mapping events. */
export * as ProcessLayout from "./sim/ProcessLayout.ts"
/** Physical memory layout (System RAM, NUMA nodes) and frame allocation. */
export * as PhysMem from "./sim/PhysMem.ts"
/** The vaddr/fvaddr/paddr ops sets of a simulated machine, ready for a registry. */
export * as SimOps from "./sim/SimOps.ts"

/** The kdamond and its control surface. */
export * as Kdamond from "./engine/Kdamond.ts"
/** Monitoring events. */
export * as Events from "./engine/Events.ts"
/** The kdamond clock (real or virtual time). */
export * as KdamondClock from "./engine/KdamondClock.ts"
/** The DAMON runtime service: start kdamonds. */
export * as Damon from "./Damon.ts"
/** On-demand scheme stats, tried regions, effective quotas, tuned intervals, goal commits. */
export * as SchemesControl from "./SchemesControl.ts"
/** The DAMON sysfs admin tree (`/sys/kernel/mm/damon/admin`), in-process. */
export * as Sysfs from "./sysfs/Sysfs.ts"
/** DAMON_RECLAIM: proactive reclamation module (`/sys/module/damon_reclaim/parameters`). */
export * as DamonReclaim from "./modules/DamonReclaim.ts"
/** DAMON_LRU_SORT: LRU-lists sorting module (`/sys/module/damon_lru_sort/parameters`). */
export * as DamonLruSort from "./modules/DamonLruSort.ts"
/** The loopback HTTP endpoint over the admin tree, with Prometheus metrics. */
export * as Http from "./http/HttpEndpoint.ts"
/** Collection and Prometheus formatting of kdamond and scheme metrics. */
export * as DamonMetrics from "./http/DamonMetrics.ts"
/** Online context commit (`damon_commit_ctx()`), pure. */
export * as CommitCtx from "./core/CommitCtx.ts"
/** The address axis of reports: monitored ranges laid end to end, gaps squeezed out. */
export * as AddressAxis from "./report/AddressAxis.ts"
/** The heatmap's data in bounded memory: snapshots folded into a fixed time x address grid. */
export * as HeatmapGrid from "./report/HeatmapGrid.ts"
/** The heatmap as text (digits 0-9, optional ANSI colour), like damo's `report heatmap`. */
export * as HeatmapText from "./report/HeatmapText.ts"
/** The working set size distribution in bounded memory (percentiles by size or by time). */
export * as WssDistribution from "./report/WssDistribution.ts"
/** The WSS percentiles as text, like damo's `report wss`. */
export * as WssText from "./report/WssText.ts"
/** Vega-Lite specs of the pictures: heatmap, WSS distribution, one snapshot's region boxes. */
export * as HeatmapSpec from "./report/HeatmapSpec.ts"
export * as WssSpec from "./report/WssSpec.ts"
export * as RegionsSpec from "./report/RegionsSpec.ts"
/** Headless rendering of the specs to SVG (vega) and PNG (resvg), loaded on first use. */
export * as Render from "./report/Render.ts"
