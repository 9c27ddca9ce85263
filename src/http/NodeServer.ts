/**
 * The endpoint's HTTP server: Node's `http.Server` behind effect's `HttpServer` service, with
 * limits on what one client can make it hold. Requests run through `NodeHttpServer.makeHandler`
 * (effect's own request/response adapter); this module owns the socket side that adapter leaves
 * to the application: how many connections, how many requests of one connection at once, how
 * long a connection may stay incomplete or idle, and how long shutdown may take.
 *
 * Why not `NodeHttpServer.layerServer`: it hands every parsed request to the application at
 * once. A client pipelining 20 000 `GET /metrics` without reading the answers then makes the
 * process hold 20 000 requests, fibers and rendered answers per connection (measured: 176 MB to
 * 1.9 GB in 60 s with 100 such connections, heading for heap exhaustion), because Node pauses a
 * connection only once answers already written pile up, and these answers are still being
 * computed (each waits for a `damonCall`). Here the {@link Dispatcher} bounds the requests
 * started per connection, in total and per event-loop turn (see `docs/security.md`).
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import { HttpServer, HttpServerError } from "effect/http"
import { NetAddress } from "effect/net"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { Socket } from "node:net"
import * as Dispatcher from "./Dispatcher.ts"

/** What one client may make the server hold, and for how long. */
export interface ServerLimits {
  /** Open connections; one more is answered `503` and closed. */
  readonly maxConnections: number
  /**
   * Requests of one connection handled at once (pipelined ones beyond wait; the connection is
   * not read while any wait).
   */
  readonly maxActivePerConnection: number
  /**
   * Requests handled at once over all connections, beyond which only a connection with nothing
   * in progress may start one.
   */
  readonly maxActiveRequests: number
  /** Waiting (pipelined) requests started per turn of the event loop. */
  readonly maxStartsPerTurn: number
  /**
   * Requests of one connection waiting for the ones before them; a client pipelining further
   * ahead of its answers has its connection closed.
   */
  readonly maxWaitingPerConnection: number
  /** Requests served on one connection; the answer to the last says `Connection: close`. */
  readonly maxRequestsPerConnection: number
  /** Time to receive a request's headers (Node's `headersTimeout`): `408` and close after. */
  readonly headersTimeoutMs: number
  /** Time to receive a whole request, body included (Node's `requestTimeout`). */
  readonly requestTimeoutMs: number
  /** Idle time between requests before a keep-alive connection is closed. */
  readonly keepAliveTimeoutMs: number
  /**
   * Time a connection may pass without any byte moving either way (a client that stops reading
   * its answers included) before it is destroyed.
   */
  readonly idleTimeoutMs: number
  /** Largest request head (request line and headers); `431` above. */
  readonly maxHeaderBytes: number
  /** Time shutdown waits for answers in progress before closing every connection. */
  readonly shutdownGraceMs: number
}

/** The defaults: generous for scripts and Prometheus, small enough that no client hoards. */
export const defaultLimits: ServerLimits = {
  maxConnections: 256,
  maxActivePerConnection: 8,
  maxActiveRequests: 16,
  maxStartsPerTurn: 8,
  maxWaitingPerConnection: 128,
  maxRequestsPerConnection: 10_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 60_000,
  maxHeaderBytes: 16 * 1024,
  shutdownGraceMs: 3_000
}

/** Where and how to listen. */
export interface ServerOptions {
  readonly host: string
  readonly port: number
  readonly limits: ServerLimits
}

/** Time a refused connection gets to read its `503` before it is destroyed. */
const refusedGraceMs = 1_000

/** A raw HTTP/1.1 answer with a JSON error body, for sockets that never reach the application. */
const rawAnswer = (status: string, errno: string, message: string, extra = ""): string => {
  const body = JSON.stringify({ errno, message })
  return `HTTP/1.1 ${status}\r\nConnection: close\r\n${extra}Content-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
}

type Pending = readonly [IncomingMessage, ServerResponse]

/**
 * What makes a request malformed beyond what Node's parser refuses, or `undefined`: RFC 9112
 * requires a 400 for more than one `Host` (Node keeps the first and drops the others).
 */
const malformed = (request: IncomingMessage): string | undefined => {
  let hosts = 0
  const raw = request.rawHeaders
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === "host") hosts++
  return hosts > 1 ? "more than one Host header" : undefined
}
type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void

/**
 * The server, listening on `host:port` once this effect succeeds and closed when its scope
 * closes: first it stops accepting and closes idle connections, then waits up to
 * `shutdownGraceMs` for answers in progress, then destroys every connection left (half-open
 * ones included). Fails with `ServeError` when the address cannot be bound.
 */
export const make = (
  options: ServerOptions
): Effect.Effect<HttpServer.HttpServer["Service"], HttpServerError.ServeError, Scope.Scope> =>
  Effect.gen(function*() {
    const limits = options.limits
    const server = createServer({
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node checks the two timeouts above on this period (30 s by default).
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
      maxHeaderSize: limits.maxHeaderBytes,
      requireHostHeader: true
    })
    server.maxRequestsPerSocket = limits.maxRequestsPerConnection
    server.timeout = limits.idleTimeoutMs

    // Connections: counted, the one over the limit answered 503 and not read.
    let open = 0
    const refused = new WeakSet<Socket>()
    server.on("connection", (socket: Socket) => {
      if (open >= limits.maxConnections) return refuse(socket)
      open++
      socket.once("close", () => void open--)
    })
    // Refused sockets are not read (their FIN included) and live at most `refusedGraceMs`
    // outside the count.
    const refuse = (socket: Socket) => {
      refused.add(socket)
      holdPaused(socket).pause()
      socket.setTimeout(refusedGraceMs, () => socket.destroy())
      socket.end(rawAnswer(
        "503 Service Unavailable",
        "EAGAIN",
        `too many connections (limit ${limits.maxConnections}); retry later`,
        "Retry-After: 1\r\n"
      ))
    }
    // CONNECT is never served: answered, not dropped (Node destroys the socket without a listener).
    server.on("connect", (_request: IncomingMessage, socket: Socket) => {
      socket.on("error", () => {})
      socket.end(rawAnswer("405 Method Not Allowed", "EOPNOTSUPP", "CONNECT is not supported", "Allow: GET, PUT\r\n"))
    })

    let handler: RequestHandler | undefined
    const dispatcher = Dispatcher.make<Pending>(
      {
        maxActivePerConnection: limits.maxActivePerConnection,
        maxActive: limits.maxActiveRequests,
        startsPerTurn: limits.maxStartsPerTurn,
        maxWaitingPerConnection: limits.maxWaitingPerConnection
      },
      (task) => void setImmediate(task)
    )
    const connections = new WeakMap<Socket, Dispatcher.Connection<Pending>>()
    const connectionOf = (socket: Socket): Dispatcher.Connection<Pending> => {
      const existing = connections.get(socket)
      if (existing !== undefined) return existing
      const hold = holdPaused(socket)
      const connection: Dispatcher.Connection<Pending> = dispatcher.connect({
        dispatch: ([request, response]) => {
          let settled = false
          const settle = () => {
            if (settled) return
            settled = true
            connection.done()
          }
          // `finish`: the answer was handed to the socket; `close`: the connection went away.
          response.once("finish", settle)
          response.once("close", settle)
          const problem = malformed(request)
          if (problem !== undefined || handler === undefined) {
            const [status, errno, message] = problem !== undefined
              ? [400, "EINVAL", problem]
              : [503, "EAGAIN", "the server is shutting down"]
            const body = JSON.stringify({ errno, message })
            response.writeHead(status, { "content-type": "application/json", connection: "close" }).end(body)
            return
          }
          handler(request, response)
        },
        pause: () => hold.pause(),
        resume: () => hold.resume(),
        overflow: () => socket.destroy()
      })
      socket.once("close", () => connection.close())
      connections.set(socket, connection)
      return connection
    }
    server.on("request", (request: IncomingMessage, response: ServerResponse) => {
      if (refused.has(request.socket)) return
      connectionOf(request.socket).admit([request, response])
    })

    const closed = Deferred.makeUnsafe<void>()
    const shutdown = yield* Effect.cached(Effect.gen(function*() {
      if (!server.listening) return
      server.close(() => Deferred.doneUnsafe(closed, Exit.void))
      const graceful = yield* Effect.timeoutOption(Deferred.await(closed), Duration.millis(limits.shutdownGraceMs))
      if (Option.isNone(graceful)) {
        server.closeAllConnections()
        yield* Deferred.await(closed)
      }
    }))
    yield* Effect.addFinalizer(() => shutdown)

    yield* Effect.callback<void, HttpServerError.ServeError>((resume) => {
      const onError = (cause: Error) => resume(Effect.fail(new HttpServerError.ServeError({ cause })))
      server.once("error", onError)
      server.listen({ port: options.port, host: options.host, exclusive: true }, () => {
        server.off("error", onError)
        resume(Effect.void)
      })
    })
    const address = server.address()
    const bound = address === null || typeof address === "string"
      ? Option.none()
      : Option.some(NetAddress.inetAddressFromIpString(address.address, address.port))
    if (Option.isNone(bound) || bound.value._tag === "Failure") {
      return yield* Effect.fail(
        new HttpServerError.ServeError({ cause: new Error(`unexpected listening address ${String(address)}`) })
      )
    }

    return HttpServer.make({
      address: bound.value.success,
      serve: (httpApp, middleware) =>
        Effect.gen(function*() {
          const serveScope = yield* Effect.scope
          // Request fibers live in a child scope, closed after the bounded shutdown below.
          const scope = Scope.forkUnsafe(serveScope, "parallel")
          handler = yield* NodeHttpServer.makeHandler(httpApp, middleware === undefined ? { scope } : { scope, middleware })
          yield* Scope.addFinalizer(serveScope, Effect.ensuring(shutdown, Effect.sync(() => void (handler = undefined))))
        })
    })
  })

/** {@link make} as a layer providing `HttpServer`. */
export const layer = (options: ServerOptions): Layer.Layer<HttpServer.HttpServer, HttpServerError.ServeError> =>
  Layer.effect(HttpServer.HttpServer)(make(options))

/**
 * Pauses and resumes reading a socket, overriding every other `resume` while held: Node resumes
 * a consumed socket from several places (reading a body, its own drain logic), and each would
 * let the parser run ahead of the gate.
 */
const holdPaused = (socket: Socket): { readonly pause: () => void; readonly resume: () => void } => {
  let held = false
  socket.on("resume", () => {
    if (held) socket.pause()
  })
  return {
    pause: () => {
      held = true
      socket.pause()
    },
    resume: () => {
      held = false
      socket.resume()
    }
  }
}
