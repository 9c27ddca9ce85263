/**
 * The endpoint's options, checked before anything listens: every bad value is an
 * `InvalidArgument` naming the option, the value (shown cut to a bounded length) and the rule (a
 * port of 70 000 is refused here, not by Node as a `RangeError`). Total: whatever a caller
 * passes (wrong types, throwing getters, Proxies), the answer is a config or that error. Pure.
 */
import * as Result from "effect/Result"
import { DamonError, InvalidArgument } from "../model/DamonError.ts"
import { checkToken } from "./BearerToken.ts"
import { ipLiteral, isLoopback, isWildcard } from "./HostRules.ts"
import { defaultLimits, type ServerLimits } from "./NodeServer.ts"

/** Options of the endpoint (`HttpEndpoint.layer`). */
export interface EndpointOptions {
  /** TCP port; `0` picks a free one (tests). Defaults to 0. */
  readonly port?: number
  /**
   * Address to bind. Defaults to `127.0.0.1`. Anything but a loopback address (or `localhost`)
   * is refused unless {@link allowRemote} is set.
   */
  readonly host?: string
  /** Allows a non-loopback {@link host} (the second, explicit consent). Defaults to false. */
  readonly allowRemote?: boolean
  /**
   * Extra host names accepted in `Host`/`Origin` (the DNS names of a remote bind). `localhost`
   * and the bound address are always accepted.
   */
  readonly allowedHosts?: ReadonlyArray<string>
  /**
   * A bearer token every request must carry (`Authorization: Bearer <token>`); none by default,
   * so plain scripts keep working. See `BearerToken.checkToken` for the rules.
   */
  readonly token?: string
  /** Largest accepted `PUT` body, in bytes (`413 EFBIG` above). Defaults to 1 MiB. */
  readonly maxBodyBytes?: number
  /**
   * Most entries one directory listing returns; a longer directory is read in pages
   * (`?offset=N&limit=M`) and is `413 E2BIG` without them. Defaults to 10 000.
   */
  readonly maxListingEntries?: number
  /** Connection and request limits; each defaults to `NodeServer.defaultLimits`. */
  readonly limits?: Partial<ServerLimits>
  /** Log every request with effect's HTTP logger. Defaults to false. */
  readonly logRequests?: boolean
}

/** The default bind address: loopback only. */
export const defaultHost = "127.0.0.1"

/** Checked options with every default filled in. */
export interface EndpointConfig {
  readonly port: number
  readonly host: string
  readonly allowedHosts: ReadonlyArray<string>
  readonly token: string | undefined
  readonly maxBodyBytes: number
  readonly maxListingEntries: number
  readonly limits: ServerLimits
  readonly logRequests: boolean
}

const defaultMaxBodyBytes = 1 << 20
const defaultMaxListingEntries = 10_000

/** Largest value of a count or byte-size option. */
const maxCount = 1 << 30

/** Largest time option: 24 h (Node's timers take at most 2^31-1 ms). */
const maxTimeMs = 24 * 3600 * 1000

/** Characters of a string value shown in an error. */
const shownChars = 100

/**
 * A value as an error shows it, without touching its properties (it may be a Proxy or have
 * throwing getters): strings quoted and cut, numbers and the like as written, anything else by
 * its kind.
 */
export const shown = (value: unknown): string => {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value.length > shownChars ? `${value.slice(0, shownChars)}...` : value)
    case "number":
    case "boolean":
    case "undefined":
      return String(value)
    case "bigint":
      return `${value}n`
    case "symbol":
      return "(a symbol)"
    case "function":
      return "(a function)"
    default:
      return value === null ? "null" : "(an object)"
  }
}

const invalid = (field: string, value: unknown, rule: string): DamonError =>
  new DamonError({ reason: new InvalidArgument({ field, value: shown(value), rule }) })

const intIn = (
  field: string,
  value: unknown,
  min: number,
  max: number,
  what: string
): Result.Result<number, DamonError> =>
  typeof value === "number" && Number.isInteger(value) && value >= min && value <= max
    ? Result.succeed(value)
    : Result.fail(invalid(field, value, `an integer from ${min} to ${max} (${what})`))

/** Checks a port: 0 to 65535. */
export const checkPort = (port: unknown): Result.Result<number, DamonError> =>
  intIn("port", port, 0, 65535, "a TCP port; 0 = any free port")

/**
 * Checks a bind address: a loopback address or `localhost`, or, with `allowRemote`, any address
 * literal or host name.
 */
export const checkHost = (host: unknown, allowRemote: boolean): Result.Result<string, DamonError> => {
  if (typeof host !== "string" || host === "" || host.length > 253 || /[\s/]/.test(host)) {
    return Result.fail(invalid("host", host, "an IP address or host name"))
  }
  if (allowRemote) return Result.succeed(host)
  const literal = ipLiteral(host)
  if (host.toLowerCase() === "localhost" || (literal !== undefined && isLoopback(literal))) {
    return Result.succeed(host)
  }
  const what = literal !== undefined && isWildcard(literal) ? "every address" : "a non-loopback address"
  return Result.fail(invalid(
    "host",
    host,
    `${what}: the endpoint would be reachable from other machines; ` +
      "pass allowRemote (--allow-remote) to bind it anyway, with a token"
  ))
}

/** The range of each limit, and what it counts. */
const limitRules: { readonly [K in keyof ServerLimits]: readonly [min: number, max: number, what: string] } = {
  maxConnections: [1, maxCount, "open connections"],
  maxActivePerConnection: [1, 1024, "requests of one connection handled at once"],
  maxActiveRequests: [1, 65536, "requests handled at once"],
  maxStartsPerTurn: [1, 65536, "waiting requests started per event-loop turn"],
  maxWaitingPerConnection: [1, 65536, "pipelined requests waiting on one connection"],
  maxRequestsPerConnection: [1, maxCount, "requests per connection"],
  headersTimeoutMs: [1, maxTimeMs, "milliseconds"],
  requestTimeoutMs: [1, maxTimeMs, "milliseconds"],
  keepAliveTimeoutMs: [1, maxTimeMs, "milliseconds"],
  idleTimeoutMs: [1, maxTimeMs, "milliseconds"],
  maxHeaderBytes: [1024, maxCount, "bytes"],
  shutdownGraceMs: [0, maxTimeMs, "milliseconds"]
}

const checkLimits = (given: unknown): Result.Result<ServerLimits, DamonError> =>
  Result.gen(function*() {
    if (given !== undefined && (typeof given !== "object" || given === null)) {
      return yield* Result.fail(invalid("limits", given, "an object of limits"))
    }
    const record = (given ?? {}) as Partial<Record<keyof ServerLimits, unknown>>
    const limit = (key: keyof ServerLimits) => {
      const [min, max, what] = limitRules[key]
      return intIn(`limits.${key}`, record[key] ?? defaultLimits[key], min, max, what)
    }
    const limits: ServerLimits = {
      maxConnections: yield* limit("maxConnections"),
      maxActivePerConnection: yield* limit("maxActivePerConnection"),
      maxActiveRequests: yield* limit("maxActiveRequests"),
      maxStartsPerTurn: yield* limit("maxStartsPerTurn"),
      maxWaitingPerConnection: yield* limit("maxWaitingPerConnection"),
      maxRequestsPerConnection: yield* limit("maxRequestsPerConnection"),
      headersTimeoutMs: yield* limit("headersTimeoutMs"),
      requestTimeoutMs: yield* limit("requestTimeoutMs"),
      keepAliveTimeoutMs: yield* limit("keepAliveTimeoutMs"),
      idleTimeoutMs: yield* limit("idleTimeoutMs"),
      maxHeaderBytes: yield* limit("maxHeaderBytes"),
      shutdownGraceMs: yield* limit("shutdownGraceMs")
    }
    if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
      return yield* Result.fail(invalid(
        "limits.headersTimeoutMs",
        limits.headersTimeoutMs,
        `at most limits.requestTimeoutMs (${limits.requestTimeoutMs})`
      ))
    }
    return limits
  })

/** A caught exception's message, read without trusting it. */
const describeThrown = (e: unknown): string => {
  try {
    const message = e instanceof Error ? e.message : undefined
    return typeof message === "string" ? shown(message) : shown(e)
  } catch {
    return "(unreadable)"
  }
}

const checkAllowedHosts = (given: unknown): Result.Result<ReadonlyArray<string>, DamonError> => {
  if (given === undefined) return Result.succeed([])
  if (!Array.isArray(given) || given.length > 64) {
    return Result.fail(invalid("allowedHosts", given, "an array of at most 64 host names"))
  }
  const names: Array<string> = []
  for (const name of given as ReadonlyArray<unknown>) {
    if (typeof name !== "string" || name === "" || name.length > 253 || /[\s/@:]/.test(name)) {
      return Result.fail(invalid("allowedHosts", name, "a host name, without port"))
    }
    names.push(name)
  }
  return Result.succeed(names)
}

const optionalBoolean = (field: string, value: unknown): Result.Result<boolean, DamonError> =>
  value === undefined || typeof value === "boolean"
    ? Result.succeed(value === true)
    : Result.fail(invalid(field, value, "true or false"))

const checkAll = (options: EndpointOptions): Result.Result<EndpointConfig, DamonError> =>
  Result.gen(function*() {
    const port = yield* checkPort(options.port ?? 0)
    const allowRemote = yield* optionalBoolean("allowRemote", options.allowRemote)
    const host = yield* checkHost(options.host ?? defaultHost, allowRemote)
    const givenToken: unknown = options.token
    if (givenToken !== undefined && typeof givenToken !== "string") {
      return yield* Result.fail(invalid("token", "(not shown)", "a string"))
    }
    const token = givenToken === undefined ? undefined : yield* checkToken("token", givenToken)
    const maxBodyBytes = yield* intIn("maxBodyBytes", options.maxBodyBytes ?? defaultMaxBodyBytes, 1, maxCount, "bytes")
    const maxListingEntries = yield* intIn(
      "maxListingEntries",
      options.maxListingEntries ?? defaultMaxListingEntries,
      1,
      maxCount,
      "entries"
    )
    const limits = yield* checkLimits(options.limits)
    const allowedHosts = yield* checkAllowedHosts(options.allowedHosts)
    const logRequests = yield* optionalBoolean("logRequests", options.logRequests)
    return { port, host, allowedHosts, token, maxBodyBytes, maxListingEntries, limits, logRequests }
  })

/**
 * Checks every option and fills in the defaults. Options that cannot even be read (a throwing
 * getter, a revoked Proxy) are an `InvalidArgument` of `options`.
 */
export const resolve = (options: EndpointOptions = {}): Result.Result<EndpointConfig, DamonError> => {
  try {
    if (typeof options !== "object" || options === null) {
      return Result.fail(invalid("options", options, "an object of endpoint options"))
    }
    return checkAll(options)
  } catch (e) {
    return Result.fail(invalid("options", "(unreadable)", `reading them threw ${describeThrown(e)}`))
  }
}
