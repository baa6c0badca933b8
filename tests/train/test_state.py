"""Resumable state: a strict round trip, and a save that is atomic as a whole."""

import types

import pytest
import torch

import skill.train.state as state
from skill.train.state import has_state, load_state, save_state
from skill.train.variants.head_training import load_head_state, save_head_state


def _trained(seed: int):
    torch.manual_seed(seed)
    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.1)
    model(torch.randn(4, 3)).sum().backward()
    optimizer.step()
    return model, optimizer


def test_state_round_trips_modules_optimizer_and_position(tmp_path):
    model, optimizer = _trained(0)
    save_state(tmp_path / "state", {"model": model}, optimizer, {"epoch": 2, "step": 7})
    other, other_optimizer = _trained(1)
    position = load_state(tmp_path / "state", {"model": other}, other_optimizer)
    assert position == {"epoch": 2, "step": 7}
    assert torch.equal(other.weight, model.weight)
    moments = other_optimizer.state_dict()["state"][0]["exp_avg"]
    assert torch.equal(moments, optimizer.state_dict()["state"][0]["exp_avg"])
    assert load_state(tmp_path / "none", {"model": other}, other_optimizer) is None


def test_an_interrupted_save_leaves_the_last_complete_state(tmp_path, monkeypatch):
    model, optimizer = _trained(0)
    save_head_state(tmp_path / "state", {"head": model}, optimizer, 1)
    changed, changed_optimizer = _trained(1)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    # The tensors are written, the JSON is not: nothing of the half-written state may show.
    monkeypatch.setattr(state, "json", types.SimpleNamespace(dumps=crash, loads=state.json.loads))
    with pytest.raises(KeyboardInterrupt):
        save_head_state(tmp_path / "state", {"head": changed}, changed_optimizer, 2)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state"]
    restored, restored_optimizer = _trained(2)
    assert load_head_state(tmp_path / "state", {"head": restored}, restored_optimizer) == 1
    assert torch.equal(restored.weight, model.weight)


def test_module_names_are_checked(tmp_path):
    model, optimizer = _trained(0)
    with pytest.raises(ValueError, match="dot-free"):
        save_state(tmp_path, {"a.b": model}, optimizer, {})
    assert not has_state(tmp_path / "state")
