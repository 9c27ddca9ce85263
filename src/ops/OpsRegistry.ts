/**
 * The registry of operations sets, the analogue of `damon_register_ops()` /
 * `damon_select_ops()`: ids map to factories, and a kdamond selects one at start. The engine
 * depends on this service, never on a concrete ops set.
 */
import * as Context from "effect/Context"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import type { DamonOpsFactory } from "./DamonOps.ts"

/** Registered operations sets by id. */
export class OpsRegistry extends Context.Service<OpsRegistry, {
  /** The registered ids, in registration order (the sysfs `avail_operations`). */
  readonly ids: ReadonlyArray<string>
  /** The factory for `id`, or an `InvalidArgument` naming the field and the registered ids. */
  readonly select: (id: string, field?: string) => Result.Result<DamonOpsFactory, DamonError>
}>()("effect-damon/OpsRegistry") {}

/**
 * Builds a registry from id-to-factory entries.
 *
 * **Details**
 * Mirrors `damon_select_ops()`: selecting an unregistered id is `-EINVAL`.
 */
export const make = (entries: Readonly<Record<string, DamonOpsFactory>>): OpsRegistry["Service"] => {
  const map = new Map(Object.entries(entries))
  const ids = [...map.keys()]
  return {
    ids,
    select: (id, field = "ops") => {
      const factory = map.get(id)
      return factory !== undefined
        ? Result.succeed(factory)
        : Result.fail(invalidArgument(field, id, `must be a registered operations set (${ids.join(", ") || "none"})`))
    }
  }
}

/**
 * Adds `factory` under `id` to the entries, refusing an id that is already registered.
 *
 * **Details**
 * Mirrors `damon_register_ops()`: a second registration of the same id is `-EINVAL`.
 */
export const register = (
  entries: Readonly<Record<string, DamonOpsFactory>>,
  id: string,
  factory: DamonOpsFactory
): Result.Result<Readonly<Record<string, DamonOpsFactory>>, DamonError> =>
  Object.hasOwn(entries, id)
    ? Result.fail(invalidArgument("ops", id, "is already registered"))
    : Result.succeed({ ...entries, [id]: factory })

/** A layer providing a registry of the given entries. */
export const layer = (entries: Readonly<Record<string, DamonOpsFactory>>): Layer.Layer<OpsRegistry> =>
  Layer.succeed(OpsRegistry, make(entries))
