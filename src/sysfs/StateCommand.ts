/**
 * The keywords a kdamond's `state` file accepts (`damon_sysfs_cmd_strs[]` in `mm/damon/sysfs.c`,
 * same order). Pure; the commands themselves run in `Sysfs.ts`.
 */
import { sysfsStreq } from "./Kstrtox.ts"

/** Every `state` keyword, in the kernel's `enum damon_sysfs_cmd` order. */
export const stateCommands = [
  "on",
  "off",
  "commit",
  "commit_schemes_quota_goals",
  "update_schemes_stats",
  "update_schemes_tried_bytes",
  "update_schemes_tried_regions",
  "clear_schemes_tried_regions",
  "update_schemes_effective_quotas",
  "update_tuned_intervals"
] as const

/** A `state` keyword. */
export type StateCommand = (typeof stateCommands)[number]

/**
 * The keyword written text names, or `undefined`.
 *
 * **Details**
 * Mirrors the `sysfs_streq()` loop of `state_store()`: exact match, one trailing newline allowed.
 */
export const parseStateCommand = (buf: string): StateCommand | undefined =>
  stateCommands.find((c) => sysfsStreq(buf, c))
