/**
 * The access rates of a masim workload, compiled into flat tables for the access model: per
 * phase, the rate of every random stream (one per region and stride used by a random pattern,
 * per slot, with its integral over the phases) and every sequential cursor (one per sequential
 * pattern). The throughput is shared by a phase's patterns in proportion to their `probability`
 * weights; random patterns of the same region and stride sum their rates. See `AccessModel` for
 * what the rates mean.
 */
import type { MasimConfig } from "./MasimConfig.ts"

/** The compiled tables (read-only once built). */
export interface AccessRates {
  /** Number of random streams. */
  readonly nStreams: number
  readonly streamStride: Float64Array
  /** `1 / stride` for power-of-two strides (exact), else 0. */
  readonly streamInv: Float64Array
  /** Slots of each stream: `floor(region size / stride)`. */
  readonly streamSlots: Float64Array
  /** Rate per slot of stream `j` in phase `p`, accesses per µs, at `p * nStreams + j`. */
  readonly streamRate: Float64Array
  /** Integral of the per-slot rate from the cycle start to the start of phase `p`, at `p * nStreams + j`. */
  readonly streamCum: Float64Array
  /** Streams of region `r`: `regionStreams[regionStreamOff[r] .. regionStreamOff[r + 1]]`. */
  readonly regionStreamOff: Int32Array
  readonly regionStreams: Int32Array
  /** Number of sequential cursors. */
  readonly nCursors: number
  readonly curStride: Float64Array
  /** Slots a cursor visits: `ceil(region size / stride)`. */
  readonly curSlots: Float64Array
  /** Accesses per µs of each cursor. */
  readonly curRate: Float64Array
  /** Cursors of phase `p` in region `r`: `prCurs[prCurOff[p * R + r] .. prCurOff[p * R + r + 1]]`. */
  readonly prCurOff: Int32Array
  readonly prCurs: Int32Array
}

/** Compiles the rates of `config` at `throughput` accesses per second, phases starting at `phaseStartUs`. */
export const compileRates = (config: MasimConfig, throughput: number, regionSize: Float64Array, phaseStartUs: Float64Array): AccessRates => {
  const R = config.regions.length
  const P = config.phases.length
  const perUs = throughput / 1e6

  // Random streams: one per (region, stride) used by any random pattern.
  const streamKey = new Map<string, number>()
  const sRegion: Array<number> = []
  const sStride: Array<number> = []
  for (const ph of config.phases) {
    for (const pat of ph.patterns) {
      if (!pat.random) continue
      const key = `${pat.regionIndex}:${pat.stride}`
      if (!streamKey.has(key)) {
        streamKey.set(key, sRegion.length)
        sRegion.push(pat.regionIndex)
        sStride.push(pat.stride)
      }
    }
  }
  const ns = sRegion.length
  const streamStride = Float64Array.from(sStride)
  const streamInv = Float64Array.from(sStride, (st) => ((st & (st - 1)) === 0 && st <= 2 ** 30 ? 1 / st : 0))
  const streamSlots = Float64Array.from(sRegion, (r, j) => Math.floor(regionSize[r]! / sStride[j]!))
  const streamRate = new Float64Array(Math.max(1, P * ns))
  const streamCum = new Float64Array(Math.max(1, (P + 1) * ns))
  const curRegion: Array<number> = []
  const curPhase: Array<number> = []
  const curStride: Array<number> = []
  const curRate: Array<number> = []
  for (let p = 0; p < P; p++) {
    const ph = config.phases[p]!
    let weight = 0
    for (const pat of ph.patterns) weight += pat.probability
    for (const pat of ph.patterns) {
      if (pat.probability === 0) continue
      const rate = (perUs * pat.probability) / weight
      if (pat.random) {
        const j = streamKey.get(`${pat.regionIndex}:${pat.stride}`)!
        const slots = streamSlots[j]!
        if (slots > 0) streamRate[p * ns + j] = streamRate[p * ns + j]! + rate / slots
      } else {
        curRegion.push(pat.regionIndex)
        curPhase.push(p)
        curStride.push(pat.stride)
        curRate.push(rate)
      }
    }
  }
  for (let p = 0; p < P; p++) {
    const dur = phaseStartUs[p + 1]! - phaseStartUs[p]!
    for (let j = 0; j < ns; j++) streamCum[(p + 1) * ns + j] = streamCum[p * ns + j]! + streamRate[p * ns + j]! * dur
  }
  const regionStreamOff = new Int32Array(R + 1)
  for (let j = 0; j < ns; j++) regionStreamOff[sRegion[j]! + 1]!++
  for (let r = 0; r < R; r++) regionStreamOff[r + 1]! += regionStreamOff[r]!
  const regionStreams = new Int32Array(Math.max(1, ns))
  {
    const fill = regionStreamOff.slice(0, R)
    for (let j = 0; j < ns; j++) regionStreams[fill[sRegion[j]!]!++] = j
  }

  const nc = curRegion.length
  const prCurOff = new Int32Array(P * R + 1)
  for (let c = 0; c < nc; c++) prCurOff[curPhase[c]! * R + curRegion[c]! + 1]!++
  for (let k = 0; k < P * R; k++) prCurOff[k + 1]! += prCurOff[k]!
  const prCurs = new Int32Array(Math.max(1, nc))
  {
    const fill = prCurOff.slice(0, P * R)
    for (let c = 0; c < nc; c++) prCurs[fill[curPhase[c]! * R + curRegion[c]!]!++] = c
  }
  return {
    nStreams: ns,
    streamStride,
    streamInv,
    streamSlots,
    streamRate,
    streamCum,
    regionStreamOff,
    regionStreams,
    nCursors: nc,
    curStride: Float64Array.from(curStride),
    curSlots: Float64Array.from(curRegion, (r, c) => Math.ceil(regionSize[r]! / curStride[c]!)),
    curRate: Float64Array.from(curRate),
    prCurOff,
    prCurs
  }
}
