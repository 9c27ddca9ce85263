/**
 * Physical memory of the simulated machine: the "System RAM" ranges with their NUMA nodes and a
 * frame allocator over them. The allocator hands out physical ranges congruent to the virtual
 * address modulo 2 MiB, so any 2 MiB aligned virtual chunk lands on a 2 MiB aligned frame and can
 * become a huge page in place. It mirrors no kernel allocator (a first-fit over free spans is
 * enough here) and keeps no per-page state: free memory is a short list of spans.
 */
import { mod } from "./Arith.ts"
import { HUGE_PAGE_SIZE, PAGE_SIZE } from "./PageExtent.ts"

/** A contiguous range of RAM on one node. */
export interface RamRange {
  readonly start: number
  readonly end: number
  readonly nid: number
}

/** One physically contiguous piece of an allocation. */
export interface FramePiece {
  /** Offset of the piece from the start of the requested virtual range. */
  readonly vOff: number
  readonly len: number
  readonly pStart: number
  readonly nid: number
}

const GiB = 1024 * 1024 * 1024
const MiB = 1024 * 1024

/**
 * The default x86-64 like layout of `totalBytes` of RAM over `nrNodes` nodes: usable low memory
 * from 1 MiB up to 3 GiB (node 0), a PCI hole up to 4 GiB, then the rest; each node gets an equal
 * share (2 MiB aligned), node 0 first.
 */
export const defaultRamLayout = (totalBytes: number, nrNodes: number): Array<RamRange> => {
  const perNode = Math.floor(totalBytes / nrNodes / HUGE_PAGE_SIZE) * HUGE_PAGE_SIZE
  const out: Array<RamRange> = []
  const lowStart = 1 * MiB
  const lowLen = Math.min(3 * GiB - lowStart, perNode)
  out.push({ start: lowStart, end: lowStart + lowLen, nid: 0 })
  let at = 4 * GiB
  for (let nid = 0; nid < nrNodes; nid++) {
    const len = nid === 0 ? perNode - lowLen : perNode
    if (len <= 0) continue
    out.push({ start: at, end: at + len, nid })
    at += len
  }
  return out
}

/** The "System RAM" resources: maximal contiguous unions of the ranges (nodes ignored). */
export const systemRamResources = (ram: ReadonlyArray<RamRange>): Array<{ start: number; end: number }> => {
  const sorted = [...ram].sort((a, b) => a.start - b.start)
  const out: Array<{ start: number; end: number }> = []
  for (const r of sorted) {
    const last = out[out.length - 1]
    if (last !== undefined && last.end === r.start) last.end = r.end
    else out.push({ start: r.start, end: r.end })
  }
  return out
}

interface Span {
  start: number
  end: number
  nid: number
}

/**
 * First-fit frame allocator.
 *
 * **Gotchas**
 * Mutable: `allocate` and `release` update the free-span list in place.
 */
export class FrameAllocator {
  private readonly ram: ReadonlyArray<RamRange>
  private free: Array<Span>

  constructor(ram: ReadonlyArray<RamRange>) {
    this.ram = ram
    this.free = [...ram].sort((a, b) => a.start - b.start).map((r) => ({ start: r.start, end: r.end, nid: r.nid }))
  }

  /** Free bytes on `nid` (all nodes when `nid` is undefined). */
  freeBytes(nid?: number): number {
    let sum = 0
    for (const s of this.free) if (nid === undefined || s.nid === nid) sum += s.end - s.start
    return sum
  }

  /** Node of physical address `addr`, or `-1` outside RAM. */
  nodeOf(addr: number): number {
    for (const r of this.ram) if (addr >= r.start && addr < r.end) return r.nid
    return -1
  }

  /**
   * Allocates frames for the virtual range `[vStart, vStart + len)` from the nodes in `nids`, in
   * preference order (pass one node for a strict allocation). Returns the pieces, possibly
   * covering less than `len` when memory runs out.
   */
  allocate(vStart: number, len: number, nids: ReadonlyArray<number>): Array<FramePiece> {
    const pieces: Array<FramePiece> = []
    let done = 0
    for (const nid of nids) {
      if (done >= len) break
      // First fit of the whole remainder on this node; pieces only when no span can hold it.
      const whole = this.findFit(vStart + done, len - done, nid)
      if (whole >= 0) {
        done += this.take(whole, vStart + done, len - done, done, pieces)
        break
      }
      // Large spans first (keeps 2 MiB chunks whole), then the small leftovers.
      for (const minLen of [HUGE_PAGE_SIZE, 0]) {
        for (let i = 0; i < this.free.length && done < len; i++) {
          const span = this.free[i]!
          if (span.nid !== nid || span.end - span.start < minLen) continue
          const before = this.free.length
          done += this.take(i, vStart + done, len - done, done, pieces)
          // Span i became 0-2 spans; continue after them.
          i += this.free.length - before
        }
      }
    }
    return pieces
  }

  /** Index of the first span of `nid` that holds `len` bytes congruent to `v`, or `-1`. */
  private findFit(v: number, len: number, nid: number): number {
    for (let i = 0; i < this.free.length; i++) {
      const span = this.free[i]!
      if (span.nid !== nid) continue
      const p = span.start + mod(v - span.start, HUGE_PAGE_SIZE)
      if (p + len <= span.end) return i
    }
    return -1
  }

  /** Takes up to `len` bytes congruent to `v` from span `i`; returns the bytes taken. */
  private take(i: number, v: number, len: number, vOff: number, pieces: Array<FramePiece>): number {
    const span = this.free[i]!
    const p = span.start + mod(v - span.start, HUGE_PAGE_SIZE)
    if (p + PAGE_SIZE > span.end) return 0
    const n = Math.min(len, span.end - p)
    pieces.push({ vOff, len: n, pStart: p, nid: span.nid })
    const parts: Array<Span> = []
    if (p > span.start) parts.push({ start: span.start, end: p, nid: span.nid })
    if (p + n < span.end) parts.push({ start: p + n, end: span.end, nid: span.nid })
    this.free.splice(i, 1, ...parts)
    return n
  }

  /** Carves `[start, end)` out of the free spans (memory the simulation reserves up front). */
  reserve(start: number, end: number): void {
    const out: Array<Span> = []
    for (const s of this.free) {
      if (s.end <= start || s.start >= end) out.push(s)
      else {
        if (s.start < start) out.push({ start: s.start, end: start, nid: s.nid })
        if (s.end > end) out.push({ start: end, end: s.end, nid: s.nid })
      }
    }
    this.free = out
  }

  /** Returns `[pStart, pStart + len)` to the free spans, merging neighbours on the same node. */
  release(pStart: number, len: number): void {
    const nid = this.nodeOf(pStart)
    const end = pStart + len
    let lo = 0
    let hi = this.free.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.free[mid]!.start < pStart) lo = mid + 1
      else hi = mid
    }
    const span: Span = { start: pStart, end, nid }
    this.free.splice(lo, 0, span)
    const next = this.free[lo + 1]
    if (next !== undefined && next.start === end && next.nid === nid) {
      span.end = next.end
      this.free.splice(lo + 1, 1)
    }
    const prev = lo > 0 ? this.free[lo - 1] : undefined
    if (prev !== undefined && prev.end === pStart && prev.nid === nid) {
      prev.end = span.end
      this.free.splice(lo, 1)
    }
  }
}
