/**
 * Counters a kdamond keeps about itself (samples, aggregations, regions, control requests and
 * their latency), for monitoring the monitor: Prometheus metrics, benchmarks. Plain numbers
 * updated by the kdamond between phases; reading a snapshot never touches the context.
 */

/** Upper bounds of the `damonCall` latency buckets, in microseconds (the last is +Inf). */
export const latencyBucketsUs: ReadonlyArray<number> = [10, 50, 100, 500, 1_000, 5_000, 10_000, 50_000, 100_000, Infinity]

/**
 * A kdamond's counters.
 *
 * **Gotchas**
 * Mutated in place by its kdamond; {@link snapshot} copies it for readers.
 */
export interface KdamondStats {
  /** Sample intervals done since start. */
  samples: number
  /**
   * Region checks done since start: at each sample, the regions of every target (each checks one
   * page while its process lives).
   */
  regionChecks: number
  /** Aggregation windows completed since start. */
  aggregations: number
  /** Regions over all targets after the last aggregation (reset and split). */
  nrRegions: number
  /** `damonCall` functions run (repeat runs counted each time). */
  callsServed: number
  /** Pending calls cancelled because the kdamond stopped. */
  callsCanceled: number
  /** Walks completed, cancelled or withdrawn. */
  walksCompleted: number
  walksCanceled: number
  /** Histogram of queueing latency of served calls (enqueue to run), per bucket of {@link latencyBucketsUs}. */
  readonly callLatencyBuckets: Array<number>
  /** Sum of those latencies, in microseconds. */
  callLatencySumUs: number
}

/** Fresh counters. */
export const make = (): KdamondStats => ({
  samples: 0,
  regionChecks: 0,
  aggregations: 0,
  nrRegions: 0,
  callsServed: 0,
  callsCanceled: 0,
  walksCompleted: 0,
  walksCanceled: 0,
  callLatencyBuckets: latencyBucketsUs.map(() => 0),
  callLatencySumUs: 0
})

/** Records one served call's queueing latency. */
export const recordCallLatency = (self: KdamondStats, latencyUs: number): void => {
  self.callsServed++
  self.callLatencySumUs += latencyUs
  let i = 0
  while (latencyUs > latencyBucketsUs[i]!) i++
  self.callLatencyBuckets[i] = self.callLatencyBuckets[i]! + 1
}

/** A copy for readers. */
export const snapshot = (self: KdamondStats): KdamondStats => ({ ...self, callLatencyBuckets: [...self.callLatencyBuckets] })
