/**
 * The one public error of effect-damon: `DamonError`, carrying a tagged `reason` that mirrors
 * the kernel's errno (handle a reason with `Effect.catchReason("DamonError", "Busy", ...)`).
 */
import { Data } from "effect"

/** Bad input (`-EINVAL`): names the field, the value and the rule it breaks. */
export class InvalidArgument extends Data.TaggedError("InvalidArgument")<{
  readonly field: string
  readonly value: string
  readonly rule: string
}> {
  override get message(): string {
    return `${this.field}: ${this.value} is invalid: ${this.rule}`
  }
}

/** The resource is taken (`-EBUSY`): a second walk, a second `on`, an exclusive user running. */
export class Busy extends Data.TaggedError("Busy")<{ readonly what: string }> {
  override get message(): string {
    return `busy: ${this.what}`
  }
}

/** The request was cancelled before completion (`-ECANCELED`), e.g. because kdamond stopped. */
export class Canceled extends Data.TaggedError("Canceled")<{ readonly why: string }> {
  override get message(): string {
    return `canceled: ${this.why}`
  }
}

/**
 * The kdamond is not running (`-EPERM`, what `damon_stop()` answers for a context that is not
 * running). Every request made after a kdamond stopped fails with it; the kernel's `damon_call()`
 * and `damos_walk()` answer `-ECANCELED` there (see docs/kernel-differences.md).
 */
export class NotRunning extends Data.TaggedError("NotRunning")<{ readonly what: string }> {
  override get message(): string {
    return `not running: ${this.what}`
  }
}

/** No such entry (`-ENOENT`), e.g. a path outside the admin tree. */
export class NotFound extends Data.TaggedError("NotFound")<{ readonly what: string }> {
  override get message(): string {
    return `not found: ${this.what}`
  }
}

/** Operation not permitted in this state (`-EPERM`). */
export class PermissionDenied extends Data.TaggedError("PermissionDenied")<{ readonly what: string }> {
  override get message(): string {
    return `not permitted: ${this.what}`
  }
}

/** A user function run inside kdamond (damonCall fn, damosWalk walkFn) threw (`-EFAULT`). */
export class CallbackFailed extends Data.TaggedError("CallbackFailed")<{
  readonly what: string
  readonly cause: unknown
}> {
  override get message(): string {
    return `${this.what} threw: ${describe(this.cause)}`
  }
}

/** The operations set failed (`-EIO`); kdamond stops cleanly and reports this as its exit reason. */
export class OpsFailed extends Data.TaggedError("OpsFailed")<{
  readonly op: string
  readonly cause: unknown
}> {
  override get message(): string {
    return `ops ${this.op} failed: ${describe(this.cause)}`
  }
}

/** A number that does not fit its field (`-ERANGE`), e.g. a sysfs write beyond `ULONG_MAX`. */
export class OutOfRange extends Data.TaggedError("OutOfRange")<{
  readonly field: string
  readonly value: string
  readonly rule: string
}> {
  override get message(): string {
    return `${this.field}: ${this.value} is out of range: ${this.rule}`
  }
}

/** Access to a file denied by its mode (`-EACCES`), e.g. writing a read-only sysfs file. */
export class AccessDenied extends Data.TaggedError("AccessDenied")<{ readonly what: string }> {
  override get message(): string {
    return `access denied: ${this.what}`
  }
}

/** A directory where a file was expected (`-EISDIR`), or a file where a directory was (`-ENOTDIR`). */
export class WrongFileType extends Data.TaggedError("WrongFileType")<{
  readonly what: string
  readonly expected: "file" | "directory"
}> {
  override get message(): string {
    return `${this.what}: not a ${this.expected}`
  }
}

/** A request larger than the implementation accepts (`-ENOMEM`), e.g. millions of sysfs directories. */
export class OutOfMemory extends Data.TaggedError("OutOfMemory")<{ readonly what: string }> {
  override get message(): string {
    return `out of memory: ${this.what}`
  }
}

/** Every reason a `DamonError` can carry. */
export type Reason =
  | InvalidArgument
  | Busy
  | Canceled
  | NotRunning
  | NotFound
  | PermissionDenied
  | CallbackFailed
  | OpsFailed
  | OutOfRange
  | AccessDenied
  | WrongFileType
  | OutOfMemory

/** The errno name each reason renders to (sysfs, HTTP). */
export const errnoOf: Record<Reason["_tag"], string> = {
  InvalidArgument: "EINVAL",
  Busy: "EBUSY",
  Canceled: "ECANCELED",
  NotRunning: "EPERM",
  NotFound: "ENOENT",
  PermissionDenied: "EPERM",
  CallbackFailed: "EFAULT",
  OpsFailed: "EIO",
  OutOfRange: "ERANGE",
  AccessDenied: "EACCES",
  WrongFileType: "EISDIR",
  OutOfMemory: "ENOMEM"
}

/** The public error: a reason plus its errno. */
export class DamonError extends Data.TaggedError("DamonError")<{ readonly reason: Reason }> {
  override get message(): string {
    return this.reason.message
  }
  /** The kernel errno name for this error (`EINVAL`, `EBUSY`, ...). */
  get errno(): string {
    const reason = this.reason
    return reason._tag === "WrongFileType" && reason.expected === "directory" ? "ENOTDIR" : errnoOf[reason._tag]
  }
}

const describe = (u: unknown): string => (u instanceof Error ? u.message : String(u))

/** Shorthand constructors. */
export const invalidArgument = (field: string, value: unknown, rule: string): DamonError =>
  new DamonError({ reason: new InvalidArgument({ field, value: formatValue(value), rule }) })
export const busy = (what: string): DamonError => new DamonError({ reason: new Busy({ what }) })
export const canceled = (why: string): DamonError => new DamonError({ reason: new Canceled({ why }) })
export const notRunning = (what: string): DamonError => new DamonError({ reason: new NotRunning({ what }) })
export const notFound = (what: string): DamonError => new DamonError({ reason: new NotFound({ what }) })
export const permissionDenied = (what: string): DamonError =>
  new DamonError({ reason: new PermissionDenied({ what }) })
export const callbackFailed = (what: string, cause: unknown): DamonError =>
  new DamonError({ reason: new CallbackFailed({ what, cause }) })
export const opsFailed = (op: string, cause: unknown): DamonError =>
  new DamonError({ reason: new OpsFailed({ op, cause }) })

export const outOfRange = (field: string, value: unknown, rule: string): DamonError =>
  new DamonError({ reason: new OutOfRange({ field, value: formatValue(value), rule }) })
export const accessDenied = (what: string): DamonError => new DamonError({ reason: new AccessDenied({ what }) })
export const wrongFileType = (what: string, expected: "file" | "directory"): DamonError =>
  new DamonError({ reason: new WrongFileType({ what, expected }) })
export const outOfMemory = (what: string): DamonError => new DamonError({ reason: new OutOfMemory({ what }) })

/** Renders a value for an error message: strings quoted, everything else as JSON-ish text. */
export const formatValue = (value: unknown): string => {
  if (typeof value === "string") return JSON.stringify(value)
  if (typeof value === "bigint") return value.toString()
  if (value === undefined) return "undefined"
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/** True for a `DamonError`. */
export const isDamonError = (u: unknown): u is DamonError => u instanceof DamonError
