/**
 * Histories: what a test did to its kdamonds and what the kdamonds did, as one list of events in
 * the order they happened (Jepsen-style invocations and completions, plus what the kdamond's
 * probes saw). Every control operation is an `Invoke` and, later, its one `Complete` with an
 * outcome; the functions it ran on the kdamond are `Ran` (with what they observed); walks add
 * `Visit`s; the probes add the regions each apply pass tried, the end of each scheme's pass and
 * what a stop left behind. Times are world microseconds.
 *
 * @since 0.2.0
 */
import type { CallPoint } from "../engine/Control.ts"
import type { KdamondStats } from "../engine/KdamondStats.ts"

/** How an invocation ended. */
export type Outcome =
  | { readonly _tag: "Ok"; readonly value: string }
  /** A typed failure: the `DamonError` reason (`Canceled`, `NotRunning`, ...) or the error's tag. */
  | { readonly _tag: "Failed"; readonly reason: string; readonly message: string }
  /** Interrupted by its own caller, on purpose (a withdrawn call, a stopped repeat). */
  | { readonly _tag: "Interrupted" }
  /** Interrupted by anyone else (a bug: nobody else should). */
  | { readonly _tag: "InterruptedByOther" }
  /** Never completed: the harness gave up waiting at the end of the run. */
  | { readonly _tag: "Abandoned" }
  /** Died with a defect. */
  | { readonly _tag: "Died"; readonly message: string }

/** What a function running on the kdamond saw of the context. */
export interface View {
  /** `passedSampleIntervals`. */
  readonly sis: number
  /** The context's parameters (see `Shape.ts`): compared against the configs committed. */
  readonly shape: string
  /** What was inconsistent about the regions it saw (empty when nothing). */
  readonly inconsistent: ReadonlyArray<string>
  /** Each scheme's identity (stable across commits that keep it) and its statistics. */
  readonly schemes: ReadonlyArray<{
    readonly ident: number
    readonly nrTried: number
    readonly szTried: number
    readonly nrApplied: number
    readonly szApplied: number
  }>
}

/** One event. `seq` is its position in the history. */
export type Event =
  | {
    readonly _tag: "Invoke"
    readonly seq: number
    readonly id: number
    readonly client: string
    readonly op: string
    readonly detail: string
    readonly atUs: number
    /** pid of the kdamond it was made on (-1: none). */
    readonly kdamond: number
    /** Serving point of a call. */
    readonly at?: CallPoint
    /** For commits: the shape of the config committed (see `Shape.ts`). */
    readonly shape?: string
  }
  /** The kdamond accepted the request into its queue (or walk slot). */
  | { readonly _tag: "Accepted"; readonly seq: number; readonly id: number; readonly atUs: number }
  /** A function of invocation `id` ran on kdamond `kdamond`. */
  | {
    readonly _tag: "Ran"
    readonly seq: number
    readonly id: number
    readonly kdamond: number
    readonly atUs: number
    /** True if an ops hook was running at the time (exclusivity broken). */
    readonly inOps: boolean
    /** True if another function was running at the time (exclusivity broken). */
    readonly overlapped: boolean
    readonly view: View
  }
  /** The function threw; `deliberate` when the test made it throw on purpose. */
  | { readonly _tag: "Threw"; readonly seq: number; readonly id: number; readonly deliberate: boolean; readonly message: string }
  /** A walk function visited a region. */
  | {
    readonly _tag: "Visit"
    readonly seq: number
    readonly id: number
    readonly kdamond: number
    readonly sis: number
    readonly scheme: number
    readonly start: number
    readonly end: number
    readonly inOps: boolean
    readonly overlapped: boolean
    /** False when the visit named a scheme or target not at its index in the context. */
    readonly consistent: boolean
  }
  /** Probe: an apply pass tried a region for a scheme (recorded while a walk is pending). */
  | {
    readonly _tag: "Tried"
    readonly seq: number
    readonly kdamond: number
    readonly sis: number
    readonly scheme: number
    readonly start: number
    readonly end: number
  }
  /** Probe: a due scheme finished its apply pass (recorded while a walk is pending). */
  | { readonly _tag: "PassDone"; readonly seq: number; readonly kdamond: number; readonly sis: number; readonly scheme: number }
  /** The kdamond's own counters, as a `stats` invocation read them. */
  | { readonly _tag: "Counters"; readonly seq: number; readonly id: number; readonly kdamond: number; readonly stats: KdamondStats }
  /** Probe: the kdamond terminated; what it left behind (empty when nothing). */
  | { readonly _tag: "Stopped"; readonly seq: number; readonly kdamond: number; readonly atUs: number; readonly leftovers: ReadonlyArray<string> }
  /** A client's script failed (an error or defect in the scenario's own code, e.g. a failed assertion). */
  | { readonly _tag: "ClientFailed"; readonly seq: number; readonly client: string; readonly atUs: number; readonly message: string }
  /** Free text a scenario adds. */
  | { readonly _tag: "Note"; readonly seq: number; readonly client: string; readonly atUs: number; readonly text: string }
  | {
    readonly _tag: "Complete"
    readonly seq: number
    readonly id: number
    readonly atUs: number
    readonly outcome: Outcome
  }

/** A history: the events of one run, in order. */
export type History = ReadonlyArray<Event>

/** The invocations of a history with their completions (if any), in invocation order. */
export interface Invocation {
  readonly invoke: Extract<Event, { _tag: "Invoke" }>
  readonly accepted: Extract<Event, { _tag: "Accepted" }> | undefined
  readonly runs: ReadonlyArray<Extract<Event, { _tag: "Ran" }>>
  readonly completes: ReadonlyArray<Extract<Event, { _tag: "Complete" }>>
}

/** Groups a history by invocation. */
export const invocations = (history: History): Array<Invocation> => {
  const byId = new Map<number, { invoke: Extract<Event, { _tag: "Invoke" }>; accepted: Extract<Event, { _tag: "Accepted" }> | undefined; runs: Array<Extract<Event, { _tag: "Ran" }>>; completes: Array<Extract<Event, { _tag: "Complete" }>> }>()
  for (const e of history) {
    if (e._tag === "Invoke") byId.set(e.id, { invoke: e, accepted: undefined, runs: [], completes: [] })
    else if (e._tag === "Accepted") {
      const inv = byId.get(e.id)
      if (inv !== undefined) inv.accepted = e
    } else if (e._tag === "Ran") byId.get(e.id)?.runs.push(e)
    else if (e._tag === "Complete") byId.get(e.id)?.completes.push(e)
  }
  return [...byId.values()]
}

/** The number of operations (invocations) in a history. */
export const size = (history: History): number => history.filter((e) => e._tag === "Invoke").length
