/**
 * The synchronization invariants of damonCall, damosWalk and commit, checked over randomized
 * interleavings: many callers, walkers, commits, stops, caller interruptions at random points,
 * workloads with and without schemes, watermarks flipping. Each seed builds a schedule; time
 * moves only through TestClock, so a failing seed replays exactly.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Layer, Option } from "effect"
import { TestClock } from "effect/testing"
import { Damon, type DamonCtx, type DamonError, type DamonOps, type DamonOpsFactory, OpsRegistry, Rng, SchemesControl, World, type DamonConfigInput, DamosConfig } from "effect-damon"
import { makeFakeOps } from "../support/FakeOps.ts"

const MiB = 1 << 20
const SEEDS = 40

/** Wraps every hook so the test knows when kdamond is inside an ops phase. */
const instrument = (factory: DamonOpsFactory, probe: { depth: number }): DamonOpsFactory => () => {
  const ops = factory()
  const wrapped: Record<string, unknown> = { ...ops }
  for (const [name, hook] of Object.entries(ops)) {
    if (typeof hook !== "function") continue
    wrapped[name] = (...args: Array<unknown>) => {
      probe.depth++
      try {
        return (hook as (...a: Array<unknown>) => unknown)(...args)
      } finally {
        probe.depth--
      }
    }
  }
  return wrapped as unknown as DamonOps
}

type Outcome = "success" | "interrupted" | DamonError["reason"]["_tag"]

interface Request {
  readonly id: number
  readonly kind: "call" | "repeat" | "walk"
  readonly at: "sample" | "aggregation"
  readonly fiber: Fiber.Fiber<unknown, DamonError>
  interruptedByTest: boolean
}

const outcomeOf = (exit: Exit.Exit<unknown, DamonError>): Outcome => {
  if (Exit.isSuccess(exit)) return "success"
  if (Cause.hasInterruptsOnly(exit.cause)) return "interrupted"
  const error = Option.getOrUndefined(Exit.findErrorOption(exit))
  assert.isDefined(error, `unexpected defect: ${Cause.pretty(exit.cause)}`)
  return error!.reason._tag
}

const scenario = (seed: number) =>
  Effect.gen(function*() {
    const rng = Rng.makeRng(seed)
    const pick = (n: number) => rng.rand(0, n)
    const sampleUs = 1000 + 1000 * pick(4)
    const aggrUs = sampleUs * (5 + pick(16))
    const freeMemRate = { value: 300 }
    const probe = { depth: 0 }
    const schemes = Array.from({ length: pick(4) }, (): DamosConfig.SchemeInput => ({
      action: (["stat", "pageout", "cold"] as const)[pick(3)]!,
      applyIntervalUs: pick(3) * aggrUs,
      pattern: pick(2) === 0 ? {} : { minNrAccesses: 1 },
      ...(pick(3) === 0 ? { wmarks: { metric: "free_mem_rate", intervalUs: 3 * sampleUs, high: 600, mid: 500, low: 100 } } : {})
    }))
    const attrs = { sampleIntervalUs: sampleUs, aggrIntervalUs: aggrUs, minNrRegions: 3 + pick(5), maxNrRegions: 50 }
    const config: DamonConfigInput = {
      ops: "fake",
      targets: [{}],
      attrs,
      schemes
    }
    const fake = makeFakeOps({ hot: [{ start: 0, end: 16 * MiB }], initRange: { start: 0, end: 64 * MiB }, freeMemRate, apply: {} })
    // the same address space without memory metrics: committing watermarks to it must fail on the kdamond
    const blind = makeFakeOps({ id: "blind", hot: [{ start: 0, end: 16 * MiB }], initRange: { start: 0, end: 64 * MiB } })
    const layer = Damon.layer.pipe(Layer.provide(World.layerReal), Layer.provide(OpsRegistry.layer({ fake: instrument(fake, probe), blind })))
    const wmarks = { metric: "free_mem_rate", intervalUs: 3 * sampleUs, high: 600, mid: 500, low: 100 } as const

    return yield* Effect.gen(function*() {
      const damon = yield* Damon.Damon
      let k = yield* damon.start(config, { seed })
      let generation = 0
      const requests: Array<Request & { readonly generation: number; readonly madeAtStep: number }> = []
      const runs = new Map<number, number>()
      // FIFO is per kdamond and per serving point
      const runOrder = new Map<string, Array<number>>()
      const violations: Array<string> = []
      let inFn = false
      /** A user function may only ever see a context between phases: consistent and not shared. */
      const enter = (ctx: DamonCtx.DamonCtx, what: string) => {
        if (probe.depth !== 0) violations.push(`${what} ran inside an ops phase`)
        if (inFn) violations.push(`${what} overlapped another user function`)
        const maxNr = Math.floor(ctx.attrs.aggrIntervalUs / Math.max(ctx.attrs.sampleIntervalUs, 1))
        for (const t of ctx.targets) {
          t.regions.forEach((r, i) => {
            const prev = t.regions[i - 1]
            if (r.end <= r.start || (prev !== undefined && prev.end > r.start) || r.nrAccesses > maxNr) {
              violations.push(`${what} saw an inconsistent region ${i} [${r.start}, ${r.end}) nr ${r.nrAccesses}`)
            }
          })
        }
      }
      let nextId = 0
      let stops = 0
      const pendingAtStop = new Set<number>()
      const observe = (ctx: DamonCtx.DamonCtx) =>
        JSON.stringify([ctx.attrs, ctx.opsId, ctx.schemes, ctx.targets], (_k, v) => (typeof v === "bigint" ? String(v) : v))

      for (let step = 0; step < 100; step++) {
        yield* TestClock.adjust(`${pick(3 * sampleUs) + 1} micros`)
        // bound: a prompt call made at an earlier step has ended by now (it never waits for time)
        for (const r of requests) {
          if (r.kind === "call" && r.at === "sample" && r.madeAtStep < step && r.fiber.pollUnsafe() === undefined) {
            violations.push(`prompt call ${r.id} still pending one step later`)
          }
        }
        const action = pick(22)
        const id = nextId++
        const made = { generation, madeAtStep: step, interruptedByTest: false }
        if (action < 8) {
          const at = (["sample", "sample", "loop", "aggregation"] as const)[pick(4)]!
          const fiber = yield* Effect.forkChild(k.damonCall((ctx) => {
            enter(ctx, `call ${id}`)
            inFn = true
            runs.set(id, (runs.get(id) ?? 0) + 1)
            const key = `${made.generation}/${at}`
            runOrder.set(key, [...(runOrder.get(key) ?? []), id])
            inFn = false
            if (pick(25) === 0) throw new Error(`fn ${id} throws`)
            return ctx.passedSampleIntervals
          }, { at }), { startImmediately: true })
          requests.push({ id, kind: "call", at: at === "loop" ? "aggregation" : at, fiber, ...made })
        } else if (action < 10) {
          const fiber = yield* Effect.forkChild(k.damonCallRepeat((ctx) => {
            enter(ctx, `repeat ${id}`)
            runs.set(id, (runs.get(id) ?? 0) + 1)
          }), { startImmediately: true })
          requests.push({ id, kind: "repeat", at: "sample", fiber, ...made })
        } else if (action < 12) {
          const fiber = yield* Effect.forkChild(k.damosWalk((v) => {
            if (inFn) violations.push(`walk ${id} overlapped a call function`)
            if (v.ctx.schemes[v.schemeIndex] !== v.scheme) violations.push(`walk ${id} saw a scheme not at its index`)
          }), { startImmediately: true })
          requests.push({ id, kind: "walk", at: "sample", fiber, ...made })
        } else if (action < 15) {
          // failed commits change nothing, whether refused on decoding or on the kdamond (an
          // obsolete extra target; watermarks on an ops set without metrics); nothing else
          // runs between the three steps
          const bad: DamonConfigInput = [
            { ...config, attrs: { ...attrs, minNrRegions: 2 } },
            { ...config, targets: [{}, {}, { obsolete: true }] },
            { ...config, ops: "blind", schemes: [{ wmarks }] }
          ][pick(3)]!
          const before = yield* Effect.exit(k.damonCall(observe))
          const refused = yield* Effect.exit(k.commit(bad))
          const after = yield* Effect.exit(k.damonCall(observe))
          if (Exit.isSuccess(before) && Exit.isSuccess(after)) {
            if (outcomeOf(refused) !== "InvalidArgument") violations.push(`bad commit ended ${outcomeOf(refused)}`)
            if (after.value !== before.value) violations.push("a failed commit changed the context")
          }
          if (pick(2) === 0) {
            const next = { ...config, schemes: schemes.slice(0, pick(schemes.length + 1)) }
            const fiber = yield* Effect.forkChild(k.commit(next), { startImmediately: true })
            requests.push({ id, kind: "call", at: "sample", fiber, ...made })
          }
        } else if (action < 17) {
          freeMemRate.value = [50, 300, 550, 900][pick(4)]!
        } else if (action < 20) {
          const open = requests.filter((r) => r.fiber.pollUnsafe() === undefined)
          if (open.length > 0) {
            const victim = open[pick(open.length)]!
            victim.interruptedByTest = true
            yield* Fiber.interrupt(victim.fiber)
          }
        } else if (step > 20 && stops < 3) {
          // stop, then start again: a new kdamond with its own requests
          for (const r of requests) if (r.generation === generation && r.fiber.pollUnsafe() === undefined) pendingAtStop.add(r.id)
          stops++
          yield* k.stop
          k = yield* damon.start(config, { seed: seed + stops })
          generation++
        }
      }
      for (const r of requests) if (r.generation === generation && r.fiber.pollUnsafe() === undefined) pendingAtStop.add(r.id)
      yield* k.stop
      // bound: after the stop nothing may still be waiting, even one sample later
      yield* TestClock.adjust(`${sampleUs} micros`)
      for (const r of requests) {
        const exit = r.fiber.pollUnsafe()
        if (exit === undefined) {
          violations.push(`request ${r.id} (${r.kind}) never ended`)
          continue
        }
        const outcome = outcomeOf(exit)
        const ran = runs.get(r.id) ?? 0
        if (r.kind === "call" && ran > 1) violations.push(`call ${r.id} ran ${ran} times`)
        if (r.kind === "call" && (outcome === "Canceled" || outcome === "NotRunning") && ran !== 0) {
          violations.push(`call ${r.id} ran but ended ${outcome}`)
        }
        if (r.kind === "call" && outcome === "success" && ran !== 1 && runs.has(r.id)) violations.push(`call ${r.id} succeeded after ${ran} runs`)
        if (outcome === "interrupted" && !r.interruptedByTest) violations.push(`request ${r.id} interrupted by someone else`)
        if (pendingAtStop.has(r.id) && !r.interruptedByTest && !["Canceled", "success", "CallbackFailed"].includes(outcome)) {
          violations.push(`request ${r.id} pending at a stop ended ${outcome}`)
        }
      }
      for (const [key, order] of runOrder) {
        if (order.some((id, i) => i > 0 && id < order[i - 1]!)) violations.push(`${key} calls ran out of FIFO order`)
      }
      assert.deepStrictEqual(violations.slice(0, 5), [], `seed ${seed}`)
      return { requests: requests.length, restarts: stops }
    }).pipe(Effect.provide(layer))
  })

describe("synchronization invariants", () => {
  it.effect(`randomized interleavings - ${SEEDS} seeds`, () =>
    Effect.gen(function*() {
      let total = 0
      let restarts = 0
      for (let seed = 1; seed <= SEEDS; seed++) {
        const r = yield* Effect.scoped(scenario(seed))
        total += r.requests
        restarts += r.restarts
      }
      assert.isTrue(total > SEEDS * 30)
      assert.isTrue(restarts > SEEDS, `only ${restarts} restarts`)
    }))

  it.effect("walk accounting - each walk visits exactly what the stats count for that pass", () =>
    Effect.gen(function*() {
      for (let seed = 1; seed <= 10; seed++) {
        const rng = Rng.makeRng(seed * 7919)
        const layer = Damon.layer.pipe(Layer.provide(World.layerReal), Layer.provide(OpsRegistry.layer({
          fake: makeFakeOps({ hot: [{ start: 0, end: 8 * MiB }], initRange: { start: 0, end: 64 * MiB }, apply: {} })
        })))
        yield* Effect.scoped(Effect.gen(function*() {
          const schemes: ReadonlyArray<DamosConfig.SchemeInput> = [
            { action: "stat", pattern: { minNrAccesses: 1 } },
            { action: "pageout", applyIntervalUs: 200_000 },
            { action: "cold", pattern: { maxNrAccesses: 0 } }
          ]
          const k = yield* (yield* Damon.Damon).start({ ops: "fake", targets: [{}], schemes }, { seed })
          // stats of every scheme right before each iteration's apply pass, keyed by sample count
          const history = new Map<number, ReadonlyArray<{ nrTried: number; szTried: number; szApplied: number }>>()
          yield* Effect.forkChild(k.damonCallRepeat((ctx) => {
            history.set(
              ctx.passedSampleIntervals,
              ctx.schemes.map((s) => ({ nrTried: s.stat.nrTried, szTried: s.stat.szTried, szApplied: s.stat.szApplied }))
            )
          }), { startImmediately: true })
          for (let round = 0; round < 5; round++) {
            yield* TestClock.adjust(`${rng.rand(1, 200)} millis`)
            const visits: Array<{ scheme: number; sis: number; bytes: number }> = []
            const walk = yield* Effect.forkChild(k.damosWalk((v) => {
              visits.push({ scheme: v.schemeIndex, sis: v.ctx.passedSampleIntervals, bytes: v.region.end - v.region.start })
            }), { startImmediately: true })
            yield* TestClock.adjust("400 millis")
            yield* Fiber.join(walk)
            yield* TestClock.adjust("5 millis")
            for (let s = 0; s < schemes.length; s++) {
              const mine = visits.filter((v) => v.scheme === s)
              const passes = [...new Set(mine.map((v) => v.sis))]
              assert.isAtMost(passes.length, 1, "a walk saw more than one pass of a scheme")
              if (passes.length === 0) continue
              const sis = passes[0]!
              const before = history.get(sis)![s]!
              const after = history.get(sis + 1)![s]!
              assert.strictEqual(mine.length, after.nrTried - before.nrTried)
              assert.strictEqual(mine.reduce((n, v) => n + v.bytes, 0), after.szTried - before.szTried)
              // the fake ops set applies every byte it is given
              assert.strictEqual(mine.reduce((n, v) => n + v.bytes, 0), after.szApplied - before.szApplied)
            }
          }
        })).pipe(Effect.provide(layer))
      }
    }))
})

describe("load and faults", () => {
  const layer = Damon.layer.pipe(Layer.provide(World.layerReal), Layer.provide(OpsRegistry.layer({
    fake: makeFakeOps({ hot: [{ start: 0, end: 10 * MiB }], initRange: { start: 0, end: 100 * MiB }, apply: {} }),
    dying: makeFakeOps({ hot: [], initRange: { start: 0, end: 100 * MiB }, invalidFromSis: 100 })
  })))

  it.effect("load - 10 000 concurrent callers, a walk and a commit, then a stop: all accounted, schedule undisturbed", () =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start({ ops: "fake", targets: [{}], schemes: [{ action: "stat" }] }, { seed: 1 })
      const callers = []
      for (let i = 0; i < 10_000; i++) {
        callers.push(yield* Effect.forkChild(k.damonCall((ctx) => ctx.passedSampleIntervals, { at: i % 10 === 0 ? "aggregation" : "sample" }), {
          startImmediately: true
        }))
      }
      const walk = yield* Effect.forkChild(k.damosWalk(() => undefined), { startImmediately: true })
      const commit = yield* Effect.forkChild(k.commit({ ops: "fake", targets: [{}], schemes: [{ action: "stat" }, { action: "cold" }] }), {
        startImmediately: true
      })
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* k.damonCall((ctx) => ctx.passedSampleIntervals), 200)
      const late = yield* Effect.forkChild(k.damonCall(() => 1, { at: "aggregation" }), { startImmediately: true })
      yield* k.stop
      const results = yield* Effect.forEach(callers, Fiber.await)
      assert.strictEqual(results.filter(Exit.isSuccess).length, 10_000)
      assert.isTrue(Exit.isSuccess(yield* Fiber.await(walk)))
      assert.isTrue(Exit.isSuccess(yield* Fiber.await(commit)))
      assert.strictEqual(outcomeOf(yield* Fiber.await(late)), "Canceled")
    }).pipe(Effect.provide(layer)))

  // The kernel selftest sysfs_update_schemes_tried_regions_hang.py: tried-bytes updates in a loop
  // while the scheme never matches and the target process exits.
  it.effect("sysfs_update_schemes_tried_regions_hang - ends in a typed failure, not a hang", () =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(
        { ops: "dying", targets: [{}], schemes: [{ action: "stat", pattern: { minNrAccesses: 200, maxNrAccesses: 200 } }] },
        { seed: 1 }
      )
      let last: Exit.Exit<unknown, DamonError> = Exit.void
      for (let i = 0; i < 50 && Exit.isSuccess(last); i++) {
        const update = yield* Effect.forkChild(SchemesControl.schemesTriedBytes(k), { startImmediately: true })
        yield* TestClock.adjust("110 millis")
        last = yield* Fiber.await(update)
      }
      assert.include(["Canceled", "NotRunning"], outcomeOf(last))
      assert.deepStrictEqual(yield* k.join, { _tag: "NoValidTarget" })
    }).pipe(Effect.provide(layer)))

  it.effect("a walk on a scheme whose apply pass never comes is ended by the stop", () =>
    Effect.gen(function*() {
      const k = yield* (yield* Damon.Damon).start(
        { ops: "fake", targets: [{}], schemes: [{ action: "stat", applyIntervalUs: 3_600_000_000 }] },
        { seed: 1 }
      )
      const walk = yield* Effect.forkChild(k.damosWalk(() => undefined), { startImmediately: true })
      yield* TestClock.adjust("10 seconds")
      assert.isUndefined(walk.pollUnsafe())
      yield* k.stop
      assert.strictEqual(outcomeOf(yield* Fiber.await(walk)), "Canceled")
    }).pipe(Effect.provide(layer)))
})
