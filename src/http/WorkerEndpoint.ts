/**
 * The endpoint served from a worker thread: the HTTP contract of `HttpEndpoint` exactly, but the
 * parsing, guarding, routing and answering of requests run in `HttpWorker`, and only the admin
 * operations themselves (a read, a listing, a write, a metrics snapshot) run in this thread, the
 * one that owns the tree and runs the kdamonds. Under HTTP load the kdamonds then lose far less
 * of their schedule (issue 13, item 6; figures in `docs/http.md`).
 */
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Result from "effect/Result"
import * as Stream from "effect/Stream"
import { HttpServerError } from "effect/http"
import { Worker } from "node:worker_threads"
import type { DamonError } from "../model/DamonError.ts"
import { Sysfs } from "../sysfs/Sysfs.ts"
import { type AdminBackend, fromSysfs } from "./AdminBackend.ts"
import { type EndpointOptions, resolve } from "./EndpointConfig.ts"
import { Endpoint } from "./HttpEndpoint.ts"
import { type FromWorker, isRequest, type Reply, type Request, type ToWorker, type WorkerStart } from "./WorkerProtocol.ts"

/** The worker's module, next to this one (`.ts` when run from sources, `.js` when built). */
const workerModule = new URL(import.meta.url.endsWith(".ts") ? "./HttpWorker.ts" : "./HttpWorker.js", import.meta.url)

/** Extra time the worker gets, beyond its own shutdown grace, before it is terminated. */
const terminateAfterMs = 2_000

/** Runs one request of the worker against the tree and replies. */
const serve = (backend: AdminBackend, request: Request, reply: (r: Reply) => void): Effect.Effect<void> => {
  const op: Effect.Effect<unknown, { readonly errno: string; readonly message: string }> = request.op === "read"
    ? backend.read(request.path)
    : request.op === "list"
    ? backend.list(request.path)
    : request.op === "write"
    ? backend.write(request.path, request.text)
    : backend.metrics
  return Effect.map(Effect.result(op), (r) =>
    reply(
      Result.isSuccess(r)
        ? { id: request.id, ok: true, value: r.success }
        : { id: request.id, ok: false, fault: { errno: r.failure.errno, message: r.failure.message } }
    ))
}

/**
 * An events subscription of the worker: replies once it is made (or refused), then forwards
 * every event and the end; interrupted when the worker's client goes away.
 */
const forwardEvents = (
  backend: AdminBackend,
  request: Extract<Request, { readonly op: "events" }>,
  post: (message: ToWorker) => void
): Effect.Effect<void> =>
  Effect.gen(function*() {
    const events = yield* Effect.result(backend.events(request.index))
    if (Result.isFailure(events)) {
      post({ id: request.id, ok: false, fault: { errno: events.failure.errno, message: events.failure.message } })
      return
    }
    post({ id: request.id, ok: true, value: null })
    yield* Stream.runForEach(events.success, (text) => Effect.sync(() => post({ kind: "event", id: request.id, text })))
    post({ kind: "end", id: request.id })
  })

/**
 * The endpoint in a worker thread, over the `Sysfs` service of this thread. Same options,
 * errors and answers as `HttpEndpoint.layer`: `InvalidArgument` for a bad option (before the
 * worker starts), `ServeError` when the worker cannot bind the address. Releasing it shuts the
 * worker's server down (the same bounded graceful shutdown), then interrupts the writes still
 * running here; `Endpoint.stopped` fails if the worker dies by itself.
 */
export const layer = (
  options: EndpointOptions = {}
): Layer.Layer<Endpoint, HttpServerError.ServeError | DamonError, Sysfs> =>
  Layer.effect(Endpoint)(Effect.gen(function*() {
    const config = yield* Effect.fromResult(resolve(options))
    const scope = yield* Effect.scope
    const backend = fromSysfs(yield* Sysfs, scope)
    const requests = yield* Queue.unbounded<Request>()
    const listening = Deferred.makeUnsafe<string, HttpServerError.ServeError>()
    const closed = Deferred.makeUnsafe<void>()
    const exited = Deferred.makeUnsafe<never, HttpServerError.ServeError>()
    const serveError = (message: string) => new HttpServerError.ServeError({ cause: new Error(message) })

    const start: WorkerStart = { config }
    const worker = new Worker(workerModule, { workerData: start, execArgv: [] })
    const post = (message: ToWorker) => worker.postMessage(message)
    const subscriptions = new Map<number, Fiber.Fiber<void>>()
    const cancels = yield* Queue.unbounded<number>()
    worker.on("message", (message: FromWorker) => {
      if (isRequest(message)) Queue.offerUnsafe(requests, message)
      else if (message.kind === "cancel") Queue.offerUnsafe(cancels, message.id)
      else if (message.kind === "listening") Deferred.doneUnsafe(listening, Effect.succeed(message.url))
      else if (message.kind === "failed") Deferred.doneUnsafe(listening, Effect.fail(serveError(message.message)))
      else Deferred.doneUnsafe(closed, Exit.void)
    })
    worker.on("error", (e) => {
      Deferred.doneUnsafe(listening, Effect.fail(new HttpServerError.ServeError({ cause: e })))
      Deferred.doneUnsafe(exited, Effect.fail(new HttpServerError.ServeError({ cause: e })))
    })
    worker.on("exit", (code) => {
      const stopped = serveError(`the HTTP worker thread exited (code ${code})`)
      Deferred.doneUnsafe(listening, Effect.fail(stopped))
      Deferred.doneUnsafe(exited, Effect.fail(stopped))
    })

    // Requests are served in this scope: writes go on if their client leaves (AdminBackend).
    yield* Effect.forkScoped(Effect.forever(
      Effect.flatMap(Queue.take(requests), (request) => {
        if (request.op !== "events") return Effect.forkIn(serve(backend, request, post), scope)
        return Effect.map(
          Effect.forkIn(
            Effect.ensuring(forwardEvents(backend, request, post), Effect.sync(() => void subscriptions.delete(request.id))),
            scope
          ),
          (fiber) => void subscriptions.set(request.id, fiber)
        )
      })
    ))
    // A client of the worker that went away: its subscription stops forwarding.
    yield* Effect.forkScoped(Effect.forever(
      Effect.flatMap(Queue.take(cancels), (id) => {
        const fiber = subscriptions.get(id)
        subscriptions.delete(id)
        return fiber === undefined ? Effect.void : Fiber.interrupt(fiber)
      })
    ))
    // Registered after the fibers above, so run before it is interrupted: the worker's graceful
    // shutdown still gets its admin operations served.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        post({ kind: "shutdown" })
        const waitMs = config.limits.shutdownGraceMs + terminateAfterMs
        const done = yield* Effect.timeoutOption(
          Effect.raceFirst(Deferred.await(closed), Effect.ignore(Deferred.await(exited))),
          Duration.millis(waitMs)
        )
        if (Option.isNone(done)) yield* Effect.promise(() => worker.terminate())
      })
    )
    const url = yield* Deferred.await(listening)
    return { url, stopped: Deferred.await(exited) }
  }))
