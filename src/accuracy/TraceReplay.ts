/**
 * Reading a recorded trace into a `TraceSpace` as world time passes: the bytes come as a
 * `Stream` (a file, gzip-compressed or not, or stdin, read as they are consumed), are parsed
 * chunk by chunk, and are pushed into the space only a little ahead of world time.
 *
 * The reader is a participant of the world (like a kdamond): world time does not pass while it
 * reads, and it sleeps while the records it holds cover the next `2 * lookaheadUs` of world time
 * (plus the space's mapping lead). Every access is therefore in the space before its time is
 * seen, in a virtual world whatever the reading speed, so a run is a pure function of the trace
 * and the seeds; memory holds one lookahead of records and one chunk.
 */
import { closeSync, createReadStream, openSync, readSync } from "node:fs"
import { createGunzip } from "node:zlib"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { WorldClock } from "../engine/World.ts"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import * as LackeyTrace from "../spaces/LackeyTrace.ts"
import type { TraceSpace } from "../spaces/TraceSpace.ts"

/** Options of {@link replay}. */
export interface ReplayOptions extends LackeyTrace.ParserOptions {
  /** World time the reader stays ahead by, in microseconds. Defaults to 10000. */
  readonly lookaheadUs?: number
}

const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e))

const isGzip = (path: string): boolean => {
  const fd = openSync(path, "r")
  try {
    const head = new Uint8Array(2)
    const n = readSync(fd, head, 0, 2, 0)
    return n === 2 && head[0] === 0x1f && head[1] === 0x8b
  } finally {
    closeSync(fd)
  }
}

/**
 * The bytes of the trace file at `path`, decompressed when it is gzip (detected by its magic
 * number), in chunks of at most 64 KiB read as the stream is consumed. An unreadable file or a
 * broken gzip stream fails with an `InvalidArgument` naming the path.
 */
export const fileChunks = (path: string): Stream.Stream<Uint8Array, DamonError> =>
  Stream.unwrap(Effect.try({
    try: () => {
      const gz = isGzip(path)
      const raw = createReadStream(path, { highWaterMark: 1 << 16 })
      const source = gz ? raw.pipe(createGunzip({ chunkSize: 1 << 16 })) : raw
      if (gz) raw.on("error", (e) => source.destroy(e))
      return Stream.fromAsyncIterable<Uint8Array, DamonError>(
        source,
        (e) => invalidArgument("trace.path", path, `cannot be read: ${describe(e)}`)
      )
    },
    catch: (e) => invalidArgument("trace.path", path, `cannot be read: ${describe(e)}`)
  }))

/** The bytes of standard input, as they arrive. */
export const stdinChunks: Stream.Stream<Uint8Array, DamonError> = Stream.suspend(() =>
  Stream.fromAsyncIterable<Uint8Array, DamonError>(process.stdin, (e) => invalidArgument("trace", "stdin", `cannot be read: ${describe(e)}`))
)

/** What a finished replay read. */
export interface ReplayResult {
  readonly parser: LackeyTrace.ParserStats
}

/**
 * Starts reading `chunks` into `trace` as a participant of the world, in the scope, and returns
 * once the trace's first lookahead is in the space (or the trace ended or failed), with the
 * reader's fiber, which ends with the parser's counts once the trace is read (the space then
 * plays the rest as time passes) or fails on the first malformed line (unless
 * `skipBadLines`). Interrupting it (closing the scope) stops reading.
 *
 * **Gotchas**
 * Join the world before the monitors start, i.e. call this before starting kdamonds, so that the
 * first samples already find the trace's first accesses.
 */
export const replay = (
  trace: TraceSpace,
  chunks: Stream.Stream<Uint8Array, DamonError>,
  options: ReplayOptions = {}
): Effect.Effect<Fiber.Fiber<ReplayResult, DamonError>, DamonError, WorldClock | Scope.Scope> =>
  Effect.gen(function*() {
    const lookahead = options.lookaheadUs ?? 10_000
    if (!(lookahead > 0 && Number.isFinite(lookahead))) {
      return yield* Effect.fail(invalidArgument("lookaheadUs", lookahead, "must be a positive finite number of microseconds"))
    }
    const world = yield* WorldClock
    const parser = LackeyTrace.make(options)
    const push = trace.push
    const participant = world.join()
    // Completed once the first lookahead is read (or the trace ends or fails): the monitors
    // start with the trace's beginning in the space.
    const primed = yield* Deferred.make<void>()
    // Sleep while the records held cover the next two lookaheads; wake every lookahead.
    const pace: Effect.Effect<void> = Effect.suspend(() =>
      trace.pushed() >= trace.neededBy(world.nowUs() + 2 * lookahead)
        ? Deferred.succeed(primed, undefined).pipe(
          Effect.andThen(participant.sleepUntil(world.nowUs() + lookahead)),
          Effect.andThen(pace)
        )
        : Effect.void
    )
    const read = Stream.runForEach(chunks, (chunk) => {
      const error = parser.feed(chunk, push)
      return error === undefined ? pace : Effect.fail(error)
    }).pipe(
      Effect.andThen(Effect.suspend(() => {
        const error = parser.end(push)
        trace.end()
        return error === undefined ? Effect.succeed({ parser: parser.stats() }) : Effect.fail(error)
      })),
      Effect.ensuring(Effect.sync(() => participant.leave())),
      Effect.ensuring(Deferred.succeed(primed, undefined))
    )
    const fiber = yield* Effect.forkScoped(read, { startImmediately: true })
    yield* Deferred.await(primed)
    return fiber
  })
