"""The foreground box and background colour of a packshot."""

from PIL import Image

from skill.images.foreground import estimate_foreground_box
from tests.shapes import draw_tshirt


def test_foreground_box_finds_the_garment():
    box, background = estimate_foreground_box(draw_tshirt())
    assert background == (235, 235, 235)
    assert box == (18, 20, 79, 81)


def test_foreground_box_of_a_blank_image_is_everything():
    box, _ = estimate_foreground_box(Image.new("RGB", (40, 30), "white"))
    assert box == (0, 0, 40, 30)
