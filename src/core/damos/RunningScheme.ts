/**
 * Decoding a running scheme handed back by a caller (a `Damos` copied out of a kdamond's context,
 * or one a transform returned) for the offline transform: its parameters go through the same
 * decoder as a scheme input, its private state (quota charging, statistics, schedule) through a
 * Schema of its own, and a fresh `Damos` is built from both. A forged or corrupted object is an
 * `InvalidArgument` naming the field, never a scheme with NaN counters.
 *
 * Pure. Does not keep the quota resume target (`chargeTargetFrom`): the transform carries it by
 * index, and it is not read.
 */
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { decodePlain, UInt, ULong } from "../../internal/validate.ts"
import type { DamonError } from "../../model/DamonError.ts"
import type { DamonCtx } from "../../model/DamonCtx.ts"
import { type Damos, makeStat } from "../../model/Damos.ts"
import { decode as decodeScheme, fromConfig } from "./DamosConfig.ts"

/** True when `u` (a guarded copy) has the fields only a running scheme has. */
export const looksRunning = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && "stat" in u && "quota" in u && "coreFilters" in u && "opsFilters" in u

const NonNegNumber = Schema.Number.check(
  Schema.makeFilter((n: number) => (Number.isFinite(n) && n >= 0 ? undefined : "must be a finite number >= 0"))
)
const SafeIntFromMinusOne = Schema.Number.check(
  Schema.makeFilter((n: number) => (Number.isSafeInteger(n) && n >= -1 ? undefined : "must be a safe integer >= -1"))
)
const NonNegBigInt = Schema.BigInt.check(Schema.makeFilter((n: bigint) => (n >= 0n ? undefined : "must be >= 0")))
const Score = UInt.check(Schema.makeFilter((n: number) => (n <= 99 ? undefined : "must be <= 99")))

const StateSchema = Schema.Struct({
  quota: Schema.Struct({
    esz: ULong,
    eszBp: NonNegBigInt,
    totalChargedSz: ULong,
    totalChargedNs: NonNegNumber,
    chargedSz: ULong,
    chargedFrom: SafeIntFromMinusOne,
    chargeAddrFrom: ULong,
    minScore: Score,
    goals: Schema.Array(Schema.Struct({ lastPsiTotal: ULong }))
  }),
  wmarks: Schema.Struct({ activated: Schema.Boolean }),
  stat: Schema.Struct({
    nrTried: ULong,
    szTried: ULong,
    nrApplied: ULong,
    szApplied: ULong,
    szOpsFilterPassed: ULong,
    qtExceeds: ULong,
    nrSnapshots: ULong
  }),
  nextApplySis: ULong,
  lastApplied: SafeIntFromMinusOne,
  walkCompleted: Schema.Boolean
})

const pick = (u: unknown, keys: ReadonlyArray<string>): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  if (typeof u !== "object" || u === null) return out
  for (const k of keys) if (k in u) out[k] = (u as Record<string, unknown>)[k]
  return out
}

const listOf = (u: unknown): ReadonlyArray<unknown> => (Array.isArray(u) ? u : [])

/**
 * Decodes a running scheme (a guarded copy, see `InputSnapshot.ts`) and builds a fresh one for
 * `ctx` with the same parameters and state; errors name the field under `prefix`.
 *
 * **Details**
 * Parameters: `pattern`, `action`, `applyIntervalUs`, the quota's parameters and goals, the
 * watermarks' parameters, `targetNid`, `dests`, the filters (`coreFilters` then `opsFilters`,
 * each list keeping its order, which is all the kernel's two-stage filtering depends on) and
 * `maxNrSnapshots`, decoded as a scheme input is. State: the quota's charging fields, each goal's
 * last PSI total, the watermarks' activation, the statistics, `nextApplySis`, `lastApplied` and
 * the walk flag.
 */
export const decodeRunning = (input: Record<string, unknown>, ctx: DamonCtx, prefix: string): Result.Result<Damos, DamonError> => {
  const quota = input["quota"]
  const wmarks = input["wmarks"]
  const goals = listOf(pick(quota, ["goals"])["goals"])
  const params = {
    ...pick(input, ["pattern", "action", "applyIntervalUs", "targetNid", "dests", "maxNrSnapshots"]),
    quota: {
      ...pick(quota, ["resetIntervalMs", "ms", "sz", "goalTuner", "weightSz", "weightNrAccesses", "weightAge"]),
      goals: goals.map((g) => pick(g, ["metric", "targetValue", "currentValue", "nid", "memcgId"]))
    },
    wmarks: pick(wmarks, ["metric", "intervalUs", "high", "mid", "low"]),
    filters: [...listOf(input["coreFilters"]), ...listOf(input["opsFilters"])]
  }
  const config = decodeScheme(params, ctx.opsId, prefix)
  if (Result.isFailure(config)) return Result.fail(config.failure)
  const state = decodePlain(StateSchema, {
    quota: {
      ...pick(quota, ["esz", "eszBp", "totalChargedSz", "totalChargedNs", "chargedSz", "chargedFrom", "chargeAddrFrom", "minScore"]),
      goals: goals.map((g) => pick(g, ["lastPsiTotal"]))
    },
    wmarks: pick(wmarks, ["activated"]),
    ...pick(input, ["stat", "nextApplySis", "lastApplied", "walkCompleted"])
  }, prefix)
  if (Result.isFailure(state)) return Result.fail(state.failure)
  const s = fromConfig(config.success, ctx)
  const st = state.success
  const { goals: goalStates, ...charging } = st.quota
  Object.assign(s.quota, charging)
  s.quota.goals.forEach((g, i) => {
    g.lastPsiTotal = goalStates[i]?.lastPsiTotal ?? 0
  })
  s.wmarks.activated = st.wmarks.activated
  s.stat = makeStat(st.stat)
  s.nextApplySis = st.nextApplySis
  s.lastApplied = st.lastApplied
  s.walkCompleted = st.walkCompleted
  return Result.succeed(s)
}
