import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Result, Stream } from "effect"
import * as Transform from "../../../src/core/damos/Transform.ts"
import { applySchemes as applySchemesStream } from "../../../src/core/damos/TransformStream.ts"
import type { SchemeInput } from "../../../src/core/damos/DamosConfig.ts"
import type { DamonOps } from "../../../src/ops/DamonOps.ts"
import { makeRng } from "../../../src/core/Rng.ts"
import { untyped } from "../../support/untyped.ts"
import { config } from "./fixtures.ts"

type Snapshot = Transform.Snapshot
const { recordingOps } = Transform
// the tests below use valid input: unwrap the Results (bad input is tested at the end)
const init = (...args: Parameters<typeof Transform.init>) => Result.getOrThrow(Transform.init(...args))
const step = (state: Transform.TransformState, snapshot: Snapshot, ops?: DamonOps) =>
  Result.getOrThrow(Transform.step(state, snapshot, ops))
const run = (...args: Parameters<typeof Transform.run>) => Result.getOrThrow(Transform.run(...args))

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

  // 100 seeded runs of 6 snapshots each (about 0.3 s on 2 cores): quota trims and addr filters split regions
  it("step - splits are exactly the starts after the pass that no snapshot region had; regions stay sorted", () => {
    for (let seed = 1; seed <= 100; seed++) {
      const rng = makeRng(seed)
      const nrTargets = rng.rand(1, 4)
      const schemes = [
        config({ action: "pageout", quota: { sz: rng.rand(1, 9) * K, resetIntervalMs: 1000 } }),
        config({ action: "stat", filters: [{ type: "addr", matching: true, allow: false, addrRange: { start: rng.rand(0, 64) * K, end: rng.rand(64, 200) * K } }] })
      ]
      let state = init(schemes)
      for (let i = 0; i < 6; i++) {
        const snap: Snapshot = {
          nowUs: (i + 1) * 1_000_000,
          targets: Array.from({ length: nrTargets }, () => {
            let addr = rng.rand(0, 8) * K
            return {
              regions: Array.from({ length: rng.rand(0, 12) }, () => {
                addr += rng.rand(0, 3) * K
                const start = addr
                addr += rng.rand(1, 9) * K
                return { start, end: addr, nrAccesses: rng.rand(0, 21), age: rng.rand(0, 9) }
              })
            }
          })
        }
        const [next, d] = step(state, snap, recordingOps({ applied: "all" }))
        state = next
        const expected = d.regions.flatMap((regions, targetIndex) => {
          const before = new Set(snap.targets[targetIndex]!.regions.map((r) => r.start))
          return regions.filter((r) => !before.has(r.start)).map((r) => ({ targetIndex, addr: r.start }))
        })
        assert.deepStrictEqual(d.splits, expected, `seed ${seed}, snapshot ${i}`)
        for (const regions of d.regions) {
          for (let j = 1; j < regions.length; j++) assert.isAtMost(regions[j - 1]!.end, regions[j]!.start)
        }
      }
    }
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

  it("bad schemes, options and snapshots are InvalidArgument naming the field, never a throw", () => {
    const failure = <A>(r: Result.Result<A, { readonly message: string }>): string =>
      Result.isFailure(r) ? r.failure.message : "succeeded"
    assert.include(failure(Transform.init(untyped([{ action: "pageout" }, { action: "explode" }]))), "schemes[1].action: \"explode\" is invalid")
    assert.include(failure(Transform.init([], { attrs: { minNrRegions: 2 } })), "options.attrs.minNrRegions: 2 is invalid")
    assert.include(failure(Transform.init([], { minRegionSz: 3000 })), "options.minRegionSz: 3000 is invalid: must be a power of two")
    assert.include(failure(Transform.init(untyped(null))), "schemes: null is invalid")
    const state = init([config({})])
    const cases: ReadonlyArray<readonly [unknown, string]> = [
      [null, "snapshot: null is invalid: must be an object"],
      [{ nowUs: -1, targets: [] }, "snapshot.nowUs: -1 is invalid"],
      [{ nowUs: Number.NaN, targets: [] }, "snapshot.nowUs: NaN is invalid"],
      [{ nowUs: 0 }, "snapshot.targets: undefined is invalid: must be an array"],
      [{ nowUs: 0, targets: [{ regions: [{ start: 10, end: 5, nrAccesses: 0, age: 0 }] }] }, "snapshot.targets[0].regions[0].end: 5 is invalid: must be > start (10)"],
      [{ nowUs: 0, targets: [{ regions: [{ start: 0, end: 8, nrAccesses: 0, age: 0 }, { start: 4, end: 9, nrAccesses: 0, age: 0 }] }] }, "snapshot.targets[0].regions[1].start: 4 is invalid"],
      [{ nowUs: 0, targets: [{ regions: [{ start: 0, end: 8, nrAccesses: -1, age: 0 }] }] }, "snapshot.targets[0].regions[0].nrAccesses: -1 is invalid"],
      [{ nowUs: 0, targets: [{ regions: [{ start: 0, end: 8, nrAccesses: 1, age: "old" }] }] }, "snapshot.targets[0].regions[0].age: \"old\" is invalid"],
      [{ nowUs: 0, targets: [{ regions: [{ start: 0, end: 2 ** 60, nrAccesses: 1, age: 1 }] }] }, "snapshot.targets[0].regions[0].end"],
      [{ nowUs: 0, targets: [{ pid: "x", regions: [] }] }, "snapshot.targets[0].pid: \"x\" is invalid"]
    ]
    for (const [bad, message] of cases) assert.include(failure(Transform.step(state, untyped(bad))), message)
    // a snapshot with a different number of targets than the ones before
    const [next] = step(state, snapshot(0, [1]))
    assert.include(failure(Transform.step(next, { nowUs: 1, targets: [] })), "snapshot.targets: 0 is invalid: must have the 1 targets")
    assert.include(
      failure(Transform.run([config({})], [snapshot(0, [1]), untyped({ nowUs: 1, targets: [{ regions: [{ start: 1, end: 0 }] }] })])),
      "snapshots[1].targets[0].regions[0].end: 0 is invalid"
    )
  })

  it.effect("TransformStream.applySchemes - bad input fails the stream typed; data-first form", () =>
    Effect.gen(function*() {
      const badScheme = yield* Effect.exit(Stream.runCollect(applySchemesStream(Stream.make(snapshot(0, [1])), untyped<ReadonlyArray<SchemeInput>>([{ quota: { ms: -1 } }]))))
      assert.isTrue(Exit.isFailure(badScheme))
      const error = yield* Effect.flip(Stream.runCollect(Stream.make(snapshot(0, [1]), untyped<Snapshot>({ nowUs: -5, targets: [] })).pipe(applySchemesStream([config({})]))))
      assert.strictEqual(error.message, "snapshots[1].nowUs: -5 is invalid: must be a finite number >= 0")
    }))
})
