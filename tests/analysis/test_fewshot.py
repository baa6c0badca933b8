"""Few-shot labelling: prototype and k-NN classifiers against straightforward references."""

import numpy as np
import pytest

from skill.analysis.fewshot import evaluate_few_shot, label_by_knn, label_by_prototypes


def _blobs(classes=4, per_class=30, dim=16, spread=0.2, seed=0):
    """Gaussian blobs around random unit centres; returns (embeddings, labels)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(classes, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    labels = np.repeat([f"class{c}" for c in range(classes)], per_class)
    x = np.repeat(centres, per_class, axis=0) + spread * rng.normal(size=(len(labels), dim))
    return x.astype(np.float32), labels


def _unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_prototypes_match_a_direct_rederivation():
    x, labels = _blobs()
    seeds = {0: "class0", 1: "class0", 30: "class1", 60: "class2", 95: "class3"}
    result = label_by_prototypes(x, seeds, temperature=0.1)
    u = _unit(x)
    protos = {}
    for row, name in seeds.items():
        protos.setdefault(name, []).append(u[row])
    names = sorted(protos)
    p = _unit(np.stack([np.mean(protos[n], axis=0) for n in names]))
    sim = u @ p.T
    expected = np.array(names)[sim.argmax(axis=1)]
    soft = np.exp(sim / 0.1) / np.exp(sim / 0.1).sum(axis=1, keepdims=True)
    others = [r for r in range(len(x)) if r not in seeds]
    assert (result.loc[others, "label"].to_numpy() == expected[others]).all()
    np.testing.assert_allclose(
        result.loc[others, "confidence"], soft.max(axis=1)[others], rtol=1e-5
    )
    top2 = np.sort(sim, axis=1)[:, -2:]
    np.testing.assert_allclose(
        result.loc[others, "margin"], (top2[:, 1] - top2[:, 0])[others], atol=1e-5
    )
    assert result.loc[list(seeds), "seeded"].all() and not result.loc[others, "seeded"].any()
    assert (result.loc[list(seeds), "label"] == [seeds[r] for r in seeds]).all()
    assert (result.loc[list(seeds), "confidence"] == 1.0).all()
    # Well-separated blobs: one or two tags per class label nearly everything right.
    assert (result["label"].to_numpy() == labels).mean() > 0.9


def test_knn_matches_brute_force_vote():
    x, labels = _blobs(seed=1, spread=0.8)
    rng = np.random.default_rng(0)
    seed_rows = rng.choice(len(x), size=20, replace=False)
    seeds = {int(r): labels[r] for r in seed_rows}
    result = label_by_knn(x, seeds, k=3, temperature=0.07)
    u = _unit(x)
    for row in [r for r in range(len(x)) if r not in seeds][:25]:
        sim = u[seed_rows] @ u[row]
        nearest = np.argsort(-sim)[:3]
        votes = {}
        for j in nearest:
            votes[labels[seed_rows[j]]] = votes.get(labels[seed_rows[j]], 0) + np.exp(sim[j] / 0.07)
        best = max(votes, key=votes.get)
        assert result.loc[row, "label"] == best
        assert result.loc[row, "confidence"] == pytest.approx(
            votes[best] / sum(votes.values()), rel=1e-4
        )


def test_confidence_is_lower_between_classes():
    x, _ = _blobs(classes=2, per_class=5, dim=8)
    seeds = {0: "class0", 5: "class1"}
    u = _unit(x)
    middle = _unit((u[0] + u[5])[None])  # halfway between the two seeds
    result = label_by_prototypes(np.vstack([x, middle]), seeds)
    assert result["confidence"].iloc[-1] < result.loc[[1, 6], "confidence"].min()
    assert result["confidence"].between(0, 1).all()


def test_evaluate_few_shot_accuracy_grows_with_shots_and_skips_small_classes():
    x, labels = _blobs(classes=5, per_class=24, spread=0.45, seed=2)
    labels = labels.astype(object)
    labels[:21] = np.where(np.arange(21) < 3, "tiny", labels[:21])  # a 3-photo class
    labels[21:24] = ""  # unknown labels are ignored
    table = evaluate_few_shot(x, labels, shots=(1, 5), trials=3, seed=0, k=5)
    assert set(table["method"]) == {"prototypes", "knn"}
    one = table[table["shots"] == 1].set_index("method")
    five = table[table["shots"] == 5].set_index("method")
    assert (one["classes"] == 6).all() and (one["classes_skipped"] == 0).all()
    assert (five["classes"] == 5).all() and (five["classes_skipped"] == 1).all()
    assert five.loc["prototypes", "accuracy_mean"] > one.loc["prototypes", "accuracy_mean"]
    assert five.loc["prototypes", "accuracy_mean"] > 0.5  # chance is 0.2
    assert (table["trials"] == 3).all()
    # Queries exclude the tagged photos and the unlabelled rows: 120 - 3 unknown - 5*5 tagged - 3 tiny.
    assert five.loc["prototypes", "queries"] == 120 - 3 - 25 - 3


def test_bad_arguments_raise():
    x, labels = _blobs()
    with pytest.raises(ValueError, match="at least one"):
        label_by_prototypes(x, {})
    with pytest.raises(ValueError, match="seed rows"):
        label_by_knn(x, {999: "a"})
    with pytest.raises(ValueError, match="labels"):
        evaluate_few_shot(x, labels[:5])


@pytest.mark.slow
def test_cli_label_and_evaluate(tmp_path, capsys):
    import pandas as pd

    from skill.catalog.build import CatalogConfig, build_catalog
    from skill.catalog.projection import MapConfig
    from skill.cli import main
    from tests.shapes import save_tiny_encoder, write_shapes

    write_shapes(tmp_path / "photos", copies=2)
    build_catalog(
        tmp_path / "photos",
        tmp_path / "catalog",
        csv_path=tmp_path / "photos" / "catalog.csv",
        encoders=[str(save_tiny_encoder(tmp_path / "tiny-random"))],
        config=CatalogConfig(batch_size=16, map=MapConfig(method="pca")),
    )
    seeds = tmp_path / "seeds.csv"
    pd.DataFrame(
        {
            "item_id": ["circle-red-0", "square-red-0", "triangle-red-0", "nope"],
            "label": ["round", "boxy", "pointy", "x"],
        }
    ).to_csv(seeds, index=False)
    out = tmp_path / "labels.csv"
    catalog = str(tmp_path / "catalog")
    assert main(["label", "--catalog", catalog, "--labels", str(seeds), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "skipped tag of unknown item 'nope'" in captured.err
    assert "labelled 32 photos from 3 tags (3 labels)" in captured.out
    table = pd.read_csv(out).set_index("item_id")
    assert len(table) == 32 and table["label"].isin(["round", "boxy", "pointy"]).all()
    assert table.loc["circle-red-0", "seeded"] and table.loc["circle-red-0", "label"] == "round"
    assert table["confidence"].between(0, 1).all()

    code = main(
        ["label", "--catalog", catalog, "--method", "knn", "-k", "2"] + ["--labels", str(seeds)]
    )
    assert code == 0
    evaluation = tmp_path / "eval.csv"
    code = main(
        ["label", "--catalog", catalog, "--evaluate-column", "design_id", "--shots", "1", "7"]
        + ["--trials", "2", "--out", str(evaluation)]
    )
    assert code == 0
    figures = pd.read_csv(evaluation)
    assert len(figures) == 4 and set(figures["shots"]) == {1, 7}
    assert (figures["classes"] == 4).all()  # 8 photos per shape: 7 shots leave one to label
    assert main(["label", "--catalog", catalog]) == 2
    assert "give --labels" in capsys.readouterr().err
