/**
 * Test fixtures for the HTTP endpoint: the endpoint on 127.0.0.1 and an ephemeral port, over the
 * admin tree of a simulated machine running masim `stairs` as pid 42 (kdamonds in virtual time,
 * seed 1), plus effect's fetch-based `HttpClient`; and small request helpers.
 */
import { Effect, Layer, Result } from "effect"
import { FetchHttpClient, HttpBody, HttpClient } from "effect/http"
import { Damon, OpsRegistry, World } from "effect-damon"
import { MasimFiles, SimMachine, SimOps } from "effect-damon/sim"
import * as Endpoint from "../../src/http/HttpEndpoint.ts"
import * as Sysfs from "../../src/sysfs/Sysfs.ts"

export const PID = 42

/** The endpoint over a fresh tree and machine, and an HTTP client. */
export const serverLayer = (options: Endpoint.EndpointOptions = {}) => {
  const config = Result.getOrThrow(MasimFiles.loadMasimConfig("stairs"))
  const machine = Result.getOrThrow(SimMachine.SimMachine.withMasim(config, { seed: 1, pid: PID, loop: true }))
  const tree = Sysfs.layer({
    start: { seed: 1 },
    processExists: (pid) => machine.process(pid) !== undefined
  }).pipe(Layer.provide(Damon.layer), Layer.provide([OpsRegistry.layer(SimOps.simOps(machine)), World.layerVirtual]))
  return Endpoint.layer({ port: 0, ...options }).pipe(Layer.provideMerge(tree), Layer.merge(FetchHttpClient.layer))
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
