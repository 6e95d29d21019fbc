"""`govops targets …` commands."""

from __future__ import annotations

import typer

targets_app = typer.Typer(help="Plan targets.", no_args_is_help=True)
