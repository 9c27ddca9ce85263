/** Seeded random snapshots for the report property tests. */
import { Rng } from "effect-damon"
import type { Snapshot } from "../../src/report/Snapshot.ts"

/** Random sorted disjoint ranges: `n` ranges with gaps, from `base`. */
export const randomRanges = (rng: Rng.Rng, n: number, base = 0x10000): Array<{ start: number; end: number }> => {
  const out: Array<{ start: number; end: number }> = []
  let at = base
  for (let i = 0; i < n; i++) {
    at += rng.rand(0, 3) === 0 ? 0 : rng.rand(1, 1 << 30)
    const size = rng.rand(1, 1 << 24)
    out.push({ start: at, end: at + size })
    at += size
  }
  return out
}

/** A snapshot of regions cutting `ranges` at random points, with random access counts. */
export const randomSnapshot = (
  rng: Rng.Rng,
  ranges: ReadonlyArray<{ start: number; end: number }>,
  atUs: number,
  aggrIntervalUs: number,
  sampleIntervalUs = 5000,
  targets = 1
): Snapshot => {
  const maxNr = Math.max(1, Math.floor(aggrIntervalUs / sampleIntervalUs))
  return {
    atUs,
    sampleIntervalUs,
    aggrIntervalUs,
    targets: Array.from({ length: targets }, (_, index) => ({
      index,
      pid: 42 + index,
      regions: ranges.flatMap((r) => {
        const cuts = [r.start, r.end]
        for (let i = rng.rand(0, 5); i > 0; i--) cuts.push(rng.rand(r.start + 1, r.end))
        const sorted = [...new Set(cuts)].sort((a, b) => a - b)
        return sorted.slice(0, -1).map((start, i) => ({
          start,
          end: sorted[i + 1]!,
          nrAccesses: rng.rand(0, maxNr + 1),
          nrAccessesBp: 0,
          lastNrAccesses: 0,
          age: rng.rand(0, 50)
        }))
      })
    }))
  }
}

/** Relative closeness of two sums. */
export const close = (a: number, b: number, tolerance = 1e-9): boolean =>
  Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(a), Math.abs(b))
