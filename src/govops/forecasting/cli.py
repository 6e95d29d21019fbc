"""`govops forecast …` commands."""

from __future__ import annotations

import typer

forecasting_app = typer.Typer(help="Forecasts.", no_args_is_help=True)
