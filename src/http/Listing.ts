/**
 * Bounded directory listings: `GET /admin/<dir>/` answers at most `maxEntries` names, so one
 * request cannot make the endpoint render megabytes (a `tried_regions/` of a million regions, a
 * `kdamonds/` of 65 536). A longer directory is read in pages with `?offset=N&limit=M`; without
 * them it is refused (`413 E2BIG`, the message says how to page), never silently cut. Pure.
 */
import * as Result from "effect/Result"

/** One page of a listing. */
export interface Page {
  readonly names: ReadonlyArray<string>
  /** Entries of the whole directory (sent as `X-Total-Count`). */
  readonly total: number
}

/** A refused listing request. */
export interface ListingError {
  readonly status: number
  readonly errno: string
  readonly message: string
}

const bad = (message: string): Result.Result<never, ListingError> =>
  Result.fail({ status: 400, errno: "EINVAL", message })

/** A query parameter as a non-negative decimal integer, `undefined` when absent. */
const param = (
  query: URLSearchParams,
  name: string,
  min: number,
  max: number
): Result.Result<number | undefined, ListingError> => {
  const values = query.getAll(name)
  if (values.length === 0) return Result.succeed(undefined)
  const text = values[0]!
  if (values.length > 1 || !/^\d{1,10}$/.test(text) || Number(text) < min || Number(text) > max) {
    const shown = JSON.stringify(values.join(",").slice(0, 40))
    return bad(`query parameter ${name}=${shown} is invalid: an integer from ${min} to ${max}`)
  }
  return Result.succeed(Number(text))
}

/** The query string of a request target (`""` when none). */
export const queryOf = (target: string): string => {
  const q = target.indexOf("?")
  if (q < 0) return ""
  const hash = target.indexOf("#", q)
  return target.slice(q + 1, hash < 0 ? undefined : hash)
}

/**
 * The page of `names` a request asks for (`query` is the raw query string).
 *
 * **Details**
 * - No `offset`/`limit`: the whole directory if it has at most `maxEntries` entries, else
 *   `413 E2BIG`.
 * - `offset` (default 0, may be past the end: an empty page) and `limit` (1 to `maxEntries`,
 *   default `maxEntries`): `names.slice(offset, offset + limit)`.
 * - Other parameters are ignored; a malformed `offset`/`limit` is `400 EINVAL`.
 */
export const page = (
  dir: string,
  names: ReadonlyArray<string>,
  query: string,
  maxEntries: number
): Result.Result<Page, ListingError> =>
  Result.gen(function*() {
    const params = new URLSearchParams(query)
    const offset = yield* param(params, "offset", 0, 2 ** 31)
    const limit = yield* param(params, "limit", 1, maxEntries)
    const total = names.length
    if (offset === undefined && limit === undefined) {
      if (total <= maxEntries) return { names, total }
      return yield* Result.fail({
        status: 413,
        errno: "E2BIG",
        message: `${dir}/: ${total} entries, more than one listing returns (${maxEntries}); ` +
          `read it in pages with ?offset=N&limit=M (M at most ${maxEntries})`
      })
    }
    const from = offset ?? 0
    return { names: names.slice(from, from + (limit ?? maxEntries)), total }
  })
