/**
 * How the CLI tells a user what went wrong: one line on stderr naming the flag or file, the value
 * and the rule, and exit status 1; never a stack trace. `--help` and `--version` print to stdout
 * and exit 0. Parse errors of `effect/cli` (unknown flag, bad value, missing argument) come
 * through the presenter; failures of a command (a `DamonError`, a render error) through
 * {@link describeFailure}.
 */
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as CliError from "effect/cli/CliError"
import * as CliOutput from "effect/cli/CliOutput"
import type * as Layer from "effect/Layer"
import { display } from "./DamoArgv.ts"

const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, " ").trim()

/** One line for a parse error of `effect/cli`. */
export const describeCliError = (e: CliError.NonShowHelpErrors, commandPath: ReadonlyArray<string>): string => {
  const help = `(see: ${[...commandPath, "--help"].join(" ")})`
  switch (e._tag) {
    case "InvalidValue": {
      const name = e.kind === "argument" ? `<${e.option}>` : `--${e.option}`
      const rule = e.expected.replace(/^Expected:?\s*/, "must be ").replace("a string representing a finite number", "a number")
      return e.value === ""
        ? `${name}: a value is missing: ${oneLine(rule)} ${help}`
        : `${name}: ${JSON.stringify(display(e.value))} is invalid: ${oneLine(rule)} ${help}`
    }
    case "UnrecognizedOption":
      return `${e.option}: unknown flag for '${commandPath.join(" ")}'` +
        (e.suggestions.length > 0 ? ` (did you mean ${e.suggestions.join(" or ")}?)` : "") + ` ${help}`
    case "MissingOption":
      return `--${e.option}: is required ${help}`
    case "MissingArgument":
      return `<${e.argument}>: is required ${help}`
    case "UnexpectedArgument":
      return `${e.arguments.map((a) => JSON.stringify(display(a))).join(", ")}: unexpected argument ${help}`
    case "UnknownSubcommand":
      return `${JSON.stringify(e.subcommand)}: unknown command for '${(e.parent ?? commandPath).join(" ")}'` +
        (e.suggestions.length > 0 ? ` (did you mean ${e.suggestions.join(" or ")}?)` : "") + ` ${help}`
    default:
      return `${oneLine(e.message)} ${help}`
  }
}

/**
 * Presents help and version on stdout (as `effect/cli` does) and every invalid invocation as one
 * line on stderr, instead of the help page followed by the errors.
 */
export const presenter: Layer.Layer<never> = CliOutput.layerPresenter({
  present: (event) =>
    event._tag === "InvalidInvocation"
      ? Console.error(`effect-damon: ${event.errors[0] === undefined ? "invalid invocation" : describeCliError(event.errors[0], event.commandPath)}`)
      : CliOutput.defaultPresenter.present(event)
})

/** One line for a command's failure: the error's own message (they name field, value, rule). */
export const describeFailure = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause)
  if (typeof error === "object" && error !== null && "message" in error && typeof error.message === "string" && error.message !== "") {
    return oneLine(error.message)
  }
  return oneLine(String(error))
}

/** Whether a failure is the `effect/cli` help signal (already presented). */
export const isShowHelp = (cause: Cause.Cause<unknown>): boolean => {
  const error = Cause.squash(cause)
  return CliError.isCliError(error) && error._tag === "ShowHelp"
}
