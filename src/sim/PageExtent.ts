/**
 * Page extents: the run-length representation of simulated page state. An extent is a
 * virtually and physically contiguous run of pages of one process with uniform state (node,
 * page size, anon/file, memcg, residency, LRU list). It has no kernel counterpart (the kernel
 * keeps a `struct page` per frame); extents keep the simulator's memory proportional to the
 * number of distinct runs, never to the amount of memory (1 TiB costs what 1 GiB costs).
 * This module only splits, finds and merges extents; the machine decides what they mean.
 */
import type { SimProcess } from "./SimProcess.ts"

/** Base page size (`PAGE_SIZE`). */
export const PAGE_SIZE = 4096

/** PMD huge page size (`HPAGE_PMD_SIZE`). */
export const HUGE_PAGE_SIZE = 2 * 1024 * 1024

/**
 * One run of pages.
 *
 * **Gotchas**
 * Mutable: the machine updates extents in place (hot loops read them every sample). `resident`
 * and `active` are fractions so that partial effects (a filter passing part of the folios, a
 * refault of part of a paged-out run) need no per-page state; the pages are exchangeable.
 */
export interface PageExtent {
  readonly owner: SimProcess
  vStart: number
  vEnd: number
  /** Physical address of `vStart`; frames stay reserved for the extent while it is mapped. */
  pStart: number
  nid: number
  /** Backed by 2 MiB huge pages (`vStart`, `vEnd` and `pStart` are then 2 MiB aligned). */
  huge: boolean
  anon: boolean
  /** `false` only for unmapped page cache. */
  mapped: boolean
  memcgId: number
  /** Fraction of the pages that are resident (a folio exists); huge extents are always 1. */
  resident: number
  /** Fraction of the resident pages on the active LRU list. */
  active: number
  /** Time of the last pageout (µs): refaults count the pages touched since then. */
  pagedOutAtUs: number
  /**
   * Resident fraction right after that pageout: the extent is resident to
   * `refaultBase + (1 - refaultBase) * touched(pagedOutAtUs, now)`, so refaults do not depend
   * on when they are counted.
   */
  refaultBase: number
  /** Accessed bits were last cleared (young filter, mkold) at this time (µs). */
  youngSinceUs: number
  /** Workload region backing the extent, or `-1` (never accessed). */
  regionIdx: number
  /** Offset of `vStart` inside the workload region. */
  regionOff: number
  /** Start of the VMA the extent belongs to, and its `vm_pgoff` (pages). */
  vmaStart: number
  vmaPgoff: number
}

/** Index of the extent containing `addr`, or `-1`. Binary search. */
export const findIndex = (list: ReadonlyArray<PageExtent>, addr: number): number => {
  let lo = 0
  let hi = list.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    const e = list[mid]!
    if (addr < e.vStart) hi = mid - 1
    else if (addr >= e.vEnd) lo = mid + 1
    else return mid
  }
  return -1
}

/** Index of the first extent ending after `addr` (`list.length` when none). */
export const lowerBound = (list: ReadonlyArray<PageExtent>, addr: number): number => {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (list[mid]!.vEnd <= addr) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * A copy of `e` restricted to `[start, end)` (both inside `e`). Written field by field in the
 * order `PhysFrames.mapVma` creates extents, so every extent shares one hidden class (a spread
 * copy cost 1.5 ms of the 20 s stairs run with schemes, the simulator's splits being hot there).
 */
export const slice = (e: PageExtent, start: number, end: number): PageExtent => {
  const d = start - e.vStart
  return {
    owner: e.owner,
    vStart: start,
    vEnd: end,
    pStart: e.pStart + d,
    nid: e.nid,
    huge: e.huge,
    anon: e.anon,
    mapped: e.mapped,
    memcgId: e.memcgId,
    resident: e.resident,
    active: e.active,
    pagedOutAtUs: e.pagedOutAtUs,
    refaultBase: e.refaultBase,
    youngSinceUs: e.youngSinceUs,
    regionIdx: e.regionIdx,
    regionOff: e.regionOff + d,
    vmaStart: e.vmaStart,
    vmaPgoff: e.vmaPgoff
  }
}

/**
 * Makes `addr` an extent boundary. Splitting a huge extent at an address that is not 2 MiB
 * aligned first turns the huge page around `addr` into base pages (as splitting a THP does).
 *
 * **Gotchas**
 * Mutates `list` (splices); returns `true` when it changed.
 */
export const splitAt = (list: Array<PageExtent>, addr: number): boolean => {
  const i = findIndex(list, addr)
  if (i < 0) return false
  const e = list[i]!
  if (e.vStart === addr) return false
  if (e.huge && addr % HUGE_PAGE_SIZE !== 0) {
    const cs = addr - (addr % HUGE_PAGE_SIZE)
    const ce = cs + HUGE_PAGE_SIZE
    const parts: Array<PageExtent> = []
    if (cs > e.vStart) parts.push(slice(e, e.vStart, cs))
    const chunk = slice(e, cs, ce)
    chunk.huge = false
    parts.push(slice(chunk, cs, addr), slice(chunk, addr, ce))
    if (ce < e.vEnd) parts.push(slice(e, ce, e.vEnd))
    list.splice(i, 1, ...parts)
    return true
  }
  list.splice(i, 1, slice(e, e.vStart, addr), slice(e, addr, e.vEnd))
  return true
}

/** True when `b` directly continues `a` with identical state (so the two can be one extent). */
export const canMerge = (a: PageExtent, b: PageExtent): boolean =>
  a.owner === b.owner &&
  a.vEnd === b.vStart &&
  a.pStart + (a.vEnd - a.vStart) === b.pStart &&
  a.nid === b.nid &&
  a.huge === b.huge &&
  a.anon === b.anon &&
  a.mapped === b.mapped &&
  a.memcgId === b.memcgId &&
  a.resident === b.resident &&
  a.active === b.active &&
  (a.resident === 1 || (a.pagedOutAtUs === b.pagedOutAtUs && a.refaultBase === b.refaultBase)) &&
  a.youngSinceUs === b.youngSinceUs &&
  a.regionIdx === b.regionIdx &&
  (a.regionIdx < 0 || a.regionOff + (a.vEnd - a.vStart) === b.regionOff) &&
  a.vmaStart === b.vmaStart &&
  a.vmaPgoff === b.vmaPgoff

/**
 * Merges mergeable neighbours among `list[from - 1 .. to]`, keeping the list minimal after an
 * operation touched that index range.
 *
 * **Gotchas**
 * Mutates `list`.
 */
export const coalesce = (list: Array<PageExtent>, from: number, to: number): void => {
  let i = from > 0 ? from - 1 : 0
  let end = to < list.length - 1 ? to : list.length - 1
  while (i < end) {
    const a = list[i]!
    const b = list[i + 1]!
    if (canMerge(a, b)) {
      if (a.resident === 1 && b.pagedOutAtUs > a.pagedOutAtUs) a.pagedOutAtUs = b.pagedOutAtUs
      a.vEnd = b.vEnd
      list.splice(i + 1, 1)
      end--
    } else {
      i++
    }
  }
}

/** Number of base pages of `e`. */
export const pages = (e: PageExtent): number => (e.vEnd - e.vStart) / PAGE_SIZE

/** Folio size of `e`: the huge page size or the base page size. */
export const folioSize = (e: PageExtent): number => (e.huge ? HUGE_PAGE_SIZE : PAGE_SIZE)
