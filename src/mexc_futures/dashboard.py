"""Deprecated alias (issue #11, package layout).

``mexc_futures.dashboard``
moved to ``mexc_futures.cli.dashboard``. This module keeps the old path working
for one release and emits a ``DeprecationWarning``.
"""

import warnings

from mexc_futures.cli.dashboard import *  # noqa: F403
from mexc_futures.cli.dashboard import __all__ as __all__

warnings.warn(
    "mexc_futures.dashboard moved to mexc_futures.cli.dashboard; "
    "the old path will be removed in the next release",
    DeprecationWarning,
    stacklevel=2,
)
