/**
 * The errors of the admin tree: `DamonError`s whose message names the file path and the value,
 * and whose `errno` is the one the kernel's sysfs returns, including the errnos the library's
 * reason union has no reason of its own for (`ERANGE`, `EACCES`, `EISDIR`, `ENOTDIR`, `E2BIG`,
 * `ENOMEM`). Pure; does not decide which error a file operation gets (see `Tree.ts`).
 */
import {
  busy,
  canceled,
  DamonError,
  invalidArgument,
  notFound,
  notRunning,
  permissionDenied,
  type Reason
} from "../model/DamonError.ts"

/** Every errno a file operation of the admin tree can fail with. */
export type KernelErrno =
  | "EINVAL"
  | "ERANGE"
  | "EBUSY"
  | "EPERM"
  | "EACCES"
  | "ENOENT"
  | "EISDIR"
  | "ENOTDIR"
  | "E2BIG"
  | "ENOMEM"
  | "ECANCELED"

/**
 * A `DamonError` whose `errno` is a kernel errno the reason union does not name itself (for
 * example an `InvalidArgument` that the kernel reports as `ERANGE`).
 *
 * **Details**
 * Still a `DamonError` (same `_tag`, same `reason`), so `Effect.catchTag("DamonError")` and
 * `Effect.catchReason` work unchanged; only `errno` is more precise.
 */
export class SysfsError extends DamonError {
  readonly kernelErrno: KernelErrno
  constructor(reason: Reason, kernelErrno: KernelErrno) {
    super({ reason })
    this.kernelErrno = kernelErrno
  }
  override get errno(): string {
    return this.kernelErrno
  }
}

const withErrno = (error: DamonError, errno: KernelErrno): DamonError =>
  error.errno === errno ? error : new SysfsError(error.reason, errno)

/** A failure of one file operation before it is tied to a path: the errno and the rule broken. */
export interface Fault {
  readonly errno: KernelErrno
  readonly rule: string
}

/** Shorthand for a {@link Fault}. */
export const fault = (errno: KernelErrno, rule: string): Fault => ({ errno, rule })

/**
 * Turns a fault of the file at `path`, caused by writing `value` (or reading, when `value` is
 * `undefined`), into the typed error: the reason mirrors the errno (`EINVAL`/`ERANGE`/`EISDIR`/
 * `ENOTDIR`/`E2BIG`/`ENOMEM` are `InvalidArgument`, `EBUSY` is `Busy`, `EPERM` is `NotRunning`,
 * `EACCES` is `PermissionDenied`, `ENOENT` is `NotFound`, `ECANCELED` is `Canceled`).
 */
export const toError = (path: string, value: string | undefined, f: Fault): DamonError => {
  const what = value === undefined ? path : `${path} (writing ${JSON.stringify(value)})`
  switch (f.errno) {
    case "EBUSY":
      return busy(`${what}: ${f.rule}`)
    case "EPERM":
      return notRunning(`${what}: ${f.rule}`)
    case "EACCES":
      return withErrno(permissionDenied(`${what}: ${f.rule}`), "EACCES")
    case "ENOENT":
      return notFound(`${what}: ${f.rule}`)
    case "ECANCELED":
      return canceled(`${what}: ${f.rule}`)
    default:
      return withErrno(invalidArgument(path, value ?? "(read)", f.rule), f.errno)
  }
}

/** The errno of any error the admin tree returns (`SysfsError`'s precise one, else the reason's). */
export const errnoOf = (error: DamonError): string => error.errno
