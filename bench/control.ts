/**
 * Control-path benchmarks (the synchronous control issue), in real time with the default 5 ms
 * sampling interval: damonCall latency as a caller sees it (p50, p99), damonCall throughput with
 * 1000 concurrent callers, and the cost a pending damosWalk adds per region it visits.
 */
import { Deferred, Effect, Fiber, Layer, Result } from "effect"
import { Damon, type DamonOps, OpsRegistry, Rng, World } from "effect-damon"
import { MasimFiles, SimMachine, SimOps } from "effect-damon/sim"
import * as ApplySchemes from "../src/core/damos/ApplySchemes.ts"
import * as BuildCtx from "../src/core/BuildCtx.ts"
import { completeWalkFor, makeControlState, visitWalk, type WalkRequest } from "../src/engine/Control.ts"
import * as KdamondStats from "../src/engine/KdamondStats.ts"
import { type Bench, median, nowMs } from "./Harness.ts"

const unwrap = <A, E>(r: Result.Result<A, E>): A => {
  if (Result.isFailure(r)) throw r.failure
  return r.success
}

const percentile = (xs: ReadonlyArray<number>, p: number): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

const runtimeLayer = () => {
  const config = unwrap(MasimFiles.loadMasimConfig("stairs"))
  const machine = unwrap(SimMachine.SimMachine.withMasim(config, { seed: 1, pid: 42 }))
  return Damon.layer.pipe(Layer.provide([OpsRegistry.layer(SimOps.simOps(machine)), World.layerReal]))
}

/** End-to-end latency of sequential damonCalls on a real-time kdamond (default intervals). */
const latencies = (): Promise<Array<number>> =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const k = yield* (yield* Damon.Damon).start({ ops: "vaddr", targets: [{ pid: 42 }] }, { seed: 1 })
    const out: Array<number> = []
    for (let i = 0; i < 3000; i++) {
      const t0 = nowMs()
      yield* k.damonCall((ctx) => ctx.passedSampleIntervals)
      if (i >= 500) out.push((nowMs() - t0) * 1000)
    }
    return out
  })).pipe(Effect.provide(runtimeLayer())))

/** Calls per second with 1000 callers looping concurrently for about one second. */
const throughput = (): Promise<number> =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const k = yield* (yield* Damon.Damon).start({ ops: "vaddr", targets: [{ pid: 42 }] }, { seed: 1 })
    let calls = 0
    const deadline = nowMs() + 1000
    const caller = Effect.gen(function*() {
      while (nowMs() < deadline) {
        yield* k.damonCall(() => 0)
        calls++
      }
    })
    const t0 = nowMs()
    const fibers = yield* Effect.forEach(Array.from({ length: 1000 }), () => Effect.forkChild(caller))
    yield* Fiber.joinAll(fibers)
    return calls / ((nowMs() - t0) / 1000)
  })).pipe(Effect.provide(runtimeLayer())))

/**
 * The apply pass over 20 000 regions with a stat scheme, timed with and without a pending walk
 * whose function does nothing: the difference per visited region is the walk's own cost, and
 * the ratio of the two passes is that cost in a form the host's speed does not move (both
 * passes of a pair run within 3 ms of each other, so a slow spell slows both alike).
 */
const walkOverhead = (): Promise<{ nsPerRegion: number; passRatio: number }> =>
  Effect.runPromise(Effect.gen(function*() {
    const nrRegions = 20_000
    const source = unwrap(BuildCtx.decodeConfig({
      ops: "bench",
      targets: [{ regions: Array.from({ length: nrRegions }, (_, i) => ({ start: i * 4096 * 16, end: (i + 1) * 4096 * 16 })) }],
      schemes: [{ action: "stat" }]
    }))
    const ctx = BuildCtx.buildCtx(source)
    const ops: DamonOps = {
      id: "bench",
      applyScheme: (_c, _t, r, _s, _e, out) => {
        out.applied = r.end - r.start
        out.filterPassed = out.applied
      }
    }
    const env = { rng: Rng.makeRng(1), nowUs: () => 0 }
    const control = yield* makeControlState(KdamondStats.make(), () => 0)
    const hooks: ApplySchemes.ApplyHooks = {
      onApplied: (t, r, s, sz) => visitWalk(control, ctx, t, r, s, sz),
      walkComplete: (s) => completeWalkFor(control, ctx, s)
    }
    let visits = 0
    const pass = (withWalk: boolean) => {
      if (withWalk) {
        const walk: WalkRequest = { walkFn: () => void visits++, state: "queued", reply: Deferred.makeUnsafe() }
        control.walk = walk
      }
      ctx.passedSampleIntervals = ctx.schemes[0]!.nextApplySis
      const t0 = nowMs()
      ApplySchemes.applySchemes(ctx, ops, env, 0, hooks)
      return nowMs() - t0
    }
    // The cost is a difference of two ~1 ms passes: taken per adjacent pair (in alternating
    // order), so that a change in the host's speed between passes cancels, and the median of the
    // pairs' differences reported.
    const diffs: Array<number> = []
    const ratios: Array<number> = []
    const pairs = 220
    for (let i = 0; i < pairs; i++) {
      const walkFirst = i % 2 === 1
      const a = walkFirst ? pass(true) : pass(false)
      const b = walkFirst ? pass(false) : pass(true)
      const [withWalk, without] = walkFirst ? [a, b] : [b, a]
      if (i >= 20) {
        diffs.push(withWalk - without)
        ratios.push(withWalk / without)
      }
    }
    const visitsPerPass = visits / pairs
    return { nsPerRegion: (median(diffs) * 1e6) / visitsPerPass, passRatio: median(ratios) }
  }))

export const controlBench: Bench = {
  name: "control",
  run: async () => {
    const lat = await latencies()
    const tput: Array<number> = []
    for (let i = 0; i < 3; i++) tput.push(await throughput())
    const walk = await walkOverhead()
    return {
      "call.latencyP50Us": {
        value: percentile(lat, 50),
        unit: "us",
        goal: "< 50",
        note: "real time, 5 ms sampling (stairs vaddr), 2500 sequential damonCalls after 500 warm-up"
      },
      "call.latencyP99Us": { value: percentile(lat, 99), unit: "us", goal: "< 500", note: "same run" },
      "call.throughputPerSec": {
        value: median(tput),
        unit: "calls/s",
        goal: ">= 50000",
        note: "1000 concurrent callers looping for 1 s, real time, median of 3"
      },
      "walk.overheadNsPerRegion": {
        value: walk.nsPerRegion,
        unit: "ns",
        goal: "< 1000",
        note: "apply pass over 20 000 regions with and without a pending walk: median of 200 adjacent pairs' differences, per visit"
      },
      "walk.passTimeWithOverWithout": {
        value: walk.passRatio,
        unit: "time ratio",
        note: "the same pairs: median of (pass with a pending walk / pass without)"
      }
    }
  }
}
