"""Root ``mexc-futures`` command group; sub-commands register themselves here."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mexc-futures")
def cli() -> None:
    """mexc-futures: stream, book-keep and trade MEXC Futures, or run a local MEXC exchange."""


def main() -> None:
    """Console-script entry point."""
    cli()
