/**
 * Instrumented application memory: arenas an application allocates (pages of a large buffer,
 * slots of a cache) whose accesses it marks itself, at the cost of one byte store per access,
 * monitored by the kernel's operations sets through the address-space port; DAMOS actions come
 * back to the application as typed events (evict, prefetch, promote, demote) it handles.
 *
 * Each arena is a range of virtual addresses of process `pid` with one accessed byte per 4 KiB
 * page, kept dense so that a mark is a single store with no lookup. Arenas are laid out from
 * `base` upwards, 2 MiB aligned with a 2 MiB gap between them, as separate mappings.
 *
 * Action to event: `pageout` -> `Evict`, `willneed` -> `Prefetch`, `activate` (`lru_prio`) ->
 * `Promote`, `deactivate` (`cold`, `lru_deprio`) -> `Demote`, `migrate` -> `Promote` towards node
 * 0 (the fast tier) and `Demote` towards any other node; the hugepage actions and `stat` raise
 * none. Pure and synchronous: events go to a callback (the service queues them).
 */
import * as Result from "effect/Result"
import type { AddrRange } from "../model/AddrRange.ts"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import type { AccessSampler, ActionOutcome, ActionRequest, AddressSpace } from "../ops/AddressSpace.ts"
import { folioPasses } from "../ops/FolioFilter.ts"
import type { PageTruth } from "./PageTruth.ts"

const PAGE = 4096
const ALIGN = 2 * 1024 * 1024

/** What a DAMOS action asks the application to do with pages of an arena. */
export type MemoryEventKind = "Evict" | "Prefetch" | "Promote" | "Demote"

/** A DAMOS action on `[firstPage, endPage)` of `arena` (page indices within the arena). */
export interface MemoryEvent {
  readonly _tag: MemoryEventKind
  readonly arena: Arena
  readonly firstPage: number
  readonly endPage: number
}

/** A range of instrumented memory. */
export interface Arena {
  readonly name: string
  /** First virtual address. */
  readonly start: number
  readonly bytes: number
  readonly pages: number
  /** The accessed bits, one byte per page: set by the marks, cleared by the monitor. */
  readonly bits: Uint8Array
  /** Marks page `page` (0-based) of the arena accessed: one store. */
  readonly markPage: (page: number) => void
  /** Marks the page holding byte `offset` of the arena accessed. */
  readonly mark: (offset: number) => void
}

/** Options of {@link make}. */
export interface InstrumentedOptions {
  /** Process id of the arenas (targets of `vaddr`/`fvaddr`). Defaults to 1. */
  readonly pid?: number
  /** Address of the first arena (2 MiB aligned). Defaults to `0x7f00_0000_0000`. */
  readonly base?: number
  /** Called for each action a scheme applies to a range of an arena. */
  readonly onEvent?: (event: MemoryEvent) => void
  /**
   * Exact truth of the marks: each mark is also counted at world time `nowUs()` (a mark then
   * costs a few stores more; meant for accuracy runs).
   */
  readonly truth?: { readonly recorder: PageTruth; readonly nowUs: () => number }
}

/** Instrumented memory of one application. */
export interface InstrumentedMemory {
  readonly pid: number
  readonly space: AddressSpace
  /** Allocates an arena of `bytes` (rounded up to pages); a bad size or name is an `InvalidArgument`. */
  readonly allocate: (name: string, bytes: number) => Result.Result<Arena, DamonError>
  readonly arenas: () => ReadonlyArray<Arena>
  /** The arenas' ranges, sorted: the regions of an `fvaddr` target. */
  readonly ranges: () => ReadonlyArray<AddrRange>
}

const eventKind = (req: ActionRequest): MemoryEventKind | undefined => {
  switch (req.action) {
    case "pageout":
      return "Evict"
    case "willneed":
      return "Prefetch"
    case "activate":
      return "Promote"
    case "deactivate":
      return "Demote"
    case "migrate": {
      const nid = req.dests.length > 0 ? req.dests[0]!.nid : req.targetNid
      return nid < 0 ? undefined : nid === 0 ? "Promote" : "Demote"
    }
    default:
      return undefined
  }
}

/** Instrumented memory with no arenas yet. */
export const make = (options: InstrumentedOptions = {}): InstrumentedMemory => {
  const pid = options.pid ?? 1
  const onEvent = options.onEvent
  const truth = options.truth
  const list: Array<Arena> = []
  let next = options.base ?? 0x7f00_0000_0000

  const allocate = (name: string, bytes: number): Result.Result<Arena, DamonError> => {
    if (!(Number.isSafeInteger(bytes) && bytes > 0 && bytes <= 2 ** 40)) {
      return Result.fail(invalidArgument("bytes", bytes, "must be an integer in [1, 2^40]"))
    }
    if (name === "" || list.some((a) => a.name === name)) {
      return Result.fail(invalidArgument("name", JSON.stringify(name), "must be a non-empty name no other arena has"))
    }
    const pages = Math.ceil(bytes / PAGE)
    const start = next
    const bits = new Uint8Array(pages)
    const firstPage = start / PAGE
    const markPage = truth === undefined
      ? (page: number): void => {
        bits[page] = 1
      }
      : (page: number): void => {
        bits[page] = 1
        truth.recorder.record(firstPage + page, truth.recorder.tickOf(truth.nowUs()))
      }
    const arena: Arena = { name, start, bytes: pages * PAGE, pages, bits, markPage, mark: (offset) => markPage(Math.floor(offset / PAGE)) }
    list.push(arena)
    next = Math.ceil((start + pages * PAGE) / ALIGN) * ALIGN + ALIGN
    return Result.succeed(arena)
  }

  /** The arena holding `addr`, or `undefined` (arenas are sorted by address). */
  const arenaAt = (addr: number): Arena | undefined => {
    let lo = 0
    let hi = list.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      const a = list[mid]!
      if (addr < a.start) hi = mid - 1
      else if (addr >= a.start + a.bytes) lo = mid + 1
      else return a
    }
    return undefined
  }

  const sampler = (): AccessSampler => ({
    folioSz: PAGE,
    mkold: (p, addr) => {
      if (p !== null && p !== pid) return
      const a = arenaAt(addr)
      if (a !== undefined) a.bits[Math.floor((addr - a.start) / PAGE)] = 0
    },
    young: (p, addr) => {
      if (p !== null && p !== pid) return -1
      const a = arenaAt(addr)
      return a === undefined ? -1 : a.bits[Math.floor((addr - a.start) / PAGE)]!
    }
  })

  const folio = { anon: true, active: false, memcgId: 0, young: false, folioSz: PAGE, mapped: true }

  /** Visits the arena pages of `[start, end)`: filters, bytes, one event per passing run of pages. */
  const act = (start: number, end: number, req: ActionRequest, out: ActionOutcome): void => {
    const from = Math.floor(start / PAGE) * PAGE
    const to = Math.ceil(end / PAGE) * PAGE
    const kind = eventKind(req)
    const chain = req.chain
    let mapped = 0
    let passed = 0
    for (const a of list) {
      const s = Math.max(a.start, from)
      const e = Math.min(a.start + a.bytes, to)
      if (s >= e) continue
      mapped += e - s
      out.folios += (e - s) / PAGE
      out.lastFolio = e - PAGE
      const p0 = (s - a.start) / PAGE
      const p1 = (e - a.start) / PAGE
      const tell = (first: number, until: number): void => {
        if (kind !== undefined && onEvent !== undefined) onEvent({ _tag: kind, arena: a, firstPage: first, endPage: until })
      }
      if (chain === null || chain.coreAllowed || !chain.hasYoung) {
        // No per-page attribute differs but the accessed bit: the whole range passes or not.
        if (chain === null || folioPasses(chain, folio)) {
          passed += e - s
          tell(p0, p1)
        }
        continue
      }
      let runFrom = -1
      for (let p = p0; p < p1; p++) {
        folio.young = a.bits[p] === 1
        const ok = folioPasses(chain, folio)
        // `damon_folio_mkold()`: the young filter clears the bit it read
        if (folio.young) a.bits[p] = 0
        if (ok) {
          passed += PAGE
          if (runFrom < 0) runFrom = p
        } else if (runFrom >= 0) {
          tell(runFrom, p)
          runFrom = -1
        }
      }
      if (runFrom >= 0) tell(runFrom, p1)
      folio.young = false
    }
    out.unmappedBytes += to - from - mapped
    out.passedBytes += passed
    if (req.action !== "stat") out.affectedBytes += passed
  }

  const ranges = (): ReadonlyArray<AddrRange> => list.map((a) => ({ start: a.start, end: a.start + a.bytes }))

  const space: AddressSpace = {
    name: "instrumented memory",
    processAlive: (p) => p === pid,
    mappings: (p) => (p === pid ? ranges() : []),
    systemRam: ranges,
    sampler,
    applyVirtual: (p, start, end, req, _nowUs, out) => {
      if (p !== pid) {
        out.unmappedBytes += Math.max(0, Math.ceil(end / PAGE) * PAGE - Math.floor(start / PAGE) * PAGE)
        return
      }
      act(start, end, req, out)
    },
    applyPhysical: (start, end, req, _nowUs, out) => act(start, end, req, out)
  }

  return { pid, space, allocate, arenas: () => list, ranges }
}
