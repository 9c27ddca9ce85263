/**
 * The simulated machine's physical frames: the RAM layout over NUMA nodes, the frame allocator
 * backing every mapping, the owners of page extents (processes and the unmapped page cache) and
 * the reverse map from a physical address to the owning page. It stands in for what paddr takes
 * from mm (`pfn_to_online_page()`, `page_folio()`, rmap) and for the page allocator behind page
 * faults; it models their outcome, not their algorithms.
 *
 * A mapped page owns its frame for as long as it is mapped (congruent to its virtual address
 * modulo 2 MiB); a paged-out page keeps its frame reserved and comes back to it when it faults in.
 */
import { makeRng, type Rng } from "../core/Rng.ts"
import type { AddrRange } from "../model/AddrRange.ts"
import { alignDown, alignUp } from "./Arith.ts"
import { HUGE_PAGE_SIZE, lowerBound, PAGE_SIZE, type PageExtent, findIndex, splitAt } from "./PageExtent.ts"
import { FrameAllocator, type FramePiece, type RamRange, systemRamResources } from "./PhysMem.ts"
import type { Vma } from "./ProcessLayout.ts"
import { SimProcess } from "./SimProcess.ts"

/** A visited run of folios of paddr's walk, as a virtual range of its owner. */
export interface PhysPiece {
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

/** What the action effects need of the frames: allocation for migration and collapse. */
export type FrameSource = Pick<PhysFrames, "allocate" | "release" | "hasMemory">

/**
 * The frames, their owners and the physical index.
 *
 * **Gotchas**
 * The physical index (all extents sorted by frame) is rebuilt lazily: whoever changes extents
 * outside `mapVma`/`unmap`/`allocate`/`release` (splits, merges, state changes) calls
 * `invalidate`. `folioSz` is scratch state of the sampling hot path.
 */
export class PhysFrames {
  readonly ram: ReadonlyArray<RamRange>
  /** Node ids with memory, ascending. */
  readonly nodeIds: ReadonlyArray<number>
  readonly totalBytes: number
  /** Highest node id plus one: the length of per-node tables. */
  readonly nodeSlots: number
  /** Folio size of the frame found by the last `physYoung`. */
  folioSz = PAGE_SIZE

  private readonly alloc: FrameAllocator
  private readonly nodeTotal: Float64Array
  private readonly owners: Array<SimProcess> = []
  private index: Array<PageExtent> = []
  private dirty = true
  private cursor = 0

  /** Frames over `ram`, all free. */
  constructor(ram: ReadonlyArray<RamRange>) {
    this.ram = ram
    let total = 0
    let maxNid = 0
    const nids = new Set<number>()
    for (const r of ram) {
      total += r.end - r.start
      nids.add(r.nid)
      if (r.nid > maxNid) maxNid = r.nid
    }
    this.totalBytes = total
    this.nodeIds = [...nids].sort((a, b) => a - b)
    this.nodeSlots = maxNid + 1
    this.nodeTotal = new Float64Array(maxNid + 1)
    for (const r of ram) this.nodeTotal[r.nid] = this.nodeTotal[r.nid]! + (r.end - r.start)
    this.alloc = new FrameAllocator(ram)
  }

  /** Marks the first `bytes` of the first node's lowest range in use (memory outside the simulation). */
  reserve(bytes: number): void {
    if (bytes <= 0) return
    const first = [...this.ram].filter((r) => r.nid === this.nodeIds[0]).sort((a, b) => a.start - b.start)[0]!
    this.alloc.reserve(first.start, first.start + alignUp(bytes, PAGE_SIZE))
  }

  // ---------------------------------------------------------------------------------------
  // Nodes and owners

  /** RAM of node `nid`, bytes (0 for an unknown node). */
  nodeTotalBytes(nid: number): number {
    return nid >= 0 && nid < this.nodeTotal.length ? this.nodeTotal[nid]! : 0
  }

  /** True when node `nid` has RAM (a valid migration destination). */
  hasMemory(nid: number): boolean {
    return !(nid < 0 || nid >= this.nodeTotal.length || this.nodeTotal[nid] === 0)
  }

  /** The node of physical address `addr`, `-1` outside RAM. */
  nodeOf(addr: number): number {
    return this.alloc.nodeOf(addr)
  }

  /** The "System RAM" resources (contiguous RAM ranges, nodes merged), ascending. */
  systemRamRanges(): ReadonlyArray<AddrRange> {
    return systemRamResources(this.ram)
  }

  /** Bytes of RAM no mapping owns (free frames; paged-out pages keep theirs). */
  freeBytes(): number {
    return this.alloc.freeBytes()
  }

  /** Registers `p` as an owner of page extents (the reverse map and the statistics see it). */
  addOwner(p: SimProcess): void {
    this.owners.push(p)
    this.dirty = true
  }

  /** Every owner of page extents, in registration order. */
  pageOwners(): ReadonlyArray<SimProcess> {
    return this.owners
  }

  /** Number of page extents of `pid` (all owners when undefined): the simulator's memory cost. */
  extentCount(pid?: number): number {
    let n = 0
    for (const p of this.owners) if (pid === undefined || p.pid === pid) n += p.extents.length
    return n
  }

  /**
   * Fills `bytes` of frames with unmapped clean page cache (never accessed, reclaimable), owned
   * by a pseudo-process of pid 0 that is registered as an owner and returned.
   */
  addPageCache(bytes: number, seed: number): SimProcess {
    const cache = new SimProcess({ pid: 0, name: "page cache" }, makeRng(seed))
    this.addOwner(cache)
    for (const piece of this.alloc.allocate(0, bytes, this.nodeIds)) {
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
    return cache
  }

  // ---------------------------------------------------------------------------------------
  // Backing mappings

  /**
   * Backs the mapping `v` of `p` with frames, preferring `p`'s node, as resident base pages
   * (anonymous ones on the inactive LRU, file ones on the active LRU). Throws when RAM runs out.
   */
  mapVma(p: SimProcess, v: Vma, atUs: number): void {
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
    this.dirty = true
  }

  /** Unmaps `[start, end)` of `p` (infinite bounds: everything) and frees its frames. */
  unmap(p: SimProcess, start: number, end: number): void {
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
    this.dirty = true
  }

  /** Frames for `len` bytes at virtual `vStart` from the nodes `nids` in order (maybe fewer bytes). */
  allocate(vStart: number, len: number, nids: ReadonlyArray<number>): Array<FramePiece> {
    this.dirty = true
    return this.alloc.allocate(vStart, len, nids)
  }

  /** Frees `len` bytes of frames at `pStart`. */
  release(pStart: number, len: number): void {
    this.dirty = true
    this.alloc.release(pStart, len)
  }

  /** Marks the physical index stale after extents changed. */
  invalidate(): void {
    this.dirty = true
  }

  // ---------------------------------------------------------------------------------------
  // The physical index and the reverse map

  private rebuild(): void {
    const all: Array<PageExtent> = []
    for (const p of this.owners) for (const e of p.extents) all.push(e)
    all.sort((a, b) => a.pStart - b.pStart)
    this.index = all
    this.dirty = false
    this.cursor = 0
  }

  private indexOf(pa: number): number {
    if (this.dirty) this.rebuild()
    const list = this.index
    const n = list.length
    let i = this.cursor
    if (i < n) {
      const e = list[i]!
      if (pa >= e.pStart) {
        if (pa < e.pStart + (e.vEnd - e.vStart)) return i
        for (let k = 0; k < 4 && ++i < n; k++) {
          const f = list[i]!
          if (pa < f.pStart) return -1
          if (pa < f.pStart + (f.vEnd - f.vStart)) {
            this.cursor = i
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
        this.cursor = mid
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
    const i = this.indexOf(pa)
    if (i < 0) return -1
    const e = this.index[i]!
    const owner = e.owner
    const y = owner.youngIn(e, e.vStart + (pa - e.pStart), fromUs, toUs, rng)
    this.folioSz = owner.folioSz
    return y
  }

  /** The physical address backing `vaddr` of `p` (its frame, resident or not), if mapped. */
  translate(p: SimProcess | undefined, vaddr: number): number | undefined {
    if (p === undefined) return undefined
    const i = findIndex(p.extents, vaddr)
    if (i < 0) return undefined
    const e = p.extents[i]!
    return e.pStart + (vaddr - e.vStart)
  }

  /** The owning process and virtual address of physical address `pa`, if a page is there. */
  reverseMap(pa: number): { readonly pid: number; readonly vaddr: number } | undefined {
    const i = this.indexOf(pa)
    if (i < 0) return undefined
    const e = this.index[i]!
    return { pid: e.owner.pid, vaddr: e.vStart + (pa - e.pStart) }
  }

  /**
   * The folios paddr's walk over `[start, end)` visits, as virtual ranges of their owners
   * appended to `work`; returns the folio at the last address tried (`-1` when none).
   *
   * **Details**
   * The walk of `mm/damon/paddr.c`'s actions: `addr` starts at `start`; the folio containing
   * `addr` is visited whole and `addr` advances by its size; with no folio, or at `skip` (the
   * scheme's `last_applied`), `addr` advances by `PAGE_SIZE`; the walk ends once `addr >= end`.
   * A page of a mapping counts as a folio whether or not it is resident. Runs of folios are
   * stepped arithmetically, so the cost is per extent, not per folio.
   */
  walk(start: number, end: number, skip: number, work: Array<PhysPiece>): number {
    if (this.dirty) this.rebuild()
    const idx = this.index
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
}
