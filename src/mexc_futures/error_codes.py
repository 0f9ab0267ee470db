"""Deprecated alias (issue #11, package layout).

``mexc_futures.error_codes``
moved to ``mexc_futures.protocol.error_codes``. This module keeps the old path working
for one release and emits a ``DeprecationWarning``.
"""

import warnings

from mexc_futures.protocol.error_codes import *  # noqa: F403
from mexc_futures.protocol.error_codes import __all__ as __all__

warnings.warn(
    "mexc_futures.error_codes moved to mexc_futures.protocol.error_codes; "
    "the old path will be removed in the next release",
    DeprecationWarning,
    stacklevel=2,
)
