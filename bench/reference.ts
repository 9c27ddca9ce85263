/**
 * The reference loop: the machine's limit for a sample's essential work, to compare the engine
 * with (`monitor.limitRatio`). Plain typed arrays, one inlined generator, no abstraction: per
 * region and sample, draw an address in the region, test and clear the accessed bit of its page
 * (one bit per 4 KiB page: a 1 GiB space is a 32 KiB bitmap, in the first-level cache), count an
 * access. A workload sets a random quarter of the bits between samples, outside the timed loop,
 * so the bits the loop tests are as unpredictable as a real workload's.
 */
import { nowMs } from "./Harness.ts"

const INV_PAGE = 1 / 4096
const TWO_32 = 4294967296

/** What one run of the reference loop did. */
export interface ReferenceResult {
  readonly regionSamples: number
  /** Milliseconds spent in the sampling loop (marking excluded). */
  readonly loopMs: number
  /** Accesses counted (kept so the loop cannot be optimised away). */
  readonly accesses: number
}

/**
 * Runs `samples` samples over `nrRegions` equal regions of a `spaceBytes` space (a multiple of
 * 128 KiB), a workload setting a random quarter of the accessed bits before each sample.
 */
export const runReference = (nrRegions: number, samples: number, spaceBytes = 1024 ** 3): ReferenceResult => {
  const nrPages = spaceBytes / 4096
  const accessed = new Int32Array(nrPages >>> 5)
  const start = new Float64Array(nrRegions)
  const len = new Float64Array(nrRegions)
  const nrAccesses = new Uint32Array(nrRegions)
  const regionBytes = Math.floor(spaceBytes / nrRegions)
  for (let r = 0; r < nrRegions; r++) {
    start[r] = r * regionBytes
    len[r] = regionBytes
  }
  // sfc32, as the engine's generator
  let a = 0x9e3779b9 | 0, b = 0x243f6a88 | 0, c = 0xb7e15162 | 0, d = 1
  const next32 = (): number => {
    const t = (a + b + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (((c << 21) | (c >>> 11)) + t) | 0
    return t >>> 0
  }
  let loopMs = 0
  let total = 0
  for (let s = 0; s < samples; s++) {
    for (let w = 0; w < accessed.length; w++) accessed[w] = accessed[w]! | (next32() & next32())
    const t0 = nowMs()
    for (let r = 0; r < nrRegions; r++) {
      const addr = start[r]! + Math.floor((next32() * len[r]!) / TWO_32)
      const page = Math.floor(addr * INV_PAGE)
      const word = page >>> 5
      const bit = 1 << (page & 31)
      const bits = accessed[word]!
      if ((bits & bit) !== 0) {
        accessed[word] = bits & ~bit
        nrAccesses[r]!++
      }
    }
    loopMs += nowMs() - t0
  }
  for (let r = 0; r < nrRegions; r++) total += nrAccesses[r]!
  return { regionSamples: nrRegions * samples, loopMs, accesses: total }
}
