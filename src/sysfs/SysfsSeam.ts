/**
 * The admin tree's internal seam: the copy step of the periodic refresh
 * (`damon_sysfs_repeat_call_fn`), which the testing kit's own tests replace with a test-only
 * variant re-introducing a historical kernel bug. The default is the shipped step. No entry point
 * exports this module; `Sysfs.make` reads it once.
 *
 * @internal
 */
import * as Context from "effect/Context"
import type { DamonCtx } from "../model/DamonCtx.ts"
import { copyEffectiveQuotas, copyStats, copyTunedIntervals } from "./TreeCopy.ts"
import type { KdamondDir } from "./TreeState.ts"

/**
 * One refresh, run on the kdamond: copies tuned intervals, scheme stats and effective quotas into
 * the kdamond's directory, if it has exactly one context (`nr_contexts` may have been set to 0
 * while the kdamond runs; the kernel checks `contexts->nr` since March 2026).
 */
export const refreshTree = (kd: KdamondDir, ctx: DamonCtx): void => {
  const c = kd.contexts[0]
  if (kd.contexts.length !== 1 || c === undefined) return
  copyTunedIntervals(c.attrs, ctx.attrs)
  copyStats(c.schemes, ctx.schemes.map((s) => s.stat))
  copyEffectiveQuotas(c.schemes, ctx.schemes.map((s) => s.quota.esz))
}

/** The replaceable steps of the admin tree. */
export interface SysfsSeam {
  readonly refresh: (kd: KdamondDir, ctx: DamonCtx) => void
}

/** The seam the admin tree is built with: the shipped steps unless a test provides a variant. */
export const SysfsSeam = Context.Reference<SysfsSeam>("effect-damon/internal/SysfsSeam", {
  defaultValue: () => ({ refresh: refreshTree })
})
