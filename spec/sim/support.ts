/**
 * Test helpers for the simulator specs: unwrap results, parse inline masim configurations,
 * build machines, and a seeded Rng that counts its draws.
 */
import { Result } from "effect"
import { makeRng, type Rng } from "../../src/core/Rng.ts"
import { type MasimConfig, parseMasimConfig } from "../../src/sim/MasimConfig.ts"
import { loadMasimConfig } from "../../src/sim/MasimFiles.ts"
import { SimMachine, type WithMasimOptions } from "../../src/sim/SimMachine.ts"

export const unwrap = <A, E>(r: Result.Result<A, E>): A => {
  if (Result.isFailure(r)) throw r.failure instanceof Error ? r.failure : new Error(String(r.failure))
  return r.success
}

export const cfg = (text: string): MasimConfig => unwrap(parseMasimConfig(text, "inline.cfg"))

export const shipped = (name: string): MasimConfig => unwrap(loadMasimConfig(name))

export const machineOf = (config: MasimConfig, options: WithMasimOptions = {}): SimMachine =>
  unwrap(SimMachine.withMasim(config, { seed: 1, ...options }))

export const KiB = 1024
export const MiB = 1024 * KiB
export const GiB = 1024 * MiB
export const PAGE = 4096
export const HUGE = 2 * MiB

/** A seeded Rng that counts `rand` and `float` calls. */
export interface CountingRng extends Rng {
  readonly counts: { rand: number; float: number }
}

export const countingRng = (seed: number): CountingRng => {
  const inner = makeRng(seed)
  const counts = { rand: 0, float: 0 }
  return {
    counts,
    rand: (l, r) => {
      counts.rand++
      return inner.rand(l, r)
    },
    float: () => {
      counts.float++
      return inner.float()
    },
    next32: inner.next32,
    state: inner.state
  }
}
