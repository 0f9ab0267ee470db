"""Deprecated alias (issue #11, package layout).

``mexc_futures.metrics``
moved to ``mexc_futures.transport.metrics``. This module keeps the old path working
for one release and emits a ``DeprecationWarning``.
"""

import warnings

from mexc_futures.transport.metrics import *  # noqa: F403
from mexc_futures.transport.metrics import __all__ as __all__

warnings.warn(
    "mexc_futures.metrics moved to mexc_futures.transport.metrics; "
    "the old path will be removed in the next release",
    DeprecationWarning,
    stacklevel=2,
)
