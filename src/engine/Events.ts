/**
 * Monitoring events: what the kernel exposed through callbacks and trace points
 * (`damon_aggregated`, `damos_before_apply`, kdamond start/stop) published as an Effect
 * `Stream` that any number of subscribers consume without slowing the kdamond down.
 *
 * Policy when a subscriber falls behind: each subscriber has a bounded buffer (default 1024
 * events, at most `MAX_EVENT_BUFFER`); when it is full the oldest undelivered events of that
 * subscriber are dropped (a sliding buffer). The buffer is bounded in regions too: the
 * `Aggregated` events it holds carry at most `MAX_BUFFERED_REGIONS` region copies, older ones are
 * dropped past that. Buffers hold the newest events, shared between subscribers, so however many
 * subscribe, the events held stay within one buffer's bounds. Every event carries a per-kdamond
 * sequence number, so a subscriber sees a drop as a gap in `seq`. The kdamond never waits for
 * subscribers, never runs their code on its turn (a subscriber woken by an event yields before
 * handling it), and builds snapshots only while someone is subscribed.
 *
 * Every subscriber's stream starts with the kdamond's `Started` event (whenever it subscribes),
 * then carries the live events from the moment it subscribed, and ends after `Stopped`; a
 * subscription made after the kdamond stopped yields `Started` and `Stopped` only.
 */
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import { MAX_BUFFERED_REGIONS } from "../model/Limits.ts"

/** A region as published in events: a copy, safe to keep. */
export interface RegionSnapshot {
  readonly start: number
  readonly end: number
  readonly nrAccesses: number
  readonly nrAccessesBp: number
  readonly lastNrAccesses: number
  readonly age: number
}

/** A target's regions as published in events. */
export interface TargetSnapshot {
  /** Position of the target in the context. */
  readonly index: number
  readonly pid: number | null
  readonly regions: ReadonlyArray<RegionSnapshot>
}

/** Why a kdamond stopped. */
export type StopReason =
  | { readonly _tag: "Requested" }
  | { readonly _tag: "NoValidTarget" }
  | { readonly _tag: "OpsFailed"; readonly op: string; readonly message: string }
  | { readonly _tag: "TimeLimit"; readonly atUs: number }
  | { readonly _tag: "Crashed"; readonly message: string }

/**
 * Every monitoring event. `atUs` is kdamond time: microseconds since the kdamond started, which
 * was at world time `Started.worldUs` (so world time is `worldUs + atUs`); `sis` the sample
 * intervals passed.
 */
export type MonitorEvent =
  | {
    readonly _tag: "Started"
    readonly seq: number
    readonly kdamond: number
    readonly atUs: number
    /** World time the kdamond started at, in microseconds (see `World.ts`). */
    readonly worldUs: number
  }
  | {
    readonly _tag: "Sampled"
    readonly seq: number
    readonly atUs: number
    readonly sis: number
    /** Largest `nrAccesses` over all regions so far in this window. */
    readonly maxNrAccesses: number
  }
  | {
    readonly _tag: "Aggregated"
    readonly seq: number
    readonly atUs: number
    readonly sis: number
    /** Aggregation windows completed so far (1 for the first). */
    readonly nrAggregations: number
    readonly sampleIntervalUs: number
    readonly aggrIntervalUs: number
    /** Regions with the complete window's counts, right before they are reset. */
    readonly targets: ReadonlyArray<TargetSnapshot>
  }
  | {
    readonly _tag: "SchemesApplied"
    readonly seq: number
    readonly atUs: number
    readonly sis: number
    /** Index of each scheme whose apply interval came in this pass. */
    readonly schemes: ReadonlyArray<number>
  }
  | { readonly _tag: "Stopped"; readonly seq: number; readonly atUs: number; readonly reason: StopReason }

/** Distributes events of one kdamond; knows whether anyone listens. */
export interface EventHub {
  /** True while at least one subscriber exists (snapshots are built only then). */
  readonly hasSubscribers: () => boolean
  /** Records the `Started` event every subscriber's stream begins with. */
  readonly start: (build: (seq: number) => MonitorEvent) => void
  /** Publishes without ever blocking; assigns `seq`. */
  readonly publish: (build: (seq: number) => MonitorEvent) => void
  /** Publishes the final event and ends every subscriber's stream after it. */
  readonly end: (build: (seq: number) => MonitorEvent) => void
  /** A stream of events from the moment of subscription until the kdamond stops. */
  readonly stream: Stream.Stream<MonitorEvent>
}

/** Default per-subscriber buffer. */
export const defaultBufferSize = 1024

/** Region copies an event holds (what bounds a buffer's memory besides its event count). */
const regionsIn = (event: MonitorEvent): number => {
  if (event._tag !== "Aggregated") return 0
  let n = 0
  for (const t of event.targets) n += t.regions.length
  return n
}

/**
 * One subscriber's buffer: a sliding queue of events plus, oldest first, how many region copies
 * each buffered event holds. The consumer takes from the front; so does a full sliding queue;
 * the weights follow by trimming to the queue's size.
 */
class SubscriberBuffer {
  readonly queue: Queue.Queue<MonitorEvent>
  private readonly weights: Array<number> = []
  private head = 0
  private held = 0
  constructor(queue: Queue.Queue<MonitorEvent>) {
    this.queue = queue
  }

  private sync(): void {
    const size = Queue.sizeUnsafe(this.queue)
    while (this.weights.length - this.head > size) this.held -= this.weights[this.head++]!
    if (this.head > 1024 && this.head * 2 > this.weights.length) {
      this.weights.splice(0, this.head)
      this.head = 0
    }
  }

  offer(event: MonitorEvent, weight: number, maxHeld: number): void {
    this.sync()
    this.weights.push(weight)
    this.held += weight
    Queue.offerUnsafe(this.queue, event)
    this.sync()
    // past the region budget, drop the oldest undelivered events (never the newest)
    while (this.held > maxHeld && this.weights.length - this.head > 1) {
      Queue.takeUnsafe(this.queue)
      this.held -= this.weights[this.head++]!
    }
  }
}

/**
 * Creates an event hub with a sliding per-subscriber buffer of `bufferSize` events holding at
 * most `maxBufferedRegions` region copies.
 */
export const makeHub = (
  bufferSize: number = defaultBufferSize,
  maxBufferedRegions: number = MAX_BUFFERED_REGIONS
): Effect.Effect<EventHub> =>
  Effect.sync(() => {
    const subscribers = new Set<SubscriberBuffer>()
    let seq = 0
    let started: MonitorEvent | undefined
    let stopped: MonitorEvent | undefined
    const head = (): Array<MonitorEvent> => (started === undefined ? [] : [started])
    const stream = Stream.unwrap(Effect.gen(function*() {
      if (stopped !== undefined) return Stream.fromIterable([...head(), stopped])
      const buffer = yield* Effect.acquireRelease(
        Effect.map(Queue.sliding<MonitorEvent>(bufferSize), (q) => {
          const b = new SubscriberBuffer(q)
          subscribers.add(b)
          return b
        }),
        (b) => Effect.sync(() => subscribers.delete(b))
      )
      // The kdamond's publish resumes a waiting subscriber on the kdamond's own turn; the
      // subscriber yields before it handles what it took, so its work runs on its own turn.
      const take = Effect.tap(Queue.takeAll(buffer.queue), () => Effect.yieldNow)
      const live = Stream.fromPull(Effect.succeed(take)).pipe(Stream.takeUntil((e) => e._tag === "Stopped"))
      return Stream.concat(Stream.fromIterable(head()), live)
    }))
    const offerAll = (event: MonitorEvent) => {
      const weight = regionsIn(event)
      for (const b of subscribers) b.offer(event, weight, maxBufferedRegions)
    }
    return {
      hasSubscribers: () => subscribers.size > 0 && stopped === undefined,
      start: (build) => {
        started = build(++seq)
      },
      publish: (build) => {
        if (subscribers.size === 0 || stopped !== undefined) return
        offerAll(build(++seq))
      },
      end: (build) => {
        if (stopped !== undefined) return
        stopped = build(++seq)
        // The newest event survives a sliding buffer, so every live subscriber gets it and ends.
        offerAll(stopped)
      },
      stream
    }
  })
