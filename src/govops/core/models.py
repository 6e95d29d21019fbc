"""Every table of every domain, gathered so migrations see the whole schema."""

from govops.alerts import models as alerts_models
from govops.catalog import models as catalog_models
from govops.core.db import Base
from govops.datastore import models as datastore_models
from govops.exchange import models as exchange_models
from govops.forecasting import models as forecasting_models
from govops.security import models as security_models
from govops.security import sessions as session_models
from govops.targets import models as targets_models
from govops.tasks import models as tasks_models

metadata = Base.metadata

__all__ = [
    "alerts_models",
    "catalog_models",
    "datastore_models",
    "exchange_models",
    "forecasting_models",
    "metadata",
    "security_models",
    "session_models",
    "targets_models",
    "tasks_models",
]
