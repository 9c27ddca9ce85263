/**
 * Scheduling strategies of the explorer: how the next ready task is picked.
 *
 * - `random`: uniformly among the ready tasks, from a seeded generator;
 * - `pct`: probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010) with bug depth `d`:
 *   every thread gets a random priority, the highest-priority ready thread runs, and at `d - 1`
 *   random steps among the first `k` the running thread drops below every initial priority. A
 *   bug that needs `d` ordering constraints is found with probability at least 1/(n k^(d-1)) per
 *   run (n threads);
 * - `fifo`: always the oldest task, which is what Effect's own scheduler does;
 * - a replayed schedule: explicit choices at given steps (a shrunk schedule), oldest elsewhere.
 *
 * A strategy is data (printed in replay tokens); {@link chooser} makes the seeded chooser of one run.
 */
import { makeRng, type Rng } from "../core/Rng.ts"
import type { Chooser, Task } from "./Scheduler.ts"

/** A scheduling strategy. */
export type Strategy =
  | { readonly _tag: "Fifo" }
  | { readonly _tag: "Random" }
  | {
    readonly _tag: "Pct"
    /** Bug depth: number of ordering constraints a bug needs (1 = none beyond the priorities). */
    readonly depth: number
    /** Steps over which the `depth - 1` priority change points are spread. */
    readonly steps: number
  }

/** Effect's own order: oldest ready task first. */
export const fifo: Strategy = { _tag: "Fifo" }

/** Uniformly random among the ready tasks. */
export const random: Strategy = { _tag: "Random" }

/**
 * PCT with bug depth `depth` (default 3) and `steps` the expected length of a run in scheduling
 * steps (the explorer measures it when omitted).
 */
export const pct = (options: { readonly depth?: number; readonly steps?: number } = {}): Strategy => ({
  _tag: "Pct",
  depth: options.depth ?? 3,
  steps: options.steps ?? 0
})

/** The strategy as a token part: `fifo`, `random`, `pct-3-400`. */
export const format = (s: Strategy): string =>
  s._tag === "Fifo" ? "fifo" : s._tag === "Random" ? "random" : `pct-${s.depth}-${s.steps}`

/** Parses {@link format}'s output. */
export const parse = (text: string): Strategy | undefined => {
  if (text === "fifo") return fifo
  if (text === "random") return random
  const m = /^pct-(\d+)-(\d+)$/.exec(text)
  return m === null ? undefined : { _tag: "Pct", depth: Number(m[1]), steps: Number(m[2]) }
}

/** Always the oldest task. */
const oldest: Chooser = { choose: () => 0 }

const randomChooser = (rng: Rng): Chooser => ({ choose: (ready) => rng.rand(0, ready.length) })

const pctChooser = (rng: Rng, depth: number, steps: number): Chooser => {
  const priority = new Map<number, number>()
  const changeAt = new Map<number, number>()
  for (let i = 1; i < depth && steps > 0; i++) changeAt.set(rng.rand(0, steps), i)
  let lastThread = -1
  let lastStep = -1
  const prio = (thread: number): number => {
    let p = priority.get(thread)
    if (p === undefined) {
      // initial priorities lie in [depth, depth + 1): above every changed one, in random order
      p = depth + rng.float()
      priority.set(thread, p)
    }
    return p
  }
  return {
    choose: (ready: ReadonlyArray<Task>, step: number) => {
      // the change point of the previous step lowers the thread that ran then
      const change = changeAt.get(lastStep)
      if (change !== undefined && lastThread >= 0) priority.set(lastThread, change - 1 + rng.float() / 2)
      let best = 0
      let bestPrio = prio(ready[0]!.thread)
      for (let i = 1; i < ready.length; i++) {
        const p = prio(ready[i]!.thread)
        if (p > bestPrio) {
          best = i
          bestPrio = p
        }
      }
      lastThread = ready[best]!.thread
      lastStep = step
      return best
    }
  }
}

/** The chooser of one run of `strategy`, seeded by `seed`. */
export const chooser = (strategy: Strategy, seed: number): Chooser => {
  switch (strategy._tag) {
    case "Fifo":
      return oldest
    case "Random":
      return randomChooser(makeRng(seed))
    case "Pct":
      return pctChooser(makeRng(seed), strategy.depth, strategy.steps)
  }
}

/** Replays explicit choices (`[step, index]`), the oldest task elsewhere. */
export const replay = (choices: ReadonlyArray<readonly [number, number]>): Chooser => {
  const at = new Map(choices)
  return { choose: (_ready, step) => at.get(step) ?? 0 }
}
