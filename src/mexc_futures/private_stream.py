"""Deprecated alias (issue #11, package layout).

``mexc_futures.private_stream``
moved to ``mexc_futures.marketdata.private_stream``. This module keeps the old path working
for one release and emits a ``DeprecationWarning``.
"""

import warnings

from mexc_futures.marketdata.private_stream import *  # noqa: F403
from mexc_futures.marketdata.private_stream import __all__ as __all__

warnings.warn(
    "mexc_futures.private_stream moved to mexc_futures.marketdata.private_stream; "
    "the old path will be removed in the next release",
    DeprecationWarning,
    stacklevel=2,
)
