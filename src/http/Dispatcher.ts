/**
 * Admission of requests to the application, fair between connections and bounded per
 * event-loop turn.
 *
 * Node's HTTP server parses every request a client sends and hands each to the application at
 * once; it pauses reading a connection only when answers already written pile up, which never
 * happens while answers are still being computed (a scrape waits for a `damonCall`). A client
 * pipelining thousands of requests without reading the answers then makes the process hold
 * thousands of requests, fibers and rendered answers. And when answers complete, starting the
 * next request from the completion chains the whole backlog into one long stretch of work that
 * starves every other client and the kdamonds' timers.
 *
 * So: a request is *active* from its start until its answer is handed to the socket. At most
 * `maxActivePerConnection` requests of one connection are active, and beyond `maxActive` in
 * total only a connection with nothing active and nothing waiting may start one (so a plain
 * keep-alive client, one request at a time, never waits behind pipelining clients: total active
 * stays below `maxActive` plus the number of connections). The rest wait in their connection's
 * queue, and a connection with anything waiting is not read, so at most one read buffer of
 * requests waits per connection; one with more than `maxWaitingPerConnection` waiting is cut (a
 * read buffer holds some 1 500 minimal requests: only a client pipelining far ahead of its
 * answers sends that many; no HTTP client in use pipelines at all). Waiting requests start in a
 * later turn of the event loop, round-robin over connections, one per connection and at most
 * `startsPerTurn` per turn, so the work done between two looks at the sockets and timers stays
 * small: whoever pipelines deep waits its turn. Pure: sockets and the event loop are reached
 * through {@link ConnectionIo} and `schedule`.
 */

/** What the dispatcher does to one connection. */
export interface ConnectionIo<R> {
  /** Starts handling a request; its answer must end with {@link Connection.done}. */
  readonly dispatch: (request: R) => void
  /** Stops reading requests from the connection. */
  readonly pause: () => void
  /** Reads requests again. */
  readonly resume: () => void
  /**
   * The client pipelined more than `maxWaitingPerConnection` requests: the connection must be
   * closed (its waiting requests are dropped, answers already handed to the socket stand).
   */
  readonly overflow: () => void
}

/** One connection's side of the dispatcher. */
export interface Connection<R> {
  /** A request the parser produced: started now, or queued. */
  readonly admit: (request: R) => void
  /** An active request was answered (or abandoned). */
  readonly done: () => void
  /** The connection closed: queued requests are dropped (nobody can read their answers). */
  readonly close: () => void
  readonly active: () => number
  readonly waiting: () => number
  /** Whether the dispatcher holds the connection paused. */
  readonly paused: () => boolean
}

/** The limits of a {@link Dispatcher}. */
export interface DispatchLimits {
  /** Active requests of one connection (at least 1). */
  readonly maxActivePerConnection: number
  /**
   * Active requests in total beyond which only a connection with nothing active and nothing
   * waiting starts one.
   */
  readonly maxActive: number
  /** Waiting requests started per turn of the event loop (at least 1). */
  readonly startsPerTurn: number
  /** Requests one connection may have waiting; one more cuts the connection (at least 1). */
  readonly maxWaitingPerConnection: number
}

/** The dispatcher of one server. */
export interface Dispatcher<R> {
  readonly connect: (io: ConnectionIo<R>) => Connection<R>
  /** Active requests over every connection. */
  readonly active: () => number
}

interface State<R> {
  readonly io: ConnectionIo<R>
  readonly queue: Array<R | undefined>
  head: number
  active: number
  paused: boolean
  closed: boolean
  inRing: boolean
}

/**
 * A dispatcher with the given limits; `schedule` runs a task in a later turn of the event loop
 * (after pending I/O: `setImmediate` on Node).
 */
export const make = <R>(limits: DispatchLimits, schedule: (task: () => void) => void): Dispatcher<R> => {
  const perConnection = Math.max(1, Math.floor(limits.maxActivePerConnection))
  const maxActive = Math.max(1, Math.floor(limits.maxActive))
  const startsPerTurn = Math.max(1, Math.floor(limits.startsPerTurn))
  const maxWaiting = Math.max(1, Math.floor(limits.maxWaitingPerConnection))
  const ring: Array<State<R>> = []
  let active = 0
  let scheduled = false

  const waiting = (c: State<R>) => c.queue.length - c.head

  const take = (c: State<R>): R => {
    const request = c.queue[c.head]!
    c.queue[c.head++] = undefined
    if (c.head === c.queue.length) {
      c.queue.length = 0
      c.head = 0
    }
    return request
  }

  const start = (c: State<R>, request: R) => {
    c.active++
    active++
    c.io.dispatch(request)
  }

  // Paused exactly while something waits: not merely at the limit, where the last request
  // started may still be receiving its body (pausing then would starve it until it times out).
  const updatePause = (c: State<R>) => {
    if (c.closed) return
    const shouldPause = waiting(c) > 0
    if (shouldPause && !c.paused) {
      c.paused = true
      c.io.pause()
    } else if (!shouldPause && c.paused) {
      c.paused = false
      c.io.resume()
    }
  }

  const enterRing = (c: State<R>) => {
    if (c.inRing || c.closed || waiting(c) === 0 || c.active >= perConnection) return
    c.inRing = true
    ring.push(c)
  }

  /**
   * One turn: a pass over the ring, starting one request of each connection while the total
   * allows (those not reached keep their place, those served go to the back).
   */
  const pump = () => {
    scheduled = false
    let budget = startsPerTurn
    const blocked: Array<State<R>> = []
    const served: Array<State<R>> = []
    while (ring.length > 0 && budget > 0) {
      const c = ring.shift()!
      c.inRing = false
      if (c.closed || waiting(c) === 0 || c.active >= perConnection) continue
      if (active >= maxActive) {
        blocked.push(c)
        continue
      }
      start(c, take(c))
      budget--
      served.push(c)
    }
    const rest = ring.splice(0)
    for (const c of rest) c.inRing = false
    for (const c of [...blocked, ...rest, ...served]) enterRing(c)
    for (const c of served) updatePause(c)
    if (ring.length > 0 && active < maxActive) later()
  }

  const close = (c: State<R>) => {
    c.closed = true
    c.queue.length = 0
    c.head = 0
  }

  const later = () => {
    if (scheduled) return
    scheduled = true
    schedule(pump)
  }

  return {
    active: () => active,
    connect: (io) => {
      const c: State<R> = { io, queue: [], head: 0, active: 0, paused: false, closed: false, inRing: false }
      return {
        admit: (request) => {
          if (c.closed) return
          if (waiting(c) === 0 && c.active < perConnection && (active < maxActive || c.active === 0)) {
            start(c, request)
          } else if (waiting(c) >= maxWaiting) {
            close(c)
            c.io.overflow()
            return
          } else {
            c.queue.push(request)
            enterRing(c)
            if (c.inRing && active < maxActive) later()
          }
          updatePause(c)
        },
        done: () => {
          if (c.active === 0) return
          c.active--
          active--
          enterRing(c)
          if (ring.length > 0) later()
          updatePause(c)
        },
        close: () => close(c),
        active: () => c.active,
        waiting: () => waiting(c),
        paused: () => c.paused
      }
    }
  }
}
