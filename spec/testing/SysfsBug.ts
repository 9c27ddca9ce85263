/**
 * A test-only variant of the admin tree's refresh (through its internal seam,
 * `src/sysfs/SysfsSeam.ts`): the refresh before March 2026, which used context 0 without checking
 * `nr_contexts` (a NULL dereference in the kernel once `nr_contexts` is 0 while the kdamond runs).
 */
import type { SysfsSeam } from "../../src/sysfs/SysfsSeam.ts"
import { copyEffectiveQuotas, copyStats, copyTunedIntervals } from "../../src/sysfs/TreeCopy.ts"

export const refreshWithoutContextCheck: SysfsSeam = {
  refresh: (kd, ctx) => {
    const c = kd.contexts[0]!
    copyTunedIntervals(c.attrs, ctx.attrs)
    copyStats(c.schemes, ctx.schemes.map((s) => s.stat))
    copyEffectiveQuotas(c.schemes, ctx.schemes.map((s) => s.quota.esz))
  }
}
