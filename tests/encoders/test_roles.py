"""Tests of skill.encoders.roles: display order and the default encoder, from manifests alone."""

import pytest

from skill.encoders.roles import best_encoder, measured_hit_at_1, order_encoders


def _entry(role, source="assets/x", hit=None, where="held-out training designs"):
    entry = {"role": role, "source": source}
    if hit is not None:
        entry["same_design"] = {"fitted": {"hit@1": hit, "source": where}}
    return entry


def test_order_puts_roles_in_order_and_trained_before_builtin():
    entries = {
        "imagenet-lite0": _entry("baseline", "builtin"),
        "luminance-lite0": _entry("design", "builtin"),
        "skill-design": _entry("design"),
        "colour-variants": _entry("colour-variant"),
    }
    assert order_encoders(entries) == [
        "skill-design", "luminance-lite0", "colour-variants", "imagenet-lite0"
    ]  # fmt: skip


def test_best_encoder_prefers_figures_measured_on_the_catalog():
    entries = {
        "a": _entry("design", hit=0.70),
        "b": _entry("colour-variant", hit=0.60),
        "c": _entry("baseline", "builtin", hit=0.40, where="this catalog: 300 photos"),
    }
    assert best_encoder(entries)[0] == "c"  # the only one measured here wins
    entries["b"] = _entry("colour-variant", hit=0.85, where="this catalog: 300 photos")
    name, why = best_encoder(entries)
    assert name == "b" and "this catalog" in why and "0.85" in why
    del entries["b"], entries["c"]
    name, why = best_encoder(entries)
    assert name == "a" and "held-out designs" in why


def test_best_encoder_without_figures_follows_the_role_order():
    entries = {"x": _entry("baseline", "builtin"), "y": _entry("design")}
    assert best_encoder(entries) == ("y", "no encoder has measured figures; listed first by role")
    assert measured_hit_at_1({"same_design": {"fitted": {"hit@1": float("nan")}}}) is None
    with pytest.raises(ValueError):
        best_encoder({})
