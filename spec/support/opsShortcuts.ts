/**
 * An ops set without its optional shortcuts (`fixedSchemeScore`, `applyIsNoop`): every score
 * and every action is asked per region, as the kernel asks. Tests that watch each call use it,
 * and the shortcut tests compare runs with and without.
 */
import type { DamonOps } from "../../src/ops/DamonOps.ts"

export const withoutShortcuts = (ops: DamonOps): DamonOps => {
  const { fixedSchemeScore: _score, applyIsNoop: _noop, ...rest } = ops
  return rest
}
