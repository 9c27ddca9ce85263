/**
 * The virtual address space of a simulated process: a Linux x86-64 style layout (program text
 * and data, heap, a top-down mmap area with shared libraries and the workload's regions, the
 * stack near `0x7ffffffff000`) and the VMA list after mmap/munmap events. No kernel counterpart
 * beyond what `/proc/<pid>/maps` shows; pure (randomness comes in as an explicit `Rng`).
 */
import type { Rng } from "../core/Rng.ts"
import type { AddrRange } from "../model/AddrRange.ts"
import type { MasimConfig } from "./MasimConfig.ts"
import { alignDown, alignUp } from "./Arith.ts"
import { HUGE_PAGE_SIZE, PAGE_SIZE } from "./PageExtent.ts"

/** One mapping (`struct vm_area_struct`, as much of it as the simulator needs). */
export interface Vma {
  readonly start: number
  readonly end: number
  readonly name: string
  readonly anon: boolean
  /** Workload region backing the mapping, or `-1` (never accessed). */
  readonly regionIdx: number
  /** Offset of `start` inside the workload region. */
  readonly regionOff: number
  /** `vm_pgoff`: for anonymous mappings the page number of the original mapping start. */
  readonly pgoff: number
}

/** A change of the mappings at a point in time. `mmap` has MAP_FIXED semantics (replaces). */
export interface MapEvent {
  readonly atUs: number
  readonly kind: "mmap" | "munmap"
  readonly range: AddrRange
  readonly name?: string
  /** Anonymous (default) or file backed. */
  readonly anon?: boolean
}

/** Where the process's mappings and workload regions are. */
export interface ProcessLayout {
  readonly vmas: ReadonlyArray<Vma>
  /** Start address of each workload region. */
  readonly regionStart: ReadonlyArray<number>
}

/** Default base of the program text (`ELF_ET_DYN_BASE` of x86-64 PIE binaries). */
export const TEXT_BASE = 0x555555554000
/** Top of the user stack (`STACK_TOP` minus the guard page). */
export const STACK_TOP = 0x7ffffffff000
/** Minimum distance between the stack and the mmap base (`MIN_GAP`, 128 MiB). */
export const MMAP_GAP = 128 * 1024 * 1024

const KiB = 1024
const MiB = 1024 * KiB


const vma = (start: number, size: number, name: string, anon: boolean): Vma => ({
  start,
  end: start + size,
  name,
  anon,
  regionIdx: -1,
  regionOff: 0,
  pgoff: anon ? start / PAGE_SIZE : 0
})

/** Appends a library's segments ending at `top`; returns the lowest address used. */
const library = (out: Array<Vma>, top: number, name: string, segments: ReadonlyArray<number>): number => {
  let total = 0
  for (const s of segments) total += s
  let at = top - total
  const low = at
  let off = 0
  for (const s of segments) {
    out.push({ start: at, end: at + s, name, anon: false, regionIdx: -1, regionOff: 0, pgoff: off / PAGE_SIZE })
    at += s
    off += s
  }
  return low
}

/**
 * Lays out a process running `config` (or no workload when `null`), with seeded jitter like
 * ASLR. The two biggest gaps are heap-to-mmap and mmap-to-stack, as `threeRegions` assumes.
 *
 * **Details**
 * Workload regions are page aligned (regions of 2 MiB or more 2 MiB aligned, as Linux aligns
 * large anonymous mappings for THP), in configuration order from low to high addresses, with
 * gaps of 1-16 pages between them, right below the shared libraries. Throws a `RangeError` when
 * the workload does not fit between the heap and the mmap base (about 46 TB).
 */
export const layoutProcess = (config: MasimConfig | null, rng: Rng): ProcessLayout => {
  const out: Array<Vma> = []
  const text = TEXT_BASE + rng.rand(0, 4096) * PAGE_SIZE
  out.push(vma(text, 64 * KiB, "/usr/bin/masim", false))
  out.push({ ...vma(text + 64 * KiB, 256 * KiB, "/usr/bin/masim", false), pgoff: 16 })
  out.push({ ...vma(text + 320 * KiB, 64 * KiB, "/usr/bin/masim", false), pgoff: 80 })
  out.push({ ...vma(text + 384 * KiB, 16 * KiB, "/usr/bin/masim", false), pgoff: 96 })
  out.push(vma(text + 400 * KiB, 16 * KiB, "[bss]", true))
  const heap = text + 416 * KiB + rng.rand(1, 8192) * PAGE_SIZE
  out.push(vma(heap, 132 * KiB, "[heap]", true))
  const heapEnd = heap + 132 * KiB

  const stackEnd = STACK_TOP - rng.rand(0, 1024) * PAGE_SIZE
  const stackStart = stackEnd - 132 * KiB
  const mmapBase = alignDown(stackStart - MMAP_GAP - rng.rand(0, 4096) * PAGE_SIZE, PAGE_SIZE)
  const libs: Array<Vma> = []
  let low = library(libs, mmapBase, "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", [
    4 * KiB,
    156 * KiB,
    44 * KiB,
    8 * KiB
  ])
  low -= rng.rand(1, 17) * PAGE_SIZE
  low = library(libs, low, "/usr/lib/x86_64-linux-gnu/libc.so.6", [160 * KiB, 1640 * KiB, 352 * KiB, 16 * KiB, 8 * KiB])
  const anonTop = low - rng.rand(1, 17) * PAGE_SIZE
  libs.push(vma(anonTop - 52 * KiB, 52 * KiB, "", true))
  low = anonTop - 52 * KiB

  const regionStart: Array<number> = []
  const regionVmas: Array<Vma> = []
  if (config !== null && config.regions.length > 0) {
    const rel: Array<number> = []
    let pos = 0
    for (const r of config.regions) {
      if (r.size >= HUGE_PAGE_SIZE) pos = alignUp(pos, HUGE_PAGE_SIZE)
      rel.push(pos)
      pos += alignUp(r.size, PAGE_SIZE) + rng.rand(1, 17) * PAGE_SIZE
    }
    const base = alignDown(low - pos, HUGE_PAGE_SIZE)
    if (base < heapEnd + 1024 * MiB) {
      throw new RangeError(`workload of ${pos} bytes does not fit in the mmap area of the simulated process`)
    }
    config.regions.forEach((r, i) => {
      const start = base + rel[i]!
      regionStart.push(start)
      regionVmas.push({
        start,
        end: start + alignUp(r.size, PAGE_SIZE),
        name: `masim:${r.name}`,
        anon: true,
        regionIdx: i,
        regionOff: 0,
        pgoff: start / PAGE_SIZE
      })
    })
  }
  for (const v of regionVmas) out.push(v)
  libs.sort((a, b) => a.start - b.start)
  for (const v of libs) out.push(v)
  out.push(vma(stackStart, 132 * KiB, "[stack]", true))
  out.sort((a, b) => a.start - b.start)
  return { vmas: out, regionStart }
}

/** Removes `[start, end)` from `vmas` (splitting partially covered ones). Pure. */
export const unmapRange = (vmas: ReadonlyArray<Vma>, start: number, end: number): Array<Vma> => {
  const out: Array<Vma> = []
  for (const v of vmas) {
    if (v.end <= start || v.start >= end) {
      out.push(v)
      continue
    }
    if (v.start < start) out.push({ ...v, end: start })
    if (v.end > end) {
      const d = end - v.start
      out.push({ ...v, start: end, regionOff: v.regionOff + d, pgoff: v.pgoff + d / PAGE_SIZE })
    }
  }
  return out
}

/**
 * Applies one event to `vmas`: `munmap` removes the range; `mmap` replaces it with a new
 * mapping, which belongs to the workload region whose original placement contains its start
 * (so re-mapping a workload range resumes its accesses). Pure.
 */
export const applyEvent = (
  vmas: ReadonlyArray<Vma>,
  ev: MapEvent,
  regionStart: ReadonlyArray<number>,
  regionSize: ReadonlyArray<number>
): Array<Vma> => {
  const out = unmapRange(vmas, ev.range.start, ev.range.end)
  if (ev.kind === "mmap") {
    let regionIdx = -1
    let regionOff = 0
    for (let i = 0; i < regionStart.length; i++) {
      const s = regionStart[i]!
      if (ev.range.start >= s && ev.range.start < s + alignUp(regionSize[i]!, PAGE_SIZE)) {
        regionIdx = i
        regionOff = ev.range.start - s
      }
    }
    const anon = ev.anon ?? true
    out.push({
      start: ev.range.start,
      end: ev.range.end,
      name: ev.name ?? (regionIdx >= 0 ? "masim:remap" : ""),
      anon,
      regionIdx,
      regionOff,
      pgoff: anon ? ev.range.start / PAGE_SIZE : 0
    })
    out.sort((a, b) => a.start - b.start)
  }
  return out
}
