/**
 * Property tests of the ops-layer DAMOS filters and of the DAMOS statistics with the simulated
 * `vaddr` and `paddr` operations sets, driven through `applySchemes` over a `SimMachine` whose
 * pages are mixed: anonymous and file, several memcgs, huge and base pages, paged out (wholly or
 * partly), active and inactive, mapped and unmapped (page cache), young and old.
 *
 * An oracle written here derives the verdict of every folio the ops set visits from the machine's
 * page state, following kernel-semantics 4.8 (first matching ops filter decides, a core
 * allow-filter short-circuits, default reject = last ops filter's `allow`, paddr `pageout`'s
 * implicit young filter), and compares it with what the ops set reports. The page state is
 * fractional (extents), so verdicts are weighed over the young/old and active/inactive shares of
 * an extent.
 *
 * The folios the oracle visits are the kernel's walks, written out independently of the
 * simulator: vaddr's page-table walk takes the huge folios at both ends whole and skips the
 * scheme's `last_applied` only as the first present folio (`damos_va_stat_pmd_entry()` moves
 * `last_applied` on at every folio); paddr's walk is the literal loop of `damon_pa_stat()` and
 * friends (from `r.start` by `folio_size`, by `PAGE_SIZE` past a missing folio or `last_applied`).
 * The last `describe` pins those walks on hand-made cases.
 */
import { describe, it } from "@effect/vitest"
import { assert } from "../support/loopAssert.ts"
import { type ApplyHooks, applySchemes } from "../../src/core/damos/ApplySchemes.ts"
import { makeRng, type Rng } from "../../src/core/Rng.ts"
import type { DamonCtx } from "../../src/model/DamonCtx.ts"
import type { Action, Damos, Filter, Stat } from "../../src/model/Damos.ts"
import * as Region from "../../src/model/Region.ts"
import * as Target from "../../src/model/Target.ts"
import type { DamonOps, OpsEnv } from "../../src/ops/DamonOps.ts"
import { makePaddrOps } from "../../src/ops/paddr.ts"
import { makeVaddrOps } from "../../src/ops/vaddr.ts"
import { type FolioFilterChain, makeChain } from "../../src/ops/FolioFilter.ts"
import type { MasimConfig } from "../../src/sim/MasimConfig.ts"
import { findIndex, HUGE_PAGE_SIZE, lowerBound, PAGE_SIZE, type PageExtent } from "../../src/sim/PageExtent.ts"
import { makeOutcome, type MemAction } from "../../src/ops/AddressSpace.ts"
import { SimMachine } from "../../src/sim/SimMachine.ts"
import { simSpace } from "../../src/sim/SimSpace.ts"
import type { SimProcess } from "../../src/sim/SimProcess.ts"
import { cfg, MiB, unwrap } from "../sim/support.ts"
import { withoutShortcuts } from "../support/opsShortcuts.ts"
import { ctxOf, scheme as makeScheme } from "./support.ts"

const PAGE = PAGE_SIZE
const HUGE = HUGE_PAGE_SIZE

const pick = <A>(rng: Rng, xs: ReadonlyArray<A>): A => xs[rng.rand(0, xs.length)]!
const alignDown = (x: number, a: number): number => Math.floor(x / a) * a
const alignUp = (x: number, a: number): number => Math.ceil(x / a) * a

// --- The machine ------------------------------------------------------------------------------

/** A masim workload of 2-4 regions (some of several huge pages), some swept, some random, some idle. */
const randomWorkload = (rng: Rng): MasimConfig => {
  const n = rng.rand(2, 5)
  const lines: Array<string> = []
  const patterns: Array<string> = []
  for (let k = 0; k < n; k++) {
    const size = rng.rand(0, 2) === 0 ? rng.rand(1, 4) * HUGE + rng.rand(0, 8) * PAGE : rng.rand(1, 300) * PAGE
    lines.push(`r${k}, ${size}`)
    if (k === 0 || rng.rand(0, 3) !== 0) {
      patterns.push(`r${k}, ${rng.rand(0, 2)}, ${pick(rng, [4096, 8192, 65536])}, ${rng.rand(1, 10)}`)
    }
  }
  return cfg(`${lines.join("\n")}\n\nphase\n1000\n${patterns.join("\n")}\n`)
}

/** Every page owner of the machine, the unmapped page cache included (pid 0). */
const owners = (m: SimMachine): ReadonlyArray<SimProcess> => m.pageOwners()

const request = (action: MemAction, chain: FolioFilterChain | null) => ({
  action,
  chain,
  targetNid: 1,
  dests: [],
  splitThp: false,
  skipFolio: -1
})

/**
 * A machine of 2-3 processes (memcgs 1-3, THP on or off, preferred node 0 or 1) and, half of the
 * time, unmapped page cache; then random setup actions within 28 ms: whole and partial (old pages
 * only) pageouts, (de)activations, collapses and splits, so extents differ in every attribute.
 */
const randomMachine = (rng: Rng): SimMachine => {
  const nrProcs = rng.rand(2, 4)
  const processes = Array.from({ length: nrProcs }, (_, i) => ({
    pid: 11 * (i + 1),
    workload: randomWorkload(rng),
    throughput: pick(rng, [2e4, 2e5, 2e6, 5e7]),
    memcgId: rng.rand(1, 4),
    thp: pick(rng, ["never", "always"] as const),
    nid: rng.rand(0, 2)
  }))
  const m = unwrap(SimMachine.make({
    seed: rng.rand(1, 1000),
    nrNodes: 2,
    pageCacheBytes: rng.rand(0, 2) * rng.rand(1, 9) * MiB,
    processes
  }))
  const oldOnly = makeChain([{ type: "young", matching: true, allow: false }], false, false)
  let now = 0
  for (let k = 0; k < 8; k++) {
    now += rng.rand(1000, 3500)
    const p = pick(rng, m.processes())
    const vmas = p.vmasAt(now)
    const v = pick(rng, vmas)
    const start = v.start + rng.rand(0, (v.end - v.start) / PAGE) * PAGE
    const end = Math.min(v.end, start + rng.rand(1, 1024) * PAGE)
    const action = pick(rng, ["pageout", "pageout", "activate", "deactivate", "collapse", "nohugepage"] as const)
    const chain = rng.rand(0, 2) === 0 ? oldOnly : null
    if (action === "collapse") m.applyVirtual(p.pid, v.start, v.end, request("collapse", null), now, makeOutcome())
    else m.applyVirtual(p.pid, start, end, request(action, chain), now, makeOutcome())
  }
  const cache = owners(m).find((o) => o.pid === 0)
  if (cache !== undefined && cache.extents.length > 0 && rng.rand(0, 2) === 0) {
    const e = pick(rng, cache.extents)
    m.applyPhysical(e.pStart, e.pStart + (e.vEnd - e.vStart) / 2, request("pageout", null), now, makeOutcome())
  }
  return m
}

// --- Targets ----------------------------------------------------------------------------------

/** Splits `[start, end)` into 1-4 page-aligned regions at random (often not 2 MiB aligned) points. */
const splitRandomly = (rng: Rng, start: number, end: number, out: Array<Region.Region>): void => {
  const cuts = new Set<number>()
  const pages = (end - start) / PAGE
  const nr = rng.rand(0, 4)
  for (let i = 0; i < nr && pages > 1; i++) cuts.add(start + rng.rand(1, pages) * PAGE)
  const points = [start, ...[...cuts].sort((a, b) => a - b), end]
  for (let i = 0; i + 1 < points.length; i++) out.push(Region.make(points[i]!, points[i + 1]!))
}

/** A vaddr target per process: most mappings, split at random, some with a hole on either side. */
const vaddrTargets = (rng: Rng, m: SimMachine): Array<Target.Target> =>
  m.processes().map((p) => {
    const regions: Array<Region.Region> = []
    let prevEnd = 0
    for (const v of p.vmasAt(0)) {
      if (rng.rand(0, 5) === 0) continue
      const start = Math.max(prevEnd, rng.rand(0, 4) === 0 ? v.start - rng.rand(1, 8) * PAGE : v.start)
      const end = v.end + (rng.rand(0, 4) === 0 ? rng.rand(1, 8) * PAGE : 0)
      if (end <= start) continue
      splitRandomly(rng, start, end, regions)
      prevEnd = end
    }
    return Target.make(p.pid, regions)
  })

/**
 * The page extents of the machine whose frames meet the physical range `[start, end)` (all of
 * them by default), by physical address (a stable sort: what sorting all of them and dropping
 * the others gives).
 */
const physExtents = (m: SimMachine, start = -Infinity, end = Infinity): Array<PageExtent> => {
  const all: Array<PageExtent> = []
  for (const o of owners(m)) {
    for (const e of o.extents) if (e.pStart < end && e.pStart + (e.vEnd - e.vStart) > start) all.push(e)
  }
  return all.sort((a, b) => a.pStart - b.pStart)
}

/**
 * One or two paddr targets over the frames in use (spans of extents closer than 4 MiB, widened to
 * 2 MiB boundaries), in random chunks of up to 4 MiB, some left out.
 */
const paddrTargets = (rng: Rng, m: SimMachine): Array<Target.Target> => {
  const spans: Array<{ start: number; end: number }> = []
  for (const e of physExtents(m)) {
    const start = alignDown(e.pStart, HUGE)
    const end = alignUp(e.pStart + (e.vEnd - e.vStart), HUGE)
    const last = spans[spans.length - 1]
    if (last !== undefined && start <= last.end + 2 * HUGE) last.end = Math.max(last.end, end)
    else spans.push({ start, end })
  }
  const regions: Array<Region.Region> = []
  for (const span of spans) {
    for (let a = span.start; a < span.end;) {
      const b = Math.min(span.end, a + rng.rand(1, 1025) * PAGE)
      if (rng.rand(0, 6) !== 0) regions.push(Region.make(a, b))
      a = b
    }
  }
  if (rng.rand(0, 2) === 0 || regions.length < 2) return [Target.make(null, regions)]
  const cut = rng.rand(1, regions.length)
  return [Target.make(null, regions.slice(0, cut)), Target.make(null, regions.slice(cut))]
}

// --- Schemes ----------------------------------------------------------------------------------

/** A random ops filter: every ops type, random `matching`/`allow`. */
const randomOpsFilter = (rng: Rng): Filter => {
  const matching = rng.rand(0, 2) === 0
  const allow = rng.rand(0, 2) === 0
  switch (rng.rand(0, 6)) {
    case 0:
      return { type: "anon", matching, allow }
    case 1:
      return { type: "memcg", matching, allow, memcgId: rng.rand(0, 5) }
    case 2:
      return { type: "young", matching, allow }
    case 3:
      return {
        type: "hugepage_size",
        matching,
        allow,
        szRange: pick(rng, [
          { min: HUGE, max: HUGE },
          { min: 0, max: PAGE },
          { min: PAGE, max: HUGE },
          { min: 8192, max: MiB }
        ])
      }
    case 4:
      return { type: "unmapped", matching, allow }
    default:
      return { type: "active", matching, allow }
  }
}

/** A random core filter: an address range around the targets' regions, or a target index. */
const randomCoreFilter = (rng: Rng, targets: ReadonlyArray<Target.Target>): Filter => {
  const matching = rng.rand(0, 2) === 0
  const allow = rng.rand(0, 2) === 0
  if (rng.rand(0, 3) === 0) return { type: "target", matching, allow, targetIdx: rng.rand(0, targets.length + 1) }
  const t = pick(rng, targets)
  const r = pick(rng, t.regions)
  const start = r.start + rng.rand(0, 4) * PAGE + rng.rand(0, 2) * 100
  const last = pick(rng, t.regions.slice(t.regions.indexOf(r)))
  return { type: "addr", matching, allow, addrRange: { start, end: Math.max(start, last.end - rng.rand(0, 4) * PAGE) } }
}

interface SchemeSpec {
  readonly action: Action
  readonly filters: ReadonlyArray<Filter>
  readonly quotaSz: number
  readonly quotaMs: number
}

const vaddrActions: ReadonlyArray<Action> = [
  "stat",
  "stat",
  "stat",
  "migrate_hot",
  "migrate_cold",
  "pageout",
  "cold",
  "willneed",
  "nohugepage"
]
const paddrActions: ReadonlyArray<Action> = [
  "stat",
  "stat",
  "pageout",
  "pageout",
  "lru_prio",
  "lru_deprio",
  "migrate_cold",
  "migrate_hot",
  "willneed"
]

const randomSchemeSpec = (
  rng: Rng,
  kind: "vaddr" | "paddr",
  targets: ReadonlyArray<Target.Target>,
  quotas: boolean
): SchemeSpec => {
  const filters: Array<Filter> = []
  const nrOps = rng.rand(0, 5) === 0 ? 0 : rng.rand(1, 5)
  const nrCore = rng.rand(0, 3) === 0 ? rng.rand(1, 3) : 0
  for (let i = 0; i < nrOps; i++) filters.push(randomOpsFilter(rng))
  for (let i = 0; i < nrCore; i++) filters.push(randomCoreFilter(rng, targets))
  // Interleave core and ops filters as a user might add them (each lands in its own list).
  for (let i = filters.length - 1; i > 0; i--) {
    const j = rng.rand(0, i + 1)
    const tmp = filters[i]!
    filters[i] = filters[j]!
    filters[j] = tmp
  }
  return {
    action: pick(rng, kind === "vaddr" ? vaddrActions : paddrActions),
    filters,
    quotaSz: quotas && rng.rand(0, 2) === 0 ? rng.rand(1, 4096) * PAGE : 0,
    quotaMs: quotas && rng.rand(0, 3) === 0 ? rng.rand(1, 4) : 0
  }
}

// --- The oracle -------------------------------------------------------------------------------

const isCore = (f: Filter): boolean => f.type === "addr" || f.type === "target"

/**
 * The core verdict on region `r` of `t` (kernel-semantics 4.8): the first matching core filter
 * decides; else rejected by default only when there are no ops filters and the last core filter
 * allows. `allowed` = an allow-filter decided (the ops layer then passes everything).
 */
const coreVerdict = (
  ctx: DamonCtx,
  t: Target.Target,
  r: Region.Region,
  spec: SchemeSpec,
  at: string
): { readonly reject: boolean; readonly allowed: boolean } => {
  const core = spec.filters.filter(isCore)
  for (const f of core) {
    let cond: boolean
    if (f.type === "target") cond = ctx.targets.indexOf(t) === f.targetIdx
    else if (f.type === "addr") {
      const start = alignDown(f.addrRange.start, ctx.minRegionSz)
      const end = alignDown(f.addrRange.end, ctx.minRegionSz)
      const inside = start <= r.start && r.end <= end
      const outside = r.end <= start || end <= r.start
      assert.isTrue(inside || outside, `${at}: region [${r.start}, ${r.end}) straddles a deciding addr filter`)
      cond = inside
    } else continue
    if (cond === f.matching) return { reject: !f.allow, allowed: f.allow }
  }
  const hasOps = spec.filters.some((f) => !isCore(f))
  return { reject: !hasOps && core.length > 0 && core[core.length - 1]!.allow, allowed: false }
}

/** A visited piece of an extent, with the state the ops set sees (refaults settled). */
type Piece = PageExtent

const clip = (e: PageExtent, start: number, end: number): Piece => {
  const d = start - e.vStart
  return { ...e, vStart: start, vEnd: end, pStart: e.pStart + d, regionOff: e.regionOff + d }
}

/**
 * The machine's lazy refault rule (SimMachine header): a partly paged-out piece observed at
 * `now` is resident to `base + (1 - base) * touched(pagedOut, now)`; refaulted pages are active.
 */
const settled = (e: Piece, now: number): Piece => {
  if (e.resident >= 1 || !(now > e.pagedOutAtUs)) return e
  const q = e.owner.touchedFraction(e, e.pagedOutAtUs, now)
  const target = Math.min(1, e.refaultBase + (1 - e.refaultBase) * q)
  const back = target - e.resident
  if (!(back > 1e-12)) return e
  return { ...e, resident: target, active: Math.min(1, (e.active * e.resident + back) / target) }
}

/**
 * The pieces vaddr's page-table walk over `[vs, ve)` of `p` visits: huge folios at either end
 * whole; the first present folio skipped when it is `skip` (the scheme's `last_applied`; every
 * folio visited becomes `last_applied`, so the old one only counts when met first).
 */
const walkPieces = (p: SimProcess, vs: number, ve: number, skip: number, now: number, out: Array<Piece>): void => {
  const list = p.extents
  let start = alignDown(vs, PAGE)
  let end = alignUp(ve, PAGE)
  const a = findIndex(list, start)
  if (a >= 0 && list[a]!.huge) start = alignDown(start, HUGE)
  const b = findIndex(list, end - 1)
  if (b >= 0 && list[b]!.huge) end = alignUp(end, HUGE)
  let first = skip >= 0
  for (let i = lowerBound(list, start); i < list.length && list[i]!.vStart < end; i++) {
    const e = list[i]!
    let piece = settled(clip(e, Math.max(start, e.vStart), Math.min(end, e.vEnd)), now)
    if (first && piece.resident > 0) {
      first = false
      if (piece.pStart === skip) {
        const fsz = piece.huge ? HUGE : PAGE
        if (piece.vEnd - piece.vStart <= fsz) continue
        piece = settled(clip(piece, piece.vStart + fsz, piece.vEnd), now)
      }
    }
    out.push(piece)
  }
}

/**
 * The pieces paddr's walk over the physical range `[start, end)` visits, as the kernel's loop:
 * `addr` from `start`; the folio containing `addr` (`page_folio()`) is visited whole and `addr`
 * moves on by its size; with no folio there (a free frame) or at `skip` (`last_applied`, fixed
 * during the walk) `addr` moves on by a page; stop at `end`. `all` is every extent by physical
 * address; consecutive folios of one extent are gathered into one piece.
 */
const physWalkPieces = (
  all: ReadonlyArray<PageExtent>,
  start: number,
  end: number,
  skip: number,
  now: number,
  out: Array<Piece>
): void => {
  let k = 0
  let run: { e: PageExtent; ps: number; pe: number } | undefined
  const flush = () => {
    if (run === undefined) return
    const { e, ps, pe } = run
    out.push(settled(clip(e, e.vStart + (ps - e.pStart), e.vStart + (pe - e.pStart)), now))
    run = undefined
  }
  for (let addr = start; addr < end;) {
    const pfn = alignDown(addr, PAGE)
    while (k < all.length && all[k]!.pStart + (all[k]!.vEnd - all[k]!.vStart) <= pfn) k++
    const e = k < all.length && all[k]!.pStart <= pfn ? all[k]! : undefined
    if (e === undefined) {
      addr += PAGE
      continue
    }
    const fsz = e.huge ? HUGE : PAGE
    const folio = e.pStart + alignDown(pfn - e.pStart, fsz)
    if (folio === skip) {
      addr += PAGE
      continue
    }
    if (run !== undefined && run.e === e && run.pe === folio) run.pe = folio + fsz
    else {
      flush()
      run = { e, ps: folio, pe: folio + fsz }
    }
    addr += fsz
  }
  flush()
}

/** The folio-level condition of an ops filter on a piece's folios that are (not) young / active. */
const condition = (f: Filter, e: Piece, young: boolean, active: boolean): boolean => {
  switch (f.type) {
    case "anon":
      return e.anon
    case "active":
      return active
    case "memcg":
      return e.memcgId === f.memcgId
    case "young":
      return young
    case "hugepage_size": {
      const folioSz = e.huge ? HUGE : PAGE
      return f.szRange.min <= folioSz && folioSz <= f.szRange.max
    }
    case "unmapped":
      return !e.mapped
    default:
      return false
  }
}

/**
 * Share of a piece's resident folios that pass `filters`: weighs the four young/active classes
 * by the piece's young share (accessed since its bits were last cleared) and active share.
 */
const passShare = (
  e: Piece,
  filters: ReadonlyArray<Filter>,
  coreAllowed: boolean,
  defaultReject: boolean,
  now: number
): number => {
  if (coreAllowed) return 1
  const young = filters.some((f) => f.type === "young") ? e.owner.touchedFraction(e, e.youngSinceUs, now) : 0
  let pass = 0
  for (const y of [true, false]) {
    const wy = y ? young : 1 - young
    for (const a of [true, false]) {
      const w = wy * (a ? e.active : 1 - e.active)
      if (!(w > 0)) continue
      let verdict = !defaultReject
      for (const f of filters) {
        if (condition(f, e, y, a) === f.matching) {
          verdict = f.allow
          break
        }
      }
      if (verdict) pass += w
    }
  }
  return pass
}

/** What the oracle expects of one `applyScheme` call. */
interface Expectation {
  /** The ops set walks folios and evaluates the ops filters. */
  readonly walks: boolean
  /** The ops set reports the passed bytes (`sz_filter_passed`). */
  readonly reports: boolean
  readonly pieces: ReadonlyArray<Piece>
  readonly shares: ReadonlyArray<number>
  /** Resident bytes visited, and the (unrounded) bytes passing the filters. */
  readonly evaluated: number
  readonly passed: number
  /** Bytes of the folios the walk covers (the upper bound of any applied bytes). */
  readonly covered: number
}

/** Which actions walk folios through the ops filters, and which report the passed bytes. */
const walkOf = (kind: "vaddr" | "paddr", s: Damos, hasOps: boolean): { walks: boolean; reports: boolean } => {
  if (kind === "vaddr") {
    if (s.action === "stat") return { walks: hasOps, reports: hasOps }
    // damos_va_migrate() filters folios but does not count sz_filter_passed (kernel R2).
    if (s.action === "migrate_hot" || s.action === "migrate_cold") return { walks: true, reports: false }
    return { walks: false, reports: false }
  }
  switch (s.action) {
    case "stat":
      return { walks: hasOps, reports: hasOps }
    case "pageout":
    case "lru_prio":
    case "lru_deprio":
    case "migrate_hot":
    case "migrate_cold":
      return { walks: true, reports: true }
    default:
      return { walks: false, reports: false }
  }
}

const predict = (
  kind: "vaddr" | "paddr",
  m: SimMachine,
  t: Target.Target,
  r: Region.Region,
  s: Damos,
  spec: SchemeSpec,
  coreAllowed: boolean,
  now: number
): Expectation => {
  const userOps = spec.filters.filter((f) => !isCore(f))
  const { walks, reports } = walkOf(kind, s, userOps.length > 0)
  const pieces: Array<Piece> = []
  if (walks) {
    if (kind === "vaddr") {
      const p = m.process(t.pid)
      if (p !== undefined) walkPieces(p, r.start, r.end, s.action === "stat" ? s.lastApplied : -1, now, pieces)
    } else {
      // the walk visits only frames in [alignDown(r.start), r.end): the extents there are all it needs
      physWalkPieces(physExtents(m, alignDown(r.start, PAGE), r.end), r.start, r.end, s.lastApplied, now, pieces)
    }
  }
  // paddr pageout re-checks accesses with a `young, matching, reject` filter unless the scheme has a
  // young filter; the default verdict stays the one of the user's ops filters.
  const implicitYoung = kind === "paddr" && s.action === "pageout" && !userOps.some((f) => f.type === "young")
  const chain: Array<Filter> = implicitYoung ? [...userOps, { type: "young", matching: true, allow: false }] : userOps
  const defaultReject = userOps.length > 0 && userOps[userOps.length - 1]!.allow
  let evaluated = 0
  let passed = 0
  let covered = 0
  const shares = pieces.map((e) => {
    const bytes = e.vEnd - e.vStart
    const share = passShare(e, chain, coreAllowed, defaultReject, now)
    evaluated += e.resident * bytes
    passed += share * e.resident * bytes
    covered += bytes
    return share
  })
  return { walks, reports, pieces, shares, evaluated, passed, covered }
}

/** `x` (bytes) rounded to whole pages the way the machine rounds: to nearest, ties either way. */
const matchesRounded = (actual: number, exactBytes: number): boolean => {
  const pages = exactBytes / PAGE
  const frac = pages - Math.floor(pages)
  if (Math.abs(frac - 0.5) < 1e-6) return actual === Math.floor(pages) * PAGE || actual === Math.ceil(pages) * PAGE
  return actual === Math.round(pages) * PAGE
}

/** Resident bytes of `[vStart, vEnd)` of each piece's owner, now. */
const residentIn = (pieces: ReadonlyArray<Piece>): number => {
  let sum = 0
  for (const pc of pieces) {
    const list = pc.owner.extents
    for (let i = lowerBound(list, pc.vStart); i < list.length && list[i]!.vStart < pc.vEnd; i++) {
      const e = list[i]!
      sum += e.resident * (Math.min(pc.vEnd, e.vEnd) - Math.max(pc.vStart, e.vStart))
    }
  }
  return sum
}

// --- The run ----------------------------------------------------------------------------------

/** What one seeded run observed, for the caller's coverage checks. */
interface RunTally {
  /** Calls whose filter verdicts were checked (the ops set walked with filters in force). */
  filteredCalls: number
  /** Of those, calls where some but not all evaluated bytes passed. */
  mixedCalls: number
  /** paddr pageout calls whose rejected bytes were observed as still resident. */
  pageoutChecks: number
  /** Calls that applied more bytes than the region has (huge folios at the ends). */
  appliedOverSz: number
  coreRejected: number
  /** Passes that ended with a scheme's quota full. */
  quotaFull: number
}

/**
 * How far one applying try may go past the region (kernel-semantics 4.10: applied bytes can
 * exceed tried ones with large folios). vaddr's page-table walk (`damos_va_migrate()`) takes the
 * huge folios at both ends whole; paddr walks from `r.start` in `folio_size` steps
 * (`damon_pa_pageout()` and friends), so it ends less than one folio past `r.end`; madvise
 * applies at most the page-aligned region and `stat` nothing.
 */
const appliedSlack = (kind: "vaddr" | "paddr", action: Action): number => {
  if (kind === "vaddr") return action === "migrate_hot" || action === "migrate_cold" ? 2 * (HUGE - PAGE) : 0
  switch (action) {
    case "pageout":
    case "lru_prio":
    case "lru_deprio":
    case "migrate_hot":
    case "migrate_cold":
      return HUGE - PAGE
    default:
      return 0
  }
}

const statFields: ReadonlyArray<keyof Stat> = [
  "nrTried",
  "szTried",
  "nrApplied",
  "szApplied",
  "szOpsFilterPassed",
  "qtExceeds",
  "nrSnapshots"
]

/**
 * One seeded run: a random machine, targets and 1-3 schemes with random ops and core filters,
 * then 10 apply passes 1-30 ms apart through `applySchemes` with the real ops set wrapped so that
 * every call is predicted before and checked after.
 */
interface RunOptions {
  /** Size and time quotas on half of the schemes (trims, resumes, window resets). */
  readonly quotas: boolean
  /** Hold every try and the stats to the kernel's bound on applied bytes ({@link appliedSlack}). */
  readonly kernelBound: boolean
}

const run = (seed: number, kind: "vaddr" | "paddr", opts: RunOptions, tally: RunTally): void => {
  const rng = makeRng(seed)
  const m = randomMachine(rng)
  const ctx = ctxOf(kind)
  ctx.targets = kind === "vaddr" ? vaddrTargets(rng, m) : paddrTargets(rng, m)
  const specs = new Map<Damos, SchemeSpec>()
  const nrSchemes = rng.rand(1, 4)
  for (let i = 0; i < nrSchemes; i++) {
    const spec = randomSchemeSpec(rng, kind, ctx.targets, opts.quotas)
    const s = makeScheme(ctx, {
      action: spec.action,
      filters: spec.filters,
      targetNid: rng.rand(0, 2),
      quota: { sz: spec.quotaSz, ms: spec.quotaMs, resetIntervalMs: pick(rng, [0, 20, 50]) }
    })
    ctx.schemes.push(s)
    specs.set(s, spec)
  }
  const real = kind === "vaddr" ? makeVaddrOps(simSpace(m)) : makePaddrOps(simSpace(m))
  const clock = { now: 30_000 }
  const env: OpsEnv = { rng, nowUs: () => clock.now }
  let at = `seed ${seed}`
  const passedThisPass = new Map<Damos, number>()
  let lastReported = -1
  // every call checked: the shortcuts that skip calls are off here (they are held to the calls
  // in spec/ops/OpsShortcuts.test.ts)
  const ops: DamonOps = {
    ...withoutShortcuts(real),
    applyScheme: (c, t, r, s, e, o) => {
      const spec = specs.get(s)!
      const where = `${at} scheme ${ctx.schemes.indexOf(s)} (${s.action}) region [${r.start}, ${r.end})`
      const core = coreVerdict(c, t, r, spec, where)
      assert.isFalse(core.reject, `${where}: the core filters reject it, yet the ops set was called`)
      m.advance(clock.now)
      const exp = predict(kind, m, t, r, s, spec, core.allowed, clock.now)
      real.applyScheme!(c, t, r, s, e, o)
      const sz = r.end - r.start
      if (exp.reports) {
        assert.isTrue(
          matchesRounded(o.filterPassed, exp.passed),
          `${where}: ops filters passed ${o.filterPassed} bytes, the oracle ${exp.passed} of ${exp.evaluated} evaluated`
        )
        tally.filteredCalls++
        if (exp.passed > PAGE && exp.evaluated - exp.passed > PAGE) tally.mixedCalls++
      } else {
        assert.strictEqual(o.filterPassed, 0, `${where}: no ops-filter walk, yet ${o.filterPassed} bytes passed`)
      }
      if (exp.walks && kind === "paddr" && s.action === "pageout") {
        // The rejected bytes are exactly the ones left resident: passed + rejected = evaluated.
        const rejected = residentIn(exp.pieces)
        const gap = Math.abs(o.filterPassed + rejected - exp.evaluated)
        const msg = `${where}: passed ${o.filterPassed} + still resident ${rejected} != evaluated ${exp.evaluated}`
        assert.isTrue(gap <= PAGE / 2 + 1e-3, msg)
        tally.pageoutChecks++
      }
      if (kind === "paddr" && (s.action === "pageout" || s.action === "lru_prio" || s.action === "lru_deprio")) {
        assert.isTrue(o.applied <= o.filterPassed, `${where}: applied ${o.applied} > passed ${o.filterPassed}`)
      }
      if (exp.walks) {
        const msg = `${where}: applied ${o.applied} > ${exp.covered} bytes of folios in reach`
        assert.isTrue(o.applied <= exp.covered, msg)
      } else {
        assert.isTrue(o.applied <= alignUp(sz, PAGE), `${where}: applied ${o.applied} > region size ${sz}`)
      }
      if (opts.kernelBound) {
        const bound = alignUp(sz, PAGE) + appliedSlack(kind, s.action)
        const msg = `${where}: applied ${o.applied} > ${bound}, the kernel's bound for a ${sz} bytes region`
        assert.isTrue(o.applied <= bound, msg)
      }
      if (o.applied > sz) tally.appliedOverSz++
      passedThisPass.set(s, (passedThisPass.get(s) ?? 0) + o.filterPassed)
      lastReported = o.filterPassed
    }
  }
  const hooks: ApplyHooks = {
    onApplied: (_t, _r, _s, szFilterPassed) => {
      const msg = `${at}: the walk saw other passed bytes than the ops set reported`
      assert.strictEqual(szFilterPassed, lastReported, msg)
    },
    walkComplete: () => {},
    onCoreFilteredOut: (t, r, s) => {
      const verdict = coreVerdict(ctx, t, r, specs.get(s)!, at)
      const msg = `${at}: region [${r.start}, ${r.end}) rejected by the core filters, the oracle lets it through`
      assert.isTrue(verdict.reject, msg)
      tally.coreRejected++
    }
  }
  for (let pass = 0; pass < 10; pass++) {
    at = `seed ${seed} pass ${pass}`
    clock.now += rng.rand(1000, 30_000)
    for (const t of ctx.targets) {
      for (const r of t.regions) {
        r.nrAccesses = rng.rand(0, 21)
        r.nrAccessesBp = r.nrAccesses * 10000
        r.age = rng.rand(0, 30)
      }
    }
    const before = ctx.schemes.map((s) => ({ ...s.stat }))
    passedThisPass.clear()
    ctx.passedSampleIntervals += 20
    applySchemes(ctx, ops, env, Math.floor(clock.now / 1000), hooks)
    ctx.schemes.forEach((s, i) => {
      const st = s.stat
      const b = before[i]!
      for (const f of statFields) assert.isTrue(st[f] >= b[f], `${at}: scheme ${i} ${f} went down`)
      assert.strictEqual(
        st.szOpsFilterPassed - b.szOpsFilterPassed,
        passedThisPass.get(s) ?? 0,
        `${at}: scheme ${i} szOpsFilterPassed grew by other than the passed bytes of its regions`
      )
      assert.isTrue(st.nrApplied <= st.nrTried, `${at}: scheme ${i} nrApplied ${st.nrApplied} > nrTried ${st.nrTried}`)
      if (opts.kernelBound) {
        const slack = appliedSlack(kind, s.action)
        assert.isTrue(
          st.szApplied <= st.szTried + st.nrApplied * slack,
          `${at}: scheme ${i} (${s.action}) szApplied ${st.szApplied} > ` +
            `szTried ${st.szTried} + ${st.nrApplied} x ${slack}`
        )
      }
      assert.strictEqual(s.lastApplied, -1, `${at}: scheme ${i} last_applied survived the pass`)
      if (s.quota.sz !== 0 || s.quota.ms !== 0) {
        const msg = `${at}: scheme ${i} charged ${s.quota.chargedSz} > esz ${s.quota.esz}`
        assert.isTrue(s.quota.chargedSz <= s.quota.esz, msg)
        if (s.quota.chargedSz === s.quota.esz || s.quota.esz - s.quota.chargedSz < PAGE) tally.quotaFull++
      }
    })
  }
  for (const [s, spec] of specs) {
    if (s.action === "stat" && !spec.filters.some((f) => !isCore(f))) {
      assert.strictEqual(s.stat.szOpsFilterPassed, 0, `seed ${seed}: stat without ops filters counted passed bytes`)
    }
  }
}

const newTally = (): RunTally => ({
  filteredCalls: 0,
  mixedCalls: 0,
  pageoutChecks: 0,
  appliedOverSz: 0,
  coreRejected: 0,
  quotaFull: 0
})

/*
 * Runs: 200 seeds per ops set without quotas, 150 with, each seed a new machine, targets and 1-3
 * schemes over 10 passes (about 1 s of CPU per test). The counts are set by the rarest thing the
 * tallies must see, with a margin of about 2 (measured): with quotas, vaddr applies past a
 * region's end (huge folios at its ends) in 27 tries (more than 10 asserted); mixed verdicts,
 * core rejections and full quotas are ten to a hundred times their thresholds.
 */
describe("ops filters with the simulated ops sets", () => {
  it("vaddr: every stat call's passed bytes are the oracle's folio verdicts; nothing without ops filters", () => {
    const tally = newTally()
    for (let seed = 1; seed <= 200; seed++) run(seed * 7_919, "vaddr", { quotas: false, kernelBound: false }, tally)
    assert.isAbove(tally.filteredCalls, 1000)
    assert.isAbove(tally.mixedCalls, 100)
    assert.isAbove(tally.coreRejected, 100)
  })

  it("paddr: passed bytes are the oracle's folio verdicts, and passed + rejected = evaluated bytes", () => {
    const tally = newTally()
    for (let seed = 1; seed <= 200; seed++) run(seed * 104_729, "paddr", { quotas: false, kernelBound: false }, tally)
    assert.isAbove(tally.filteredCalls, 1000)
    assert.isAbove(tally.mixedCalls, 100)
    assert.isAbove(tally.pageoutChecks, 300)
    assert.isAbove(tally.coreRejected, 100)
  })

  it("vaddr with quotas: stats only grow, nrApplied <= nrTried, applied bytes within the kernel's bound", () => {
    const tally = newTally()
    for (let seed = 1; seed <= 150; seed++) run(seed * 31_337, "vaddr", { quotas: true, kernelBound: true }, tally)
    assert.isAbove(tally.appliedOverSz, 10)
    assert.isAbove(tally.quotaFull, 50)
  })

  it("paddr with quotas: stats only grow, nrApplied <= nrTried, applied bytes within the kernel's bound", () => {
    const tally = newTally()
    for (let seed = 1; seed <= 150; seed++) run(seed * 65_521, "paddr", { quotas: true, kernelBound: true }, tally)
    assert.isAbove(tally.appliedOverSz, 20)
    assert.isAbove(tally.quotaFull, 50)
  })
})

describe("ops walks against the kernel's", () => {
  // One process sweeping 16 MiB (4096 pages) in about 4 ms.
  const machine = (thp: "never" | "always") =>
    unwrap(SimMachine.make({
      seed: 1,
      processes: [{
        pid: 42,
        workload: cfg(`big, ${16 * MiB}\n\nsweep\n1000\nbig, 0, 4096, 1\n`),
        throughput: 1e6,
        thp
      }]
    }))
  const envAt = (now: number): OpsEnv => ({ rng: makeRng(1), nowUs: () => now })
  const out = () => ({ applied: 0, filterPassed: 0, costNs: 0 })

  it("paddr walks from r.start in folio_size steps (damon_pa_stat): a folio past the end is the next region's", () => {
    const m = machine("always")
    const e = m.process(42)!.extents.find((x) => x.huge && x.vEnd - x.vStart >= 3 * HUGE)!
    const f = e.pStart
    const ctx = ctxOf("paddr")
    // Huge folios F0 = [f, f + 2M), F1 = [f + 2M, f + 4M), F2; regions [f + 1M, f + 3M) and
    // [f + 3M, f + 5M) each cut two of them in the middle.
    const half = HUGE / 2
    const t = Target.make(null, [Region.make(f + half, f + 3 * half), Region.make(f + 3 * half, f + 5 * half)])
    ctx.targets.push(t)
    const s = makeScheme(ctx, {
      action: "stat",
      filters: [{ type: "hugepage_size", matching: true, allow: true, szRange: { min: HUGE, max: HUGE } }]
    })
    const ops = makePaddrOps(simSpace(m))
    const passed = t.regions.map((r) => {
      const o = out()
      ops.applyScheme!(ctx, t, r, s, envAt(1000), o)
      return o.filterPassed
    })
    // mm/damon/paddr.c damon_pa_stat(): region 1's walk starts at f + 1M in F0, counts it and
    // steps by folio_size to f + 3M, its end: F1 is not visited. Region 2's walk starts at f + 3M
    // in F1 (not last_applied, which is F0), counts it and steps to f + 5M, its end. The simulator
    // visits every folio the region touches: F0 and F1, then F2 (F1 being last_applied).
    assert.deepStrictEqual(passed, [HUGE, HUGE])
  })

  it("paddr keeps its offset into a huge folio in the next chunk (base pages before it are not visited)", () => {
    const m = unwrap(SimMachine.make({
      seed: 1,
      processes: [{
        pid: 42,
        workload: cfg(`big, ${16 * MiB + 32 * 1024}\n\nsweep\n1000\nbig, 0, 4096, 1\n`),
        thp: "always"
      }]
    }))
    const list = m.process(42)!.extents
    // The workload region ends in eight base pages right after its last huge page, on adjacent
    // frames.
    const i = list.findIndex((x, k) => x.huge && list[k + 1] !== undefined && !list[k + 1]!.huge)
    assert.isAtLeast(i, 0)
    const h = list[i]!
    const tail = list[i + 1]!
    const last = h.pStart + (h.vEnd - h.vStart) - HUGE
    assert.strictEqual(tail.pStart, last + HUGE)
    assert.isTrue(tail.anon && tail.vEnd - tail.vStart >= 8 * PAGE)
    const ctx = ctxOf("paddr")
    const t = Target.make(null, [Region.make(last + HUGE / 2, last + HUGE + 8 * PAGE)])
    ctx.targets.push(t)
    const s = makeScheme(ctx, { action: "stat", filters: [{ type: "anon", matching: true, allow: true }] })
    const o = out()
    makePaddrOps(simSpace(m)).applyScheme!(ctx, t, t.regions[0]!, s, envAt(1000), o)
    // damon_pa_stat(): addr = last + 1M finds the huge folio, counts it and steps by 2M to
    // last + 3M, past the region end: the eight base pages at last + 2M are never looked at.
    assert.strictEqual(o.filterPassed, HUGE)
    assert.strictEqual(s.lastApplied, last)
  })

  it("paddr skips last_applied wherever the walk meets it, page by page (damon_pa_invalid_damos_folio)", () => {
    const m = machine("always")
    const e = m.process(42)!.extents.find((x) => x.huge && x.vEnd - x.vStart >= 3 * HUGE)!
    const f = e.pStart
    const ctx = ctxOf("paddr")
    const t = Target.make(null, [Region.make(f + HUGE / 2, f + 2 * HUGE + PAGE)])
    ctx.targets.push(t)
    const s = makeScheme(ctx, { action: "stat", filters: [{ type: "anon", matching: true, allow: true }] })
    const ops = makePaddrOps(simSpace(m))
    // Unlike vaddr, paddr sets last_applied only after the walk, so it is invalid all along:
    // F0 (at f + 1M) counts, F1 (at f + 3M) is last_applied and is crossed a page at a time to
    // f + 4M, where F2 counts; then f + 6M ends the walk. Stepping over F1 by its size would
    // have ended at f + 5M without F2.
    s.lastApplied = f + HUGE
    const o = out()
    ops.applyScheme!(ctx, t, t.regions[0]!, s, envAt(1000), o)
    assert.strictEqual(o.filterPassed, 2 * HUGE)
    assert.strictEqual(s.lastApplied, f + 2 * HUGE)
    // Base pages: last_applied in the middle of the region is skipped, the rest counts.
    const b = unwrap(SimMachine.make({
      seed: 1,
      processes: [{ pid: 42, workload: cfg(`big, ${16 * MiB}\n\nsweep\n1000\nbig, 0, 4096, 1\n`), throughput: 1e6 }]
    }))
    const x = b.process(42)!.extents.find((y) => y.anon && y.vEnd - y.vStart >= 64 * 1024)!
    const bt = Target.make(null, [Region.make(x.pStart, x.pStart + 64 * 1024)])
    const bctx = ctxOf("paddr")
    bctx.targets.push(bt)
    const bs = makeScheme(bctx, { action: "stat", filters: [{ type: "anon", matching: true, allow: true }] })
    bs.lastApplied = x.pStart + 32 * 1024
    const bo = out()
    makePaddrOps(simSpace(b)).applyScheme!(bctx, bt, bt.regions[0]!, bs, envAt(1000), bo)
    assert.strictEqual(bo.filterPassed, 60 * 1024)
    assert.strictEqual(bs.lastApplied, x.pStart + 60 * 1024)
  })

  it("vaddr stat skips last_applied only as the first present folio (damos_va_stat_pmd_entry)", () => {
    const m = machine("never")
    const p = m.process(42)!
    const start = p.regionStart[0]!
    const ctx = ctxOf("vaddr")
    const t = Target.make(42, [Region.make(start, start + 64 * 1024)])
    ctx.targets.push(t)
    const s = makeScheme(ctx, { action: "stat", filters: [{ type: "anon", matching: true, allow: true }] })
    const ops = makeVaddrOps(simSpace(m))
    const stat = (from: number, to: number) => {
      const o = out()
      ops.applyScheme!(ctx, t, Region.make(start + from * 1024, start + to * 1024), s, envAt(1000), o)
      return o.filterPassed
    }
    assert.strictEqual(stat(0, 64), 64 * 1024)
    const l = m.translate(42, start + 60 * 1024)
    assert.strictEqual(s.lastApplied, l)
    // Page out the page before last_applied (no time passes, so it stays out).
    m.applyVirtual(42, start + 56 * 1024, start + 60 * 1024, request("pageout", null), 1000, makeOutcome())
    // [56K, 64K): the first present folio is last_applied (invalid); nothing counts and
    // last_applied stays.
    assert.strictEqual(stat(56, 64), 0)
    assert.strictEqual(s.lastApplied, l)
    // [48K, 64K): 48K and 52K count and each becomes last_applied, so when the walk reaches the
    // old last_applied at 60K it is valid again and counts (R2 walks regions split off by a later
    // scheme, kernel-semantics 4.9, so a scheme can meet a range twice in a pass).
    assert.strictEqual(stat(48, 64), 12 * 1024)
    assert.strictEqual(s.lastApplied, l)
  })

  it("paddr lru_prio with an inactive filter activates exactly the inactive folios (folio_activate)", () => {
    const m = machine("never")
    const p = m.process(42)!
    const start = p.regionStart[0]!
    const chain = makeChain([{ type: "young", matching: true, allow: true }], false, true)
    m.applyVirtual(42, start, start + 16 * MiB, request("activate", chain), 2000, makeOutcome())
    const e = p.extents[findIndex(p.extents, start)]!
    const inactive = 1 - e.active
    assert.isTrue(inactive > 0 && inactive < 1, `inactive share ${inactive}`)
    const len = e.vEnd - e.vStart
    const ctx = ctxOf("paddr")
    const t = Target.make(null, [Region.make(e.pStart, e.pStart + len)])
    ctx.targets.push(t)
    const s = makeScheme(ctx, { action: "lru_prio", filters: [{ type: "active", matching: false, allow: true }] })
    const o = out()
    makePaddrOps(simSpace(m)).applyScheme!(ctx, t, t.regions[0]!, s, envAt(2000), o)
    assert.strictEqual(p.extents[findIndex(p.extents, start)]!.active, 1)
    // Only the inactive folios passed and were activated.
    assert.strictEqual(o.applied, Math.round((inactive * len) / PAGE) * PAGE)
    assert.strictEqual(o.filterPassed, o.applied)
  })

  it("paddr lru_deprio with an active filter deactivates exactly the active folios (folio_deactivate)", () => {
    const m = machine("never")
    const p = m.process(42)!
    const start = p.regionStart[0]!
    // Activate the pages the sweep touched in the last 2 ms: the region becomes partly active.
    const chain = makeChain([{ type: "young", matching: true, allow: true }], false, true)
    m.applyVirtual(42, start, start + 16 * MiB, request("activate", chain), 2000, makeOutcome())
    const e = p.extents[findIndex(p.extents, start)]!
    assert.isTrue(e.active > 0 && e.active < 1, `active share ${e.active}`)
    const ctx = ctxOf("paddr")
    const t = Target.make(null, [Region.make(e.pStart, e.pStart + (e.vEnd - e.vStart))])
    ctx.targets.push(t)
    const s = makeScheme(ctx, { action: "lru_deprio", filters: [{ type: "active", matching: true, allow: true }] })
    const ops = makePaddrOps(simSpace(m))
    const o = out()
    ops.applyScheme!(ctx, t, t.regions[0]!, s, envAt(2000), o)
    const after = p.extents[findIndex(p.extents, start)]!
    // Every active folio passes the filter and is deactivated; the inactive ones are rejected.
    assert.strictEqual(after.active, 0)
  })
})
