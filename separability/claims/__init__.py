"""Pre-registered tests of the paper's claims C1..C6 (docs/claims.md): each takes tidy result
tables, applies a test fixed in code before any result is seen, and returns the measured
numbers (mean, sd, n), the test applied, and a verdict: ``holds``, ``partly``,
``does not hold`` or ``inconclusive`` (the data cannot decide: an interval that contains 0,
fewer than ``MIN_SEEDS`` seeds in a compared group, fewer than ``MIN_RUNS`` finished runs for
a correlation). A claim that does not hold is a result, never a bug; a claim the data cannot
decide is never reported as not holding. The verdicts are rendered for people by
``separability.report``.

One module per concern: ``verdicts`` (the statistical rules and how checks combine),
``random_init`` (C2, C3, C6), ``angles`` (C4), ``trained`` (C1, C5), ``assess`` (every claim
of one data set with its robustness settings).
"""
