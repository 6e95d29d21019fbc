"""Parsers of incoming rows and values, checked on generated input."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from govops.core.errors import GovopsError
from govops.core.text import fold, nfc
from govops.datastore.rows import csv_rows_from_bytes
from govops.datastore.validation import parse_value

decimals = st.decimals(
    allow_nan=False,
    allow_infinity=False,
    places=4,
    min_value=Decimal("-1e15"),
    max_value=Decimal("1e15"),
)
cell_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20
)


@given(decimals)
def test_every_plain_decimal_reads_back_exactly(value):
    assert parse_value(str(value)) == value


@given(st.text(max_size=30))
def test_any_text_is_a_decimal_or_a_reason_never_a_crash(text):
    result = parse_value(text)
    assert isinstance(result, Decimal | str)
    if "," in text:
        assert isinstance(result, str)


@given(st.lists(st.tuples(cell_text, cell_text, cell_text, cell_text), max_size=20))
def test_csv_rows_come_back_as_written_whatever_their_text(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["indicator", "area", "period", "value"])
    writer.writerows(rows)
    try:
        parsed = csv_rows_from_bytes(buffer.getvalue().encode())
    except GovopsError:
        return  # a refusal is a valid answer; a crash of another kind is not
    kept = [r for r in rows if any(cell.strip() for cell in r)]
    assert len(parsed) <= len(rows)
    for incoming, original in zip(parsed, kept, strict=False):
        assert incoming.indicator == original[0].strip()


@given(st.text(max_size=40))
def test_folding_is_idempotent_and_drops_every_diacritic(text):
    folded = fold(text)
    assert fold(folded) == folded
    assert fold(nfc(text)) == folded


def test_folding_vietnamese_gives_plain_letters():
    assert fold("Chỉ số giá tiêu dùng") == "chi so gia tieu dung"
    assert fold("ĐỒNG NAI  Đà Nẵng") == "dong nai da nang"
