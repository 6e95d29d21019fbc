"""`govops exchange …` commands."""

from __future__ import annotations

import typer

exchange_app = typer.Typer(help="The exchange hub.", no_args_is_help=True)
