"""Photos the demo catalog has never seen: new colourways of its designs, and new designs."""

import numpy as np

from skill.demo import DemoConfig
from skill.demo.builder import design_rows
from skill.demo.colourways import colour_weights
from skill.demo.unseen import new_colourways, new_designs

TINY = DemoConfig(n_designs=12, image_size=128)


def test_new_colourways_are_colours_the_catalog_does_not_sell():
    sold = {design.design_id: (design, colours) for design, colours, _ in design_rows(TINY)}
    photos = list(new_colourways(TINY))
    assert len(photos) == 12
    for photo in photos:
        design, colours = sold[photo.design_id]
        assert photo.colour not in colours
        assert colour_weights(design)[photo.colour] > 0  # a colour the design may take
        assert photo.title == design.title
        assert photo.image.size == (128, 160)


def test_unseen_photos_are_deterministic_and_new_designs_have_no_answer():
    first = [np.asarray(p.image) for p in new_colourways(TINY, designs=3)]
    again = [np.asarray(p.image) for p in new_colourways(TINY, designs=3)]
    assert all((a == b).all() for a, b in zip(first, again, strict=True))
    other = list(new_colourways(TINY, designs=3, seed=2))
    assert any(not (np.asarray(o.image) == f).all() for o, f in zip(other, first, strict=True))
    strangers = list(new_designs(TINY, count=5))
    assert [p.design_id for p in strangers] == [""] * 5
    catalog_titles = {design.title for design, _, _ in design_rows(TINY)}
    assert len({p.title for p in strangers} - catalog_titles) >= 3  # designs of their own
