/**
 * `GET /events/kdamonds/<K>`: the monitoring events of the kdamond behind `kdamonds/<K>/` as
 * server-sent events (`EventsCodec.ts`): `started`, then an `aggregated` event per aggregation
 * interval with the window's regions (the kernel's `damon_aggregated` trace point), then
 * `stopped`, and the response ends. For clients that record or watch live (`effect-damon record
 * --server`). Read-only: it never changes the tree.
 *
 * Each client is one subscriber of the kdamond's event stream, with its bounded sliding buffer
 * (the kdamond never waits for a client): a client that falls behind loses its oldest events and
 * sees the gap in `id`/`seq`. A kdamond directory with no running kdamond answers `404 ENOENT`
 * (no such directory) or `403 EPERM` (not running), in the endpoint's JSON error body. Served
 * over the `AdminBackend`, so it works the same from the tree's thread or a worker thread.
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { type HttpRouter, type HttpServerRequest, HttpServerResponse } from "effect/http"
import type { AdminBackend } from "./AdminBackend.ts"
import { errorResponse } from "./ErrnoStatus.ts"

/** The path of a kdamond's events. */
export const eventsPath = (kdamond: number): string => `/events/kdamonds/${kdamond}`

const encoder = new TextEncoder()

/** Registers the route on `router`, over `backend`. */
export const add = (router: HttpRouter.HttpRouter, backend: AdminBackend) =>
  router.add("GET", "/events/kdamonds/*", (request: HttpServerRequest.HttpServerRequest) =>
    Effect.gen(function*() {
      const m = /^\/events\/kdamonds\/(\d+)\/?(?:\?.*)?$/.exec(request.url)
      if (m === null) {
        const { status, body } = errorResponse({ errno: "ENOENT", message: `${request.url.slice(0, 200)}: not a kdamond's events` })
        return HttpServerResponse.jsonUnsafe(body, { status })
      }
      const events = yield* Effect.result(backend.events(Number(m[1])))
      if (events._tag === "Failure") {
        const { status, body } = errorResponse(events.failure)
        return HttpServerResponse.jsonUnsafe(body, { status })
      }
      return HttpServerResponse.stream(Stream.map(events.success, (text) => encoder.encode(text)), {
        contentType: "text/event-stream",
        headers: { "cache-control": "no-cache", "x-accel-buffering": "no" }
      })
    }))
