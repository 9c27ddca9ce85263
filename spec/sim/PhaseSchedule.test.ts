import { assert, describe, it } from "@effect/vitest"
import { makeRng } from "../../src/core/Rng.ts"
import { PhaseSchedule } from "../../src/sim/PhaseSchedule.ts"

describe("PhaseSchedule", () => {
  it("lays phases out in a cycle and finds the phase running at a time", () => {
    const s = new PhaseSchedule([100, 50, 250], true)
    assert.deepStrictEqual([...s.phaseStartUs], [0, 100_000, 150_000, 400_000])
    assert.strictEqual(s.cycleUs, 400_000)
    assert.deepStrictEqual([0, 99_999, 100_000, 149_999, 150_000, 399_999].map((t) => s.phaseAt(t)), [0, 0, 1, 1, 2, 2])
    // Looping: the cycle repeats.
    assert.deepStrictEqual([400_000, 520_000, 4_000_000 + 160_000].map((t) => s.phaseAt(t)), [0, 1, 2])
    assert.strictEqual(s.phaseAt(-1), -1)
    assert.strictEqual(s.phaseAt(Number.NaN), -1)
    const once = new PhaseSchedule([100, 50, 250], false)
    assert.strictEqual(once.phaseAt(399_999), 2)
    assert.strictEqual(once.phaseAt(400_000), -1)
    assert.strictEqual(new PhaseSchedule([], true).phaseAt(0), -1)
  })

  it("cuts a window into one piece per phase instance, relative to the instance start", () => {
    const s = new PhaseSchedule([100, 50], true)
    const pieces = (from: number, to: number) => {
      const n = s.splitWindow(from, to)
      return Array.from({ length: n }, (_, i) => [s.segPhase[i]!, s.segU1[i]!, s.segU2[i]!])
    }
    assert.deepStrictEqual(pieces(10_000, 20_000), [[0, 10_000, 20_000]])
    assert.deepStrictEqual(pieces(90_000, 170_000), [[0, 90_000, 100_000], [1, 0, 50_000], [0, 0, 20_000]])
    assert.deepStrictEqual(pieces(5, 5), [])
  })

  it("tiles any window exactly, whatever order it is asked in (seeded)", () => {
    const rng = makeRng(8)
    for (let run = 0; run < 50; run++) {
      const durations = Array.from({ length: rng.rand(1, 6) }, () => rng.rand(1, 300))
      const s = new PhaseSchedule(durations, true)
      const fresh = new PhaseSchedule(durations, true)
      for (let k = 0; k < 40; k++) {
        const from = rng.rand(0, 3 * s.cycleUs)
        const to = from + rng.rand(0, 2 * s.cycleUs)
        const n = s.splitWindow(from, to)
        let at = from
        for (let i = 0; i < n; i++) {
          const p = s.segPhase[i]!
          const len = s.segU2[i]! - s.segU1[i]!
          assert.isAbove(len, 0)
          assert.isAtMost(s.segU2[i]!, s.phaseStartUs[p + 1]! - s.phaseStartUs[p]!)
          // The piece starts where the last one ended, in the phase running then.
          assert.strictEqual(s.phaseAt(at), p)
          at += len
        }
        assert.strictEqual(at, to)
        // The last-hit cache never changes an answer.
        const t = rng.rand(0, 5 * s.cycleUs)
        assert.strictEqual(s.phaseAt(t), fresh.phaseAt(t))
      }
    }
  })
})
