/**
 * From user input to a running context: decoding a whole config (context parameters plus
 * schemes) and building a fresh context from it, the kernel's sequence of `damon_new_ctx()`,
 * `damon_set_attrs()`, `damon_new_target()` + `damon_set_regions()` and `damon_add_scheme()`.
 * Pure: no clock, no randomness.
 */
import * as Result from "effect/Result"
import type { AttrsInput } from "../model/Attrs.ts"
import type { DamonError } from "../model/DamonError.ts"
import * as DamonConfig from "../model/DamonConfig.ts"
import * as DamonCtx from "../model/DamonCtx.ts"
import * as Target from "../model/Target.ts"
import type { CommitSource } from "./CommitCtx.ts"
import { decodeSchemes, fromConfig, type SchemeInput } from "./damos/DamosConfig.ts"
import { setAttrs } from "./SetAttrs.ts"

/**
 * A whole context configuration as a user writes it, the input of `Damon.start` and
 * `kdamond.commit`: every field but `ops` optional with the kernel default, so an editor
 * completes them and the compiler refuses a misspelt one. Values are still validated at run time
 * (`InvalidArgument` naming the field).
 */
export interface DamonConfigInput extends Omit<DamonConfig.ConfigInput, "ops" | "attrs" | "schemes"> {
  /** Operations set id: `"vaddr"`, `"fvaddr"`, `"paddr"` or one your registry adds. */
  readonly ops: "vaddr" | "fvaddr" | "paddr" | (string & {})
  /** Monitoring attributes (`damon_attrs`). */
  readonly attrs?: AttrsInput
  /** DAMOS schemes, applied in order. */
  readonly schemes?: ReadonlyArray<SchemeInput>
}

/**
 * Decodes and validates a whole config (context parameters, targets, schemes) into a source a
 * context can be built from or committed from. The first problem is reported as an
 * `InvalidArgument` naming its field.
 */
export const decodeConfig = (input: unknown): Result.Result<CommitSource, DamonError> => {
  const decoded = DamonConfig.decodeBase(input)
  if (Result.isFailure(decoded)) return Result.fail(decoded.failure)
  const schemes = decodeSchemes(decoded.success.schemes, decoded.success.base.ops)
  if (Result.isFailure(schemes)) return Result.fail(schemes.failure)
  return Result.succeed({ base: decoded.success.base, schemes: schemes.success })
}

/**
 * Creates a context for a decoded config; cannot fail, since decoding validated everything.
 *
 * **Gotchas**
 * Targets keep the configured regions (aligned to `minRegionSz`); targets without regions are
 * left to the ops set's `init` (vaddr computes them, paddr and fvaddr keep none).
 */
export const buildCtx = (source: CommitSource): DamonCtx.DamonCtx => {
  const config = source.base
  const ctx = DamonCtx.make(config.ops)
  ctx.addrUnit = config.addrUnit
  ctx.minRegionSz = config.minRegionSz
  setAttrs(ctx, config.attrs)
  for (const tc of config.targets) {
    const t = Target.make(tc.pid)
    if (tc.regions.length > 0) Target.setRegions(t, tc.regions, config.minRegionSz)
    ctx.targets.push(t)
  }
  for (const s of source.schemes) ctx.schemes.push(fromConfig(s, ctx))
  return ctx
}
