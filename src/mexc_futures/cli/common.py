"""What every command shares: where to connect, output (table or ``--json``), errors that teach.

Targets (``open_target``), in this order:

* ``--live`` — the real exchange (``Environment.from_env()``); keys from ``MEXC_API_KEY`` /
  ``MEXC_API_SECRET``, a 0600 ``.env`` or the OS keyring (``config.load_credentials``);
* ``--emulator-url URL`` (or ``MEXC_EMULATOR_URL``) — an emulator already running
  (``mexc-futures emulator``); keys from the same sources as live;
* otherwise a fresh emulator started in-process on 127.0.0.1 with its own generated keys.

State that must outlive one command (the journal and the kill-switch latch) lives in
``--state-dir`` (``MEXC_FUTURES_HOME``, default ``~/.mexc-futures``), one sub-directory per target
kind (``live``, ``emulator``).

Errors: ``MexcError`` subclasses become a one-paragraph message that says what to do, exit code 1
(``CliError``); usage errors keep click's exit code 2.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import msgspec
from rich.console import Console
from rich.table import Table

from mexc_futures.config import Credentials, Environment, load_credentials
from mexc_futures.errors import (
    ApiError,
    ConfigError,
    KillSwitchActive,
    MexcError,
    TransportError,
    ValidationError,
)

if TYPE_CHECKING:
    from mexc_futures.emulator.server import Emulator

T = TypeVar("T")
ENV_EMULATOR_URL = "MEXC_EMULATOR_URL"
ENV_HOME = "MEXC_FUTURES_HOME"

KILL_HELP = (
    "Check what is open with `mexc-futures orders` and `mexc-futures positions`, fix the cause, "
    "then re-arm with `mexc-futures kill --reset`."
)


class CliError(click.ClickException):
    """A failure explained to the user (exit code 1)."""

    exit_code = 1


@dataclass(frozen=True)
class Options:
    """Group-level options, stored on the click context."""

    live: bool = False
    emulator_url: str | None = None
    state_dir: Path | None = None
    seed: int = 1
    speed: float = 1.0

    @property
    def kind(self) -> str:
        """``live`` or ``emulator``."""
        return "live" if self.live else "emulator"

    def home(self) -> Path:
        """Directory for the journal and the kill-switch latch of this target kind (0700)."""
        base = self.state_dir or Path(os.environ.get(ENV_HOME) or Path.home() / ".mexc-futures")
        path = base / self.kind
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        return path

    @property
    def journal_path(self) -> Path:
        """SQLite journal of this target kind."""
        return self.home() / "journal.sqlite"


@dataclass
class Target:
    """An open connection target."""

    env: Environment
    credentials: Credentials | None
    emulator: Emulator | None
    options: Options

    @property
    def live(self) -> bool:
        """Whether orders here cost real money."""
        return self.env.is_live


def options(ctx: click.Context) -> Options:
    """The group options of this invocation."""
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Options) else Options()


def _local_env(url: str) -> Environment:
    base = url.rstrip("/")
    ws = "ws" + base[len("http") :] + "/edge" if base.startswith("http") else base + "/edge"
    return Environment(name="local", rest_url=base, ws_url=ws, is_live=False)


@contextlib.asynccontextmanager
async def open_target(
    opts: Options, *, keys: bool, symbols: Sequence[str] | None = None
) -> AsyncIterator[Target]:
    """Connect to the chosen target; ``keys`` loads credentials (``ConfigError`` says how)."""
    if opts.live:
        creds = load_credentials() if keys else None
        yield Target(Environment.from_env(), creds, None, opts)
        return
    url = opts.emulator_url or os.environ.get(ENV_EMULATOR_URL)
    if url:
        creds = load_credentials() if keys else None
        yield Target(_local_env(url), creds, None, opts)
        return
    from mexc_futures.emulator.server import Emulator

    async with Emulator(seed=opts.seed, speed=opts.speed, symbols=symbols) as ex:
        yield Target(ex.env, ex.credentials, ex, opts)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine, turning library errors into messages that say what to do."""
    try:
        return asyncio.run(coro)
    except KeyboardInterrupt:
        raise click.Abort() from None
    except MexcError as exc:
        raise CliError(explain(exc)) from None


@contextlib.contextmanager
def explained() -> Iterator[None]:
    """Turn library errors raised outside ``run`` into ``CliError`` messages."""
    try:
        yield
    except MexcError as exc:
        raise CliError(explain(exc)) from None


def explain(exc: MexcError) -> str:
    """The user-facing text for ``exc``."""
    if isinstance(exc, KillSwitchActive):
        return f"Kill switch is TRIPPED: nothing was sent. {exc} {KILL_HELP}"
    if isinstance(exc, ApiError) and exc.code == 1001:
        return (
            f"Unknown symbol ({exc.message or 'contract does not exist'}). Symbols look like "
            "BTC_USDT (base_quote, upper case); list them with `mexc-futures ticker`."
        )
    if isinstance(exc, ValidationError):
        hint = f" Nearest valid value: {exc.nearest}." if exc.nearest is not None else ""
        return f"Rejected before sending: {exc}.{hint}"
    if isinstance(exc, ConfigError):
        return str(exc)
    if isinstance(exc, TransportError):
        return f"Network problem: {exc}. Check the URL and your connection, then retry."
    return str(exc)


async def gather_or_fail(*aws: Awaitable[T]) -> list[T]:
    """``asyncio.gather`` that propagates the first error."""
    return list(await asyncio.gather(*aws))


# ---------------------------------------------------------------- output


def console() -> Console:
    """The stdout console (plain when not a terminal, so tests read clean text)."""
    return Console(highlight=False, soft_wrap=False)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    return value


def emit_json(data: Any) -> None:
    """Print ``data`` (structs, lists, dicts; Decimals as strings) as JSON on stdout."""
    click.echo(msgspec.json.encode(data, enc_hook=_plain, order="deterministic").decode())


def emit_table(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[object]], *, empty: str = ""
) -> None:
    """Print a table (or ``empty`` when there are no rows)."""
    if not rows and empty:
        click.echo(empty)
        return
    table = Table(title=title, title_justify="left")
    for col in columns:
        table.add_column(col, justify="right" if col[:1].islower() else "left")
    for row in rows:
        table.add_row(*(str(c) for c in row))
    console().print(table)


def json_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--json``."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(
        fn
    )


def confirm_live(target: Target, what: str, yes: bool) -> None:
    """On the live exchange, ask before the first order unless ``--yes``."""
    if not target.live or yes:
        return
    if not click.confirm(f"LIVE exchange: {what}. Send it?", default=False):
        raise CliError("Not sent (answer was no). Add --yes to skip this question in scripts.")


__all__ = [
    "ENV_EMULATOR_URL",
    "ENV_HOME",
    "CliError",
    "Options",
    "Target",
    "confirm_live",
    "emit_json",
    "emit_table",
    "explain",
    "explained",
    "json_option",
    "open_target",
    "options",
    "run",
]
