/**
 * Does a real-time kdamond keep its schedule while the same process is busy (issue 13, item 6)?
 * A vaddr kdamond samples every 5 ms for 2 s of wall time while other work runs in the same
 * Effect runtime; the metric is samples taken / samples due. Loads: nothing (the reference), a
 * CPU-heavy fiber (50 us of work per Effect step), 1000 fibers calling `damonCall` in a loop,
 * 1000 event subscribers (5 us of work per event), and all three at once; each with Effect's
 * default scheduler and with `FairScheduler` provided to the whole program.
 */
import { Effect, Fiber, Layer, Result, Stream } from "effect"
import * as EffectDamon from "effect-damon"
import { MasimFiles, SimMachine, SimOps } from "effect-damon/sim"
import { type Bench, type Metric, median, nowMs } from "./Harness.ts"

const unwrap = <A, E>(r: Result.Result<A, E>): A => {
  if (Result.isFailure(r)) throw r.failure
  return r.success
}

const SAMPLE_US = 5000
const DURATION_MS = 2000

/** Busy-waits `us` microseconds of CPU (the stand-in for a CPU-heavy step). */
const spin = (us: number): void => {
  const end = performance.now() + us / 1000
  while (performance.now() < end) {
    // work
  }
}

export type Load = "none" | "cpu" | "calls" | "subscribers" | "all"

/**
 * The load fibers. They stop by the wall clock, not by a timer, so a load that starves the event
 * loop (and every timer with it) still ends, and the kdamond's samples over the window are read
 * by whichever load fiber finishes first.
 */
const { Damon, OpsRegistry, World } = EffectDamon

const loadFibers = (k: EffectDamon.Kdamond.Kdamond, load: Load, endAt: number, seen: { samples: number | undefined }): ReadonlyArray<Effect.Effect<void>> => {
  const going = () => nowMs() < endAt
  const record = Effect.flatMap(k.stats, (s) => Effect.sync(() => void (seen.samples ??= s.samples)))
  const cpu = Effect.andThen(Effect.whileLoop({ while: going, body: () => Effect.sync(() => spin(50)), step: () => {} }), record)
  const caller = Effect.andThen(Effect.whileLoop({ while: going, body: () => Effect.ignore(k.damonCall(() => 0)), step: () => {} }), record)
  const subscriber = Effect.ignore(Stream.runForEach(k.events.pipe(Stream.takeWhile(going)), () => Effect.sync(() => spin(5))))
  const of = (l: Load): ReadonlyArray<Effect.Effect<void>> =>
    l === "cpu" ? [cpu] : l === "calls" ? Array.from({ length: 1000 }, () => caller) : l === "subscribers" ? Array.from({ length: 1000 }, () => subscriber) : []
  return load === "all" ? [...of("cpu"), ...of("calls"), ...of("subscribers")] : of(load)
}

/** Samples taken / due by a real-time 5 ms kdamond over 2 s while `load` runs alongside. */
export const sampleRatio = (load: Load, fair = false): Promise<number> => {
  const machine = unwrap(SimMachine.SimMachine.withMasim(unwrap(MasimFiles.loadMasimConfig("stairs")), { seed: 1, pid: 42 }))
  const damon = Damon.layer.pipe(Layer.provide([OpsRegistry.layer(SimOps.simOps(machine)), World.layerReal]))
  return Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const k = yield* (yield* Damon.Damon).start({ ops: "vaddr", targets: [{ pid: 42 }], attrs: { sampleIntervalUs: SAMPLE_US } }, { seed: 1 })
    yield* Effect.sleep("100 millis")
    const first = (yield* k.stats).samples
    const t0 = nowMs()
    const endAt = t0 + DURATION_MS
    const seen: { samples: number | undefined } = { samples: undefined }
    const fibers = yield* Effect.forEach(loadFibers(k, load, endAt, seen), (f) => Effect.forkChild(f))
    while (nowMs() < endAt) yield* Effect.sleep("10 millis")
    const last = seen.samples ?? (yield* k.stats).samples
    yield* Effect.forEach(fibers, Fiber.interrupt, { discard: true })
    return (last - first) / ((DURATION_MS * 1000) / SAMPLE_US)
  })).pipe(Effect.provide(damon), fair ? Effect.provide(EffectDamon.FairScheduler.layer()) : (e) => e))
}

const loads: ReadonlyArray<Load> = ["none", "cpu", "calls", "subscribers", "all"]

export const scheduleBench: Bench = {
  name: "schedule",
  run: async () => {
    const out: Record<string, Metric> = {}
    for (const fair of [false, true]) {
      for (const load of loads) {
        const ratios: Array<number> = []
        for (let i = 0; i < 3; i++) ratios.push(await sampleRatio(load, fair))
        out[`schedule.${fair ? "fair" : "default"}.sampleRatio.${load}`] = {
          value: median(ratios),
          unit: "taken/due",
          goal: ">= 0.95",
          note: `real-time vaddr kdamond at 5 ms for 2 s, load: ${load}, ${fair ? "FairScheduler" : "default scheduler"}; median of 3`
        }
      }
    }
    return out
  }
}
