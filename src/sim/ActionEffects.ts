/**
 * The memory effects of DAMOS actions on the simulated machine, reached through the two walks
 * of the kernel's operations sets: a virtual range of a process (vaddr/fvaddr's page-table
 * walks) and a physical range (paddr's folio walk through the reverse map). Per extent it
 * applies the ops filters (`ExtentFilter`) and the action: pageout, LRU (de)activation,
 * willneed, migration (`Migration`), (no)hugepage and collapse (`Collapse`), stat.
 */
import type { ActionOutcome, ActionRequest } from "../ops/AddressSpace.ts"
import { alignDown, alignUp, clamp01 } from "./Arith.ts"
import { collapseRange } from "./Collapse.ts"
import { type ChainScratch, passFraction } from "./ExtentFilter.ts"
import { lruMoveIsNoop, type Tally } from "./LruNoop.ts"
import { migrate } from "./Migration.ts"
import { coalesce, findIndex, HUGE_PAGE_SIZE, lowerBound, PAGE_SIZE, type PageExtent, pages, splitAt } from "./PageExtent.ts"
import type { PhysFrames, PhysPiece } from "./PhysFrames.ts"
import type { SimProcess } from "./SimProcess.ts"

/** What the actions need of the rest of the machine. */
export interface ActionDeps {
  /** Brings the machine to a time, and finds a process. */
  readonly timeline: {
    readonly advance: (nowUs: number) => void
    readonly process: (pid: number | null) => SimProcess | undefined
  }
  readonly frames: Pick<PhysFrames, "allocate" | "release" | "hasMemory" | "walk">
  /** Settles the refaults of a paged-out extent before it is acted on. */
  readonly settle: (e: PageExtent, nowUs: number) => boolean
  /** Page state is about to change: caches (physical index, statistics) are stale. */
  readonly touch: () => void
}

/**
 * The action effects.
 *
 * **Gotchas**
 * Every method mutates page state and the `out` it is given.
 */
export class ActionEffects {
  private readonly deps: ActionDeps
  private readonly scratch: ChainScratch = { youngReached: false, passActive: 0 }

  constructor(deps: ActionDeps) {
    this.deps = deps
  }

  /**
   * Applies `req` to `[start, end)` of process `pid`'s virtual address space at `nowUs`,
   * accumulating into `out`. A dead or unknown process counts the whole range as unmapped.
   * Huge folios at either end are taken whole (unless `req.splitThp`) and `req.skipFolio` is
   * skipped only as the first present folio, like vaddr's page-table walks (see `applyRange`).
   */
  applyVirtual(pid: number, start: number, end: number, req: ActionRequest, nowUs: number, out: ActionOutcome): void {
    this.deps.timeline.advance(nowUs)
    const p = this.deps.timeline.process(pid)
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
   * `PAGE_SIZE`; the walk ends once `addr >= end` (`PhysFrames.walk`). So a walk entering a huge
   * folio past its head keeps that offset into the following 2 MiB chunks (base pages before it
   * are not visited), ends less than one folio past `end`, and never visits a folio that only
   * ends inside `start`. A page of a mapping counts as a folio for `lastFolio` whether or not it
   * is resident.
   */
  applyPhysical(start: number, end: number, req: ActionRequest, nowUs: number, out: ActionOutcome): void {
    this.deps.timeline.advance(nowUs)
    const work: Array<PhysPiece> = []
    const last = this.deps.frames.walk(start, end, req.skipFolio, work)
    const acc = { affected: 0, passed: 0 }
    for (const w of work) this.actRange(w.p, w.vs, w.ve, req, nowUs, out, acc)
    out.lastFolio = last
    out.affectedBytes += Math.round(acc.affected) * PAGE_SIZE
    out.passedBytes += Math.round(acc.passed) * PAGE_SIZE
  }

  /** Converts the aligned chunks of a freshly mapped workload range to huge pages (THP always). */
  hugify(p: SimProcess, start: number, end: number, nowUs: number): void {
    collapseRange(p.extents, start, end, nowUs, { affected: 0 }, this.deps)
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
  private applyRange(p: SimProcess, start0: number, end0: number, req: ActionRequest, nowUs: number, out: ActionOutcome, acc: Tally): void {
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
    this.deps.touch()
    if (req.action === "hugepage" || req.action === "collapse") {
      collapseRange(list, start, end, nowUs, acc, this.deps)
      return
    }
    if ((req.action === "deactivate" || req.action === "activate") && req.chain === null && req.skipFolio < 0 &&
      lruMoveIsNoop(list, start, end, req.action, out, acc)) return
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
      this.deps.settle(e, nowUs)
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
  private actRange(p: SimProcess, start: number, end: number, req: ActionRequest, nowUs: number, out: ActionOutcome, acc: Tally): void {
    const list = p.extents
    this.deps.touch()
    if (req.action === "hugepage" || req.action === "collapse") {
      collapseRange(list, start, end, nowUs, acc, this.deps)
      return
    }
    splitAt(list, start)
    splitAt(list, end)
    const i0 = lowerBound(list, start)
    let i = i0
    while (i < list.length && list[i]!.vStart < end) {
      this.deps.settle(list[i]!, nowUs)
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
  private actOn(p: SimProcess, list: Array<PageExtent>, i: number, req: ActionRequest, nowUs: number, out: ActionOutcome, acc: Tally): number {
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
        return migrate(list, i, f, passActive, req, acc, this.deps.frames)
      default:
        return 1
    }
  }
}
