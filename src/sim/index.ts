/**
 * `effect-damon/sim`: the simulated machine (processes whose mappings change, physical memory
 * over NUMA nodes, the memory effects of DAMOS actions) running masim workloads, behind the
 * address-space port, with the kernel's operations sets over it.
 *
 * @since 0.2.0
 */

/** masim configuration files: the pure parser. */
export * as MasimConfig from "./MasimConfig.ts"
/** The masim files shipped with the package, and loading any masim file. */
export * as MasimFiles from "./MasimFiles.ts"
/** The analytic access model of masim workloads. */
export * as AccessModel from "./AccessModel.ts"
/** The simulated machine: processes, physical memory, NUMA nodes, memory effects of actions. */
export * as SimMachine from "./SimMachine.ts"
/** Simulated processes. */
export * as SimProcess from "./SimProcess.ts"
/** Process-like address space layouts and mapping events. */
export * as ProcessLayout from "./ProcessLayout.ts"
/** Physical memory layout (System RAM, NUMA nodes) and frame allocation. */
export * as PhysMem from "./PhysMem.ts"
/** The simulated machine behind the address-space port. */
export * as SimSpace from "./SimSpace.ts"
/** The vaddr/fvaddr/paddr ops sets of a simulated machine, ready for a registry. */
export * as SimOps from "./SimOps.ts"
