/**
 * A fuzzer for the public API, shared by the property test (`spec/engine/Hostile.property.test.ts`,
 * 10 000 cases) and the benchmark (`bench/fuzz.ts`, 100 000 cases): generated inputs that are
 * plausible configs, schemes, goals, snapshots and module parameters (sampled from the config
 * Schemas' encoded sides with Effect's own `Arbitrary`), with hostile values planted anywhere in
 * them: throwing and lying Proxies, throwing getters, revoked Proxies, cycles, 20 000-deep
 * nesting, 1 MB strings, bigints, symbols, functions, non-finite numbers, u64 overflows, huge and
 * sparse arrays, null-prototype objects and values whose conversion to a primitive throws.
 *
 * Each case goes to one entry point (`Damon.start`, `kdamond.commit`, `commitQuotaGoals`,
 * `Transform.init`/`step`/`run`, `TransformStream.applySchemes`, a module's `set`/`write`) and is
 * judged: a success, or a typed `DamonError` with a bounded message and nothing changed (the
 * running count, the kdamond's whole context, the transform state, the module's parameters);
 * anything else (a defect, an untyped failure, a change on failure) is a violation.
 */
import { Arbitrary, Cause, Effect, Exit, Layer, Schema, Scope, Stream } from "effect"
import {
  Damon,
  DamosConfig,
  isDamonError,
  type Kdamond,
  OpsRegistry,
  Transform,
  TransformStream,
  World
} from "effect-damon"
import { types } from "node:util"
import { makeRng, type Rng } from "../../src/core/Rng.ts"
import * as Attrs from "../../src/model/Attrs.ts"
import { ConfigSchema } from "../../src/model/DamonConfig.ts"
import * as DamonReclaim from "../../src/modules/DamonReclaim.ts"
import { makeFakeOps } from "./FakeOps.ts"

// --- Hostile values ----------------------------------------------------------------------------

export const hostileKinds = [
  "throwingProxy",
  "throwingArrayProxy",
  "lyingProxy",
  "throwingGetter",
  "revokedProxy",
  "cycle",
  "deep",
  "bigString",
  "bigint",
  "symbol",
  "function",
  "nonFinite",
  "u64",
  "hugeArray",
  "nullProto",
  "primitiveTrap",
  "manyKeys",
  "protoKeys",
  "exotic"
] as const

export type HostileKind = (typeof hostileKinds)[number]

const boom = () => {
  throw new Error("hostile trap")
}
const allTraps: ProxyHandler<object> = {
  get: boom,
  has: boom,
  ownKeys: boom,
  getOwnPropertyDescriptor: boom,
  getPrototypeOf: boom,
  set: boom,
  defineProperty: boom,
  deleteProperty: boom
}

const pick = <A>(rng: Rng, xs: ReadonlyArray<A>): A => xs[rng.rand(0, xs.length)]!

const nested = (depth: number): unknown => {
  let v: unknown = Object.freeze([])
  for (let i = 0; i < depth; i++) v = Object.freeze([v])
  return v
}

// Large values are built once and frozen (the library copies input, never writes to it; the
// planter leaves frozen values alone), so a case costs what the library does with them.
const deepValue = nested(20_000)
const bigStrings = ["x", "\uD800", "€"].map((c) => c.repeat(1 << 20))
const hugeArrays = [
  Object.freeze(new Array(2 ** 32 - 1)),
  Object.freeze(new Array(70_000).fill(0)),
  Object.freeze(new Array(5000).fill(Object.freeze({ start: 0, end: 4096 })))
]
const manyKeys = Object.freeze(Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i])))

/** A fresh hostile value of `kind` (a cycle is made by {@link mutate}, which knows the ancestors). */
export const hostileValue = (kind: HostileKind, rng: Rng): unknown => {
  switch (kind) {
    case "throwingProxy":
      return new Proxy({ start: 0, end: 4096 }, allTraps)
    case "throwingArrayProxy":
      return new Proxy([{}], allTraps)
    case "lyingProxy": {
      let reads = 0
      return new Proxy({}, {
        ownKeys: () => ["start", "end", "action", "ops"],
        getOwnPropertyDescriptor: () => ({ value: 1, enumerable: true, configurable: true, writable: true }),
        get: () => (reads++ % 2 === 0 ? 4096 : "changed")
      })
    }
    case "throwingGetter":
      return Object.defineProperty({ start: 0 }, pick(rng, ["end", "action", "ops", "targets", "metric"]), {
        get: boom,
        enumerable: true
      })
    case "revokedProxy": {
      const r = Proxy.revocable(pick(rng, [{}, []]), {})
      r.revoke()
      return r.proxy
    }
    case "cycle":
      return {}
    case "deep":
      return deepValue
    case "bigString":
      return pick(rng, bigStrings)
    case "bigint":
      return pick(rng, [2n ** 64n - 1n, -1n, 2n ** 4096n, 0n])
    case "symbol":
      return Symbol(pick(rng, ["s", "x".repeat(10_000)]))
    case "function":
      return Object.assign(() => 1, { start: 0, end: 4096, toString: boom })
    case "nonFinite":
      return pick(rng, [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0])
    case "u64":
      return pick(rng, [2 ** 53, 2 ** 64, 18446744073709551615, -1, 1.5, Number.MAX_VALUE, Number.MIN_VALUE])
    case "hugeArray":
      return pick(rng, hugeArrays)
    case "nullProto":
      return Object.assign(Object.create(null) as object, { start: 0, end: 4096, action: Object.create(null) })
    case "primitiveTrap":
      return { toString: boom, valueOf: boom, [Symbol.toPrimitive]: boom }
    case "manyKeys":
      return manyKeys
    case "protoKeys":
      return JSON.parse("{\"__proto__\": {\"polluted\": 1}, \"constructor\": {\"prototype\": 1}, \"toString\": 1}") as unknown
    case "exotic":
      return pick<unknown>(rng, [new Date(Number.NaN), new Map([[1, 2]]), new Float64Array(8), /re/g, new Error("e"), Promise.resolve(1)])
  }
}

// --- Planting hostile values into plausible inputs ---------------------------------------------

/** One planted value: where (an index into the input's nodes) and what. */
export interface Mutation {
  readonly at: number
  readonly kind: HostileKind
}

type Path = ReadonlyArray<string | number>

const isContainer = (u: unknown): u is Record<string | number, unknown> => typeof u === "object" && u !== null

/** Plain objects and arrays (a value planted by an earlier mutation is a leaf). */
const isPlain = (u: unknown): u is Record<string | number, unknown> => {
  if (!isContainer(u) || types.isProxy(u) || Object.isFrozen(u)) return false
  const proto: unknown = Object.getPrototypeOf(u)
  return proto === Object.prototype || proto === Array.prototype
}

/** Every node of plain data, as paths (the root first), at most a few thousand. */
const pathsOf = (root: unknown): Array<Path> => {
  const out: Array<Path> = []
  const seen = new Set<unknown>()
  const walk = (v: unknown, path: Path): void => {
    out.push(path)
    if (!isPlain(v) || seen.has(v) || path.length > 16 || (Array.isArray(v) && v.length > 10_000)) return
    seen.add(v)
    for (const key of Array.isArray(v) ? v.keys() : Object.keys(v)) {
      if (out.length > 2000) return
      const d = Object.getOwnPropertyDescriptor(v, key)
      if (d !== undefined && "value" in d) walk(d.value, [...path, key])
    }
  }
  walk(root, [])
  return out
}

const clonePlain = (u: unknown): unknown => {
  if (!isContainer(u)) return u
  if (Array.isArray(u)) return u.map(clonePlain)
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(u)) out[key] = clonePlain(u[key])
  return out
}

/**
 * `base` (plain data) with hostile values planted: each mutation replaces the node it picks (or,
 * for every other object node, adds an unknown field holding the value); a `cycle` makes the node
 * refer back to its parent (or the whole input).
 */
export const mutate = (base: unknown, mutations: ReadonlyArray<Mutation>, rng: Rng): unknown => {
  let root = clonePlain(base)
  for (const m of mutations) {
    const paths = pathsOf(root)
    const path = paths[m.at % paths.length]!
    const parentPath = path.slice(0, -1)
    let parent: unknown = root
    for (const key of parentPath) parent = (parent as Record<string | number, unknown>)[key]
    let node: unknown = root
    for (const key of path) node = (node as Record<string | number, unknown>)[key]
    const value = m.kind === "cycle" ? (path.length === 0 ? root : parent) : hostileValue(m.kind, rng)
    if (isPlain(node) && !Array.isArray(node) && m.at % 2 === 1) {
      node[`extra${m.at}`] = value
    } else if (path.length === 0) {
      if (m.kind !== "cycle") root = value
      else if (isPlain(root)) root["self"] = root
    } else if (isPlain(parent)) {
      parent[path[path.length - 1]!] = value
    }
  }
  return root
}

// --- Plausible inputs from the Schemas ---------------------------------------------------------

/** Values sampled once from the Schemas' encoded sides (typed shapes, any values). */
export interface Pools {
  readonly configs: ReadonlyArray<unknown>
  readonly attrs: ReadonlyArray<unknown>
  readonly schemes: ReadonlyArray<unknown>
  readonly goals: ReadonlyArray<unknown>
  readonly params: ReadonlyArray<unknown>
}

const sample = (schema: Schema.Top, seed: number) =>
  Arbitrary.sampleEffect(Arbitrary.schema(Schema.toEncoded(schema) as Schema.Top), { count: 64, seed, size: 10, maxDiscards: 1_000_000 })

/** Samples the pools (deterministic for a seed). */
export const makePools = (seed: number): Effect.Effect<Pools> =>
  Effect.orDie(Effect.all({
    configs: sample(ConfigSchema, seed),
    attrs: sample(Attrs.AttrsSchema, seed + 1),
    schemes: sample(DamosConfig.SchemeSchema, seed + 2),
    goals: sample(DamosConfig.QuotaGoalSchema, seed + 3),
    params: sample(DamonReclaim.ReclaimParamsSchema, seed + 4)
  }))

const validSchemes: ReadonlyArray<unknown> = [
  {},
  { action: "pageout", pattern: { maxNrAccesses: 0 } },
  { action: "stat", quota: { sz: 1 << 20, resetIntervalMs: 10, goals: [{ metric: "user_input", targetValue: 100 }] } },
  { action: "migrate_cold", dests: [{ nid: 1, weight: 1 }], filters: [{ type: "addr", addrRange: { start: 0, end: 1 << 20 } }] }
]

/** A plausible config: sometimes valid, often not, built from the pools. */
const configOf = (pools: Pools, rng: Rng): unknown => {
  if (rng.rand(0, 4) === 0) {
    return { ops: pick(rng, ["fake", "other"]), targets: [{}], schemes: [pick(rng, validSchemes)], attrs: { minNrRegions: rng.rand(3, 20) } }
  }
  const c = { ...(pick(rng, pools.configs) as object) } as Record<string, unknown>
  if (rng.rand(0, 2) === 0) c["ops"] = pick(rng, ["fake", "other", "nope"])
  if (rng.rand(0, 2) === 0) c["attrs"] = pick(rng, pools.attrs)
  if (rng.rand(0, 2) === 0) c["schemes"] = [pick(rng, pools.schemes), pick(rng, validSchemes)]
  if (rng.rand(0, 2) === 0) c["targets"] = [{}]
  return c
}

const goalsOf = (pools: Pools, rng: Rng): unknown =>
  Array.from({ length: rng.rand(0, 3) }, () => Array.from({ length: rng.rand(0, 3) }, () => pick(rng, pools.goals)))

const snapshotOf = (rng: Rng): unknown => ({
  nowUs: rng.rand(0, 1_000_000),
  targets: [{ regions: Array.from({ length: rng.rand(0, 5) }, (_, i) => ({ start: i * 8192, end: i * 8192 + 4096, nrAccesses: rng.rand(0, 20), age: rng.rand(0, 10) })) }]
})

// --- Cases -------------------------------------------------------------------------------------

export const entries = ["start", "commit", "goals", "transform", "stream", "module"] as const

/** One fuzz case: the entry point, a seed for the plausible input, and what is planted in it. */
export const CaseSchema = Schema.Struct({
  entry: Schema.Literals(entries),
  seed: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 0x7fff_ffff })),
  mutations: Schema.Array(Schema.Struct({
    at: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 1 << 16 })),
    kind: Schema.Literals(hostileKinds)
  })).check(Schema.isMaxLength(3))
})

export type Case = typeof CaseSchema.Type

export const caseArbitrary: Arbitrary.Arbitrary<Case> = Arbitrary.schema(CaseSchema)

/** How a case ended: `ok` (success or a typed refusal that changed nothing) or a violation. */
export type Verdict =
  | { readonly _tag: "ok"; readonly typed: boolean }
  | { readonly _tag: "defect" | "untyped" | "changed" | "unbounded"; readonly detail: string }

const MAX_MESSAGE = 4096

/** Judges an exit: success, or a `DamonError` with a bounded message; anything else a violation. */
const judge = (exit: Exit.Exit<unknown, unknown>): Verdict => {
  if (Exit.isSuccess(exit)) return { _tag: "ok", typed: false }
  if (Cause.hasDies(exit.cause) || Cause.hasInterrupts(exit.cause)) {
    return { _tag: "defect", detail: Cause.pretty(exit.cause).slice(0, 500) }
  }
  const error = Exit.findErrorOption(exit)
  if (error._tag === "None" || !isDamonError(error.value)) return { _tag: "untyped", detail: Cause.pretty(exit.cause).slice(0, 500) }
  if (error.value.message.length > MAX_MESSAGE) return { _tag: "unbounded", detail: error.value.message.slice(0, 200) }
  return { _tag: "ok", typed: true }
}

/** A pure call as an Effect: a throw is a defect (`Effect.sync` turns it into a die). */
const pure = <A>(f: () => A): Effect.Effect<A> => Effect.sync(f)

const fromResult = <A, E>(f: () => { readonly _tag: "Success"; readonly success: A } | { readonly _tag: "Failure"; readonly failure: E }) =>
  Effect.flatMap(pure(f), (r) => (r._tag === "Success" ? Effect.succeed(r.success) : Effect.fail(r.failure)))

const stable = (u: unknown): string => JSON.stringify(u, (_k, v) => (typeof v === "bigint" ? `${v}n` : v))

/** The services the harness runs the cases against. */
export const harnessLayer = (() => {
  const MiB = 1 << 20
  const fake = makeFakeOps({ initRange: { start: 0, end: 100 * MiB }, apply: {} })
  const other = makeFakeOps({ id: "other", initRange: { start: 0, end: 100 * MiB }, apply: {} })
  const damon = Damon.layer.pipe(Layer.provide([OpsRegistry.layer({ fake, other }), World.layerReal]))
  const reclaim = DamonReclaim.layer({ memory: { systemRamRanges: () => [{ start: 0, end: 256 * MiB }] } })
  return Layer.provideMerge(reclaim, damon)
})()

/**
 * Builds the case runner: a long-lived kdamond (restarted if a case stopped it) for commits, the
 * DAMON_RECLAIM module for parameter writes. Run it where the clock does not move (`TestClock`),
 * so a context can only change through the case itself.
 */
export const makeRunner = (pools: Pools): Effect.Effect<(c: Case) => Effect.Effect<Verdict>, never, Damon.Damon | DamonReclaim.DamonReclaim | Scope.Scope> =>
  Effect.gen(function*() {
    const damon = yield* Damon.Damon
    const reclaim = yield* DamonReclaim.DamonReclaim
    let kdamond: Kdamond.Kdamond | undefined
    const running = Effect.gen(function*() {
      if (kdamond === undefined || !(yield* kdamond.isRunning)) {
        kdamond = yield* Effect.orDie(damon.start({ ops: "fake", targets: [{}], schemes: [{}, { action: "pageout" }] }, { seed: 1 }))
      }
      return kdamond
    })
    const scope = yield* Effect.scope
    const observe = (k: Kdamond.Kdamond) => Effect.orDie(k.damonCall((ctx) => stable(ctx)))

    /** Runs `effect`; on a typed failure, `before` must equal what `after` reads. */
    const unchanged = <A>(before: string, effect: Effect.Effect<A, unknown>, after: Effect.Effect<string>) =>
      Effect.gen(function*() {
        const verdict = judge(yield* Effect.exit(effect))
        if (verdict._tag !== "ok" || !verdict.typed) return verdict
        const now = yield* after
        return now === before ? verdict : { _tag: "changed" as const, detail: `before ${before.slice(0, 200)}\nafter ${now.slice(0, 200)}` }
      })

    // never `enabled` or `commit_inputs`: turning the module on would make it the exclusive DAMON user
    const writable = reclaim.parameters.filter((n) => n !== "enabled" && n !== "commit_inputs")

    return (c: Case): Effect.Effect<Verdict> =>
      Effect.gen(function*() {
        const rng = makeRng(c.seed)
        const plant = (base: unknown) => mutate(base, c.mutations, rng)
        switch (c.entry) {
          case "start": {
            const before = yield* damon.nrRunningCtxs
            const config = plant(configOf(pools, rng))
            const options = rng.rand(0, 4) === 0 ? plant({ seed: 1, eventBufferSize: 16 }) : { seed: 1 }
            const verdict = judge(yield* Effect.exit(Effect.scoped(damon.start(config as never, options as never))))
            const after = yield* damon.nrRunningCtxs
            return verdict._tag === "ok" && after !== before ? { _tag: "changed", detail: `running ${before} -> ${after}` } : verdict
          }
          case "commit": {
            const k = yield* running.pipe(Scope.provide(scope))
            const before = yield* observe(k)
            return yield* unchanged(before, k.commit(plant(configOf(pools, rng)) as never), observe(k))
          }
          case "goals": {
            const k = yield* running.pipe(Scope.provide(scope))
            const before = yield* observe(k)
            return yield* unchanged(before, k.commitQuotaGoals(plant(goalsOf(pools, rng)) as never), observe(k))
          }
          case "transform": {
            const schemes = plant([pick(rng, pools.schemes), pick(rng, validSchemes)])
            const options = rng.rand(0, 2) === 0 ? plant({ attrs: pick(rng, pools.attrs), opsId: "paddr" }) : {}
            const initial = yield* Effect.exit(fromResult(() => Transform.init(schemes as never, options as never)))
            if (Exit.isFailure(initial)) return judge(initial)
            const state = initial.value
            const before = stable(state)
            const snapshot = rng.rand(0, 2) === 0 ? plant(snapshotOf(rng)) : snapshotOf(rng)
            const stepped = yield* unchanged(before, fromResult(() => Transform.step(state, snapshot as never)), pure(() => stable(state)))
            if (stepped._tag !== "ok") return stepped
            return judge(yield* Effect.exit(fromResult(() => Transform.run(schemes as never, [snapshotOf(rng), snapshot] as never))))
          }
          case "stream": {
            const schemes = rng.rand(0, 2) === 0 ? plant([pick(rng, validSchemes)]) : [pick(rng, validSchemes)]
            const snapshots = [snapshotOf(rng), plant(snapshotOf(rng))]
            const stream = Stream.fromIterable(snapshots as ReadonlyArray<Transform.Snapshot>)
            return judge(yield* Effect.exit(Stream.runCollect(TransformStream.applySchemes(stream, schemes as never))))
          }
          case "module": {
            const before = stable(yield* reclaim.params)
            const write = rng.rand(0, 2) === 0
            const effect = write
              ? reclaim.write(plant(pick(rng, writable)) as never, plant(pick(rng, ["1", "Y", "18446744073709551616", "-1", " 7\n"])) as never)
              : reclaim.set(plant(pick(rng, pools.params)) as never)
            const verdict = judge(yield* Effect.exit(effect))
            if (verdict._tag !== "ok" || !verdict.typed) return verdict
            const after = stable(yield* reclaim.params)
            return after === before ? verdict : { _tag: "changed", detail: "module parameters changed on failure" }
          }
        }
      })
  })
