/**
 * Scenarios: what the explorer runs under many schedules. A scenario names a kdamond config (the
 * harness starts it), the operations a client can make (an `Arbitrary`, so plans are generated
 * and shrunk by Effect's own engine), how one operation is performed, and the invariants to
 * check. A *plan* is one draw: a few clients, each with a few operations. The harness runs every
 * client as its own fiber, then stops the kdamond and waits for everything to settle.
 *
 * @since 0.2.0
 */
import type * as Arbitrary from "effect/Arbitrary"
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { DamonConfigInput } from "../core/BuildCtx.ts"
import type { Kdamond } from "../engine/Kdamond.ts"
import type { TimeMode } from "../engine/World.ts"
import type { Damon } from "../Damon.ts"
import type { DamonError } from "../model/DamonError.ts"
import type { DamonOpsFactory } from "../ops/DamonOps.ts"
import type { Client } from "./Client.ts"
import type { Bounds, Invariant } from "./Invariants.ts"
import type { Recorder } from "./Recorder.ts"

/** One generated plan: the operations of each client, in order. */
export interface Plan<Op> {
  readonly clients: ReadonlyArray<ReadonlyArray<Op>>
}

/** What a scenario's functions get from the harness. */
export interface Env {
  /** The kdamond the harness started (or restarted last); fails the run if there is none. */
  readonly current: () => Kdamond
  /** Starts a new kdamond from the scenario's config if the current one stopped; `false` if it still runs. */
  readonly restart: Effect.Effect<boolean, DamonError>
  /** A recording handle on `kdamond` for `client` (for kdamonds a component starts itself). */
  readonly record: (kdamond: Kdamond, client: string) => Kdamond
  /** World time, in microseconds. */
  readonly nowUs: () => number
  readonly recorder: Recorder
}

/** A scenario with operations `Op` and per-run state `S` (what `setup` builds). */
export interface Scenario<Op, S = void> {
  /** Names the scenario in reports and replay tokens. */
  readonly id: string
  /** How kdamonds wait for time (default `"virtual"`; `"real"` explores the engine's real-time path on the same clock). */
  readonly time?: TimeMode
  /** The config the harness starts a kdamond with (none: `setup` starts what it needs). */
  readonly config?: DamonConfigInput
  /** The operations sets of the run's registry (default: a fake one, `"fake"`). */
  readonly ops?: Readonly<Record<string, DamonOpsFactory>>
  /** One client operation. */
  readonly op: Arbitrary.Arbitrary<Op>
  /** Most clients in a plan (default 3). */
  readonly maxClients?: number
  /** Most operations per client (default 4). */
  readonly maxOps?: number
  /** Builds the run's state (a component under test) once the kdamond runs. */
  readonly setup?: (env: Env) => Effect.Effect<S, never, Scope.Scope | Damon>
  /** Performs one operation of `client`. */
  readonly perform: (op: Op, client: Client, state: S, env: Env) => Effect.Effect<void>
  /** Runs after the clients and the final stop (e.g. switch a component off). */
  readonly teardown?: (state: S, env: Env) => Effect.Effect<void>
  /** A short text for an operation in reports (default: JSON). */
  readonly describe?: (op: Op) => string
  /** The invariants checked after every run (default: `Invariants.all`). */
  readonly invariants?: ReadonlyArray<Invariant>
  /** Bounds of `boundedWaits` (default: from `config`'s intervals). */
  readonly bounds?: Bounds
  /** World time the clients get before the harness gives up on them (default: 40 aggregation intervals). */
  readonly horizonUs?: number
}

/** Declares a scenario (an identity that lets TypeScript infer `Op` and `S`). */
export const make = <Op, S = void>(scenario: Scenario<Op, S>): Scenario<Op, S> => scenario
