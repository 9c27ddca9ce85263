/**
 * What a JavaScript caller, a parsed JSON file or a network peer can hand the library: a value
 * the type checker never saw. Tests of run-time validation pass bad input through this, so the
 * typed public API (which would refuse it at compile time) is exercised as such callers reach it.
 */
export const untyped = <T>(value: unknown): T => value as T
