"""API credentials for the commands that need them, and only for those.

Starting ``mexc-futures`` reads no ``.env`` and asks no keyring: ``--help``, ``emulator``,
``backtest``, ``record info``, market-data commands on the in-process emulator and every other
command that signs nothing start without touching a secret store. At start the root group
(``cli.main``) refuses secret-looking options and the environment's secret on the command line
(``config.reject_cli_secrets(..., stored=False)``) and keeps the checked arguments in the click
context. A command that signs (``--live``, or ``--emulator-url`` with your keys) calls
``load_cli_credentials``: the environment, then ``./.env`` (mode 0600), then the OS keyring
(``config.load_credentials``), and the loaded secret is checked against those arguments before
anything is sent (reliability-audit D15: a secret from ``.env`` or the keyring on the command
line is refused too).
"""

from __future__ import annotations

from collections.abc import Sequence

import click

from mexc_futures.config import Credentials, load_credentials, reject_loaded_secret

#: ``click.Context.meta`` key: the arguments the root group checked (``cli.main.RootGroup``).
CHECKED_ARGV = "mexc_futures.checked_argv"


def remember_argv(ctx: click.Context, argv: Sequence[str]) -> None:
    """Keep the checked arguments for ``load_cli_credentials`` (``meta`` is shared by the
    context and every sub-command's)."""
    ctx.meta[CHECKED_ARGV] = tuple(argv)


def load_cli_credentials() -> Credentials:
    """``load_credentials``, then refuse a command line that carries the loaded secret
    (``ConfigError`` names the argument position, never the value)."""
    creds = load_credentials()
    ctx = click.get_current_context(silent=True)
    argv = ctx.meta.get(CHECKED_ARGV, ()) if ctx is not None else ()
    reject_loaded_secret(argv, creds)
    return creds
