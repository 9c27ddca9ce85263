/**
 * One run of a scenario under one schedule: builds a fresh runtime (ops registry, the explorer's
 * world, the probed engine) under the explorer's scheduler, runs the harness (start the
 * kdamond, the clients as fibers, the final stop, settling), drives it step by step until it
 * ends, and checks the invariants over the history. The run is a pure function of (scenario,
 * plan, schedule, seed).
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Scheduler from "effect/Scheduler"
import * as Scope from "effect/Scope"
import { Damon, layer as damonLayer } from "../Damon.ts"
import { EngineSeam } from "../engine/EngineSeam.ts"
import type { Kdamond } from "../engine/Kdamond.ts"
import { WorldClock } from "../engine/World.ts"
import { notRunning } from "../model/DamonError.ts"
import * as OpsRegistry from "../ops/OpsRegistry.ts"
import { type ClientEnv, makeClient, recordingHandle } from "./Client.ts"
import * as FakeOps from "./FakeOps.ts"
import type { History } from "./History.ts"
import { all, type Bounds, check, type Violation } from "./Invariants.ts"
import { instrumentOps, probeSeam } from "./Probe.ts"
import { Recorder } from "./Recorder.ts"
import type { Env, Plan, Scenario } from "./Scenario.ts"
import { type Chooser, ExplorerScheduler } from "./Scheduler.ts"
import { shapeOfConfig } from "./Shape.ts"
import * as StepWorld from "./StepWorld.ts"

/** What one run produced. */
export interface RunResult {
  readonly history: History
  /** False when the run (the harness itself) did not end within its horizon. */
  readonly finished: boolean
  /** Scheduling steps taken. */
  readonly steps: number
  /** The schedule's choices that were not the oldest task: `[step, index]` (its preemptions). */
  readonly choices: ReadonlyArray<readonly [number, number]>
  readonly violations: ReadonlyArray<Violation>
}

/** A run's limits, beyond which it counts as hung. */
const maxSteps = 500_000

const attrsOf = (scenario: Scenario<unknown, unknown>) => scenario.config?.attrs ?? {}

/** `boundedWaits` bounds from the scenario's config: its sample, watermark and aggregation intervals. */
export const boundsOf = (scenario: Scenario<unknown, unknown>): Bounds => {
  if (scenario.bounds !== undefined) return scenario.bounds
  const a = attrsOf(scenario)
  const sample = a.sampleIntervalUs ?? 5_000
  const wmarks = (scenario.config?.schemes ?? []).filter((s) => s.wmarks?.metric === "free_mem_rate")
  const wmarkUs = Math.max(0, ...wmarks.map((s) => s.wmarks?.intervalUs ?? 0))
  return { promptUs: Math.max(sample, wmarkUs), aggregationUs: wmarks.length > 0 ? Infinity : (a.aggrIntervalUs ?? 100_000) }
}

/** World time the clients get before the harness gives up on them. */
export const horizonOf = (scenario: Scenario<unknown, unknown>): number =>
  scenario.horizonUs ?? 40 * (attrsOf(scenario).aggrIntervalUs ?? 100_000)

/** The harness: start, clients, final stop, teardown, settle. */
const harness = <Op, S>(
  scenario: Scenario<Op, S>,
  plan: Plan<Op>,
  world: StepWorld.StepWorld,
  rec: Recorder,
  seed: number
) =>
  Effect.gen(function*() {
    const damon = yield* Damon
    const scope = yield* Effect.scope
    let current: Kdamond | undefined
    let starts = 0
    const start = Effect.gen(function*() {
      const config = scenario.config!
      const k = yield* Scope.provide(scope)(damon.start(config, { seed: seed + starts++ }))
      const shape = shapeOfConfig(config)
      const id = rec.invoke("harness", "start", k.pid, "", shape === undefined ? {} : { shape })
      rec.complete(id, Exit.void)
      current = k
    })
    if (scenario.config !== undefined) yield* Effect.orDie(start)
    const currentOrFail = (): Kdamond => {
      if (current === undefined) throw new Error(`scenario ${scenario.id} has no kdamond: give it a config`)
      return current
    }
    const clientEnv: ClientEnv = { recorder: rec, sleep: world.sleep, current: currentOrFail }
    const env: Env = {
      current: currentOrFail,
      restart: Effect.suspend(() => {
        if (scenario.config === undefined) return Effect.fail(notRunning(`scenario ${scenario.id} has no config to start`))
        return Effect.flatMap(current === undefined ? Effect.succeed(false) : current.isRunning, (running) =>
          running ? Effect.succeed(false) : Effect.as(start, true))
      }),
      record: (k, client) => recordingHandle({ ...clientEnv, current: () => k }, client),
      nowUs: world.nowUs,
      recorder: rec
    }
    const state = scenario.setup === undefined ? (undefined as S) : yield* scenario.setup(env)
    const fibers: Array<Fiber.Fiber<void>> = []
    for (let i = 0; i < plan.clients.length; i++) {
      const client = makeClient(clientEnv, `c${i}`)
      const ops = plan.clients[i]!
      const script = Effect.forEach(ops, (op) => Effect.andThen(Effect.yieldNow, scenario.perform(op, client, state, env)), { discard: true })
      fibers.push(yield* Effect.forkChild(script.pipe(Effect.catchCause((cause) =>
        Effect.sync(() => {
          if (!Cause.hasInterruptsOnly(cause)) rec.clientFailed(client.name, cause)
        })
      ))))
    }
    const done = yield* Effect.raceFirst(
      Effect.as(Fiber.awaitAll(fibers), true),
      Effect.as(world.sleep(horizonOf(scenario as Scenario<unknown, unknown>)), false)
    )
    if (!done) {
      rec.givingUp = true
      yield* Fiber.interruptAll(fibers)
    }
    const last = current
    if (last !== undefined && (yield* last.isRunning)) {
      const id = rec.invoke("harness", "stop", last.pid, "")
      rec.complete(id, yield* Effect.exit(last.stop))
    }
    if (scenario.teardown !== undefined) yield* scenario.teardown(state, env)
    yield* world.sleep(boundsOf(scenario as Scenario<unknown, unknown>).promptUs)
    rec.givingUp = true
  })

/** Runs the explorer loop until `done()`: a ready task, else a time step (up to `limitUs`). */
const drive = (sched: ExplorerScheduler, world: StepWorld.StepWorld, done: () => boolean, limitUs: number): boolean => {
  while (!done()) {
    if (sched.steps >= maxSteps) return false
    if (sched.step()) continue
    if (!world.advance(limitUs)) return done()
  }
  return true
}

/** Runs `plan` of `scenario` under the schedule `chooser` makes; kdamond seeds derive from `seed`. */
export const runPlan = <Op, S>(
  scenario: Scenario<Op, S>,
  plan: Plan<Op>,
  chooser: Chooser,
  seed: number
): Effect.Effect<RunResult> =>
  Effect.gen(function*() {
    // the engine the run observes: the shipped one, unless a test provides a variant
    const engine = yield* EngineSeam
    const sched = new ExplorerScheduler(chooser)
    const world = StepWorld.make(scenario.time ?? "virtual")
    const rec = new Recorder(world.nowUs)
    const entries = Object.fromEntries(
      Object.entries(scenario.ops ?? { fake: FakeOps.make() }).map(([id, f]) => [id, instrumentOps(rec, f)])
    )
    const runtime = damonLayer.pipe(Layer.provide([OpsRegistry.layer(entries), Layer.succeed(WorldClock, world)]))
    const program = harness(scenario, plan, world, rec, seed).pipe(
      Effect.scoped,
      Effect.provide(runtime),
      Effect.provideService(EngineSeam, probeSeam(rec, engine)),
      Effect.provideService(Clock.Clock, world.clock),
      Effect.provideService(Scheduler.Scheduler, sched)
    )
    const fiber = yield* Effect.forkDetach(program, { startImmediately: true })
    const s = scenario as Scenario<unknown, unknown>
    const limitUs = 2 * horizonOf(s) + 10 * boundsOf(s).promptUs
    const finished = yield* Effect.sync(() => {
      const ok = drive(sched, world, () => fiber.pollUnsafe() !== undefined, limitUs)
      if (!ok) {
        // a hung run: interrupt what is left and let it unwind (bounded too)
        rec.givingUp = true
        fiber.interruptUnsafe()
        drive(sched, world, () => fiber.pollUnsafe() !== undefined, 2 * limitUs)
      }
      rec.abandonOpen()
      return ok
    })
    const exit = fiber.pollUnsafe()
    if (exit !== undefined && Exit.isFailure(exit) && finished) yield* Effect.die(new Error(`scenario ${scenario.id} failed: ${String(exit.cause)}`))
    const history = rec.events
    const violations = check({ history, bounds: boundsOf(s), finished }, scenario.invariants ?? all)
    return { history, finished, steps: sched.steps, choices: sched.deviations, violations }
  })
