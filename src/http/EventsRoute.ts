/**
 * `GET /events/kdamonds/<K>`: the monitoring events of the kdamond behind `kdamonds/<K>/` as
 * server-sent events (`EventsCodec.ts`): `started`, then an `aggregated` event per aggregation
 * interval with the window's regions (the kernel's `damon_aggregated` trace point), then
 * `stopped`, and the response ends. For clients that record or watch live (`effect-damon record
 * --server`). Read-only: it never takes the sysfs lock nor changes the tree.
 *
 * Each client is one subscriber of the kdamond's event stream, with its bounded sliding buffer
 * (the kdamond never waits for a client): a client that falls behind loses its oldest events and
 * sees the gap in `id`/`seq`. A kdamond directory with no running kdamond answers `404 ENOENT`
 * (no such directory) or `409 EPERM` (not running), in the endpoint's JSON error body.
 */
import { Effect, type Layer, Result, Stream } from "effect"
import { HttpRouter, type HttpServerRequest, HttpServerResponse } from "effect/http"
import { Sysfs } from "../sysfs/Sysfs.ts"
import { encodeEvent } from "./EventsCodec.ts"

/** The path of a kdamond's events. */
export const eventsPath = (kdamond: number): string => `/events/kdamonds/${kdamond}`

const error = (status: number, errno: string, message: string) => HttpServerResponse.jsonUnsafe({ errno, message }, { status })

const encoder = new TextEncoder()

/** The route, registered on the application's `HttpRouter`; needs the `Sysfs` service. */
export const routes: Layer.Layer<never, never, HttpRouter.HttpRouter | Sysfs> = HttpRouter.use((router) =>
  Effect.gen(function*() {
    const sysfs = yield* Sysfs
    const handler = (request: HttpServerRequest.HttpServerRequest) =>
      Effect.gen(function*() {
        const m = /^\/events\/kdamonds\/(\d+)\/?(?:\?.*)?$/.exec(request.url)
        const index = m === null ? -1 : Number(m[1])
        const entry = (yield* sysfs.kdamonds).find((e) => e.index === index)
        if (entry === undefined) return error(404, "ENOENT", `${request.url}: no such kdamond directory (kdamonds/nr_kdamonds)`)
        const kdamond = entry.kdamond
        if (kdamond === undefined || !(yield* kdamond.isRunning)) {
          return error(409, "EPERM", `kdamonds/${index}: not running (write 'on' to kdamonds/${index}/state first)`)
        }
        const body = kdamond.events.pipe(
          Stream.filterMap((e) => {
            const text = encodeEvent(e)
            return text === undefined ? Result.fail(undefined) : Result.succeed(encoder.encode(text))
          })
        )
        return HttpServerResponse.stream(body, {
          contentType: "text/event-stream",
          headers: { "cache-control": "no-cache", "x-accel-buffering": "no" }
        })
      })
    yield* router.add("GET", "/events/kdamonds/*", handler)
  })
)
