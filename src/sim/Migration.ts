/**
 * Page migration on the simulated machine: the effect of `migrate_hot`/`migrate_cold` on one
 * extent, to a target node or split among weighted destinations (`damos_migrate_dests`, weighted
 * interleave). Frames move; the pages stay the same pages (the reverse map and sampling follow).
 */
import type { ActionRequest } from "../ops/AddressSpace.ts"
import { clamp01, mod } from "./Arith.ts"
import { findIndex, HUGE_PAGE_SIZE, lowerBound, PAGE_SIZE, type PageExtent, slice, splitAt } from "./PageExtent.ts"
import type { FramePiece } from "./PhysMem.ts"
import type { FrameSource } from "./PhysFrames.ts"

/** How many folios of a run of `k` starting at interleave index `x0` each destination gets. */
export const interleaveCounts = (
  dests: ActionRequest["dests"],
  x0: number,
  k: number
): Array<{ readonly nid: number; readonly count: number }> | undefined => {
  let w = 0
  for (const d of dests) w += d.weight
  if (w === 0) return undefined
  const plan: Array<{ nid: number; count: number }> = []
  let lo = 0
  const below = (x: number, from: number, width: number) => Math.floor(x / w) * width + Math.min(width, Math.max(0, mod(x, w) - from))
  for (const d of dests) {
    plan.push({ nid: d.nid, count: below(x0 + k, lo, d.weight) - below(x0, lo, d.weight) })
    lo += d.weight
  }
  return plan
}

/**
 * The leading pieces of an allocation that hold whole folios of `fsz` bytes (the allocation
 * starts at a folio boundary); the frames of the rest go back. A folio moves whole or not at
 * all: base pages always fit, a huge folio needs one 2 MiB frame.
 */
const wholeFolios = (pieces: ReadonlyArray<FramePiece>, fsz: number, frames: FrameSource): Array<FramePiece> => {
  const kept: Array<FramePiece> = []
  let covered = 0
  for (const piece of pieces) {
    const usable = piece.vOff === covered ? Math.floor(piece.len / fsz) * fsz : 0
    if (usable > 0) kept.push(usable === piece.len ? piece : { ...piece, len: usable })
    if (usable < piece.len) frames.release(piece.pStart + usable, piece.len - usable)
    covered += usable
    if (usable < piece.len) covered = -1
  }
  return kept
}

/**
 * Migrates the first `f` of `list[i]`'s folios: to `req.targetNid`, or split among `req.dests`
 * by weighted interleave (folio index `vm_pgoff >> order + (addr - vm_start) >> (PAGE_SHIFT +
 * order)` modulo the total weight). Adds the base pages moved to `acc.affected` and returns how
 * many extents `list[i]` spans afterwards.
 *
 * **Details**
 * The folios of each destination move as one consecutive run (node totals are exact; the
 * per-folio placement is not reproduced). The `k` passing folios are the first `k` of the
 * extent; `passActive` (the fraction of all folios that are active and pass) sets their active
 * share and that of the folios left behind. A destination without memory gets nothing; one
 * with too few free frames gets the leading folios that fit whole (a huge folio needs a 2 MiB
 * frame), the others stay.
 *
 * **Gotchas**
 * Mutates `list` and the extents; the caller invalidates the physical index and statistics.
 */
export const migrate = (
  list: Array<PageExtent>,
  i: number,
  f: number,
  passActive: number,
  req: ActionRequest,
  acc: { affected: number },
  frames: FrameSource
): number => {
  const e = list[i]!
  const origEnd = e.vEnd
  const fsz = e.huge ? HUGE_PAGE_SIZE : PAGE_SIZE
  const nFolios = (e.vEnd - e.vStart) / fsz
  const k = Math.round(f * nFolios)
  if (k <= 0 || e.resident <= 0) return 1
  const order = e.huge ? 9 : 0
  const x0 = Math.floor(e.vmaPgoff / 2 ** order) + Math.floor((e.vStart - e.vmaStart) / fsz)
  const plan = req.dests.length === 0 ? [{ nid: req.targetNid, count: k }] : interleaveCounts(req.dests, x0, k)
  if (plan === undefined) return 1
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
    if (!frames.hasMemory(step.nid)) continue
    splitAt(list, cs)
    splitAt(list, ce)
    const j = findIndex(list, cs)
    const src = list[j]!
    if (src.nid === step.nid) continue
    const pieces = wholeFolios(frames.allocate(cs, ce - cs, [step.nid]), fsz, frames)
    let got = 0
    for (const piece of pieces) got += piece.len
    if (got === 0) continue
    if (got < ce - cs) splitAt(list, cs + got)
    const moving = list[j]!
    frames.release(moving.pStart, moving.vEnd - moving.vStart)
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
