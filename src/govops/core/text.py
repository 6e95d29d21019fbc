"""Vietnamese text: NFC everywhere, and a folded form for searching without diacritics."""

from __future__ import annotations

import unicodedata

# Đ/đ is a separate letter, not D with a combining mark, so decomposition leaves it alone.
_LETTERS_WITHOUT_DECOMPOSITION = str.maketrans({"đ": "d", "Đ": "d"})


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Lower-case text without diacritics, spaces collapsed: 'Chỉ số  giá' -> 'chi so gia'."""
    decomposed = unicodedata.normalize("NFD", text.translate(_LETTERS_WITHOUT_DECOMPOSITION))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())
