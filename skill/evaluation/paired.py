"""Whether one encoder finds the design first more often than another on the same queries.

Two encoders scored on the same queries differ by the queries only one of them gets right;
the queries both get right or both miss say nothing about which is better. McNemar's exact
test asks whether the discordant queries split more unevenly than a fair coin would: under
"no difference", each discordant query is as likely to favour either encoder, so the count
favouring one is binomial with p = 1/2.

Example:
    >>> paired_hits([True, True, False, True], [True, False, False, False])
    {'queries': 4, 'hits_a': 3, 'hits_b': 1, 'both': 1, 'only_a': 2, 'only_b': 0, 'p_value': 0.5}
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def paired_hits(hits_a: Sequence[bool], hits_b: Sequence[bool]) -> dict[str, float | int]:
    """The paired comparison of two encoders' per-query hits.

    Args:
        hits_a: One flag per query: encoder A's first result is right.
        hits_b: The same queries, in the same order, for encoder B.

    Returns:
        ``queries``, ``hits_a``, ``hits_b``, ``both``, ``only_a``, ``only_b`` (counts) and
        ``p_value``: two-sided exact McNemar test (1.0 without a discordant query).

    Raises:
        ValueError: The two lists differ in length.
    """
    a = np.asarray(hits_a, dtype=bool)
    b = np.asarray(hits_b, dtype=bool)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError("hits_a and hits_b must be flags of the same queries, in one order")
    only_a, only_b = int((a & ~b).sum()), int((b & ~a).sum())
    return {
        "queries": int(a.size),
        "hits_a": int(a.sum()),
        "hits_b": int(b.sum()),
        "both": int((a & b).sum()),
        "only_a": only_a,
        "only_b": only_b,
        "p_value": mcnemar_exact(only_a, only_b),
    }


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """Two-sided exact McNemar p-value of ``only_a`` against ``only_b`` discordant queries: the
    binomial test of ``only_a`` successes in ``only_a + only_b`` fair coin flips."""
    from scipy.stats import binomtest

    n = only_a + only_b
    return 1.0 if n == 0 else float(binomtest(only_a, n, 0.5).pvalue)


__all__ = ["mcnemar_exact", "paired_hits"]
