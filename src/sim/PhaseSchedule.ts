/**
 * The phase schedule of a masim workload: phases run in order for their durations; with `loop`
 * the whole list repeats forever, without it the workload stops after the last phase. Answers
 * which phase runs at a time and cuts a time window into phase instances (one piece per phase
 * run it overlaps). Times are microseconds of workload time (since the process started).
 */

/**
 * One workload's schedule.
 *
 * **Gotchas**
 * Lookups keep the last phase found (a cache; answers do not depend on it), and
 * `splitWindow` writes its pieces into the instance's `seg*` tables.
 */
export class PhaseSchedule {
  readonly nrPhases: number
  readonly loop: boolean
  /** Phase start times within a cycle (length `nrPhases + 1`; the last entry is the cycle). */
  readonly phaseStartUs: Float64Array
  /** Length of one pass over all phases, in microseconds. */
  readonly cycleUs: number
  /** Phase of each piece of the last `splitWindow`. */
  readonly segPhase: Int32Array
  /** Start of each piece, relative to the start of its phase instance. */
  readonly segU1: Float64Array
  /** End of each piece, relative to the start of its phase instance. */
  readonly segU2: Float64Array
  private lastPhase = 0

  /** The schedule of phases lasting `durationsMs` (milliseconds each). */
  constructor(durationsMs: ReadonlyArray<number>, loop: boolean) {
    const P = durationsMs.length
    this.nrPhases = P
    this.loop = loop
    this.phaseStartUs = new Float64Array(P + 1)
    for (let p = 0; p < P; p++) this.phaseStartUs[p + 1] = this.phaseStartUs[p]! + durationsMs[p]! * 1000
    this.cycleUs = this.phaseStartUs[P]!
    // A window of at most two cycles overlaps at most 2P + 1 phase instances.
    this.segPhase = new Int32Array(2 * P + 4)
    this.segU1 = new Float64Array(2 * P + 4)
    this.segU2 = new Float64Array(2 * P + 4)
  }

  /** The phase index running at workload time `tUs`, or `-1` before the start or after the end. */
  phaseAt(tUs: number): number {
    if (!(tUs >= 0) || this.cycleUs === 0) return -1
    if (!this.loop && tUs >= this.cycleUs) return -1
    const rem = tUs - Math.floor(tUs / this.cycleUs) * this.cycleUs
    return this.phaseIn(rem)
  }

  /** The phase containing in-cycle time `rem` (binary search with a last-hit fast path). */
  phaseIn(rem: number): number {
    const starts = this.phaseStartUs
    const last = this.lastPhase
    if (rem >= starts[last]! && rem < starts[last + 1]!) return last
    let lo = 0
    let hi = this.nrPhases - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (starts[mid]! <= rem) lo = mid
      else hi = mid - 1
    }
    this.lastPhase = lo
    return lo
  }

  /**
   * Cuts `[fromUs, toUs)` (a window within two cycles, `fromUs >= 0`) into pieces, one per
   * phase instance it overlaps, into `segPhase`/`segU1`/`segU2`; returns their number.
   */
  splitWindow(fromUs: number, toUs: number): number {
    const cycle = this.cycleUs
    let nseg = 0
    let t = fromUs
    while (t < toUs && nseg < this.segPhase.length) {
      const q = Math.floor(t / cycle)
      const base = q * cycle
      const p = this.phaseIn(t - base)
      const instStart = base + this.phaseStartUs[p]!
      const instEnd = base + this.phaseStartUs[p + 1]!
      const segEnd = toUs < instEnd ? toUs : instEnd
      if (!(segEnd > t)) break
      this.segPhase[nseg] = p
      this.segU1[nseg] = t - instStart
      this.segU2[nseg] = segEnd - instStart
      nseg++
      t = segEnd
    }
    return nseg
  }
}
