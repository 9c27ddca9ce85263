/**
 * The process timeline of the simulated machine: when each process starts (its initial mappings
 * appear), when its `mmap`/`munmap` events happen and when it exits (everything is unmapped).
 * Time is world time; the timeline follows the latest time it is given (`advance`) and never
 * goes back. It decides what happens when; a {@link TimelineSink} (the machine) decides what a
 * mapping costs in memory.
 */
import type { MapEvent, Vma } from "./ProcessLayout.ts"
import type { SimProcess } from "./SimProcess.ts"

/** What the timeline drives. */
export interface TimelineSink {
  /** Time passed from `fromUs` to `toUs`, before the changes due by `toUs` apply. */
  readonly elapsed: (fromUs: number, toUs: number) => void
  /** The mapping `v` of `p` appears at `atUs`. */
  readonly map: (p: SimProcess, v: Vma, atUs: number) => void
  /** `[start, end)` of `p` is unmapped (infinite bounds: the whole address space). */
  readonly unmap: (p: SimProcess, start: number, end: number) => void
}

interface TimelineEntry {
  readonly atUs: number
  readonly order: number
  readonly proc: SimProcess
  readonly kind: "start" | "event" | "exit"
  readonly event: MapEvent | undefined
}

/**
 * The processes and their timeline.
 *
 * **Gotchas**
 * Stateful: `advance` moves the timeline's time and drives the sink.
 */
export class ProcessTimeline {
  private readonly sink: TimelineSink
  private readonly procs = new Map<number, SimProcess>()
  private readonly entries: Array<TimelineEntry> = []
  private nextEntry = 0
  private lastUs = Number.NEGATIVE_INFINITY

  /**
   * The timeline of `processes` (pids distinct): per process, by pid, its start, its events and
   * its exit; changes due at the same time apply in that order. Nothing happens before the
   * first `advance`.
   */
  constructor(processes: ReadonlyArray<SimProcess>, sink: TimelineSink) {
    this.sink = sink
    let order = 0
    for (const p of [...processes].sort((a, b) => a.pid - b.pid)) {
      this.procs.set(p.pid, p)
      this.entries.push({ atUs: p.startUs, order: order++, proc: p, kind: "start", event: undefined })
      for (const ev of p.events) {
        this.entries.push({ atUs: Math.max(ev.atUs, p.startUs), order: order++, proc: p, kind: "event", event: ev })
      }
      if (Number.isFinite(p.exitUs)) this.entries.push({ atUs: p.exitUs, order: order++, proc: p, kind: "exit", event: undefined })
    }
    this.entries.sort((a, b) => a.atUs - b.atUs || a.order - b.order)
  }

  /** The latest time given to `advance` (minus infinity before the first). */
  get nowUs(): number {
    return this.lastUs
  }

  /** The process with `pid`, if the timeline has one (alive or not). */
  process(pid: number | null): SimProcess | undefined {
    return pid === null ? undefined : this.procs.get(pid)
  }

  /** Every process, by pid. */
  processes(): ReadonlyArray<SimProcess> {
    return [...this.procs.values()]
  }

  /**
   * Moves to `nowUs`: reports the elapsed time to the sink, then applies every start, mapping
   * event and exit due by then. Earlier times are ignored.
   *
   * **Gotchas**
   * Cheap when nothing is due (two comparisons).
   */
  advance(nowUs: number): void {
    if (!(nowUs > this.lastUs)) return
    if (this.lastUs !== Number.NEGATIVE_INFINITY) this.sink.elapsed(this.lastUs, nowUs)
    this.lastUs = nowUs
    const list = this.entries
    while (this.nextEntry < list.length && list[this.nextEntry]!.atUs <= nowUs) this.apply(list[this.nextEntry++]!)
  }

  private apply(entry: TimelineEntry): void {
    const p = entry.proc
    switch (entry.kind) {
      case "start":
        for (const v of p.initialVmas) this.sink.map(p, v, entry.atUs)
        return
      case "exit":
        this.sink.unmap(p, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY)
        return
      case "event": {
        const ev = entry.event!
        this.sink.unmap(p, ev.range.start, ev.range.end)
        if (ev.kind === "mmap") {
          const v = p.vmasAt(entry.atUs).find((x) => x.start === ev.range.start)
          if (v !== undefined) this.sink.map(p, v, entry.atUs)
        }
        return
      }
    }
  }
}
