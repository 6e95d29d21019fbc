"""Proposals from directive text: precision and recall on the evaluation passages.

Reads the realistic directive passages written for the tests
(``tests/data/tasks/directive_passages.yaml``), proposes tasks from each with the rules of
``govops.tasks.proposals`` and the reference agencies, and reports micro-averaged
precision and recall per kind of fact (lead agency, co-ordinating agency, deadline) and
overall, then every passage where a fact was missed or wrongly found, with its words.

    python3 bench/tasks_proposals.py
    python3 bench/tasks_proposals.py --passages other.yaml --misses 0
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import yaml
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import console, describe_code, machine_load, new_workdir
from govops.catalog.reference import load_reference
from govops.core.db import create_db_engine, session_factory, transaction
from govops.core.migrate import upgrade
from govops.tasks.proposals import agency_names, agency_patterns, facts_of, propose_tasks, score

PASSAGES = Path(__file__).resolve().parents[1] / "tests/data/tasks/directive_passages.yaml"
KINDS = (("lead", "lead agency"), ("coordinator", "co-ordinating"), ("deadline", "deadline"))


def expected_facts(passage: dict) -> set[str]:
    facts: set[str] = set()
    for task in passage["tasks"]:
        facts |= {f"lead:{code}" for code in task["lead"]}
        facts |= {f"coordinator:{code}" for code in task["coordinators"]}
        if task["deadline"] is not None:
            facts.add(f"deadline:{task['deadline']}")
    return facts


def _reference_agencies() -> list:
    """The agencies of the reference catalogue, read from a store made for the run."""
    engine = create_db_engine(f"sqlite:///{new_workdir(None) / 'reference.sqlite'}")
    upgrade(engine)
    with transaction(session_factory(engine)) as session:
        load_reference(session, include_communes=False)
        found = agency_names(session)
    engine.dispose()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=Path, default=PASSAGES)
    parser.add_argument("--misses", type=int, default=20, help="passages with errors to list")
    arguments = parser.parse_args()

    console.print(describe_code())
    console.print(machine_load())
    passages = yaml.safe_load(arguments.passages.read_text(encoding="utf-8"))["passages"]
    patterns = agency_patterns(_reference_agencies())
    started = time.perf_counter()
    pairs = [
        (facts_of(propose_tasks(p["text"], patterns, year=p["year"])), expected_facts(p))
        for p in passages
    ]
    elapsed = time.perf_counter() - started

    table = Table("facts", "expected", "found", "right", "precision", "recall")
    for prefix, label in (*KINDS, ("", "all")):
        result = score(pairs, prefix)
        table.add_row(
            label,
            str(result.expected),
            str(result.predicted),
            str(result.true_positives),
            f"{result.precision:.3f}",
            f"{result.recall:.3f}",
        )
    console.print(f"{len(passages)} passages, {elapsed * 1000 / len(passages):.1f} ms each")
    console.print(table)
    _misses(passages, pairs, arguments.misses)


def _misses(passages: list[dict], pairs: list[tuple[set[str], set[str]]], limit: int) -> None:
    shown = 0
    for number, (passage, (found, wanted)) in enumerate(zip(passages, pairs, strict=True), 1):
        if found == wanted or shown >= limit:
            continue
        shown += 1
        console.print(f"[bold]passage {number}[/bold] {passage['text'][:110]}…")
        for fact in sorted(wanted - found):
            console.print(f"  missed  {fact}")
        for fact in sorted(found - wanted):
            console.print(f"  wrong   {fact}")


if __name__ == "__main__":
    main()
