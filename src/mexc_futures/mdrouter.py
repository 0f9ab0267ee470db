"""Deprecated alias (issue #11, package layout).

``mexc_futures.mdrouter``
moved to ``mexc_futures.marketdata.router``. This module keeps the old path working
for one release and emits a ``DeprecationWarning``.
"""

import warnings

from mexc_futures.marketdata.router import *  # noqa: F403
from mexc_futures.marketdata.router import __all__ as __all__

warnings.warn(
    "mexc_futures.mdrouter moved to mexc_futures.marketdata.router; "
    "the old path will be removed in the next release",
    DeprecationWarning,
    stacklevel=2,
)
