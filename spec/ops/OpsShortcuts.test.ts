/**
 * The ops sets' shortcuts (`DamonOps.fixedSchemeScore`, `applyIsNoop`) against the calls they
 * stand for: a fixed score is what `getSchemeScore` gives every region, a no-op action reports
 * nothing and changes nothing, and whole kdamond runs with the shortcuts and without them (every
 * score and action asked per region, as the kernel asks) see the same regions, statistics and
 * quota state at every aggregation.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Result } from "effect"
import { Damon, type DamonConfigInput, type DamonOpsFactory, DamosConfig, OpsRegistry, Transform, World } from "effect-damon"
import { MasimFiles, SimMachine, SimOps } from "effect-damon/sim"
import { makeRng } from "../../src/core/Rng.ts"
import { actions as ACTIONS, type Damos } from "../../src/model/Damos.ts"
import type { DamonCtx } from "../../src/model/DamonCtx.ts"
import type { ApplyResult, DamonOps } from "../../src/ops/DamonOps.ts"
import { withoutShortcuts } from "../support/opsShortcuts.ts"

const MiB = 1024 * 1024

type Schemes = NonNullable<DamonConfigInput["schemes"]>

const unwrap = <A, E>(r: Result.Result<A, E>): A => {
  if (Result.isFailure(r)) throw r.failure
  return r.success
}

const machineOf = (workload: string) =>
  unwrap(SimMachine.SimMachine.withMasim(unwrap(MasimFiles.loadMasimConfig(workload)), { seed: 1, pid: 42 }))

/** What a user can see of a context at an aggregation: regions, statistics, quota state. */
const stateOf = (ctx: DamonCtx) => [
  ctx.passedSampleIntervals,
  ctx.targets.map((t) => t.regions.map((r) => [r.start, r.end, r.nrAccesses, r.nrAccessesBp, r.lastNrAccesses, r.age])),
  ctx.schemes.map((s) => [
    { ...s.stat },
    s.quota.esz,
    s.quota.chargedSz,
    s.quota.totalChargedSz,
    s.quota.minScore,
    s.quota.chargeAddrFrom,
    s.lastApplied
  ])
]

/**
 * Scheme sets that reach every shortcut path: fixed scores with size and time quotas (one walk
 * for all thresholds, and one scheme per walk when a core filter is present), `stat` without ops
 * filters (no-op) with and without a quota, `stat` with an ops filter (called), and scored
 * actions next to them.
 */
const schemeSets = (ops: "vaddr" | "paddr"): ReadonlyArray<Schemes> => [
  [
    { action: "pageout", pattern: { maxNrAccesses: 0, minAgeRegion: 5 }, quota: { sz: 64 * MiB, resetIntervalMs: 1000, weightAge: 1 } },
    { action: "cold", pattern: { maxNrAccesses: 2 }, quota: { ms: 2, resetIntervalMs: 1000, weightNrAccesses: 1, weightAge: 1 } },
    { action: "stat", pattern: { minNrAccesses: 5 } }
  ],
  [
    { action: "stat", pattern: { maxNrAccesses: 3 }, quota: { sz: 32 * MiB, resetIntervalMs: 300 } },
    { action: ops === "vaddr" ? "willneed" : "lru_prio", pattern: { minNrAccesses: 1 }, quota: { sz: 16 * MiB, resetIntervalMs: 200 } },
    { action: "stat", filters: [{ type: "anon", matching: true, allow: true }] }
  ],
  [
    {
      action: ops === "vaddr" ? "cold" : "lru_deprio",
      pattern: { maxNrAccesses: 1 },
      quota: { sz: 8 * MiB, resetIntervalMs: 100 },
      filters: [{ type: "addr", matching: false, allow: false, addrRange: { start: 0, end: 1 } }]
    },
    { action: "stat", quota: { ms: 1, resetIntervalMs: 100 } }
  ]
]

/** A run of 4 s of virtual time; the state at every aggregation. */
const record = (ops: "vaddr" | "paddr", workload: string, schemes: Schemes, shortcuts: boolean) =>
  Effect.gen(function*() {
    const machine = machineOf(workload)
    const factories = SimOps.simOps(machine)
    const plain = (f: DamonOpsFactory): DamonOpsFactory => () => withoutShortcuts(f())
    const registry = shortcuts ? factories : { ...factories, vaddr: plain(factories.vaddr), paddr: plain(factories.paddr) }
    const targets = ops === "vaddr" ? [{ pid: 42 }] : [{ regions: machine.systemRamRanges().map((r) => ({ start: r.start, end: r.end })) }]
    return yield* Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(
        { ops, targets, schemes, attrs: { minNrRegions: 50, maxNrRegions: 500 } },
        { seed: 3, stopAtUs: 4_000_000 }
      )
      const seen: Array<unknown> = []
      yield* Effect.forkChild(k.damonCallRepeat((ctx) => void seen.push(stateOf(ctx)), { at: "aggregation" }), { startImmediately: true })
      yield* k.join
      return seen
    }).pipe(Effect.provide(Damon.layer.pipe(Layer.provide(OpsRegistry.layer(registry)))))
  }).pipe(Effect.provide(World.layerVirtual))

describe("ops-set shortcuts", () => {
  it("fixedSchemeScore is what getSchemeScore gives every region, and is given for every action the ops set does not prioritise", () => {
    const rng = makeRng(17)
    for (const opsId of ["vaddr", "paddr"] as const) {
      const ops = SimOps.simOps(machineOf("stairs"))[opsId]()
      let fixed = 0
      for (const action of ACTIONS) {
        const scheme = { action, quota: { weightNrAccesses: rng.rand(0, 10), weightAge: rng.rand(0, 10), weightSz: 0 } } as unknown as Damos
        const score = ops.fixedSchemeScore!(scheme)
        if (score === undefined) continue
        fixed++
        for (let i = 0; i < 200; i++) {
          const ctx = { attrs: { sampleIntervalUs: 5000, aggrIntervalUs: 100_000 } } as unknown as DamonCtx
          const region = { start: 0, end: 4096, nrAccesses: rng.rand(0, 21), nrAccessesBp: 0, lastNrAccesses: 0, age: rng.rand(0, 1000), samplingAddr: -1 }
          assert.strictEqual(ops.getSchemeScore!(ctx, { pid: 42, regions: [region] } as never, region, scheme), score, `${opsId} ${action}`)
        }
      }
      // every action but the prioritised ones (vaddr: 3, paddr: 5) has a fixed score
      assert.strictEqual(fixed, ACTIONS.length - (opsId === "vaddr" ? 3 : 5), opsId)
    }
  })

  it("applyIsNoop holds only for stat without ops filters, whose call reports nothing", () => {
    for (const opsId of ["vaddr", "paddr"] as const) {
      const ops = SimOps.simOps(machineOf("stairs"))[opsId]()
      for (const action of ACTIONS) {
        const bare = { action, opsFilters: [], coreFilters: [] } as unknown as Damos
        const filtered = { action, opsFilters: [{ type: "anon", matching: true, allow: true }], coreFilters: [] } as unknown as Damos
        assert.strictEqual(ops.applyIsNoop!(bare), action === "stat", `${opsId} ${action}`)
        assert.isFalse(ops.applyIsNoop!(filtered), `${opsId} ${action} with an ops filter`)
      }
      const stat = { action: "stat", opsFilters: [], coreFilters: [], lastApplied: -1 } as unknown as Damos
      const out: ApplyResult = { applied: 7, filterPassed: 7, costNs: 7 }
      const region = { start: 0x7f0000000000, end: 0x7f0000100000, nrAccesses: 0, nrAccessesBp: 0, lastNrAccesses: 0, age: 0, samplingAddr: -1 }
      ops.applyScheme!({ addrUnit: 1 } as unknown as DamonCtx, { pid: 42, regions: [region] } as never, region, stat, { rng: makeRng(1), nowUs: () => 1000 }, out)
      assert.deepStrictEqual(out, { applied: 0, filterPassed: 0, costNs: 0 }, opsId)
      assert.strictEqual(stat.lastApplied, -1, opsId)
    }
  })

  it("the offline transform records every try the ops set is handed, shortcuts or not (a wrapper drops applyIsNoop)", () => {
    const machine = machineOf("stairs")
    const ops = SimOps.simOps(machine).vaddr()
    const schemes = unwrap(DamosConfig.decodeSchemes([{ action: "stat" }, { action: "cold", pattern: { maxNrAccesses: 0 } }], "vaddr"))
    const regions = Array.from({ length: 6 }, (_, i) => ({ start: 0x7f0000000000 + i * MiB, end: 0x7f0000000000 + (i + 1) * MiB, nrAccesses: i % 2, age: 3 }))
    const decide = (withShortcuts: DamonOps) => {
      const state = unwrap(Transform.init(schemes, { opsId: "vaddr" }))
      const [, decisions] = unwrap(Transform.step(state, { nowUs: 1_000_000, targets: [{ pid: 42, regions }] }, withShortcuts))
      return decisions
    }
    const fast = decide(ops)
    const asked = decide(withoutShortcuts(ops))
    assert.strictEqual(JSON.stringify(fast), JSON.stringify(asked))
    assert.strictEqual(fast.actions.filter((a) => a.schemeIndex === 0 && a.outcome === "applied").length, 6, "every stat try is a decision")
  })

  it.effect("whole runs with and without the shortcuts see the same regions, statistics and quota state at every aggregation (vaddr and paddr, stairs and zigzag, 3 scheme sets)", () =>
    Effect.gen(function*() {
      let tries = 0
      for (const ops of ["vaddr", "paddr"] as const) {
        for (const workload of ["stairs", "zigzag"]) {
          for (const [i, schemes] of schemeSets(ops).entries()) {
            const fast = yield* record(ops, workload, schemes, true)
            const asked = yield* record(ops, workload, schemes, false)
            const where = `${ops} ${workload} set ${i}`
            assert.isAbove(fast.length, 30, `${where}: aggregations`)
            assert.strictEqual(JSON.stringify(fast), JSON.stringify(asked), where)
            const last = fast.at(-1) as [number, unknown, ReadonlyArray<[{ readonly nrTried: number }]>]
            for (const [stat] of last[2]) tries += stat.nrTried
          }
        }
      }
      assert.isAbove(tries, 10_000, "the schemes tried regions")
    }), 120_000)
})
