/**
 * The `fvaddr` operations set over an address space: `vaddr` for fixed virtual address
 * ranges. The user supplies the regions; there is no `init` and no `update`, so regions never
 * follow the mappings (as `ops_fvaddr` in `mm/damon/vaddr.c`).
 */
import type { AddressSpace } from "./AddressSpace.ts"
import type { DamonOps, DamonOpsFactory } from "./DamonOps.ts"
import { makeVaddrOps, type VaddrOptions } from "./vaddr.ts"

/**
 * Builds one fvaddr instance for one kdamond.
 *
 * **Details**
 * Mirrors `damon_va_initcall()`: a copy of the vaddr operations with id `FVADDR` and `init` and
 * `update` cleared.
 */
export const makeFvaddrOps = (space: AddressSpace, options: Omit<VaddrOptions, "fixed"> = {}): DamonOps =>
  makeVaddrOps(space, { ...options, fixed: true })

/** The `fvaddr` registry entry over `space`. */
export const fvaddrOps = (space: AddressSpace): DamonOpsFactory => () => makeFvaddrOps(space)
