/**
 * How a failed admin-tree operation travels over HTTP: the errno picks the status code, and the
 * body is `{ "errno": "EINVAL", "message": "..." }` (the message names the path and the value,
 * as `DamonError` does). The HTTP counterpart of a `write(2)`/`read(2)` returning `-errno`. Pure;
 * does not decide which errno an operation gets (the `Sysfs` service does).
 */
import type { DamonError } from "../model/DamonError.ts"

/**
 * The HTTP status for a kernel errno name.
 *
 * **Details**
 * - `EINVAL`, `ERANGE`: 400 (the written text is refused).
 * - `EISDIR`, `ENOTDIR`: 400 (reading a directory without the trailing slash, listing a file
 *   with one: the request names the wrong kind of node).
 * - `EPERM`, `EACCES`: 403 (`off` on a stopped kdamond; writing a 0400 file).
 * - `ENOENT`: 404 (no such file, or a path leading outside the tree).
 * - `EBUSY`: 409 (a second `on`, a state command while another holds the lock).
 * - `ECANCELED`: 409, not 503: the kdamond the command needs has stopped, and it will not come
 *   back by itself, so retrying later without another `on` cannot help.
 * - `EFBIG`, `E2BIG`: 413 (a request body above the endpoint's limit; a value, a count or a
 *   listing above a limit).
 * - `ENOMEM`: 507 (the tree refuses to build more than its limits allow: the request is valid,
 *   the server will not store it; 5xx but not 500, which is reserved for faults).
 * - anything else (`EFAULT`, `EIO`, ...): 500, a fault of the server.
 */
export const statusOfErrno = (errno: string): number => {
  switch (errno) {
    case "EINVAL":
    case "ERANGE":
    case "EISDIR":
    case "ENOTDIR":
      return 400
    case "EPERM":
    case "EACCES":
      return 403
    case "ENOENT":
      return 404
    case "EBUSY":
    case "ECANCELED":
      return 409
    case "EFBIG":
    case "E2BIG":
      return 413
    case "ENOMEM":
      return 507
    default:
      return 500
  }
}

/** The JSON body of an error response. */
export interface ErrorBody {
  readonly errno: string
  readonly message: string
}

/** Longest message an error body carries; the rest is cut (a 1 MiB value is not echoed whole). */
export const maxMessageChars = 1024

/** `message`, cut to {@link maxMessageChars} characters with a note of how much was left out. */
export const boundMessage = (message: string): string =>
  message.length <= maxMessageChars
    ? message
    : `${message.slice(0, maxMessageChars)}... (${message.length - maxMessageChars} more characters)`

/** The body and status an error (a `DamonError`, or one as plain data) is answered with, the message bounded. */
export const errorResponse = (
  error: Pick<DamonError, "errno" | "message">
): { readonly status: number; readonly body: ErrorBody } => ({
  status: statusOfErrno(error.errno),
  body: { errno: error.errno, message: boundMessage(error.message) }
})
