/**
 * The loopback HTTP endpoint of the admin tree, for clients in other processes (the way tools
 * read and write `/sys/kernel/mm/damon/admin`): `GET /admin/<path>` reads a file,
 * `GET /admin/<dir>/` lists a directory, `PUT /admin/<path>` writes the request body to a file,
 * and `GET /metrics` serves Prometheus metrics of every kdamond and scheme (`Routes`). Adds no
 * semantics of its own: every answer is the tree's (text, listing or errno). Every request first
 * passes `RequestGuard` (Host, Origin, optional bearer token, no CORS); the server (`NodeServer`)
 * bounds what each client can make it hold. It binds 127.0.0.1 by default and refuses other
 * addresses unless told twice. No TLS.
 *
 * Two ways to run it, one contract: {@link layer} serves HTTP in the thread that owns the tree;
 * `WorkerEndpoint.layer` serves it from a worker thread, so that parsing and answering requests
 * does not take the kdamonds' thread (what `effect-damon serve` does).
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { HttpRouter, HttpServer, type HttpServerError } from "effect/http"
import type { DamonError } from "../model/DamonError.ts"
import { Sysfs } from "../sysfs/Sysfs.ts"
import { type AdminBackend, fromSysfs } from "./AdminBackend.ts"
import * as BearerToken from "./BearerToken.ts"
import { type EndpointConfig, type EndpointOptions, resolve } from "./EndpointConfig.ts"
import * as HostRules from "./HostRules.ts"
import * as NodeServer from "./NodeServer.ts"
import { guarded, routes } from "./Routes.ts"

export { defaultHost, type EndpointOptions } from "./EndpointConfig.ts"

/** A running endpoint. */
export class Endpoint extends Context.Service<Endpoint, {
  /** Its base URL (`http://127.0.0.1:PORT`). */
  readonly url: string
  /**
   * Fails if the endpoint stops serving by itself (its worker thread died); never succeeds.
   * `Effect.never` for an endpoint in the tree's own thread.
   */
  readonly stopped: Effect.Effect<never, HttpServerError.ServeError>
}>()("effect-damon/http/Endpoint") {}

/** The endpoint's base URL (`http://127.0.0.1:PORT`). */
export const url: Effect.Effect<string, never, Endpoint> = Effect.map(Endpoint, (e) => e.url)

/**
 * The routes over `backend`, behind the guard, served by `NodeServer` as `config` says;
 * listening once the layer is built (`ServeError` when the address cannot be bound), closed
 * (with the bounded graceful shutdown) when it is released.
 */
export const serveWith = (
  config: EndpointConfig,
  backend: AdminBackend
): Layer.Layer<HttpServer.HttpServer | Endpoint, HttpServerError.ServeError> => {
  const tokenMatches = config.token === undefined ? undefined : BearerToken.matcher(config.token)
  const served = Layer.unwrap(Effect.gen(function*() {
    const server = yield* HttpServer.HttpServer
    const port = server.address._tag === "UnixPathAddress" ? config.port : server.address.port
    const hosts = HostRules.rulesFor(config.host, port, config.allowedHosts)
    const endpoint = Layer.succeed(Endpoint)({ url: HttpServer.formatAddress(server.address), stopped: Effect.never })
    return HttpRouter.serve(routes(backend, config), {
      disableListenLog: true,
      disableLogger: !config.logRequests,
      middleware: guarded({ hosts, tokenMatches })
    }).pipe(Layer.merge(endpoint))
  }))
  return served.pipe(
    Layer.provideMerge(NodeServer.layer({ host: config.host, port: config.port, limits: config.limits }))
  )
}

/**
 * The endpoint in the tree's own thread: {@link serveWith} over the `Sysfs` service. Fails with
 * `InvalidArgument` for a bad option (before anything listens) and `ServeError` when the address
 * cannot be bound. Writes still running when it is released are interrupted (the engine
 * withdraws their `damonCall`/`damosWalk`).
 */
export const layer = (
  options: EndpointOptions = {}
): Layer.Layer<HttpServer.HttpServer | Endpoint, HttpServerError.ServeError | DamonError, Sysfs> =>
  Layer.unwrap(Effect.gen(function*() {
    const config = yield* Effect.fromResult(resolve(options))
    const backend = fromSysfs(yield* Sysfs, yield* Effect.scope)
    return serveWith(config, backend)
  }))
