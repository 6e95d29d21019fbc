"""The pages' two languages: Vietnamese first, English second.

Texts are written in English in the templates and code (``_("Sign in")``) and translated
through the gettext catalogue ``locale/vi/LC_MESSAGES/messages.po``. The catalogue is
compiled in memory when this module is first imported, so an installation needs no
build step and a change to the ``.po`` file shows at the next start.

Numbers and dates follow the language: ``1.234,5`` and ``15/03/2025`` in Vietnamese,
``1,234.5`` and ``Mar 15, 2025`` in English.
"""

from __future__ import annotations

import gettext
import io
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from govops.core.periods import Frequency, Period

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
LOCALE_DIR = Path(__file__).with_name("locale")
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def N_(text: str) -> str:  # noqa: N802 - the name gettext's extractors look for
    """Mark a text for the catalogue where it is defined; it is translated where shown."""
    return text


# The units a transformed answer is in (datastore.transforms), shown after values.
TRANSFORMED_UNITS = (
    N_("percent"),
    N_("percentage points"),
    N_("percent of the national value"),
)


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``language``; English is the source text itself."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == "en" or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def choose_language(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def number(value: Decimal | float | int | None, decimals: int = 1, language: str = "vi") -> str:
    """``value`` rounded to ``decimals`` places with the language's separators."""
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(value, format=pattern, locale=language)


def signed(value: Decimal | float | int | None, decimals: int = 1, language: str = "vi") -> str:
    """A change with its sign, as leaders read it: ``+3,2`` or ``−1,0``."""
    if value is None:
        return "–"
    magnitude: Decimal | float | int = -value if value < 0 else value
    text = number(magnitude, decimals, language)
    return ("+" if value > 0 else "−" if value < 0 else "±") + text


def day(value: date | datetime | None, language: str = "vi") -> str:
    """A date as people of the language write it; instants are read in Viet Nam."""
    if value is None:
        return "–"
    if isinstance(value, datetime):
        value = value.astimezone(VIETNAM).date()
    pattern = "dd/MM/yyyy" if language == "vi" else "medium"
    return format_date(value, format=pattern, locale=language)


def instant(value: datetime | None, language: str = "vi") -> str:
    """An instant in Viet Nam's time, to the minute."""
    if value is None:
        return "–"
    pattern = "HH:mm dd/MM/yyyy" if language == "vi" else "MMM d, yyyy, HH:mm"
    return format_datetime(value, format=pattern, tzinfo=VIETNAM, locale=language)


_MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def period_label(period: Period | str | None, language: str = "vi") -> str:
    """A period as a reader writes it: ``T3/2025`` or ``Mar 2025``, ``Quý 1/2025``."""
    if period is None:
        return "–"
    if isinstance(period, str):
        period = Period.parse(period)
    start, frequency = period.start, period.frequency
    vi = language == "vi"
    if frequency is Frequency.MONTHLY:
        return (
            f"T{start.month}/{start.year}" if vi else f"{_MONTHS_EN[start.month - 1]} {start.year}"
        )
    if frequency is Frequency.QUARTERLY:
        quarter = (start.month - 1) // 3 + 1
        return f"Quý {quarter}/{start.year}" if vi else f"Q{quarter} {start.year}"
    if frequency is Frequency.HALF_YEARLY:
        half = 1 if start.month == 1 else 2
        return (
            f"6 tháng {'đầu' if half == 1 else 'cuối'} {start.year}"
            if vi
            else f"H{half} {start.year}"
        )
    if frequency is Frequency.YEARLY:
        return f"Năm {start.year}" if vi else str(start.year)
    if frequency is Frequency.DAILY:
        return day(start, language)
    return period.code


def frequency_label(code: str, language: str = "vi") -> str:
    frequency = Frequency(code)
    return frequency.label_vi if language == "vi" else frequency.label_en
