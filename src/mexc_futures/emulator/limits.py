"""Deprecated alias (issue #11, package layout).

``mexc_futures.emulator.limits``
moved to ``mexc_futures.emulator.server.limits``. This module keeps the old path working
for one release and emits a ``DeprecationWarning``.
"""

import warnings

from mexc_futures.emulator.server.limits import *  # noqa: F403
from mexc_futures.emulator.server.limits import __all__ as __all__

warnings.warn(
    "mexc_futures.emulator.limits moved to mexc_futures.emulator.server.limits; "
    "the old path will be removed in the next release",
    DeprecationWarning,
    stacklevel=2,
)
