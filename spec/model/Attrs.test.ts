/**
 * Property tests of `Attrs.make`: it accepts exactly the attrs that `damon_set_attrs()` accepts
 * (mm/damon/core.c), and each rejection names the field of the first broken rule.
 */
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { makeRng, type Rng } from "../../src/core/Rng.ts"
import * as Attrs from "../../src/model/Attrs.ts"

type Field = "sampleIntervalUs" | "aggrIntervalUs" | "opsUpdateIntervalUs" | "minNrRegions" | "maxNrRegions"
type GoalField = "accessBp" | "aggrs" | "minSampleUs" | "maxSampleUs"

const pick = <A>(rng: Rng, xs: ReadonlyArray<A>): A => xs[rng.rand(0, xs.length)]!

/** A random attrs input drawn around the rule boundaries; some fields omitted (defaults apply). */
const genInput = (rng: Rng) => {
  const input: Record<string, unknown> = {}
  const goal: Record<string, unknown> = {}
  const small = () => pick(rng, [0, 1, 2, 3, 4, 5, 8, 10, 4999, 5000, 5001, 100_000])
  const maybe = (obj: Record<string, unknown>, key: string, value: () => number) => {
    if (rng.rand(0, 6) !== 0) obj[key] = value()
  }
  maybe(input, "sampleIntervalUs", small)
  maybe(input, "aggrIntervalUs", small)
  maybe(input, "opsUpdateIntervalUs", small)
  maybe(input, "minNrRegions", () => pick(rng, [0, 1, 2, 3, 4, 9, 10, 11, 1000]))
  maybe(input, "maxNrRegions", () => pick(rng, [0, 2, 3, 4, 9, 10, 11, 1000, 1001]))
  if (rng.rand(0, 3) !== 0) {
    maybe(goal, "aggrs", () => pick(rng, [0, 0, 1, 3]))
    maybe(goal, "accessBp", small)
    maybe(goal, "minSampleUs", small)
    maybe(goal, "maxSampleUs", small)
    input["intervalsGoal"] = goal
  }
  return { input, goal }
}

const value = (obj: Record<string, unknown>, key: string, dflt: number): number =>
  key in obj ? (obj[key] as number) : dflt

/** The first kernel rule `damon_set_attrs()` finds broken, as [field, value], or undefined. */
const firstBroken = (input: Record<string, unknown>, goal: Record<string, unknown>): [string, number] | undefined => {
  const d = Attrs.defaults
  const sample = value(input, "sampleIntervalUs", d.sampleIntervalUs)
  const aggr = value(input, "aggrIntervalUs", d.aggrIntervalUs)
  const minNr = value(input, "minNrRegions", d.minNrRegions)
  const maxNr = value(input, "maxNrRegions", d.maxNrRegions)
  const aggrs = value(goal, "aggrs", 0)
  const minSample = value(goal, "minSampleUs", 0)
  const maxSample = value(goal, "maxSampleUs", 0)
  // damon_valid_intervals_goal()
  if (aggrs !== 0) {
    if (minSample > maxSample) return ["attrs.intervalsGoal.minSampleUs", minSample]
    if (sample < minSample || sample > maxSample) return ["attrs.sampleIntervalUs", sample]
  }
  if (minNr < 3) return ["attrs.minNrRegions", minNr]
  if (minNr > maxNr) return ["attrs.minNrRegions", minNr]
  if (sample > aggr) return ["attrs.sampleIntervalUs", sample]
  return undefined
}

describe("Attrs", () => {
  it("make accepts exactly the kernel-valid attrs and names the first broken rule's field (seeded)", () => {
    let accepted = 0
    let rejected = 0
    for (let seed = 0; seed < 2000; seed++) {
      const rng = makeRng(seed)
      const { input, goal } = genInput(rng)
      const expected = firstBroken(input, goal)
      const result = Attrs.make(input)
      const ctx = `seed ${seed}: ${JSON.stringify(input)}`
      if (expected === undefined) {
        accepted++
        assert.isTrue(Result.isSuccess(result), ctx)
        if (Result.isSuccess(result)) {
          const a = result.success
          const d = Attrs.defaults
          assert.strictEqual(a.sampleIntervalUs, value(input, "sampleIntervalUs", d.sampleIntervalUs), ctx)
          assert.strictEqual(a.aggrIntervalUs, value(input, "aggrIntervalUs", d.aggrIntervalUs), ctx)
          assert.strictEqual(a.opsUpdateIntervalUs, value(input, "opsUpdateIntervalUs", d.opsUpdateIntervalUs), ctx)
          assert.strictEqual(a.minNrRegions, value(input, "minNrRegions", d.minNrRegions), ctx)
          assert.strictEqual(a.maxNrRegions, value(input, "maxNrRegions", d.maxNrRegions), ctx)
          assert.strictEqual(a.intervalsGoal.aggrs, value(goal, "aggrs", 0), ctx)
          assert.strictEqual(a.intervalsGoal.accessBp, value(goal, "accessBp", 0), ctx)
          assert.strictEqual(a.aggrSamples, 0, ctx)
          assert.isUndefined(Attrs.check(a), ctx)
        }
      } else {
        rejected++
        assert.isTrue(Result.isFailure(result), ctx)
        if (Result.isFailure(result)) {
          assert.strictEqual(result.failure.errno, "EINVAL", ctx)
          const reason = result.failure.reason
          assert.strictEqual(reason._tag, "InvalidArgument", ctx)
          if (reason._tag === "InvalidArgument") {
            assert.strictEqual(reason.field, expected[0], ctx)
            assert.strictEqual(reason.value, String(expected[1]), ctx)
          }
        }
      }
    }
    // the generator must exercise both outcomes substantially
    assert.isAbove(accepted, 300)
    assert.isAbove(rejected, 300)
  })

  it("make rejects values that are not kernel unsigned longs, naming the field (seeded)", () => {
    const fields: ReadonlyArray<Field> = [
      "sampleIntervalUs",
      "aggrIntervalUs",
      "opsUpdateIntervalUs",
      "minNrRegions",
      "maxNrRegions"
    ]
    const goalFields: ReadonlyArray<GoalField> = ["accessBp", "aggrs", "minSampleUs", "maxSampleUs"]
    const bad: ReadonlyArray<unknown> = [-1, 1.5, Number.NaN, 2 ** 53, "5", null]
    for (let seed = 0; seed < 200; seed++) {
      const rng = makeRng(seed)
      const v = pick(rng, bad)
      if (rng.rand(0, 2) === 0) {
        const f = pick(rng, fields)
        const result = Attrs.make({ [f]: v })
        assert.isTrue(Result.isFailure(result))
        if (Result.isFailure(result) && result.failure.reason._tag === "InvalidArgument") {
          assert.strictEqual(result.failure.reason.field, `attrs.${f}`, `seed ${seed}`)
        } else assert.fail(`seed ${seed}: expected InvalidArgument`)
      } else {
        const f = pick(rng, goalFields)
        const result = Attrs.make({ intervalsGoal: { [f]: v } })
        assert.isTrue(Result.isFailure(result))
        if (Result.isFailure(result) && result.failure.reason._tag === "InvalidArgument") {
          assert.strictEqual(result.failure.reason.field, `attrs.intervalsGoal.${f}`, `seed ${seed}`)
        } else assert.fail(`seed ${seed}: expected InvalidArgument`)
      }
    }
  })

  it("make with no input gives the damon_new_ctx() defaults", () => {
    const result = Attrs.make()
    assert.isTrue(Result.isSuccess(result))
    if (Result.isSuccess(result)) assert.deepStrictEqual(result.success, Attrs.defaults)
  })

  it("maxNrAccesses is min(aggr / max(sample, 1), UINT_MAX)", () => {
    const a = (sampleIntervalUs: number, aggrIntervalUs: number) =>
      Attrs.maxNrAccesses({ ...Attrs.defaults, sampleIntervalUs, aggrIntervalUs })
    assert.strictEqual(a(5000, 100_000), 20)
    assert.strictEqual(a(0, 5000), 5000)
    assert.strictEqual(a(3, 10), 3)
    assert.strictEqual(a(10, (0xffff_ffff + 1) * 10), 0xffff_ffff)
    assert.strictEqual(a(1, 2 ** 40), 0xffff_ffff)
  })
})
