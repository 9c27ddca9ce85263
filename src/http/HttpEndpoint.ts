/**
 * The loopback HTTP endpoint of the admin tree, for clients in other processes (the way tools
 * read and write `/sys/kernel/mm/damon/admin`): `GET /admin/<path>` reads a file,
 * `GET /admin/<dir>/` lists a directory, `PUT /admin/<path>` writes the request body to a file,
 * and `GET /metrics` serves Prometheus metrics of every kdamond and scheme (`GET
 * /events/kdamonds/<K>`, a kdamond's events, is `EventsRoute.ts`). Built with effect's
 * `HttpRouter` over the `Sysfs` service, served by `@effect/platform-node`'s `NodeHttpServer`.
 * Adds no semantics of its own: every answer is the tree's (text, listing or errno). No
 * authentication and no TLS: it binds 127.0.0.1 by default and is meant for loopback use.
 */
import { NodeHttpServer } from "@effect/platform-node"
import { ByteSize, Effect, Fiber, Layer, Result } from "effect"
import {
  HttpIncomingMessage,
  HttpRouter,
  HttpServer,
  type HttpServerError,
  HttpServerRequest,
  HttpServerResponse
} from "effect/http"
import { createServer } from "node:http"
import type { DamonError } from "../model/DamonError.ts"
import { Sysfs } from "../sysfs/Sysfs.ts"
import { fault, toError } from "../sysfs/SysfsError.ts"
import { type AdminTarget, adminPrefix, parseAdminTarget } from "./AdminPath.ts"
import { collect, formatMetrics } from "./DamonMetrics.ts"
import { type ErrorBody, errorResponse } from "./ErrnoStatus.ts"
import * as EventsRoute from "./EventsRoute.ts"
import { contentType as prometheusContentType } from "./Prometheus.ts"

/** Options of {@link layer}. */
export interface EndpointOptions {
  /** TCP port; `0` picks a free one (tests). Defaults to 0. */
  readonly port?: number
  /** Address to bind. Defaults to `127.0.0.1` (loopback only). */
  readonly host?: string
  /** Largest accepted `PUT` body, in bytes (`413 EFBIG` above). Defaults to 1 MiB. */
  readonly maxBodyBytes?: number
  /** Log every request with effect's HTTP logger. Defaults to false. */
  readonly logRequests?: boolean
}

/** The default bind address: loopback only. */
export const defaultHost = "127.0.0.1"

const defaultMaxBodyBytes = 1 << 20

const textContentType = "text/plain; charset=utf-8"

const jsonError = (status: number, body: ErrorBody): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.jsonUnsafe(body, { status })

const fromError = (error: DamonError): HttpServerResponse.HttpServerResponse => {
  const { status, body } = errorResponse(error)
  return jsonError(status, body)
}

/** The admin target of the current request (the router only sends `/admin` and `/admin/*` here). */
const targetOf = (request: HttpServerRequest.HttpServerRequest): Result.Result<AdminTarget, DamonError> =>
  parseAdminTarget(request.url) ??
    Result.fail(toError(request.url, undefined, fault("ENOENT", `not under ${adminPrefix}`)))

/**
 * The routes, registered on the application's `HttpRouter`; needs the `Sysfs` service when the
 * layer is built.
 *
 * **Details**
 * - `GET /admin/<path>`: the file's text exactly as the tree shows it (trailing newline included),
 *   `text/plain`. `GET /admin/<dir>/` (trailing slash): the entry names as a JSON array, in the
 *   tree's order. A directory without the slash is the tree's `EISDIR`, a file with one its
 *   `ENOTDIR`.
 * - `PUT /admin/<path>`: writes the body as `echo -n body > file` would (so `on` and `on\n` are
 *   both accepted, as sysfs does); 200 with an empty body. A trailing slash is checked like a
 *   listing first (`ENOTDIR` for a file), then refused by the tree (`EISDIR`).
 * - Errors: a JSON body `{ "errno", "message" }` with the status of `ErrnoStatus.statusOfErrno`.
 *   A path that would leave the tree is 404 `ENOENT` before the tree is asked.
 * - `GET /metrics`: `DamonMetrics.formatMetrics` of every kdamond, Prometheus text format.
 * - A write runs to completion in the endpoint's scope even if the client disconnects (a
 *   `write(2)` to sysfs is not undone by closing the file); stopping the server interrupts it,
 *   which the engine handles like a caller giving up (its `damonCall`/`damosWalk` is withdrawn).
 */
export const routes = (
  options: Pick<EndpointOptions, "maxBodyBytes"> = {}
): Layer.Layer<never, never, HttpRouter.HttpRouter | Sysfs> =>
  HttpRouter.use((router) =>
    Effect.gen(function*() {
      const sysfs = yield* Sysfs
      const scope = yield* Effect.scope
      const maxBody = ByteSize.bytes(options.maxBodyBytes ?? defaultMaxBodyBytes)

      const get = (request: HttpServerRequest.HttpServerRequest) =>
        Effect.suspend(() => {
          const target = targetOf(request)
          if (Result.isFailure(target)) return Effect.succeed(fromError(target.failure))
          const { kind, path } = target.success
          const answer = kind === "dir"
            ? Effect.map(sysfs.list(path), (names) => HttpServerResponse.jsonUnsafe(names))
            : Effect.map(sysfs.read(path), (text) => HttpServerResponse.text(text, { contentType: textContentType }))
          return answer.pipe(Effect.catch((e) => Effect.succeed(fromError(e))))
        })

      const put = (request: HttpServerRequest.HttpServerRequest) =>
        Effect.gen(function*() {
          const target = targetOf(request)
          if (Result.isFailure(target)) return fromError(target.failure)
          const { kind, path } = target.success
          const body = yield* request.text.pipe(
            Effect.provideService(HttpIncomingMessage.MaxBodySize, maxBody),
            Effect.result
          )
          if (Result.isFailure(body)) return bodyError(body.failure)
          const text = body.success
          const write = kind === "dir"
            ? Effect.andThen(sysfs.list(path), sysfs.write(path, text))
            : sysfs.write(path, text)
          // Detached from the request fiber: a client that disconnects does not cancel its write.
          const fiber = yield* Effect.forkIn(Effect.result(write), scope, { startImmediately: true })
          const done = yield* Fiber.join(fiber)
          return Result.isSuccess(done) ? HttpServerResponse.empty({ status: 200 }) : fromError(done.failure)
        })

      const metrics = Effect.map(
        Effect.provideService(collect, Sysfs, sysfs),
        (snapshot) => HttpServerResponse.text(formatMetrics(snapshot), { contentType: prometheusContentType })
      )

      yield* router.add("GET", "/admin/*", get)
      yield* router.add("PUT", "/admin/*", put)
      for (const method of ["POST", "PATCH", "DELETE"] as const) {
        yield* router.add(method, "/admin/*", methodNotAllowed("GET, PUT"))
      }
      yield* router.add("GET", "/metrics", metrics)
    })
  )

/** `405` with an `Allow` header, for the methods a path does not serve. */
const methodNotAllowed = (allow: string) => (request: HttpServerRequest.HttpServerRequest) =>
  Effect.succeed(
    HttpServerResponse.jsonUnsafe(
      { errno: "EOPNOTSUPP", message: `${request.method} is not supported here (allowed: ${allow})` },
      { status: 405, headers: { allow } }
    )
  )

/** A body that could not be read: too large (`413 EFBIG`) or a broken request (`400 EINVAL`). */
const bodyError = (error: HttpServerError.HttpServerError): HttpServerResponse.HttpServerResponse => {
  const reason = error.reason
  return reason._tag === "RequestParseError" && reason.reason === "BodyTooLarge"
    ? jsonError(413, { errno: "EFBIG", message: `request body too large: ${error.message}` })
    : jsonError(400, { errno: "EINVAL", message: `unreadable request body: ${error.message}` })
}

/**
 * The endpoint: the routes served by a Node HTTP server listening on `host:port` (127.0.0.1 and
 * an ephemeral port by default). Listening starts when the layer is built and stops when it is
 * released; needs the `Sysfs` service.
 */
export const layer = (
  options: EndpointOptions = {}
): Layer.Layer<HttpServer.HttpServer, HttpServerError.ServeError, Sysfs> => {
  const listen = { port: options.port ?? 0, host: options.host ?? defaultHost }
  const serveOptions = { disableListenLog: true, disableLogger: options.logRequests !== true }
  return HttpRouter.serve(Layer.merge(routes(options), EventsRoute.routes), serveOptions).pipe(
    Layer.provideMerge(NodeHttpServer.layerServer(createServer, listen))
  )
}

/** The endpoint's base URL (`http://127.0.0.1:PORT`). */
export const url: Effect.Effect<string, never, HttpServer.HttpServer> = HttpServer.addressFormattedWith(Effect.succeed)
