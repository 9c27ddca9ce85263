/**
 * Memory accounting of the simulated machine: refaults, usage per node and per memory cgroup,
 * free memory, PSI and the LRU balance, and the `SystemMetrics` DAMOS reads (quota goals,
 * watermarks). It stands in for the kernel's vmstat/memcg counters and PSI.
 *
 * - Refaults are settled lazily: when a paged-out run is next observed (an action on it, or a
 *   metrics read), the expected fraction of its pages the workload touched since the pageout
 *   becomes resident again, joins the active LRU (workingset activation) and is counted
 *   (`refaultPages`, fractional).
 * - Pressure (PSI "some", µs): each refaulted base page stalls `refaultStallUs`; while free
 *   memory is below `minFreePermil`, time stalls in proportion to the shortage,
 *   `(min - free) / min` of elapsed time (piecewise constant between metric reads).
 */
import type { SystemMetrics } from "../ops/DamonOps.ts"
import { PAGE_SIZE, type PageExtent, pages } from "./PageExtent.ts"
import type { PhysFrames } from "./PhysFrames.ts"

/** The time the accounting reads at: the machine brought to a time, and the time it is at. */
export interface MachineClock {
  readonly advance: (nowUs: number) => void
  readonly nowUs: number
}

/** What the accounting reads of the frames: the owners of pages and the nodes' sizes. */
export type AccountedFrames = Pick<
  PhysFrames,
  "pageOwners" | "totalBytes" | "nodeIds" | "nodeSlots" | "nodeTotalBytes" | "nodeOf"
>

/** Parameters of the accounting. */
export interface AccountingOptions {
  /** Memory used outside the simulation (kernel, other programs), counted on the first node. */
  readonly reservedBytes: number
  /** PSI stall per refaulted base page, µs. */
  readonly refaultStallUs: number
  /** Free memory below which time stalls (per-mille). */
  readonly minFreePermil: number
  /** Whether an owner of pages is a process (the page cache is not). */
  readonly isProcess: (pid: number) => boolean
}

/**
 * The counters.
 *
 * **Gotchas**
 * Statistics are cached until `invalidate` (whoever changes page state calls it); reads bring
 * the machine to the time asked for first (`clock.advance`), then settle refaults.
 */
export class MemAccounting {
  /** The memory metrics DAMOS reads, over these counters. */
  readonly metrics: SystemMetrics

  private readonly frames: AccountedFrames
  private readonly clock: MachineClock
  private readonly options: AccountingOptions
  private refaults = 0
  private psiUs = 0
  private lastFreePermil = 1000
  private version = 0
  private statsVersion = -1
  private readonly usedNode: Float64Array
  private activePages = 0
  private inactivePages = 0
  private readonly memcgNode = new Map<number, Float64Array>()

  constructor(frames: AccountedFrames, clock: MachineClock, options: AccountingOptions) {
    this.frames = frames
    this.clock = clock
    this.options = options
    this.usedNode = new Float64Array(frames.nodeSlots)
    this.metrics = {
      freeMemRatePermil: (nowUs) => this.freeMemRatePermil(nowUs),
      someMemPsiTotalUs: (nowUs) => this.someMemPsiTotalUs(nowUs),
      nodeMemUsedBp: (nid, nowUs) => this.nodeMemUsedBp(nid, nowUs),
      nodeMemFreeBp: (nid, nowUs) => this.nodeMemFreeBp(nid, nowUs),
      nodeMemcgUsedBp: (nid, memcgId, nowUs) => this.nodeMemcgUsedBp(nid, memcgId, nowUs),
      activeMemBp: (nowUs) => this.activeMemBp(nowUs),
      inactiveMemBp: (nowUs) => this.inactiveMemBp(nowUs),
      nodeOfAddr: (addr) => frames.nodeOf(addr)
    }
  }

  /** Marks the statistics stale after page state changed. */
  invalidate(): void {
    this.version++
  }

  /** Integrates memory-shortage stall time over `[fromUs, toUs)` at the last free-memory reading. */
  elapsed(fromUs: number, toUs: number): void {
    this.psiUs += (toUs - fromUs) * this.shortage(this.lastFreePermil)
  }

  private shortage(freePermil: number): number {
    const min = this.options.minFreePermil
    if (min <= 0 || freePermil >= min) return 0
    return (min - freePermil) / min
  }

  /**
   * Brings a partly paged-out extent up to date at `nowUs`: the pages the workload touched since
   * the pageout are resident again (counted as refaults, stalling, joining the active LRU).
   * Returns whether it changed.
   */
  settle(e: PageExtent, nowUs: number): boolean {
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
    this.psiUs += back * n * this.options.refaultStallUs
    return true
  }

  private settleAll(nowUs: number): void {
    let changed = false
    for (const p of this.frames.pageOwners()) for (const e of p.extents) if (e.resident < 1 && this.settle(e, nowUs)) changed = true
    if (changed) this.version++
  }

  /** Brings the machine and the statistics to `nowUs`. */
  update(nowUs: number): void {
    this.clock.advance(nowUs)
    this.settleAll(this.clock.nowUs)
    if (this.statsVersion === this.version) return
    const frames = this.frames
    this.usedNode.fill(0)
    this.memcgNode.clear()
    const first = frames.nodeIds[0]!
    if (this.options.reservedBytes > 0) this.usedNode[first] = this.usedNode[first]! + this.options.reservedBytes
    let active = 0
    let inactive = 0
    for (const p of frames.pageOwners()) {
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
    this.lastFreePermil = Math.floor(((frames.totalBytes - this.usedSum()) * 1000) / frames.totalBytes)
  }

  private usedSum(): number {
    let s = 0
    for (let i = 0; i < this.usedNode.length; i++) s += this.usedNode[i]!
    return s
  }

  /** Bytes in use (resident pages plus reserved memory) at `nowUs`, rounded to pages. */
  usedBytes(nowUs: number): number {
    this.update(nowUs)
    return Math.round(this.usedSum() / PAGE_SIZE) * PAGE_SIZE
  }

  /** Bytes in use on node `nid` at `nowUs`. */
  nodeUsedBytes(nid: number, nowUs: number): number {
    this.update(nowUs)
    const v = nid >= 0 && nid < this.usedNode.length ? this.usedNode[nid]! : 0
    return Math.round(v / PAGE_SIZE) * PAGE_SIZE
  }

  /** Resident bytes of process `pid` (all processes when undefined) at `nowUs`. */
  residentBytes(nowUs: number, pid?: number): number {
    this.update(nowUs)
    let s = 0
    for (const p of this.frames.pageOwners()) {
      if (pid !== undefined && p.pid !== pid) continue
      if (pid === undefined && !this.options.isProcess(p.pid)) continue
      for (const e of p.extents) s += e.resident * (e.vEnd - e.vStart)
    }
    return Math.round(s / PAGE_SIZE) * PAGE_SIZE
  }

  /** Base pages faulted back in after a pageout, up to `nowUs` (expected value, fractional). */
  refaultPages(nowUs: number): number {
    this.update(nowUs)
    return this.refaults
  }

  /** Free memory in per-mille of RAM (watermark metric `free_mem_rate`). */
  freeMemRatePermil(nowUs: number): number {
    this.update(nowUs)
    return this.lastFreePermil
  }

  /** Total PSI "some" memory stall, µs (monotonic). */
  someMemPsiTotalUs(nowUs: number): number {
    this.update(nowUs)
    return Math.floor(this.psiUs)
  }

  /** Used memory of `nid` in basis points of its RAM; 0 for an unknown node. */
  nodeMemUsedBp(nid: number, nowUs: number): number {
    const total = this.frames.nodeTotalBytes(nid)
    if (total === 0) return 0
    this.update(nowUs)
    return Math.min(10000, Math.floor((this.usedNode[nid]! * 10000) / total))
  }

  /** Free memory of `nid` in basis points of its RAM; 10000 for an unknown node. */
  nodeMemFreeBp(nid: number, nowUs: number): number {
    const total = this.frames.nodeTotalBytes(nid)
    if (total === 0) return 10000
    this.update(nowUs)
    return Math.max(0, Math.floor(((total - this.usedNode[nid]!) * 10000) / total))
  }

  /** Memory of cgroup `memcgId` on `nid` in basis points of the node's RAM. */
  nodeMemcgUsedBp(nid: number, memcgId: number, nowUs: number): number {
    const total = this.frames.nodeTotalBytes(nid)
    if (total === 0) return 0
    this.update(nowUs)
    const m = this.memcgNode.get(memcgId)
    return m === undefined ? 0 : Math.floor((m[nid]! * 10000) / total)
  }

  /** Active LRU pages in basis points of all LRU pages (0 with none). */
  activeMemBp(nowUs: number): number {
    this.update(nowUs)
    const all = this.activePages + this.inactivePages
    return all > 0 ? Math.floor((this.activePages * 10000) / all) : 0
  }

  /** Inactive LRU pages in basis points of all LRU pages (0 with none). */
  inactiveMemBp(nowUs: number): number {
    this.update(nowUs)
    const all = this.activePages + this.inactivePages
    return all > 0 ? Math.floor((this.inactivePages * 10000) / all) : 0
  }
}
