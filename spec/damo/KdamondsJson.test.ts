/**
 * damo's kdamonds JSON both ways: a file damo's `args damon` printed decodes to the setup damo
 * would start and prints back identically; generated configs round-trip exactly through both
 * styles; bad values name the JSON path, the value and the rule; fields not applied are reported.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Result } from "effect"
import { readFileSync } from "node:fs"
import { Damon, OpsRegistry, World } from "effect-damon"
import { decodeConfig } from "../../src/core/BuildCtx.ts"
import { makeRng, type Rng } from "../../src/core/Rng.ts"
import { fromKdamondsJson, parseKdamondsJson, type StartConfig } from "../../src/damo/KdamondsJson.ts"
import { formatKdamondsJson, toKdamondsJson } from "../../src/damo/KdamondsJsonWrite.ts"
import { actions, type Filter, type QuotaGoal, type SchemeConfig } from "../../src/model/Damos.ts"
import { makeFakeOps } from "../support/FakeOps.ts"

const SAFE = Number.MAX_SAFE_INTEGER
const UINT_MAX = 0xffff_ffff
const fixtureText = readFileSync(new URL("../fixtures/damo-args-damon.json", import.meta.url), "utf8")
const fixture: unknown = JSON.parse(fixtureText)

const read = (doc: unknown, memcgs: Readonly<Record<string, number>> = {}) => Result.getOrThrow(fromKdamondsJson(doc, { memcgs }))
const failure = (doc: unknown) => {
  const r = fromKdamondsJson(doc)
  assert.isTrue(Result.isFailure(r), "expected a failure")
  return Result.isFailure(r) ? r.failure : undefined
}
/** A fresh copy of the fixture to edit. */
const clone = (): unknown => JSON.parse(fixtureText)
const C0 = "kdamonds.0.contexts.0"

/** The value at a dotted path (`a.0.b`) of a parsed JSON document. */
const get = (doc: unknown, path: string): unknown =>
  path.split(".").reduce<unknown>((cur, k) => (cur !== null && typeof cur === "object" ? (cur as Record<string, unknown>)[k] : undefined), doc)

/** Sets the value at a dotted path of a parsed JSON document (the parent must exist). */
const set = (doc: unknown, path: string, value: unknown): void => {
  const keys = path.split(".")
  const parent = get(doc, keys.slice(0, -1).join(".")) as Record<string, unknown>
  parent[keys[keys.length - 1]!] = value
}

/** The decoded form of a config: every default filled in (what the engine runs). */
const normal = (c: unknown) => Result.getOrThrow(decodeConfig(c))

const expected: StartConfig = {
  ops: "vaddr",
  attrs: {
    sampleIntervalUs: 5000,
    aggrIntervalUs: 100_000,
    opsUpdateIntervalUs: 1_000_000,
    intervalsGoal: { accessBp: 0, aggrs: 0, minSampleUs: 0, maxSampleUs: 0 },
    minNrRegions: 10,
    maxNrRegions: 1000
  },
  targets: [{ pid: 42, regions: [], obsolete: false }],
  schemes: [
    {
      pattern: { minSzRegion: 4096, maxSzRegion: SAFE, minNrAccesses: 0, maxNrAccesses: 0, minAgeRegion: 50, maxAgeRegion: UINT_MAX },
      action: "pageout",
      applyIntervalUs: 0,
      quota: { resetIntervalMs: 1000, ms: 100, sz: 2 ** 30, goals: [], goalTuner: "consist", weightSz: 0, weightNrAccesses: 1, weightAge: 1 },
      wmarks: { metric: "free_mem_rate", intervalUs: 5_000_000, high: 500, mid: 400, low: 200 },
      targetNid: -1,
      dests: [],
      filters: [{ type: "anon", matching: true, allow: false }],
      maxNrSnapshots: 0
    },
    {
      pattern: { minSzRegion: 0, maxSzRegion: SAFE, minNrAccesses: 0, maxNrAccesses: UINT_MAX, minAgeRegion: 0, maxAgeRegion: UINT_MAX },
      action: "stat",
      applyIntervalUs: 0,
      quota: { resetIntervalMs: SAFE, ms: 0, sz: 0, goals: [], goalTuner: "consist", weightSz: 0, weightNrAccesses: 0, weightAge: 0 },
      wmarks: { metric: "none", intervalUs: 0, high: 0, mid: 0, low: 0 },
      targetNid: -1,
      dests: [],
      filters: [],
      maxNrSnapshots: 0
    }
  ],
  addrUnit: 1,
  minRegionSz: 4096
}

// --- Generated configs ------------------------------------------------------------------------

const pick = <A>(rng: Rng, xs: ReadonlyArray<A>): A => xs[rng.rand(0, xs.length)]!
const wide = (rng: Rng, max: number): number => pick(rng, [0, 1, rng.rand(0, 100), rng.rand(0, 1 << 20), rng.rand(0, 2 ** 40), max])
const range = (rng: Rng, max: number): readonly [number, number] => {
  const a = wide(rng, max)
  const b = wide(rng, max)
  return a <= b ? [a, b] : [b, a]
}

const genGoal = (rng: Rng, ops: string): QuotaGoal => {
  const metrics = ["user_input", "some_mem_psi_us", "node_mem_used_bp", "node_mem_free_bp", "node_memcg_used_bp", "active_mem_bp", "inactive_mem_bp"]
  const metric = pick(rng, ops === "paddr" ? [...metrics, "node_eligible_mem_bp"] : metrics) as QuotaGoal["metric"]
  const memcg = metric === "node_memcg_used_bp"
  return {
    metric,
    targetValue: rng.rand(1, 20000),
    currentValue: metric === "user_input" ? rng.rand(0, 30000) : 0,
    nid: metric.startsWith("node_") ? rng.rand(0, 4) : 0,
    memcgId: memcg ? 3 : 0
  }
}

const genFilter = (rng: Rng): Filter => {
  const base = { matching: rng.rand(0, 2) === 1, allow: rng.rand(0, 2) === 1 }
  switch (rng.rand(0, 6)) {
    case 0:
      return { type: pick(rng, ["anon", "active", "young", "unmapped"] as const), ...base }
    case 1:
      return { type: "memcg", ...base, memcgId: 3 }
    case 2: {
      const [start, end] = range(rng, SAFE)
      return { type: "addr", ...base, addrRange: { start, end } }
    }
    case 3:
      return { type: "target", ...base, targetIdx: rng.rand(0, 5) }
    default: {
      const [min, max] = range(rng, SAFE)
      return { type: "hugepage_size", ...base, szRange: { min, max } }
    }
  }
}

const genScheme = (rng: Rng, ops: string, maxNr: number): SchemeConfig => {
  const [minSz, maxSz] = range(rng, SAFE)
  const nrs = [rng.rand(0, maxNr + 1), rng.rand(0, maxNr + 1), pick(rng, [UINT_MAX, maxNr])].sort((a, b) => a - b)
  const ages = [rng.rand(0, 1000), rng.rand(0, 100_000), UINT_MAX].sort((a, b) => a - b)
  const wm = [rng.rand(0, 1001), rng.rand(0, 1001), rng.rand(0, 1001)].sort((a, b) => b - a)
  return {
    pattern: {
      minSzRegion: minSz,
      maxSzRegion: maxSz,
      minNrAccesses: nrs[0]!,
      maxNrAccesses: nrs[rng.rand(1, 3)]!,
      minAgeRegion: ages[0]!,
      maxAgeRegion: ages[rng.rand(1, 3)]!
    },
    action: pick(rng, actions),
    applyIntervalUs: wide(rng, SAFE),
    quota: {
      resetIntervalMs: wide(rng, SAFE),
      ms: wide(rng, SAFE),
      sz: wide(rng, SAFE),
      goals: Array.from({ length: rng.rand(0, 3) }, () => genGoal(rng, ops)),
      goalTuner: pick(rng, ["consist", "temporal"] as const),
      weightSz: rng.rand(0, 1001),
      weightNrAccesses: rng.rand(0, 1001),
      weightAge: rng.rand(0, 1001)
    },
    wmarks: rng.rand(0, 2) === 0
      ? { metric: "none", intervalUs: wide(rng, SAFE), high: wide(rng, SAFE), mid: rng.rand(0, 1001), low: 0 }
      : { metric: "free_mem_rate", intervalUs: wide(rng, SAFE), high: wm[0]!, mid: wm[1]!, low: wm[2]! },
    targetNid: pick(rng, [-1, -1, 0, 3]),
    dests: Array.from({ length: rng.rand(0, 3) }, () => ({ nid: rng.rand(0, 8), weight: rng.rand(0, 1000) })),
    filters: Array.from({ length: rng.rand(0, 4) }, () => genFilter(rng)),
    maxNrSnapshots: wide(rng, SAFE)
  }
}

const genConfig = (rng: Rng): StartConfig => {
  const ops = pick(rng, ["vaddr", "fvaddr", "paddr"])
  const sample = pick(rng, [0, 1, 1000, 5000, rng.rand(1, 100_000)])
  const aggr = sample * pick(rng, [1, 3, 20, rng.rand(1, 200)]) + (sample === 0 ? rng.rand(0, 2) * 100_000 : 0)
  const tune = rng.rand(0, 3) === 0 && sample > 0
  const addrUnit = ops === "paddr" ? pick(rng, [1, 1, 4, 4096, 8192]) : 1
  const regions = (): Array<{ start: number; end: number }> => {
    const cuts = Array.from({ length: 2 * rng.rand(0, 3) }, () => rng.rand(0, 2 ** 40)).sort((a, b) => a - b)
    const out: Array<{ start: number; end: number }> = []
    for (let i = 0; i + 1 < cuts.length; i += 2) if (cuts[i]! < cuts[i + 1]!) out.push({ start: cuts[i]!, end: cuts[i + 1]! })
    return out
  }
  const nrTargets = ops === "paddr" ? rng.rand(0, 2) : rng.rand(1, 3)
  const minNr = rng.rand(3, 100)
  return {
    ops,
    attrs: {
      sampleIntervalUs: sample,
      aggrIntervalUs: aggr,
      opsUpdateIntervalUs: wide(rng, SAFE),
      intervalsGoal: tune
        ? { accessBp: rng.rand(1, 10000), aggrs: rng.rand(1, 10), minSampleUs: rng.rand(0, sample + 1), maxSampleUs: sample + rng.rand(0, 1e6) }
        : { accessBp: 0, aggrs: 0, minSampleUs: 0, maxSampleUs: 0 },
      minNrRegions: minNr,
      maxNrRegions: minNr + wide(rng, SAFE - minNr)
    },
    targets: Array.from({ length: nrTargets }, () => ({ pid: ops === "paddr" ? null : rng.rand(1, 100_000), regions: regions(), obsolete: false })),
    schemes: Array.from({ length: rng.rand(0, 4) }, () => genScheme(rng, ops, sample === 0 ? 0 : Math.floor(aggr / sample))),
    addrUnit,
    minRegionSz: ops === "paddr" ? Math.max(Math.floor(4096 / addrUnit), 1) : 4096
  }
}

const memcgs = { "/workload": 3 }

describe("KdamondsJson", () => {
  it("a file printed by damo args damon decodes to the setup damo would start, with nothing to report", () => {
    const r = read(fixture)
    assert.deepStrictEqual(r.configs, [expected])
    assert.deepStrictEqual(r.notes, [])
  })

  it("damo's file prints back identically (human style), and its values identically in raw style", () => {
    const human = Result.getOrThrow(formatKdamondsJson(read(fixture).configs))
    assert.strictEqual(human.text, fixtureText.trimEnd())
    assert.deepStrictEqual(human.notes, [])
    const raw = Result.getOrThrow(toKdamondsJson(read(fixture).configs, { raw: true }))
    assert.deepStrictEqual(read(raw.json).configs, [expected])
    const s0 = `${C0}.schemes.0`
    assert.deepStrictEqual(get(raw.json, `${s0}.access_pattern`), {
      sz_bytes: { min: "4096", max: "18446744073709551615" },
      nr_accesses: { min: "0 samples", max: "0 samples" },
      age: { min: "50 aggr_intervals", max: "4294967295 aggr_intervals" }
    })
    assert.strictEqual(get(raw.json, `${s0}.quotas.reset_interval_ms`), "1000")
    assert.strictEqual(get(raw.json, `${s0}.watermarks.high_permil`), "500.000000")
  })

  it.effect("the decoded config starts a kdamond", () =>
    Effect.gen(function*() {
      const damon = yield* Damon.Damon
      const k = yield* damon.start(read(fixture).configs[0], { seed: 1, stopAtUs: 1_000_000 })
      const actionsRunning = yield* k.damonCall((ctx) => ctx.schemes.map((s) => s.action))
      assert.deepStrictEqual(actionsRunning, ["pageout", "stat"])
    }).pipe(
      Effect.scoped,
      Effect.provide(Damon.layer.pipe(Layer.provide(OpsRegistry.layer({
        vaddr: makeFakeOps({ id: "vaddr", hot: [], initRange: { start: 0, end: 1 << 24 }, freeMemRate: { value: 500 } })
      })))), Effect.provide(World.layerVirtual)
    ))

  it("generated configs round-trip exactly: config -> JSON -> config, and JSON -> config -> JSON (seeded)", () => {
    for (let seed = 0; seed < 200; seed++) {
      const rng = makeRng(seed)
      const configs = Array.from({ length: rng.rand(1, 3) }, () => genConfig(rng))
      const check = decodeConfig(configs[0])
      assert.isTrue(Result.isSuccess(check), `seed ${seed}: generator made an invalid config: ${Result.isFailure(check) ? check.failure.message : ""}`)
      for (const raw of [true, false]) {
        const c = `seed ${seed} ${raw ? "raw" : "human"}`
        const written = toKdamondsJson(configs, { raw, memcgs })
        assert.isTrue(Result.isSuccess(written), `${c}: ${Result.isFailure(written) ? written.failure.message : ""}`)
        const text = JSON.stringify(Result.getOrThrow(written).json)
        const back = parseKdamondsJson(text, { memcgs })
        assert.isTrue(Result.isSuccess(back), `${c}: ${Result.isFailure(back) ? back.failure.message : ""}\n${text}`)
        const got = Result.getOrThrow(back)
        assert.deepStrictEqual(got.configs.map(normal), configs.map(normal), c)
        assert.deepStrictEqual(got.notes.filter((n) => n.kind !== "ignored" && n.kind !== "extension"), [], c)
        const again = JSON.stringify(Result.getOrThrow(toKdamondsJson(got.configs, { raw, memcgs })).json)
        assert.strictEqual(again, text, `${c}: JSON -> config -> JSON`)
      }
    }
  })

  it("bad values are InvalidArgument naming the JSON path, the value and the rule", () => {
    const twoGoals = [{ metric: "user_input", target_value: "0", current_value: "1" }, { metric: "node_eligible_mem_bp", target_value: "50 %", current_value: "0" }]
    const cases: ReadonlyArray<readonly [string, unknown, string, string, string]> = [
      [`${C0}.intervals.sample_us`, "5 parsecs", "kdamonds[0].contexts[0].intervals.sample_us", "\"5 parsecs\"", "must be a time"],
      [`${C0}.nr_regions.min`, "2", "kdamonds[0].contexts[0].nr_regions.min", "\"2\"", "must be >= 3"],
      [`${C0}.intervals.aggr_us`, "1 ms", "kdamonds[0].contexts[0].intervals.sample_us", "\"5 ms\"", "must be <= aggrIntervalUs"],
      [`${C0}.schemes.0.access_pattern.sz_bytes.min`, "-4 KiB", "kdamonds[0].contexts[0].schemes[0].access_pattern.sz_bytes.min", "\"-4 KiB\"", "must be >= 0"],
      [`${C0}.schemes.0.access_pattern.nr_accesses.max`, "3 samples", "kdamonds[0].contexts[0].schemes[0].access_pattern.nr_accesses.max", "\"3 samples\"", "must use the unit of min (percent)"],
      [`${C0}.schemes.0.watermarks.mid_permil`, "60 %", "kdamonds[0].contexts[0].schemes[0].watermarks.mid_permil", "\"60 %\"", "must be <= wmarks.high"],
      [`${C0}.schemes.0.action`, "delete", "kdamonds[0].contexts[0].schemes[0].action", "\"delete\"", "must be one of"],
      [`${C0}.schemes.0.filters.0.filter_type`, "memcg", "kdamonds[0].contexts[0].schemes[0].filters[0].memcg_path", "null", "must be a memory cgroup path"],
      [`${C0}.targets.0.pid`, null, "kdamonds[0].contexts[0].targets[0].pid", "null", "a process id"],
      [`${C0}.schemes.1.quotas.goals`, twoGoals, "kdamonds[0].contexts[0].schemes[1].quotas.goals[1].metric", "\"node_eligible_mem_bp\"", "needs the paddr operations set"],
      ["kdamonds.0.contexts", [], "kdamonds[0].contexts", "0", "exactly one context"]
    ]
    for (const [at, written, path, value, rule] of cases) {
      const d = clone()
      set(d, at, written)
      const e = failure(d)
      assert.strictEqual(e?.reason._tag, "InvalidArgument", path)
      if (e?.reason._tag !== "InvalidArgument") continue
      assert.strictEqual(e.reason.field, path, `${e.reason.field}: ${e.reason.rule}`)
      assert.strictEqual(e.reason.value, value, path)
      assert.include(e.reason.rule, rule, path)
    }
    const notJson = parseKdamondsJson("{\"kdamonds\": [")
    assert.isTrue(Result.isFailure(notJson) && notJson.failure.message.includes("is not JSON"))
    const noList = failure({ kdamond: [] })
    assert.include(noList?.message ?? "", "{\"kdamonds\": [...]}")
  })

  it("fields not applied are reported by path: outputs as ignored, the rest as unsupported", () => {
    const d = clone()
    set(d, "kdamonds.0.state", "on")
    set(d, "kdamonds.0.pid", 1234)
    set(d, "kdamonds.0.refresh_ms", 100)
    set(d, `${C0}.ops_attrs`, { use_reports: true, write_only: false, cpus: "all", tids: "" })
    set(d, `${C0}.color`, "blue")
    set(d, `${C0}.schemes.0.stats`, { nr_tried: "3", sz_tried: "4 KiB", qt_exceeds: "0" })
    set(d, `${C0}.schemes.0.quotas.goals`, [{ metric: "user_input", nid: null, target_value: "0", current_value: "5" }])
    const notes = read(d).notes.map((n) => [n.path, n.kind])
    assert.deepStrictEqual(notes, [
      ["kdamonds[0].state", "ignored"],
      ["kdamonds[0].pid", "ignored"],
      ["kdamonds[0].refresh_ms", "unsupported"],
      ["kdamonds[0].contexts[0].color", "unsupported"],
      ["kdamonds[0].contexts[0].ops_attrs.use_reports", "unsupported"],
      ["kdamonds[0].contexts[0].schemes[0].quotas.goals[0].target_value", "unsupported"],
      ["kdamonds[0].contexts[0].schemes[0].stats.nr_tried", "ignored"],
      ["kdamonds[0].contexts[0].schemes[0].stats.sz_tried", "ignored"]
    ])
  })

  it("damo's other spellings: samples and aggregation intervals, filter_pass, legacy goal keys, memcg paths", () => {
    const d = clone()
    const s0 = `${C0}.schemes.0`
    set(d, `${s0}.access_pattern.nr_accesses`, { min: "2 samples", max: "18 samples" })
    set(d, `${s0}.access_pattern.age`, { min: "3 aggr_intervals", max: "7 aggr_intervals" })
    set(d, `${s0}.filters`, [{ filter_type: "memcg", matching: "yes", filter_pass: true, memcg_path: "/workload" }])
    set(d, `${s0}.quotas.goals`, [{ target_value_bp: "4,000", current_value_bp: "1000" }])
    const got = read(d, memcgs).configs[0]!.schemes[0]!
    assert.deepStrictEqual(got.pattern, { minSzRegion: 4096, maxSzRegion: SAFE, minNrAccesses: 2, maxNrAccesses: 18, minAgeRegion: 3, maxAgeRegion: 7 })
    assert.deepStrictEqual(got.filters, [{ type: "memcg", matching: true, allow: true, memcgId: 3 }])
    assert.deepStrictEqual(got.quota.goals, [{ metric: "user_input", targetValue: 4000, currentValue: 1000, nid: 0, memcgId: 0 }])
    const x = clone()
    set(x, `${s0}.access_pattern.age`, { min: "3 aggr_intervals", max: "1 s" })
    const e = failure(x)
    assert.include(e?.message ?? "", "access_pattern.age.max")
  })

  it("what damo's format cannot carry is reported when writing", () => {
    const config = { ...expected, targets: [{ pid: 42, regions: [], obsolete: true }], minRegionSz: 1024 }
    const w = Result.getOrThrow(toKdamondsJson([config]))
    assert.deepStrictEqual(w.notes.map((n) => [n.path, n.kind]), [
      ["kdamonds[0].contexts[0].targets[0]", "unsupported"],
      ["kdamonds[0].contexts[0]", "unsupported"]
    ])
    const bad = toKdamondsJson([{ ops: "vaddr", attrs: { minNrRegions: 1 } }])
    assert.isTrue(Result.isFailure(bad) && bad.failure.message.includes("configs[0].attrs.minNrRegions"))
  })
})
