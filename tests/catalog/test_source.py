"""Tests of skill.catalog.source: CSV column mapping and guessing, and refused rows."""

import codecs

import pytest

from skill.catalog.source import (
    ITEM_COLUMNS,
    CatalogInputError,
    ColumnMap,
    read_csv,
    read_items,
    resolve_columns,
)
from tests.shapes import write_shapes


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "photos"
    write_shapes(folder, shapes=("circle", "square"), fills=("Red", "Blue"), csv_name=None)
    return folder


def _csv(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_without_csv_every_image_is_an_item(photos):
    table = read_items(photos)
    assert list(table.items.columns) == list(ITEM_COLUMNS)
    assert table.items["item_id"].tolist() == [
        "circle-blue-0",
        "circle-red-0",
        "square-blue-0",
        "square-red-0",
    ]
    assert table.problems.empty


def test_columns_are_guessed_from_common_names(photos):
    csv_path = _csv(
        photos / "labels.csv",
        "article_id,file,product_code,colour_group_name,product_type_name,prod_name\n"
        "1,circle-red-0.jpg,C,Red,Shape,Red circle\n"
        "2,square-blue-0.jpg,S,Blue,Shape,Blue square\n",
    )
    table = read_items(photos, csv_path)
    assert table.columns == {
        "image": "file",
        "id": "article_id",
        "design": "product_code",
        "color": "colour_group_name",
        "category": "product_type_name",
        "title": "prod_name",
    }
    assert table.items[["item_id", "design_id", "color"]].values.tolist() == [
        ["1", "C", "Red"],
        ["2", "S", "Blue"],
    ]


def test_explicit_mapping_wins_over_guesses(photos):
    csv_path = _csv(
        photos / "labels.csv",
        "pic,design_id,style\ncircle-red-0.jpg,guessed,mapped\n",
    )
    table = read_items(photos, csv_path, ColumnMap(image="pic", design="style"))
    assert table.items["design_id"].tolist() == ["mapped"]
    assert table.items["item_id"].tolist() == ["circle-red-0"]


def test_missing_named_column_lists_the_existing_ones(photos):
    csv_path = _csv(photos / "labels.csv", "image,sku\ncircle-red-0.jpg,1\n")
    with pytest.raises(CatalogInputError, match=r"'colour'.*columns are: image, sku"):
        read_items(photos, csv_path, ColumnMap(color="colour"))


def test_csv_without_image_or_id_column_is_refused(photos):
    csv_path = _csv(photos / "labels.csv", "design,colour\nA,Red\n")
    with pytest.raises(CatalogInputError, match="columns are: design, colour"):
        read_items(photos, csv_path)


def test_id_only_csv_matches_file_names(photos):
    csv_path = _csv(
        photos / "labels.csv", "id,design\ncircle-red-0,C\nsquare-blue-0,S\nmissing,M\n"
    )
    table = read_items(photos, csv_path)
    assert table.items["image_path"].tolist() == ["circle-red-0.jpg", "square-blue-0.jpg"]
    assert table.problems["reason"].tolist() == ["empty image path"]


def test_bad_rows_are_reported_not_dropped_silently(tmp_path, photos):
    outside = tmp_path / "secret.jpg"
    outside.write_bytes(b"x")
    csv_path = _csv(
        photos / "labels.csv",
        "id,image\n"
        "a,circle-red-0.jpg\n"
        "b,../secret.jpg\n"
        f"c,{outside}\n"
        "d,nothere.jpg\n"
        "e,notes.txt\n"
        "a,square-red-0.jpg\n"
        "f,\n",
    )
    table = read_items(photos, csv_path)
    assert table.items["item_id"].tolist() == ["a"]
    reasons = dict(zip(table.problems["image_path"], table.problems["reason"], strict=True))
    assert reasons["../secret.jpg"] == "path leaves the images folder; refused"
    assert reasons[str(outside)] == "path leaves the images folder; refused"
    assert reasons["nothere.jpg"] == "file not found"
    assert "not an image file name" in reasons["notes.txt"]
    assert reasons["square-red-0.jpg"] == "duplicate id 'a'"
    assert reasons[""] == "empty image path"


def test_latin1_and_bom_csvs_are_read(photos):
    _csv(photos / "latin.csv", "id,image,title\n1,circle-red-0.jpg,Pull côtelé\n", "latin-1")
    assert read_items(photos, photos / "latin.csv").items["title"].tolist() == ["Pull côtelé"]
    _csv(photos / "bom.csv", "\ufeffid,image\n1,circle-red-0.jpg\n", "utf-8")
    assert read_csv(photos / "bom.csv").columns.tolist() == ["id", "image"]


def test_unreadable_csvs_are_refused(tmp_path, photos):
    with pytest.raises(CatalogInputError, match="CSV not found"):
        read_items(photos, tmp_path / "none.csv")
    with pytest.raises(CatalogInputError, match="no rows"):
        read_items(photos, _csv(tmp_path / "header.csv", "id,image\n"))
    with pytest.raises(CatalogInputError, match="not a readable CSV"):
        read_items(photos, _csv(tmp_path / "empty.csv", ""))


def test_missing_and_empty_folders(tmp_path):
    with pytest.raises(CatalogInputError, match="images folder not found"):
        read_items(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    assert read_items(tmp_path / "empty").items.empty


def test_resolve_columns_is_case_insensitive():
    import pandas as pd

    frame = pd.DataFrame({"Image_Path": ["a.jpg"], "Product_Code": ["x"]})
    assert resolve_columns(frame, ColumnMap()) == {"image": "Image_Path", "design": "Product_Code"}


def test_a_link_to_a_file_outside_the_folder_is_refused_with_a_line(tmp_path, photos):
    (photos / "passwd.jpg").symlink_to("/etc/passwd")
    (photos / "anim.gif").write_bytes(b"GIF89a")
    table = read_items(photos)
    assert "passwd" not in set(table.items["item_id"]) and len(table.items) == 4
    reasons = dict(zip(table.problems["image_path"], table.problems["reason"], strict=True))
    assert reasons["passwd.jpg"] == "symbolic link leading outside the images folder; refused"
    assert reasons["anim.gif"].startswith("'.gif' files are not indexed")


@pytest.mark.parametrize(
    ("encoding", "separator"),
    [("utf-16", ","), ("utf-16", "\t"), ("utf-16-le", ","), ("utf-16-be", ","), ("utf-32", ",")],
)
def test_utf16_and_utf32_csvs_are_read(photos, encoding, separator):
    # "utf-16" and "utf-32" write a byte-order mark; "-le"/"-be" do not. Excel's "Unicode
    # Text" export is UTF-16 with tabs.
    text = separator.join(["id", "image", "title"]) + "\n"
    text += separator.join(["1", "circle-red-0.jpg", "Pull côtelé"]) + "\n"
    path = _csv(photos / "labels.csv", text, encoding)
    items = read_items(photos, path).items
    assert items[["item_id", "image_path", "title"]].values.tolist() == [
        ["1", "circle-red-0.jpg", "Pull côtelé"]
    ]


def test_a_csv_with_nul_bytes_is_refused_in_printable_words(tmp_path, photos):
    path = tmp_path / "sheet.csv"
    path.write_bytes(b"PK\x03\x04\x00\x00\x08\x00id,image\x00\x01\x02" * 20)
    with pytest.raises(CatalogInputError, match="holds NUL bytes, so it is not a text CSV") as e:
        read_items(photos, path)
    assert "save it as CSV UTF-8" in str(e.value) and "\x00" not in str(e.value)
    path.write_bytes(codecs.BOM_UTF16_LE + b"i\x00d\x00\x00\xd8")  # a lone surrogate
    with pytest.raises(CatalogInputError, match="starts as UTF-16 text but does not decode"):
        read_items(photos, path)
    path.write_bytes(b"id,im\x01age\n1,circle-red-0.jpg\n")
    with pytest.raises(CatalogInputError, match="columns are: id, im") as e:
        read_items(photos, path, ColumnMap(image="image"))
    assert "im\\x01age" in str(e.value) and "\x01" not in str(e.value)
