/**
 * The simulated machine: NUMA nodes of RAM, processes whose mappings are backed by physical
 * frames, page state as extents, the effects of DAMOS actions on that state, and the memory
 * metrics DAMOS reads (`SystemMetrics`). It stands in for the parts of Linux's memory management
 * that DAMON's operations sets call (page tables, rmap, LRU lists, reclaim, migration,
 * khugepaged, PSI); it models their outcome, not their algorithms. Time is world time, passed to
 * every call; the machine follows the latest time it was given.
 *
 * The machine is four parts wired together (docs/simulation.md):
 * - {@link ProcessTimeline}: process starts, mapping events and exits over time (`advance`);
 * - {@link PhysFrames}: RAM, the frames backing mappings, the owners of pages, the reverse map
 *   and paddr's folio walk;
 * - {@link MemAccounting}: refaults, usage per node and memcg, free memory, PSI, LRU balance and
 *   the `SystemMetrics`;
 * - {@link ActionEffects}: what each action does to page state, through vaddr's and paddr's walks.
 *
 * Memory model: new anonymous pages start resident on the inactive LRU, file pages (text,
 * libraries) on the active LRU; a paged-out page keeps its frame reserved but counts as free
 * memory, and comes back (a refault, counted lazily) when the workload touches it again.
 */
import * as Result from "effect/Result"
import type { Rng } from "../core/Rng.ts"
import { makeRng } from "../core/Rng.ts"
import type { AddrRange } from "../model/AddrRange.ts"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import type { ActionOutcome, ActionRequest } from "../ops/AddressSpace.ts"
import type { SystemMetrics } from "../ops/DamonOps.ts"
import { ActionEffects } from "./ActionEffects.ts"
import { alignUp } from "./Arith.ts"
import type { MasimConfig } from "./MasimConfig.ts"
import { MemAccounting } from "./MemAccounting.ts"
import { PAGE_SIZE } from "./PageExtent.ts"
import { defaultRamLayout, type RamRange } from "./PhysMem.ts"
import { PhysFrames } from "./PhysFrames.ts"
import type { MapEvent } from "./ProcessLayout.ts"
import { ProcessTimeline } from "./ProcessTimeline.ts"
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
 * The machine: the parts, wired, behind the methods the address-space adapter (`SimSpace`),
 * the CLI and the tests use.
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
  private readonly timeline: ProcessTimeline
  private readonly frames: PhysFrames
  private readonly accounting: MemAccounting
  private readonly actions: ActionEffects

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
    const frames = new PhysFrames(this.ram)
    if (peak > frames.totalBytes) throw new RangeError(`the processes map up to ${peak} bytes but the machine has ${frames.totalBytes} bytes of RAM`)
    frames.reserve(this.reservedBytes)
    this.frames = frames
    this.totalBytes = frames.totalBytes
    this.nodeIds = frames.nodeIds
    this.refaultStallUs = options.refaultStallUs ?? 50
    this.minFreePermil = options.minFreePermil ?? 50
    if (pageCache > 0) frames.addPageCache(pageCache, seed)
    for (const p of [...procs].sort((a, b) => a.pid - b.pid)) frames.addOwner(p)
    // The parts call each other through these closures: the timeline drives the frames (and
    // THP "always" collapses), the accounting integrates pressure over elapsed time.
    const touch = (): void => {
      this.accounting.invalidate()
      frames.invalidate()
    }
    this.timeline = new ProcessTimeline(procs, {
      elapsed: (fromUs, toUs) => this.accounting.elapsed(fromUs, toUs),
      map: (p, v, atUs) => {
        touch()
        frames.mapVma(p, v, atUs)
        if (p.thp === "always" && v.regionIdx >= 0 && v.anon) this.actions.hugify(p, v.start, v.end, atUs)
      },
      unmap: (p, start, end) => {
        touch()
        frames.unmap(p, start, end)
      }
    })
    this.accounting = new MemAccounting(frames, this.timeline, {
      reservedBytes: this.reservedBytes,
      refaultStallUs: this.refaultStallUs,
      minFreePermil: this.minFreePermil,
      isProcess: (pid) => this.timeline.process(pid) !== undefined
    })
    this.metrics = this.accounting.metrics
    this.actions = new ActionEffects({
      timeline: this.timeline,
      frames,
      settle: (e, nowUs) => this.accounting.settle(e, nowUs),
      touch
    })
    this.timeline.advance(0)
    this.accounting.update(0)
  }

  // ---------------------------------------------------------------------------------------
  // Time and processes (ProcessTimeline)

  /** The process with `pid`, if the machine runs one (alive or not). */
  process(pid: number | null): SimProcess | undefined {
    return this.timeline.process(pid)
  }

  /** Every process, by pid. */
  processes(): ReadonlyArray<SimProcess> {
    return this.timeline.processes()
  }

  /**
   * Brings the machine to `nowUs`: integrates memory-shortage stall time, then applies every
   * process start, mapping event and exit due by then. Earlier times are ignored.
   *
   * **Gotchas**
   * Mutates page state; cheap when nothing is due (two comparisons).
   */
  advance(nowUs: number): void {
    this.timeline.advance(nowUs)
  }

  // ---------------------------------------------------------------------------------------
  // Physical memory (PhysFrames)

  /**
   * Every owner of page extents: the processes (by pid) and, first when the machine has one, the
   * unmapped page cache (pid 0, not a process). For inspecting the whole of physical memory.
   */
  pageOwners(): ReadonlyArray<SimProcess> {
    return [...this.frames.pageOwners()]
  }

  /** Folio size of the frame found by the last `physYoung`. */
  get folioSz(): number {
    return this.frames.folioSz
  }

  /** The "System RAM" resources (contiguous RAM ranges, nodes merged), ascending. */
  systemRamRanges(): ReadonlyArray<AddrRange> {
    return this.frames.systemRamRanges()
  }

  /** See {@link PhysFrames.physYoung}. */
  physYoung(pa: number, fromUs: number, toUs: number, rng: Rng): number {
    return this.frames.physYoung(pa, fromUs, toUs, rng)
  }

  /** The physical address backing `vaddr` of process `pid` (its frame, resident or not), if mapped. */
  translate(pid: number, vaddr: number): number | undefined {
    return this.frames.translate(this.timeline.process(pid), vaddr)
  }

  /** The owning process and virtual address of physical address `pa`, if a page is there. */
  reverseMap(pa: number): { readonly pid: number; readonly vaddr: number } | undefined {
    return this.frames.reverseMap(pa)
  }

  /** RAM of node `nid`, bytes (0 for an unknown node). */
  nodeTotalBytes(nid: number): number {
    return this.frames.nodeTotalBytes(nid)
  }

  /** Bytes of RAM no mapping owns (free frames; paged-out pages keep theirs). */
  unallocatedBytes(): number {
    return this.frames.freeBytes()
  }

  /** Number of page extents of `pid` (all owners when undefined): the simulator's memory cost. */
  extentCount(pid?: number): number {
    return this.frames.extentCount(pid)
  }

  // ---------------------------------------------------------------------------------------
  // Accounting (MemAccounting; also `metrics`)

  /** Bytes in use (resident pages plus reserved memory) at `nowUs`, rounded to pages. */
  usedBytes(nowUs: number): number {
    return this.accounting.usedBytes(nowUs)
  }

  /** Bytes in use on node `nid` at `nowUs`. */
  nodeUsedBytes(nid: number, nowUs: number): number {
    return this.accounting.nodeUsedBytes(nid, nowUs)
  }

  /** Resident bytes of process `pid` (all processes when undefined) at `nowUs`. */
  residentBytes(nowUs: number, pid?: number): number {
    return this.accounting.residentBytes(nowUs, pid)
  }

  /** Base pages faulted back in after a pageout, up to `nowUs` (expected value, fractional). */
  refaultPages(nowUs: number): number {
    return this.accounting.refaultPages(nowUs)
  }

  /** Free memory in per-mille of RAM (watermark metric `free_mem_rate`). */
  freeMemRatePermil(nowUs: number): number {
    return this.accounting.freeMemRatePermil(nowUs)
  }

  /** Total PSI "some" memory stall, µs (monotonic). */
  someMemPsiTotalUs(nowUs: number): number {
    return this.accounting.someMemPsiTotalUs(nowUs)
  }

  /** Used memory of `nid` in basis points of its RAM; 0 for an unknown node. */
  nodeMemUsedBp(nid: number, nowUs: number): number {
    return this.accounting.nodeMemUsedBp(nid, nowUs)
  }

  /** Free memory of `nid` in basis points of its RAM; 10000 for an unknown node. */
  nodeMemFreeBp(nid: number, nowUs: number): number {
    return this.accounting.nodeMemFreeBp(nid, nowUs)
  }

  /** Memory of cgroup `memcgId` on `nid` in basis points of the node's RAM. */
  nodeMemcgUsedBp(nid: number, memcgId: number, nowUs: number): number {
    return this.accounting.nodeMemcgUsedBp(nid, memcgId, nowUs)
  }

  /** Active LRU pages in basis points of all LRU pages (0 with none). */
  activeMemBp(nowUs: number): number {
    return this.accounting.activeMemBp(nowUs)
  }

  /** Inactive LRU pages in basis points of all LRU pages (0 with none). */
  inactiveMemBp(nowUs: number): number {
    return this.accounting.inactiveMemBp(nowUs)
  }

  // ---------------------------------------------------------------------------------------
  // Actions (ActionEffects)

  /** See {@link ActionEffects.applyVirtual}. */
  applyVirtual(pid: number, start: number, end: number, req: ActionRequest, nowUs: number, out: ActionOutcome): void {
    this.actions.applyVirtual(pid, start, end, req, nowUs, out)
  }

  /** See {@link ActionEffects.applyPhysical}. */
  applyPhysical(start: number, end: number, req: ActionRequest, nowUs: number, out: ActionOutcome): void {
    this.actions.applyPhysical(start, end, req, nowUs, out)
  }
}
