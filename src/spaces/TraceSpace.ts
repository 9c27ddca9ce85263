/**
 * A recorded trace as an address space: accesses replayed into a page table as world time
 * passes, so `vaddr` (three regions over the touched ranges) and `fvaddr` monitor a real
 * program's accesses unchanged.
 *
 * - **Time.** Trace position maps to world time by a stated rate: access number `k` (every
 *   access line counts, instruction fetches included, as they are the program's progress)
 *   happens at `startUs + k / accessesPerUs`. Every call of the port first applies the accesses
 *   due before the time it is given, so a sample sees exactly the accesses made since its
 *   `mkold`, whoever reads the trace and however it is chunked.
 * - **Mappings.** A trace does not say what the program mapped; the 2 MiB chunks it touches are
 *   taken as its mappings, each mapped `mapLeadRecords` accesses before its first access (a
 *   program maps memory before using it; vaddr's three regions are then computed over touched
 *   memory).
 * - **Bounded memory.** Records are pushed in by a reader (see `accuracy/TraceReplay.ts`) and
 *   dropped once applied; the reader keeps only a little ahead of world time.
 * - **Ground truth.** With a `PageTruth`, every applied access is also counted exactly per page.
 *
 * Pure and synchronous: the reader and the clock are outside.
 */
import * as Result from "effect/Result"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import type { AddressSpace, MemAction } from "../ops/AddressSpace.ts"
import { Kind, type RecordBatch } from "./LackeyTrace.ts"
import * as PageTable from "./PageTable.ts"
import type { PageTruth } from "./PageTruth.ts"

const CHUNK_PAGES = 512
const CHUNK_BYTES = CHUNK_PAGES * 4096

/** Options of {@link make}. */
export interface TraceSpaceOptions {
  /** Accesses per microsecond of world time (> 0): the replay rate. */
  readonly accessesPerUs: number
  /** The process id of the traced program (targets of `vaddr`/`fvaddr`). Defaults to 1. */
  readonly pid?: number
  /** World time of the trace's first access, in microseconds. Defaults to 0. */
  readonly startUs?: number
  /** Replay instruction fetches (`I` lines) as accesses too. Defaults to `true`. */
  readonly instructions?: boolean
  /** Accesses by which a chunk's mapping precedes its first access. Defaults to 65536. */
  readonly mapLeadRecords?: number
  /** Exact per-page counts of the replayed accesses. */
  readonly truth?: PageTruth
  /** Actions schemes apply (see `PageTable`). */
  readonly onAction?: (action: MemAction, start: number, end: number) => void
}

/** Counters of a replay. */
export interface TraceSpaceStats {
  /** Records pushed by the reader. */
  readonly pushed: number
  /** Records applied (due before the latest time seen). */
  readonly applied: number
  /** Pages marked (instruction fetches excluded when not replayed; page-crossing accesses mark each page). */
  readonly pagesMarked: number
  /** Records applied after their time had already been seen (the reader fell behind). */
  readonly late: number
  /** Most records held at once. */
  readonly maxBuffered: number
  /** Bytes mapped (touched 2 MiB chunks). */
  readonly mappedBytes: number
}

/** A trace being replayed. */
export interface TraceSpace {
  readonly pid: number
  readonly accessesPerUs: number
  readonly space: AddressSpace
  readonly table: PageTable.PageTable
  /** Appends a parsed batch (copied). */
  readonly push: (batch: RecordBatch) => void
  /** No more records will come. */
  readonly end: () => void
  readonly ended: () => boolean
  /** Records needed before world time `nowUs` can be served: due ones plus the mapping lead. */
  readonly neededBy: (nowUs: number) => number
  /** Records pushed so far. */
  readonly pushed: () => number
  /** Applies the records due before `nowUs` (those pushed). */
  readonly advance: (nowUs: number) => void
  readonly stats: () => TraceSpaceStats
}

/** A trace space; a bad option is an `InvalidArgument` naming it. */
export const make = (options: TraceSpaceOptions): Result.Result<TraceSpace, DamonError> => {
  const rate = options.accessesPerUs
  if (!(rate > 0 && Number.isFinite(rate))) return Result.fail(invalidArgument("accessesPerUs", rate, "must be a positive finite number"))
  const startUs = options.startUs ?? 0
  if (!Number.isFinite(startUs)) return Result.fail(invalidArgument("startUs", startUs, "must be a finite number of microseconds"))
  const lead = options.mapLeadRecords ?? 65536
  if (!(Number.isSafeInteger(lead) && lead >= 0)) return Result.fail(invalidArgument("mapLeadRecords", lead, "must be an integer >= 0"))
  const pid = options.pid ?? 1
  const instructions = options.instructions ?? true
  const truth = options.truth
  const table = PageTable.make(options.onAction === undefined ? { pid } : { pid, onAction: options.onAction })
  const invRate = 1 / rate

  let cap = 1 << 14
  let pages = new Float64Array(cap)
  let extra = new Uint32Array(cap)
  let kinds = new Uint8Array(cap)
  /** Absolute indices: records [applied, pushed) are held. */
  let applied = 0
  let pushedCount = 0
  let isEnded = false
  let maxRequested = 0
  let late = 0
  let pagesMarked = 0
  let maxBuffered = 0
  let mappedBytes = 0
  // Chunks in the order the trace first touches them, with the index of that first access;
  // mapped once that index is within the lead of the accesses due.
  const seenChunks = new Set<number>()
  const firstTouch: Array<number> = []
  const firstChunk: Array<number> = []
  let nextToMap = 0
  let recentA = -1
  let recentB = -1

  const grow = (need: number): void => {
    let next = cap
    while (next < need) next *= 2
    const np = new Float64Array(next)
    const ne = new Uint32Array(next)
    const nk = new Uint8Array(next)
    for (let k = applied; k < pushedCount; k++) {
      const j = k & (cap - 1)
      const t = k & (next - 1)
      np[t] = pages[j]!
      ne[t] = extra[j]!
      nk[t] = kinds[j]!
    }
    pages = np
    extra = ne
    kinds = nk
    cap = next
  }

  /** Notes chunk `c` first touched by access `k` (when it is new). */
  const touch = (c: number, k: number): void => {
    if (seenChunks.has(c)) return
    seenChunks.add(c)
    firstTouch.push(k)
    firstChunk.push(c)
  }

  const push = (batch: RecordBatch): void => {
    const n = batch.count
    if (pushedCount + n - applied > cap) grow(pushedCount + n - applied)
    const mask = cap - 1
    const bp = batch.pages
    const be = batch.extraPages
    const bk = batch.kinds
    // Into the ring in one or two block copies.
    const j0 = pushedCount & mask
    const first = Math.min(n, cap - j0)
    pages.set(bp.subarray(0, first), j0)
    extra.set(be.subarray(0, first), j0)
    kinds.set(bk.subarray(0, first), j0)
    if (first < n) {
      pages.set(bp.subarray(first, n), 0)
      extra.set(be.subarray(first, n), 0)
      kinds.set(bk.subarray(first, n), 0)
    }
    for (let i = 0; i < n; i++) {
      const k = pushedCount + i
      const p = bp[i]!
      const x = be[i]!
      if (!instructions && bk[i] === Kind.instr) continue
      // A trace alternates between a few chunks (code, stack, data): the last two are known.
      const c = Math.floor(p / CHUNK_PAGES)
      if (x === 0 && (c === recentA || c === recentB)) continue
      if (c !== recentA) {
        recentB = recentA
        recentA = c
      }
      touch(c, k)
      if (x > 0) for (let d = c + 1, last = Math.floor((p + x) / CHUNK_PAGES); d <= last; d++) touch(d, k)
    }
    pushedCount += n
    if (pushedCount - applied > maxBuffered) maxBuffered = pushedCount - applied
  }

  /** Maps the chunks first touched by accesses before index `to`. */
  const mapUpTo = (to: number): void => {
    while (nextToMap < firstTouch.length && firstTouch[nextToMap]! < to) {
      const c = firstChunk[nextToMap]!
      mappedBytes += CHUNK_BYTES
      table.ensureMapped(c * CHUNK_BYTES, (c + 1) * CHUNK_BYTES)
      nextToMap++
    }
    if (nextToMap > 4096 && nextToMap === firstTouch.length) {
      firstTouch.length = 0
      firstChunk.length = 0
      nextToMap = 0
    }
  }

  /** Records due before `nowUs`: those with `startUs + k / rate < nowUs`. */
  const dueBy = (nowUs: number): number => {
    const x = (nowUs - startUs) * rate
    return x <= 0 ? 0 : Math.ceil(x)
  }

  const markPage = table.markPage
  /** Records `[from, to)` (absolute indices) one by one: instructions skipped, or ground truth. */
  const applyEach = (from: number, to: number): number => {
    const mask = cap - 1
    let marked = 0
    for (let k = from; k < to; k++) {
      const j = k & mask
      if (!instructions && kinds[j] === Kind.instr) continue
      const p = pages[j]!
      const x = extra[j]!
      markPage(p)
      marked++
      if (x > 0) {
        for (let e = 1; e <= x; e++) markPage(p + e)
        marked += x
      }
      if (truth !== undefined) {
        const tick = truth.tickOf(startUs + k * invRate)
        for (let e = 0; e <= x; e++) truth.record(p + e, tick)
      }
    }
    return marked
  }
  /** Ring slots `[j0, j1)`: every first page in one page-table call, then the few further pages. */
  const applySlots = (j0: number, j1: number): number => {
    table.markPages(pages, j0, j1)
    let marked = j1 - j0
    for (let j = j0; j < j1; j++) {
      const x = extra[j]!
      if (x > 0) {
        const p = pages[j]!
        for (let e = 1; e <= x; e++) markPage(p + e)
        marked += x
      }
    }
    return marked
  }
  const advance = (nowUs: number): void => {
    const due = dueBy(nowUs)
    mapUpTo(due + lead)
    const to = Math.min(due, pushedCount)
    if (to > applied) {
      if (maxRequested > applied) late += Math.min(to, maxRequested) - applied
      let marked: number
      if (!instructions || truth !== undefined) marked = applyEach(applied, to)
      else {
        // The held records are one or two runs of ring slots.
        const mask = cap - 1
        const j0 = applied & mask
        const n = to - applied
        marked = j0 + n <= cap ? applySlots(j0, j0 + n) : applySlots(j0, cap) + applySlots(0, j0 + n - cap)
      }
      pagesMarked += marked
      applied = to
    }
    if (due > maxRequested) maxRequested = due
  }

  const base = table.space
  const space: AddressSpace = {
    name: "recorded trace",
    processAlive: (p, nowUs) => {
      advance(nowUs)
      return p === pid
    },
    mappings: (p, nowUs) => {
      advance(nowUs)
      return base.mappings(p, nowUs)
    },
    systemRam: () => base.systemRam(),
    sampler: (rng) => {
      const inner = base.sampler(rng)
      const s = {
        folioSz: inner.folioSz,
        mkold: (p: number | null, addr: number, nowUs: number): void => {
          advance(nowUs)
          inner.mkold(p, addr, nowUs)
        },
        young: (p: number | null, addr: number, nowUs: number): number => {
          advance(nowUs)
          return inner.young(p, addr, nowUs)
        }
      }
      return s
    },
    applyVirtual: (p, start, end, req, nowUs, out) => {
      advance(nowUs)
      base.applyVirtual(p, start, end, req, nowUs, out)
    },
    applyPhysical: (start, end, req, nowUs, out) => {
      advance(nowUs)
      base.applyPhysical(start, end, req, nowUs, out)
    }
  }

  return Result.succeed({
    pid,
    accessesPerUs: rate,
    space,
    table,
    push,
    end: () => {
      isEnded = true
    },
    ended: () => isEnded,
    neededBy: (nowUs) => dueBy(nowUs) + lead,
    pushed: () => pushedCount,
    advance,
    stats: () => ({ pushed: pushedCount, applied, pagesMarked, late, maxBuffered, mappedBytes })
  })
}
