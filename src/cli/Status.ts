/**
 * `status`: what a running `serve` is doing, in a few lines per kdamond: state and pid, the
 * operations set, targets and intervals, each scheme with its stats (after
 * `update_schemes_stats`), and the kdamond's counters from `GET /metrics`. The same HTTP
 * requests a script would make.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import { formatSize } from "../report/Units.ts"
import { getText, httpClientLayer, overHttp, type TreeError } from "./AdminTree.ts"
import { updatedKdamond } from "./ReportDamon.ts"
import { requireServer } from "./ServerUrl.ts"
import { nrKdamonds } from "./TreeRead.ts"

/** Options of `status`. */
export interface StatusOptions {
  readonly server: Option.Option<string>
}

const us = (x: number): string => (x >= 1e6 ? `${x / 1e6} s` : x >= 1e3 ? `${x / 1e3} ms` : `${x} us`)

/** The value of a Prometheus sample `name{kdamond="k"}`, if present. */
export const metricOf = (text: string, name: string, kdamond: number): number | undefined => {
  const m = new RegExp(`^${name}\\{kdamond="${kdamond}"\\} (\\S+)$`, "m").exec(text)
  return m === null ? undefined : Number(m[1])
}

/** `effect-damon status`. */
export const runStatus = (o: StatusOptions): Effect.Effect<void, TreeError> =>
  Effect.gen(function*() {
    const server = yield* requireServer(o.server)
    yield* Effect.gen(function*() {
      const tree = yield* overHttp(server)
      const n = yield* nrKdamonds(tree)
      const metrics = yield* getText(server, "/metrics")
      yield* Console.log(`${server}: ${n} kdamond${n === 1 ? "" : "s"}`)
      for (let k = 0; k < n; k++) {
        const read = yield* updatedKdamond(tree, k, false)
        yield* Console.log(`kdamond ${k}: ${read.state}${read.state === "on" ? `, pid ${read.pid}` : ""}`)
        if (Result.isFailure(read.config)) {
          yield* Console.log(`    (not set up: ${read.config.failure.message})`)
          continue
        }
        const c = read.config.success
        const a = c.attrs
        const targets = c.targets.map((t) => (t.pid === null ? "physical memory" : `pid ${t.pid}`)).join(", ")
        yield* Console.log(`    ${c.ops} on ${targets}; sample ${us(a.sampleIntervalUs)}, aggr ${us(a.aggrIntervalUs)}, update ${us(a.opsUpdateIntervalUs)}; ${a.minNrRegions}..${a.maxNrRegions} regions`)
        for (let s = 0; s < c.schemes.length; s++) {
          const st = (f: string) => Number(read.files.get(`kdamonds/${k}/contexts/0/schemes/${s}/stats/${f}`) ?? 0)
          yield* Console.log(
            `    scheme ${s}: ${c.schemes[s]!.action}; tried ${st("nr_tried")} regions (${formatSize(st("sz_tried"))}), ` +
              `applied ${st("nr_applied")} (${formatSize(st("sz_applied"))}), quota exceeded ${st("qt_exceeds")} times`
          )
        }
        const samples = metricOf(metrics, "damon_kdamond_samples_total", k)
        const aggregations = metricOf(metrics, "damon_kdamond_aggregations_total", k)
        const regions = metricOf(metrics, "damon_kdamond_nr_regions", k)
        if (samples !== undefined) yield* Console.log(`    ${samples} samples, ${aggregations ?? 0} aggregations, ${regions ?? 0} regions now`)
      }
    }).pipe(Effect.withSpan("effect-damon status"), Effect.provide(httpClientLayer))
  })
