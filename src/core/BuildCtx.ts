/**
 * Builds a fresh monitoring context from a validated config: the kernel's sequence of
 * `damon_new_ctx()`, `damon_set_attrs()`, `damon_new_target()` + `damon_set_regions()`.
 * Pure: no clock, no randomness.
 */
import type { DamonConfigBase } from "../model/DamonConfig.ts"
import * as DamonCtx from "../model/DamonCtx.ts"
import * as Target from "../model/Target.ts"
import { setAttrs } from "./SetAttrs.ts"

/**
 * Creates a context for `config`. The config was validated when decoded, so this cannot fail.
 *
 * **Gotchas**
 * Targets keep the configured regions (aligned to `minRegionSz`); targets without regions are
 * left to the ops set's `init` (vaddr computes them, paddr and fvaddr keep none).
 */
export const buildCtx = (config: DamonConfigBase): DamonCtx.DamonCtx => {
  const ctx = DamonCtx.make(config.ops)
  ctx.addrUnit = config.addrUnit
  ctx.minRegionSz = config.minRegionSz
  setAttrs(ctx, config.attrs)
  for (const tc of config.targets) {
    const t = Target.make(tc.pid)
    if (tc.regions.length > 0) Target.setRegions(t, tc.regions, config.minRegionSz)
    ctx.targets.push(t)
  }
  return ctx
}
