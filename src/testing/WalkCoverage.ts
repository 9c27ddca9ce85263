/**
 * The `walkCoverage` invariant: a walk covers exactly one apply pass of each scheme, the first
 * one after the kdamond accepted it, and sees every region that pass tried.
 */
import { type Event, type History, invocations } from "./History.ts"
import type { Invariant } from "./Invariants.ts"

type Of<T extends Event["_tag"]> = Extract<Event, { _tag: T }>

const key = (e: { readonly start: number; readonly end: number }) => `${e.start}-${e.end}`

const sameRegions = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): boolean => {
  if (a.length !== b.length) return false
  const x = [...a].sort()
  const y = [...b].sort()
  return x.every((v, i) => v === y[i])
}

const check = (history: History): Array<string> => {
  const out: Array<string> = []
  const all = invocations(history)
  for (const walk of all) {
    if (walk.invoke.op !== "damosWalk" || walk.accepted === undefined) continue
    const done = walk.completes[0]
    if (done === undefined || done.outcome._tag !== "Ok") continue
    const pid = walk.invoke.kdamond
    const from = walk.accepted.seq
    const to = done.seq
    const nrSchemes = Number(done.outcome.value)
    // a commit during the walk may reshape the scheme list: then only "one pass per scheme" holds
    const reshaped = all.some((c) =>
      c.invoke.op === "commit" && c.invoke.kdamond === pid && c.invoke.seq < to && (c.completes[0]?.seq ?? Infinity) > from
    )
    const window = history.slice(from, to)
    const visits = window.filter((e): e is Of<"Visit"> => e._tag === "Visit" && e.id === walk.invoke.id)
    const name = `walk #${walk.invoke.id} (${walk.invoke.client})`
    for (let s = 0; s < nrSchemes; s++) {
      const mine = visits.filter((v) => v.scheme === s)
      const passes = [...new Set(mine.map((v) => v.sis))]
      if (passes.length > 1) out.push(`${name} saw scheme ${s} in ${passes.length} passes (sis ${passes.join(", ")})`)
      if (reshaped) continue
      const pass = window.find((e): e is Of<"PassDone"> => e._tag === "PassDone" && e.kdamond === pid && e.scheme === s)
      if (pass === undefined) {
        out.push(`${name} completed before scheme ${s} finished an apply pass`)
        continue
      }
      const tried = window.filter((e): e is Of<"Tried"> =>
        e._tag === "Tried" && e.kdamond === pid && e.scheme === s && e.sis === pass.sis && e.seq < pass.seq
      )
      const seen = mine.filter((v) => v.sis === pass.sis)
      if (!sameRegions(seen.map(key), tried.map(key)) || seen.length !== mine.length) {
        out.push(
          `${name} saw ${mine.length} region(s) of scheme ${s}, but its first pass after the walk was accepted (sis ${pass.sis}) tried ${tried.length}`
        )
      }
    }
  }
  return out
}

/** Walk coverage: a completed walk saw exactly the regions of one pass of each scheme, the first after it was accepted. */
export const walkCoverage: Invariant = {
  name: "walkCoverage",
  description: "a walk covers exactly one apply pass of each scheme (the first after it was accepted), every region that pass tried",
  check: ({ history }) => check(history)
}
