/**
 * The admin tree as the CLI's commands see it: read a file, write a file, list a directory. Two
 * ways to reach one: a running `effect-damon serve` over its HTTP contract (`GET`/`PUT
 * /admin/<path>`, `GET /admin/<dir>/`, the same requests a script would send), or an
 * in-process tree (`sysfs` offline, and `start` in the foreground). The commands (start, tune,
 * stop, status, report damon, report access) are written once over this interface.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { FetchHttpClient, HttpBody, HttpClient, type HttpClientError } from "effect/http"
import type { DamonError } from "../model/DamonError.ts"
import type { Sysfs } from "../sysfs/Sysfs.ts"

/** An error answered by the server (errno and message as in `docs/http.md`), or no answer at all. */
export class ServerError extends Data.TaggedError("ServerError")<{
  readonly server: string
  readonly errno: string
  readonly detail: string
}> {
  override get message(): string {
    return `${this.server}: ${this.errno}: ${this.detail}`
  }
}

/** A failure of a tree operation: the tree's own error, or the server's. */
export type TreeError = DamonError | ServerError

/** The three operations every command needs. */
export interface AdminTree {
  /** Where the tree is, for messages (`http://127.0.0.1:8080` or `the in-process tree`). */
  readonly where: string
  /** The file's text as the tree shows it (trailing newline included). */
  readonly read: (path: string) => Effect.Effect<string, TreeError>
  /** Writes `value` to the file (as `echo -n value > file`). */
  readonly write: (path: string, value: string) => Effect.Effect<void, TreeError>
  /** The directory's entries, in the tree's order. */
  readonly list: (path: string) => Effect.Effect<ReadonlyArray<string>, TreeError>
}

/** The in-process tree of a `Sysfs` service. */
export const inProcess = (sysfs: Sysfs["Service"]): AdminTree => ({
  where: "the in-process tree",
  read: sysfs.read,
  write: (path, value) => sysfs.write(path, value),
  list: sysfs.list
})

/** The body of an error reply: `{ "errno", "message" }`, or whatever the server sent. */
const errorOf = (server: string, status: number, text: string): ServerError => {
  try {
    const body = JSON.parse(text) as { readonly errno?: unknown; readonly message?: unknown }
    if (typeof body.errno === "string" && typeof body.message === "string") return new ServerError({ server, errno: body.errno, detail: body.message })
  } catch {
    // not the endpoint's JSON error body
  }
  return new ServerError({ server, errno: `HTTP ${status}`, detail: text.slice(0, 200) || "(empty reply)" })
}

const unreachable = (server: string) => (e: HttpClientError.HttpClientError): ServerError =>
  new ServerError({
    server,
    errno: "unreachable",
    detail: `no answer (${e.message.split("\n")[0]}); is 'effect-damon serve' running there?`
  })

/**
 * The tree of the `serve` at `server` (its base URL), through effect's fetch-based HTTP client
 * (each request is a traced span when telemetry is on). Needs an `HttpClient`.
 */
export const overHttp = (server: string): Effect.Effect<AdminTree, never, HttpClient.HttpClient> =>
  Effect.map(HttpClient.HttpClient, (client): AdminTree => {
    const base = server.replace(/\/+$/, "")
    const url = (path: string) => `${base}/admin/${path.split("/").map(encodeURIComponent).join("/")}`
    const send = (method: "GET" | "PUT", target: string, body?: string) =>
      Effect.gen(function*() {
        const res = yield* (method === "GET"
          ? client.get(target)
          : client.put(target, { body: HttpBody.text(body ?? "", "text/plain") })).pipe(Effect.mapError(unreachable(base)))
        const text = yield* res.text.pipe(Effect.mapError(unreachable(base)))
        if (res.status !== 200) return yield* Effect.fail(errorOf(base, res.status, text))
        return text
      })
    return {
      where: base,
      read: (path) => send("GET", url(path)),
      write: (path, value) => Effect.asVoid(send("PUT", url(path), value)),
      list: (path) =>
        Effect.flatMap(send("GET", `${url(path)}/`.replace(/\/\/$/, "/")), (text) =>
          Effect.try({
            try: () => JSON.parse(text) as ReadonlyArray<string>,
            catch: () => new ServerError({ server: base, errno: "EPROTO", detail: `listing of ${path} is not JSON` })
          }))
    }
  })

/** The HTTP client layer the CLI uses (fetch). */
export const httpClientLayer: Layer.Layer<HttpClient.HttpClient> = FetchHttpClient.layer

/** `GET <server><path>` as text (for `/metrics`); an error reply or no answer is a `ServerError`. */
export const getText = (server: string, path: string): Effect.Effect<string, ServerError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const base = server.replace(/\/+$/, "")
    const client = yield* HttpClient.HttpClient
    const res = yield* client.get(`${base}${path}`).pipe(Effect.mapError(unreachable(base)))
    const text = yield* res.text.pipe(Effect.mapError(unreachable(base)))
    return res.status === 200 ? text : yield* Effect.fail(errorOf(base, res.status, text))
  })
