"""Deprecated alias (issue #11, package layout).

``mexc_futures.journal``
moved to ``mexc_futures.execution.journal``. This module keeps the old path working
for one release and emits a ``DeprecationWarning``.
"""

import warnings

from mexc_futures.execution.journal import *  # noqa: F403
from mexc_futures.execution.journal import __all__ as __all__

warnings.warn(
    "mexc_futures.journal moved to mexc_futures.execution.journal; "
    "the old path will be removed in the next release",
    DeprecationWarning,
    stacklevel=2,
)
