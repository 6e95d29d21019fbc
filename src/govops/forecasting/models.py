"""Tables of forecasting."""

from __future__ import annotations
