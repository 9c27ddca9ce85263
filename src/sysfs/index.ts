/**
 * `effect-damon/sysfs`: the DAMON sysfs admin tree (`/sys/kernel/mm/damon/admin`), in-process,
 * with the kernel's paths, file formats, defaults, `state` keywords and errnos.
 *
 * @since 0.2.0
 */

/** The admin tree service and its layer. */
export * as Sysfs from "./Sysfs.ts"
/** The kernel's number parsers (`kstrtoul`, `kstrtoint`, `kstrtobool`), as the tree uses them. */
export * as Kstrtox from "./Kstrtox.ts"
