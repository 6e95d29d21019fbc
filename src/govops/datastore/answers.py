"""A bounded cache of data answers, kept exactly as long as the data they show.

Leaders' pages ask the same questions all day (one indicator, all provinces, ten years),
and each answer costs thousands of rows read and assembled across the 2025 merger. An
answer is kept under the versions of every indicator it depends on (the indicator, the
inputs of its formula, the weights of its mean); any write to those, any change to their
definitions and any change of areas gives a new version in the writer's own transaction,
so a reader never gets an answer older than what it could read itself.

The cache lives in one server process; each process of a multi-process server keeps its
own and checks the versions in the shared database on every request, so they never
disagree about what is current.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from sqlalchemy import select
from sqlalchemy.orm import Session

from govops.catalog.models import Indicator
from govops.datastore.formula import Formula

# Inputs of inputs are followed this deep; catalogue formulas use one level.
DEPENDENCY_DEPTH = 4


class AnswerCache:
    """Answers (serialised bytes) by key, least recently used first out past ``capacity``."""

    def __init__(self, capacity_bytes: int) -> None:
        self.capacity_bytes = capacity_bytes
        self._answers: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def size_bytes(self) -> int:
        return self._size

    def get_or_make(self, key: Hashable, make: Callable[[], bytes]) -> bytes:
        if self.capacity_bytes <= 0:
            return make()
        with self._lock:
            found = self._answers.get(key)
            if found is not None:
                self._answers.move_to_end(key)
                self.hits += 1
                return found
            self.misses += 1
        answer = make()
        self._keep(key, answer)
        return answer

    def _keep(self, key: Hashable, answer: bytes) -> None:
        if len(answer) > self.capacity_bytes // 4:
            return  # one huge answer would push out everything else
        with self._lock:
            if key in self._answers:
                return
            self._answers[key] = answer
            self._size += len(answer)
            while self._size > self.capacity_bytes:
                _old_key, old = self._answers.popitem(last=False)
                self._size -= len(old)


def data_versions(session: Session, code: str) -> tuple[tuple[str, int], ...]:
    """(code, data version) of the indicator and of everything its answers are built from."""
    seen: dict[str, int] = {}
    wanted = {code}
    for _level in range(DEPENDENCY_DEPTH):
        rows = session.execute(
            select(
                Indicator.code,
                Indicator.data_version,
                Indicator.formula,
                Indicator.weight_indicator_code,
            ).where(Indicator.code.in_(sorted(wanted)))
        ).all()
        wanted = set()
        for found_code, version, formula, weight_code in rows:
            seen[found_code] = version
            wanted.update(Formula(formula).inputs if formula else ())
            if weight_code:
                wanted.add(weight_code)
        wanted -= set(seen)
        if not wanted:
            break
    return tuple(sorted(seen.items()))
