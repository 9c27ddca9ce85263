/**
 * What an operations set may answer, checked where the engine and the apply pass read it: bytes
 * applied and passed within the region (plus a folio's slack), a finite non-negative cost, a `maxNrAccesses` that is a
 * u32, and system metrics that are finite numbers. A hook that answers anything else has failed
 * as surely as one that throws: an {@link OpsFault} is thrown, which stops a kdamond with an
 * `OpsFailed` reason (and fails an offline transform step) before a bad value reaches scheme
 * statistics, quotas or regions.
 */
import { UINT_MAX } from "../internal/uint.ts"
import { renderValue } from "../internal/boundedText.ts"
import type { ApplyResult, SystemMetrics } from "../ops/DamonOps.ts"

/** An ops hook broke its contract: `op` names the hook (`applyScheme`, `system.freeMemRatePermil`). */
export class OpsFault extends Error {
  readonly op: string
  constructor(op: string, message: string) {
    super(message)
    this.op = op
    this.name = "OpsFault"
  }
}

/** The hook name an error should be reported under: an {@link OpsFault}'s own, else `op`. */
export const faultOp = (cause: unknown, op: string): string => (cause instanceof OpsFault ? cause.op : op)

/**
 * How far past a region an action may count bytes: the kernel's action walks step by folio and
 * count whole folios, so the last one may end past the region; a vaddr migration may count two
 * (the kernel's largest folio, a PUD mapping, is 1 GiB).
 */
export const FOLIO_SLACK = 2 * 2 ** 30

const isBytes = (n: unknown, max: number): boolean => typeof n === "number" && Number.isSafeInteger(n) && n >= 0 && n <= max

/**
 * Checks what `applyScheme` wrote into `out` for a region piece of `sz` bytes: `applied` and
 * `filterPassed` are integers in `[0, sz + FOLIO_SLACK]`, `costNs` a finite number `>= 0`.
 */
export const checkApplyResult = (out: ApplyResult, sz: number): void => {
  const max = sz + FOLIO_SLACK
  if (!isBytes(out.applied, max)) {
    throw new OpsFault("applyScheme", `returned applied = ${renderValue(out.applied)} for a ${sz}-byte region: must be an integer in [0, ${max}]`)
  }
  if (!isBytes(out.filterPassed, max)) {
    throw new OpsFault(
      "applyScheme",
      `returned filterPassed = ${renderValue(out.filterPassed)} for a ${sz}-byte region: must be an integer in [0, ${max}]`
    )
  }
  if (typeof out.costNs !== "number" || !Number.isFinite(out.costNs) || out.costNs < 0) {
    throw new OpsFault("applyScheme", `returned costNs = ${renderValue(out.costNs)}: must be a finite number >= 0`)
  }
}

/**
 * Checks `fixedSchemeScore`'s answer for a scheme of `action`: `undefined` (score each region;
 * returned as `NaN`) or a finite number (clamped later, as a per-region score is).
 */
export const checkFixedScore = (v: unknown, action: string): number => {
  if (v === undefined) return Number.NaN
  if (typeof v === "number" && Number.isFinite(v)) return v
  throw new OpsFault("fixedSchemeScore", `returned ${renderValue(v)} for a ${action} scheme: must be a finite number or undefined`)
}

/** Checks `applyIsNoop`'s answer for a scheme of `action`: a boolean. */
export const checkIsNoop = (v: unknown, action: string): boolean => {
  if (typeof v === "boolean") return v
  throw new OpsFault("applyIsNoop", `returned ${renderValue(v)} for a ${action} scheme: must be a boolean`)
}

/** Checks `checkAccesses`'s answer: the largest `nrAccesses`, a u32. */
export const checkMaxNrAccesses = (n: unknown): number => {
  if (typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= UINT_MAX) return n
  throw new OpsFault("checkAccesses", `returned ${renderValue(n)}: must be an integer in [0, ${UINT_MAX}]`)
}

const finite = (op: string, n: unknown): number => {
  if (typeof n === "number" && Number.isFinite(n)) return n
  throw new OpsFault(op, `returned ${renderValue(n)}: must be a finite number`)
}

/** Wraps one metric so a throw or a non-finite answer is an {@link OpsFault} naming it. */
const checked = <Args extends ReadonlyArray<number>>(
  name: string,
  f: (...args: Args) => number
): (...args: Args) => number => {
  const op = `system.${name}`
  return (...args) => {
    let n: unknown
    try {
      n = f(...args)
    } catch (cause) {
      if (cause instanceof OpsFault) throw cause
      throw new OpsFault(op, cause instanceof Error ? cause.message : renderValue(cause))
    }
    return finite(op, n)
  }
}

const wrapped = new WeakMap<SystemMetrics, SystemMetrics>()

/**
 * `metrics` with every reading checked (a throw or a non-finite number is an {@link OpsFault}
 * naming `system.<metric>`). Built once per metrics object and cached, so a pass allocates
 * nothing for it.
 */
export const checkedMetrics = (metrics: SystemMetrics): SystemMetrics => {
  const cached = wrapped.get(metrics)
  if (cached !== undefined) return cached
  const m = metrics
  const out: SystemMetrics = {
    freeMemRatePermil: checked("freeMemRatePermil", (nowUs) => m.freeMemRatePermil(nowUs)),
    someMemPsiTotalUs: checked("someMemPsiTotalUs", (nowUs) => m.someMemPsiTotalUs(nowUs)),
    nodeMemUsedBp: checked("nodeMemUsedBp", (nid, nowUs) => m.nodeMemUsedBp(nid, nowUs)),
    nodeMemFreeBp: checked("nodeMemFreeBp", (nid, nowUs) => m.nodeMemFreeBp(nid, nowUs)),
    nodeMemcgUsedBp: checked("nodeMemcgUsedBp", (nid, memcgId, nowUs) => m.nodeMemcgUsedBp(nid, memcgId, nowUs)),
    activeMemBp: checked("activeMemBp", (nowUs) => m.activeMemBp(nowUs)),
    inactiveMemBp: checked("inactiveMemBp", (nowUs) => m.inactiveMemBp(nowUs)),
    nodeOfAddr: checked("nodeOfAddr", (addr) => m.nodeOfAddr(addr))
  }
  wrapped.set(metrics, out)
  return out
}

/** {@link checkedMetrics} of an optional metrics object. */
export const checkedMetricsOf = (metrics: SystemMetrics | undefined): SystemMetrics | undefined =>
  metrics === undefined ? undefined : checkedMetrics(metrics)
