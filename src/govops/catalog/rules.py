"""The closed vocabularies of the catalogue: aggregation rules and classifications."""

from __future__ import annotations

from enum import StrEnum


class AreaRule(StrEnum):
    """How values of provinces form the value of the area that contains them."""

    SUM = "sum"
    MEAN = "mean"
    WEIGHTED_MEAN = "weighted_mean"
    NONE = "none"


class TimeRule(StrEnum):
    """How values of finer periods form the value of a coarser one."""

    SUM = "sum"
    MEAN = "mean"
    LAST = "last"
    NONE = "none"


class Classification(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"
    RESTRICTED = "restricted"


class AgencyKind(StrEnum):
    MINISTRY = "ministry"
    STATISTICS_OFFICE = "statistics_office"
    STATE_BANK = "state_bank"
    GOVERNMENT_OFFICE = "government_office"
    STATE_GROUP = "state_group"
    EXTERNAL_SYSTEM = "external_system"
    PROVINCE = "province"
