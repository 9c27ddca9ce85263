/**
 * The loopback HTTP endpoint of the admin tree, for clients in other processes (the way tools
 * read and write `/sys/kernel/mm/damon/admin`): `GET /admin/<path>` reads a file,
 * `GET /admin/<dir>/` lists a directory, `PUT /admin/<path>` writes the request body to a file,
 * and `GET /metrics` serves Prometheus metrics of every kdamond and scheme. Built with effect's
 * `HttpRouter` over the `Sysfs` service, served by `NodeServer` (Node's HTTP server with limits).
 * Adds no semantics of its own: every answer is the tree's (text, listing or errno). Every
 * request first passes `RequestGuard` (Host, Origin, optional bearer token, no CORS); it binds
 * 127.0.0.1 by default and refuses other addresses unless told twice. No TLS.
 */
import { ByteSize, Effect, Fiber, Layer, Result } from "effect"
import {
  HttpIncomingMessage,
  HttpRouter,
  HttpServer,
  HttpServerError,
  HttpServerRequest,
  HttpServerResponse
} from "effect/http"
import type { DamonError } from "../model/DamonError.ts"
import { Sysfs } from "../sysfs/Sysfs.ts"
import { fault, toError } from "../sysfs/SysfsError.ts"
import { type AdminTarget, adminPrefix, parseAdminTarget } from "./AdminPath.ts"
import * as BearerToken from "./BearerToken.ts"
import { collect, formatMetrics } from "./DamonMetrics.ts"
import { type EndpointConfig, type EndpointOptions, resolve } from "./EndpointConfig.ts"
import { type ErrorBody, errorResponse } from "./ErrnoStatus.ts"
import * as HostRules from "./HostRules.ts"
import * as Listing from "./Listing.ts"
import * as NodeServer from "./NodeServer.ts"
import { contentType as prometheusContentType } from "./Prometheus.ts"
import * as RequestGuard from "./RequestGuard.ts"

export { defaultHost, type EndpointOptions } from "./EndpointConfig.ts"

const textContentType = "text/plain; charset=utf-8"

const jsonError = (
  status: number,
  body: ErrorBody,
  headers: Readonly<Record<string, string>> = {}
): HttpServerResponse.HttpServerResponse => HttpServerResponse.jsonUnsafe(body, { status, headers })

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
 * - Other methods on these paths: `405` with `Allow`; any other path: `404 ENOENT` (JSON).
 * - A write runs to completion in the endpoint's scope even if the client disconnects (a
 *   `write(2)` to sysfs is not undone by closing the file); stopping the server interrupts it,
 *   which the engine handles like a caller giving up (its `damonCall`/`damosWalk` is withdrawn).
 */
export const routes = (
  options: Partial<Pick<EndpointConfig, "maxBodyBytes" | "maxListingEntries">> = {}
): Layer.Layer<never, never, HttpRouter.HttpRouter | Sysfs> =>
  HttpRouter.use((router) =>
    Effect.gen(function*() {
      const sysfs = yield* Sysfs
      const scope = yield* Effect.scope
      const defaults = Result.getOrThrow(resolve())
      const maxBody = ByteSize.bytes(options.maxBodyBytes ?? defaults.maxBodyBytes)
      const maxListing = options.maxListingEntries ?? defaults.maxListingEntries

      const list = (request: HttpServerRequest.HttpServerRequest, path: string) =>
        Effect.map(sysfs.list(path), (names) => {
          const page = Listing.page(path, names, Listing.queryOf(request.url), maxListing)
          if (Result.isFailure(page)) {
            const { status, errno, message } = page.failure
            return jsonError(status, { errno, message })
          }
          return HttpServerResponse.jsonUnsafe(page.success.names, {
            headers: { "x-total-count": String(page.success.total) }
          })
        })

      const get = (request: HttpServerRequest.HttpServerRequest) =>
        Effect.suspend(() => {
          const target = targetOf(request)
          if (Result.isFailure(target)) return Effect.succeed(fromError(target.failure))
          const { kind, path } = target.success
          const answer = kind === "dir"
            ? list(request, path)
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
          yield* Effect.yieldNow // off the kdamond's stack, as for metrics
          return Result.isSuccess(done) ? HttpServerResponse.empty({ status: 200 }) : fromError(done.failure)
        })

      // The snapshot's `damonCall` is completed by the kdamond, which would run the rest of this
      // fiber (formatting, writing the answer) on its own stack: yield first, so the kdamond's
      // loop goes on and the answer is written in a turn of its own.
      const metrics = Effect.map(
        Effect.tap(Effect.provideService(collect, Sysfs, sysfs), () => Effect.yieldNow),
        (snapshot) => HttpServerResponse.text(formatMetrics(snapshot), { contentType: prometheusContentType })
      )

      yield* router.add("GET", "/admin/*", get)
      yield* router.add("PUT", "/admin/*", put)
      for (const method of ["POST", "PATCH", "DELETE"] as const) {
        yield* router.add(method, "/admin/*", methodNotAllowed("GET, PUT"))
      }
      yield* router.add("GET", "/metrics", metrics)
      for (const method of ["PUT", "POST", "PATCH", "DELETE"] as const) {
        yield* router.add(method, "/metrics", methodNotAllowed("GET"))
      }
      // Anything else: a JSON 404 like every other error (the router's own is empty). HEAD is
      // GET without the body (this catch-all would otherwise shadow the router's HEAD fallback).
      yield* router.add("*", "/*", (request) => {
        if (request.method === "HEAD") {
          const path = request.url.split(/[?#]/)[0]!
          if (path === "/metrics") return metrics
          if (path === adminPrefix || path.startsWith(`${adminPrefix}/`)) return get(request)
        }
        return Effect.succeed(jsonError(404, {
          errno: "ENOENT",
          message: `no such route: ${request.method} ${request.url.slice(0, 200)}`
        }))
      })
    })
  )

/** `405` with an `Allow` header, for the methods a path does not serve. */
const methodNotAllowed = (allow: string) => (request: HttpServerRequest.HttpServerRequest) =>
  Effect.succeed(
    jsonError(405, { errno: "EOPNOTSUPP", message: `${request.method} is not supported here (allowed: ${allow})` }, {
      allow
    })
  )

/** A body that could not be read: too large (`413 EFBIG`) or a broken request (`400 EINVAL`). */
const bodyError = (error: HttpServerError.HttpServerError): HttpServerResponse.HttpServerResponse => {
  const reason = error.reason
  return reason._tag === "RequestParseError" && reason.reason === "BodyTooLarge"
    ? jsonError(413, { errno: "EFBIG", message: `request body too large: ${error.message}` })
    : jsonError(400, { errno: "EINVAL", message: `unreadable request body: ${error.message}` })
}

/** Whether every `%` escape of the target's path decodes (the router answers others itself). */
const decodable = (target: string): boolean => {
  const end = target.search(/[?#]/)
  try {
    decodeURIComponent(end < 0 ? target : target.slice(0, end))
    return true
  } catch {
    return false
  }
}

/**
 * The guard in front of every route (`RequestGuard.check`), and a JSON `404` for a target whose
 * percent-encoding is malformed (which the router would answer with an empty one).
 */
const guarded = (config: RequestGuard.GuardConfig) =>
<E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const refusal = RequestGuard.check({ method: request.method, headers: request.headers }, config)
    if (refusal !== undefined) {
      return Effect.succeed(jsonError(refusal.status, { errno: refusal.errno, message: refusal.message }, refusal.headers))
    }
    if (!decodable(request.url)) {
      return Effect.succeed(jsonError(404, { errno: "ENOENT", message: "malformed percent-encoding in the path" }))
    }
    return app
  })

/**
 * The endpoint: the routes behind the guard, served by `NodeServer` on `host:port` (127.0.0.1
 * and an ephemeral port by default). Listening starts when the layer is built and stops when it
 * is released; needs the `Sysfs` service. Fails with `InvalidArgument` for a bad option (before
 * anything listens) and `ServeError` when the address cannot be bound.
 */
export const layer = (
  options: EndpointOptions = {}
): Layer.Layer<HttpServer.HttpServer, HttpServerError.ServeError | DamonError, Sysfs> =>
  Layer.unwrap(Effect.gen(function*() {
    const config = yield* Effect.fromResult(resolve(options))
    const tokenMatches = config.token === undefined ? undefined : BearerToken.matcher(config.token)
    const served = Layer.unwrap(Effect.gen(function*() {
      const server = yield* HttpServer.HttpServer
      const port = server.address._tag === "UnixPathAddress" ? config.port : server.address.port
      const hosts = HostRules.rulesFor(config.host, port, config.allowedHosts)
      return HttpRouter.serve(routes(config), {
        disableListenLog: true,
        disableLogger: !config.logRequests,
        middleware: guarded({ hosts, tokenMatches })
      })
    }))
    return served.pipe(
      Layer.provideMerge(NodeServer.layer({ host: config.host, port: config.port, limits: config.limits }))
    )
  }))

/** The endpoint's base URL (`http://127.0.0.1:PORT`). */
export const url: Effect.Effect<string, never, HttpServer.HttpServer> = HttpServer.addressFormattedWith(Effect.succeed)
