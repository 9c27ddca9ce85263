/**
 * The registry entries of the three kernel operations sets over one simulated machine, ready
 * for `OpsRegistry.layer(simOps(machine))`. Every kdamond that selects one gets a fresh
 * instance (per-kdamond state), all sharing the machine through its address-space port.
 */
import type { DamonOpsFactory, KernelOpsId } from "../ops/DamonOps.ts"
import { fvaddrOps } from "../ops/fvaddr.ts"
import { paddrOps } from "../ops/paddr.ts"
import { vaddrOps } from "../ops/vaddr.ts"
import type { SimMachine } from "./SimMachine.ts"
import { simSpace } from "./SimSpace.ts"

/** `vaddr`, `fvaddr` and `paddr` factories over `machine`. */
export const simOps = (machine: SimMachine): Record<KernelOpsId, DamonOpsFactory> => {
  const space = simSpace(machine)
  return { vaddr: vaddrOps(space), fvaddr: fvaddrOps(space), paddr: paddrOps(space) }
}
