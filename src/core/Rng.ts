/**
 * The seeded pseudo-random generator behind `damon_rand()`.
 *
 * The kernel draws from a global RNG; here every consumer receives an explicit generator so a
 * run is a pure function of its seed. The generator is sfc32 (small, fast, 128-bit state, passes
 * PractRand), seeded through splitmix32 so that nearby seeds give unrelated streams. No clock and
 * no global state: the same seed always yields the same sequence.
 */

/** A deterministic source of random integers; `rand(l, r)` mirrors `damon_rand(l, r)`. */
export interface Rng {
  /** Uniform integer in `[l, r)`; returns `l` when `r <= l + 1`. Mirrors `damon_rand()`. */
  readonly rand: (l: number, r: number) => number
  /** Uniform float in `[0, 1)`. */
  readonly float: () => number
  /** Next raw 32-bit unsigned value. */
  readonly next32: () => number
  /** A snapshot of the internal state, to fork or replay a stream. */
  readonly state: () => ReadonlyArray<number>
  /**
   * Optional batch form of `rand` for sampling: for each of `regions[0..n)` in order draws
   * `rand(start, end)` into its `samplingAddr` and into `out[i]` (the same numbers as `n`
   * calls; `out[i]` is `NaN` for an empty range, which holds no address), with the generator's
   * state in registers for the loop.
   */
  readonly randRegions?: (regions: ReadonlyArray<SamplingRange>, n: number, out: Float64Array) => void
  /**
   * Optional batch form of `rand` over ranges held in typed arrays: for each `i < n` draws
   * `rand(starts[i], starts[i] + spans[i])` into `out[i]` (`NaN` for an empty range), the same
   * numbers as {@link randRegions} over regions with those ranges, without touching a region.
   */
  readonly randSpans?: (starts: Float64Array, spans: Float64Array, n: number, out: Float64Array) => void
}

/** What {@link Rng.randRegions} draws in: a region's range and its sampling address. */
export interface SamplingRange {
  readonly start: number
  readonly end: number
  samplingAddr: number
}

const TWO_32 = 4294967296
const TWO_53 = 9007199254740992

const splitmix32 = (seed: number): (() => number) => {
  let s = seed >>> 0
  return () => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
}

/**
 * Creates a generator from a seed (any safe integer; the low and high 32 bits both count).
 *
 * **Details**
 * Mirrors the role of `damon_rand()` in `include/linux/damon.h`, but seeded and local. Ranges
 * wider than 2^32 draw 53 random bits, so sampling addresses are uniform over regions of any
 * size (the kernel's u32-bounded draw is narrower; this is a documented improvement).
 */
export const makeRng = (seed: number, state?: ReadonlyArray<number>): Rng => {
  let a: number, b: number, c: number, d: number
  if (state !== undefined && state.length === 4) {
    ;[a, b, c, d] = [state[0]! >>> 0, state[1]! >>> 0, state[2]! >>> 0, state[3]! >>> 0]
  } else {
    const mix = splitmix32((seed >>> 0) ^ Math.floor(seed / TWO_32))
    a = mix()
    b = mix()
    c = mix()
    d = 1
    // Discard the first outputs: sfc32 needs a few rounds to decorrelate from its seed.
  }
  const st = new Int32Array([a | 0, b | 0, c | 0, d | 0])
  const next32 = (): number => {
    const a0 = st[0]!, b0 = st[1]!, c0 = st[2]!, d0 = st[3]!
    const t = (a0 + b0 + d0) | 0
    st[3] = (d0 + 1) | 0
    st[0] = b0 ^ (b0 >>> 9)
    st[1] = (c0 + (c0 << 3)) | 0
    st[2] = (((c0 << 21) | (c0 >>> 11)) + t) | 0
    return t >>> 0
  }
  if (state === undefined) for (let i = 0; i < 12; i++) next32()
  const float = (): number => next32() / TWO_32
  const rand = (l: number, r: number): number => {
    const span = r - l
    if (span <= 1) return l
    if (span <= TWO_32) return Math.min(l + Math.floor((next32() * span) / TWO_32), r - 1)
    const hi = next32() >>> 11
    const bits = hi * TWO_32 + next32()
    return Math.min(l + Math.floor((bits / TWO_53) * span), r - 1)
  }
  const randRegions = (regions: ReadonlyArray<SamplingRange>, n: number, out: Float64Array): void => {
    let a0 = st[0]!
    let b0 = st[1]!
    let c0 = st[2]!
    let d0 = st[3]!
    for (let i = 0; i < n; i++) {
      const r = regions[i]!
      const l = r.start
      const span = r.end - l
      let x = l
      if (span > TWO_32) {
        // Two draws (rare: regions over 4 GiB): through `rand`, on the state kept here.
        st.set([a0, b0, c0, d0])
        x = rand(l, r.end)
        ;[a0, b0, c0, d0] = [st[0]!, st[1]!, st[2]!, st[3]!]
      } else if (span > 1) {
        // `next32()` inline.
        const t = (a0 + b0 + d0) | 0
        d0 = (d0 + 1) | 0
        a0 = b0 ^ (b0 >>> 9)
        b0 = (c0 + (c0 << 3)) | 0
        c0 = (((c0 << 21) | (c0 >>> 11)) + t) | 0
        // Below `span` without a clamp: the product is at most span * (2^32 - 1), and its
        // rounding (under span * 2^-21) cannot reach span * 2^32.
        x = l + Math.floor(((t >>> 0) * span) / TWO_32)
      }
      r.samplingAddr = x
      out[i] = span > 0 ? x : Number.NaN
    }
    st[0] = a0
    st[1] = b0
    st[2] = c0
    st[3] = d0
  }
  const randSpans = (starts: Float64Array, spans: Float64Array, n: number, out: Float64Array): void => {
    let a0 = st[0]!
    let b0 = st[1]!
    let c0 = st[2]!
    let d0 = st[3]!
    for (let i = 0; i < n; i++) {
      const l = starts[i]!
      const span = spans[i]!
      let x = l
      if (span > TWO_32) {
        st.set([a0, b0, c0, d0])
        x = rand(l, l + span)
        ;[a0, b0, c0, d0] = [st[0]!, st[1]!, st[2]!, st[3]!]
      } else if (span > 1) {
        // `next32()` inline, as in `randRegions`.
        const t = (a0 + b0 + d0) | 0
        d0 = (d0 + 1) | 0
        a0 = b0 ^ (b0 >>> 9)
        b0 = (c0 + (c0 << 3)) | 0
        c0 = (((c0 << 21) | (c0 >>> 11)) + t) | 0
        x = l + Math.floor(((t >>> 0) * span) / TWO_32)
      }
      out[i] = span > 0 ? x : Number.NaN
    }
    st[0] = a0
    st[1] = b0
    st[2] = c0
    st[3] = d0
  }
  return { rand, float, next32, randRegions, randSpans, state: () => [st[0]! >>> 0, st[1]! >>> 0, st[2]! >>> 0, st[3]! >>> 0] }
}
