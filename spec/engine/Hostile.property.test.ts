/**
 * "Typed error or success, never a defect, never a change on failure", as a property of the
 * whole public API under hostile input (`spec/support/Hostile.ts`): 10 000 seeded cases per run (about 4.5 s)
 * over `Damon.start`, `kdamond.commit`, `commitQuotaGoals`, `Transform`, `TransformStream` and
 * DAMON_RECLAIM's parameter writes, each a plausible input (sampled from the config Schemas) with
 * up to three hostile values planted in it.
 *
 * Why 10 000: issue 13 asks for 10 000 hostile inputs per `npm test` run; fewer would do for the
 * pairs alone (a bug of this kind is an entry point that mishandles one kind of hostile value, and
 * the test asserts that every one of the 6 x 19 (entry, kind) pairs is planted at least
 * {@link MIN_PER_PAIR} times (the generator's sizes grow from empty, so the first ~500 cases
 * plant nothing; with this seed every pair is planted 12 times by case 3 000, 19 by 4 000, 85 by
 * 10 000), which 4 000 cases would cover for 40 % of the CPU (about 1.7 s instead of 4.5 s). On the code before these checks
 * existed the generator found 195 violations in its first 600 cases. `bench/fuzz.ts` runs 100 000
 * cases and reports the rate. The clock is a frozen `TestClock`, so a kdamond's context can
 * change only through the case under test.
 */
import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Effect } from "effect"
import { caseArbitrary, entries, harnessLayer, hostileKinds, makePools, makeRunner } from "../support/Hostile.ts"

const SEED = 20_260_613
const RUNS = 10_000
/** Fewest plantings of any (entry, hostile kind) pair the run must make (85 with this seed). */
const MIN_PER_PAIR = 15

describe("hostile input", () => {
  it.effect(`${RUNS} generated hostile inputs to the public API: typed error or success, never a defect, never a change on failure`, () =>
    Effect.gen(function*() {
      const run = yield* makeRunner(yield* makePools(SEED))
      const tally = { typed: 0, ok: 0 }
      const planted = new Map<string, number>()
      const result = yield* Arbitrary.checkEffect(
        caseArbitrary,
        (c) =>
          Effect.map(run(c), (verdict) => {
            for (const m of c.mutations) planted.set(`${c.entry} ${m.kind}`, (planted.get(`${c.entry} ${m.kind}`) ?? 0) + 1)
            if (verdict._tag !== "ok") return false
            if (verdict.typed) tally.typed++
            else tally.ok++
            return true
          }),
        { runs: RUNS, seed: SEED, maxShrinks: 50 }
      )
      assert.strictEqual(result._tag, "Passed", Arbitrary.formatCheckFailure(result))
      // both outcomes are exercised: most hostile inputs are refused, some plausible ones succeed
      assert.isAbove(tally.typed, RUNS / 4)
      assert.isAbove(tally.ok, RUNS / 50)
      // and every entry point met every kind of hostile value, several times
      for (const entry of entries) {
        for (const kind of hostileKinds) assert.isAtLeast(planted.get(`${entry} ${kind}`) ?? 0, MIN_PER_PAIR, `${entry} ${kind}`)
      }
    }).pipe(Effect.provide(harnessLayer)), 120_000)
})
