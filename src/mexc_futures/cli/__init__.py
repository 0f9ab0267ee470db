"""Command line interface (``mexc-futures``)."""

from mexc_futures.cli.main import main

__all__ = ["main"]
