/**
 * Test fixtures for the HTTP endpoint: the endpoint on 127.0.0.1 and an ephemeral port, served
 * in the tree's thread or from a worker thread, over the admin tree of a simulated machine
 * running masim `stairs` as pid 42 (kdamonds in virtual time, seed 1), plus effect's fetch-based
 * `HttpClient`; and small request helpers (fetch, and raw sockets for what fetch cannot send).
 */
import { Effect, Layer, Result } from "effect"
import { connect } from "node:net"
import { FetchHttpClient, HttpBody, HttpClient } from "effect/http"
import { Damon, OpsRegistry, World } from "effect-damon"
import { MasimFiles, SimMachine, SimOps } from "effect-damon/sim"
import * as Endpoint from "../../src/http/HttpEndpoint.ts"
import * as WorkerEndpoint from "../../src/http/WorkerEndpoint.ts"
import * as Sysfs from "../../src/sysfs/Sysfs.ts"

export const PID = 42

/** Where the endpoint serves HTTP: the tree's thread (`HttpEndpoint`) or a worker (`WorkerEndpoint`). */
export type Thread = "main" | "worker"

/** Both ways of serving, for tests of the contract they share. */
export const threads: ReadonlyArray<Thread> = ["main", "worker"]

/**
 * The endpoint over a fresh tree and machine, and an HTTP client; kdamonds run in virtual time
 * unless `time` says otherwise; HTTP served in the tree's thread unless `thread` says otherwise.
 */
export const serverLayer = (
  options: Endpoint.EndpointOptions = {},
  time: "real" | "virtual" = "virtual",
  thread: Thread = "main"
): Layer.Layer<
  Endpoint.Endpoint | Sysfs.Sysfs | HttpClient.HttpClient,
  Layer.Error<ReturnType<typeof Endpoint.layer>>
> => {
  const config = Result.getOrThrow(MasimFiles.loadMasimConfig("stairs"))
  const machine = Result.getOrThrow(SimMachine.SimMachine.withMasim(config, { seed: 1, pid: PID, loop: true }))
  const tree = Sysfs.layer({
    start: { seed: 1 },
    processExists: (pid) => machine.process(pid) !== undefined
  }).pipe(Layer.provide(Damon.layer), Layer.provide([OpsRegistry.layer(SimOps.simOps(machine)), World.layer(time)]))
  const endpoint = (thread === "main" ? Endpoint.layer : WorkerEndpoint.layer)({ port: 0, ...options })
  return endpoint.pipe(Layer.provideMerge(tree), Layer.merge(FetchHttpClient.layer))
}

/** A response, read whole. */
export interface Reply {
  readonly status: number
  readonly contentType: string | undefined
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly text: string
}

/** Sends one request to the endpoint (path relative to its base URL) and reads the whole reply. */
export const request = (method: "GET" | "PUT" | "DELETE", path: string, body?: string) =>
  Effect.gen(function*() {
    const base = yield* Endpoint.url
    const client = yield* HttpClient.HttpClient
    const url = `${base}${path}`
    const options = body === undefined ? {} : { body: HttpBody.text(body, "text/plain") }
    const res = yield* method === "GET"
      ? client.get(url)
      : method === "PUT"
      ? client.put(url, options)
      : client.del(url)
    const text = yield* res.text
    return { status: res.status, contentType: res.headers["content-type"], headers: res.headers, text } satisfies Reply
  })

export const get = (path: string) => request("GET", `/admin/${path}`)
export const put = (path: string, body: string) => request("PUT", `/admin/${path}`, body)

/** PUTs several files in order, failing the test at the first non-200 reply. */
export const putAll = (entries: ReadonlyArray<readonly [string, string]>) =>
  Effect.forEach(entries, ([p, t]) =>
    Effect.flatMap(put(p, t), (r) =>
      r.status === 200 ? Effect.void : Effect.die(new Error(`PUT ${p} ${JSON.stringify(t)}: ${r.status} ${r.text}`))), {
    discard: true
  })

/** The errno and status of an error reply. */
export const errorOf = (r: Reply): { readonly status: number; readonly errno: string; readonly message: string } => {
  const body = JSON.parse(r.text) as { readonly errno: string; readonly message: string }
  return { status: r.status, errno: body.errno, message: body.message }
}

/**
 * The value of one sample of a Prometheus exposition (`name{labels} value`), `undefined` when
 * absent; `labels` is the exact label text between the braces.
 */
export const sample = (text: string, name: string, labels: string): number | undefined => {
  const prefix = `${name}{${labels}} `
  const line = text.split("\n").find((l) => l.startsWith(prefix))
  return line === undefined ? undefined : Number(line.slice(prefix.length))
}

/** The writes `_damon_sysfs.DamosAccessPattern()` makes: every range [0, 2^64-1]. */
export const matchAll = (scheme: string): Array<readonly [string, string]> => [
  [`${scheme}/access_pattern/sz/min`, "0"],
  [`${scheme}/access_pattern/sz/max`, "18446744073709551615"],
  [`${scheme}/access_pattern/nr_accesses/min`, "0"],
  [`${scheme}/access_pattern/nr_accesses/max`, "18446744073709551615"],
  [`${scheme}/access_pattern/age/min`, "0"],
  [`${scheme}/access_pattern/age/max`, "18446744073709551615"]
]

/** The port of the endpoint. */
export const port = Effect.map(Endpoint.url, (u) => Number(new URL(u).port))

/** What a raw exchange got back: every byte until the server closed or the wait ended. */
export interface RawReply {
  readonly text: string
  /** Status of the first answer (`undefined`: none). */
  readonly status: number | undefined
  /** Whether the server closed the connection (rather than the wait ending). */
  readonly closed: boolean
  readonly ms: number
}

/**
 * Sends raw bytes on a fresh connection to 127.0.0.1:`port` and collects the answer: until the
 * server closes, or `untilText` has arrived (then the client closes), or `waitMs` passes.
 */
export const rawExchange = (
  portNumber: number,
  bytes: string | Buffer,
  options: { readonly waitMs?: number; readonly untilText?: (text: string) => boolean } = {}
): Effect.Effect<RawReply> =>
  Effect.callback<RawReply>((resume) => {
    const t0 = performance.now()
    let text = ""
    let done = false
    const socket = connect(portNumber, "127.0.0.1", () => socket.write(bytes))
    const finish = (closed: boolean) => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text)
      resume(Effect.succeed({ text, status: m === null ? undefined : Number(m[1]), closed, ms: performance.now() - t0 }))
    }
    const timer = setTimeout(() => finish(false), options.waitMs ?? 5_000)
    socket.setEncoding("latin1")
    socket.on("data", (chunk: string) => {
      text += chunk
      if (options.untilText?.(text) === true) finish(false)
    })
    socket.on("close", () => finish(true))
    socket.on("error", () => finish(true))
    return Effect.sync(() => finish(false))
  })

/** One complete answer has arrived (headers and a `Content-Length` body). */
export const oneAnswer = (text: string): boolean => {
  const end = text.indexOf("\r\n\r\n")
  if (end < 0) return false
  const head = text.slice(0, end)
  if (/\r\ntransfer-encoding: *chunked/i.test(head)) return text.endsWith("\r\n0\r\n\r\n")
  const m = /\r\ncontent-length: *(\d+)/i.exec(head)
  return m !== null && text.length - end - 4 >= Number(m[1])
}

/** A raw `GET` with a correct `Host`, answered once (keep-alive, the client closes). */
export const rawGet = (portNumber: number, path: string, headers = "", waitMs = 5_000) =>
  rawExchange(portNumber, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${portNumber}\r\n${headers}\r\n`, {
    untilText: oneAnswer,
    waitMs
  })
