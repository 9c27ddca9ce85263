/**
 * The registry entries of the three kernel operations sets over one simulated machine, ready
 * for `OpsRegistry.layer(simOps(machine))`. Every kdamond that selects one gets a fresh
 * instance (per-kdamond state), all sharing the machine.
 */
import type { DamonOpsFactory, KernelOpsId } from "../ops/DamonOps.ts"
import { fvaddrOps } from "../ops/fvaddr.ts"
import { paddrOps } from "../ops/paddr.ts"
import { vaddrOps } from "../ops/vaddr.ts"
import type { SimMachine } from "./SimMachine.ts"

/** `vaddr`, `fvaddr` and `paddr` factories over `machine`. */
export const simOps = (machine: SimMachine): Record<KernelOpsId, DamonOpsFactory> => ({
  vaddr: vaddrOps(machine),
  fvaddr: fvaddrOps(machine),
  paddr: paddrOps(machine)
})
