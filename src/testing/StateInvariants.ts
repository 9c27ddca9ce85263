/**
 * Invariants about the kdamond's state as its functions saw it and as its stop left it: commits
 * are atomic, statistics only grow, a stop leaves nothing behind, a run ends.
 */
import type { KdamondStats } from "../engine/KdamondStats.ts"
import { type Event, invocations } from "./History.ts"
import type { Invariant } from "./Invariants.ts"

type Of<T extends Event["_tag"]> = Extract<Event, { _tag: T }>

const refusals = ["InvalidArgument", "Canceled", "NotRunning"]

/**
 * Commits are atomic: every function run on a kdamond sees the parameters of the config it was
 * started with or of a commit that was applied (succeeded, or stopped the kdamond on an ops
 * fault), never a mix and never those of a refused commit.
 */
export const commitsAtomic: Invariant = {
  name: "commitsAtomic",
  description: "a function sees the started or a committed config, never a mix, never a refused commit's",
  check: ({ history }) => {
    const legal = new Map<number, Set<string>>()
    const refused = new Map<string, number>()
    for (const inv of invocations(history)) {
      const { op, kdamond, shape } = inv.invoke
      if (shape === undefined || (op !== "start" && op !== "commit")) continue
      const outcome = inv.completes[0]?.outcome
      if (op === "commit" && outcome?._tag === "Failed" && refusals.includes(outcome.reason)) refused.set(shape, inv.invoke.id)
      else legal.set(kdamond, (legal.get(kdamond) ?? new Set()).add(shape))
    }
    return history.flatMap((e): Array<string> => {
      if (e._tag !== "Ran") return []
      const shapes = legal.get(e.kdamond)
      if (shapes === undefined || shapes.has(e.view.shape)) return []
      const from = refused.get(e.view.shape)
      return [
        from === undefined
          ? `the function of #${e.id} saw a context matching neither the started config nor any applied commit (half-committed?)`
          : `the function of #${e.id} saw the config of refused commit #${from}`
      ]
    })
  }
}

const counterNames = ["samples", "regionChecks", "aggregations", "callsServed", "callsCanceled", "walksCompleted", "walksCanceled"] as const

/** Stats are monotonic: sample counts, scheme statistics and kdamond counters never go back. */
export const statsMonotonic: Invariant = {
  name: "statsMonotonic",
  description: "sample counts, scheme statistics and kdamond counters never decrease",
  check: ({ history }) => {
    const out: Array<string> = []
    const sis = new Map<number, number>()
    const schemes = new Map<number, Of<"Ran">["view"]["schemes"][number]>()
    const counters = new Map<number, KdamondStats>()
    for (const e of history) {
      if (e._tag === "Ran") {
        const before = sis.get(e.kdamond) ?? 0
        if (e.view.sis < before) out.push(`the function of #${e.id} saw ${e.view.sis} samples after ${before} had been seen`)
        sis.set(e.kdamond, Math.max(before, e.view.sis))
        for (const s of e.view.schemes) {
          const prev = schemes.get(s.ident)
          if (prev !== undefined) {
            for (const f of ["nrTried", "szTried", "nrApplied", "szApplied"] as const) {
              if (s[f] < prev[f]) out.push(`the function of #${e.id} saw a scheme's ${f} drop from ${prev[f]} to ${s[f]}`)
            }
          }
          schemes.set(s.ident, s)
        }
      } else if (e._tag === "Counters") {
        const prev = counters.get(e.kdamond)
        if (prev !== undefined) {
          for (const f of counterNames) {
            if (e.stats[f] < prev[f]) out.push(`#${e.id} read ${f} ${e.stats[f]} after ${prev[f]}`)
          }
        }
        counters.set(e.kdamond, e.stats)
      }
    }
    return out
  }
}

/**
 * Nothing left behind after stop: every kdamond the run used stopped; its stop left no queued
 * request, no installed walk, no per-scheme walk bookkeeping, and closed its control channels;
 * and every request it had accepted before was served or cancelled (no pending reply).
 */
export const nothingLeftBehind: Invariant = {
  name: "nothingLeftBehind",
  description: "a stopped kdamond leaves no request unanswered, no walk state and no open control channel",
  check: ({ history }) => {
    const used = new Set<number>()
    for (const e of history) if ((e._tag === "Invoke" || e._tag === "Ran") && e.kdamond >= 0) used.add(e.kdamond)
    const stops = new Map<number, Of<"Stopped">>()
    const out: Array<string> = []
    for (const e of history) {
      if (e._tag !== "Stopped") continue
      stops.set(e.kdamond, e)
      for (const what of e.leftovers) out.push(`kdamond pid ${e.kdamond} stopped and left behind ${what}`)
    }
    for (const pid of used) if (!stops.has(pid)) out.push(`kdamond pid ${pid} never stopped`)
    for (const inv of invocations(history)) {
      const stop = stops.get(inv.invoke.kdamond)
      if (inv.accepted === undefined || stop === undefined || inv.accepted.seq > stop.seq) continue
      const o = inv.completes[0]?.outcome
      const answered = o !== undefined &&
        (o._tag === "Ok" || o._tag === "Interrupted" || (o._tag === "Failed" && ["Canceled", "CallbackFailed"].includes(o.reason)))
      if (!answered) out.push(`#${inv.invoke.id} was pending when pid ${inv.invoke.kdamond} stopped and ended ${o?._tag ?? "never"}`)
    }
    return out
  }
}

/** Clients finish: every client's script ran to its end (a failure there is the scenario's own error, e.g. an assertion). */
export const clientsFinish: Invariant = {
  name: "clientsFinish",
  description: "every client's script runs to its end without failing (a scenario's own checks included)",
  check: ({ history }) => history.flatMap((e) => (e._tag === "ClientFailed" ? [`client ${e.client} failed: ${e.message}`] : []))
}

/** The run ended: the scenario and its teardown finished within the world-time horizon. */
export const terminates: Invariant = {
  name: "terminates",
  description: "the scenario and its teardown finish within the run's world-time horizon",
  check: ({ finished }) => (finished ? [] : ["the run did not finish within its world-time horizon (a hang)"])
}

/**
 * Consistent context: a function sees every target's regions non-empty, sorted, apart, with
 * counts that fit the window; a walk visit names the scheme and target at their indices.
 */
export const consistentContext: Invariant = {
  name: "consistentContext",
  description: "functions see regions non-empty, sorted, apart, counted within the window; walks see schemes at their indices",
  check: ({ history }) =>
    history.flatMap((e) => {
      if (e._tag === "Ran") return e.view.inconsistent.map((what) => `the function of #${e.id} saw ${what}`)
      if (e._tag === "Visit" && !e.consistent) return [`walk #${e.id} visited scheme ${e.scheme} but the context has another scheme or target at that index`]
      return []
    })
}
