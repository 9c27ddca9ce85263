/**
 * Exact ground truth of page accesses, recorded as they happen: for every page and every window
 * (normally one aggregation window of the monitor under evaluation), how many accesses it got
 * and in how many *ticks* (a fixed grid of time slots, normally the sampling interval) it was
 * accessed at least once. The tick count is the truth DAMON's `nr_accesses` estimates: the
 * number of sampling intervals in which the page was accessed.
 *
 * Storage is sparse like the page table's (512-page chunks allocated on first access); closing a
 * window visits only the chunks touched in it. Pure: times are passed in.
 */
import * as Result from "effect/Result"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"

const CHUNK_PAGES = 512
const CACHE_SLOTS = 64

/** Options of {@link make}. */
export interface PageTruthOptions {
  /** Length of a tick in microseconds (> 0). */
  readonly tickUs: number
  /** World time of the tick grid's origin. Defaults to 0. */
  readonly originUs?: number
}

/** One window's counts: the pages accessed in it, ascending, with their counts. */
export interface PageCounts {
  /** World time the window started (the previous close) and ended, in microseconds. */
  readonly startUs: number
  readonly endUs: number
  readonly tickUs: number
  /** Ticks of the grid that intersect the window (the denominator of a page's frequency). */
  readonly nrTicks: number
  /** Page numbers (`addr / 4096`) accessed in the window, ascending. */
  readonly pages: Float64Array
  /** Accesses of each page in the window. */
  readonly accesses: Float64Array
  /** Ticks of the window in which each page was accessed. */
  readonly ticks: Float64Array
}

/** A recorder of exact per-page counts. */
export interface PageTruth {
  readonly tickUs: number
  readonly originUs: number
  /** The tick holding world time `tUs`. */
  readonly tickOf: (tUs: number) => number
  /** Records one access to `page` during tick `tick` (ticks must not decrease within a window). */
  readonly record: (page: number, tick: number) => void
  /** Returns the counts of the window `[previous close, endUs)` and starts the next one. */
  readonly closeWindow: (endUs: number) => PageCounts
}

interface Chunk {
  readonly idx: number
  readonly accesses: Float64Array
  readonly ticks: Float64Array
  readonly lastTick: Float64Array
  /** Window in which the chunk was last touched (it is in the dirty list for that window). */
  epoch: number
}

/** Number of ticks of the grid intersecting `[startUs, endUs)`. */
export const ticksIn = (startUs: number, endUs: number, tickUs: number, originUs = 0): number =>
  endUs <= startUs ? 0 : Math.ceil((endUs - originUs) / tickUs) - Math.floor((startUs - originUs) / tickUs)

/** A recorder whose first window starts at `originUs`; a bad option is an `InvalidArgument`. */
export const make = (options: PageTruthOptions): Result.Result<PageTruth, DamonError> => {
  const tickUs = options.tickUs
  if (!(tickUs > 0 && Number.isFinite(tickUs))) return Result.fail(invalidArgument("truth.tickUs", tickUs, "must be a positive finite number of microseconds"))
  const originUs = options.originUs ?? 0
  if (!Number.isFinite(originUs)) return Result.fail(invalidArgument("truth.originUs", originUs, "must be a finite number of microseconds"))
  const chunks = new Map<number, Chunk>()
  const cacheIdx = new Float64Array(CACHE_SLOTS).fill(-1)
  const cacheChunk: Array<Chunk | undefined> = new Array<Chunk | undefined>(CACHE_SLOTS).fill(undefined)
  let dirty: Array<Chunk> = []
  let epoch = 0
  let windowStartUs = originUs

  const chunkOf = (idx: number): Chunk => {
    const slot = idx & (CACHE_SLOTS - 1)
    if (cacheIdx[slot] === idx) return cacheChunk[slot]!
    let c = chunks.get(idx)
    if (c === undefined) {
      c = {
        idx,
        accesses: new Float64Array(CHUNK_PAGES),
        ticks: new Float64Array(CHUNK_PAGES),
        lastTick: new Float64Array(CHUNK_PAGES).fill(-Infinity),
        epoch: -1
      }
      chunks.set(idx, c)
    }
    cacheIdx[slot] = idx
    cacheChunk[slot] = c
    return c
  }

  const record = (page: number, tick: number): void => {
    const idx = Math.floor(page / CHUNK_PAGES)
    const c = chunkOf(idx)
    if (c.epoch !== epoch) {
      c.epoch = epoch
      dirty.push(c)
    }
    const i = page - idx * CHUNK_PAGES
    c.accesses[i]!++
    if (c.lastTick[i] !== tick) {
      c.lastTick[i] = tick
      c.ticks[i]!++
    }
  }

  const closeWindow = (endUs: number): PageCounts => {
    const chunksSorted = dirty.sort((a, b) => a.idx - b.idx)
    let n = 0
    for (const c of chunksSorted) for (let i = 0; i < CHUNK_PAGES; i++) if (c.accesses[i]! > 0) n++
    const pages = new Float64Array(n)
    const accesses = new Float64Array(n)
    const ticks = new Float64Array(n)
    let k = 0
    for (const c of chunksSorted) {
      for (let i = 0; i < CHUNK_PAGES; i++) {
        const a = c.accesses[i]!
        if (a === 0) continue
        pages[k] = c.idx * CHUNK_PAGES + i
        accesses[k] = a
        ticks[k] = c.ticks[i]!
        k++
      }
      c.accesses.fill(0)
      c.ticks.fill(0)
      c.lastTick.fill(-Infinity)
    }
    dirty = []
    epoch++
    const startUs = windowStartUs
    windowStartUs = endUs
    return { startUs, endUs, tickUs, nrTicks: ticksIn(startUs, endUs, tickUs, originUs), pages, accesses, ticks }
  }

  return Result.succeed({ tickUs, originUs, tickOf: (tUs) => Math.floor((tUs - originUs) / tickUs), record, closeWindow })
}
