/**
 * Which `effect-damon serve` a command talks to: `--server <url>`, else the environment variable
 * `EFFECT_DAMON_SERVER` (so a shell session sets it once, as damo users rely on one machine's
 * sysfs). Commands that need a server and have none fail with one line saying how to get one.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"

/** The environment variable naming the default server. */
export const serverEnv = "EFFECT_DAMON_SERVER"

const URL_RULE = /^https?:\/\/[^\s/]+/

/** The server to use, if any: the flag, else the environment; a malformed URL is refused. */
export const serverOf = (flag: Option.Option<string>): Effect.Effect<string | undefined, DamonError> =>
  Effect.suspend(() => {
    if (Option.isSome(flag)) return Effect.succeed(flag.value)
    const env = process.env[serverEnv]
    if (env === undefined || env === "") return Effect.succeed(undefined)
    return URL_RULE.test(env) ? Effect.succeed(env) : Effect.fail(invalidArgument(serverEnv, env, "must be an http:// URL of a running `effect-damon serve`"))
  })

/** The server to use; none is an error naming `--server` and how to start one. */
export const requireServer = (flag: Option.Option<string>): Effect.Effect<string, DamonError> =>
  Effect.flatMap(serverOf(flag), (url) =>
    url !== undefined
      ? Effect.succeed(url)
      : Effect.fail(invalidArgument("--server", "(none)", `no server: start one with 'effect-damon serve --port 8080', then pass --server http://127.0.0.1:8080 or set ${serverEnv}`)))
