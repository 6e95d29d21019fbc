"""Finding and creating series by their key (indicator, area, other dimensions)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session

from govops.catalog.models import Indicator
from govops.datastore.models import Observation, Series

SeriesKey = tuple[int, int, str]
# Up to this many keys, a batch's series are asked for by key in one query; beyond, every
# series of each indicator is read once (a file of commune rows meets most of them).
KEYS_ASKED_DIRECTLY = 1000


class SeriesResolver:
    """Series ids by key, created on first use inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._ids: dict[SeriesKey, int] = {}
        self._loaded_indicators: set[int] = set()
        # Keys asked for directly and found missing: they are created, not read again.
        self._absent: set[SeriesKey] = set()
        self._used: set[int] = set()
        self.created = 0

    @property
    def touched(self) -> set[int]:
        return set(self._used)

    def id_for(self, indicator_id: int, area_id: int, dims_key: str) -> int:
        """The id of the series, created now when it does not exist yet."""
        found = self.known(indicator_id, area_id, dims_key)
        if found is None:
            found = self._create((indicator_id, area_id, dims_key))
            self._ids[(indicator_id, area_id, dims_key)] = found
            self._used.add(found)
        return found

    def known(self, indicator_id: int, area_id: int, dims_key: str) -> int | None:
        """The id of an existing series, or None when it must still be created."""
        key = (indicator_id, area_id, dims_key)
        found = self._ids.get(key)
        if (
            found is None
            and key not in self._absent
            and indicator_id not in self._loaded_indicators
        ):
            self._preload(indicator_id)
            found = self._ids.get(key)
        if found is not None:
            self._used.add(found)
        return found

    def look_up(self, keys: Iterable[SeriesKey]) -> None:
        """Find a small batch's series in one query, rather than every series of each of
        its indicators: a delivery of a few rows would otherwise read thousands."""
        wanted = {key for key in keys if key not in self._ids}
        if not wanted or len(wanted) > KEYS_ASKED_DIRECTLY:
            return
        rows = self.session.execute(
            _SERIES_OF,
            {
                "indicator_ids": sorted({key[0] for key in wanted}),
                "area_ids": sorted({key[1] for key in wanted}),
            },
        )
        for series_id, indicator_id, area_id, dims_key in rows:
            if (indicator_id, area_id, dims_key) in wanted:
                self._ids[(indicator_id, area_id, dims_key)] = series_id
        self._absent.update(wanted - self._ids.keys())

    def create_many(self, keys: Iterable[SeriesKey]) -> None:
        """Create the series not known yet, a thousand to a statement."""
        new = [key for key in dict.fromkeys(keys) if key not in self._ids]
        insert_many = _insert_unnested if _on_postgresql(self.session) else _insert_rows
        for start in range(0, len(new), 1000):
            for series_id, indicator_id, area_id, dims_key in insert_many(
                self.session, new[start : start + 1000]
            ):
                self._ids[(indicator_id, area_id, dims_key)] = series_id
                self._used.add(series_id)
        self.created += len(new)

    def _preload(self, indicator_id: int) -> None:
        # One query for every series of an indicator, the first time it is seen, rather
        # than one per series: a file touches thousands of series of a few indicators.
        if indicator_id in self._loaded_indicators:
            return
        self._loaded_indicators.add(indicator_id)
        rows = self.session.execute(
            select(Series.id, Series.area_id, Series.dims_key).where(
                Series.indicator_id == indicator_id
            )
        )
        for series_id, area_id, dims_key in rows:
            self._ids.setdefault((indicator_id, area_id, dims_key), series_id)

    def _create(self, key: SeriesKey) -> int:
        indicator_id, area_id, dims_key = key
        series = Series(indicator_id=indicator_id, area_id=area_id, dims_key=dims_key)
        self.session.add(series)
        self.session.flush()
        self.created += 1
        return series.id


# Built once: each small write asks it, and building it costs more than running it.
_SERIES_OF = select(Series.id, Series.indicator_id, Series.area_id, Series.dims_key).where(
    Series.indicator_id.in_(bindparam("indicator_ids", expanding=True)),
    Series.area_id.in_(bindparam("area_ids", expanding=True)),
)


def _on_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _insert_rows(session: Session, keys: list[SeriesKey]) -> Iterable[Any]:
    rows = [{"indicator_id": i, "area_id": a, "dims_key": d} for i, a, d in keys]
    returned = insert(Series).returning(
        Series.id, Series.indicator_id, Series.area_id, Series.dims_key
    )
    return session.execute(returned, rows)


# One statement of three arrays instead of a thousand rows of parameters: a file of
# commune data creates tens of thousands of series, and PostgreSQL unpacks arrays faster
# than SQLAlchemy renders a thousand VALUES tuples.
_INSERT_UNNESTED = text(
    "INSERT INTO series (indicator_id, area_id, dims_key) "
    "SELECT * FROM unnest(CAST(:indicators AS integer[]), CAST(:areas AS integer[]), "
    "CAST(:dims AS text[])) "
    # Two writers may create the same series at once: the later one reads it below.
    "ON CONFLICT (indicator_id, area_id, dims_key) DO NOTHING "
    "RETURNING id, indicator_id, area_id, dims_key"
)
_SERIES_OF_KEYS = text(
    "SELECT s.id, s.indicator_id, s.area_id, s.dims_key FROM series AS s "
    "JOIN unnest(CAST(:indicators AS integer[]), CAST(:areas AS integer[]), "
    "CAST(:dims AS text[])) AS k(indicator_id, area_id, dims_key) "
    "USING (indicator_id, area_id, dims_key)"
)


def _insert_unnested(session: Session, keys: list[SeriesKey]) -> Iterable[Any]:
    indicators, areas, dims = zip(*keys, strict=True)
    arrays = {"indicators": list(indicators), "areas": list(areas), "dims": list(dims)}
    created = session.execute(_INSERT_UNNESTED, arrays).all()
    if len(created) == len(keys):
        return created
    return session.execute(_SERIES_OF_KEYS, arrays).all()


def refresh_latest_periods(
    session: Session, series_ids: Iterable[int], *, new_version: bool = True
) -> None:
    """Recompute each series' newest period with a value, after a write to it, and give
    their indicators a new data version.

    Without ``new_version`` the caller calls :func:`new_data_version` itself before it
    commits, as late as it can (see there).
    """
    ids = sorted(series_ids)
    if not ids:
        return
    if _on_postgresql(session):
        session.execute(_REFRESH_LATEST_ON_POSTGRESQL, {"ids": ids})
    else:
        newest = (
            select(func.max(Observation.period_start))
            .where(Observation.series_id == Series.id, Observation.value.is_not(None))
            .scalar_subquery()
        )
        for offset in range(0, len(ids), 500):
            session.execute(
                update(Series)
                .where(Series.id.in_(ids[offset : offset + 500]))
                .values(latest_period_start=newest)
            )
    if new_version:
        new_data_version(session, _indicators_of(session, ids))


# One statement with the ids as an array: a large load touches tens of thousands of
# series, and one round trip per few hundred of them cost seconds.
_REFRESH_LATEST_ON_POSTGRESQL = text(
    "UPDATE series AS s SET latest_period_start = ("
    "SELECT max(o.period_start) FROM observation AS o "
    "WHERE o.series_id = s.id AND o.value IS NOT NULL) "
    "WHERE s.id = ANY(CAST(:ids AS integer[]))"
)


def new_data_version(
    session: Session, indicator_ids: Iterable[int], *, locked: bool = False
) -> None:
    """Mark that the indicators' data changed, for the answers cached from them.

    Best last in the write's transaction: the lock on the indicators' rows is held until
    the commit, and every write to the same indicators queues for it. Readers see the new
    version exactly when they can see the data. ``locked``: the caller took the lock
    already (:func:`lock_indicators`).
    """
    ids = sorted(set(indicator_ids))
    if not ids:
        return
    if not locked:
        lock_indicators(session, ids)
    session.execute(_NEW_DATA_VERSION, {"ids": ids})


def lock_indicators(session: Session, indicator_ids: Iterable[int]) -> None:
    """Lock the indicators' rows, in id order, for the new data version a write ends with.

    A statement of its own, first: an UPDATE locks rows in the order it meets them, and one
    that waited re-reads the rows others changed, so two writes to the same indicators
    could deadlock instead of queueing. SQLite has one writer at a time and needs nothing.
    """
    ids = sorted(indicator_ids)
    if ids and _on_postgresql(session):
        session.execute(_LOCK_INDICATORS_IN_ORDER, {"ids": ids})


_LOCK_INDICATORS_IN_ORDER = (
    select(Indicator.id)
    .where(Indicator.id.in_(bindparam("ids", expanding=True)))
    .order_by(Indicator.id)
    .with_for_update(key_share=True)  # FOR NO KEY UPDATE, as the update takes
)
_NEW_DATA_VERSION = (
    update(Indicator)
    .where(Indicator.id.in_(bindparam("ids", expanding=True)))
    .values(data_version=Indicator.data_version + 1)
    .execution_options(synchronize_session=False)
)
_INDICATORS_OF_SERIES = text(
    "SELECT DISTINCT indicator_id FROM series WHERE id = ANY(CAST(:ids AS integer[]))"
)


def _indicators_of(session: Session, series_ids: list[int]) -> set[int]:
    if _on_postgresql(session):
        return set(session.scalars(_INDICATORS_OF_SERIES, {"ids": series_ids}))
    indicators: set[int] = set()
    for offset in range(0, len(series_ids), 5000):
        chunk = series_ids[offset : offset + 5000]
        indicators.update(
            session.scalars(select(Series.indicator_id).where(Series.id.in_(chunk)).distinct())
        )
    return indicators
