/**
 * Invariant checkers: each a named, documented function from a run (its history plus what the
 * kdamond's probes recorded) to the violations it finds, each violation a sentence that names
 * the invocations involved (`#12`). {@link all} is the default set of the explorer.
 *
 * @since 0.2.0
 */
import { type History, type Invocation, invocations } from "./History.ts"
import { clientsFinish, commitsAtomic, consistentContext, nothingLeftBehind, statsMonotonic, terminates } from "./StateInvariants.ts"
import { walkCoverage } from "./WalkCoverage.ts"

/** What the checkers see of one run. */
export interface Run {
  readonly history: History
  /** The waits a call may take (world microseconds); see {@link boundedWaits}. */
  readonly bounds: Bounds
  /** `false` when the run itself did not finish within its world-time horizon (the harness hung). */
  readonly finished: boolean
}

/** Bounds of {@link boundedWaits}. */
export interface Bounds {
  /** Longest wait of a `"sample"` or `"loop"` call: the largest sample (or watermark check) interval. */
  readonly promptUs: number
  /** Longest wait of an `"aggregation"` call (Infinity when watermarks may pause sampling). */
  readonly aggregationUs: number
}

/** A named invariant. */
export interface Invariant {
  readonly name: string
  /** What it guarantees, in one sentence (printed in reports). */
  readonly description: string
  readonly check: (run: Run) => ReadonlyArray<string>
}

const failuresAllowed: Readonly<Record<string, ReadonlyArray<string>>> = {
  damonCall: ["CallbackFailed", "Canceled", "NotRunning"],
  damonCallRepeat: ["CallbackFailed", "Canceled", "NotRunning"],
  damosWalk: ["Busy", "Canceled", "NotRunning", "CallbackFailed"],
  commit: ["InvalidArgument", "Canceled", "NotRunning", "OpsFailed"],
  commitQuotaGoals: ["InvalidArgument", "Canceled", "NotRunning"],
  stop: ["NotRunning"],
  stats: [],
  start: ["InvalidArgument", "Busy"]
}

const label = (inv: Invocation): string => `#${inv.invoke.id} (${inv.invoke.client} ${inv.invoke.op}${inv.invoke.detail === "" ? "" : ` ${inv.invoke.detail}`})`

/**
 * One outcome per invocation: every operation completes exactly once, with an outcome its kind
 * allows (a `damonCall` never fails `Busy`, a repeat call never succeeds), and is interrupted
 * only by its own caller. An invocation still open when the run ended never completed.
 */
export const oneOutcome: Invariant = {
  name: "oneOutcome",
  description: "every invocation completes exactly once, with an outcome its operation allows",
  check: ({ history }) =>
    invocations(history).flatMap((inv): Array<string> => {
      if (inv.completes.length !== 1) return [`${label(inv)} completed ${inv.completes.length} times`]
      const outcome = inv.completes[0]!.outcome
      const allowed = failuresAllowed[inv.invoke.op]
      switch (outcome._tag) {
        case "Abandoned":
          return [`${label(inv)} never completed: its caller still waited when the run ended`]
        case "InterruptedByOther":
          return [`${label(inv)} was interrupted by someone other than its caller`]
        case "Died":
          return [`${label(inv)} died: ${outcome.message}`]
        case "Failed":
          return allowed !== undefined && !allowed.includes(outcome.reason)
            ? [`${label(inv)} failed ${outcome.reason} (${outcome.message}), which ${inv.invoke.op} never returns`]
            : []
        case "Ok":
          return inv.invoke.op === "damonCallRepeat" ? [`${label(inv)} succeeded, but a repeat call only ends by failing`] : []
        case "Interrupted":
          return []
      }
    })
}

/** FIFO per serving point: `damonCall`s with the same `at` on one kdamond run in the order they were accepted. */
export const fifo: Invariant = {
  name: "fifo",
  description: "calls with the same serving point run in the order the kdamond accepted them",
  check: ({ history }) => {
    const queues = new Map<string, Array<Invocation>>()
    for (const inv of invocations(history)) {
      if (inv.invoke.op !== "damonCall" || inv.accepted === undefined || inv.runs.length === 0) continue
      const key = `${inv.invoke.kdamond}/${inv.invoke.at}`
      queues.set(key, [...(queues.get(key) ?? []), inv])
    }
    const out: Array<string> = []
    for (const list of queues.values()) {
      const byAccept = [...list].sort((a, b) => a.accepted!.seq - b.accepted!.seq)
      for (let i = 1; i < byAccept.length; i++) {
        const prev = byAccept[i - 1]!
        const cur = byAccept[i]!
        if (cur.runs[0]!.seq < prev.runs[0]!.seq) {
          out.push(`${label(cur)} ran before ${label(prev)}, which the kdamond accepted first`)
        }
      }
    }
    return out
  }
}

/** At most once: a call's function runs once or never, consistently with its outcome. */
export const atMostOnce: Invariant = {
  name: "atMostOnce",
  description: "a call's function runs once or never, and its outcome says which",
  check: ({ history }) =>
    invocations(history).flatMap((inv): Array<string> => {
      if (inv.invoke.op !== "damonCall") return []
      const n = inv.runs.length
      if (n > 1) return [`${label(inv)} ran ${n} times`]
      const outcome = inv.completes[0]?.outcome
      if (outcome?._tag === "Ok" && n === 0) return [`${label(inv)} succeeded without running`]
      if (outcome?._tag === "Failed" && (outcome.reason === "Canceled" || outcome.reason === "NotRunning") && n > 0) {
        return [`${label(inv)} ran, then ended ${outcome.reason}`]
      }
      return []
    })
}

/** Exclusivity: no user function runs inside an ops phase or overlaps another one. */
export const exclusive: Invariant = {
  name: "exclusive",
  description: "a function runs on the kdamond between phases only, never inside an ops hook or overlapping another",
  check: ({ history }) =>
    history.flatMap((e): Array<string> => {
      if (e._tag !== "Ran" && e._tag !== "Visit") return []
      const what = e._tag === "Ran" ? `the function of #${e.id}` : `the walk function of #${e.id}`
      return [
        ...(e.inOps ? [`${what} ran inside an ops hook`] : []),
        ...(e.overlapped ? [`${what} overlapped another function`] : [])
      ]
    })
}

/** No crashes: a function run on the kdamond throws only on purpose (`Deliberate`). */
export const noCrashes: Invariant = {
  name: "noCrashes",
  description: "functions run on the kdamond throw only deliberately",
  check: ({ history }) =>
    history.flatMap((e) => (e._tag === "Threw" && !e.deliberate ? [`the function of #${e.id} crashed: ${e.message}`] : []))
}

/**
 * Bounded waits: a `"sample"` or `"loop"` call runs within {@link Bounds.promptUs} of world time
 * after the kdamond accepted it, an `"aggregation"` call within {@link Bounds.aggregationUs}.
 * A commit applied meanwhile may change the intervals: the wait then counts from its completion.
 */
export const boundedWaits: Invariant = {
  name: "boundedWaits",
  description: "a prompt call runs within one sample interval, an aggregation call within one aggregation interval",
  check: ({ history, bounds }) => {
    const all = invocations(history)
    const commits = all.filter((c) => c.invoke.op === "commit" && c.completes[0]?.outcome._tag === "Ok")
    return all.flatMap((inv): Array<string> => {
      const op = inv.invoke.op
      if ((op !== "damonCall" && op !== "damonCallRepeat") || inv.runs.length === 0) return []
      const ran = inv.runs[0]!.atUs
      let from = inv.accepted?.atUs ?? inv.invoke.atUs
      for (const c of commits) {
        const doneUs = c.completes[0]!.atUs
        if (c.invoke.kdamond === inv.invoke.kdamond && doneUs > from && doneUs <= ran) from = doneUs
      }
      const bound = inv.invoke.at === "aggregation" ? bounds.aggregationUs : bounds.promptUs
      return ran - from > bound ? [`${label(inv)} waited ${ran - from} us to run (bound ${bound} us)`] : []
    })
  }
}

export { clientsFinish, commitsAtomic, consistentContext, nothingLeftBehind, statsMonotonic, terminates, walkCoverage }

/** Every invariant, causes before symptoms (a report leads with the first one broken): the explorer's default. */
export const all: ReadonlyArray<Invariant> = [
  oneOutcome,
  atMostOnce,
  fifo,
  exclusive,
  noCrashes,
  consistentContext,
  commitsAtomic,
  walkCoverage,
  nothingLeftBehind,
  statsMonotonic,
  boundedWaits,
  clientsFinish,
  terminates
]

/** A violation found in a run. */
export interface Violation {
  readonly invariant: string
  readonly message: string
}

/** Runs `invariants` over `run`. */
export const check = (run: Run, invariants: ReadonlyArray<Invariant> = all): Array<Violation> =>
  invariants.flatMap((inv) => inv.check(run).map((message) => ({ invariant: inv.name, message })))
