/**
 * The monitoring context, `struct damon_ctx`: attributes, targets, schemes, the selected
 * operations set and the sample-interval counters that schedule everything. A running context
 * is owned and written by exactly one kdamond. Pure data plus constructors.
 */
import * as Attrs from "./Attrs.ts"
import type { Damos } from "./Damos.ts"
import type { Target } from "./Target.ts"

/** `DAMON_MIN_REGION_SZ`: the default minimum region size and alignment (`PAGE_SIZE`). */
export const DAMON_MIN_REGION_SZ = 4096

/**
 * A monitoring context.
 *
 * **Gotchas**
 * Mutated in place by its kdamond; code outside the kdamond reaches it only through
 * `damonCall` (which runs on the kdamond) or through snapshots.
 */
export interface DamonCtx {
  attrs: Attrs.Attrs
  /** Id of the selected operations set (`"vaddr"`, `"fvaddr"`, `"paddr"` or a registered custom id). */
  opsId: string
  targets: Array<Target>
  schemes: Array<Damos>
  /** Core-address to real-address scale factor (R2 `addr_unit`; only paddr honours it). */
  addrUnit: number
  /** Minimum region size and alignment, a power of two (R2 `min_region_sz`). */
  minRegionSz: number
  /** Sample intervals passed since the kdamond started. */
  passedSampleIntervals: number
  nextAggregationSis: number
  nextOpsUpdateSis: number
  nextIntervalsTuneSis: number
}

/** Creates a context with the kernel's defaults. Mirrors `damon_new_ctx()`. */
export const make = (opsId: string): DamonCtx => ({
  attrs: Attrs.defaults,
  opsId,
  targets: [],
  schemes: [],
  addrUnit: 1,
  minRegionSz: DAMON_MIN_REGION_SZ,
  passedSampleIntervals: 0,
  nextAggregationSis: 0,
  nextOpsUpdateSis: 0,
  nextIntervalsTuneSis: 0
})

/** Total number of regions over all targets. */
export const nrRegions = (self: DamonCtx): number => {
  let n = 0
  for (const t of self.targets) n += t.regions.length
  return n
}

/** True when the ops set identifies targets by pid. Mirrors `damon_target_has_pid()`. */
export const targetHasPid = (self: DamonCtx): boolean => self.opsId === "vaddr" || self.opsId === "fvaddr"
