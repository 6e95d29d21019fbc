"""Public-service quality from the National Public Service Portal (Decision 766/QĐ-TTg).

The portal has scored ministries and provinces since the decision of June 2022, so these
figures start in January 2023. Scores and shares improve over time, each province from
a level of its own; the nation has a score and an online share of its own, and its
on-time share is the provinces' mean weighted by the dossiers they received.
"""

from __future__ import annotations

import math

from govops.demo.economy import Flow, flow_figures
from govops.demo.figures import Context, Figures, Revision
from govops.demo.paths import logistic, series_random, units, wander
from govops.demo.provinces import COMPONENTS

PORTAL_FIRST_MONTH = "2023-M01"

DOSSIERS = Flow(
    "DOSSIERS_RECEIVED",
    5_500_000,
    0.08,
    (1.0, 0.8, 1.05, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.05, 1.05, 1.1),
    slow_work=0.4,
    sensitivity=0.0,
    noise=0.03,
    spread=0.04,
    concentration=0.3,
    counts=True,
    revision=Revision(relative=0.005),
    first=PORTAL_FIRST_MONTH,
)


def dossiers_received(ctx: Context) -> Figures:
    return flow_figures(ctx, DOSSIERS)


def service_score(ctx: Context) -> Figures:
    """Points out of 100, the nation's rising from about 68 in 2023."""
    periods = ctx.periods("PUBLIC_SERVICE_SCORE", PORTAL_FIRST_MONTH)
    national = [min(92.0, 68 + 0.42 * k) for k in range(len(periods))]
    rng = series_random("PUBLIC_SERVICE_SCORE", "nation")
    figures = Figures("PUBLIC_SERVICE_SCORE", periods)
    figures.national[""] = [units(value + rng.gauss(0, 0.4), 2) for value in national]
    for component in COMPONENTS:
        own_rng = series_random("PUBLIC_SERVICE_SCORE", component.code)
        offset = own_rng.gauss(0, 5)
        own = wander(own_rng, len(periods), sd=0.8, persistence=0.85)
        figures.components[(component.code, "")] = [
            units(min(98.0, max(40.0, national[k] + offset + own[k])), 2)
            for k in range(len(periods))
        ]
    return figures


def on_time_share(ctx: Context) -> Figures:
    """Dossiers processed on time, in percent: the late share shrinks a tenth a year."""
    periods = ctx.periods("DOSSIERS_ON_TIME_SHARE", PORTAL_FIRST_MONTH)
    figures = Figures("DOSSIERS_ON_TIME_SHARE", periods, revision=Revision(absolute=5))
    for component in COMPONENTS:
        rng = series_random("DOSSIERS_ON_TIME_SHARE", component.code)
        late = 4.0 * math.exp(rng.gauss(0, 0.5))
        own = wander(rng, len(periods), sd=0.08, persistence=0.7)
        figures.components[(component.code, "")] = [
            units(max(60.0, 100 - late * 0.9 ** (k / 12) * math.exp(own[k])), 2)
            for k in range(len(periods))
        ]
    return figures


def online_share(ctx: Context) -> Figures:
    """Procedures offered online, in percent, rising towards the 80% target."""
    periods = ctx.periods("PROCEDURES_ONLINE_SHARE", PORTAL_FIRST_MONTH)
    national = [100 * logistic(-0.2 + 0.07 * k) for k in range(len(periods))]
    figures = Figures("PROCEDURES_ONLINE_SHARE", periods)
    figures.national[""] = [units(value, 2) for value in national]
    for component in COMPONENTS:
        rng = series_random("PROCEDURES_ONLINE_SHARE", component.code)
        offset = rng.gauss(0, 8)
        own = wander(rng, len(periods), sd=1.0, persistence=0.9)
        figures.components[(component.code, "")] = [
            units(min(100.0, max(10.0, national[k] + offset + own[k])), 2)
            for k in range(len(periods))
        ]
    return figures
