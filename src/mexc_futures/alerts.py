"""Deprecated alias (issue #11, package layout).

``mexc_futures.alerts``
moved to ``mexc_futures.execution.alerts``. This module keeps the old path working
for one release and emits a ``DeprecationWarning``.
"""

import warnings

from mexc_futures.execution.alerts import *  # noqa: F403
from mexc_futures.execution.alerts import __all__ as __all__

warnings.warn(
    "mexc_futures.alerts moved to mexc_futures.execution.alerts; "
    "the old path will be removed in the next release",
    DeprecationWarning,
    stacklevel=2,
)
