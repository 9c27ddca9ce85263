/**
 * One run of the command tree, as an exit status: 0 after success, `--help` or `--version`; 1
 * after a user error, printed as one line on stderr (`UserErrors.ts`): a flag the parser refused,
 * a file that could not be read, a value the tree refused, a server that did not answer. Never
 * a stack trace (an internal error is one line too, saying so). Interruption (Ctrl-C) stays an
 * interruption, so the runtime exits with 130 after the finalizers ran (a record file is
 * finished by then).
 */
import * as Cause from "effect/Cause"
import * as Command from "effect/cli/Command"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { cli } from "./Cli.ts"
import { joinMultiValueFlags } from "./DamoArgv.ts"
import { describeFailure, isShowHelp, presenter } from "./UserErrors.ts"

/** The CLI's version (`effect-damon --version`). */
export const version = "0.1.0"

/** Runs the CLI on `argv` (without node and the script); succeeds with the exit status. */
export const runCli = (argv: ReadonlyArray<string>) =>
  Command.runWith(cli, { version })(joinMultiValueFlags(argv)).pipe(
    Effect.as(0),
    Effect.catchCause((cause) => {
      if (Cause.hasInterruptsOnly(cause)) return Effect.interrupt
      if (isShowHelp(cause)) return Effect.succeed(1)
      const defect = Cause.hasDies(cause) && !Cause.hasFails(cause)
      const line = `effect-damon: ${defect ? "internal error: " : ""}${describeFailure(cause)}`
      return Effect.as(Console.error(line), 1)
    }),
    Effect.provide(presenter)
  )
