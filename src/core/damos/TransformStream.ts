/**
 * DAMOS as an Effect `Stream` transform: `Stream<Snapshot>` in, `Stream<Decisions>` out, one
 * apply pass per snapshot with the scheme state carried along (the pure `Transform.step` behind
 * `Stream.mapAccum`).
 *
 * Adds no behaviour of its own: it is {@link step} lifted to streams. Does not sample or record.
 */
import { Stream } from "effect"
import type { Damos, SchemeConfig } from "../../model/Damos.ts"
import type { DamonOps } from "../../ops/DamonOps.ts"
import { type Decisions, init, recordingOps, type Snapshot, step, type TransformOptions } from "./Transform.ts"

/**
 * Turns a stream of region snapshots into the stream of DAMOS decisions `schemes` make on them.
 *
 * **Details**
 * State starts from `Transform.init(schemes, options)` on each run of the resulting stream;
 * `ops` defaults to `Transform.recordingOps()`.
 */
export const applySchemes = (
  schemes: ReadonlyArray<SchemeConfig | Damos>,
  options: TransformOptions = {},
  ops: DamonOps = recordingOps()
) =>
<E, R>(self: Stream.Stream<Snapshot, E, R>): Stream.Stream<Decisions, E, R> =>
  self.pipe(
    Stream.mapAccum(() => init(schemes, options), (state, snapshot: Snapshot) => {
      const [next, decisions] = step(state, snapshot, ops)
      return [next, [decisions]] as const
    })
  )
