/**
 * A deterministic Effect `Scheduler` for the schedule explorer: every task the runtime queues
 * (a fiber resuming after a yield, a forked fiber's first step, a queue releasing its takers)
 * waits in one ready list, and a {@link Chooser} picks which runs next. Together with the
 * explorer's world clock (`SimWorld.ts`), which moves time only when no task is ready, this
 * controls every point where fibers interleave: the runtime's own yields (explicit, forks, the
 * operation budget) and, through the yield the kit inserts after each resumption, async wakeups.
 *
 * A *thread* is the dispatcher a fiber gets from the scheduler, so the tasks a fiber queues
 * belong to its thread (a fork's first step belongs to its parent's). Priority strategies (PCT)
 * rank threads.
 */
import type * as Fiber from "effect/Fiber"
import type * as Scheduler from "effect/Scheduler"

/** A queued task. */
export interface Task {
  readonly run: () => void
  /** The thread (dispatcher) that queued it. */
  readonly thread: number
}

/**
 * Picks the next task among the ready ones (in the order they were queued; 0 is the oldest, the
 * choice Effect's own scheduler makes) at scheduling step `step`.
 */
export interface Chooser {
  readonly choose: (ready: ReadonlyArray<Task>, step: number) => number
}

/** Effect's default operation budget before a fiber yields (`Scheduler.MaxOpsBeforeYield`). */
export const defaultOpsBeforeYield = 2048

/** The explorer's scheduler: tasks wait until {@link ExplorerScheduler.step} runs one. */
export class ExplorerScheduler implements Scheduler.Scheduler {
  readonly executionMode = "async" as const
  private readonly ready: Array<Task> = []
  private nextThread = 0
  /** Steps run so far. */
  steps = 0
  /** Index chosen at each step, when it was not the oldest task (the schedule's preemptions). */
  readonly deviations: Array<readonly [step: number, choice: number]> = []

  private readonly chooser: Chooser

  constructor(chooser: Chooser) {
    this.chooser = chooser
  }

  shouldYield(fiber: Fiber.Fiber<unknown, unknown>): boolean {
    return fiber.currentOpCount >= defaultOpsBeforeYield
  }

  makeDispatcher(): Scheduler.SchedulerDispatcher {
    const thread = this.nextThread++
    const ready = this.ready
    return {
      scheduleTask: (run) => {
        ready.push({ run, thread })
      },
      // The explorer drives; nothing runs behind its back.
      flush: () => {}
    }
  }

  /** Runs the task the chooser picks; false when none was ready. */
  step(): boolean {
    const ready = this.ready
    if (ready.length === 0) return false
    const step = this.steps++
    let i = this.chooser.choose(ready, step)
    if (!(i >= 0 && i < ready.length)) i = 0
    if (i !== 0) this.deviations.push([step, i])
    const task = ready.splice(i, 1)[0]!
    task.run()
    return true
  }
}
