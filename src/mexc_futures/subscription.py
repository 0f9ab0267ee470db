"""Deprecated alias (issue #11, package layout).

``mexc_futures.subscription``
moved to ``mexc_futures.marketdata.subscription``. This module keeps the old path working
for one release and emits a ``DeprecationWarning``.
"""

import warnings

from mexc_futures.marketdata.subscription import *  # noqa: F403
from mexc_futures.marketdata.subscription import __all__ as __all__

warnings.warn(
    "mexc_futures.subscription moved to mexc_futures.marketdata.subscription; "
    "the old path will be removed in the next release",
    DeprecationWarning,
    stacklevel=2,
)
