/**
 * A server that cannot listen, said in one line: the flag, the address and the system's reason
 * (`--port: 8080 is invalid: cannot listen on 127.0.0.1:8080: EADDRINUSE (address already in
 * use)`), instead of an empty `ServeError`.
 */
import * as Effect from "effect/Effect"
import type { HttpServerError } from "effect/http"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"

const reasonOf = (cause: unknown): string => {
  const e = cause as { readonly code?: unknown; readonly message?: unknown } | undefined
  const code = typeof e?.code === "string" ? e.code : undefined
  const message = typeof e?.message === "string" ? e.message : String(cause)
  if (code === "EADDRINUSE") return "EADDRINUSE (address already in use: another server listens there)"
  if (code === "EACCES") return "EACCES (permission denied: ports below 1024 need privileges)"
  if (code === "EADDRNOTAVAIL") return "EADDRNOTAVAIL (no such local address)"
  return code ?? message
}

/** Turns a `ServeError` into an `InvalidArgument` naming `--port` (or `--host`). */
export const explainServeError = (port: number, host: string) =>
<A, E, R>(effect: Effect.Effect<A, E | HttpServerError.ServeError, R>): Effect.Effect<A, E | DamonError, R> =>
  Effect.catchIf(
    effect,
    (e): e is HttpServerError.ServeError => typeof e === "object" && e !== null && "_tag" in e && e._tag === "ServeError",
    (e) => {
      const reason = reasonOf(e.cause)
      const flag = reason.startsWith("EADDRNOTAVAIL") ? "--host" : "--port"
      return Effect.fail(invalidArgument(flag, flag === "--host" ? host : port, `cannot listen on ${host}:${port}: ${reason}`))
    }
  )
