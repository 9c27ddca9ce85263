/**
 * Starting a kdamond: its state, the loop fiber in a scope, and the handle (`Kdamond.ts`) whose
 * calls, walks and commits reach the loop through the control queue. The runtime (`Damon.ts`)
 * is the only caller: it enforces the kernel's global rules around it.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Random from "effect/Random"
import * as Result from "effect/Result"
import * as Scheduler from "effect/Scheduler"
import type * as Scope from "effect/Scope"
import { decodeConfig } from "../core/BuildCtx.ts"
import { commitQuotaGoals as commitQuotaGoalsOf } from "../core/damos/Commit.ts"
import { decodeGoalsPerScheme } from "../core/damos/DamosConfig.ts"
import { makeRng } from "../core/Rng.ts"
import { type DamonError, limitExceeded, notRunning } from "../model/DamonError.ts"
import type { DamonCtx } from "../model/DamonCtx.ts"
import { MAX_PENDING_REQUESTS } from "../model/Limits.ts"
import type { DamonOps, DamonOpsFactory } from "../ops/DamonOps.ts"
import {
  type CallPoint,
  type CallRequest,
  completeWalkFor,
  finishCall,
  makeControlState,
  nrHeld,
  pruneSettled,
  visitWalk,
  type WalkRequest,
  serveIncoming,
  type WalkVisit
} from "./Control.ts"
import { EngineSeam } from "./EngineSeam.ts"
import { makeHub, type StopReason } from "./Events.ts"
import type { CallOptions, Kdamond, KdamondOptions } from "./Kdamond.ts"
import { checkGoalsMeasurable, type LoopState, run, settleRegions, stepSample } from "./KdamondLoop.ts"
import * as KdamondStats from "./KdamondStats.ts"
import type { World } from "./World.ts"

/** Dependencies the runtime gives a kdamond at start. */
export interface KdamondDeps {
  readonly index: number
  readonly pid: number
  readonly ctx: DamonCtx
  readonly ops: DamonOps
  /** The world clock the kdamond shares with every other kdamond and the address space. */
  readonly world: World
  /** The registry's selector, for commits that switch the operations set. */
  readonly selectOps: (id: string) => Result.Result<DamonOpsFactory, DamonError>
  /** Called exactly once when the kdamond has fully stopped (the runtime's `nr_running_ctxs--`). */
  readonly onStopped: () => void
}

/**
 * Starts a kdamond in `scope` and returns once it runs (the kernel's `damon_start()` waits for
 * `kdamond_started`). Closing the scope stops it.
 */
export const start = (
  deps: KdamondDeps,
  options: KdamondOptions,
  scope: Scope.Scope
): Effect.Effect<Kdamond> =>
  Effect.gen(function*() {
    const world = deps.world
    const name = `kdamond.${deps.index}`
    const seam = (yield* EngineSeam).forKdamond({ name, pid: deps.pid })
    const seed = options.seed ?? (yield* Random.nextIntBetween(0, 0x7fff_ffff))
    const rng = makeRng(seed)
    const stats = KdamondStats.make()
    const control = yield* makeControlState(stats, world.nowUs)
    const hub = yield* makeHub(options.eventBufferSize)
    const stopped = yield* Deferred.make<StopReason>()
    // Stryker disable next-line ArrayDeclaration: equivalent, the loop empties it before every apply pass
    const dueSchemes: Array<number> = []
    const st: LoopState = {
      ctx: deps.ctx,
      ops: deps.ops,
      env: {
        rng,
        nowUs: world.nowUs,
        userRuns: () => control.userRuns,
        // The loop settles the ops set it runs, so it may keep samples aside if it can settle
        // (an ops set that wraps vaddr without passing `settle` on gets per-sample writes).
        get settles() {
          return st.ops.settle !== undefined
        }
      },
      world,
      // Joined here, before the fiber runs, so virtual time waits for its first phase.
      participant: world.join(),
      startUs: world.nowUs(),
      sampleDeadlineUs: world.nowUs(),
      rng,
      control,
      seam,
      stats,
      hub,
      // Stryker disable next-line ObjectLiteral: equivalent, 0 and undefined differ only with no regions, when nothing splits
      split: { lastNrRegions: 0 },
      stopAtUs: options.stopAtUs ?? Number.POSITIVE_INFINITY,
      hooks: seam.applyHooks({
        onApplied: (t, r, s, szFilterPassed) => visitWalk(control, deps.ctx, t, r, s, szFilterPassed),
        walkComplete: (s) => {
          dueSchemes.push(deps.ctx.schemes.indexOf(s))
          completeWalkFor(control, deps.ctx, s)
        }
      }, deps.ctx),
      dueSchemes,
      szLimit: 0,
      maxNrAccesses: 0,
      prepared: false,
      serveIncoming: Effect.sync(() => void serveIncoming(control, deps.ctx)),
      stepSample: () => stepSample(st),
      lAggr: 0,
      lUpdate: 0,
      lSampleUs: 0,
      firstWaitUs: 0,
      nrAggregations: 0,
      stopReason: undefined
    }
    control.beforeUser = () => settleRegions(st)
    let running = true
    const finish = (reason: StopReason) =>
      Effect.andThen(
        seam.terminate(st, reason),
        Effect.sync(() => {
          running = false
          deps.onStopped()
          Deferred.doneUnsafe(stopped, Effect.succeed(reason))
        })
      )
    hub.start((seq) => ({ _tag: "Started", seq, kdamond: deps.index, atUs: 0, worldUs: st.startUs }))
    // The kdamond yields where its schedule allows (its waits, its serving turns, with priority
    // KDAMOND_YIELD_PRIORITY), never because an operation count or a time slice ran out: a
    // preempted kdamond would queue behind every busy fiber of the program.
    const fiber = yield* Effect.interruptible(Effect.provideService(run(st), Scheduler.PreventSchedulerYield, true)).pipe(
      Effect.onExit((exit) => {
        // Stryker disable next-line ObjectLiteral,StringLiteral: unreachable default, the loop returns only after setting a reason
        if (exit._tag === "Success") return finish(st.stopReason ?? { _tag: "Requested" })
        return finish(
          Cause.hasInterruptsOnly(exit.cause) ? { _tag: "Requested" } : { _tag: "Crashed", message: Cause.pretty(exit.cause) }
        )
      }),
      Effect.forkIn(scope, { startImmediately: true })
    )

    /**
     * Queues a call and waits for its reply; interrupting the wait withdraws the call. The queue
     * and the withdrawal hook are set up uninterruptibly, so no interruption can lose track of a
     * queued call.
     */
    const enqueueCall = (
      fn: (ctx: DamonCtx) => unknown,
      at: CallPoint,
      repeat: boolean
    ): Effect.Effect<unknown, DamonError> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.suspend(() => {
          if (!control.obsolete && nrHeld(control) >= MAX_PENDING_REQUESTS) pruneSettled(control)
          // live calls are what the limit counts; withdrawn ones the loop has not dropped yet
          // may take as many entries again at most
          if (!control.obsolete && (control.nrQueued >= MAX_PENDING_REQUESTS || nrHeld(control) >= 2 * MAX_PENDING_REQUESTS)) {
            return Effect.fail(limitExceeded(
              `${name} requests`,
              control.nrQueued + 1,
              `at most ${MAX_PENDING_REQUESTS} requests pending on one kdamond`
            ))
          }
          const reply = Deferred.makeUnsafe<unknown, DamonError>()
          const req: CallRequest = { fn, at, repeat, enqueuedUs: world.nowUs(), runs: 0, state: "queued", reply }
          const refused = seam.offerCall(control, req)
          if (refused !== undefined) return Effect.fail(refused)
          return restore(Deferred.await(reply)).pipe(Effect.onInterrupt(() => Effect.sync(() => finishCall(control, req, "withdrawn"))))
        })
      )

    const damonCall = <A>(fn: (ctx: DamonCtx) => A, callOptions?: CallOptions): Effect.Effect<A, DamonError> =>
      Effect.map(enqueueCall(fn, callOptions?.at ?? "sample", false), (a) => a as A)

    // a repeat call's reply only ever completes with a failure (cancelled, or its function threw)
    const damonCallRepeat = (fn: (ctx: DamonCtx) => void, callOptions?: CallOptions): Effect.Effect<never, DamonError> =>
      Effect.andThen(enqueueCall(fn, callOptions?.at ?? "sample", true), Effect.never)

    const damosWalk = (walkFn: (visit: WalkVisit) => void): Effect.Effect<number, DamonError> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.suspend(() => {
          const reply = Deferred.makeUnsafe<number, DamonError>()
          const walk: WalkRequest = { walkFn, state: "queued", reply }
          const refused = seam.offerWalk(control, walk)
          if (refused !== undefined) return Effect.fail(refused)
          return restore(Deferred.await(reply)).pipe(
            Effect.onInterrupt(() => Effect.sync(() => seam.withdrawWalk(control, st.ctx, walk)))
          )
        })
      )

    /** Runs `f` as a prompt call on the kdamond; its returned error fails the caller. */
    const onKdamond = (f: () => DamonError | undefined): Effect.Effect<void, DamonError> =>
      Effect.flatMap(enqueueCall(f, "sample", false), (error) => (error === undefined ? Effect.void : Effect.fail(error as DamonError)))

    const commit = (config: unknown): Effect.Effect<void, DamonError> =>
      Effect.withSpan(Effect.suspend(() => {
        const source = decodeConfig(config)
        if (Result.isFailure(source)) return Effect.fail(source.failure)
        const factory = deps.selectOps(source.success.base.ops)
        if (Result.isFailure(factory)) return Effect.fail(factory.failure)
        return onKdamond(() => seam.commitInLoop(st, source.success, factory.success))
      }), "Kdamond.commit", { attributes: { kdamond: deps.index } })

    const commitQuotaGoals = (input: unknown): Effect.Effect<void, DamonError> =>
      Effect.suspend(() => {
        const decoded = decodeGoalsPerScheme(input)
        if (Result.isFailure(decoded)) return Effect.fail(decoded.failure)
        const goalsPerScheme = decoded.success
        return onKdamond(() => {
          const unmeasurable = checkGoalsMeasurable(goalsPerScheme, st.ops)
          if (unmeasurable !== undefined) return unmeasurable
          const n = Math.min(st.ctx.schemes.length, goalsPerScheme.length)
          for (let i = 0; i < n; i++) commitQuotaGoalsOf(st.ctx.schemes[i]!.quota, goalsPerScheme[i]!)
          return undefined
        })
      }).pipe(Effect.withSpan("Kdamond.commitQuotaGoals", { attributes: { kdamond: deps.index } }))

    const stop: Effect.Effect<void, DamonError> = Effect.suspend(() =>
      running
        ? Effect.andThen(Fiber.interrupt(fiber), Deferred.await(stopped))
        : Effect.fail(notRunning(`${name} is not running`))
    ).pipe(Effect.asVoid, Effect.withSpan("Kdamond.stop", { attributes: { kdamond: deps.index } }))

    return {
      index: deps.index,
      pid: deps.pid,
      damonCall,
      damonCallRepeat,
      damosWalk,
      commit,
      commitQuotaGoals,
      events: hub.stream,
      stop,
      isRunning: Effect.sync(() => running),
      stats: Effect.sync(() => KdamondStats.snapshot(stats)),
      join: Deferred.await(stopped)
    }
  })

