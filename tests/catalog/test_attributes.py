"""Tests of skill.catalog.attributes: attributes stored at index time, sharing the trunk or not."""

import re

import numpy as np
import pytest
import torch

from skill.attributes.checkpoint import load_attribute_model
from skill.catalog.build import CatalogConfig, build_catalog
from skill.catalog.projection import MapConfig
from skill.catalog.store import open_catalog
from skill.encoders.embedding import embed_images

PCA = MapConfig(method="pca")


def _network_probabilities(model_dir, photos, items):
    network = load_attribute_model(model_dir).network()
    result = embed_images(network, [photos / p for p in items["image_path"]], runtime="torch")
    return result.embeddings


@pytest.mark.slow
def test_a_design_encoder_and_the_attributes_share_one_trunk_pass(
    tmp_path, shape_photos, attribute_model_dir
):
    config = CatalogConfig(batch_size=8, map=PCA, attributes=str(attribute_model_dir))
    summary = build_catalog(shape_photos, tmp_path / "cat", shape_photos / "catalog.csv",
                            encoders=["luminance-lite0"], config=config)  # fmt: skip
    assert summary.embedded == {"luminance-lite0": 16} and summary.reused == {"luminance-lite0": 0}
    catalog = open_catalog(tmp_path / "cat")
    stored = catalog.attributes
    assert stored.info["shared_with"] == "luminance-lite0" and stored.info["predicted"] == 16
    assert stored.labels[0] == "pattern: Stripe" and stored.thresholds[3] is None
    expected = _network_probabilities(attribute_model_dir, shape_photos, catalog.items)
    np.testing.assert_allclose(np.asarray(stored.probabilities, np.float32), expected, atol=2e-3)

    plain = build_catalog(shape_photos, tmp_path / "plain", shape_photos / "catalog.csv",
                          encoders=["luminance-lite0"],
                          config=CatalogConfig(batch_size=8, map=PCA, attributes=None))  # fmt: skip
    assert plain.embedded == {"luminance-lite0": 16}
    without = open_catalog(tmp_path / "plain")
    assert without.attributes is None
    assert plain.attributes == ""  # the build's summary line: none stored
    line = summary.attributes
    assert line.startswith(f"attributes ({stored.name}): 16 photos predicted in ")
    assert line.endswith(f"(sharing luminance-lite0's trunk pass), {len(stored.labels)} attributes")
    np.testing.assert_allclose(catalog.embeddings("luminance-lite0"),
                               without.embeddings("luminance-lite0"), atol=1e-4)  # fmt: skip

    again = build_catalog(shape_photos, tmp_path / "cat", shape_photos / "catalog.csv",
                          encoders=["luminance-lite0"], config=config)  # fmt: skip
    assert again.reused == {"luminance-lite0": 16}
    assert open_catalog(tmp_path / "cat").attributes.info["predicted"] == 0  # from the cache


@pytest.mark.slow
def test_an_int8_build_predicts_attributes_with_its_own_int8_network(
    tmp_path, shape_photos, attribute_model_dir
):
    from skill.encoders.quantize import create_int8_encoder

    # Drawn shapes are far from catalog photos: int8 luminance-lite0 agrees with float at about
    # 0.92 on them where int8 sums saturate (0.96 on the shared photos), under the usual floor.
    config = CatalogConfig(
        batch_size=8, map=PCA, runtime="onnx-int8", attributes=str(attribute_model_dir),
        int8_min_agreement=0.5,
    )  # fmt: skip
    build_catalog(shape_photos, tmp_path / "cat", shape_photos / "catalog.csv",
                  encoders=["luminance-lite0"], config=config)  # fmt: skip
    catalog = open_catalog(tmp_path / "cat")
    stored = catalog.attributes
    assert stored.info["runtime"] == "onnx-int8" and stored.info["predicted"] == 16
    assert stored.info["shared_with"] is None  # an int8 catalog shares no float trunk pass
    (folder,) = (tmp_path / "cat" / "cache").glob("attributes-*")
    assert re.search(r"-int8-[0-9a-f]{8}$", folder.name) and (folder / "model-int8.onnx").is_file()
    network = load_attribute_model(attribute_model_dir).network()
    int8 = create_int8_encoder(network, [], folder)  # the build's model, reused from its folder
    paths = [shape_photos / p for p in catalog.items["image_path"]]
    expected = embed_images(int8, paths, runtime="onnx").embeddings
    got = np.asarray(stored.probabilities, np.float32)
    np.testing.assert_allclose(got, expected, atol=2e-3)
    floats = _network_probabilities(attribute_model_dir, shape_photos, catalog.items)
    assert np.abs(got - floats).max() < 0.2  # close to float, and not float's
    assert np.abs(got - floats).max() > 2e-3


@pytest.mark.slow
def test_without_a_sharing_encoder_the_attribute_network_runs_on_the_same_decode(
    tmp_path, shape_photos, attribute_model_dir, tiny_encoder_dir, monkeypatch
):
    import skill.catalog.ingest as ingest

    decoded = []
    load_image = ingest.load_image
    monkeypatch.setattr(ingest, "load_image", lambda source, **kw: decoded.append(source)
                        or load_image(source, **kw))  # fmt: skip
    config = CatalogConfig(batch_size=8, map=PCA, attributes=str(attribute_model_dir))
    build_catalog(shape_photos, tmp_path / "cat", encoders=[str(tiny_encoder_dir)], config=config)
    assert len(decoded) == len(set(decoded)) == 16  # one decode per photo for both networks
    catalog = open_catalog(tmp_path / "cat")  # no CSV: a catalog with no labels at all
    stored = catalog.attributes
    assert stored.info["shared_with"] is None and stored.info["missing"] == 0
    assert stored.info["predicted"] == 16 and stored.info["seconds"] > 0
    expected = _network_probabilities(attribute_model_dir, shape_photos, catalog.items)
    np.testing.assert_allclose(np.asarray(stored.probabilities, np.float32), expected, atol=2e-3)
    table = stored.table(catalog.items, [0, 3])
    assert list(table.columns[:3]) == ["item_id", "image_path", "tags"] and len(table) == 2
    assert table.columns[3] == "p: pattern: Stripe"


def test_a_version_with_attributes_of_another_length_has_none(tmp_path):
    from skill.catalog.attribute_table import read_attributes

    folder = tmp_path / "attributes"
    folder.mkdir()
    (folder / "model.json").write_text('{"labels": ["hood"]}')
    np.save(folder / "probabilities.npy", np.zeros((3, 1), np.float16))
    assert read_attributes(tmp_path, 3).labels == ["hood"]
    assert read_attributes(tmp_path, 4) is None
    assert read_attributes(tmp_path / "missing", 3) is None
    torch.manual_seed(0)  # keeps torch imported for the slow tests' fixtures


def _stored(probabilities):
    from skill.catalog.attribute_table import CatalogAttributes

    return CatalogAttributes(
        name="m",
        labels=["pattern: Stripe", "pattern: Solid", "hood", "pockets"],
        display=["Stripe", "Solid", "hood", "pockets"],
        groups=["pattern", "pattern", "details", "details"],
        thresholds=[0.6, 0.6, 0.5, None],
        likely_threshold=0.5,
        probabilities=np.asarray(probabilities, np.float16),
        info={},
    )


def test_values_per_photo_for_a_group_and_for_a_detail():
    stored = _stored([[0.9, 0.7, 0.9, 0.8], [0.3, 0.2, 0.55, 0.1], [0.1, 0.8, 0.2, 0.6]])
    assert stored.choices() == ["pattern", "hood", "pockets"]
    assert stored.values("pattern") == ["Stripe", "not sure", "Solid"]  # the likelier fact wins
    assert stored.values("hood") == ["hood", "hood", "no hood tag"]
    assert stored.values("pockets") == ["likely pockets", "no pockets tag", "likely pockets"]
    assert stored.filterable() == ["pattern: Stripe", "pattern: Solid", "hood"]
    with pytest.raises(ValueError, match="choice must be one of"):
        stored.values("sleeves")
