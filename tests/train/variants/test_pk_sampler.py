"""The P x K sampler: P classes of K photos, different colours first."""

import pytest

from skill.train.variants.pk_sampler import PKSampler


def test_pk_sampler_draws_p_classes_with_distinct_colours_first():
    labels = ["a"] * 3 + ["b"] * 2 + ["c"] * 4 + ["d"] * 1 + ["e"] * 2
    colours = ["red", "blue", "red", "red", "green", "x", "y", "x", "z", "red", "p", "q"]
    sampler = PKSampler(labels, colours, p=2, k=3, seed=0)
    assert len(sampler) == 2  # four classes have 2+ rows
    seen = set()
    for batch in sampler.batches(epoch=0):
        assert len(batch) == 6
        for chunk in (batch[:3], batch[3:]):
            group = {labels[i] for i in chunk}
            assert len(group) == 1
            label = group.pop()
            assert label != "d"
            seen.add(label)
            available = len({colours[i] for i, v in enumerate(labels) if v == label})
            first = [colours[i] for i in chunk[: min(available, 3)]]
            assert len(set(first)) == len(first)
    assert len(seen) == 4
    assert list(sampler.batches(1)) == list(PKSampler(labels, colours, 2, 3, seed=0).batches(1))


def test_pk_sampler_refuses_too_few_classes():
    with pytest.raises(ValueError, match="classes"):
        PKSampler(["a", "a", "b"], p=2, k=2)
