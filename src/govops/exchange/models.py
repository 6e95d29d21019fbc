"""Tables of exchange."""

from __future__ import annotations
