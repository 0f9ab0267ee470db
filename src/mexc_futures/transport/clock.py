"""Deprecated alias (issue #11, package layout).

``mexc_futures.transport.clock``
moved to ``mexc_futures.clock``. This module keeps the old path working
for one release and emits a ``DeprecationWarning``.
"""

import warnings

from mexc_futures.clock import *  # noqa: F403
from mexc_futures.clock import __all__ as __all__

warnings.warn(
    "mexc_futures.transport.clock moved to mexc_futures.clock; "
    "the old path will be removed in the next release",
    DeprecationWarning,
    stacklevel=2,
)
