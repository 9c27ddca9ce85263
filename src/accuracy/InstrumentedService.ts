/**
 * Instrumented application memory as an Effect service: the application allocates arenas and
 * marks its accesses (one byte store each), kdamonds of the same runtime monitor them through
 * the operations sets of {@link opsLayer}, and the DAMOS actions their schemes apply arrive as
 * typed events the application handles (`Evict`, `Prefetch`, `Promote`, `Demote`).
 *
 * Events are queued without bound and delivered once each, in the order the schemes applied
 * them: none is dropped, whether or not the application is listening yet.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import type { AddrRange } from "../model/AddrRange.ts"
import type { DamonError } from "../model/DamonError.ts"
import type { AddressSpace } from "../ops/AddressSpace.ts"
import { fvaddrOps } from "../ops/fvaddr.ts"
import * as OpsRegistry from "../ops/OpsRegistry.ts"
import { paddrOps } from "../ops/paddr.ts"
import { vaddrOps } from "../ops/vaddr.ts"
import * as Memory from "../spaces/InstrumentedMemory.ts"

export type { Arena, MemoryEvent, MemoryEventKind } from "../spaces/InstrumentedMemory.ts"

/** Options of {@link layer}. */
export type InstrumentedLayerOptions = Omit<Memory.InstrumentedOptions, "onEvent">

/** The instrumented memory of an application. */
export class InstrumentedMemory extends Context.Service<InstrumentedMemory, {
  readonly pid: number
  /** The memory as an address space (what {@link opsLayer} monitors). */
  readonly space: AddressSpace
  /** Allocates an arena of `bytes`; a bad size or a taken name is an `InvalidArgument`. */
  readonly allocate: (name: string, bytes: number) => Effect.Effect<Memory.Arena, DamonError>
  readonly arenas: () => ReadonlyArray<Memory.Arena>
  /** The arenas' ranges: the regions of an `fvaddr` target `{ pid, regions }`. */
  readonly ranges: () => ReadonlyArray<AddrRange>
  /** The actions schemes applied, as they come (each event is delivered to one consumer once). */
  readonly events: Stream.Stream<Memory.MemoryEvent>
  /** Takes every event queued so far, without waiting (possibly none). */
  readonly drainEvents: Effect.Effect<ReadonlyArray<Memory.MemoryEvent>>
  /** Events queued and not yet taken. */
  readonly pendingEvents: Effect.Effect<number>
}>()("effect-damon/InstrumentedMemory") {}

/** Builds the service; `options` as in `InstrumentedMemory.make` (events go to the service's queue). */
export const make = (options: InstrumentedLayerOptions = {}): Effect.Effect<InstrumentedMemory["Service"]> =>
  Effect.gen(function*() {
    const queue = yield* Queue.unbounded<Memory.MemoryEvent>()
    const memory = Memory.make({ ...options, onEvent: (event) => Queue.offerUnsafe(queue, event) })
    return {
      pid: memory.pid,
      space: memory.space,
      allocate: (name, bytes) => Effect.suspend(() => Effect.fromResult(memory.allocate(name, bytes))),
      arenas: memory.arenas,
      ranges: memory.ranges,
      events: Stream.fromQueue(queue),
      drainEvents: Queue.clear(queue),
      pendingEvents: Queue.size(queue)
    }
  })

/** The service as a layer. */
export const layer = (options: InstrumentedLayerOptions = {}): Layer.Layer<InstrumentedMemory> => Layer.effect(InstrumentedMemory, make(options))

/** `vaddr`, `fvaddr` and `paddr` over the instrumented memory, for `Damon.layer`. */
export const opsLayer: Layer.Layer<OpsRegistry.OpsRegistry, never, InstrumentedMemory> = Layer.unwrap(
  Effect.map(InstrumentedMemory, (m) => OpsRegistry.layer({ vaddr: vaddrOps(m.space), fvaddr: fvaddrOps(m.space), paddr: paddrOps(m.space) }))
)
