/**
 * The simulated machine: NUMA nodes of RAM, processes whose mappings are backed by physical
 * frames, page state as extents, the effects of DAMOS actions on that state, and the memory
 * metrics DAMOS reads (`SystemMetrics`). It stands in for the parts of Linux's memory management
 * that DAMON's operations sets call (page tables, rmap, LRU lists, reclaim, migration,
 * khugepaged, PSI); it models their outcome, not their algorithms. Time is the caller's clock
 * (the kdamond's), passed to every call; the machine follows the latest time it was given.
 *
 * Memory model:
 * - Every mapped page owns a frame for as long as it is mapped (congruent to its virtual address
 *   modulo 2 MiB); "resident" is page state: a paged-out page keeps its frame reserved but counts
 *   as free memory, and comes back to the same frame when it faults in.
 * - New anonymous pages start resident on the inactive LRU; file pages (text, libraries) start
 *   on the active LRU. Refaulted pages join the active LRU (workingset activation).
 * - Refaults are settled lazily: when a paged-out run is next observed (an action on it, or a
 *   metrics read), the expected fraction of its pages the workload touched since the pageout
 *   becomes resident again, and the refaults are counted (`refaultPages`, fractional).
 * - Pressure (PSI "some", µs): each refaulted base page stalls `refaultStallUs` (default 50 µs,
 *   a swap-in from SSD); while free memory is below `minFreePermil` (default 5 %), time stalls
 *   in proportion to the shortage, `(min - free) / min` of elapsed time (piecewise constant
 *   between metric reads).
 */
import { Result } from "effect"
import { makeRng, type Rng } from "../core/Rng.ts"
import type { AddrRange } from "../model/AddrRange.ts"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import type { ActionOutcome, ActionRequest } from "../ops/AddressSpace.ts"
import type { SystemMetrics } from "../ops/DamonOps.ts"
import { type ChainScratch, passFraction } from "./ExtentFilter.ts"
import type { MasimConfig } from "./MasimConfig.ts"
import {
  coalesce,
  findIndex,
  HUGE_PAGE_SIZE,
  lowerBound,
  PAGE_SIZE,
  type PageExtent,
  pages,
  slice,
  splitAt
} from "./PageExtent.ts"
import { defaultRamLayout, FrameAllocator, type RamRange, systemRamResources } from "./PhysMem.ts"
import type { MapEvent, Vma } from "./ProcessLayout.ts"
import { type ProcessSpec, SimProcess } from "./SimProcess.ts"

const MiB = 1024 * 1024

/** Options of {@link SimMachine.make}. */
export interface SimMachineOptions {
  /** Seed of the layout jitter. Defaults to 1. */
  readonly seed?: number
  /** Number of NUMA nodes of the default RAM layout. Defaults to 2. */
  readonly nrNodes?: number
  /**
   * Total RAM of the default layout. Defaults to 1.6 times the memory the processes may map
   * (so about 37 % stays free), at least 256 MiB, rounded up to 64 MiB.
   */
  readonly ramBytes?: number
  /** An explicit RAM layout (overrides `nrNodes` and `ramBytes`). */
  readonly ram?: ReadonlyArray<RamRange>
  /** Memory used outside the simulation (kernel, other programs), on node 0. Defaults to 0. */
  readonly reservedBytes?: number
  /** Unmapped clean page cache (never accessed, reclaimable). Defaults to 0. */
  readonly pageCacheBytes?: number
  /** PSI stall per refaulted base page, µs. Defaults to 50. */
  readonly refaultStallUs?: number
  /** Free memory below which time stalls (per-mille). Defaults to 50. */
  readonly minFreePermil?: number
  readonly processes: ReadonlyArray<ProcessSpec>
}

/** Options of {@link SimMachine.withMasim}: the machine's plus the one process's. */
export interface WithMasimOptions extends Omit<SimMachineOptions, "processes"> {
  /** Pid of the workload process. Defaults to 42. */
  readonly pid?: number
  readonly loop?: boolean
  readonly throughput?: number
  readonly startUs?: number
  readonly exitUs?: number
  readonly memcgId?: number
  readonly events?: ReadonlyArray<MapEvent>
  readonly thp?: "never" | "always"
  readonly nid?: number
}

interface TimelineEntry {
  readonly atUs: number
  readonly order: number
  readonly proc: SimProcess
  readonly kind: "start" | "event" | "exit"
  readonly event: MapEvent | undefined
}

const alignUp = (x: number, a: number): number => Math.ceil(x / a) * a
const alignDown = (x: number, a: number): number => Math.floor(x / a) * a
const mod = (x: number, m: number): number => ((x % m) + m) % m
const clamp01 = (x: number): number => (x <= 0 ? 0 : x >= 1 ? 1 : x)

/** A visited run of folios of paddr's walk, as a virtual range of its owner. */
interface PhysPiece {
  readonly p: SimProcess
  readonly e: PageExtent
  readonly vs: number
  ve: number
}

/** Appends the physical range `[ps, pe)` of `e` to `work`, extending the last piece when contiguous. */
const pushPiece = (work: Array<PhysPiece>, e: PageExtent, ps: number, pe: number): void => {
  const vs = e.vStart + (ps - e.pStart)
  const ve = e.vStart + (pe - e.pStart)
  const last = work[work.length - 1]
  if (last !== undefined && last.e === e && last.ve === vs) last.ve = ve
  else work.push({ p: e.owner, e, vs, ve })
}

const validateSpec = (spec: ProcessSpec, i: number): DamonError | undefined => {
  const at = `processes[${i}]`
  if (!Number.isSafeInteger(spec.pid) || spec.pid <= 0) return invalidArgument(`${at}.pid`, spec.pid, "must be a positive integer")
  if (spec.startUs !== undefined && !(spec.startUs >= 0)) return invalidArgument(`${at}.startUs`, spec.startUs, "must be >= 0")
  if (spec.exitUs !== undefined && !(spec.exitUs >= (spec.startUs ?? 0))) {
    return invalidArgument(`${at}.exitUs`, spec.exitUs, "must be >= startUs")
  }
  if (spec.throughput !== undefined && !(spec.throughput > 0 && Number.isFinite(spec.throughput))) {
    return invalidArgument(`${at}.throughput`, spec.throughput, "must be a positive number of accesses per second")
  }
  const events = spec.events ?? []
  for (let k = 0; k < events.length; k++) {
    const ev = events[k]!
    const f = `${at}.events[${k}]`
    if (!(ev.atUs >= 0)) return invalidArgument(`${f}.atUs`, ev.atUs, "must be >= 0")
    const { start, end } = ev.range
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start % PAGE_SIZE !== 0 || end % PAGE_SIZE !== 0) {
      return invalidArgument(`${f}.range`, ev.range, "must be page aligned (4096) safe integers")
    }
    if (start >= end) return invalidArgument(`${f}.range`, ev.range, "start must be below end")
  }
  return undefined
}

/**
 * The machine.
 *
 * **Gotchas**
 * Stateful: `advance`, the actions and the metrics mutate it (page state, counters). Sampling
 * (`physYoung`, `SimProcess.youngAt`) mutates only lookup caches and the access model's window.
 */
export class SimMachine {
  readonly ram: ReadonlyArray<RamRange>
  /** Node ids with memory, ascending. */
  readonly nodeIds: ReadonlyArray<number>
  readonly totalBytes: number
  readonly reservedBytes: number
  readonly refaultStallUs: number
  readonly minFreePermil: number
  /** The memory metrics DAMOS reads, over this machine. */
  readonly metrics: SystemMetrics
  /** Folio size of the frame found by the last `physYoung`. */
  folioSz = PAGE_SIZE

  private readonly procs = new Map<number, SimProcess>()
  private readonly owners: Array<SimProcess> = []
  private readonly alloc: FrameAllocator
  private readonly nodeTotal: Float64Array
  private readonly timeline: Array<TimelineEntry> = []
  private nextEvent = 0
  private lastUs = Number.NEGATIVE_INFINITY
  private refaults = 0
  private psiUs = 0
  private lastFreePermil = 1000
  private version = 0
  private statsVersion = -1
  private readonly usedNode: Float64Array
  private activePages = 0
  private inactivePages = 0
  private readonly memcgNode = new Map<number, Float64Array>()
  private physIndex: Array<PageExtent> = []
  private physDirty = true
  private physCursor = 0
  private readonly scratch: ChainScratch = { youngReached: false, passActive: 0 }

  /**
   * Builds a machine; bad options are an `InvalidArgument` naming the field.
   *
   * **Details**
   * Processes starting at time 0 are mapped at once; later starts, mapping events and exits
   * happen when the machine is advanced past their time.
   */
  static make(options: SimMachineOptions): Result.Result<SimMachine, DamonError> {
    const pids = new Set<number>()
    for (let i = 0; i < options.processes.length; i++) {
      const spec = options.processes[i]!
      const err = validateSpec(spec, i)
      if (err !== undefined) return Result.fail(err)
      if (pids.has(spec.pid)) return Result.fail(invalidArgument(`processes[${i}].pid`, spec.pid, "duplicate pid"))
      pids.add(spec.pid)
    }
    const nrNodes = options.nrNodes ?? 2
    if (!Number.isSafeInteger(nrNodes) || nrNodes < 1 || nrNodes > 64) {
      return Result.fail(invalidArgument("nrNodes", nrNodes, "must be an integer in [1, 64]"))
    }
    for (const [field, v] of [
      ["reservedBytes", options.reservedBytes],
      ["pageCacheBytes", options.pageCacheBytes],
      ["ramBytes", options.ramBytes]
    ] as const) {
      if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0)) {
        return Result.fail(invalidArgument(field, v, "must be a non-negative integer number of bytes"))
      }
    }
    try {
      return Result.succeed(new SimMachine(options, nrNodes))
    } catch (cause) {
      return Result.fail(invalidArgument("processes", options.processes.length, cause instanceof Error ? cause.message : String(cause)))
    }
  }

  /** A machine running `config` as one process (pid 42 unless given), for the CLI and tests. */
  static withMasim(config: MasimConfig, options: WithMasimOptions = {}): Result.Result<SimMachine, DamonError> {
    const { pid, loop, throughput, startUs, exitUs, memcgId, events, thp, nid, ...machine } = options
    const spec: ProcessSpec = {
      pid: pid ?? 42,
      workload: config,
      ...(loop !== undefined ? { loop } : {}),
      ...(throughput !== undefined ? { throughput } : {}),
      ...(startUs !== undefined ? { startUs } : {}),
      ...(exitUs !== undefined ? { exitUs } : {}),
      ...(memcgId !== undefined ? { memcgId } : {}),
      ...(events !== undefined ? { events } : {}),
      ...(thp !== undefined ? { thp } : {}),
      ...(nid !== undefined ? { nid } : {})
    }
    return SimMachine.make({ ...machine, processes: [spec] })
  }

  private constructor(options: SimMachineOptions, nrNodes: number) {
    const seed = options.seed ?? 1
    const procs: Array<SimProcess> = []
    let peak = 0
    for (const spec of options.processes) {
      const rng = makeRng((seed >>> 0) ^ Math.imul(spec.pid, 0x9e3779b1))
      const p = new SimProcess(spec, rng)
      procs.push(p)
      for (const v of p.initialVmas) peak += v.end - v.start
      for (const ev of p.events) if (ev.kind === "mmap") peak += ev.range.end - ev.range.start
    }
    this.reservedBytes = options.reservedBytes ?? 0
    const pageCache = alignUp(options.pageCacheBytes ?? 0, PAGE_SIZE)
    peak += this.reservedBytes + pageCache
    this.ram = options.ram ?? defaultRamLayout(options.ramBytes ?? alignUp(Math.max(peak * 1.6, 256 * MiB), 64 * MiB), nrNodes)
    let total = 0
    let maxNid = 0
    const nids = new Set<number>()
    for (const r of this.ram) {
      total += r.end - r.start
      nids.add(r.nid)
      if (r.nid > maxNid) maxNid = r.nid
    }
    if (peak > total) throw new RangeError(`the processes map up to ${peak} bytes but the machine has ${total} bytes of RAM`)
    this.totalBytes = total
    this.nodeIds = [...nids].sort((a, b) => a - b)
    this.nodeTotal = new Float64Array(maxNid + 1)
    for (const r of this.ram) this.nodeTotal[r.nid] = this.nodeTotal[r.nid]! + (r.end - r.start)
    this.usedNode = new Float64Array(maxNid + 1)
    this.refaultStallUs = options.refaultStallUs ?? 50
    this.minFreePermil = options.minFreePermil ?? 50
    this.alloc = new FrameAllocator(this.ram)
    if (this.reservedBytes > 0) {
      const first = [...this.ram].filter((r) => r.nid === this.nodeIds[0]).sort((a, b) => a.start - b.start)[0]!
      this.alloc.reserve(first.start, first.start + alignUp(this.reservedBytes, PAGE_SIZE))
    }
    if (pageCache > 0) {
      const cache = new SimProcess({ pid: 0, name: "page cache" }, makeRng(seed))
      this.owners.push(cache)
      for (const piece of this.alloc.allocate(0, pageCache, this.nodeIds)) {
        cache.extents.push({
          owner: cache,
          vStart: piece.pStart,
          vEnd: piece.pStart + piece.len,
          pStart: piece.pStart,
          nid: piece.nid,
          huge: false,
          anon: false,
          mapped: false,
          memcgId: 0,
          resident: 1,
          active: 0,
          pagedOutAtUs: 0,
          refaultBase: 1,
          youngSinceUs: 0,
          regionIdx: -1,
          regionOff: 0,
          vmaStart: piece.pStart,
          vmaPgoff: 0
        })
      }
      cache.extents.sort((a, b) => a.vStart - b.vStart)
    }
    let order = 0
    for (const p of [...procs].sort((a, b) => a.pid - b.pid)) {
      this.procs.set(p.pid, p)
      this.owners.push(p)
      this.timeline.push({ atUs: p.startUs, order: order++, proc: p, kind: "start", event: undefined })
      for (const ev of p.events) {
        this.timeline.push({ atUs: Math.max(ev.atUs, p.startUs), order: order++, proc: p, kind: "event", event: ev })
      }
      if (Number.isFinite(p.exitUs)) this.timeline.push({ atUs: p.exitUs, order: order++, proc: p, kind: "exit", event: undefined })
    }
    this.timeline.sort((a, b) => a.atUs - b.atUs || a.order - b.order)
    this.metrics = {
      freeMemRatePermil: (nowUs) => this.freeMemRatePermil(nowUs),
      someMemPsiTotalUs: (nowUs) => this.someMemPsiTotalUs(nowUs),
      nodeMemUsedBp: (nid, nowUs) => this.nodeMemUsedBp(nid, nowUs),
      nodeMemFreeBp: (nid, nowUs) => this.nodeMemFreeBp(nid, nowUs),
      nodeMemcgUsedBp: (nid, memcgId, nowUs) => this.nodeMemcgUsedBp(nid, memcgId, nowUs),
      activeMemBp: (nowUs) => this.activeMemBp(nowUs),
      inactiveMemBp: (nowUs) => this.inactiveMemBp(nowUs),
      nodeOfAddr: (addr) => this.alloc.nodeOf(addr)
    }
    this.advance(0)
    this.ensureStats(0)
  }

  // ---------------------------------------------------------------------------------------
  // Time and processes

  /** The process with `pid`, if the machine runs one (alive or not). */
  process(pid: number | null): SimProcess | undefined {
    return pid === null ? undefined : this.procs.get(pid)
  }

  /** Every process, by pid. */
  processes(): ReadonlyArray<SimProcess> {
    return [...this.procs.values()]
  }

  /**
   * Every owner of page extents: the processes (by pid) and, first when the machine has one, the
   * unmapped page cache (pid 0, not a process). For inspecting the whole of physical memory.
   */
  pageOwners(): ReadonlyArray<SimProcess> {
    return [...this.owners]
  }

  /**
   * Brings the machine to `nowUs`: integrates memory-shortage stall time, then applies every
   * process start, mapping event and exit due by then. Earlier times are ignored.
   *
   * **Gotchas**
   * Mutates page state; cheap when nothing is due (two comparisons).
   */
  advance(nowUs: number): void {
    if (!(nowUs > this.lastUs)) return
    if (this.lastUs !== Number.NEGATIVE_INFINITY) this.psiUs += (nowUs - this.lastUs) * this.shortage(this.lastFreePermil)
    this.lastUs = nowUs
    const tl = this.timeline
    while (this.nextEvent < tl.length && tl[this.nextEvent]!.atUs <= nowUs) {
      const entry = tl[this.nextEvent++]!
      this.applyTimeline(entry)
    }
  }

  private shortage(freePermil: number): number {
    const min = this.minFreePermil
    if (min <= 0 || freePermil >= min) return 0
    return (min - freePermil) / min
  }

  private applyTimeline(entry: TimelineEntry): void {
    const p = entry.proc
    this.touch()
    switch (entry.kind) {
      case "start":
        for (const v of p.initialVmas) this.mapVma(p, v, entry.atUs)
        return
      case "exit":
        this.unmap(p, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY)
        return
      case "event": {
        const ev = entry.event!
        this.unmap(p, ev.range.start, ev.range.end)
        if (ev.kind === "mmap") {
          const v = p.vmasAt(entry.atUs).find((x) => x.start === ev.range.start)
          if (v !== undefined) this.mapVma(p, v, entry.atUs)
        }
        return
      }
    }
  }

  private touch(): void {
    this.version++
    this.physDirty = true
  }

  private mapVma(p: SimProcess, v: Vma, atUs: number): void {
    const len = v.end - v.start
    const order = [p.nid, ...this.nodeIds.filter((n) => n !== p.nid)]
    const pieces = this.alloc.allocate(v.start, len, order)
    let got = 0
    for (const piece of pieces) got += piece.len
    if (got < len) throw new Error(`simulated machine out of memory mapping ${len} bytes for pid ${p.pid}`)
    const fresh: Array<PageExtent> = pieces.map((piece) => ({
      owner: p,
      vStart: v.start + piece.vOff,
      vEnd: v.start + piece.vOff + piece.len,
      pStart: piece.pStart,
      nid: piece.nid,
      huge: false,
      anon: v.anon,
      mapped: true,
      memcgId: p.memcgId,
      resident: 1,
      active: v.anon ? 0 : 1,
      pagedOutAtUs: atUs,
      refaultBase: 1,
      youngSinceUs: atUs,
      regionIdx: v.regionIdx,
      regionOff: v.regionOff + piece.vOff,
      vmaStart: v.start,
      vmaPgoff: v.pgoff
    }))
    const list = p.extents
    const at = lowerBound(list, v.start)
    list.splice(at, 0, ...fresh)
    if (p.thp === "always" && v.regionIdx >= 0 && v.anon) this.hugifyInPlace(p, v.start, v.end, atUs)
  }

  private unmap(p: SimProcess, start: number, end: number): void {
    const list = p.extents
    if (Number.isFinite(start)) splitAt(list, start)
    if (Number.isFinite(end)) splitAt(list, end)
    const from = Number.isFinite(start) ? lowerBound(list, start) : 0
    let to = from
    while (to < list.length && list[to]!.vStart < end) {
      const e = list[to]!
      this.alloc.release(e.pStart, e.vEnd - e.vStart)
      to++
    }
    list.splice(from, to - from)
  }

  // ---------------------------------------------------------------------------------------
  // Physical address space

  /** The "System RAM" resources (contiguous RAM ranges, nodes merged), ascending. */
  systemRamRanges(): ReadonlyArray<AddrRange> {
    return systemRamResources(this.ram)
  }

  private rebuildPhysIndex(): void {
    const all: Array<PageExtent> = []
    for (const p of this.owners) for (const e of p.extents) all.push(e)
    all.sort((a, b) => a.pStart - b.pStart)
    this.physIndex = all
    this.physDirty = false
    this.physCursor = 0
  }

  private physIndexOf(pa: number): number {
    if (this.physDirty) this.rebuildPhysIndex()
    const list = this.physIndex
    const n = list.length
    let i = this.physCursor
    if (i < n) {
      const e = list[i]!
      if (pa >= e.pStart) {
        if (pa < e.pStart + (e.vEnd - e.vStart)) return i
        for (let k = 0; k < 4 && ++i < n; k++) {
          const f = list[i]!
          if (pa < f.pStart) return -1
          if (pa < f.pStart + (f.vEnd - f.vStart)) {
            this.physCursor = i
            return i
          }
        }
      }
    }
    let lo = 0
    let hi = n - 1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      const e = list[mid]!
      if (pa < e.pStart) hi = mid - 1
      else if (pa >= e.pStart + (e.vEnd - e.vStart)) lo = mid + 1
      else {
        this.physCursor = mid
        return mid
      }
    }
    return -1
  }

  /**
   * Whether the frame at physical address `pa` was accessed during `[fromUs, toUs)`: `1`, `0`,
   * or `-1` when no folio is there (free or reserved frame; `folioSz` is then left as it was).
   * Follows the reverse map to the owning process page.
   */
  physYoung(pa: number, fromUs: number, toUs: number, rng: Rng): number {
    const i = this.physIndexOf(pa)
    if (i < 0) return -1
    const e = this.physIndex[i]!
    const owner = e.owner
    const y = owner.youngIn(e, e.vStart + (pa - e.pStart), fromUs, toUs, rng)
    this.folioSz = owner.folioSz
    return y
  }

  /** The physical address backing `vaddr` of process `pid` (its frame, resident or not), if mapped. */
  translate(pid: number, vaddr: number): number | undefined {
    const p = this.procs.get(pid)
    if (p === undefined) return undefined
    const i = findIndex(p.extents, vaddr)
    if (i < 0) return undefined
    const e = p.extents[i]!
    return e.pStart + (vaddr - e.vStart)
  }

  /** The owning process and virtual address of physical address `pa`, if a page is there. */
  reverseMap(pa: number): { readonly pid: number; readonly vaddr: number } | undefined {
    const i = this.physIndexOf(pa)
    if (i < 0) return undefined
    const e = this.physIndex[i]!
    return { pid: e.owner.pid, vaddr: e.vStart + (pa - e.pStart) }
  }

  // ---------------------------------------------------------------------------------------
  // Refaults and metrics

  /**
   * Brings a partly paged-out extent up to date: the pages the workload touched since the
   * pageout are resident again (and counted as refaults, joining the active LRU).
   */
  private settle(e: PageExtent, nowUs: number): boolean {
    if (e.resident >= 1 || !(nowUs > e.pagedOutAtUs)) return false
    const q = e.owner.touchedFraction(e, e.pagedOutAtUs, nowUs)
    const target = Math.min(1, e.refaultBase + (1 - e.refaultBase) * q)
    const back = target - e.resident
    if (!(back > 1e-12)) return false
    const n = pages(e)
    const activeOld = e.active * e.resident
    e.resident = target
    e.active = Math.min(1, (activeOld + back) / target)
    this.refaults += back * n
    this.psiUs += back * n * this.refaultStallUs
    return true
  }

  private settleAll(nowUs: number): void {
    let changed = false
    for (const p of this.owners) for (const e of p.extents) if (e.resident < 1 && this.settle(e, nowUs)) changed = true
    if (changed) this.version++
  }

  private ensureStats(nowUs: number): void {
    this.advance(nowUs)
    this.settleAll(this.lastUs)
    if (this.statsVersion === this.version) return
    this.usedNode.fill(0)
    this.memcgNode.clear()
    if (this.reservedBytes > 0) this.usedNode[this.nodeIds[0]!] = this.usedNode[this.nodeIds[0]!]! + this.reservedBytes
    let active = 0
    let inactive = 0
    for (const p of this.owners) {
      for (const e of p.extents) {
        const res = e.resident * (e.vEnd - e.vStart)
        this.usedNode[e.nid] = this.usedNode[e.nid]! + res
        active += e.active * res
        inactive += (1 - e.active) * res
        let m = this.memcgNode.get(e.memcgId)
        if (m === undefined) {
          m = new Float64Array(this.usedNode.length)
          this.memcgNode.set(e.memcgId, m)
        }
        m[e.nid] = m[e.nid]! + res
      }
    }
    this.activePages = active / PAGE_SIZE
    this.inactivePages = inactive / PAGE_SIZE
    this.statsVersion = this.version
    this.lastFreePermil = Math.floor(((this.totalBytes - this.usedSum()) * 1000) / this.totalBytes)
  }

  private usedSum(): number {
    let s = 0
    for (let i = 0; i < this.usedNode.length; i++) s += this.usedNode[i]!
    return s
  }

  /** Bytes in use (resident pages plus reserved memory) at `nowUs`, rounded to pages. */
  usedBytes(nowUs: number): number {
    this.ensureStats(nowUs)
    return Math.round(this.usedSum() / PAGE_SIZE) * PAGE_SIZE
  }

  /** Bytes in use on node `nid` at `nowUs`. */
  nodeUsedBytes(nid: number, nowUs: number): number {
    this.ensureStats(nowUs)
    const v = nid >= 0 && nid < this.usedNode.length ? this.usedNode[nid]! : 0
    return Math.round(v / PAGE_SIZE) * PAGE_SIZE
  }

  /** RAM of node `nid`, bytes (0 for an unknown node). */
  nodeTotalBytes(nid: number): number {
    return nid >= 0 && nid < this.nodeTotal.length ? this.nodeTotal[nid]! : 0
  }

  /** Resident bytes of process `pid` (all processes when undefined) at `nowUs`. */
  residentBytes(nowUs: number, pid?: number): number {
    this.ensureStats(nowUs)
    let s = 0
    for (const p of this.owners) {
      if (pid !== undefined && p.pid !== pid) continue
      if (pid === undefined && !this.procs.has(p.pid)) continue
      for (const e of p.extents) s += e.resident * (e.vEnd - e.vStart)
    }
    return Math.round(s / PAGE_SIZE) * PAGE_SIZE
  }

  /** Base pages faulted back in after a pageout, up to `nowUs` (expected value, fractional). */
  refaultPages(nowUs: number): number {
    this.ensureStats(nowUs)
    return this.refaults
  }

  /** Free memory in per-mille of RAM (watermark metric `free_mem_rate`). */
  freeMemRatePermil(nowUs: number): number {
    this.ensureStats(nowUs)
    return this.lastFreePermil
  }

  /** Total PSI "some" memory stall, µs (monotonic). */
  someMemPsiTotalUs(nowUs: number): number {
    this.ensureStats(nowUs)
    return Math.floor(this.psiUs)
  }

  /** Used memory of `nid` in basis points of its RAM; 0 for an unknown node. */
  nodeMemUsedBp(nid: number, nowUs: number): number {
    const total = this.nodeTotalBytes(nid)
    if (total === 0) return 0
    this.ensureStats(nowUs)
    return Math.min(10000, Math.floor((this.usedNode[nid]! * 10000) / total))
  }

  /** Free memory of `nid` in basis points of its RAM; 10000 for an unknown node. */
  nodeMemFreeBp(nid: number, nowUs: number): number {
    const total = this.nodeTotalBytes(nid)
    if (total === 0) return 10000
    this.ensureStats(nowUs)
    return Math.max(0, Math.floor(((total - this.usedNode[nid]!) * 10000) / total))
  }

  /** Memory of cgroup `memcgId` on `nid` in basis points of the node's RAM. */
  nodeMemcgUsedBp(nid: number, memcgId: number, nowUs: number): number {
    const total = this.nodeTotalBytes(nid)
    if (total === 0) return 0
    this.ensureStats(nowUs)
    const m = this.memcgNode.get(memcgId)
    return m === undefined ? 0 : Math.floor((m[nid]! * 10000) / total)
  }

  /** Active LRU pages in basis points of all LRU pages (0 with none). */
  activeMemBp(nowUs: number): number {
    this.ensureStats(nowUs)
    const all = this.activePages + this.inactivePages
    return all > 0 ? Math.floor((this.activePages * 10000) / all) : 0
  }

  /** Inactive LRU pages in basis points of all LRU pages (0 with none). */
  inactiveMemBp(nowUs: number): number {
    this.ensureStats(nowUs)
    const all = this.activePages + this.inactivePages
    return all > 0 ? Math.floor((this.inactivePages * 10000) / all) : 0
  }

  /** Bytes of RAM no mapping owns (free frames; paged-out pages keep theirs). */
  unallocatedBytes(): number {
    return this.alloc.freeBytes()
  }

  /** Number of page extents of `pid` (all owners when undefined): the simulator's memory cost. */
  extentCount(pid?: number): number {
    let n = 0
    for (const p of this.owners) if (pid === undefined || p.pid === pid) n += p.extents.length
    return n
  }

  // ---------------------------------------------------------------------------------------
  // Actions

  /**
   * Applies `req` to `[start, end)` of process `pid`'s virtual address space at `nowUs`,
   * accumulating into `out`. A dead or unknown process counts the whole range as unmapped.
   * Huge folios at either end are taken whole (unless `req.splitThp`) and `req.skipFolio` is
   * skipped only as the first present folio, like vaddr's page-table walks (see `applyRange`).
   *
   * **Gotchas**
   * Mutates page state and `out`.
   */
  applyVirtual(pid: number, start: number, end: number, req: ActionRequest, nowUs: number, out: ActionOutcome): void {
    this.advance(nowUs)
    const p = this.procs.get(pid)
    if (p === undefined || !p.isAlive(nowUs)) {
      out.unmappedBytes += Math.max(0, alignUp(end, PAGE_SIZE) - alignDown(start, PAGE_SIZE))
      return
    }
    const acc = { affected: 0, passed: 0 }
    this.applyRange(p, start, end, req, nowUs, out, acc)
    out.affectedBytes += Math.round(acc.affected) * PAGE_SIZE
    out.passedBytes += Math.round(acc.passed) * PAGE_SIZE
  }

  /**
   * Applies `req` to the folios of the physical range `[start, end)` at `nowUs` the way paddr's
   * DAMOS actions walk it, through the reverse map; free frames have no folio and are skipped.
   * `out.lastFolio` is the folio found at the walk's last address (`-1` when none).
   *
   * **Details**
   * Mirrors the walk of `damon_pa_pageout()`, `damon_pa_de_activate()` (older kernels:
   * `damon_pa_mark_accessed_or_deactivate()`), `damon_pa_migrate()` and `damon_pa_stat()` in
   * `mm/damon/paddr.c`: `addr` starts at `start`; the folio containing `addr`
   * (`damon_get_folio(PHYS_PFN(addr))`, i.e. `page_folio()`) is handled whole and `addr`
   * advances by its `folio_size()`; with no folio, or at `req.skipFolio` (the scheme's
   * `last_applied`, fixed during the walk: `damon_pa_invalid_damos_folio()`), `addr` advances by
   * `PAGE_SIZE`; the walk ends once `addr >= end`. So a walk entering a huge folio past its head
   * keeps that offset into the following 2 MiB chunks (base pages before it are not visited),
   * ends less than one folio past `end`, and never visits a folio that only ends inside `start`.
   * A page of a mapping counts as a folio for `lastFolio` whether or not it is resident.
   *
   * **Gotchas**
   * Mutates page state and `out`.
   */
  applyPhysical(start: number, end: number, req: ActionRequest, nowUs: number, out: ActionOutcome): void {
    this.advance(nowUs)
    if (this.physDirty) this.rebuildPhysIndex()
    const work: Array<PhysPiece> = []
    const last = this.physWalk(start, end, req.skipFolio, work)
    const acc = { affected: 0, passed: 0 }
    for (const w of work) this.actRange(w.p, w.vs, w.ve, req, nowUs, out, acc)
    out.lastFolio = last
    out.affectedBytes += Math.round(acc.affected) * PAGE_SIZE
    out.passedBytes += Math.round(acc.passed) * PAGE_SIZE
  }

  /**
   * The folios paddr's walk over `[start, end)` visits (see {@link applyPhysical}), as virtual
   * ranges of their owners appended to `work`; returns the folio at the last address tried.
   * Runs of folios are stepped arithmetically, so the cost is per extent, not per folio.
   */
  private physWalk(start: number, end: number, skip: number, work: Array<PhysPiece>): number {
    const idx = this.physIndex
    const n = idx.length
    let addr = start
    let last = -1
    // First extent ending after the page of `start`.
    let lo = 0
    let hi = n
    const p0 = alignDown(start, PAGE_SIZE)
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const e = idx[mid]!
      if (e.pStart + (e.vEnd - e.vStart) <= p0) lo = mid + 1
      else hi = mid
    }
    let i = lo
    while (addr < end) {
      const pa = alignDown(addr, PAGE_SIZE)
      while (i < n && idx[i]!.pStart + (idx[i]!.vEnd - idx[i]!.vStart) <= pa) i++
      if (i >= n) return -1
      const e = idx[i]!
      if (pa < e.pStart) {
        // Free frames up to the next extent: one page at a time, no folio.
        addr += e.pStart - pa
        last = -1
        continue
      }
      const eEnd = e.pStart + (e.vEnd - e.vStart)
      if (e.huge) {
        const fs = alignDown(pa - e.pStart, HUGE_PAGE_SIZE) + e.pStart
        if (fs === skip) {
          // last_applied: page by page through it, to the first page after it.
          addr += fs + HUGE_PAGE_SIZE - pa
          last = skip
          continue
        }
        let k = Math.min((eEnd - fs) / HUGE_PAGE_SIZE, Math.ceil((end - addr) / HUGE_PAGE_SIZE))
        const ahead = skip - fs
        if (ahead > 0 && ahead < k * HUGE_PAGE_SIZE && ahead % HUGE_PAGE_SIZE === 0) k = ahead / HUGE_PAGE_SIZE
        pushPiece(work, e, fs, fs + k * HUGE_PAGE_SIZE)
        addr += k * HUGE_PAGE_SIZE
        last = fs + (k - 1) * HUGE_PAGE_SIZE
      } else {
        if (pa === skip) {
          addr += PAGE_SIZE
          last = skip
          continue
        }
        let k = Math.min((eEnd - pa) / PAGE_SIZE, Math.ceil((end - addr) / PAGE_SIZE))
        const ahead = skip - pa
        if (ahead > 0 && ahead < k * PAGE_SIZE && ahead % PAGE_SIZE === 0) k = ahead / PAGE_SIZE
        pushPiece(work, e, pa, pa + k * PAGE_SIZE)
        addr += k * PAGE_SIZE
        last = pa + (k - 1) * PAGE_SIZE
      }
    }
    return last
  }

  /**
   * Applies `req` to `[start0, end0)` of `p` like vaddr's walks: huge folios at either end whole
   * (unless `req.splitThp`, madvise-style), and `req.skipFolio` skipped only as the first present
   * folio of the walk.
   *
   * **Details**
   * Mirrors `damos_va_stat_pmd_entry()` in `mm/damon/vaddr.c`: a folio is invalid when it is
   * `s->last_applied` (`damos_va_invalid_folio()`), but every valid folio visited becomes
   * `last_applied` at once, so the old one can only be met first. Non-present pages (a resident
   * share of 0) do not count as met. `out.lastFolio` is the last present folio visited.
   */
  private applyRange(
    p: SimProcess,
    start0: number,
    end0: number,
    req: ActionRequest,
    nowUs: number,
    out: ActionOutcome,
    acc: { affected: number; passed: number }
  ): void {
    const list = p.extents
    let start = alignDown(start0, PAGE_SIZE)
    let end = alignUp(end0, PAGE_SIZE)
    if (!(end > start)) return
    let mapped = 0
    for (let i = lowerBound(list, start); i < list.length && list[i]!.vStart < end; i++) {
      const e = list[i]!
      mapped += Math.min(end, e.vEnd) - Math.max(start, e.vStart)
    }
    out.unmappedBytes += end - start - mapped
    if (mapped === 0) return
    this.touch()
    if (req.action === "hugepage" || req.action === "collapse") {
      this.collapseRange(p, start, end, nowUs, acc)
      return
    }
    if (!req.splitThp) {
      const a = findIndex(list, start)
      if (a >= 0 && list[a]!.huge) start = alignDown(start, HUGE_PAGE_SIZE)
      const b = findIndex(list, end - 1)
      if (b >= 0 && list[b]!.huge) end = alignUp(end, HUGE_PAGE_SIZE)
    }
    splitAt(list, start)
    splitAt(list, end)
    const i0 = lowerBound(list, start)
    let i = i0
    let first = req.skipFolio >= 0
    while (i < list.length && list[i]!.vStart < end) {
      const e = list[i]!
      this.settle(e, nowUs)
      const present = e.resident > 0
      if (first && present && e.pStart === req.skipFolio) {
        first = false
        const fsz = e.huge ? HUGE_PAGE_SIZE : PAGE_SIZE
        if (e.vEnd - e.vStart > fsz) splitAt(list, e.vStart + fsz)
        i++
        continue
      }
      if (present) first = false
      const span = this.actOn(p, list, i, req, nowUs, out, acc)
      if (present) {
        const last = list[i + span - 1]!
        const lastFsz = last.huge ? HUGE_PAGE_SIZE : PAGE_SIZE
        out.lastFolio = last.pStart + (last.vEnd - last.vStart) - lastFsz
      }
      i += span
    }
    coalesce(list, i0, i)
  }

  /**
   * Applies `req` to exactly `[start, end)` of `p` (whole folios, all mapped: a piece of
   * paddr's walk), with no skipping.
   */
  private actRange(
    p: SimProcess,
    start: number,
    end: number,
    req: ActionRequest,
    nowUs: number,
    out: ActionOutcome,
    acc: { affected: number; passed: number }
  ): void {
    const list = p.extents
    this.touch()
    if (req.action === "hugepage" || req.action === "collapse") {
      this.collapseRange(p, start, end, nowUs, acc)
      return
    }
    splitAt(list, start)
    splitAt(list, end)
    const i0 = lowerBound(list, start)
    let i = i0
    while (i < list.length && list[i]!.vStart < end) {
      this.settle(list[i]!, nowUs)
      i += this.actOn(p, list, i, req, nowUs, out, acc)
    }
    coalesce(list, i0, i)
  }

  /**
   * Acts on the whole extent `list[i]`; returns how many extents it spans afterwards.
   *
   * **Details**
   * The LRU effects follow which folios passed the filters (`ChainScratch.passActive`):
   * deactivation (`folio_deactivate()`) moves the passing active folios to the inactive list,
   * activation (`folio_activate()`) the passing inactive ones to the active list; reclaim takes
   * the passing folios off the LRU and migration moves them with their flags, so the folios left
   * keep the rest of each list.
   */
  private actOn(
    p: SimProcess,
    list: Array<PageExtent>,
    i: number,
    req: ActionRequest,
    nowUs: number,
    out: ActionOutcome,
    acc: { affected: number; passed: number }
  ): number {
    const e = list[i]!
    const n = pages(e)
    const fpages = e.huge ? HUGE_PAGE_SIZE / PAGE_SIZE : 1
    const residentPages = e.resident * n
    out.folios += Math.round(residentPages / fpages)
    let f = 1
    let passActive = e.active
    if (req.chain !== null) {
      const young = req.chain.hasYoung ? p.touchedFraction(e, e.youngSinceUs, nowUs) : 0
      f = passFraction(req.chain, e, young, this.scratch)
      passActive = Math.min(f, this.scratch.passActive)
      if (this.scratch.youngReached) e.youngSinceUs = nowUs
    }
    const passed = f * residentPages
    acc.passed += passed
    switch (req.action) {
      case "pageout":
        if (passed > 0) {
          if (f >= 1) e.resident = 0
          else {
            e.resident = e.resident * (1 - f)
            e.active = clamp01((e.active - passActive) / (1 - f))
          }
          e.huge = false
          e.pagedOutAtUs = nowUs
          e.refaultBase = e.resident
          acc.affected += passed
        }
        return 1
      case "deactivate":
        e.active = clamp01(e.active - passActive)
        acc.affected += passed
        return 1
      case "activate":
        e.active = clamp01(e.active + (f - passActive))
        acc.affected += passed
        return 1
      case "willneed": {
        const missing = (1 - e.resident) * n
        if (missing > 0) {
          e.active = e.active * e.resident
          e.resident = 1
          acc.affected += missing
        }
        return 1
      }
      case "nohugepage":
        if (e.huge) {
          e.huge = false
          acc.affected += n
        }
        return 1
      case "migrate":
        return this.migrate(list, i, f, passActive, req, acc)
      default:
        return 1
    }
  }

  /**
   * Migrates the first `f` of `list[i]`'s folios: to `targetNid`, or split among `dests` by
   * weighted interleave (folio index `vm_pgoff >> order + (addr - vm_start) >> (PAGE_SHIFT +
   * order)` modulo the total weight). The folios of each destination move as one consecutive
   * run (node totals are exact; the per-folio placement is not reproduced). The `k` passing
   * folios are the first `k` of the extent; `passActive` (the fraction of all folios that are
   * active and pass) sets their active share and that of the folios left behind.
   */
  private migrate(
    list: Array<PageExtent>,
    i: number,
    f: number,
    passActive: number,
    req: ActionRequest,
    acc: { affected: number; passed: number }
  ): number {
    const e = list[i]!
    const origEnd = e.vEnd
    const fsz = e.huge ? HUGE_PAGE_SIZE : PAGE_SIZE
    const nFolios = (e.vEnd - e.vStart) / fsz
    const k = Math.round(f * nFolios)
    if (k <= 0 || e.resident <= 0) return 1
    const order = e.huge ? 9 : 0
    const x0 = Math.floor(e.vmaPgoff / 2 ** order) + Math.floor((e.vStart - e.vmaStart) / fsz)
    const plan: Array<{ nid: number; count: number }> = []
    if (req.dests.length === 0) plan.push({ nid: req.targetNid, count: k })
    else {
      let w = 0
      for (const d of req.dests) w += d.weight
      if (w === 0) return 1
      let lo = 0
      const below = (x: number, from: number, width: number) => Math.floor(x / w) * width + Math.min(width, Math.max(0, mod(x, w) - from))
      for (const d of req.dests) {
        plan.push({ nid: d.nid, count: below(x0 + k, lo, d.weight) - below(x0, lo, d.weight) })
        lo += d.weight
      }
    }
    const activePass = clamp01(passActive / f)
    if (k < nFolios && activePass !== e.active) {
      const activeStay = clamp01((e.active * nFolios - activePass * k) / (nFolios - k))
      splitAt(list, e.vStart + k * fsz)
      list[i]!.active = activePass
      list[i + 1]!.active = activeStay
    }
    const resident = e.resident
    let cursor = e.vStart
    for (const step of plan) {
      if (step.count === 0) continue
      const cs = cursor
      const ce = cursor + step.count * fsz
      cursor = ce
      if (step.nid < 0 || step.nid >= this.nodeTotal.length || this.nodeTotal[step.nid] === 0) continue
      splitAt(list, cs)
      splitAt(list, ce)
      const j = findIndex(list, cs)
      const src = list[j]!
      if (src.nid === step.nid) continue
      const pieces = this.alloc.allocate(cs, ce - cs, [step.nid])
      let got = 0
      for (const piece of pieces) got += piece.len
      if (got === 0) continue
      if (got < ce - cs) splitAt(list, cs + got)
      const moving = list[j]!
      this.alloc.release(moving.pStart, moving.vEnd - moving.vStart)
      const moved = pieces.map((piece) => {
        const x = slice(moving, moving.vStart + piece.vOff, moving.vStart + piece.vOff + piece.len)
        x.pStart = piece.pStart
        x.nid = piece.nid
        return x
      })
      list.splice(j, 1, ...moved)
      acc.affected += (got / PAGE_SIZE) * resident
    }
    return lowerBound(list, origEnd - 1) + 1 - i
  }

  /** Turns the 2 MiB aligned, fully mapped anonymous chunks of `[start, end)` into huge pages. */
  private collapseRange(p: SimProcess, start: number, end: number, nowUs: number, acc: { affected: number; passed: number }): void {
    const list = p.extents
    const cs = alignUp(start, HUGE_PAGE_SIZE)
    const ce = alignDown(end, HUGE_PAGE_SIZE)
    let c = cs
    while (c < ce) {
      const i = findIndex(list, c)
      if (i < 0) {
        const j = lowerBound(list, c)
        if (j >= list.length) break
        c = alignUp(list[j]!.vStart, HUGE_PAGE_SIZE)
        continue
      }
      const e = list[i]!
      if (e.huge) {
        c = Math.min(ce, e.vEnd)
        continue
      }
      if (!e.anon) {
        c = Math.max(c + HUGE_PAGE_SIZE, alignDown(e.vEnd, HUGE_PAGE_SIZE))
        continue
      }
      const innerEnd = Math.min(ce, alignDown(e.vEnd, HUGE_PAGE_SIZE))
      if (innerEnd > c && mod(e.pStart - e.vStart, HUGE_PAGE_SIZE) === 0) {
        splitAt(list, c)
        splitAt(list, innerEnd)
        const m = list[findIndex(list, c)]!
        this.settle(m, nowUs)
        m.huge = true
        if (m.resident < 1) {
          m.active = m.active * m.resident
          m.resident = 1
        }
        m.pagedOutAtUs = nowUs
        acc.affected += (innerEnd - c) / PAGE_SIZE
        c = innerEnd
        continue
      }
      if (this.collapseChunk(p, c, nowUs)) acc.affected += HUGE_PAGE_SIZE / PAGE_SIZE
      c += HUGE_PAGE_SIZE
    }
    const a = lowerBound(list, start)
    coalesce(list, a, lowerBound(list, end))
  }

  /** Collapses the chunk at `c` that straddles extents into one fresh huge page (khugepaged copies). */
  private collapseChunk(p: SimProcess, c: number, nowUs: number): boolean {
    const list = p.extents
    const ce = c + HUGE_PAGE_SIZE
    let covered = 0
    let i = lowerBound(list, c)
    const first = list[i]
    if (first === undefined) return false
    for (let k = i; k < list.length && list[k]!.vStart < ce; k++) {
      const e = list[k]!
      if (!e.anon || e.huge || e.vmaStart !== first.vmaStart || e.regionIdx !== first.regionIdx) return false
      covered += Math.min(ce, e.vEnd) - Math.max(c, e.vStart)
    }
    if (covered !== HUGE_PAGE_SIZE) return false
    const pieces = this.alloc.allocate(c, HUGE_PAGE_SIZE, [first.nid])
    if (pieces.length !== 1 || pieces[0]!.len !== HUGE_PAGE_SIZE) {
      for (const piece of pieces) this.alloc.release(piece.pStart, piece.len)
      return false
    }
    splitAt(list, c)
    splitAt(list, ce)
    i = lowerBound(list, c)
    let j = i
    let activePages = 0
    let youngSince = Number.POSITIVE_INFINITY
    while (j < list.length && list[j]!.vStart < ce) {
      const e = list[j]!
      this.settle(e, nowUs)
      activePages += e.active * e.resident * pages(e)
      if (e.youngSinceUs < youngSince) youngSince = e.youngSinceUs
      this.alloc.release(e.pStart, e.vEnd - e.vStart)
      j++
    }
    const head = list[i]!
    const huge: PageExtent = {
      ...slice(head, c, c),
      vEnd: ce,
      pStart: pieces[0]!.pStart,
      nid: pieces[0]!.nid,
      huge: true,
      resident: 1,
      active: activePages / (HUGE_PAGE_SIZE / PAGE_SIZE),
      pagedOutAtUs: nowUs,
      youngSinceUs: youngSince
    }
    list.splice(i, j - i, huge)
    return true
  }

  /** Converts the aligned chunks of a freshly mapped workload range to huge pages (THP always). */
  private hugifyInPlace(p: SimProcess, start: number, end: number, nowUs: number): void {
    const acc = { affected: 0, passed: 0 }
    this.collapseRange(p, start, end, nowUs, acc)
  }
}
