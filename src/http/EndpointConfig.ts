/**
 * The endpoint's options, checked before anything listens: every bad value is an
 * `InvalidArgument` naming the option, the value and the rule (a port of 70 000 is refused here,
 * not by Node as a `RangeError`). Pure.
 */
import { Result } from "effect"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
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

const intIn = (
  field: string,
  value: number,
  min: number,
  max: number,
  what: string
): Result.Result<number, DamonError> =>
  Number.isInteger(value) && value >= min && value <= max
    ? Result.succeed(value)
    : Result.fail(invalidArgument(field, value, `an integer from ${min} to ${max} (${what})`))

/** Checks a port: 0 to 65535. */
export const checkPort = (port: number): Result.Result<number, DamonError> =>
  intIn("port", port, 0, 65535, "a TCP port; 0 = any free port")

/**
 * Checks a bind address: a loopback address or `localhost`, or, with `allowRemote`, any address
 * literal or host name.
 */
export const checkHost = (host: string, allowRemote: boolean): Result.Result<string, DamonError> => {
  if (host === "" || /[\s/]/.test(host)) {
    return Result.fail(invalidArgument("host", host, "an IP address or host name"))
  }
  if (allowRemote) return Result.succeed(host)
  const literal = ipLiteral(host)
  if (host.toLowerCase() === "localhost" || (literal !== undefined && isLoopback(literal))) {
    return Result.succeed(host)
  }
  const what = literal !== undefined && isWildcard(literal) ? "every address" : "a non-loopback address"
  return Result.fail(invalidArgument(
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

const checkLimits = (given: Partial<ServerLimits> = {}): Result.Result<ServerLimits, DamonError> =>
  Result.gen(function*() {
    const limit = (key: keyof ServerLimits) => {
      const [min, max, what] = limitRules[key]
      return intIn(`limits.${key}`, given[key] ?? defaultLimits[key], min, max, what)
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
      return yield* Result.fail(invalidArgument(
        "limits.headersTimeoutMs",
        limits.headersTimeoutMs,
        `at most limits.requestTimeoutMs (${limits.requestTimeoutMs})`
      ))
    }
    return limits
  })

/** Checks every option and fills in the defaults. */
export const resolve = (options: EndpointOptions = {}): Result.Result<EndpointConfig, DamonError> =>
  Result.gen(function*() {
    const port = yield* checkPort(options.port ?? 0)
    const host = yield* checkHost(options.host ?? defaultHost, options.allowRemote === true)
    const token = options.token === undefined ? undefined : yield* checkToken("token", options.token)
    const maxBodyBytes = yield* intIn("maxBodyBytes", options.maxBodyBytes ?? defaultMaxBodyBytes, 1, maxCount, "bytes")
    const maxListingEntries = yield* intIn(
      "maxListingEntries",
      options.maxListingEntries ?? defaultMaxListingEntries,
      1,
      maxCount,
      "entries"
    )
    const limits = yield* checkLimits(options.limits)
    const allowedHosts = options.allowedHosts ?? []
    for (const name of allowedHosts) {
      if (name === "" || /[\s/@:]/.test(name)) {
        return yield* Result.fail(invalidArgument("allowedHosts", name, "a host name, without port"))
      }
    }
    return {
      port,
      host,
      allowedHosts,
      token,
      maxBodyBytes,
      maxListingEntries,
      limits,
      logRequests: options.logRequests === true
    }
  })
