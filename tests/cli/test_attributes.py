"""Tests of ``python -m skill attributes``: scoring on a labelled folder, listing a catalog."""

import json

import numpy as np
import pandas as pd
import pytest

from tests.shapes import write_shapes


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    """16 shape photos with a CSV in H&M's column names (and one column under another name)."""
    folder = tmp_path_factory.mktemp("labelled") / "photos"
    rows = write_shapes(folder, csv_name=None)
    frame = pd.DataFrame(
        {
            "article_id": [r["id"] for r in rows],
            "image_path": [r["image_path"] for r in rows],
            "graphical_appearance_name": [
                "Stripe" if r["design_id"] == "circle" else "Solid" for r in rows
            ],  # fmt: skip
            "product_type_name": ["Dress" if r["design_id"] == "square" else "Top" for r in rows],
            "detail_desc": [
                "Top with long sleeves and a hood."
                if r["design_id"] == "triangle"
                else "Top with short sleeves."
                for r in rows
            ],  # fmt: skip
            "print": ["stripes" if r["design_id"] == "circle" else "solid" for r in rows],
        }
    )
    frame.to_csv(folder / "articles.csv", index=False)
    return folder


@pytest.mark.slow
def test_scoring_a_labelled_folder_prints_mean_and_per_label_figures(
    labelled, attribute_model_dir, run_cli
):
    code, out, _ = run_cli(
        "attributes", "--images", labelled, "--csv", labelled / "articles.csv",
        "--model", attribute_model_dir, "--json", "--runtime", "torch",
    )  # fmt: skip
    assert code == 0
    figures = json.loads(out)
    assert {"mean_auc", "mean_ap", "per_label", "labels"} <= set(figures)
    assert figures["labels"] == ["pattern: Stripe", "pattern: Solid", "type: Dress", "sleeves: long",
                                 "hood"]  # fmt: skip
    assert figures["per_label"]["pattern: Stripe"]["positives"] == 4
    assert figures["per_label"]["hood"] == {
        **figures["per_label"]["hood"],
        "positives": 4,
        "known": 16,
    }
    assert 0.0 <= figures["mean_auc"] <= 1.0 and figures["photos"] == 16
    assert figures["label_columns"]["description"] == "detail_desc"

    code, out, _ = run_cli(
        "attributes", "--images", labelled, "--csv", labelled / "articles.csv",
        "--model", attribute_model_dir, "--pattern-col", "print", "--type-col", "none",
        "--description-col", "none", "--garment-col", "none", "--json", "--runtime", "torch",
    )  # fmt: skip
    figures = json.loads(out)
    assert figures["labels"] == ["pattern: Stripe", "pattern: Solid"]  # "stripes" is Stripe


def test_a_named_label_column_that_is_missing_is_an_error(labelled, attribute_model_dir, run_cli):
    code, _, err = run_cli(
        "attributes", "--images", labelled, "--csv", labelled / "articles.csv",
        "--model", attribute_model_dir, "--pattern-col", "pattern",
    )  # fmt: skip
    assert code == 2 and "column 'pattern' (for pattern) is not in the CSV" in err
    code, _, err = run_cli("attributes")
    assert code == 2 and "--catalog" in err


@pytest.mark.slow
def test_index_stores_attributes_and_attributes_lists_and_exports_them(
    labelled, attribute_model_dir, tiny_encoder_dir, run_cli, tmp_path
):
    catalog = tmp_path / "catalog"
    code, out, _ = run_cli(
        "index", "--images", labelled, "--catalog", catalog, "--encoder", tiny_encoder_dir,
        "--map", "pca", "--attributes", attribute_model_dir,
    )  # fmt: skip
    assert code == 0 and "attributes (random-attributes): 16 photos predicted" in out
    assert "its own network" in out
    code, out, _ = run_cli("attributes", "--catalog", catalog, "--out", tmp_path / "tags.csv")
    assert code == 0 and "random-attributes: 16 photos, 5 attributes" in out
    exported = pd.read_csv(tmp_path / "tags.csv")
    assert len(exported) == 16 and list(exported.columns[:3]) == ["item_id", "image_path", "tags"]
    assert "threshold -: never a fact" in out  # the model's fourth label has no threshold
    code, out, _ = run_cli("attributes", "--catalog", catalog, "--json")

    def refuse(constant):
        raise ValueError(f"not strict JSON: {constant}")

    listed = json.loads(out, parse_constant=refuse)  # NaN is not JSON
    assert [a["label"] for a in listed["attributes"]][:2] == ["pattern: Stripe", "pattern: Solid"]
    assert listed["attributes"][3]["threshold"] is None
    code, _, err = run_cli(
        "index", "--images", labelled, "--catalog", tmp_path / "plain", "--encoder",
        tiny_encoder_dir, "--map", "pca", "--attributes", "none",
    )  # fmt: skip
    code, _, err = run_cli("attributes", "--catalog", tmp_path / "plain")
    assert code == 2 and "has no attributes" in err

    from skill.catalog.store import open_catalog

    before = open_catalog(tmp_path / "plain")
    code, out, _ = run_cli("attributes", "--catalog", tmp_path / "plain", "--add", "--model",
                           attribute_model_dir, "--runtime", "torch")  # fmt: skip
    assert code == 0 and "random-attributes: 16 photos" in out
    after = open_catalog(tmp_path / "plain")
    assert after.version != before.version and after.attributes.info["predicted"] == 16
    np.testing.assert_array_equal(after.coords("tiny-random"), before.coords("tiny-random"))
    assert (after.version / "tiny-random" / "map.npy").stat().st_ino == (
        before.version / "tiny-random" / "map.npy"
    ).stat().st_ino  # hard-linked, not rewritten
