/**
 * `effect-damon/testing`: property tests of synchronization invariants for code that drives
 * kdamonds. Write a scenario (clients and their operations), let the schedule explorer run it
 * under many interleavings on a deterministic scheduler and world clock, and get, on failure, a
 * shrunk, replayable, readable history. Arbitraries for configs and schemes come from the config
 * Schemas, for `@effect/vitest`'s `it.prop`.
 *
 * @since 0.2.0
 */

/** Arbitraries of configs, schemes, commit sequences and invalid configs (Effect's `Arbitrary`). */
export * as Arbitraries from "./Arbitraries.ts"
/** The schedule explorer: explore, assert, replay, reports. */
export * as Explorer from "./Explorer.ts"
/** A fast deterministic operations set for scenarios. */
export * as FakeOps from "./FakeOps.ts"
/** Histories: invocations, completions and what the kdamond's probes saw. */
export * as History from "./History.ts"
/** The invariant checkers. */
export * as Invariants from "./Invariants.ts"
/** Scenarios: what the explorer runs. */
export * as Scenario from "./Scenario.ts"
/** The standard scenarios over every control operation. */
export * as Scenarios from "./Scenarios.ts"
/** Scheduling strategies: random, PCT, oldest first. */
export * as Strategy from "./Strategy.ts"
/** Histories as timelines. */
export * as Timeline from "./Timeline.ts"
/** Replay tokens. */
export * as Token from "./Token.ts"
/** A client fiber of a scenario. */
export type { Client } from "./Client.ts"
/** Thrown by a scenario's function to fail on purpose. */
export { Deliberate } from "./Recorder.ts"
