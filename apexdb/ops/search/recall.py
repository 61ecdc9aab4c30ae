"""Recall of an approximate answer against the exact one, tolerant of ties.

Two rows at exactly the same distance as the k-th exact neighbour are equally right;
counting only id overlap would charge the index for the order PostgreSQL happened to
break a tie in. A found row counts when it is in the exact answer or no farther than
its farthest member.
"""
from __future__ import annotations

from typing import Any, Sequence

# Relative slack on the k-th distance: float32 distances computed by two plans can differ
# in the last bits.
TIE_SLACK = 1e-6


def recall(found: Sequence[tuple[Any, float]], exact: Sequence[tuple[Any, float]]) -> float | None:
    """Fraction of the exact (id, distance) answer the found one recovers; None when exact is empty."""
    if not exact:
        return None
    exact_ids = {rid for rid, _ in exact}
    worst = max(d for _, d in exact)
    bound = worst + TIE_SLACK * max(1.0, abs(worst))
    hits = sum(1 for rid, d in found if rid in exact_ids or d <= bound)
    return min(hits, len(exact)) / len(exact)
