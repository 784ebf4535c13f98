"""Publication helpers (core/export/publication.py): literal titles, collision-free file names, complete PDFs."""

from __future__ import annotations

import pytest

from soil_conservation_plugin.core.common.errors import InputError
from soil_conservation_plugin.core.export.publication import check_layout_text, file_stems, fill_title, pdf_complete


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("{county_name}禁止开垦陡坡地分布图", "通化县禁止开垦陡坡地分布图"),
        ("{county_code} {county_name}", "220521 通化县"),
        ("{ 陡坡 } {0} {county} {{county_name}} {county_name", "{ 陡坡 } {0} {county} {通化县} {county_name"),
        ("100% {", "100% {"),
    ],
)
def test_title_is_literal_with_two_placeholders(title, expected):
    assert fill_title(title, "通化县", "220521") == expected


def test_a_name_holding_a_placeholder_is_not_replaced_again():
    assert fill_title("{county_name}/{county_code}", "{county_code}", "220521") == "{county_code}/220521"


def test_expression_marker_is_refused():
    check_layout_text("TITLE", "50% [坡度]")
    with pytest.raises(InputError) as err:
        check_layout_text("TITLE", "[% 1/0 %]")
    assert "[TITLE]" in str(err.value) and "表达式" in str(err.value) and "expression" in str(err.value)


def test_codes_sharing_a_file_name_are_refused_listing_them():
    assert file_stems(["220521", "220581"], "县界") == {
        "220521": "220521_steep_slope_announcement",
        "220581": "220581_steep_slope_announcement",
    }
    with pytest.raises(InputError) as err:
        file_stems(["220521", "22/0521", "22 0521", "220581", "AB1", "ab1"], "县界")
    msg = str(err.value)
    assert "'22/0521' / '22 0521'" in msg and "'AB1' / 'ab1'" in msg and "220581" not in msg
    assert "同一个文件名" in msg and "same file name" in msg
    with pytest.raises(InputError):
        file_stems(["通化", "梅河"], "县界")  # both would be "county"


def test_pdf_complete(tmp_path):
    good = tmp_path / "a.pdf"
    good.write_bytes(b"%PDF-1.4\n" + b"x" * 5000 + b"\n%%EOF\n")
    assert pdf_complete(good)
    cut = tmp_path / "b.pdf"
    cut.write_bytes(good.read_bytes()[:3000])
    assert not pdf_complete(cut)
    (tmp_path / "c.pdf").write_bytes(b"")
    assert not pdf_complete(tmp_path / "c.pdf") and not pdf_complete(tmp_path / "missing.pdf")
