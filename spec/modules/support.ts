/**
 * Test helpers for the DAMON_RECLAIM / DAMON_LRU_SORT specs: simulated machines, the layer stack
 * (ops registry over the machine, the Damon runtime, both modules), and error inspection.
 */
import { Exit, Layer, Option, Result } from "effect"
import { Damon, type DamonError, type Kdamond, OpsRegistry, World } from "effect-damon"
import { MasimConfig, SimMachine, SimOps } from "effect-damon/sim"
import * as DamonLruSort from "../../src/modules/DamonLruSort.ts"
import * as DamonReclaim from "../../src/modules/DamonReclaim.ts"
import type { DefaultRegion } from "../../src/modules/ModulesCommon.ts"

export const KiB = 1024
export const MiB = 1024 * KiB
export const PID = 42

export const unwrap = <A, E>(r: Result.Result<A, E>): A => {
  if (Result.isFailure(r)) throw r.failure instanceof Error ? r.failure : new Error(String(r.failure))
  return r.success
}

/** A masim workload from inline text. */
export const workload = (text: string, name = "inline"): MasimConfig.MasimConfig =>
  unwrap(MasimConfig.parseMasimConfig(text, name))

/** A small idle machine (one 256 MiB node, one process that touches 4 MiB). */
export const smallMachine = (): SimMachine.SimMachine =>
  unwrap(SimMachine.SimMachine.withMasim(workload("a, 4194304\n\nrun\n100000\na, 1, 4096, 1\n"), {
    seed: 1,
    pid: PID,
    nrNodes: 1,
    ramBytes: 256 * MiB
  }))

export interface StackOptions {
  readonly start?: Kdamond.KdamondOptions
  /** The runtime's world: real time (TestClock) by default. */
  readonly time?: World.TimeMode
  readonly reclaimRegion?: DefaultRegion
  readonly lruSortRegion?: DefaultRegion
}

/** The Damon runtime over `machine`'s ops sets. */
export const damonLayer = (machine: SimMachine.SimMachine, time: World.TimeMode = "real") =>
  Damon.layer.pipe(Layer.provide([OpsRegistry.layer(SimOps.simOps(machine)), World.layer(time)]))

/** Both modules and the Damon runtime they share, over `machine`'s paddr (and vaddr, fvaddr). */
export const stack = (machine: SimMachine.SimMachine, options: StackOptions = {}) => {
  const start = options.start ?? { seed: 1 }
  const modules = Layer.mergeAll(
    DamonReclaim.layer({
      memory: machine,
      start,
      ...(options.reclaimRegion !== undefined ? { defaultRegion: options.reclaimRegion } : {})
    }),
    DamonLruSort.layer({
      memory: machine,
      start,
      ...(options.lruSortRegion !== undefined ? { defaultRegion: options.lruSortRegion } : {})
    })
  )
  return modules.pipe(Layer.provideMerge(damonLayer(machine, options.time)))
}

/** The error of a failed exit (or undefined). */
export const errorOf = <A>(exit: Exit.Exit<A, DamonError>): DamonError | undefined =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Exit.findErrorOption(exit)) : undefined

/** The reason tag of a failed exit (or undefined). */
export const reasonOf = <A>(exit: Exit.Exit<A, DamonError>): string | undefined => errorOf(exit)?.reason._tag

/**
 * Bytes of workload region `regionIdx` of `pid` weighted by `f` (e.g. resident, or resident and
 * active), at `nowUs` (page state settled first).
 */
export const regionBytes = (
  machine: SimMachine.SimMachine,
  regionIdx: number,
  nowUs: number,
  f: (e: { readonly resident: number; readonly active: number }) => number,
  pid = PID
): number => {
  machine.residentBytes(nowUs, pid)
  let sum = 0
  for (const e of machine.process(pid)?.extents ?? []) {
    if (e.regionIdx === regionIdx) sum += f(e) * (e.vEnd - e.vStart)
  }
  return sum
}
