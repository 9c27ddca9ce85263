/**
 * `effect-damon/modules`: the kernel's DAMON modules, with their parameter files.
 *
 * @since 0.2.0
 */

/** DAMON_RECLAIM: proactive reclamation module (`/sys/module/damon_reclaim/parameters`). */
export * as DamonReclaim from "./DamonReclaim.ts"
/** DAMON_LRU_SORT: LRU-lists sorting module (`/sys/module/damon_lru_sort/parameters`). */
export * as DamonLruSort from "./DamonLruSort.ts"
