/**
 * The endpoint's HTTP contract, independent of where it runs: the routes over an
 * {@link AdminBackend} (`GET`/`PUT /admin/...`, `GET /metrics`) and the guard every request
 * passes first. `HttpEndpoint` serves them in the thread that owns the tree, `HttpWorker` in a
 * worker thread; both answer byte for byte the same.
 */
import * as ByteSize from "effect/ByteSize"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import { HttpIncomingMessage, HttpRouter, type HttpServerError, HttpServerRequest, HttpServerResponse } from "effect/http"
import type * as Layer from "effect/Layer"
import type { DamonError } from "../model/DamonError.ts"
import { fault, toError } from "../sysfs/SysfsError.ts"
import type { AdminBackend, AdminFault } from "./AdminBackend.ts"
import { type AdminTarget, adminPrefix, parseAdminTarget } from "./AdminPath.ts"
import { formatMetrics } from "./DamonMetrics.ts"
import type { EndpointConfig } from "./EndpointConfig.ts"
import * as EventsRoute from "./EventsRoute.ts"
import { type ErrorBody, errorResponse } from "./ErrnoStatus.ts"
import * as Listing from "./Listing.ts"
import { contentType as prometheusContentType } from "./Prometheus.ts"
import * as RequestGuard from "./RequestGuard.ts"

const textContentType = "text/plain; charset=utf-8"

const jsonError = (
  status: number,
  body: ErrorBody,
  headers: Readonly<Record<string, string>> = {}
): HttpServerResponse.HttpServerResponse => HttpServerResponse.jsonUnsafe(body, { status, headers })

const fromFault = (error: AdminFault): HttpServerResponse.HttpServerResponse => {
  const { status, body } = errorResponse(error)
  return jsonError(status, body)
}

/** The admin target of the current request (the router only sends `/admin` and `/admin/*` here). */
const targetOf = (request: HttpServerRequest.HttpServerRequest): Result.Result<AdminTarget, DamonError> =>
  parseAdminTarget(request.url) ??
    Result.fail(toError(request.url, undefined, fault("ENOENT", `not under ${adminPrefix}`)))

/**
 * The routes, registered on the application's `HttpRouter`.
 *
 * **Details**
 * - `GET /admin/<path>`: the file's text exactly as the tree shows it (trailing newline included),
 *   `text/plain`. `GET /admin/<dir>/` (trailing slash): the entry names as a JSON array, in the
 *   tree's order, at most `maxListingEntries` of them (`Listing`: `?offset=&limit=` pages, with
 *   `X-Total-Count`). A directory without the slash is the tree's `EISDIR`, a file with one its
 *   `ENOTDIR`.
 * - `PUT /admin/<path>`: writes the body as `echo -n body > file` would (so `on` and `on\n` are
 *   both accepted, as sysfs does); 200 with an empty body. A trailing slash is checked like a
 *   listing first (`ENOTDIR` for a file), then refused by the tree (`EISDIR`). A body above
 *   `maxBodyBytes` is `413 EFBIG`.
 * - Errors: a JSON body `{ "errno", "message" }` with the status of `ErrnoStatus.statusOfErrno`.
 *   A path that would leave the tree is 404 `ENOENT` before the tree is asked.
 * - `GET /metrics`: `DamonMetrics.formatMetrics` of every kdamond, Prometheus text format.
 * - `GET /events/kdamonds/<K>`: the kdamond's events as server-sent events (`EventsRoute`).
 * - `HEAD` is `GET` without the body. Other methods on these paths: `405` with `Allow`; any
 *   other path: `404 ENOENT` (JSON).
 * - A write runs to completion even if the client disconnects (`AdminBackend.write`).
 */
export const routes = (
  backend: AdminBackend,
  options: Pick<EndpointConfig, "maxBodyBytes" | "maxListingEntries">
): Layer.Layer<never, never, HttpRouter.HttpRouter> =>
  HttpRouter.use((router) =>
    Effect.gen(function*() {
      const maxBody = ByteSize.bytes(options.maxBodyBytes)

      const list = (request: HttpServerRequest.HttpServerRequest, path: string) =>
        Effect.map(backend.list(path), (names) => {
          const page = Listing.page(path, names, Listing.queryOf(request.url), options.maxListingEntries)
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
          if (Result.isFailure(target)) return Effect.succeed(fromFault(target.failure))
          const { kind, path } = target.success
          const answer = kind === "dir"
            ? list(request, path)
            : Effect.map(backend.read(path), (text) => HttpServerResponse.text(text, { contentType: textContentType }))
          return answer.pipe(Effect.catch((e) => Effect.succeed(fromFault(e))))
        })

      const put = (request: HttpServerRequest.HttpServerRequest) =>
        Effect.gen(function*() {
          const target = targetOf(request)
          if (Result.isFailure(target)) return fromFault(target.failure)
          const { kind, path } = target.success
          // A declared length above the limit is refused before any of the body is read: waiting
          // for a body that will be refused ties the connection up until the request timeout
          const declared = request.headers["content-length"]
          if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > options.maxBodyBytes) {
            return jsonError(413, {
              errno: "EFBIG",
              message: `request body too large: Content-Length ${declared} is above the limit of ${options.maxBodyBytes} bytes`
            })
          }
          const body = yield* request.text.pipe(
            Effect.provideService(HttpIncomingMessage.MaxBodySize, maxBody),
            Effect.result
          )
          if (Result.isFailure(body)) return bodyError(body.failure)
          const write = kind === "dir"
            ? Effect.andThen(backend.list(path), backend.write(path, body.success))
            : backend.write(path, body.success)
          const done = yield* Effect.result(write)
          // A write a kdamond completes would go on on the kdamond's stack: yield first.
          yield* Effect.yieldNow
          return Result.isSuccess(done) ? HttpServerResponse.empty({ status: 200 }) : fromFault(done.failure)
        })

      // The snapshot's `damonCall` is completed by the kdamond, which would run the rest of this
      // fiber (formatting, writing the answer) on its own stack: yield first, so the kdamond's
      // loop goes on and the answer is written in a turn of its own.
      const metrics = Effect.map(
        Effect.tap(backend.metrics, () => Effect.yieldNow),
        (snapshot) => HttpServerResponse.text(formatMetrics(snapshot), { contentType: prometheusContentType })
      )

      yield* router.add("GET", "/admin/*", get)
      yield* router.add("PUT", "/admin/*", put)
      for (const method of ["POST", "PATCH", "DELETE"] as const) {
        yield* router.add(method, "/admin/*", methodNotAllowed("GET, PUT"))
      }
      yield* router.add("GET", "/metrics", metrics)
      yield* EventsRoute.add(router, backend)
      for (const method of ["PUT", "POST", "PATCH", "DELETE"] as const) {
        yield* router.add(method, "/events/*", methodNotAllowed("GET"))
      }
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
export const guarded = (config: RequestGuard.GuardConfig) =>
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
