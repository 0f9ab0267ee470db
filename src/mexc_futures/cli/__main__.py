"""``python -m mexc_futures.cli`` = ``mexc-futures``."""

from mexc_futures.cli.main import main

main()
