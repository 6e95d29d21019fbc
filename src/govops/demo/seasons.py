"""The calendar that shapes demo figures: Tết, the pandemic, and the months of the year.

Tết (the lunar new year) falls in late January or February, so month-on-month and
year-on-year comparisons of January and February swing with it: production and exports
dip in the month of the holiday, retail sales peak in the weeks before it.

The pandemic shapes are stylised from the course of events: national social distancing
in April 2020; the outbreaks of 2021 in Bắc Giang and Bắc Ninh's industrial zones (May,
June) and the long lockdown of Hồ Chí Minh City, the southeast and the Mekong delta
(July to September, with Hà Nội from late July); borders closed to international visitors
from April 2020 until they reopened in March 2022.
"""

from __future__ import annotations

from datetime import date, timedelta

from govops.core.periods import Frequency, Period
from govops.demo.provinces import Component, Region

# The first day of the lunar new year.
TET_DAYS = {
    2015: date(2015, 2, 19),
    2016: date(2016, 2, 8),
    2017: date(2017, 1, 28),
    2018: date(2018, 2, 16),
    2019: date(2019, 2, 5),
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
}

# Days around Tết, relative to its first day: the public holiday, the weeks of slower
# work around it, and the shopping weeks before it.
HOLIDAY = (-3, 5)
SLOW_WORK = (-6, 10)
SHOPPING = (-21, -1)


def tet_day(year: int) -> date:
    found = TET_DAYS.get(year)
    if found is None:
        raise ValueError(
            f"the demo knows the date of Tết for {min(TET_DAYS)} to {max(TET_DAYS)}; "
            f"add {year} to TET_DAYS in {__name__}"
        )
    return found


def tet_share(month: Period, window: tuple[int, int]) -> float:
    """The share of the days of a window around Tết that fall in ``month``."""
    first, last = window
    start = tet_day(month.start.year) + timedelta(days=first)
    days = [start + timedelta(days=k) for k in range(last - first + 1)]
    return sum(1 for day in days if month.contains(day)) / len(days)


def in_tet_window(day: date, window: tuple[int, int]) -> bool:
    offset = (day - tet_day(day.year)).days
    return window[0] <= offset <= window[1]


# Activity against normal, by month: 1.0 is a normal month.
NATIONAL_SHOCK = {
    "2020-M02": 0.97,
    "2020-M03": 0.9,
    "2020-M04": 0.72,
    "2020-M05": 0.9,
    "2020-M06": 0.96,
    "2020-M08": 0.96,
    "2021-M02": 0.98,
}
SOUTH_2021 = {
    "2021-M06": 0.93,
    "2021-M07": 0.72,
    "2021-M08": 0.55,
    "2021-M09": 0.58,
    "2021-M10": 0.82,
    "2021-M11": 0.93,
    "2021-M12": 0.97,
}
CENTRE_2021 = {"2021-M07": 0.92, "2021-M08": 0.82, "2021-M09": 0.85, "2021-M10": 0.95}
NORTH_2021 = {"2021-M08": 0.95, "2021-M09": 0.96}
HANOI_2021 = {"2021-M08": 0.8, "2021-M09": 0.85}
INDUSTRIAL_ZONES_2021 = {"2021-M05": 0.85, "2021-M06": 0.8}
INDUSTRIAL_ZONE_PROVINCES = ("24", "27")


def pandemic_factor(month: Period, sensitivity: float) -> float:
    """National activity in a month against normal, for a sensitivity of 0 (none) to 1."""
    base = NATIONAL_SHOCK.get(month.code, 1.0)
    return max(0.02, 1 - sensitivity * (1 - base))


def regional_factor(month: Period, component: Component, sensitivity: float) -> float:
    """The 2021 outbreaks in the province's region, on top of the national shock."""
    code = month.code
    if component.code == "01":
        base = HANOI_2021.get(code, 1.0)
    elif component.code in INDUSTRIAL_ZONE_PROVINCES:
        base = INDUSTRIAL_ZONES_2021.get(code, NORTH_2021.get(code, 1.0))
    elif component.region.is_south:
        base = SOUTH_2021.get(code, 1.0)
    elif component.region in (Region.SOUTH_CENTRAL_COAST, Region.CENTRAL_HIGHLANDS):
        base = CENTRE_2021.get(code, 1.0)
    else:
        base = NORTH_2021.get(code, 1.0)
    return max(0.02, 1 - sensitivity * (1 - base))


def borders_open(month: Period) -> float:
    """International arrivals against their normal level: near zero while borders were shut."""
    start = month.start
    if start < date(2020, 2, 1):
        return 1.0
    if start < date(2020, 4, 1):
        return {2: 0.62, 3: 0.28}[start.month]
    if start < date(2022, 3, 1):
        return 0.008
    if start < date(2022, 4, 1):
        return 0.04
    months_open = (start.year - 2022) * 12 + start.month - 4
    return min(1.0, 0.05 + 1.0 * (1 - 0.92**months_open))


def quarter_activity(quarter: Period, component: Component, sensitivity: float) -> float:
    """A quarter's mean of the national and regional pandemic factors of its months."""
    months = quarter.subperiods(Frequency.MONTHLY)
    effects = [
        pandemic_factor(month, sensitivity) * regional_factor(month, component, sensitivity)
        for month in months
    ]
    return sum(effects) / len(effects)
