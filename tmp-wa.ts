import { Effect } from "effect"
import { Explorer, Timeline } from "effect-damon/testing"
// reuse via dynamic import of the test module isn't possible; replicate quickly
