/**
 * Checks of a decoded config against the operations set that will run it, made before anything
 * starts or changes: schemes that read memory state the ops set cannot measure, and targets the
 * ops set cannot monitor (a vaddr pid that names no live process: the kernel's `-EINVAL` from
 * `find_get_pid()`). Pure: the ops set's own `targetValid` is the only call out.
 */
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import type { DamonCtx } from "../model/DamonCtx.ts"
import * as Target from "../model/Target.ts"
import type { DamonOps, OpsEnv } from "../ops/DamonOps.ts"
import type { CommitSource } from "./CommitCtx.ts"

/**
 * Rejects a scheme that uses watermarks or a measured goal metric when the ops set has no
 * `system` metrics, naming the exact field.
 */
export const checkMeasurable = (source: CommitSource, ops: DamonOps): DamonError | undefined => {
  if (ops.system !== undefined) return undefined
  const rule = `needs memory metrics the "${ops.id}" operations set does not provide`
  for (let i = 0; i < source.schemes.length; i++) {
    const s = source.schemes[i]!
    if (s.wmarks.metric !== "none") return invalidArgument(`schemes[${i}].wmarks.metric`, s.wmarks.metric, rule)
    const j = s.quota.goals.findIndex((g) => g.metric !== "user_input")
    if (j >= 0) return invalidArgument(`schemes[${i}].quota.goals[${j}].metric`, s.quota.goals[j]!.metric, rule)
  }
  return undefined
}

/**
 * Rejects a (non-obsolete) target the ops set says it cannot monitor, e.g. a vaddr pid that
 * names no live process. Ops sets without `targetValid` accept every target.
 */
export const checkTargets = (
  source: CommitSource,
  ops: DamonOps,
  ctx: DamonCtx,
  env: OpsEnv
): DamonError | undefined => {
  const targetValid = ops.targetValid
  if (targetValid === undefined) return undefined
  for (let i = 0; i < source.base.targets.length; i++) {
    const tc = source.base.targets[i]!
    if (tc.obsolete) continue
    if (!targetValid(ctx, Target.make(tc.pid), env)) {
      return invalidArgument(`targets[${i}].pid`, tc.pid, `is not a live process the "${ops.id}" operations set can monitor`)
    }
  }
  return undefined
}
