/**
 * chai's `assert` for property tests that assert inside loops: the comparisons they use most are
 * checked in plain code first, and chai is called only when a check fails (it then fails with
 * chai's own message and diff). The same checks, the same failures, but chai builds an assertion
 * object (proxied, flagged) on every call, some microseconds each: spec/ops/opsFilters.properties
 * made some 300 000 of them, half of its CPU time (docs/performance.md, "Test suite").
 */
import { assert as chai } from "@effect/vitest"

const numbers = (a: unknown, b: unknown): boolean => typeof a === "number" && typeof b === "number"

const fast: Partial<typeof chai> = {
  isTrue: (value: unknown, message?: string) => {
    if (value !== true) chai.isTrue(value, message)
  },
  isFalse: (value: unknown, message?: string) => {
    if (value !== false) chai.isFalse(value, message)
  },
  strictEqual: <T>(actual: T, expected: T, message?: string) => {
    if (actual !== expected) chai.strictEqual(actual, expected, message)
  },
  isAbove: (value: number, above: number, message?: string) => {
    if (!(numbers(value, above) && value > above)) chai.isAbove(value, above, message)
  },
  isAtLeast: (value: number, atLeast: number, message?: string) => {
    if (!(numbers(value, atLeast) && value >= atLeast)) chai.isAtLeast(value, atLeast, message)
  },
  isBelow: (value: number, below: number, message?: string) => {
    if (!(numbers(value, below) && value < below)) chai.isBelow(value, below, message)
  },
  isAtMost: (value: number, atMost: number, message?: string) => {
    if (!(numbers(value, atMost) && value <= atMost)) chai.isAtMost(value, atMost, message)
  },
  // chai's verdict is `regexp.exec(value)`; only for a regexp without lastIndex state (not /g or
  // /y) is running it twice the same as once
  match: (value: string, regexp: RegExp, message?: string) => {
    if (!(!regexp.global && !regexp.sticky && regexp.exec(value) !== null)) chai.match(value, regexp, message)
  }
}

/** chai's `assert`, every method as chai's, the ones above checked first. */
export const assert: typeof chai = Object.assign(
  (expression: unknown, message?: string): asserts expression => chai(expression, message),
  chai,
  fast
)
