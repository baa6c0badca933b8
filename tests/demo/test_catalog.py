import pandas as pd
import pytest

from skill.demo import catalog as demo_catalog


def test_ready_needs_a_live_manifest(tmp_path):
    assert not demo_catalog.demo_catalog_ready(tmp_path)
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    (catalog / "CURRENT").write_text("v-1\n")
    assert not demo_catalog.demo_catalog_ready(tmp_path)  # pointer to a missing version
    (catalog / "v-1").mkdir()
    (catalog / "v-1" / "manifest.json").write_text("{}")
    assert demo_catalog.demo_catalog_ready(tmp_path)


def test_demo_dir_follows_data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("SKILL_DATA_DIR", raising=False)
    from skill.paths import PROJECT_DIR

    assert demo_catalog.demo_dir() == PROJECT_DIR / "data" / "demo"
    monkeypatch.setenv("SKILL_DATA_DIR", str(tmp_path))
    assert demo_catalog.demo_dir() == tmp_path / "demo"
    assert not demo_catalog.demo_catalog_ready()


@pytest.mark.slow
def test_default_encoders_end_with_the_baseline():
    encoders = demo_catalog.default_encoders()
    assert encoders[-2:] == ["luminance-lite0", "imagenet-lite0"]
    assert all(not isinstance(e, str) for e in encoders[:-2])  # loaded checkpoints


@pytest.mark.slow
def test_build_tiny_demo_then_reuse(tmp_path):
    from skill.catalog.store import open_catalog
    from skill.demo import DemoConfig

    config = DemoConfig(n_designs=3, colours_per_design=(2, 2), image_size=96)
    stages = []
    path = demo_catalog.build_demo(
        progress=lambda stage, done, total, unit="": stages.append(stage),
        encoders=["imagenet-lite0"],
        root=tmp_path,
        map_method="pca",
        demo_config=config,
    )
    assert demo_catalog.demo_catalog_ready(tmp_path)
    catalog = open_catalog(path)
    assert len(catalog.items) == 6
    assert catalog.items["design_id"].nunique() == 3
    assert set(catalog.items["category"]) <= set(
        pd.read_csv(tmp_path / "photos" / "catalog.csv")["kind"]
    )
    assert "rendering demo photos" in stages and any("embedding" in s for s in stages)
    stages.clear()
    demo_catalog.build_demo(
        progress=lambda stage, done, total, unit="": stages.append(stage),
        encoders=["imagenet-lite0"], root=tmp_path, map_method="pca", demo_config=config,
    )  # fmt: skip
    assert "rendering demo photos" not in stages  # complete photos are not rendered again
    assert len(open_catalog(path).items) == 6

    other = DemoConfig(n_designs=2, colours_per_design=(3, 3), image_size=96, seed=1)
    demo_catalog.build_demo(encoders=["imagenet-lite0"], root=tmp_path, map_method="pca",
                            demo_config=other)  # fmt: skip
    rebuilt = open_catalog(path)  # rendered again: the catalog is the new photos only
    assert len(rebuilt.items) == 6 and rebuilt.items["design_id"].nunique() == 2
    assert all(rebuilt.image_path(row).is_file() for row in range(6))
