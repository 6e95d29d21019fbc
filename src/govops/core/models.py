"""Every table of every domain, gathered so migrations see the whole schema."""

from govops.catalog import models as catalog_models
from govops.core.db import Base
from govops.datastore import models as datastore_models
from govops.security import models as security_models

metadata = Base.metadata

__all__ = ["catalog_models", "datastore_models", "metadata", "security_models"]
