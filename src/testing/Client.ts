/**
 * Clients: the fibers of a scenario, each with a recording handle on the current kdamond. The
 * handle is a full `Kdamond`, so any component written against the public API (a controller
 * committing goals, a cache reading stats, an admin tree) runs on it unchanged, and every
 * operation it makes lands in the history: an `Invoke`, the functions it ran on the kdamond,
 * one `Complete`. After each completion the client yields, so what it does next is the
 * scheduler's choice and not a side effect of whoever woke it.
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type { DamonConfigInput } from "../core/BuildCtx.ts"
import type { QuotaGoalInput } from "../core/damos/DamosConfig.ts"
import type { CallOptions, Kdamond, WalkVisit } from "../engine/Kdamond.ts"
import type { DamonCtx } from "../model/DamonCtx.ts"
import type { Recorder } from "./Recorder.ts"
import { shapeOfConfig } from "./Shape.ts"

/** A scenario's view of one client fiber. */
export interface Client {
  /** `c0`, `c1`, ... (or the name a scenario gave). */
  readonly name: string
  /** The current kdamond; every operation is recorded. */
  readonly kdamond: Kdamond
  /** Records any effect as one operation named `op` (for a component's own methods). */
  readonly op: <A, E, R>(op: string, detail: string, effect: Effect.Effect<A, E, R>) => Effect.Effect<Exit.Exit<A, E>, never, R>
  /**
   * Runs `effect` in a child fiber and interrupts it `afterUs` later (caller interruption, on
   * purpose): its open invocations end `Interrupted`.
   */
  readonly interruptAfter: <A, E, R>(afterUs: number, effect: Effect.Effect<A, E, R>) => Effect.Effect<void, never, R>
  /** Sleeps `us` microseconds of world time. */
  readonly sleep: (us: number) => Effect.Effect<void>
  /** Adds free text to the history. */
  readonly note: (text: string) => Effect.Effect<void>
}

/** The world a client lives in. */
export interface ClientEnv {
  readonly recorder: Recorder
  readonly sleep: (us: number) => Effect.Effect<void>
  /** The kdamond operations go to (the scenario's current one). */
  readonly current: () => Kdamond
}

/** Records `effect` as invocation `id`'s outcome, then yields to the scheduler. */
const completing = <A, E, R>(rec: Recorder, id: number, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.onExit(effect, (exit) => Effect.andThen(Effect.sync(() => rec.complete(id, exit)), Effect.yieldNow))

const describeConfig = (config: DamonConfigInput): string => {
  const a = config.attrs ?? {}
  const schemes = (config.schemes ?? []).map((s) => s.action ?? "stat").join(",")
  const targets = config.targets?.length ?? 0
  return `${config.ops} sample ${a.sampleIntervalUs ?? "-"} aggr ${a.aggrIntervalUs ?? "-"} targets ${targets} schemes [${schemes}]`
}

/** A `Kdamond` that records every operation of client `client` and forwards it to `current()`. */
export const recordingHandle = (env: ClientEnv, client: string): Kdamond => {
  const rec = env.recorder
  const wrapFn = <A>(id: number, pid: number, fn: (ctx: DamonCtx) => A): (ctx: DamonCtx) => A => {
    const wrapped = (ctx: DamonCtx): A => {
      rec.enterFn(id, pid, ctx)
      try {
        return fn(ctx)
      } catch (cause) {
        rec.threw(id, cause)
        throw cause
      } finally {
        rec.exitFn()
      }
    }
    rec.bind(wrapped, id)
    return wrapped
  }
  const recorded = <A, E>(op: string, detail: string, run: (k: Kdamond, id: number) => Effect.Effect<A, E>, extra = {}) =>
    Effect.suspend(() => {
      const k = env.current()
      const id = rec.invoke(client, op, k.pid, detail, extra)
      return completing(rec, id, run(k, id))
    })
  return {
    get index() {
      return env.current().index
    },
    get pid() {
      return env.current().pid
    },
    damonCall: <A>(fn: (ctx: DamonCtx) => A, options?: CallOptions) => {
      const at = options?.at ?? "sample"
      return recorded("damonCall", `at ${at}`, (k, id) => k.damonCall(wrapFn(id, k.pid, fn), options), { at })
    },
    damonCallRepeat: (fn, options) => {
      const at = options?.at ?? "sample"
      return recorded("damonCallRepeat", `at ${at}`, (k, id) => k.damonCallRepeat(wrapFn(id, k.pid, fn), options), { at })
    },
    damosWalk: (walkFn) =>
      recorded("damosWalk", "", (k, id) => {
        const wrapped = (v: WalkVisit) => {
          rec.visit(id, k.pid, v)
          try {
            walkFn(v)
          } catch (cause) {
            rec.threw(id, cause)
            throw cause
          }
        }
        rec.bind(wrapped, id)
        return k.damosWalk(wrapped)
      }),
    commit: (config) => {
      const shape = shapeOfConfig(config)
      return recorded("commit", describeConfig(config), (k) => k.commit(config), shape === undefined ? {} : { shape })
    },
    commitQuotaGoals: (goals: ReadonlyArray<ReadonlyArray<QuotaGoalInput>>) =>
      recorded("commitQuotaGoals", JSON.stringify(goals.map((gs) => gs.map((g) => g.currentValue ?? 0))), (k) => k.commitQuotaGoals(goals)),
    get events() {
      return env.current().events
    },
    stop: recorded("stop", "", (k) => k.stop),
    get isRunning() {
      return env.current().isRunning
    },
    stats: recorded("stats", "", (k, id) => Effect.tap(k.stats, (s) => Effect.sync(() => rec.counters(id, k.pid, s)))),
    get join() {
      return env.current().join
    }
  }
}

/** The client `name` of a scenario. */
export const makeClient = (env: ClientEnv, name: string): Client => {
  const rec = env.recorder
  return {
    name,
    kdamond: recordingHandle(env, name),
    op: (op, detail, effect) =>
      Effect.suspend(() => {
        const id = rec.invoke(name, op, -1, detail)
        return Effect.exit(completing(rec, id, effect))
      }),
    interruptAfter: (afterUs, effect) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.forkChild(effect, { startImmediately: true })
        yield* env.sleep(afterUs)
        rec.requestInterrupt(fiber.id)
        yield* Fiber.interrupt(fiber)
      }),
    sleep: env.sleep,
    note: (text) => Effect.sync(() => rec.note(name, text))
  }
}
