/**
 * The `/admin/...` part of an HTTP request URL, turned into a path of the admin tree
 * (`kdamonds/0/state`) and whether the client asked for a file or a directory listing (trailing
 * slash). The HTTP counterpart of the VFS path walk that ends in `/sys/kernel/mm/damon/admin`;
 * it only refuses what would leave the tree and never looks the path up (the `Sysfs` service does).
 * Pure.
 */
import * as Result from "effect/Result"
import type { DamonError } from "../model/DamonError.ts"
import { fault, toError } from "../sysfs/SysfsError.ts"

/** Where admin paths are mounted on the HTTP endpoint. */
export const adminPrefix = "/admin"

/** A request for one node of the admin tree. */
export interface AdminTarget {
  /** `"dir"` when the URL ends with `/` (a listing), `"file"` otherwise (the file's text). */
  readonly kind: "file" | "dir"
  /** The path relative to the admin root, segments decoded and joined with `/` (`""` = the root). */
  readonly path: string
}

const refuse = (shown: string, rule: string): Result.Result<AdminTarget, DamonError> =>
  Result.fail(toError(shown, undefined, fault("ENOENT", rule)))

/**
 * Parses a request target (`/admin/kdamonds/0/state?x`, as it arrives on the wire) into an
 * {@link AdminTarget}. Anything that could reach outside the admin tree is `ENOENT`, checked
 * after percent-decoding each segment: `.` and `..` segments (plain or encoded, `%2e%2e`), an
 * encoded `/` or `\` inside a segment (`..%2f..`), NUL, empty segments (`a//b`, an absolute path
 * smuggled as `/admin//etc`), and malformed percent-encoding. `undefined` when the target is not
 * under {@link adminPrefix} at all.
 *
 * **Details**
 * The query string and fragment are ignored. `/admin` is the root as a file (reading it is the
 * tree's `EISDIR`), `/admin/` the root's listing.
 */
export const parseAdminTarget = (target: string): Result.Result<AdminTarget, DamonError> | undefined => {
  const end = target.search(/[?#]/)
  const pathname = end < 0 ? target : target.slice(0, end)
  if (pathname === adminPrefix) return Result.succeed({ kind: "file", path: "" })
  if (!pathname.startsWith(`${adminPrefix}/`)) return undefined
  const rest = pathname.slice(adminPrefix.length + 1)
  if (rest === "") return Result.succeed({ kind: "dir", path: "" })
  const kind = rest.endsWith("/") ? "dir" : "file"
  const raw = (kind === "dir" ? rest.slice(0, -1) : rest).split("/")
  const segments: Array<string> = []
  for (const r of raw) {
    let s: string
    try {
      s = decodeURIComponent(r)
    } catch {
      return refuse(rest, "malformed percent-encoding")
    }
    if (s === "") return refuse(rest, "empty path segment (absolute paths lead outside the admin tree)")
    if (s === "." || s === "..") return refuse(rest, "'.' and '..' lead outside the admin tree")
    if (/[/\\\0]/.test(s)) return refuse(rest, "a segment may not contain '/', '\\' or NUL")
    segments.push(s)
  }
  return Result.succeed({ kind, path: segments.join("/") })
}
