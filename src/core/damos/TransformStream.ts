/**
 * DAMOS as an Effect `Stream` transform: `Stream<Snapshot>` in, `Stream<Decisions>` out, one
 * apply pass per snapshot with the scheme state carried along (the pure `Transform.step` behind
 * `Stream.mapAccumEffect`). Bad schemes, options or snapshots fail the stream with an
 * `InvalidArgument` naming the field.
 *
 * Adds no behaviour of its own: it is {@link step} lifted to streams. Does not sample or record.
 */
import * as Effect from "effect/Effect"
import * as Function from "effect/Function"
import * as Result from "effect/Result"
import * as Stream from "effect/Stream"
import type { DamonError } from "../../model/DamonError.ts"
import type { Damos } from "../../model/Damos.ts"
import type { DamonOps } from "../../ops/DamonOps.ts"
import type { SchemeInput } from "./DamosConfig.ts"
import { type Decisions, init, recordingOps, type Snapshot, step, type TransformOptions } from "./Transform.ts"

const transform = <E, R>(
  self: Stream.Stream<Snapshot, E, R>,
  schemes: ReadonlyArray<SchemeInput | Damos>,
  options: TransformOptions,
  ops: DamonOps
): Stream.Stream<Decisions, E | DamonError, R> =>
  Stream.unwrap(Effect.suspend(() => {
    const initial = init(schemes, options)
    if (Result.isFailure(initial)) return Effect.fail(initial.failure)
    let k = 0
    return Effect.succeed(self.pipe(
      Stream.mapAccumEffect(() => initial.success, (state, snapshot: Snapshot) => {
        const stepped = step(state, snapshot, ops, `snapshots[${k++}]`)
        return Result.isFailure(stepped)
          ? Effect.fail(stepped.failure)
          : Effect.succeed([stepped.success[0], [stepped.success[1]]] as const)
      })
    ))
  }))

/**
 * Turns a stream of region snapshots into the stream of DAMOS decisions `schemes` make on them.
 *
 * **Details**
 * State starts from `Transform.init(schemes, options)` on each run of the resulting stream;
 * `ops` defaults to `Transform.recordingOps()`.
 *
 * @example
 * ```ts
 * snapshots.pipe(TransformStream.applySchemes([{ action: "pageout", pattern: { maxNrAccesses: 0 } }]))
 * TransformStream.applySchemes(snapshots, [{ action: "stat" }], { opsId: "vaddr" })
 * ```
 * @since 0.1.0
 * @category DAMOS
 */
export const applySchemes: {
  (
    schemes: ReadonlyArray<SchemeInput | Damos>,
    options?: TransformOptions,
    ops?: DamonOps
  ): <E, R>(self: Stream.Stream<Snapshot, E, R>) => Stream.Stream<Decisions, E | DamonError, R>
  <E, R>(
    self: Stream.Stream<Snapshot, E, R>,
    schemes: ReadonlyArray<SchemeInput | Damos>,
    options?: TransformOptions,
    ops?: DamonOps
  ): Stream.Stream<Decisions, E | DamonError, R>
} = Function.dual(
  (args) => Stream.isStream(args[0]),
  <E, R>(
    self: Stream.Stream<Snapshot, E, R>,
    schemes: ReadonlyArray<SchemeInput | Damos>,
    options: TransformOptions = {},
    ops: DamonOps = recordingOps()
  ) => transform(self, schemes, options, ops)
)
