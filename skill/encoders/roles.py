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
