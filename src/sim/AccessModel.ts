/**
 * The analytic access model of a masim workload: decides whether a page of a workload region
 * was accessed during a time window, in O(1) per check whatever the region size, without ever
 * generating individual accesses. It has no kernel counterpart; it stands in for the CPU that
 * sets the accessed bits DAMON reads. It knows nothing of addresses outside the regions, of
 * residency or of huge pages (callers pass the page's byte range).
 *
 * The model (all times in microseconds of workload time, i.e. since the process started):
 * - The machine executes `throughput` accesses per second (default {@link DEFAULT_THROUGHPUT},
 *   50e6, roughly what one masim thread achieves). In each phase the patterns share it in
 *   proportion to their `probability` weights: pattern p runs at `R_p = R * w_p / sum(w)`.
 * - A **random** pattern over a region of `S` bytes with stride `s` touches the `N = floor(S/s)`
 *   slots `k * s` (masim: `rand() % (S / s) * s`) uniformly at random: each slot is a Poisson
 *   process of rate `R_p / N`. A page covering `c` slots is accessed in a window with
 *   probability `1 - exp(-Λ)`, `Λ = c * ∫ rate`. A page holding no slot (stride > page size) is
 *   never accessed. Random patterns of the same region and stride sum their rates.
 * - A **sequential** pattern is a cursor visiting slots `0, s, 2s, ...` (`N' = ceil(S/s)` slots,
 *   masim's `offset += stride; if (offset >= S) offset = 0`), one slot per access at `R_p`
 *   accesses per second, restarting at slot 0 at the start of each phase instance. Access number
 *   `m` of an instance happens at `m / R_p` and touches slot `m mod N'`; a page is accessed in a
 *   window iff one of its slots is visited (exact, deterministic).
 * - Phases run in order; with `loop` (default) the whole list repeats forever, without it the
 *   workload stops after the last phase. Windows that cross phase boundaries are split; windows
 *   longer than two cycles are evaluated as two cycles for the sequential part (which then
 *   covers every full phase instance) and exactly for the random part.
 *
 * The only randomness is one draw `rng.float() < 1 - exp(-Λ)` per checked page with `Λ > 0`
 * that no sequential cursor touched (none when `Λ >= 37`, where the probability is 1 in
 * double precision).
 */
import type { Rng } from "../core/Rng.ts"
import { type AccessRates, compileRates } from "./AccessRates.ts"
import type { MasimConfig } from "./MasimConfig.ts"
import { PhaseSchedule } from "./PhaseSchedule.ts"

/** Default machine access throughput, in accesses per second. */
export const DEFAULT_THROUGHPUT = 50_000_000

/** Options of {@link AccessModel.make}. */
export interface AccessModelOptions {
  /** Accesses per second the phases' patterns share. Defaults to {@link DEFAULT_THROUGHPUT}. */
  readonly throughput?: number
  /** Repeat the phases forever (`true`, default) or stop after the last one. */
  readonly loop?: boolean
}

const LAMBDA_CERTAIN = 37
const PAGE = 4096
const INV_PAGE = 1 / PAGE
const HUGE = 2 * 1024 * 1024

/**
 * A compiled workload: its phase schedule (`PhaseSchedule`), rate tables (`AccessRates`) and a
 * reusable window table.
 *
 * **Gotchas**
 * `setWindow` mutates the instance's window tables in place (no allocation); the per-page
 * queries answer for the last window set. Callers that share a model set the window before
 * each batch of queries (setting the same window again is free).
 */
export class AccessModel {
  readonly config: MasimConfig
  readonly throughput: number
  readonly loop: boolean
  readonly nrRegions: number
  readonly nrPhases: number
  /** Region sizes, in bytes. */
  readonly regionSize: Float64Array
  /** Phase start times within a cycle (length `nrPhases + 1`; the last entry is the cycle). */
  readonly phaseStartUs: Float64Array
  /** Length of one pass over all phases, in microseconds. */
  readonly cycleUs: number

  private readonly schedule: PhaseSchedule
  private readonly rates: AccessRates
  private lastLambda = -1
  private lastProb = 0
  private winFrom = Number.NaN
  private winTo = Number.NaN
  private readonly winLambda: Float64Array
  private readonly winSeqOff: Int32Array
  private readonly winSeqStride: Float64Array
  private readonly winSeqSlots: Float64Array
  private readonly winSeqStart: Float64Array
  private readonly winSeqCount: Float64Array
  private readonly winSeqCursor: Int32Array
  /**
   * Per region, for the current window: the end of the offsets where a page-aligned 4 KiB or
   * 2 MiB page has the same probability wherever it lies (a cursor swept the whole region; or
   * no cursor and power-of-two strides of at most a page, below every stream's last slot), `-1`
   * when there is none; and those two probabilities. Sampling asks about such pages almost
   * always. Filled per region on its first question in a window (`uniformWin` holds the window
   * each region's entries are for): a window moves every sample, and most regions of a
   * workload may not be asked about in it.
   */
  private readonly uniformEnd: Float64Array
  private readonly uniformProb4k: Float64Array
  private readonly uniformProb2m: Float64Array
  private readonly uniformWin: Float64Array
  private winId = 0
  /** `touchedFraction`'s scratch: one cursor's visited intervals as (start, end) pairs. */
  private pieces = new Float64Array(16)
  /** What {@link cursorIntervals} last found (valid until its next call). */
  readonly intervals: Float64Array

  /** Compiles `config`; see the module doc for the model. */
  static make(config: MasimConfig, options: AccessModelOptions = {}): AccessModel {
    return new AccessModel(config, options)
  }

  private constructor(config: MasimConfig, options: AccessModelOptions) {
    const throughput = options.throughput ?? DEFAULT_THROUGHPUT
    if (!(throughput > 0) || !Number.isFinite(throughput)) {
      throw new RangeError(`throughput must be a positive finite number of accesses per second, got ${throughput}`)
    }
    this.config = config
    this.throughput = throughput
    this.loop = options.loop ?? true
    this.nrRegions = config.regions.length
    this.nrPhases = config.phases.length
    this.regionSize = Float64Array.from(config.regions, (r) => r.size)
    this.schedule = new PhaseSchedule(config.phases.map((ph) => ph.durationMs), this.loop)
    this.phaseStartUs = this.schedule.phaseStartUs
    this.cycleUs = this.schedule.cycleUs
    this.rates = compileRates(config, throughput, this.regionSize, this.phaseStartUs)
    this.winLambda = new Float64Array(Math.max(1, this.rates.nStreams))
    this.winSeqOff = new Int32Array(this.nrRegions + 1)
    // A cursor appears once per piece of the window (<= 2P + 3 pieces, <= 3 per phase).
    const cap = 4 * Math.max(1, this.rates.nCursors)
    this.winSeqStride = new Float64Array(cap)
    // Two intervals at most per piece.
    this.intervals = new Float64Array(4 * cap)
    this.winSeqSlots = new Float64Array(cap)
    this.winSeqStart = new Float64Array(cap)
    this.winSeqCount = new Float64Array(cap)
    this.winSeqCursor = new Int32Array(cap)
    this.uniformEnd = new Float64Array(this.nrRegions).fill(-1)
    this.uniformProb4k = new Float64Array(this.nrRegions)
    this.uniformProb2m = new Float64Array(this.nrRegions)
    this.uniformWin = new Float64Array(this.nrRegions).fill(-1)
  }

  /** The phase index running at workload time `tUs`, or `-1` before the start or after the end. */
  phaseAt(tUs: number): number {
    return this.schedule.phaseAt(tUs)
  }

  /** Adds `F_j(t)` (the per-slot rate integrated from 0 to `t`) of every stream to `winLambda`, times `sign`. */
  private addCum(t: number, sign: number): void {
    const rates = this.rates
    const ns = rates.nStreams
    if (ns === 0) return
    const cycle = this.cycleUs
    const q = Math.floor(t / cycle)
    let rem = t - q * cycle
    let p: number
    let cycles = q
    if (rem < 0) rem = 0
    if (q >= 1 && rem === 0 && !this.loop) {
      cycles = 0
      p = this.nrPhases
    } else {
      p = this.schedule.phaseIn(rem)
    }
    const P = this.nrPhases
    for (let j = 0; j < ns; j++) {
      let f = cycles * rates.streamCum[P * ns + j]! + rates.streamCum[p * ns + j]!
      if (p < P) f += rates.streamRate[p * ns + j]! * (rem - this.phaseStartUs[p]!)
      this.winLambda[j] = this.winLambda[j]! + sign * f
    }
  }

  /**
   * Prepares the window `[fromUs, toUs)` (workload time) for the per-page queries.
   *
   * **Gotchas**
   * Mutates the window tables; a call with the window already set returns at once.
   */
  setWindow(fromUs: number, toUs: number): void {
    if (fromUs !== this.winFrom || toUs !== this.winTo) this.computeWindow(fromUs, toUs)
  }

  /** {@link setWindow} for a new window (out of line: every sampled page asks, few compute). */
  private computeWindow(fromUs: number, toUs: number): void {
    this.winFrom = fromUs
    this.winTo = toUs
    const R = this.nrRegions
    const from = fromUs < 0 ? 0 : fromUs
    let to = toUs
    if (!this.loop && to > this.cycleUs) to = this.cycleUs
    this.winLambda.fill(0)
    if (!(to > from) || this.cycleUs === 0) {
      this.winSeqOff.fill(0)
      this.setUniform()
      return
    }
    this.addCum(to, 1)
    this.addCum(from, -1)
    const rates = this.rates
    for (let j = 0; j < rates.nStreams; j++) if (this.winLambda[j]! < 0) this.winLambda[j] = 0

    // Pieces of the window, one per phase instance (sequential cursors only).
    let end = to
    if (this.loop && end - from > 2 * this.cycleUs) end = from + 2 * this.cycleUs
    const schedule = this.schedule
    const nseg = schedule.splitWindow(from, end)
    let k = 0
    for (let r = 0; r < R; r++) {
      this.winSeqOff[r] = k
      for (let s = 0; s < nseg; s++) {
        const key = schedule.segPhase[s]! * R + r
        for (let idx = rates.prCurOff[key]!; idx < rates.prCurOff[key + 1]!; idx++) {
          const c = rates.prCurs[idx]!
          const rate = rates.curRate[c]!
          const n = rates.curSlots[c]!
          const mA = Math.ceil(schedule.segU1[s]! * rate)
          const mB = Math.ceil(schedule.segU2[s]! * rate)
          const count = mB - mA
          if (count <= 0) continue
          this.winSeqCursor[k] = c
          this.winSeqStride[k] = rates.curStride[c]!
          this.winSeqSlots[k] = n
          if (count >= n) {
            this.winSeqStart[k] = 0
            this.winSeqCount[k] = n
          } else {
            this.winSeqStart[k] = mA - Math.floor(mA / n) * n
            this.winSeqCount[k] = count
          }
          k++
        }
      }
    }
    this.winSeqOff[R] = k
    this.setUniform()
  }

  /** Invalidates the per-region uniform-page tables: the window changed (see `uniformEnd`). */
  private setUniform(): void {
    this.winId++
  }

  /** Region `r`'s uniform-page entries for the current window, filled when not yet. */
  private uniformOf(r: number): void {
    if (this.uniformWin[r] !== this.winId) this.fillUniform(r)
  }

  /** Fills region `r`'s uniform-page entries for the current window (see `uniformEnd`). */
  private fillUniform(r: number): void {
    const rates = this.rates
    const e0 = this.winSeqOff[r]!
    const e1 = this.winSeqOff[r + 1]!
    // A cursor that swept the whole region touched every page (`generalProbability` answers 1).
    let swept = false
    for (let e = e0; e < e1; e++) swept ||= this.winSeqCount[e]! >= this.winSeqSlots[e]! && this.winSeqStride[e]! <= PAGE
    let end = e0 === e1 || swept ? this.regionSize[r]! : -1
    for (let idx = rates.regionStreamOff[r]!; idx < rates.regionStreamOff[r + 1]! && end >= 0 && !swept; idx++) {
      const j = rates.regionStreams[idx]!
      if (this.winLambda[j] === 0) continue
      const stride = rates.streamStride[j]!
      if (!(rates.streamInv[j]! > 0) || stride > PAGE) end = -1
      else end = Math.min(end, rates.streamSlots[j]! * stride)
    }
    this.uniformEnd[r] = end
    // Computed by the general path, so the shortcut answers bit for bit the same.
    this.uniformProb4k[r] = end >= PAGE ? this.generalProbability(r, 0, PAGE) : 0
    this.uniformProb2m[r] = end >= HUGE ? this.generalProbability(r, 0, HUGE) : 0
    this.uniformWin[r] = this.winId
  }

  /**
   * Probability that the byte range `[lo, hi)` (offsets in region `r`; a page, or a huge page)
   * was accessed in the current window: `1` when a sequential cursor visited one of its slots,
   * else `1 - exp(-Λ)` of the random streams (exactly `1` from `Λ >= 37`), `0` when nothing
   * can touch it.
   */
  pageAccessProbability(r: number, lo: number, hi: number): number {
    // A whole page-aligned base or huge page where every page is alike (see `uniformEnd`).
    this.uniformOf(r)
    if (hi <= this.uniformEnd[r]! && lo >= 0 && Math.floor(lo * INV_PAGE) * PAGE === lo) {
      const len = hi - lo
      if (len === PAGE) return this.uniformProb4k[r]!
      if (len === HUGE) return this.uniformProb2m[r]!
    }
    return this.generalProbability(r, lo, hi)
  }

  /**
   * The probability {@link pageAccessProbability} gives every `sz`-byte page (4 KiB or 2 MiB) in
   * `[lo, hi)` of region `r` in the current window, when they all take its uniform-page shortcut
   * (`lo` a page boundary, `hi` within `uniformEnd`); `-1` when some page may not (ask per page).
   * Lets a sampler answer a whole extent's pages without asking for each.
   */
  uniformPageProbability(r: number, lo: number, hi: number, sz: number): number {
    this.uniformOf(r)
    if (!(hi <= this.uniformEnd[r]! && lo >= 0 && Math.floor(lo * INV_PAGE) * PAGE === lo)) return -1
    if (sz === PAGE) return this.uniformProb4k[r]!
    if (sz === HUGE) return this.uniformProb2m[r]!
    return -1
  }

  /**
   * When, in the current window, the only accesses to region `r` come from sequential cursors of
   * stride at most `sz`, the offsets of the slots they visited as closed intervals `[L, U]` in
   * {@link intervals} (`L` at even, `U` at odd indices), and their number; else `-1`. Then the
   * `sz`-byte page at any offset `o` is accessed exactly when `o <= U && o + sz > L` for one of
   * them, as {@link pageAccessed} answers (with certainty: no draw). Lets a sampler answer a
   * whole extent's pages without the general path.
   */
  cursorIntervals(r: number, sz: number): number {
    const rates = this.rates
    for (let idx = rates.regionStreamOff[r]!; idx < rates.regionStreamOff[r + 1]!; idx++) {
      if (this.winLambda[rates.regionStreams[idx]!] !== 0) return -1
    }
    const out = this.intervals
    let k = 0
    for (let e = this.winSeqOff[r]!; e < this.winSeqOff[r + 1]!; e++) {
      const s = this.winSeqStride[e]!
      // A page (at least a stride long) then holds a slot unless it lies past the last one.
      if (s > sz) return -1
      const n = this.winSeqSlots[e]!
      const c = this.winSeqCount[e]!
      // Visited slots [x, y): a page holds one exactly when o <= (y - 1) * s and o + sz > x * s.
      const x = c >= n ? 0 : this.winSeqStart[e]!
      const y = c >= n ? n : x + c
      out[k++] = x * s
      out[k++] = ((y <= n ? y : n) - 1) * s
      if (y > n) {
        out[k++] = 0
        out[k++] = (y - n - 1) * s
      }
    }
    return k / 2
  }

  /** {@link pageAccessProbability} without the uniform-page shortcut. */
  private generalProbability(r: number, lo: number, hi: number): number {
    const size = this.regionSize[r]!
    if (lo < 0) lo = 0
    if (hi > size) hi = size
    if (!(hi > lo)) return 0
    for (let e = this.winSeqOff[r]!; e < this.winSeqOff[r + 1]!; e++) {
      const s = this.winSeqStride[e]!
      const n = this.winSeqSlots[e]!
      const c = this.winSeqCount[e]!
      // A full sweep touches every slot, and a range at least a stride long holds one.
      if (c >= n && hi - lo >= s) return 1
      const kLo = Math.ceil(lo / s)
      let kHi = Math.ceil(hi / s)
      if (kHi > n) kHi = n
      if (kLo >= kHi) continue
      if (c >= n) return 1
      const a = this.winSeqStart[e]!
      const endSlot = a + c
      if (endSlot <= n) {
        if (kLo < endSlot && kHi > a) return 1
      } else if (kHi > a || kLo < endSlot - n) {
        return 1
      }
    }
    let lambda = 0
    const rates = this.rates
    for (let idx = rates.regionStreamOff[r]!; idx < rates.regionStreamOff[r + 1]!; idx++) {
      const j = rates.regionStreams[idx]!
      const l = this.winLambda[j]!
      if (l === 0) continue
      // Power-of-two strides multiply by an exact reciprocal; others divide.
      const inv = rates.streamInv[j]!
      let kLo: number
      let kHi: number
      if (inv > 0) {
        kLo = Math.ceil(lo * inv)
        kHi = Math.ceil(hi * inv)
      } else {
        const s = rates.streamStride[j]!
        kLo = Math.ceil(lo / s)
        kHi = Math.ceil(hi / s)
      }
      const n = rates.streamSlots[j]!
      if (kHi > n) kHi = n
      if (kHi > kLo) lambda += (kHi - kLo) * l
    }
    if (lambda <= 0) return 0
    if (lambda >= LAMBDA_CERTAIN) return 1
    // Neighbouring pages share their Λ: remember the last conversion.
    if (lambda !== this.lastLambda) {
      this.lastLambda = lambda
      this.lastProb = -Math.expm1(-lambda)
    }
    return this.lastProb
  }

  /**
   * Decides whether `[lo, hi)` of region `r` was accessed in the current window, drawing from
   * `rng` only when the answer is uncertain.
   */
  pageAccessed(r: number, lo: number, hi: number, rng: Rng): boolean {
    const p = this.pageAccessProbability(r, lo, hi)
    if (p >= 1) return true
    if (p <= 0) return false
    return rng.float() < p
  }

  /**
   * Inserts the interval `[lo, hi)` into the first `np` pairs of `pieces`, sorted by start
   * (after those starting at the same slot, as a stable sort would); returns the new count.
   */
  private insertPiece(np: number, lo: number, hi: number): number {
    const pc = this.pieces
    let k = np
    while (k > 0 && pc[2 * (k - 1)]! > lo) {
      pc[2 * k] = pc[2 * (k - 1)]!
      pc[2 * k + 1] = pc[2 * (k - 1) + 1]!
      k--
    }
    pc[2 * k] = lo
    pc[2 * k + 1] = hi
    return np + 1
  }

  /**
   * Expected fraction of the pages of `pageSize` bytes in `[lo, hi)` (offsets in region `r`,
   * page aligned) accessed during `[fromUs, toUs)`. Used for bulk questions (refaults of paged
   * out memory, young filters over a range), never for sampling.
   *
   * **Details**
   * Exact for one sequential cursor (the union of its visits over the window's phase instances)
   * and for random pages with equal slot counts (unequal ones use the average count); distinct
   * cursors and random streams are combined as independent (`1 - prod(1 - f)`).
   */
  touchedFraction(r: number, lo: number, hi: number, pageSize: number, fromUs: number, toUs: number): number {
    const pages = (hi - lo) / pageSize
    if (!(pages > 0)) return 0
    this.setWindow(fromUs, toUs)
    const size = this.regionSize[r]!
    const dLo = lo < 0 ? 0 : lo
    const dHi = hi > size ? size : hi
    if (!(dHi > dLo)) return 0
    let untouched = 1
    const off0 = this.winSeqOff[r]!
    const off1 = this.winSeqOff[r + 1]!
    for (let e = off0; e < off1; e++) {
      // One cursor can appear once per phase instance: take the union of its visits.
      const cursor = this.winSeqCursor[e]!
      let seen = false
      for (let e2 = off0; e2 < e && !seen; e2++) seen = this.winSeqCursor[e2] === cursor
      if (seen) continue
      const s = this.winSeqStride[e]!
      const n = this.winSeqSlots[e]!
      const kLo = Math.ceil(dLo / s)
      let kHi = Math.ceil(dHi / s)
      if (kHi > n) kHi = n
      if (kLo >= kHi) continue
      // The cursor's visited slot intervals, kept sorted by start in the scratch pairs (a
      // handful: no array or tuple per call, this runs per region and truth tick).
      const need = 4 * (off1 - e)
      if (this.pieces.length < need) this.pieces = new Float64Array(need)
      let np = 0
      for (let e2 = e; e2 < off1; e2++) {
        if (this.winSeqCursor[e2] !== cursor) continue
        const c = this.winSeqCount[e2]!
        const a = this.winSeqStart[e2]!
        if (c >= n) np = this.insertPiece(np, 0, n)
        else {
          np = this.insertPiece(np, a, Math.min(a + c, n))
          if (a + c > n) np = this.insertPiece(np, 0, a + c - n)
        }
      }
      const pc = this.pieces
      let covered = 0
      let curLo = pc[0]!
      let curHi = pc[1]!
      for (let k = 1; k <= np; k++) {
        if (k < np && pc[2 * k]! <= curHi) {
          if (pc[2 * k + 1]! > curHi) curHi = pc[2 * k + 1]!
          continue
        }
        covered += overlap(curLo, curHi, kLo, kHi)
        if (k < np) {
          curLo = pc[2 * k]!
          curHi = pc[2 * k + 1]!
        }
      }
      const touchedPages = s >= pageSize ? covered : Math.min(pages, Math.ceil((covered * s) / pageSize))
      untouched *= 1 - Math.min(1, touchedPages / pages)
    }
    const rates = this.rates
    for (let idx = rates.regionStreamOff[r]!; idx < rates.regionStreamOff[r + 1]!; idx++) {
      const j = rates.regionStreams[idx]!
      const l = this.winLambda[j]!
      if (l === 0) continue
      const s = rates.streamStride[j]!
      const kLo = Math.ceil(dLo / s)
      let kHi = Math.ceil(dHi / s)
      const n = rates.streamSlots[j]!
      if (kHi > n) kHi = n
      const slots = kHi - kLo
      if (slots <= 0) continue
      let f: number
      if (s >= pageSize) f = (slots / pages) * -Math.expm1(-l)
      else {
        const withData = Math.ceil((dHi - dLo) / pageSize)
        f = (withData / pages) * -Math.expm1(-(slots / withData) * l)
      }
      untouched *= 1 - Math.min(1, f)
    }
    return 1 - untouched
  }
}

const overlap = (a: number, b: number, c: number, d: number): number => {
  const lo = a > c ? a : c
  const hi = b < d ? b : d
  return hi > lo ? hi - lo : 0
}
