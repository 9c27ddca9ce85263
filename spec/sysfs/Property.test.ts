/**
 * Seeded random sessions over the admin tree: random writes (valid and invalid) to random files,
 * `nr_*` rewrites, `commit`s, `on`/`off`, the update commands and `writeConfig`, with TestClock
 * moving in between. After every step: the tree is consistent (every `nr_*` file matches its
 * numbered directories, every file reads and parses, tried-region totals add up), a failed write
 * changed nothing, and a running kdamond equals the last tree it was given (`on` or a successful
 * `commit`), as a `damonCall` snapshot shows.
 */
import { describe, it } from "@effect/vitest"
import { assert } from "../support/loopAssert.ts"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { type DamonCtx, type Damos, Rng } from "effect-damon"
import type { TreeConfig } from "../../src/sysfs/BuildConfig.ts"
import { Sysfs } from "../../src/sysfs/Sysfs.ts"
import { actions, filterTypes } from "../../src/model/Damos.ts"
import { type Handles, sysfsLayer } from "./support/TestOps.ts"

/**
 * 12 sessions of 60 steps (720 steps, the whole tree checked after each: some 3 s of CPU): enough
 * for every kind of step (writes valid and invalid, nr_* rewrites, commits, on/off, updates) to
 * occur dozens of times; each seed is its own test, so a failure names it.
 */
const SEEDS = 12
const STEPS = 60
const K = "kdamonds/0"

const baseline = {
  ops: "vaddr",
  attrs: { sampleIntervalUs: 5000, aggrIntervalUs: 100000 },
  targets: [{ pid: 42 }],
  schemes: [
    { action: "stat", quota: { sz: 1 << 24, resetIntervalMs: 100, goals: [{ targetValue: 100, currentValue: 30 }] } },
    { action: "cold", pattern: { minNrAccesses: 1 }, filters: [{ type: "addr", addrRange: { start: 0, end: 1 << 20 } }, { type: "young" }] }
  ]
}

/** Candidate texts per file name (valid ones first, then invalid ones). */
const candidates = (path: string): ReadonlyArray<string> => {
  const name = path.slice(path.lastIndexOf("/") + 1)
  if (name === "nr_contexts") return ["0", "1", "1", "2", "-1"]
  if (countFiles.has(name)) return ["0", "1", "1", "2", "2", "3", "-1", "x", "99999999999"]
  if (path.endsWith("intervals_goal/aggrs")) return ["0", "-1", "x"]
  switch (name) {
    case "operations":
      return ["vaddr", "vaddr", "paddr", "fvaddr", "kvm"]
    case "action":
      return [...actions, "x"]
    case "type":
      return [...filterTypes, "x"]
    case "target_metric":
      return ["user_input", "user_input", "node_mem_used_bp", "some_mem_psi_us", "x"]
    case "goal_tuner":
      return ["consist", "temporal", "x"]
    case "metric":
      return ["none", "none", "free_mem_rate", "x"]
    case "matching":
    case "allow":
    case "obsolete_target":
      return ["Y", "N", "1", "0", "on", "off", "N", "maybe"]
    case "memcg_path":
    case "path":
      return ["/workload", "/nope", ""]
    case "sample_us":
      return ["1000", "5000", "10000", "abc"]
    case "aggr_us":
      return ["50000", "100000", "200000", "-1"]
    case "min":
      return path.includes("nr_regions") ? ["3", "10", "20", "2"] : ["0", "1", "4096", "4294967296", "x"]
    case "max":
      return path.includes("nr_regions") ? ["100", "1000", "5"] : ["0", "10", "2097152", "18446744073709551615", "x"]
    case "pid_target":
      return ["42", "42", "43", "0", "-1", "x"]
    case "addr_unit":
      return ["1", "1", "2", "3", "0"]
    case "refresh_ms":
      return ["0", "0", "50", "100", "-1"]
    default:
      return ["0", "1", "7", "4096", "1048576", "0x1000", "18446744073709551615", "9007199254740992", "-1", "abc", "18446744073709551616"]
  }
}

/** The count files (`nr_*_store()` that recreate numbered directories). */
const countFiles = new Set(["nr_kdamonds", "nr_contexts", "nr_targets", "nr_regions", "nr_schemes", "nr_goals", "nr_filters", "nr_dests"])
const keywordFiles = new Set(["operations", "action", "type", "target_metric", "goal_tuner", "metric", "state"])
const boolFiles = new Set(["matching", "allow", "obsolete_target"])

/** Every file below `dir` (depth first). */
const filesBelow = (dir: string): Effect.Effect<Array<string>, unknown, Sysfs> =>
  Effect.gen(function*() {
    const fs = yield* Sysfs
    const out: Array<string> = []
    for (const name of yield* fs.list(dir)) {
      const path = dir === "" ? name : `${dir}/${name}`
      if ((yield* fs.stat(path)).kind === "file") out.push(path)
      else out.push(...(yield* filesBelow(path)))
    }
    return out
  })

/** The tree invariants: counts match directories, every file reads and parses, totals add up. */
const checkTree = Effect.gen(function*() {
  const fs = yield* Sysfs
  for (const path of yield* filesBelow("")) {
    const text = yield* fs.read(path)
    const slash = path.lastIndexOf("/")
    const name = path.slice(slash + 1)
    const dir = path.slice(0, slash)
    assert.isTrue(text.endsWith("\n"), path)
    if (countFiles.has(name)) {
      const numbered = (yield* fs.list(dir)).filter((e) => /^\d+$/.test(e))
      assert.deepStrictEqual(numbered, Array.from({ length: Number(text) }, (_, i) => String(i)), path)
    } else if (name === "total_bytes") {
      const regions = (yield* fs.list(dir)).filter((e) => /^\d+$/.test(e))
      if (regions.length > 0) {
        let sum = 0n
        for (const r of regions) sum += BigInt((yield* fs.read(`${dir}/${r}/end`)).trim()) - BigInt((yield* fs.read(`${dir}/${r}/start`)).trim())
        assert.strictEqual(BigInt(text.trim()), sum, path)
      }
    } else if (keywordFiles.has(name)) assert.match(text, /^[a-z_]+\n$/, path)
    else if (boolFiles.has(name)) assert.match(text, /^[YN]\n$/, path)
    else if (name === "avail_operations") assert.match(text, /^([a-z]+\n)+$/, path)
    else if (name !== "memcg_path" && name !== "path") {
      assert.match(text, /^-?\d+\n$/, path)
      const v = BigInt(text.trim())
      assert.isTrue(v >= -(1n << 31n) && v <= (1n << 64n) - 1n, path)
    }
  }
})

/** A comparable view of a running context's parameters. */
const engineView = (ctx: DamonCtx.DamonCtx) => ({
  ops: ctx.opsId,
  attrs: [ctx.attrs.sampleIntervalUs, ctx.attrs.aggrIntervalUs, ctx.attrs.opsUpdateIntervalUs, ctx.attrs.minNrRegions, ctx.attrs.maxNrRegions, ctx.attrs.intervalsGoal],
  targets: ctx.targets.map((t) => t.pid),
  schemes: ctx.schemes.map((s: Damos.Damos) => ({
    pattern: { ...s.pattern },
    action: s.action,
    applyIntervalUs: s.applyIntervalUs,
    quota: [s.quota.resetIntervalMs, s.quota.ms, s.quota.sz, s.quota.goalTuner, s.quota.weightSz, s.quota.weightNrAccesses, s.quota.weightAge],
    goals: s.quota.goals.map((g) => [g.metric, g.targetValue, g.metric === "user_input" ? g.currentValue : 0, g.nid, g.memcgId]),
    wmarks: [s.wmarks.metric, s.wmarks.intervalUs, s.wmarks.high, s.wmarks.mid, s.wmarks.low],
    targetNid: s.targetNid,
    dests: s.dests.map((d) => [d.nid, d.weight]),
    filters: [...s.coreFilters, ...s.opsFilters],
    maxNrSnapshots: s.maxNrSnapshots
  }))
})

/** The same view of the config the kdamond was given. */
const configView = (c: TreeConfig) => ({
  ops: c.ops,
  attrs: [c.attrs.sampleIntervalUs, c.attrs.aggrIntervalUs, c.attrs.opsUpdateIntervalUs, c.attrs.minNrRegions, c.attrs.maxNrRegions, c.attrs.intervalsGoal],
  // Obsolete targets are removed by the commit (positionally).
  targets: c.targets.filter((t) => !t.obsolete).map((t) => t.pid),
  schemes: c.schemes.map((s) => ({
    pattern: { ...s.pattern },
    action: s.action,
    applyIntervalUs: s.applyIntervalUs,
    quota: [s.quota.resetIntervalMs, s.quota.ms, s.quota.sz, s.quota.goalTuner, s.quota.weightSz, s.quota.weightNrAccesses, s.quota.weightAge],
    goals: s.quota.goals.map((g) => [g.metric, g.targetValue, g.metric === "user_input" ? g.currentValue : 0, g.nid, g.memcgId]),
    wmarks: [s.wmarks.metric, s.wmarks.intervalUs, s.wmarks.high, s.wmarks.mid, s.wmarks.low],
    targetNid: s.targetNid,
    dests: s.dests.map((d) => [d.nid, d.weight]),
    filters: [...s.filters.filter((f) => f.type === "addr" || f.type === "target"), ...s.filters.filter((f) => f.type !== "addr" && f.type !== "target")],
    maxNrSnapshots: s.maxNrSnapshots
  }))
})

const scenario = (seed: number, handles: Handles) =>
  Effect.gen(function*() {
    const fs = yield* Sysfs
    const rng = Rng.makeRng(seed)
    const pick = <A>(xs: ReadonlyArray<A>): A => xs[rng.rand(0, xs.length)]!
    const outcome = <A>(e: Effect.Effect<A, { readonly errno: string }, never>) =>
      Effect.map(Effect.result(e), (r) => (r._tag === "Success" ? "ok" : r.failure.errno))
    yield* fs.write("kdamonds/nr_kdamonds", "1")
    yield* fs.writeConfig(0, baseline)
    let committed: TreeConfig = yield* fs.readConfig(0)
    yield* fs.write(`${K}/state`, "on")
    const log: Array<string> = []
    for (let step = 0; step < STEPS; step++) {
      const roll = rng.rand(0, 100)
      if (roll < 55) {
        const files = (yield* filesBelow("")).filter((p) => !p.endsWith("/state"))
        const path = pick(files)
        const text = pick(candidates(path))
        const before = yield* fs.read(path)
        const listing = countFiles.has(path.slice(path.lastIndexOf("/") + 1)) ? yield* fs.list(path.slice(0, path.lastIndexOf("/"))) : []
        const result = yield* outcome(fs.write(path, text))
        log.push(`${path} <- ${JSON.stringify(text)}: ${result}`)
        if (result !== "ok") {
          assert.strictEqual(yield* fs.read(path), before, `failed write changed ${path}`)
          if (listing.length > 0) assert.deepStrictEqual(yield* fs.list(path.slice(0, path.lastIndexOf("/"))), listing)
        }
      } else if (roll < 70 || roll >= 95) {
        const cmd = roll < 70 ? "commit" : pick(["on", "off", "on"])
        const expected = yield* Effect.result(fs.readConfig(0))
        const result = yield* outcome(fs.write(`${K}/state`, cmd))
        log.push(`state <- ${cmd}: ${result}`)
        if (result === "ok" && cmd !== "off") {
          assert.isTrue(expected._tag === "Success", `${cmd} succeeded on a tree readConfig refuses`)
          if (expected._tag === "Success") committed = expected.success
        }
        if (expected._tag === "Failure" && cmd !== "off") assert.notStrictEqual(result, "ok")
      } else if (roll < 78) {
        yield* TestClock.adjust(rng.rand(1, 60))
      } else if (roll < 88) {
        const cmd = pick(["update_schemes_stats", "update_schemes_effective_quotas", "update_tuned_intervals", "clear_schemes_tried_regions", "update_schemes_tried_bytes", "update_schemes_tried_regions"])
        const fiber = yield* Effect.forkChild(outcome(fs.write(`${K}/state`, cmd)), { startImmediately: true })
        yield* TestClock.adjust(150)
        const done = fiber.pollUnsafe()
        if (done === undefined) yield* Fiber.interrupt(fiber)
        log.push(`state <- ${cmd}: ${done === undefined ? "interrupted" : done._tag === "Success" ? done.value : "defect"}`)
      } else {
        if ((yield* fs.read("kdamonds/nr_kdamonds")) === "0\n") yield* outcome(fs.write("kdamonds/nr_kdamonds", "1"))
        log.push(`writeConfig: ${yield* outcome(fs.writeConfig(0, baseline))}`)
      }
      yield* checkTree
      const running = (yield* fs.read("kdamonds/nr_kdamonds")) !== "0\n" && (yield* fs.read(`${K}/state`)) === "on\n"
      if (running) {
        const k = handles.all[handles.all.length - 1]!
        assert.deepStrictEqual(yield* k.damonCall(engineView), configView(committed), `seed ${seed} step ${step}\n${log.join("\n")}`)
      }
    }
    return log
  })

describe("Property", () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    it.effect(`random sessions - seed ${seed}: the tree stays consistent and the kdamond equals the last committed tree`, () =>
      Effect.gen(function*() {
        const handles: Handles = { all: [] }
        const log = yield* scenario(seed, handles).pipe(Effect.provide(sysfsLayer({ memcgs: { "/workload": 3 } }, handles)))
        // The sessions must exercise both outcomes.
        assert.isTrue(log.some((l) => l.endsWith(": ok")))
        assert.isTrue(log.some((l) => /: E[A-Z0-9]+$/.test(l)))
      }))
  }
})
