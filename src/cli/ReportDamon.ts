/**
 * `report damon` (damo's `report damon`, formerly `show`): every kdamond of a running `serve` as
 * damo reads it: `update_schemes_stats`, `update_schemes_effective_quotas` and
 * `update_tuned_intervals` first (and `update_schemes_tried_regions` with `--tried_regions`),
 * then the files. Printed as an indented tree of damo's kdamonds JSON fields (parameters in
 * damo's value syntax), plus state, pid, scheme stats and tried regions; `--json` prints the
 * kdamonds JSON itself, which `start --kdamonds` (and damo) read back.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import { toKdamondsJson } from "../damo/KdamondsJsonWrite.ts"
import { type AdminTree, httpClientLayer, overHttp, type TreeError } from "./AdminTree.ts"
import { requireServer } from "./ServerUrl.ts"
import { command } from "./Staging.ts"
import { type KdamondRead, nrKdamonds, readKdamond, readTriedRegions } from "./TreeRead.ts"

/** Options of `report damon`. */
export interface ReportDamonOptions {
  readonly server: Option.Option<string>
  readonly kdamond: Option.Option<number>
  readonly json: boolean
  readonly raw: boolean
  readonly triedRegions: boolean
}

type Json = Record<string, unknown>

const statFiles = ["nr_tried", "sz_tried", "nr_applied", "sz_applied", "sz_ops_filter_passed", "qt_exceeds", "nr_snapshots"] as const

/** One kdamond as damo's kdamonds JSON object, with its runtime fields. */
export const kdamondJson = (tree: AdminTree, read: KdamondRead, raw: boolean, tried: boolean): Effect.Effect<Json, TreeError> =>
  Effect.gen(function*() {
    const base: Json = { state: read.state, pid: read.state === "on" ? read.pid : null, refresh_ms: Number(read.files.get(`kdamonds/${read.index}/refresh_ms`) ?? 0) }
    if (Result.isFailure(read.config)) return { ...base, contexts: [], note: read.config.failure.message }
    const written = toKdamondsJson([read.config.success], { raw })
    if (Result.isFailure(written)) return { ...base, contexts: [], note: written.failure.message }
    const kd = written.success.json.kdamonds[0]!
    const ctx = { ...((kd["contexts"] as ReadonlyArray<Json>)[0]!) }
    const schemes: Array<Json> = []
    const list = ctx["schemes"] as ReadonlyArray<Json>
    for (let s = 0; s < list.length; s++) {
      const dir = `kdamonds/${read.index}/contexts/0/schemes/${s}`
      const stats: Json = {}
      for (const f of statFiles) stats[f] = Number(read.files.get(`${dir}/stats/${f}`) ?? 0)
      const scheme: Json = { ...list[s], stats }
      const effective = read.files.get(`${dir}/quotas/effective_bytes`)
      if (effective !== undefined) scheme["effective_sz_bytes"] = Number(effective)
      if (tried) {
        const t = yield* readTriedRegions(tree, dir)
        scheme["tried_regions"] = t.regions.map((r) => ({
          start: r.start,
          end: r.end,
          nr_accesses: `${r.nrAccesses} samples`,
          age: `${r.age} aggr_intervals`,
          sz_filter_passed: r.szFilterPassed
        }))
        scheme["tried_regions_total_bytes"] = t.totalBytes
      }
      schemes.push(scheme)
    }
    ctx["schemes"] = schemes
    return { ...base, contexts: [ctx] }
  })

const singular: Readonly<Record<string, string>> = {
  kdamonds: "kdamond",
  contexts: "context",
  targets: "target",
  schemes: "scheme",
  filters: "filter",
  goals: "goal",
  regions: "region",
  tried_regions: "tried region",
  dests: "dest"
}

/** damo's indented text of a kdamonds JSON value. */
export const formatTree = (value: unknown, indent = ""): Array<string> => {
  const lines: Array<string> = []
  if (value === null || typeof value !== "object") return [`${indent}${String(value)}`]
  for (const [key, v] of Object.entries(value)) {
    if (Array.isArray(v)) {
      if (v.length === 0) {
        lines.push(`${indent}${key}: none`)
        continue
      }
      const name = singular[key] ?? key
      v.forEach((item, i) => {
        if (item !== null && typeof item === "object") {
          lines.push(`${indent}${name} ${i}`)
          lines.push(...formatTree(item, `${indent}    `))
        } else lines.push(`${indent}${name} ${i}: ${String(item)}`)
      })
    } else if (v !== null && typeof v === "object") {
      lines.push(`${indent}${key}`)
      lines.push(...formatTree(v, `${indent}    `))
    } else lines.push(`${indent}${key}: ${v === null ? "none" : String(v)}`)
  }
  return lines
}

/** Reads kdamond `index` after damo's update commands (when it runs). */
export const updatedKdamond = (tree: AdminTree, index: number, tried: boolean): Effect.Effect<KdamondRead, TreeError> =>
  Effect.gen(function*() {
    if ((yield* tree.read(`kdamonds/${index}/state`)).trim() === "on") {
      const hasSchemes = Number((yield* Effect.orElseSucceed(tree.read(`kdamonds/${index}/contexts/0/schemes/nr_schemes`), () => "0")).trim()) > 0
      yield* command(tree, index, "update_schemes_stats")
      yield* command(tree, index, "update_schemes_effective_quotas")
      yield* command(tree, index, "update_tuned_intervals")
      if (tried && hasSchemes) yield* command(tree, index, "update_schemes_tried_regions")
    }
    return yield* readKdamond(tree, index, { readOnly: true })
  })

/** `effect-damon report damon`. */
export const runReportDamon = (o: ReportDamonOptions): Effect.Effect<void, TreeError> =>
  Effect.gen(function*() {
    const server = yield* requireServer(o.server)
    yield* Effect.gen(function*() {
      const tree = yield* overHttp(server)
      const n = yield* nrKdamonds(tree)
      const which = Option.isSome(o.kdamond) ? [o.kdamond.value] : Array.from({ length: n }, (_, i) => i)
      const kdamonds: Array<Json> = []
      for (const k of which) kdamonds.push(yield* kdamondJson(tree, yield* updatedKdamond(tree, k, o.triedRegions), o.raw, o.triedRegions))
      if (o.json) return yield* Console.log(JSON.stringify({ kdamonds }, null, 4))
      if (kdamonds.length === 0) return yield* Console.log(`no kdamond on ${server} (kdamonds/nr_kdamonds is 0)`)
      const lines = kdamonds.flatMap((kd, i) => [`kdamond ${which[i]}`, ...formatTree(kd, "    ")])
      yield* Console.log(lines.join("\n"))
    }).pipe(Effect.withSpan("effect-damon report damon"), Effect.provide(httpClientLayer))
  })
