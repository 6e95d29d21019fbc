"""`govops alerts …` commands."""

from __future__ import annotations

import typer

alerts_app = typer.Typer(help="Warnings.", no_args_is_help=True)
