/**
 * Ground truth of a masim workload, from its configuration: for any window of world time, the
 * expected working set and the expected access frequency of every workload region, computed
 * with the same analytic access model the simulated machine samples (its own instance, so the
 * machine's window cache is left alone).
 *
 * Per region (the truth is uniform within a masim region):
 * - `freq` is the mean, over the window's ticks, of the expected fraction of the region's pages
 *   accessed in the tick: exact for random patterns (every page has the same chance) and for
 *   sequential sweeps that cover the region within a tick (stairs and zigzag at the default
 *   throughput cover a stair in about 50 µs), and the expectation over the cursor's position for
 *   slower sweeps;
 * - `touched` is the expected fraction of its pages accessed at least once in the window.
 *
 * Pure.
 */
import { AccessModel } from "../sim/AccessModel.ts"
import type { MasimConfig } from "../sim/MasimConfig.ts"
import type { TruthSegment, TruthWindow } from "./Accuracy.ts"

/** What the truth needs to know of the process running the workload. */
export interface MasimProcessInfo {
  readonly config: MasimConfig
  /** Virtual start address of each workload region. */
  readonly regionStart: ReadonlyArray<number>
  /** World time the process started, in microseconds. */
  readonly startUs: number
  /** Accesses per second (the access model's throughput). */
  readonly throughput: number
  /** Whether the phases repeat. */
  readonly loop: boolean
}

/** The truth of one masim process. */
export interface MasimTruth {
  /** The truth of the window `[startUs, endUs)` of world time, with ticks of `tickUs` from `originUs`. */
  readonly window: (startUs: number, endUs: number) => TruthWindow
}

const PAGE = 4096

/** A truth for `info` on a tick grid of `tickUs` microseconds from `originUs`. */
export const make = (info: MasimProcessInfo, tickUs: number, originUs = 0): MasimTruth => {
  const model = AccessModel.make(info.config, { throughput: info.throughput, loop: info.loop })
  const nr = info.config.regions.length
  const order = Array.from({ length: nr }, (_, r) => r).sort((a, b) => info.regionStart[a]! - info.regionStart[b]!)

  const window = (startUs: number, endUs: number): TruthWindow => {
    const segments: Array<TruthSegment> = []
    const t0 = startUs - info.startUs
    const t1 = endUs - info.startUs
    const firstTick = Math.floor((startUs - originUs) / tickUs)
    const lastTick = Math.ceil((endUs - originUs) / tickUs)
    for (const r of order) {
      const size = info.config.regions[r]!.size
      let sum = 0
      let ticks = 0
      for (let k = firstTick; k < lastTick; k++) {
        const a = Math.max(originUs + k * tickUs, startUs) - info.startUs
        const b = Math.min(originUs + (k + 1) * tickUs, endUs) - info.startUs
        sum += model.touchedFraction(r, 0, size, PAGE, a, b)
        ticks++
      }
      const freq = ticks > 0 ? sum / ticks : 0
      const touched = model.touchedFraction(r, 0, size, PAGE, t0, t1)
      if (freq > 0 || touched > 0) {
        const start = info.regionStart[r]!
        segments.push({ start, end: start + size, freq, touched })
      }
    }
    return { startUs, endUs, segments }
  }
  return { window }
}
