"""Every model module imported once, so Base.metadata knows every table (for Alembic:
db/migrations/env.py, and the tests' schema checks).

It imports every package's models, so it stands at the top with the app, not in `db/`
(which every package imports): see the layers in ARCHITECTURE.md."""

from shelfspace.accounts import models as _accounts  # noqa: F401
from shelfspace.accounts import signup_models as _signup  # noqa: F401
from shelfspace.audiences import models as _audiences  # noqa: F401
from shelfspace.billing import models as _billing  # noqa: F401
from shelfspace.catalog import models as _catalog  # noqa: F401
from shelfspace.catalog import version as _version  # noqa: F401
from shelfspace.db.base import Base
from shelfspace.delivery import models as _delivery  # noqa: F401
from shelfspace.demand import models as _demand  # noqa: F401
from shelfspace.events import models as _events  # noqa: F401
from shelfspace.forecasting import models as _forecasting  # noqa: F401
from shelfspace.measurement import models as _measurement  # noqa: F401
from shelfspace.notifications import models as _notifications  # noqa: F401
from shelfspace.reporting import models as _reporting  # noqa: F401
from shelfspace.tracking import models as _tracking  # noqa: F401

target_metadata = Base.metadata
