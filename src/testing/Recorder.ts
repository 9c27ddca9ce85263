/**
 * The recorder of one run: appends history events (`History.ts`) as the recording handles, the
 * instrumented ops sets and the engine probes report them, and keeps the little state they need
 * (whether an ops hook or a user function is running, which walks are pending).
 */
import * as Cause from "effect/Cause"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import type { CallPoint, WalkVisit } from "../engine/Control.ts"
import type { KdamondStats } from "../engine/KdamondStats.ts"
import { DamonError } from "../model/DamonError.ts"
import type { DamonCtx } from "../model/DamonCtx.ts"
import type { Event, Outcome, View } from "./History.ts"
import { shapeOf } from "./Shape.ts"

/**
 * Thrown by a scenario's function to fail on purpose (a `CallbackFailed` the test expects).
 * Anything else a function run on the kdamond throws is a crash (the `noCrashes` invariant).
 */
export class Deliberate extends Error {
  override readonly name = "Deliberate"
}

const brief = (value: unknown): string => {
  if (value === undefined) return ""
  const text = typeof value === "string" ? value : JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? String(v) : v))
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text
}

/** What is wrong with the regions of `ctx`: each target's regions non-empty, sorted, apart, counts within the window. */
const inconsistencies = (ctx: DamonCtx): Array<string> => {
  const out: Array<string> = []
  const maxNr = Math.floor(ctx.attrs.aggrIntervalUs / Math.max(ctx.attrs.sampleIntervalUs, 1))
  ctx.targets.forEach((t, ti) => {
    t.regions.forEach((r, i) => {
      const prev = t.regions[i - 1]
      if (r.end <= r.start) out.push(`target ${ti} region ${i} [${r.start}, ${r.end}) is empty`)
      if (prev !== undefined && prev.end > r.start) out.push(`target ${ti} region ${i} overlaps the previous one`)
      if (r.nrAccesses > maxNr) out.push(`target ${ti} region ${i} counts ${r.nrAccesses} accesses in a window of ${maxNr} samples`)
    })
  })
  return out
}

/** Records one run's history. */
export class Recorder {
  readonly events: Array<Event> = []
  /** Ops hooks running now (raised by the kit's instrumented ops sets). */
  opsDepth = 0
  /** Set when the harness interrupts what is left at the end of a run. */
  givingUp = false
  readonly nowUs: () => number
  private fnDepth = 0
  private nextId = 1
  private nextIdent = 1
  private readonly ids = new WeakMap<object, number>()
  private readonly idents = new WeakMap<object, number>()
  private readonly walks = new Map<number, number>()
  private readonly ops = new Map<number, { readonly op: string; readonly kdamond: number; readonly fiber: number }>()
  private readonly interruptRequested = new Set<number>()
  private readonly completed = new Set<number>()

  constructor(nowUs: () => number) {
    this.nowUs = nowUs
  }

  /** Records an invocation and returns its id. */
  invoke(client: string, op: string, kdamond: number, detail: string, extra: { readonly at?: CallPoint; readonly shape?: string } = {}): number {
    const id = this.nextId++
    this.ops.set(id, { op, kdamond, fiber: Fiber.getCurrent()?.id ?? -1 })
    if (op === "damosWalk") this.walks.set(kdamond, (this.walks.get(kdamond) ?? 0) + 1)
    this.events.push({ _tag: "Invoke", seq: this.events.length, id, client, op, detail, atUs: this.nowUs(), kdamond, ...extra })
    return id
  }

  /** Ties a function handed to the kdamond to its invocation (so the probes can name it). */
  bind(fn: object, id: number): void {
    this.ids.set(fn, id)
  }

  /** Probe: the request carrying `fn` was accepted by its kdamond. */
  accepted(fn: object): void {
    const id = this.ids.get(fn)
    if (id !== undefined) this.events.push({ _tag: "Accepted", seq: this.events.length, id, atUs: this.nowUs() })
  }

  /** A function of invocation `id` starts running on kdamond `kdamond`. */
  enterFn(id: number, kdamond: number, ctx: DamonCtx): void {
    this.events.push({
      _tag: "Ran",
      seq: this.events.length,
      id,
      kdamond,
      atUs: this.nowUs(),
      inOps: this.opsDepth > 0,
      overlapped: this.fnDepth > 0,
      view: this.view(ctx)
    })
    this.fnDepth++
  }

  /** The function started by {@link enterFn} returned or threw. */
  exitFn(): void {
    this.fnDepth--
  }

  /** The function of invocation `id` threw `cause`. */
  threw(id: number, cause: unknown): void {
    const message = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)
    this.events.push({ _tag: "Threw", seq: this.events.length, id, deliberate: cause instanceof Deliberate, message })
  }

  /** A walk function of invocation `id` visits a region. */
  visit(id: number, kdamond: number, v: WalkVisit): void {
    this.events.push({
      _tag: "Visit",
      seq: this.events.length,
      id,
      kdamond,
      sis: v.ctx.passedSampleIntervals,
      scheme: v.schemeIndex,
      start: v.region.start,
      end: v.region.end,
      inOps: this.opsDepth > 0,
      overlapped: this.fnDepth > 0,
      consistent: v.ctx.schemes[v.schemeIndex] === v.scheme && v.ctx.targets[v.targetIndex] === v.target
    })
  }

  /** Whether apply passes of `kdamond` are worth recording (a walk is pending on it). */
  tracking(kdamond: number): boolean {
    return (this.walks.get(kdamond) ?? 0) > 0
  }

  /** Probe: a pass tried a region for scheme `scheme`. */
  tried(kdamond: number, sis: number, scheme: number, start: number, end: number): void {
    this.events.push({ _tag: "Tried", seq: this.events.length, kdamond, sis, scheme, start, end })
  }

  /** Probe: a due scheme finished its pass. */
  passDone(kdamond: number, sis: number, scheme: number): void {
    this.events.push({ _tag: "PassDone", seq: this.events.length, kdamond, sis, scheme })
  }

  /** Probe: kdamond `kdamond` terminated, leaving `leftovers` behind. */
  stopped(kdamond: number, leftovers: ReadonlyArray<string>): void {
    this.events.push({ _tag: "Stopped", seq: this.events.length, kdamond, atUs: this.nowUs(), leftovers })
  }

  /** The kdamond counters a `stats` invocation read. */
  counters(id: number, kdamond: number, stats: KdamondStats): void {
    this.events.push({ _tag: "Counters", seq: this.events.length, id, kdamond, stats })
  }

  /** Client `client`'s script failed with `cause` (not interrupted). */
  clientFailed(client: string, cause: Cause.Cause<unknown>): void {
    const message = Cause.pretty(cause).split("\n").slice(0, 6).join(" | ")
    this.events.push({ _tag: "ClientFailed", seq: this.events.length, client, atUs: this.nowUs(), message })
  }

  /** Free text in the history. */
  note(client: string, text: string): void {
    this.events.push({ _tag: "Note", seq: this.events.length, client, atUs: this.nowUs(), text })
  }

  /** The caller is about to interrupt fiber `fiberId` on purpose: its open invocations end `Interrupted`. */
  requestInterrupt(fiberId: number): void {
    for (const [id, inv] of this.ops) if (inv.fiber === fiberId && !this.completed.has(id)) this.interruptRequested.add(id)
  }

  /** Records how invocation `id` ended (once; later exits are ignored). */
  complete(id: number, exit: Exit.Exit<unknown, unknown>): void {
    if (this.completed.has(id)) return
    this.completed.add(id)
    const inv = this.ops.get(id)
    if (inv?.op === "damosWalk") this.walks.set(inv.kdamond, (this.walks.get(inv.kdamond) ?? 1) - 1)
    this.events.push({ _tag: "Complete", seq: this.events.length, id, atUs: this.nowUs(), outcome: this.outcomeOf(id, exit) })
  }

  /** Completes every invocation still open as `Abandoned` (the end of a run). */
  abandonOpen(): void {
    for (const id of this.ops.keys()) {
      if (!this.completed.has(id)) {
        this.completed.add(id)
        this.events.push({ _tag: "Complete", seq: this.events.length, id, atUs: this.nowUs(), outcome: { _tag: "Abandoned" } })
      }
    }
  }

  private outcomeOf(id: number, exit: Exit.Exit<unknown, unknown>): Outcome {
    if (Exit.isSuccess(exit)) return { _tag: "Ok", value: brief(exit.value) }
    if (Cause.hasInterruptsOnly(exit.cause)) {
      if (this.interruptRequested.has(id)) return { _tag: "Interrupted" }
      return this.givingUp ? { _tag: "Abandoned" } : { _tag: "InterruptedByOther" }
    }
    const error = Option.getOrUndefined(Exit.findErrorOption(exit))
    if (error instanceof DamonError) return { _tag: "Failed", reason: error.reason._tag, message: error.message }
    if (error !== undefined) {
      const tag = typeof error === "object" && error !== null && "_tag" in error ? String(error._tag) : "Error"
      return { _tag: "Failed", reason: tag, message: error instanceof Error ? error.message : brief(error) }
    }
    return { _tag: "Died", message: Cause.pretty(exit.cause).split("\n")[0] ?? "defect" }
  }

  private view(ctx: DamonCtx): View {
    return {
      sis: ctx.passedSampleIntervals,
      shape: shapeOf(ctx),
      inconsistent: inconsistencies(ctx),
      schemes: ctx.schemes.map((s) => ({
        ident: this.identOf(s),
        nrTried: s.stat.nrTried,
        szTried: s.stat.szTried,
        nrApplied: s.stat.nrApplied,
        szApplied: s.stat.szApplied
      }))
    }
  }

  private identOf(o: object): number {
    let n = this.idents.get(o)
    if (n === undefined) {
      n = this.nextIdent++
      this.idents.set(o, n)
    }
    return n
  }
}
