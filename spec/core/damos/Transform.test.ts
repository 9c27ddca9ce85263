import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { applySchemes as applySchemesStream } from "../../../src/core/damos/TransformStream.ts"
import { init, recordingOps, run, type Snapshot, step } from "../../../src/core/damos/Transform.ts"
import { config } from "./fixtures.ts"

const K = 4096

const snapshot = (nowUs: number, accesses: ReadonlyArray<number>): Snapshot => ({
  nowUs,
  targets: [{ regions: accesses.map((nr, i) => ({ start: i * 4 * K, end: (i + 1) * 4 * K, nrAccesses: nr, age: 5 })) }]
})

describe("Transform", () => {
  it("step - reports decisions, splits and stats without touching the input state", () => {
    const cold = config({ action: "pageout", pattern: { maxNrAccesses: 0 }, quota: { sz: 6 * K, resetIntervalMs: 1000 } })
    const state = init([cold])
    const frozen = JSON.stringify(state, (_k, v) => (typeof v === "bigint" ? v.toString() : v))
    const [next, d] = step(state, snapshot(100_000, [0, 3, 0, 0]), recordingOps({ applied: "all" }))
    assert.strictEqual(JSON.stringify(state, (_k, v) => (typeof v === "bigint" ? v.toString() : v)), frozen)
    assert.isTrue(d.ran)
    assert.strictEqual(d.passedSampleIntervals, 20)
    assert.deepStrictEqual(
      d.actions.map((a) => [a.outcome, a.start / K, a.end / K, a.szApplied / K]),
      [["applied", 0, 4, 4], ["applied", 8, 10, 2]]
    )
    assert.deepStrictEqual(d.splits, [{ targetIndex: 0, addr: 10 * K }])
    assert.strictEqual(d.regions[0]!.length, 5)
    assert.strictEqual(d.regions[0]![0]!.age, 0)
    assert.strictEqual(d.regions[0]![1]!.age, 5)
    assert.deepStrictEqual(d.schemes[0]!.delta, {
      nrTried: 2,
      szTried: 6 * K,
      nrApplied: 2,
      szApplied: 6 * K,
      szOpsFilterPassed: 6 * K,
      qtExceeds: 0,
      // The quota was full when the last region came: no snapshot is counted.
      nrSnapshots: 0
    })
    assert.strictEqual(d.schemes[0]!.esz, 6 * K)
    assert.deepStrictEqual(next.chargeTargets, [0])
    // Next window: resumes after the charged address in the next snapshot's same target.
    const [, d2] = step(next, snapshot(1_200_000, [0, 3, 0, 0]), recordingOps({ applied: "all" }))
    assert.deepStrictEqual(d2.actions.map((a) => [a.start / K, a.end / K]), [[10, 12], [12, 16]])
    assert.strictEqual(d2.schemes[0]!.stat.qtExceeds, 1)
  })

  it("step - records core-filtered pieces; the default recording ops applies nothing", () => {
    const s = config({ filters: [{ type: "addr", matching: true, allow: false, addrRange: { start: 0, end: 2 * K } }] })
    const [, d] = step(init([s]), snapshot(0, [1]))
    assert.deepStrictEqual(
      d.actions.map((a) => [a.outcome, a.start / K, a.end / K, a.szApplied]),
      [["filtered", 0, 2, 0], ["applied", 2, 4, 0]]
    )
    assert.strictEqual(d.schemes[0]!.delta.szTried, 2 * K)
  })

  it("step - schemes run on their own apply interval and respect watermarks", () => {
    const every2 = config({ applyIntervalUs: 200_000 })
    const gated = config({ wmarks: { metric: "free_mem_rate", intervalUs: 1000, high: 500, mid: 400, low: 100 } })
    const ops = recordingOps({
      system: {
        freeMemRatePermil: () => 900,
        someMemPsiTotalUs: () => 0,
        nodeMemUsedBp: () => 0,
        nodeMemFreeBp: () => 0,
        nodeMemcgUsedBp: () => 0,
        activeMemBp: () => 0,
        inactiveMemBp: () => 0,
        nodeOfAddr: () => 0
      }
    })
    const ds = run([every2, gated], [snapshot(100_000, [1]), snapshot(200_000, [1]), snapshot(300_000, [1])], {}, ops)
    assert.deepStrictEqual(ds.map((d) => d.schemes[0]!.ran), [false, true, false])
    assert.deepStrictEqual(ds.map((d) => d.schemes[1]!.ran), [false, false, false])
    assert.deepStrictEqual(ds.map((d) => d.schemes[1]!.activated), [false, false, false])
  })

  it("run - equals stepping by hand, and is deterministic", () => {
    const schemes = [config({ action: "cold", quota: { sz: 3 * K } }), config({ pattern: { minNrAccesses: 2 } })]
    const snaps = [snapshot(0, [0, 2, 4]), snapshot(150_000, [1, 2, 0]), snapshot(300_000, [3, 0, 0])]
    const a = run(schemes, snaps)
    const b = run(schemes, snaps)
    assert.deepStrictEqual(a, b)
    let state = init(schemes)
    snaps.forEach((snap, i) => {
      const [next, d] = step(state, snap)
      assert.deepStrictEqual(d, a[i])
      state = next
    })
  })

  it.effect("TransformStream.applySchemes - Stream<Snapshot> to Stream<Decisions>", () =>
    Effect.gen(function*() {
      const schemes = [config({ action: "cold", quota: { sz: 3 * K } })]
      const snaps = [snapshot(0, [0, 2, 4]), snapshot(150_000, [1, 2, 0]), snapshot(300_000, [3, 0, 0])]
      const out = yield* Stream.fromIterable(snaps).pipe(applySchemesStream(schemes), Stream.runCollect)
      assert.deepStrictEqual(out, run(schemes, snaps))
      assert.strictEqual(out.length, 3)
    }))
})
