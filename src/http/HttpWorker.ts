/**
 * The entry point of the HTTP worker thread started by `WorkerEndpoint`: the same routes, guard
 * and server as the in-thread endpoint (`HttpEndpoint.serveWith`), over an `AdminBackend` that
 * asks the owning thread for every admin operation by message. Everything else about a request
 * (parsing, guarding, routing, formatting metrics, writing the answer) happens here, off the
 * kdamonds' thread. A program edge: it runs its own Effect runtime.
 */
import type * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { parentPort, workerData } from "node:worker_threads"
import type { AdminBackend, AdminFault } from "./AdminBackend.ts"
import type { MetricsSnapshot } from "./DamonMetrics.ts"
import { Endpoint, serveWith } from "./HttpEndpoint.ts"
import { type FromWorker, isReply, type Reply, type Request, type ToWorker, type WorkerStart } from "./WorkerProtocol.ts"

const port = parentPort
if (port === null) throw new Error("HttpWorker.ts runs in a worker thread (WorkerEndpoint starts it)")
const { config } = workerData as WorkerStart

const post = (message: FromWorker) => port.postMessage(message)

type RequestBody = Request extends infer R ? R extends { readonly id: number } ? Omit<R, "id"> : never : never

const pending = new Map<number, (reply: Reply) => void>()
let nextId = 0

/** One admin operation in the owning thread; an interrupted caller forgets its reply. */
const ask = <A>(request: RequestBody): Effect.Effect<A, AdminFault> =>
  Effect.callback<A, AdminFault>((resume) => {
    const id = nextId++
    pending.set(id, (reply) => resume(reply.ok ? Effect.succeed(reply.value as A) : Effect.fail(reply.fault)))
    post({ ...request, id } as Request)
    return Effect.sync(() => void pending.delete(id))
  })

/** Events subscriptions by id: a bounded sliding queue each (a slow client loses its oldest). */
const subscriptions = new Map<number, Queue.Queue<string, Cause.Done>>()

/**
 * A kdamond's events through the owning thread: the subscription is made (or refused) by a
 * request; then the owner posts its events, which the client's stream drains; a client that
 * goes away cancels it.
 */
const events = (index: number): Effect.Effect<Stream.Stream<string>, AdminFault> =>
  Effect.gen(function*() {
    const queue = yield* Queue.sliding<string, Cause.Done>(1024)
    const id = nextId
    subscriptions.set(id, queue)
    const subscribed = yield* Effect.result(ask<null>({ op: "events", index }))
    if (subscribed._tag === "Failure") {
      subscriptions.delete(id)
      return yield* Effect.fail(subscribed.failure)
    }
    return Stream.fromQueue(queue).pipe(
      Stream.ensuring(Effect.sync(() => {
        if (subscriptions.delete(id)) post({ kind: "cancel", id })
      }))
    )
  })

const backend: AdminBackend = {
  read: (path) => ask<string>({ op: "read", path }),
  list: (path) => ask<ReadonlyArray<string>>({ op: "list", path }),
  write: (path, text) => ask<void>({ op: "write", path, text }),
  metrics: Effect.orDie(ask<MetricsSnapshot>({ op: "metrics" })),
  events
}

const shutdown = Deferred.makeUnsafe<void>()

port.on("message", (message: ToWorker) => {
  if (isReply(message)) {
    const resume = pending.get(message.id)
    pending.delete(message.id)
    resume?.(message)
  } else if (message.kind === "shutdown") {
    Deferred.doneUnsafe(shutdown, Exit.void)
  } else if (message.kind === "event") {
    const queue = subscriptions.get(message.id)
    if (queue !== undefined) Queue.offerUnsafe(queue, message.text)
  } else {
    const queue = subscriptions.get(message.id)
    subscriptions.delete(message.id)
    if (queue !== undefined) Queue.endUnsafe(queue)
  }
})

const program = Effect.gen(function*() {
  const scope = yield* Scope.make()
  const built = yield* Effect.exit(Layer.buildWithScope(serveWith(config, backend), scope))
  if (Exit.isFailure(built)) {
    const error = built.cause.reasons.find((r) => r._tag === "Fail")
    const cause = error?._tag === "Fail" ? error.error.cause : undefined
    post({ kind: "failed", message: cause instanceof Error ? cause.message : "the HTTP server failed to start" })
    return
  }
  const url = yield* Effect.provide(Effect.map(Endpoint, (e) => e.url), built.value)
  post({ kind: "listening", url })
  yield* Deferred.await(shutdown)
  yield* Scope.close(scope, Exit.void)
  post({ kind: "closed" })
})

Effect.runFork(program).addObserver(() => port.close())
