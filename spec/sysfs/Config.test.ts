/**
 * The typed view of the admin tree: `readConfig` decodes a kdamond's tree into the engine's
 * config (what `on` starts), `writeConfig` writes a config object as a tree.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { type DamonCtx } from "effect-damon"
import * as Sysfs from "../../src/sysfs/Sysfs.ts"
import { CTX, errnoOf, type Handles, read, S0, setupVaddr, sysfsLayer, write, writeAll } from "./support/TestOps.ts"

const K = "kdamonds/0"

const config = {
  ops: "vaddr",
  attrs: {
    sampleIntervalUs: 2000,
    aggrIntervalUs: 40000,
    opsUpdateIntervalUs: 1000000,
    intervalsGoal: { accessBp: 0, aggrs: 0, minSampleUs: 0, maxSampleUs: 0 },
    minNrRegions: 20,
    maxNrRegions: 500
  },
  targets: [{ pid: 42, regions: [{ start: 0, end: 1 << 20 }, { start: 2 << 20, end: 4 << 20 }], obsolete: false }],
  schemes: [
    {
      pattern: { minSzRegion: 4096, maxSzRegion: Number.MAX_SAFE_INTEGER, minNrAccesses: 0, maxNrAccesses: 4294967295, minAgeRegion: 3, maxAgeRegion: 4294967295 },
      action: "pageout" as const,
      applyIntervalUs: 0,
      quota: {
        resetIntervalMs: 1000,
        ms: 10,
        sz: 1 << 24,
        goals: [
          { metric: "user_input" as const, targetValue: 10000, currentValue: 4000, nid: 0, memcgId: 0 },
          { metric: "node_memcg_used_bp" as const, targetValue: 3000, currentValue: 0, nid: 1, memcgId: 7 }
        ],
        goalTuner: "temporal" as const,
        weightSz: 1,
        weightNrAccesses: 2,
        weightAge: 3
      },
      wmarks: { metric: "free_mem_rate" as const, intervalUs: 5000000, high: 800, mid: 500, low: 100 },
      targetNid: 1,
      dests: [{ nid: 0, weight: 30 }, { nid: 1, weight: 70 }],
      filters: [
        { type: "addr" as const, matching: true, allow: false, addrRange: { start: 0, end: 1 << 20 } },
        { type: "memcg" as const, matching: false, allow: true, memcgId: 7 },
        { type: "target" as const, matching: true, allow: true, targetIdx: 0 },
        { type: "hugepage_size" as const, matching: false, allow: false, szRange: { min: 2 << 20, max: 2 << 20 } },
        { type: "young" as const, matching: true, allow: false }
      ],
      maxNrSnapshots: 5
    }
  ],
  addrUnit: 1,
  minRegionSz: 4096
}

/** The same config with filters in the engine's order: the core list, then the ops list. */
const split = {
  ...config,
  schemes: [{
    ...config.schemes[0]!,
    filters: [0, 2, 1, 3, 4].map((i) => config.schemes[0]!.filters[i]!)
  }]
}

const layer = (handles?: Handles) => sysfsLayer({ memcgs: { "/workload": 7 } }, handles)

describe("Config", () => {
  it.effect("writeConfig then readConfig - round-trips a full config (filters in core-then-ops order)", () =>
    Effect.gen(function*() {
      const fs = yield* Sysfs.Sysfs
      yield* write("kdamonds/nr_kdamonds", "1")
      yield* fs.writeConfig(0, config)
      assert.deepStrictEqual(yield* fs.readConfig(0), split)
      assert.strictEqual(yield* read(`${S0}/access_pattern/sz/max`), "18446744073709551615\n")
      assert.strictEqual(yield* read(`${S0}/core_filters/nr_filters`), "2\n")
      assert.strictEqual(yield* read(`${S0}/ops_filters/0/memcg_path`), "/workload\n")
      assert.strictEqual(yield* read(`${S0}/quotas/goals/1/path`), "/workload\n")
      assert.strictEqual(yield* read(`${S0}/dests/1/weight`), "70\n")
      assert.strictEqual(yield* read(`${CTX}/targets/0/regions/1/start`), "2097152\n")
    }).pipe(Effect.provide(layer())))

  it.effect("readConfig - is exactly what 'on' starts", () =>
    Effect.gen(function*() {
      const handles: Handles = { all: [] }
      yield* Effect.gen(function*() {
        const fs = yield* Sysfs.Sysfs
        yield* write("kdamonds/nr_kdamonds", "1")
        yield* fs.writeConfig(0, { ...config, schemes: [{ ...config.schemes[0]!, wmarks: { metric: "none" } }] })
        const expected = yield* fs.readConfig(0)
        yield* write(`${K}/state`, "on")
        const running = yield* handles.all[0]!.damonCall((ctx: DamonCtx.DamonCtx) => ({
          ops: ctx.opsId,
          sample: ctx.attrs.sampleIntervalUs,
          regions: ctx.targets.map((t) => t.pid),
          pattern: ctx.schemes[0]!.pattern,
          quota: [ctx.schemes[0]!.quota.ms, ctx.schemes[0]!.quota.sz, ctx.schemes[0]!.quota.goalTuner],
          filters: [...ctx.schemes[0]!.coreFilters, ...ctx.schemes[0]!.opsFilters],
          dests: ctx.schemes[0]!.dests
        }))
        assert.deepStrictEqual(running, {
          ops: expected.ops,
          sample: expected.attrs.sampleIntervalUs,
          regions: expected.targets.map((t) => t.pid),
          pattern: expected.schemes[0]!.pattern,
          quota: [expected.schemes[0]!.quota.ms, expected.schemes[0]!.quota.sz, expected.schemes[0]!.quota.goalTuner],
          filters: expected.schemes[0]!.filters,
          dests: expected.schemes[0]!.dests
        })
      }).pipe(Effect.provide(layer(handles)))
    }))

  it.effect("readConfig - the sysfs defaults: a fresh scheme matches nothing (every bound 0)", () =>
    Effect.gen(function*() {
      const fs = yield* Sysfs.Sysfs
      yield* setupVaddr(0)
      yield* write(`${CTX}/schemes/nr_schemes`, "1")
      const c = yield* fs.readConfig(0)
      assert.deepStrictEqual(c.schemes[0], {
        pattern: { minSzRegion: 0, maxSzRegion: 0, minNrAccesses: 0, maxNrAccesses: 0, minAgeRegion: 0, maxAgeRegion: 0 },
        action: "stat",
        applyIntervalUs: 0,
        quota: { resetIntervalMs: 0, ms: 0, sz: 0, goals: [], goalTuner: "consist", weightSz: 0, weightNrAccesses: 0, weightAge: 0 },
        wmarks: { metric: "none", intervalUs: 0, high: 0, mid: 0, low: 0 },
        targetNid: -1,
        dests: [],
        filters: [],
        maxNrSnapshots: 0
      })
      assert.deepStrictEqual(c.attrs, {
        sampleIntervalUs: 5000,
        aggrIntervalUs: 100000,
        opsUpdateIntervalUs: 60000000,
        intervalsGoal: { accessBp: 0, aggrs: 0, minSampleUs: 0, maxSampleUs: 0 },
        minNrRegions: 10,
        maxNrRegions: 1000
      })
      assert.deepStrictEqual([c.ops, c.addrUnit, c.minRegionSz, c.targets], ["vaddr", 1, 4096, [{ pid: 42, regions: [], obsolete: false }]])
    }).pipe(Effect.provide(layer())))

  it.effect("readConfig - paddr: pids are ignored and addr_unit sets min_region_sz", () =>
    Effect.gen(function*() {
      const fs = yield* Sysfs.Sysfs
      yield* setupVaddr(0)
      yield* writeAll([[`${CTX}/operations`, "paddr"], [`${CTX}/addr_unit`, "4"]])
      const c = yield* fs.readConfig(0)
      assert.deepStrictEqual([c.ops, c.addrUnit, c.minRegionSz, c.targets[0]!.pid], ["paddr", 4, 1024, null])
    }).pipe(Effect.provide(layer())))

  it.effect("readConfig - fails like 'on': no context, unknown kdamond, invalid tree", () =>
    Effect.gen(function*() {
      const fs = yield* Sysfs.Sysfs
      assert.strictEqual(yield* errnoOf(fs.readConfig(0)), "ENOENT")
      yield* write("kdamonds/nr_kdamonds", "1")
      assert.strictEqual(yield* errnoOf(fs.readConfig(0)), "EINVAL")
      yield* setupVaddr(1)
      yield* write(`${CTX}/targets/0/pid_target`, "-1")
      const e = yield* Effect.flip(fs.readConfig(0))
      assert.include(e.message, `${CTX}/targets/0/pid_target`)
    }).pipe(Effect.provide(layer())))

  it.effect("writeConfig - invalid or inexpressible configs are refused and change nothing", () =>
    Effect.gen(function*() {
      const fs = yield* Sysfs.Sysfs
      yield* setupVaddr(1)
      const before = yield* fs.readConfig(0)
      const bad: ReadonlyArray<readonly [unknown, string]> = [
        [{ ...config, attrs: { sampleIntervalUs: 200000, aggrIntervalUs: 100000 } }, "attrs.sampleIntervalUs"],
        [{ ...config, minRegionSz: 8192 }, "minRegionSz"],
        [{ ...config, schemes: [{ filters: [{ type: "memcg", memcgId: 9 }] }] }, "schemes[0].filters[0].memcgId"],
        [{ ...config, ops: "kvm" }, "ops"],
        [{ ...config, attrs: { aggrSamples: 3 } }, "attrs.aggrSamples"]
      ]
      for (const [input, field] of bad) {
        const e = yield* Effect.flip(fs.writeConfig(0, input))
        assert.strictEqual(e.errno, "EINVAL", field)
        assert.include(e.message, field)
        assert.deepStrictEqual(yield* fs.readConfig(0), before, field)
      }
      assert.strictEqual(yield* errnoOf(fs.writeConfig(3, config)), "ENOENT")
    }).pipe(Effect.provide(layer())))
})
