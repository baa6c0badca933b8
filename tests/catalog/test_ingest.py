"""Tests of skill.catalog.ingest: one decode per photo gives the colour and every embedding,
equal to the separate paths (embed_images; dominant_color of the same decode)."""

import numpy as np
import pytest
import torch
from PIL import Image

import skill.catalog.ingest as ingest
from skill.catalog.build import CatalogConfig, build_catalog
from skill.catalog.projection import MapConfig
from skill.catalog.store import open_catalog
from skill.encoders.embedding import embed_images
from skill.encoders.encoder import encoder_from_config
from skill.images.colors import dominant_color
from skill.images.preprocess import Preprocess
from tests.shapes import TINY_CONFIG, write_shapes


@pytest.fixture(scope="module")
def encoders():
    torch.manual_seed(0)
    rgb = encoder_from_config(TINY_CONFIG).eval()
    grey = encoder_from_config(
        {**TINY_CONFIG, "name": "tiny-grey", "preprocess": {"input_size": 48, "grayscale": True}}
    ).eval()
    return rgb, grey


@pytest.fixture
def photos(tmp_path):
    write_shapes(tmp_path, csv_name=None)
    paths = sorted(tmp_path.glob("*.jpg"))
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 truncated")
    return paths[:5] + [broken] + paths[5:9]


def test_one_pass_equals_embed_images_and_the_colour_pass(encoders, photos, monkeypatch):
    decodes = []
    original = ingest.load_image
    monkeypatch.setattr(
        ingest, "load_image", lambda *a, **k: decodes.append(a) or original(*a, **k)
    )
    models = {e.name: e for e in encoders}
    size = ingest.draft_size([e.preprocess for e in encoders])
    colour = [i % 2 == 0 for i in range(len(photos))]
    needs = {"tiny-random": [True] * len(photos), "tiny-grey": [i != 2 for i in range(10)]}
    batches = list(
        ingest.read_and_embed(
            photos,
            models,
            {e.name: e.preprocess for e in encoders},
            {e.name: e.embedding_dim for e in encoders},
            colour,
            needs,
            positions=range(len(photos)),
            batch_size=3,
        )
    )
    assert len(decodes) == len(photos)  # each photo decoded once for colour and both encoders
    assert [i for b in batches for i in b.positions] == list(range(10))
    failures = {i: reason for b in batches for i, reason in b.failures.items()}
    assert list(failures) == [5] and "corrupt" in failures[5]
    colours = {i: c for b in batches for i, c in b.colours.items()}
    assert sorted(colours) == [0, 2, 4, 6, 8]
    for i, (hex_code, name) in colours.items():
        swatch = dominant_color(original(photos[i], draft_size=size))
        assert (hex_code, name) == (swatch.hex, swatch.name)
    for encoder in encoders:
        positions = [i for b in batches for i in b.vectors[encoder.name][0]]
        vectors = np.concatenate([b.vectors[encoder.name][1] for b in batches])
        wanted = [i for i in range(10) if needs[encoder.name][i] and i != 5]
        assert positions == wanted
        reference = embed_images(encoder, [photos[i] for i in wanted], batch_size=4)
        np.testing.assert_allclose(vectors, reference.embeddings, atol=1e-4)


def test_a_large_jpeg_is_decoded_once_at_the_draft_scale(encoders, tmp_path, monkeypatch):
    path = tmp_path / "large.jpg"
    Image.new("RGB", (2000, 3000), (200, 30, 40)).save(path, quality=90)
    sizes = []
    original = ingest.load_image

    def spy(*args, **kwargs):
        image = original(*args, **kwargs)
        sizes.append(image.size)
        return image

    monkeypatch.setattr(ingest, "load_image", spy)
    pre = Preprocess(input_size=224, crop_pct=0.875)  # decode_size 257: the 1/4 scale
    photo = ingest.read_photo(path, ingest.draft_size([pre]), True, {"x": pre})
    assert sizes == [(500, 750)]  # 1/8 (250x375) would fall under 257 px
    assert photo.colour[1] == "Red" and photo.inputs["x"].shape == (3, 224, 224)


def test_a_build_decodes_each_photo_once_and_reuses_everything_next_time(
    encoders, tmp_path, monkeypatch
):
    write_shapes(tmp_path / "photos")
    decodes = []
    original = ingest.load_image
    monkeypatch.setattr(
        ingest, "load_image", lambda *a, **k: decodes.append(a) or original(*a, **k)
    )
    config = CatalogConfig(batch_size=4, part_size=5, map=MapConfig(method="pca"), runtime="torch")
    summary = build_catalog(tmp_path / "photos", tmp_path / "cat", encoders=encoders, config=config)
    assert len(decodes) == 16 and summary.embedded == {"tiny-random": 16, "tiny-grey": 16}
    catalog = open_catalog(tmp_path / "cat")
    for encoder in encoders:
        paths = [catalog.image_path(row) for row in range(16)]
        reference = embed_images(encoder, paths, batch_size=8).embeddings
        np.testing.assert_allclose(catalog.embeddings(encoder.name), reference, atol=1e-4)
    again = build_catalog(tmp_path / "photos", tmp_path / "cat", encoders=encoders, config=config)
    assert len(decodes) == 16 and again.reused == {"tiny-random": 16, "tiny-grey": 16}
