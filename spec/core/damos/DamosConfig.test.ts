import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import {
  decode,
  decodeSchemes,
  defaults,
  fromConfig,
  needsSystemMetrics,
  patternDefaults
} from "../../../src/core/damos/DamosConfig.ts"
import { makeRng, type Rng } from "../../../src/core/Rng.ts"
import type { DamonError } from "../../../src/model/DamonError.ts"
import { actions, filterTypes, goalMetrics } from "../../../src/model/Damos.ts"
import { config, ctxOf } from "./fixtures.ts"

const fieldOf = (r: Result.Result<unknown, DamonError>): string => {
  if (Result.isSuccess(r)) return "(accepted)"
  const reason = r.failure.reason
  return reason._tag === "InvalidArgument" ? reason.field : reason._tag
}

const pick = <A>(rng: Rng, xs: ReadonlyArray<A>): A => xs[rng.rand(0, xs.length)]!

/** A random valid scheme input (any subset of fields). */
const validInput = (rng: Rng, opsId: string): Record<string, unknown> => {
  const input: Record<string, unknown> = {}
  const maybe = (): boolean => rng.rand(0, 2) === 0
  if (maybe()) input["action"] = pick(rng, actions)
  if (maybe()) input["applyIntervalUs"] = rng.rand(0, 10_000_000)
  if (maybe()) {
    const lo = rng.rand(0, 100)
    input["pattern"] = {
      minSzRegion: lo * 4096,
      maxSzRegion: (lo + rng.rand(0, 100)) * 4096,
      minNrAccesses: lo % 20,
      maxNrAccesses: (lo % 20) + rng.rand(0, 5),
      ...(maybe() ? { minAgeRegion: 3, maxAgeRegion: 3 + rng.rand(0, 9) } : {})
    }
  }
  if (maybe()) {
    const metrics = goalMetrics.filter((m) => opsId === "paddr" || m !== "node_eligible_mem_bp")
    input["quota"] = {
      ms: rng.rand(0, 100),
      sz: rng.rand(0, 1 << 30),
      resetIntervalMs: rng.rand(0, 5000),
      goalTuner: pick(rng, ["consist", "temporal"]),
      weightSz: rng.rand(0, 1000),
      weightNrAccesses: rng.rand(0, 1000),
      weightAge: rng.rand(0, 1000),
      goals: Array.from({ length: rng.rand(0, 3) }, () => ({
        metric: pick(rng, metrics),
        targetValue: rng.rand(1, 100000),
        currentValue: rng.rand(0, 100000),
        nid: rng.rand(0, 4),
        memcgId: rng.rand(0, 100)
      }))
    }
  }
  if (maybe()) {
    const low = rng.rand(0, 300)
    const mid = low + rng.rand(0, 300)
    const metric = pick(rng, ["none", "free_mem_rate"])
    input["wmarks"] = { metric, intervalUs: rng.rand(0, 1e6), high: mid + rng.rand(0, 300), mid, low }
  }
  if (maybe()) input["targetNid"] = rng.rand(-1, 4)
  if (maybe()) {
    input["dests"] = Array.from({ length: rng.rand(0, 3) }, () => ({ nid: rng.rand(0, 4), weight: rng.rand(0, 100) }))
  }
  if (maybe()) input["maxNrSnapshots"] = rng.rand(0, 100)
  if (maybe()) {
    input["filters"] = Array.from({ length: rng.rand(0, 4) }, () => {
      const type = pick(rng, filterTypes)
      const f: Record<string, unknown> = { type, matching: maybe(), allow: maybe() }
      const start = rng.rand(0, 1 << 20)
      if (type === "memcg") f["memcgId"] = rng.rand(0, 100)
      if (type === "addr") f["addrRange"] = { start, end: start + rng.rand(0, 1 << 20) }
      if (type === "target") f["targetIdx"] = rng.rand(0, 4)
      if (type === "hugepage_size") f["szRange"] = { min: start, max: start + rng.rand(0, 1 << 21) }
      return f
    })
  }
  return input
}

type Mutation = (input: Record<string, unknown>, rng: Rng) => string

const patternPairs = [
  ["minSzRegion", "maxSzRegion"],
  ["minNrAccesses", "maxNrAccesses"],
  ["minAgeRegion", "maxAgeRegion"]
] as const

/** Every bad-parameter kind: breaks the input and returns the field path (under the scheme) to expect. */
const mutations: ReadonlyArray<Mutation> = [
  (input, rng) => {
    const [min, max] = pick(rng, patternPairs)
    input["pattern"] = { [min]: 5, [max]: 4 }
    return `.pattern.${min}`
  },
  (input) => {
    input["action"] = "reclaim"
    return ".action"
  },
  (input) => {
    input["filters"] = [{ type: "anon" }, { type: "bogus" }]
    return ".filters[1].type"
  },
  (input, rng) => {
    const [type, field] = pick(rng, [
      ["anon", "addrRange"],
      ["addr", "memcgId"],
      ["memcg", "targetIdx"],
      ["target", "szRange"],
      ["young", "memcgId"]
    ] as const)
    input["filters"] = [{ type, [field]: 1 }]
    return `.filters[0].${field}`
  },
  (input) => {
    input["filters"] = [{ type: "addr", addrRange: { start: 10, end: 9 } }]
    return ".filters[0].addrRange.end"
  },
  (input) => {
    input["filters"] = [{ type: "hugepage_size", szRange: { min: 456, max: 123 } }]
    return ".filters[0].szRange.min"
  },
  (input) => {
    input["quota"] = { goals: [{ metric: "user_input", targetValue: 5 }, { metric: "active_mem_bp", targetValue: 0 }] }
    return ".quota.goals[1].targetValue"
  },
  (input) => {
    input["quota"] = { goals: [{ metric: "hugepage_mem_bp", targetValue: 5 }] }
    return ".quota.goals[0].metric"
  },
  (input) => {
    input["dests"] = [{ nid: 1, weight: 1 }, { nid: -2, weight: 1 }]
    return ".dests[1].nid"
  },
  (input) => {
    input["dests"] = [{ nid: 1, weight: 1.5 }]
    return ".dests[0].weight"
  },
  (input) => {
    input["wmarks"] = { metric: "free_mem_rate", high: 300, mid: 400, low: 100 }
    return ".wmarks.mid"
  },
  (input) => {
    input["wmarks"] = { metric: "free_mem_rate", high: 500, mid: 400, low: 401 }
    return ".wmarks.low"
  },
  (input) => {
    input["quota"] = { sz: -1 }
    return ".quota.sz"
  },
  (input) => {
    input["applyIntervalUs"] = 2 ** 53
    return ".applyIntervalUs"
  },
  (input) => {
    input["targetNid"] = 2 ** 31
    return ".targetNid"
  },
  (input) => {
    input["pattern"] = { maxNrAccesses: 2 ** 32 }
    return ".pattern.maxNrAccesses"
  },
  (input) => {
    input["unknownField"] = 1
    return ".unknownField"
  }
]

describe("DamosConfig", () => {
  it("decode - an empty input gives the defaults (sysfs defaults, widest pattern bounds)", () => {
    const r = decode({}, "vaddr")
    assert.isTrue(Result.isSuccess(r))
    if (Result.isSuccess(r)) assert.deepStrictEqual(r.success, defaults)
    assert.deepStrictEqual(defaults.pattern, patternDefaults)
    assert.strictEqual(defaults.action, "stat")
    assert.strictEqual(defaults.targetNid, -1)
    assert.strictEqual(defaults.quota.goalTuner, "consist")
    assert.strictEqual(defaults.wmarks.metric, "none")
    assert.isTrue(Result.isSuccess(decode(undefined, "vaddr")))
    assert.strictEqual(fieldOf(decode(null, "vaddr")), "scheme")
  })

  it("decode - filter defaults follow sysfs: type anon, matching and allow false, zero argument", () => {
    const c = config({ filters: [{}, { type: "addr" }, { type: "hugepage_size", szRange: { max: 5 } }] })
    assert.deepStrictEqual(c.filters, [
      { type: "anon", matching: false, allow: false },
      { type: "addr", matching: false, allow: false, addrRange: { start: 0, end: 0 } },
      { type: "hugepage_size", matching: false, allow: false, szRange: { min: 0, max: 5 } }
    ])
  })

  it("decode - node_eligible_mem_bp needs paddr", () => {
    const input = { quota: { goals: [{ metric: "node_eligible_mem_bp", targetValue: 10, nid: 1 }] } }
    assert.strictEqual(fieldOf(decode(input, "vaddr", "schemes[0]")), "schemes[0].quota.goals[0].metric")
    assert.strictEqual(fieldOf(decode(input, "paddr", "schemes[0]")), "(accepted)")
  })

  it("decode - an empty addr range and equal hugepage bounds are accepted (as sysfs)", () => {
    assert.isTrue(Result.isSuccess(decode({ filters: [{ type: "addr", addrRange: { start: 7, end: 7 } }] }, "paddr")))
    assert.isTrue(Result.isSuccess(decode({ filters: [{ type: "hugepage_size", szRange: { min: 7, max: 7 } }] }, "paddr")))
  })

  it("decode - watermark ordering is not checked for metric none", () => {
    assert.isTrue(Result.isSuccess(decode({ wmarks: { metric: "none", high: 1, mid: 2, low: 3 } }, "paddr")))
  })

  it("decode - accepts every valid random config and keeps what it was given", () => {
    for (let seed = 1; seed <= 500; seed++) {
      const rng = makeRng(seed)
      const opsId = pick(rng, ["vaddr", "paddr", "fvaddr"])
      const input = validInput(rng, opsId)
      const r = decode(input, opsId)
      assert.isTrue(Result.isSuccess(r), `seed ${seed}: ${Result.isFailure(r) ? r.failure.message : ""}`)
      if (Result.isSuccess(r)) {
        const c = r.success as unknown as Record<string, unknown>
        for (const key of ["action", "applyIntervalUs", "targetNid", "maxNrSnapshots", "dests"]) {
          if (key in input) assert.deepStrictEqual(c[key], input[key], `seed ${seed}: ${key}`)
        }
        if ("filters" in input) assert.strictEqual(r.success.filters.length, (input["filters"] as Array<unknown>).length)
      }
    }
  })

  it("decodeSchemes - rejects every bad-parameter kind, naming schemes[i] and the field", () => {
    for (let seed = 1; seed <= 500; seed++) {
      const rng = makeRng(seed * 65537)
      const opsId = pick(rng, ["vaddr", "paddr"])
      const list = Array.from({ length: rng.rand(1, 5) }, () => validInput(rng, opsId))
      const bad = rng.rand(0, list.length)
      const mutation = mutations[seed % mutations.length]!
      const field = mutation(list[bad]!, rng)
      assert.strictEqual(fieldOf(decodeSchemes(list, opsId)), `schemes[${bad}]${field}`, `seed ${seed}`)
    }
  })

  it("decodeSchemes - not an array", () => {
    assert.strictEqual(fieldOf(decodeSchemes({}, "vaddr")), "schemes")
    const ok = decodeSchemes([{}, { action: "pageout" }], "vaddr")
    assert.isTrue(Result.isSuccess(ok) && ok.success.length === 2 && ok.success[1]!.action === "pageout")
  })

  it("needsSystemMetrics - watermarks or measured goals", () => {
    assert.isFalse(needsSystemMetrics(config()))
    assert.isFalse(needsSystemMetrics(config({ quota: { goals: [{ targetValue: 1 }] } })))
    assert.isTrue(needsSystemMetrics(config({ quota: { goals: [{ metric: "active_mem_bp", targetValue: 1 }] } })))
    assert.isTrue(needsSystemMetrics(config({ wmarks: { metric: "free_mem_rate" } })))
  })

  describe("fromConfig", () => {
    it("routes filters by type, computes default-reject flags and schedules the next apply", () => {
      const ctx = ctxOf()
      ctx.passedSampleIntervals = 7
      const s = fromConfig(
        config({
          applyIntervalUs: 50000,
          filters: [
            { type: "anon", matching: true, allow: false },
            { type: "addr", matching: true, allow: true },
            { type: "young", matching: true, allow: true },
            { type: "target", matching: true, allow: false }
          ]
        }),
        ctx
      )
      assert.deepStrictEqual(s.coreFilters.map((f) => f.type), ["addr", "target"])
      assert.deepStrictEqual(s.opsFilters.map((f) => f.type), ["anon", "young"])
      assert.isFalse(s.coreFiltersDefaultReject)
      assert.isTrue(s.opsFiltersDefaultReject)
      assert.strictEqual(s.nextApplySis, 7 + 10)
      assert.isTrue(s.wmarks.activated)
      assert.isFalse(s.walkCompleted)
      assert.strictEqual(s.lastApplied, -1)
      const aggr = fromConfig(config(), ctx)
      assert.strictEqual(aggr.nextApplySis, 7 + 20)
    })

    // port: damos_test_new_scheme_keeps_src_quota (mm/damon/tests/core-kunit.h, development tree).
    // The source is an immutable config here; the private state starts zeroed (`chargedFrom` -1 =
    // "no window yet", the kernel's 0).
    it("damos_test_new_scheme_keeps_src_quota", () => {
      const src = config({ quota: { sz: 65536 } })
      const before = JSON.stringify(src)
      const s = fromConfig(src, ctxOf())
      assert.strictEqual(s.quota.sz, 65536)
      assert.strictEqual(s.quota.esz, 0)
      assert.strictEqual(s.quota.eszBp, 0n)
      assert.strictEqual(s.quota.totalChargedSz, 0)
      assert.strictEqual(s.quota.totalChargedNs, 0)
      assert.strictEqual(s.quota.chargedSz, 0)
      assert.strictEqual(s.quota.chargedFrom, -1)
      assert.strictEqual(s.quota.chargeAddrFrom, 0)
      assert.isNull(s.quota.chargeTargetFrom)
      assert.strictEqual(JSON.stringify(src), before)
      s.quota.goals.push({ metric: "user_input", targetValue: 1, currentValue: 0, nid: 0, memcgId: 0, lastPsiTotal: 0 })
      assert.strictEqual(src.quota.goals.length, 0)
    })
  })
})
