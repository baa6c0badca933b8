"""What each kind of encoder is for, read without loading any weights (no torch import).

An encoder's role says which question it answers: a *design* encoder matches shape and print
whatever the colour, a *colour-variant* encoder is trained to find one design across its
colours, a *baseline* sees colour as much as design. The app and the CLI list encoders in
:data:`ROLES` order, trained checkpoints before training-free built-ins within a role.
"""

from __future__ import annotations

from collections.abc import Mapping

ROLES = ("design", "colour-variant", "baseline", "experiment")
ROLE_HELP = {
    "design": "Matches shape and print whatever the colour: it never sees hue.",
    "colour-variant": "Trained on catalog photos to find one design across its colours.",
    "baseline": "ImageNet features: they see colour as much as design. The baseline to beat.",
    "experiment": "A training run kept for comparison.",
}


def role_rank(role: str | None, builtin: bool = False) -> tuple[int, bool]:
    """Sort key of an encoder: its role's place in :data:`ROLES`, then trained before built-in."""
    order = ROLES.index(role) if role in ROLES else len(ROLES)
    return order, builtin


def order_encoders(entries: Mapping[str, Mapping]) -> list[str]:
    """Encoder names of a catalog manifest's ``encoders`` entries in display order.

    Args:
        entries: Name -> manifest entry with ``role`` and ``source`` (``builtin`` for the
            training-free built-ins).
    """
    return sorted(
        entries,
        key=lambda n: (
            *role_rank(entries[n].get("role"), entries[n].get("source") == "builtin"),
            n,
        ),
    )


def measured_hit_at_1(entry: Mapping) -> tuple[float, bool] | None:
    """An encoder's measured hit@1 and whether it was measured on the catalog itself.

    Read from its same-design rule's fit (``entry["same_design"]["fitted"]``): refitted on a
    labelled catalog it is that catalog's leave-one-out hit@1; otherwise the figure on the
    held-out designs the encoder's rule was fitted on. None when nothing was measured.
    """
    fitted = (entry.get("same_design") or {}).get("fitted") or {}
    value = fitted.get("hit@1")
    if not isinstance(value, int | float) or isinstance(value, bool) or value != value:
        return None
    return float(value), str(fitted.get("source", "")).startswith("this catalog")


def best_encoder(entries: Mapping[str, Mapping]) -> tuple[str, str]:
    """The encoder to search with by default, and why, in plain words.

    The best hit@1 measured on the catalog's own labelled designs where there is one; else the
    best measured on held-out designs; else the first in :func:`order_encoders` order.

    Args:
        entries: Name -> catalog manifest entry (or an encoder config with ``same_design``).
    """
    if not entries:
        raise ValueError("no encoder to choose from")
    measured = {name: measured_hit_at_1(entry) for name, entry in entries.items()}
    for on_catalog in (True, False):
        scored = {n: m[0] for n, m in measured.items() if m is not None and m[1] == on_catalog}
        if scored:
            name = max(scored, key=lambda n: (scored[n], n))
            where = "this catalog's labelled designs" if on_catalog else "held-out designs"
            return name, f"the best measured on {where}: hit@1 {scored[name]:.2f}"
    return order_encoders(entries)[0], "no encoder has measured figures; listed first by role"
