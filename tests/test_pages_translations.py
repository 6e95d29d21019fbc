"""Every text of the pages has its Vietnamese translation, and numbers read as in Viet Nam."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from govops.core.periods import Period
from govops.web import i18n

WEB = Path(i18n.__file__).parent
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "N_": None}


def texts_of_the_pages() -> set[str]:
    found = extract_from_dir(WEB, METHODS, keywords=KEYWORDS, comment_tags=())
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


def test_every_text_of_the_pages_is_translated_into_vietnamese():
    with (i18n.LOCALE_DIR / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale="vi")
    translated = {message.id for message in catalogue if message.id and message.string}
    texts = texts_of_the_pages()
    assert len(texts) > 100
    assert sorted(texts - translated) == []


def test_every_translation_keeps_the_placeholders_of_its_text():
    """A translation that drops or renames ``%(count)s`` would fail when the page shows it."""
    with (i18n.LOCALE_DIR / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale="vi")
    problems = [(message.id, [str(e) for e in errors]) for message, errors in catalogue.check()]
    assert problems == []
    formatted = [message for message in catalogue if message.id and "%(" in str(message.id)]
    assert len(formatted) > 5 and all(message.python_format for message in formatted)


def test_the_catalogue_is_compiled_from_the_po_file_without_a_build_step():
    assert i18n.translations("vi").gettext("Sign in") == "Đăng nhập"
    assert i18n.translations("en").gettext("Sign in") == "Sign in"


def test_numbers_and_dates_read_as_each_language_writes_them():
    assert i18n.number(Decimal("1234.5"), 1, "vi") == "1.234,5"
    assert i18n.number(Decimal("1234.5"), 1, "en") == "1,234.5"
    assert i18n.number(Decimal("-0.04"), 0, "vi") == "-0"
    assert i18n.signed(Decimal("3.24"), 1, "vi") == "+3,2"
    assert i18n.signed(Decimal("-1"), 1, "en") == "−1.0"
    assert i18n.day(date(2025, 3, 15), "vi") == "15/03/2025"
    assert i18n.day(date(2025, 3, 15), "en") == "Mar 15, 2025"
    # 20:00 UTC on 31 December is already the new year in Viet Nam.
    assert i18n.day(datetime(2025, 12, 31, 20, tzinfo=UTC), "vi") == "01/01/2026"


def test_periods_read_as_people_write_them():
    assert i18n.period_label(Period.parse("2025-M03"), "vi") == "T3/2025"
    assert i18n.period_label(Period.parse("2025-M03"), "en") == "Mar 2025"
    assert i18n.period_label("2025-Q1", "vi") == "Quý 1/2025"
    assert i18n.period_label("2025", "vi") == "Năm 2025"
    assert i18n.period_label(None, "vi") == "–"
