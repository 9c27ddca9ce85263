/**
 * The endpoint's optional bearer token, for machines shared with other users (any local user can
 * connect to a loopback port): its rules, its file, and a comparison whose time does not depend
 * on where a guess goes wrong.
 */
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import { createHash, timingSafeEqual } from "node:crypto"
import { readFileSync, statSync } from "node:fs"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"

/** Shortest token accepted: anything shorter can be guessed over loopback. */
export const minTokenChars = 16

/** Longest token accepted (it travels in a header). */
export const maxTokenChars = 1024

/**
 * Checks a token: {@link minTokenChars} to {@link maxTokenChars} characters of RFC 6750's
 * `b64token` (`A-Z a-z 0-9 - . _ ~ + /`, then `=` padding). Errors never show the token.
 */
export const checkToken = (field: string, token: string): Result.Result<string, DamonError> => {
  const hidden = `(${token.length} characters, not shown)`
  if (token.length < minTokenChars || token.length > maxTokenChars) {
    return Result.fail(invalidArgument(field, hidden, `a token has ${minTokenChars} to ${maxTokenChars} characters`))
  }
  if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(token)) {
    return Result.fail(invalidArgument(field, hidden, "a token uses only A-Z a-z 0-9 - . _ ~ + / (then = padding)"))
  }
  return Result.succeed(token)
}

/**
 * A comparison with `token` taking the same time for every presented value: both are hashed
 * (SHA-256) and the digests compared with `timingSafeEqual`, so neither a length nor a prefix
 * leaks.
 */
export const matcher = (token: string): (presented: string) => boolean => {
  const expected = createHash("sha256").update(token).digest()
  return (presented) => timingSafeEqual(createHash("sha256").update(presented).digest(), expected)
}

/**
 * Reads a token file (`--token-file`): its content without the trailing newline, checked by
 * {@link checkToken}. Refused when other users may read it (mode bits `0o077`), as `ssh` refuses
 * a private key: the token would protect nothing.
 */
export const readTokenFile = (path: string): Effect.Effect<string, DamonError> =>
  Effect.suspend(() => {
    const field = "token-file"
    let text: string
    let mode: number
    try {
      mode = statSync(path).mode
      text = readFileSync(path, "utf8")
    } catch (e) {
      return Effect.fail(invalidArgument(field, path, `cannot be read: ${e instanceof Error ? e.message : String(e)}`))
    }
    if (process.platform !== "win32" && (mode & 0o077) !== 0) {
      const octal = (mode & 0o777).toString(8).padStart(3, "0")
      return Effect.fail(
        invalidArgument(field, path, `is accessible to other users (mode ${octal}); chmod 600 it`)
      )
    }
    return Effect.fromResult(checkToken(field, text.replace(/\r?\n$/, "")))
  })
