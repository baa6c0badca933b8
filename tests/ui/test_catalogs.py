"""Promises of the Catalogs tab (ui/catalogs.py): honest build summaries and demo panel."""

from tests.ui.apptest import APP


def test_summary_counts_photos_per_encoder_not_photos_times_encoders():
    from ui.catalogs import per_encoder

    label, value, details = per_encoder("Newly embedded", {"skill-design": 300, "colour": 300})
    assert (label, value) == ("Newly embedded (each of 2 encoders)", "300")  # was "600"
    assert details == "skill-design: 300 photos; colour: 300 photos"
    assert per_encoder("Reused", {"skill-design": 12})[:2] == ("Reused", "12")
    label, value, _ = per_encoder("Newly embedded", {"a": 300, "b": 12})  # b's cache had most
    assert (label, value) == ("Newly embedded (photos × encoders)", "312")


def test_first_run_panel_states_the_demo_size(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from skill.demo import DemoConfig
    from skill.demo.builder import demo_photo_count

    monkeypatch.setenv("SKILL_DATA_DIR", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    text = " ".join(m.value for m in at.markdown)
    assert f"renders {demo_photo_count(DemoConfig()):,} product photos of 300 designs" in text
    assert "a few thousand" not in text


def _photos(folder, shapes):
    from tests.ui.apptest import COLOURS, draw_product

    folder.mkdir(parents=True)
    for shape in shapes:
        for colour, rgb in COLOURS.items():
            draw_product(shape, rgb).save(folder / f"{shape}-{colour}.png")
    return folder


def test_build_says_what_it_will_do_and_asks_before_dropping_most_of_a_catalog(
    tmp_path, monkeypatch
):
    from skill.catalog.store import open_catalog
    from tests.ui.apptest import open_app

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    spring = _photos(tmp_path / "spring", ["circle", "square"])
    summer = _photos(tmp_path / "summer", ["stripes"])
    at = open_app(data_dir, monkeypatch, tab="Catalogs")
    at.text_input(key="build_name").set_value("shop")
    at.text_input(key="build_folder").set_value(str(spring))
    at.radio(key="build_map").set_value("PCA (instant)")
    at.run()
    assert any("creates the catalog" in c.value and "6 photos" in c.value for c in at.caption)
    at.button(key="build_button").click()
    at.run()
    assert not at.exception, at.exception
    shop = data_dir / "catalogs" / "shop"
    assert len(open_catalog(shop).items) == 6

    at.session_state["tab"] = "Catalogs"
    at.text_input(key="build_name").set_value("shop")
    at.text_input(key="build_folder").set_value(str(summer))
    at.checkbox(key="build_replace").check()
    at.run()
    assert any("replaces the catalog (6 photos)" in c.value for c in at.caption)
    assert any("Needs confirmation" in c.value for c in at.caption)
    at.button(key="build_button").click()
    at.run()
    assert not at.exception, at.exception
    assert any("Nothing was changed" in w.value and "6" in w.value for w in at.warning)
    assert len(open_catalog(shop).items) == 6  # refused: nothing lost
    at.checkbox(key="build_confirm_shrink").check()
    at.button(key="build_button").click()
    at.run()
    assert not at.exception, at.exception
    assert len(open_catalog(shop).items) == 3
    assert any("replaces the catalog" in c.value for c in at.caption)  # the summary says so


def test_build_button_waits_while_another_build_holds_the_catalog(tmp_path, monkeypatch):
    from skill.catalog.lock import catalog_lock
    from tests.ui.apptest import open_app

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    at = open_app(data_dir, monkeypatch, tab="Catalogs")
    with catalog_lock(data_dir / "catalogs" / "shop", "index 'spring' into 'shop' (add)"):
        at.text_input(key="build_name").set_value("shop")
        at.run()
        assert any("A build of this catalog is running" in i.value for i in at.info)
        assert at.button(key="build_button").disabled
    at.run()
    assert not at.button(key="build_button").disabled
