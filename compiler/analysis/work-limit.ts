// The analysis's default work limit, apart from the analysis itself so that the CLI can name it in its help without loading the analysis.

/** Caps the steps of work of a whole analysis (cube comparisons and example calls checked), so that `check` on a huge policy ends within about half a minute; what is left is reported. */
export const TOTAL_STEP_BUDGET = 2_000_000;
