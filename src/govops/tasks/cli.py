"""`govops tasks …` commands."""

from __future__ import annotations

import typer

tasks_app = typer.Typer(help="Directives and tasks.", no_args_is_help=True)
