"""Tests of skill.encoders.builtin_rules: built-in encoders carry a same-design rule too."""

import json

from skill.catalog.same_design import SameDesignRule
from skill.encoders import builtin_rules
from skill.encoders.registry import BUILTIN_ENCODERS, list_encoders


def test_shipped_builtin_rules_load_and_reach_their_precision():
    for name in ("imagenet-lite0", "luminance-lite0"):
        info = BUILTIN_ENCODERS[name].info(name)
        rule = SameDesignRule.from_dict(info.config["same_design"])
        assert rule.fitted["precision"] >= rule.fitted["target_precision"]
        assert "held-out training designs" in rule.fitted["source"]
    listed = {info.name: info for info in list_encoders()}
    assert "same_design" in listed["luminance-lite0"].config


def test_writing_a_builtin_rule_keeps_the_others(tmp_path, monkeypatch):
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"a": {"accept": 0.5}}))
    monkeypatch.setattr(builtin_rules, "RULES_FILE", path)
    builtin_rules._read.cache_clear()
    try:
        builtin_rules.write_builtin_rule("b", {"accept": 0.7})
        assert builtin_rules.builtin_rule("a") == {"accept": 0.5}
        assert builtin_rules.builtin_rule("b") == {"accept": 0.7}
        assert builtin_rules.builtin_rule("c") is None
        assert not path.with_suffix(".tmp").exists()
    finally:
        builtin_rules._read.cache_clear()
