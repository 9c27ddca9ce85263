/**
 * damo's multi-value options on an `effect/cli` command line. damo (argparse) takes
 * `--monitoring_intervals 5ms 100ms 1s` or `--damos_access_rate 0 0`: several words after one
 * flag. `effect/cli` flags take one value, so before parsing, the words of such a flag are joined
 * into that one value with {@link SEP}, and the flag's parser splits them again. Token
 * boundaries are kept exactly (a quoted `"5 ms"` stays one word). Pure.
 */

/** The separator of a joined flag's words: a control character no shell word carries by accident. */
export const SEP = "\u001f"

/** How many words a flag takes: exactly `n`, or one or more (`"+"`, up to the next `--flag`). */
export type Nargs = number | "+"

/** damo's multi-value options (argparse `nargs`) that effect-damon accepts. */
export const damoNargs: Readonly<Record<string, Nargs>> = {
  "--monitoring_intervals": 3,
  "--monitoring_intervals_goal": 4,
  "--monitoring_nr_regions_range": 2,
  "--damos_action": "+",
  "--damos_access_rate": 2,
  "--damos_sz_region": 2,
  "--damos_age": 2,
  "--damos_quotas": "+",
  "--damos_quota_goal": "+",
  "--damos_nr_quota_goals": "+",
  "--damos_filter": "+",
  "--damos_nr_filters": "+",
  "--damos_wmarks": 5,
  "--range": 3
}

const isFlag = (word: string): boolean => word.startsWith("--") || (word.startsWith("-") && word.length > 1 && !/^-\d/.test(word))

/**
 * Joins the words after each multi-value flag into one argument; everything else is left as it
 * is. A flag followed by too few words keeps the words it has (its parser reports the count).
 */
export const joinMultiValueFlags = (argv: ReadonlyArray<string>, nargs: Readonly<Record<string, Nargs>> = damoNargs): Array<string> => {
  const out: Array<string> = []
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!
    const n = Object.hasOwn(nargs, word) ? nargs[word]! : undefined
    if (n === undefined) {
      out.push(word)
      continue
    }
    const words: Array<string> = []
    while (i + 1 < argv.length && (n === "+" || words.length < n) && !isFlag(argv[i + 1]!)) words.push(argv[++i]!)
    out.push(word)
    if (words.length > 0) out.push(words.join(SEP))
  }
  return out
}

/** The words of a (possibly joined) flag value; an unjoined value is split at whitespace. */
export const wordsOf = (value: string): Array<string> =>
  (value.includes(SEP) ? value.split(SEP) : value.split(/\s+/)).filter((w) => w !== "")

/** A joined value as the user typed it, for messages. */
export const display = (value: string): string => value.replaceAll(SEP, " ")
