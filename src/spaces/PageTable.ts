/**
 * A minimal address space: a page table with one accessed ("young") bit per page that a program
 * sets itself, for the memory it wants DAMON to watch (pages of a buffer, slots of a cache mapped
 * to addresses). `vaddr` and `fvaddr` monitor it as the pages of process `pid`, `paddr` as
 * physical memory made of its mapped ranges; actions are reported to the program through
 * `onAction`.
 *
 * Storage is sparse: bits live in 2 MiB chunks allocated on the first mark, so a 64-bit address
 * space costs what its touched chunks cost. Addresses are numbers: every page-aligned address
 * below 2^64 is exact as a double (a page number has at most 52 bits), so the whole 64-bit space
 * can be mapped and marked. Marking a page is one store after a chunk lookup through a small
 * direct-mapped cache (a trace alternates between code, stack and heap chunks). Every folio is a
 * base page, so the kernel's `last_applied` skipping (for huge folios straddling regions) never
 * applies.
 */
import type { Rng } from "../core/Rng.ts"
import type { AddrRange } from "../model/AddrRange.ts"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import {
  type AccessSampler,
  type ActionOutcome,
  type ActionRequest,
  type AddressSpace,
  type MemAction,
  PAGE_SIZE
} from "../ops/AddressSpace.ts"
import { type FolioAttrs, folioPasses } from "../ops/FolioFilter.ts"
import * as Result from "effect/Result"

const CHUNK_SHIFT_PAGES = 9
const CHUNK_PAGES = 1 << CHUNK_SHIFT_PAGES
const CHUNK_BYTES = CHUNK_PAGES * PAGE_SIZE
const CACHE_SLOTS = 64
/** One past the highest address: 2^64. */
export const ADDRESS_LIMIT = 2 ** 64

/** Options of {@link make}. */
export interface PageTableOptions {
  /** The process id the table belongs to (targets of `vaddr`/`fvaddr`). Defaults to 1. */
  readonly pid?: number
  /**
   * Called for every action a scheme applies to a mapped range, after the ops filters: the
   * program evicts, prefetches or moves what it holds there. Defaults to nothing.
   */
  readonly onAction?: (action: MemAction, start: number, end: number) => void
}

/** A page table a program marks. */
export interface PageTable {
  readonly pid: number
  /** The table as an address space for the kernel's operations sets. */
  readonly space: AddressSpace
  /** Maps `[start, end)` (page aligned, not overlapping a mapped range). */
  readonly map: (start: number, end: number) => Result.Result<void, DamonError>
  /** Unmaps whatever is mapped in `[start, end)`, with its accessed bits. */
  readonly unmap: (start: number, end: number) => void
  /**
   * Maps what is not yet mapped of `[start, end)` (page aligned), merging it with the mapped
   * ranges it overlaps or touches.
   */
  readonly ensureMapped: (start: number, end: number) => Result.Result<void, DamonError>
  /** Marks the page holding `addr` accessed (ignored outside mapped ranges when checked). */
  readonly mark: (addr: number) => void
  /** Marks page number `page` (`addr / 4096`) accessed: {@link mark} without the division. */
  readonly markPage: (page: number) => void
  /**
   * Marks the page numbers `pages[from..to)` accessed: {@link markPage} for each, in one call
   * (a replay loop pays no call per access, and runs of pages in one chunk find it at once).
   * A range outside `pages` throws a `RangeError` naming the bound, before anything is marked.
   */
  readonly markPages: (pages: Float64Array, from: number, to: number) => void
  /** Marks every page of `[start, end)` accessed. */
  readonly markRange: (start: number, end: number) => void
  /** The mapped ranges, sorted. */
  readonly mappedRanges: () => ReadonlyArray<AddrRange>
}

const pageMisaligned = (x: number): boolean => !Number.isInteger(x) || x < 0 || x > ADDRESS_LIMIT || x % PAGE_SIZE !== 0
const misalignedRule = "must be a page-aligned (4096) integer in [0, 2^64]"

/** A page table for one process; nothing mapped. */
export const make = (options: PageTableOptions = {}): PageTable => {
  const pid = options.pid ?? 1
  const onAction = options.onAction
  const ranges: Array<AddrRange> = []
  const chunks = new Map<number, Uint8Array>()
  // Direct-mapped cache of existing chunks by index (`idx & 63`; ToInt32 keeps the low bits of
  // indices up to 2^43).
  const cacheIdx = new Float64Array(CACHE_SLOTS).fill(-1)
  const cacheChunk: Array<Uint8Array | undefined> = new Array<Uint8Array | undefined>(CACHE_SLOTS).fill(undefined)

  /** The chunk of index `idx`, or `undefined` when nothing was marked in it. */
  const chunkAt = (idx: number): Uint8Array | undefined => {
    const slot = idx & (CACHE_SLOTS - 1)
    if (cacheIdx[slot] === idx) return cacheChunk[slot]
    const c = chunks.get(idx)
    if (c !== undefined) {
      cacheIdx[slot] = idx
      cacheChunk[slot] = c
    }
    return c
  }

  const newChunk = (idx: number): Uint8Array => {
    const c = new Uint8Array(CHUNK_PAGES)
    chunks.set(idx, c)
    const slot = idx & (CACHE_SLOTS - 1)
    cacheIdx[slot] = idx
    cacheChunk[slot] = c
    return c
  }

  const markPage = (page: number): void => {
    const idx = Math.floor(page / CHUNK_PAGES)
    const c = chunkAt(idx) ?? newChunk(idx)
    c[page - idx * CHUNK_PAGES] = 1
  }

  const markPages = (pages: Float64Array, from: number, to: number): void => {
    if (!(Number.isInteger(from) && from >= 0 && from <= pages.length)) {
      throw new RangeError(`from: ${from} must be an integer in [0, pages.length = ${pages.length}]`)
    }
    if (!(Number.isInteger(to) && to >= from && to <= pages.length)) {
      throw new RangeError(`to: ${to} must be an integer in [from = ${from}, pages.length = ${pages.length}]`)
    }
    let lastIdx = -1
    let last: Uint8Array | undefined
    for (let i = from; i < to; i++) {
      const page = pages[i]!
      const idx = Math.floor(page / CHUNK_PAGES)
      if (idx !== lastIdx) {
        lastIdx = idx
        last = chunkAt(idx) ?? newChunk(idx)
      }
      last![page - idx * CHUNK_PAGES] = 1
    }
  }

  const mark = (addr: number): void => markPage(Math.floor(addr / PAGE_SIZE))

  const youngBit = (addr: number): number => {
    const page = Math.floor(addr / PAGE_SIZE)
    const idx = Math.floor(page / CHUNK_PAGES)
    const c = chunkAt(idx)
    return c === undefined ? 0 : c[page - idx * CHUNK_PAGES]!
  }

  const clearBit = (addr: number): void => {
    const page = Math.floor(addr / PAGE_SIZE)
    const idx = Math.floor(page / CHUNK_PAGES)
    const c = chunkAt(idx)
    if (c !== undefined) c[page - idx * CHUNK_PAGES] = 0
  }

  /** Adds `[start, end)` to the mappings, merged with every range it overlaps or touches. */
  const mergeRange = (start: number, end: number): void => {
    let lo = start
    let hi = end
    const kept: Array<AddrRange> = []
    for (const r of ranges) {
      if (r.end < lo || r.start > hi) kept.push(r)
      else {
        if (r.start < lo) lo = r.start
        if (r.end > hi) hi = r.end
      }
    }
    kept.push({ start: lo, end: hi })
    kept.sort((a, b) => a.start - b.start)
    ranges.length = 0
    ranges.push(...kept)
  }

  /** Index of the mapped range holding `addr`, or -1. */
  const rangeOf = (addr: number): number => {
    let lo = 0
    let hi = ranges.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      const r = ranges[mid]!
      if (addr < r.start) hi = mid - 1
      else if (addr >= r.end) lo = mid + 1
      else return mid
    }
    return -1
  }

  const checkRange = (start: number, end: number): DamonError | undefined => {
    if (pageMisaligned(start)) return invalidArgument("start", start, misalignedRule)
    if (pageMisaligned(end)) return invalidArgument("end", end, misalignedRule)
    if (end <= start) return invalidArgument("end", end, `must be > start (${start})`)
    return undefined
  }

  const ensureMapped = (start: number, end: number): Result.Result<void, DamonError> => {
    const bad = checkRange(start, end)
    if (bad !== undefined) return Result.fail(bad)
    mergeRange(start, end)
    return Result.void
  }

  const map = (start: number, end: number): Result.Result<void, DamonError> => {
    const bad = checkRange(start, end)
    if (bad !== undefined) return Result.fail(bad)
    const clash = ranges.find((r) => r.start < end && start < r.end)
    if (clash !== undefined) {
      return Result.fail(invalidArgument("start", start, `overlaps the mapped range [${clash.start}, ${clash.end})`))
    }
    ranges.push({ start, end })
    ranges.sort((a, b) => a.start - b.start)
    return Result.void
  }

  const unmap = (start: number, end: number): void => {
    const kept: Array<AddrRange> = []
    for (const r of ranges) {
      if (r.end <= start || r.start >= end) kept.push(r)
      else {
        if (r.start < start) kept.push({ start: r.start, end: start })
        if (r.end > end) kept.push({ start: end, end: r.end })
      }
    }
    ranges.length = 0
    ranges.push(...kept)
    for (let a = Math.floor(start / PAGE_SIZE) * PAGE_SIZE; a < end; a += PAGE_SIZE) {
      const idx = Math.floor(a / CHUNK_BYTES)
      if (!chunks.has(idx)) {
        a = (idx + 1) * CHUNK_BYTES - PAGE_SIZE
        continue
      }
      clearBit(a)
    }
  }

  const markRange = (start: number, end: number): void => {
    for (let a = Math.floor(start / PAGE_SIZE) * PAGE_SIZE; a < end; a += PAGE_SIZE) mark(a)
  }

  const sampler = (_rng: Rng): AccessSampler => {
    const s = {
      folioSz: PAGE_SIZE,
      mkold: (p: number | null, addr: number): void => {
        if (p === null || p === pid) clearBit(addr)
      },
      young: (p: number | null, addr: number): number => {
        if ((p !== null && p !== pid) || rangeOf(addr) < 0) return -1
        return youngBit(addr)
      }
    }
    return s
  }

  const folio = { anon: true, active: false, memcgId: 0, young: false, folioSz: PAGE_SIZE, mapped: true }

  /** Visits the mapped pages of `[start, end)`: filters, `lastFolio`, bytes; reports the action. */
  const act = (start: number, end: number, req: ActionRequest, out: ActionOutcome): void => {
    const from = Math.floor(start / PAGE_SIZE) * PAGE_SIZE
    const to = Math.ceil(end / PAGE_SIZE) * PAGE_SIZE
    let mapped = 0
    let passed = 0
    const chain = req.chain
    for (const r of ranges) {
      const s = Math.max(r.start, from)
      const e = Math.min(r.end, to)
      if (s >= e) continue
      mapped += e - s
      out.folios += (e - s) / PAGE_SIZE
      out.lastFolio = e - PAGE_SIZE
      if (chain === null || chain.coreAllowed || !chain.hasYoung) {
        const f: FolioAttrs = folio
        if (chain === null || folioPasses(chain, f)) {
          passed += e - s
          onAction?.(req.action, s, e)
        }
        continue
      }
      for (let a = s; a < e; a += PAGE_SIZE) {
        folio.young = youngBit(a) === 1
        const ok = folioPasses(chain, folio)
        // `damon_folio_mkold()`: the young filter clears the bit it read
        if (folio.young) clearBit(a)
        if (ok) {
          passed += PAGE_SIZE
          onAction?.(req.action, a, a + PAGE_SIZE)
        }
      }
      folio.young = false
    }
    out.unmappedBytes += to - from - mapped
    out.passedBytes += passed
    if (req.action !== "stat") out.affectedBytes += passed
  }

  const space: AddressSpace = {
    name: "page table",
    processAlive: (p) => p === pid,
    mappings: (p) => (p === pid ? ranges : []),
    systemRam: () => ranges,
    sampler,
    applyVirtual: (p, start, end, req, _nowUs, out) => {
      if (p !== pid) {
        out.unmappedBytes += Math.max(0, Math.ceil(end / PAGE_SIZE) * PAGE_SIZE - Math.floor(start / PAGE_SIZE) * PAGE_SIZE)
        return
      }
      act(start, end, req, out)
    },
    applyPhysical: (start, end, req, _nowUs, out) => act(start, end, req, out)
  }

  return { pid, space, map, ensureMapped, unmap, mark, markPage, markPages, markRange, mappedRanges: () => ranges }
}
