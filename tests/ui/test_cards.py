import base64
import io

import numpy as np
from PIL import Image

from ui.cards import Card, render_card, render_cards, thumbnail_uri


def test_thumbnail_uri_is_small_jpeg(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "a.png"
    Image.fromarray(rng.integers(0, 255, (300, 600, 3), dtype=np.uint8)).save(path)
    uri = thumbnail_uri(path, size=100)
    assert uri.startswith("data:image/jpeg;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert image.format == "JPEG" and image.size == (100, 50)


def test_thumbnail_uri_of_broken_file_is_empty(tmp_path):
    path = tmp_path / "bad.jpg"
    path.write_bytes(b"not an image")
    assert thumbnail_uri(path) == ""
    assert thumbnail_uri(b"") == ""


def test_card_escapes_text_and_shows_fields():
    card = Card(
        thumbnail="data:image/jpeg;base64,AAAA",
        title='<script>alert("x")</script>',
        score=0.876,
        color_hex="#1a2B3c",
        color_name="navy & white",
        category="t-shirt",
        meta="id-7",
    )
    markup = render_card(card)
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    assert "0.88" in markup
    assert "background:#1a2B3c" in markup
    assert "navy &amp; white" in markup
    assert "t-shirt · id-7" in markup


def test_bad_swatch_and_thumbnail_are_dropped():
    markup = render_card(Card(thumbnail="javascript:alert(1)", title="t", color_hex="red;x:y"))
    assert "javascript" not in markup and "no preview" in markup
    assert "sk-swatch" not in markup
    assert "query" not in markup  # unscored but not highlighted: not the query card


def test_grid_heading_bold_and_count():
    cards = [Card(thumbnail="", title=f"t{i}", score=0.5) for i in range(3)]
    markup = render_cards(cards, heading="Design **D1** <b> · best 0.9")
    assert markup.count('class="sk-card') == 3
    assert "<b>D1</b>" in markup and "&lt;b&gt;" in markup


def test_only_the_query_card_says_query():
    from ui.cards import Card, render_card

    assert "query" in render_card(Card(thumbnail="", title="mine", highlight=True))
    unscored = render_card(Card(thumbnail="", title="a representative"))
    assert "query" not in unscored and '<span class="sk-score"></span>' in unscored
    assert "0.87" in render_card(Card(thumbnail="", title="hit", score=0.871))


def test_tags_are_chips_facts_filled_and_likely_dashed_and_escaped():
    markup = render_card(
        Card(thumbnail="", title="t", tags=(("Stripe", True), ("<b>x</b> (60 %)", False)))
    )
    assert '<span class="sk-tag">Stripe</span>' in markup
    assert '<span class="sk-tag sk-likely">&lt;b&gt;x&lt;/b&gt; (60 %)</span>' in markup
    assert "sk-tags" not in render_card(Card(thumbnail="", title="no tags"))
