/**
 * What a file operation of the admin tree is given, checked before the tree is touched: the path
 * (relative, inside the tree), the pages a long write is cut into, and the write's `timeout`
 * option. Pure; untrusted input (non-strings, hostile option objects) becomes `InvalidArgument`.
 */
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import { excerpt, fault, toError } from "./SysfsError.ts"

/** Options of one write. */
export interface WriteOptions {
  /**
   * How long a `state` command may wait for its kdamond (a `damonCall`, or a `damosWalk` that
   * waits for a scheme's next apply pass). When it passes, the request is withdrawn and the
   * write fails `ECANCELED`. Default: no bound (interrupting the writing fiber also withdraws).
   */
  readonly timeout?: Duration.Input
}

const admin = "/sys/kernel/mm/damon/admin"

/** Splits a relative path; absolute paths and `.`/`..` segments are outside the tree. */
export const parsePath = (path: unknown): Result.Result<ReadonlyArray<string>, DamonError> => {
  if (typeof path !== "string") return Result.fail(invalidArgument("path", typeof path, "must be a string"))
  if (path.startsWith("/")) {
    return Result.fail(toError(path, undefined, fault("ENOENT", `paths are relative to ${admin}`)))
  }
  const segments = path.split("/").filter((s) => s !== "")
  if (segments.some((s) => s === "." || s === "..")) {
    return Result.fail(toError(path, undefined, fault("ENOENT", "'.' and '..' lead outside the admin tree")))
  }
  return Result.succeed(segments)
}

/** `PAGE_SIZE`: the most kernfs hands to one sysfs `store` call. */
const PAGE_SIZE = 4096

/**
 * The pieces a `write(2)` loop hands to a sysfs `store`, produced one at a time (a check can stop
 * at the first bad one): kernfs passes at most `PAGE_SIZE` bytes per call
 * (`kernfs_fop_write_iter()`), and a writer retries the short write with the rest. Pages end on
 * a character boundary (the kernel would cut a UTF-8 sequence and see two broken halves).
 */
export function* pages(text: string): Generator<string> {
  if (text.length * 3 <= PAGE_SIZE) return yield text
  const encoder = new TextEncoder()
  const decoder = new TextDecoder()
  const buf = new Uint8Array(PAGE_SIZE)
  let at = 0
  while (at < text.length) {
    let end = Math.min(at + PAGE_SIZE, text.length)
    // Never cut a surrogate pair: encodeInto would see a lone high surrogate.
    const last = text.charCodeAt(end - 1)
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--
    const { read, written } = encoder.encodeInto(text.slice(at, end), buf)
    if (at === 0 && read === text.length) return yield text
    yield decoder.decode(buf.subarray(0, written))
    at += read
  }
}

/** The timeout of a write's options, or the `InvalidArgument` naming it. */
export const timeoutOf = (options: WriteOptions | undefined): Result.Result<Duration.Duration | undefined, DamonError> => {
  const rule = "must be a non-negative duration (milliseconds or a Duration input such as \"5 seconds\")"
  try {
    if (options === undefined || options.timeout === undefined) return Result.succeed(undefined)
    const input = options.timeout
    const d = typeof input === "number" && Number.isNaN(input) ? Option.none() : Duration.fromInput(input)
    if (Option.isSome(d) && !Duration.isNegative(d.value)) return Result.succeed(d.value)
    const shown = typeof input === "string" || typeof input === "number" ? excerpt(String(input)) : typeof input
    return Result.fail(invalidArgument("options.timeout", shown, rule))
  } catch {
    // A hostile options object (a throwing getter, a Proxy): refused, never a defect.
    return Result.fail(invalidArgument("options", "(unreadable)", "must be a plain object with an optional timeout"))
  }
}
