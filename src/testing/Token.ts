/**
 * Replay tokens: one printable line that reproduces a run exactly.
 *
 * `dt1:<scenario>:<strategy>:<seed>:<run>:<size>` names run `run` of an exploration (its plan
 * is drawn from the scenario's operations with a seed derived from `seed` and `run`, at
 * Arbitrary size `size`; its schedule comes from `strategy` with the same seed). A shrunk run
 * adds `:<keep>:<choices>`: the operations kept of each client of that plan
 * (`0=1.3,2=0`: client 0 keeps operations 1 and 3, client 2 operation 0) and the explicit
 * schedule (`12>1,40>2`: at step 12 run the second-oldest ready task, ...; the oldest elsewhere;
 * `-` for none).
 *
 * @since 0.2.0
 */
import * as Strategy from "./Strategy.ts"

/** A parsed token. */
export interface Token {
  readonly scenario: string
  readonly strategy: Strategy.Strategy
  readonly seed: number
  readonly run: number
  readonly size: number
  /** Shrunk runs: the operation indices kept, per client of the generated plan. */
  readonly keep?: ReadonlyArray<readonly [client: number, ops: ReadonlyArray<number>]>
  /** Shrunk runs: the explicit schedule, `[step, index among the ready tasks]`. */
  readonly choices?: ReadonlyArray<readonly [number, number]>
}

/** The seed of run `run` of an exploration seeded `seed`. */
export const runSeed = (seed: number, run: number): number =>
  (Math.imul((seed | 0) ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(run + 1, 0x85ebca6b)) >>> 0

/** Formats a token. */
export const format = (t: Token): string => {
  const base = `dt1:${t.scenario}:${Strategy.format(t.strategy)}:${t.seed}:${t.run}:${t.size}`
  if (t.keep === undefined) return base
  const keep = t.keep.length === 0 ? "none" : t.keep.map(([c, ops]) => `${c}=${ops.join(".")}`).join(",")
  const choices = t.choices === undefined || t.choices.length === 0 ? "-" : t.choices.map(([s, i]) => `${s}>${i}`).join(",")
  return `${base}:${keep}:${choices}`
}

const int = (text: string): number | undefined => (/^\d+$/.test(text) ? Number(text) : undefined)

/** Parses a token; `undefined` when it is not one. */
export const parse = (text: string): Token | undefined => {
  const parts = text.trim().split(":")
  if (parts[0] !== "dt1" || (parts.length !== 6 && parts.length !== 8)) return undefined
  const strategy = Strategy.parse(parts[2]!)
  const [seed, run, size] = [int(parts[3]!), int(parts[4]!), int(parts[5]!)]
  if (strategy === undefined || seed === undefined || run === undefined || size === undefined) return undefined
  const base: Token = { scenario: parts[1]!, strategy, seed, run, size }
  if (parts.length === 6) return base
  const keep: Array<readonly [number, ReadonlyArray<number>]> = []
  if (parts[6] !== "none") {
    for (const entry of parts[6]!.split(",")) {
      const [c, ops] = entry.split("=")
      const client = int(c ?? "")
      const indices = ops === undefined || ops === "" ? [] : ops.split(".").map(int)
      if (client === undefined || indices.some((i) => i === undefined)) return undefined
      keep.push([client, indices as Array<number>])
    }
  }
  const choices: Array<readonly [number, number]> = []
  if (parts[7] !== "-") {
    for (const entry of parts[7]!.split(",")) {
      const [s, i] = entry.split(">").map(int)
      if (s === undefined || i === undefined) return undefined
      choices.push([s, i])
    }
  }
  return { ...base, keep, choices }
}
