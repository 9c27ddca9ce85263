/**
 * What the HTTP routes need from the admin tree: read a file, list a directory, write a file,
 * take a metrics snapshot. In the same thread it is the `Sysfs` service itself
 * ({@link fromSysfs}); when HTTP is served from a worker thread it is a message channel to the
 * thread that owns the tree (`WorkerEndpoint`). Failures are plain `{ errno, message }` so that
 * they cross threads unchanged (a `DamonError` is one).
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Result from "effect/Result"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { Sysfs } from "../sysfs/Sysfs.ts"
import { collect, type MetricsSnapshot } from "./DamonMetrics.ts"
import { encodeEvent } from "./EventsCodec.ts"

/** A failed admin operation: the errno and the message (path and value), as a `DamonError` has them. */
export interface AdminFault {
  readonly errno: string
  readonly message: string
}

/** The admin tree as the routes use it. */
export interface AdminBackend {
  readonly read: (path: string) => Effect.Effect<string, AdminFault>
  readonly list: (path: string) => Effect.Effect<ReadonlyArray<string>, AdminFault>
  /**
   * Writes a file. Runs to completion even if the caller is interrupted (a client that
   * disconnects does not undo its `write(2)`); only closing the backend's scope stops it.
   */
  readonly write: (path: string, text: string) => Effect.Effect<void, AdminFault>
  /** Every kdamond's counters and running schemes (`DamonMetrics.collect`). */
  readonly metrics: Effect.Effect<MetricsSnapshot>
  /**
   * The events of the kdamond behind `kdamonds/<index>/`, as server-sent-event text
   * (`EventsCodec`), ending after its `stopped` event; `ENOENT` for no such directory, `EPERM`
   * when it is not running. A subscriber with its own bounded sliding buffer: the kdamond never
   * waits for it.
   */
  readonly events: (index: number) => Effect.Effect<Stream.Stream<string>, AdminFault>
}

/** A fault as plain data (a `DamonError` carries more, and is a class). */
export const toFault = (error: AdminFault): AdminFault => ({ errno: error.errno, message: error.message })

/**
 * The tree of this thread as a backend. Writes are forked into `scope`, so that they finish
 * after their caller gives up; closing `scope` interrupts them (the engine withdraws their
 * `damonCall`/`damosWalk`).
 */
export const fromSysfs = (sysfs: Sysfs["Service"], scope: Scope.Scope): AdminBackend => ({
  read: (path) => Effect.mapError(sysfs.read(path), toFault),
  list: (path) => Effect.mapError(sysfs.list(path), toFault),
  write: (path, text) =>
    Effect.gen(function*() {
      const fiber = yield* Effect.forkIn(Effect.result(sysfs.write(path, text)), scope, { startImmediately: true })
      const done = yield* Fiber.join(fiber)
      if (Result.isFailure(done)) return yield* Effect.fail(toFault(done.failure))
    }),
  metrics: Effect.provideService(collect, Sysfs, sysfs),
  events: (index) =>
    Effect.gen(function*() {
      const entry = (yield* sysfs.kdamonds).find((e) => e.index === index)
      if (entry === undefined) {
        return yield* Effect.fail({ errno: "ENOENT", message: `kdamonds/${index}: no such kdamond directory (kdamonds/nr_kdamonds)` })
      }
      const kdamond = entry.kdamond
      if (kdamond === undefined || !(yield* kdamond.isRunning)) {
        return yield* Effect.fail({ errno: "EPERM", message: `kdamonds/${index}: not running (write 'on' to kdamonds/${index}/state first)` })
      }
      return Stream.filterMap(kdamond.events, (e) => {
        const text = encodeEvent(e)
        return text === undefined ? Result.fail(undefined) : Result.succeed(text)
      })
    })
})
