/**
 * A simulated process: pid, lifetime, mappings over time and the workload (a compiled masim
 * configuration) that accesses its memory. It plays the role of the `task_struct`/`mm_struct`
 * pair DAMON's vaddr ops reads. Its page state (extents) is owned and updated by the machine's
 * parts (`PhysFrames` backs mappings, `ActionEffects` and `MemAccounting` change page state);
 * this class answers time-based questions (mappings at a time, liveness) and the per-page
 * access question.
 */
import type { Rng } from "../core/Rng.ts"
import { AccessModel } from "./AccessModel.ts"
import { SampleSlot } from "../ops/opsCommon.ts"
import type { MasimConfig } from "./MasimConfig.ts"
import { HUGE_PAGE_SIZE, lowerBound, PAGE_SIZE, type PageExtent } from "./PageExtent.ts"
import { applyEvent, layoutProcess, type MapEvent, type Vma } from "./ProcessLayout.ts"

/** How a process is described to the machine. */
export interface ProcessSpec {
  readonly pid: number
  readonly name?: string
  /** The workload; `undefined` for a process whose memory is never accessed. */
  readonly workload?: MasimConfig
  /** Repeat the workload's phases forever (default `true`); otherwise exit after the last one. */
  readonly loop?: boolean
  /** Workload access throughput, accesses per second (default 50e6). */
  readonly throughput?: number
  /** Start time (µs of machine time). Defaults to 0. */
  readonly startUs?: number
  /** Exit time (µs). Defaults to never, or the end of the last phase when `loop` is false. */
  readonly exitUs?: number
  /** Memory cgroup id of the process's pages. Defaults to 1. */
  readonly memcgId?: number
  /** Mapping changes over time. */
  readonly events?: ReadonlyArray<MapEvent>
  /** Back workload regions with huge pages from the start (`"always"`) or not (default `"never"`). */
  readonly thp?: "never" | "always"
  /** NUMA node allocations prefer (default 0). */
  readonly nid?: number
}

/**
 * One process.
 *
 * **Gotchas**
 * `extents` is mutated by the machine; `folioSz` and the lookup cursor are scratch state of
 * the sampling hot path (reading them is only meaningful right after `youngAt`).
 */
export class SimProcess {
  readonly pid: number
  readonly name: string
  readonly startUs: number
  readonly exitUs: number
  readonly memcgId: number
  readonly nid: number
  readonly thp: "never" | "always"
  /** The compiled workload, or `null`. */
  readonly model: AccessModel | null
  /** Start address of each workload region. */
  readonly regionStart: ReadonlyArray<number>
  /** Mappings at start. */
  readonly initialVmas: ReadonlyArray<Vma>
  /** Events sorted by time. */
  readonly events: ReadonlyArray<MapEvent>
  /** Sorted page extents; maintained by the machine. */
  extents: Array<PageExtent> = []
  /** Folio size of the page found by the last `youngAt`/`youngIn`. */
  folioSz = PAGE_SIZE
  /** `youngBatch`'s current gap between extents (see `holeAround`). */
  private readonly holeScratch = new Float64Array(2)
  /** Binary-search steps spent finding extents (the cursor's hits cost none): a work measure. */
  lookupSteps = 0
  private cursor = 0
  private readonly snapTimes: Array<number>
  private readonly snapVmas: Array<ReadonlyArray<Vma>>

  constructor(spec: ProcessSpec, rng: Rng) {
    this.pid = spec.pid
    this.name = spec.name ?? (spec.workload !== undefined ? `masim ${spec.workload.name}` : `proc${spec.pid}`)
    this.startUs = spec.startUs ?? 0
    this.memcgId = spec.memcgId ?? 1
    this.nid = spec.nid ?? 0
    this.thp = spec.thp ?? "never"
    const loop = spec.loop ?? true
    const modelOptions = spec.throughput === undefined ? { loop } : { loop, throughput: spec.throughput }
    this.model = spec.workload !== undefined ? AccessModel.make(spec.workload, modelOptions) : null
    const natural = this.model !== null && !loop ? this.startUs + this.model.cycleUs : Number.POSITIVE_INFINITY
    this.exitUs = Math.min(spec.exitUs ?? Number.POSITIVE_INFINITY, natural)
    const layout = layoutProcess(spec.workload ?? null, rng)
    this.regionStart = layout.regionStart
    this.initialVmas = layout.vmas
    this.events = [...(spec.events ?? [])].sort((a, b) => a.atUs - b.atUs)
    const sizes = spec.workload?.regions.map((r) => r.size) ?? []
    this.snapTimes = [Number.NEGATIVE_INFINITY]
    this.snapVmas = [layout.vmas]
    let cur: ReadonlyArray<Vma> = layout.vmas
    for (const ev of this.events) {
      cur = applyEvent(cur, ev, this.regionStart, sizes)
      this.snapTimes.push(ev.atUs)
      this.snapVmas.push(cur)
    }
  }

  /** True when the process exists at `nowUs` (started and not exited). */
  isAlive(nowUs: number): boolean {
    return nowUs >= this.startUs && nowUs < this.exitUs
  }

  /**
   * The mappings at `nowUs`, sorted by address; empty when the process is not alive.
   * Events at exactly `nowUs` have happened.
   */
  vmasAt(nowUs: number): ReadonlyArray<Vma> {
    if (!this.isAlive(nowUs)) return []
    let lo = 0
    let hi = this.snapTimes.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (this.snapTimes[mid]! <= nowUs) lo = mid
      else hi = mid - 1
    }
    return this.snapVmas[lo]!
  }

  /** Index of the extent containing `addr`, using (and updating) the sweep cursor. */
  extentIndex(addr: number): number {
    const list = this.extents
    const i = this.cursor
    if (i < list.length) {
      const e = list[i]!
      if (addr >= e.vStart && addr < e.vEnd) return i
    }
    return this.extentIndexNear(addr)
  }

  /** {@link extentIndex} past the cursor's extent (out of line: the hot path stays small). */
  private extentIndexNear(addr: number): number {
    const list = this.extents
    const n = list.length
    let i = this.cursor
    if (i < n && addr >= list[i]!.vStart) {
      // Sampling sweeps regions in address order: try the next few extents first.
      for (let k = 0; k < 4 && ++i < n; k++) {
        const f = list[i]!
        if (addr < f.vStart) return -1
        if (addr < f.vEnd) {
          this.cursor = i
          return i
        }
      }
    }
    let lo = 0
    let hi = n - 1
    while (lo <= hi) {
      this.lookupSteps++
      const mid = (lo + hi) >>> 1
      const e = list[mid]!
      if (addr < e.vStart) hi = mid - 1
      else if (addr >= e.vEnd) lo = mid + 1
      else {
        this.cursor = mid
        return mid
      }
    }
    return -1
  }

  /**
   * Whether the page at `addr` was accessed during `[fromUs, toUs)` (µs of machine time): `1`
   * yes, `0` no, `-1` no page mapped there (then `folioSz` is left as it was).
   *
   * **Details**
   * The page is the huge page around `addr` when its extent is huge (the accessed bit is per
   * PMD), else the 4 KiB page. Sets `folioSz` for the folio cache of the ops sets.
   */
  youngAt(addr: number, fromUs: number, toUs: number, rng: Rng): number {
    const i = this.extentIndex(addr)
    if (i < 0) return -1
    return this.youngIn(this.extents[i]!, addr, fromUs, toUs, rng)
  }

  /** {@link youngAt} for an `addr` already known to be inside `e`. */
  youngIn(e: PageExtent, addr: number, fromUs: number, toUs: number, rng: Rng): number {
    const sz = e.huge ? HUGE_PAGE_SIZE : PAGE_SIZE
    this.folioSz = sz
    const model = this.model
    if (e.regionIdx < 0 || model === null) return 0
    // Power-of-two sizes: the multiply is exact and avoids a floating-point modulo.
    const page = Math.floor(addr * (e.huge ? 1 / HUGE_PAGE_SIZE : 1 / PAGE_SIZE)) * sz
    const off = e.regionOff + (page - e.vStart)
    const to = toUs < this.exitUs ? toUs : this.exitUs
    model.setWindow(fromUs - this.startUs, to - this.startUs)
    return model.pageAccessed(e.regionIdx, off, off + sz, rng) ? 1 : 0
  }

  /**
   * {@link youngAt} for one sample's addresses in order through the ops sets' folio cache, the
   * contract of `AccessSampler.youngBatch` (`cache` laid out as `SampleSlot`): the
   * window is set once and the loop makes no call but the extent cursor and the model's.
   */
  youngBatch(addrs: Float64Array, n: number, fromUs: number, toUs: number, rng: Rng, cache: Float64Array, out: Uint8Array): void {
    const model = this.model
    if (model !== null) {
      const to = toUs < this.exitUs ? toUs : this.exitUs
      model.setWindow(fromUs - this.startUs, to - this.startUs)
    }
    let folioIdx = cache[SampleSlot.folioIdx]!
    let folioSz = cache[SampleSlot.folioSz]!
    let folioInv = cache[SampleSlot.folioInv]!
    let last = cache[SampleSlot.accessed] === 1
    // The extent of the previous address in locals (its range, region, region offset of address
    // 0, the probability all its pages share in this window or `-1`, and else, when only
    // sequential cursors touch it, their visited intervals): sampling sweeps in address order,
    // so most addresses stay in it and read no extent object.
    let extStart = 0
    let extEnd = 0
    let extRegion = -1
    let extBase = 0
    let extP = 0
    let nIntervals = -1
    // The gap between extents the previous unmapped address fell in (regions span the small
    // gaps between mappings: a fifth of the addresses on masim workloads), so the next one there
    // needs no search either.
    const hole = this.holeScratch
    hole[0] = 0
    hole[1] = 0
    for (let i = 0; i < n; i++) {
      const a = addrs[i]!
      if (a !== a) {
        out[i] = 0
        continue
      }
      // The folio index of `a` (recomputed below if the folio size changes).
      let f = Math.floor(a * folioInv)
      if (i > 0 && f === folioIdx) {
        out[i] = last ? 1 : 0
        continue
      }
      last = false
      let mapped = a >= extStart && a < extEnd
      if (!mapped && !(a >= hole[0]! && a < hole[1]!)) {
        const k = this.extentIndex(a)
        if (k < 0) this.holeAround(a, hole)
        else {
          mapped = true
          const e = this.extents[k]!
          extStart = e.vStart
          extEnd = e.vEnd
          extRegion = model === null ? -1 : e.regionIdx
          extBase = e.regionOff - e.vStart
          const sz = e.huge ? HUGE_PAGE_SIZE : PAGE_SIZE
          this.folioSz = sz
          if (sz !== folioSz) {
            folioSz = sz
            folioInv = 1 / sz
            f = Math.floor(a * folioInv)
          }
          extP = extRegion < 0 ? 0 : this.uniformExtentProbability(e, model!, sz)
          nIntervals = extP < 0 ? model!.cursorIntervals(extRegion, sz) : -1
        }
      }
      if (mapped) {
        const p = extP
        if (p >= 0) last = p >= 1 || (p > 0 && rng.float() < p)
        else {
          const off = extBase + f * folioSz
          if (nIntervals >= 0) {
            const iv = model!.intervals
            for (let j = 0; j < 2 * nIntervals && !last; j += 2) last = off <= iv[j + 1]! && off + folioSz > iv[j]!
          } else {
            last = model!.pageAccessed(extRegion, off, off + folioSz, rng)
          }
        }
      }
      folioIdx = f
      out[i] = last ? 1 : 0
    }
    cache[SampleSlot.folioIdx] = folioIdx
    cache[SampleSlot.folioSz] = folioSz
    cache[SampleSlot.folioInv] = folioInv
    cache[SampleSlot.accessed] = last ? 1 : 0
  }

  /** Sets `out` to the gap `[start, end)` between extents around the unmapped `addr`. */
  private holeAround(addr: number, out: Float64Array): void {
    const list = this.extents
    // The first extent ending after `addr` starts after it: `addr` is in no extent.
    const next = lowerBound(list, addr)
    out[0] = next > 0 ? list[next - 1]!.vEnd : 0
    out[1] = next < list.length ? list[next]!.vStart : Number.POSITIVE_INFINITY
  }

  /** `AccessModel.uniformPageProbability` over every folio of `e` (of `sz` bytes) that holds an address of it. */
  private uniformExtentProbability(e: PageExtent, model: AccessModel, sz: number): number {
    const firstPage = Math.floor(e.vStart / sz) * sz
    const lastPage = Math.floor((e.vEnd - 1) / sz) * sz
    return model.uniformPageProbability(e.regionIdx, e.regionOff + (firstPage - e.vStart), e.regionOff + (lastPage - e.vStart) + sz, sz)
  }

  /** Expected fraction of `e`'s folios accessed during `[fromUs, toUs)` (machine time). */
  touchedFraction(e: PageExtent, fromUs: number, toUs: number): number {
    const model = this.model
    if (e.regionIdx < 0 || model === null) return 0
    const to = toUs < this.exitUs ? toUs : this.exitUs
    if (!(to > fromUs)) return 0
    const sz = e.huge ? HUGE_PAGE_SIZE : PAGE_SIZE
    return model.touchedFraction(
      e.regionIdx,
      e.regionOff,
      e.regionOff + (e.vEnd - e.vStart),
      sz,
      fromUs - this.startUs,
      to - this.startUs
    )
  }
}
