/**
 * `effect-damon/http`: the loopback HTTP endpoint over the admin tree, with Prometheus metrics.
 * The only entry point that loads a platform package (`@effect/platform-node`).
 *
 * @since 0.2.0
 */

/** The HTTP endpoint over the admin tree. */
export * as Http from "./HttpEndpoint.ts"
/** Collection and Prometheus formatting of kdamond and scheme metrics. */
export * as DamonMetrics from "./DamonMetrics.ts"
/** The same endpoint served from a worker thread, so HTTP work does not delay the kdamonds. */
export * as WorkerEndpoint from "./WorkerEndpoint.ts"
