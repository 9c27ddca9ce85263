/**
 * Huge-page collapse on the simulated machine: the effect of the `hugepage`/`collapse` actions
 * (`MADV_HUGEPAGE` then khugepaged, `MADV_COLLAPSE`) and of mapping a workload region with THP
 * "always". Aligned 2 MiB chunks of anonymous memory become huge pages: in place when their frames
 * are already 2 MiB aligned, else by copying into a fresh huge frame like khugepaged does.
 */
import { alignDown, alignUp, mod } from "./Arith.ts"
import { findIndex, HUGE_PAGE_SIZE, lowerBound, PAGE_SIZE, type PageExtent, pages, slice, splitAt, coalesce } from "./PageExtent.ts"
import type { FrameSource } from "./PhysFrames.ts"

/** What a collapse needs: frames for copies, and refaults settled before pages are merged. */
export interface CollapseDeps {
  readonly frames: FrameSource
  readonly settle: (e: PageExtent, nowUs: number) => boolean
}

/**
 * Turns the 2 MiB aligned, fully mapped anonymous chunks of `[start, end)` of `list` (one
 * process's extents) into huge pages at `nowUs`, adding the base pages affected to
 * `acc.affected`.
 *
 * **Gotchas**
 * Mutates `list` and the extents; the caller invalidates the physical index and statistics.
 */
export const collapseRange = (
  list: Array<PageExtent>,
  start: number,
  end: number,
  nowUs: number,
  acc: { affected: number },
  deps: CollapseDeps
): void => {
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
      deps.settle(m, nowUs)
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
    if (collapseChunk(list, c, nowUs, deps)) acc.affected += HUGE_PAGE_SIZE / PAGE_SIZE
    c += HUGE_PAGE_SIZE
  }
  const a = lowerBound(list, start)
  coalesce(list, a, lowerBound(list, end))
}

/**
 * Collapses the chunk at `c` that straddles extents into one fresh huge page (khugepaged
 * copies): only when one anonymous mapping of one workload region covers the whole chunk and a
 * huge frame is free on the chunk's node. Returns whether it collapsed.
 */
const collapseChunk = (list: Array<PageExtent>, c: number, nowUs: number, deps: CollapseDeps): boolean => {
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
  const frames = deps.frames
  const pieces = frames.allocate(c, HUGE_PAGE_SIZE, [first.nid])
  if (pieces.length !== 1 || pieces[0]!.len !== HUGE_PAGE_SIZE) {
    for (const piece of pieces) frames.release(piece.pStart, piece.len)
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
    deps.settle(e, nowUs)
    activePages += e.active * e.resident * pages(e)
    if (e.youngSinceUs < youngSince) youngSince = e.youngSinceUs
    frames.release(e.pStart, e.vEnd - e.vStart)
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
