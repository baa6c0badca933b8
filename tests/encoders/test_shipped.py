"""The shipped encoders: every figure their ``config.json`` states comes back from their weights.

Each shipped checkpoint in ``assets/encoders`` is evaluated again on the design-disjoint
validation split of the shared H&M photos (the split its metrics name) and must reproduce the
hit@k and mAP it ships with. Skips where the shared photos are absent.
"""

import json

import pytest

from skill.encoders.registry import create_encoder, list_encoders
from skill.evaluation.protocol import EvalConfig, evaluate_encoder
from skill.evaluation.splits import read_split

SHIPPED = [info.name for info in list_encoders() if info.source not in ("builtin", "timm")]
TOLERANCE = 0.005  # ONNX Runtime and torch may order a few near-ties differently


def test_the_shipped_encoders_are_listed_with_figures():
    assert SHIPPED, "no encoder ships in assets/encoders"
    for info in list_encoders():
        if info.name in SHIPPED:
            assert {"hit@1", "mAP", "queries"} <= set(info.config.get("metrics", {})), info.name


@pytest.mark.shared
@pytest.mark.slow
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_metrics_come_back_from_the_weights(name, hm_data):
    encoder = create_encoder(name)
    stated = encoder.info.config["metrics"]
    _, val_items = read_split(hm_data)
    measured = evaluate_encoder(
        encoder, val_items, hm_data, EvalConfig(invariance_sample=0, runtime="auto")
    )
    assert measured["queries"] == stated["queries"]
    for key in ("hit@1", "hit@5", "hit@10", "mAP"):
        assert abs(measured[key] - stated[key]) <= TOLERANCE, json.dumps(
            {"figure": key, "stated": stated[key], "measured": measured[key]}
        )
