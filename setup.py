"""Build script: the optional compiled depth path (``mexc_futures._hot``, issue #19).

Everything else is declared in ``pyproject.toml``. The extension is OPTIONAL: without a C compiler,
without Cython / picows in the build environment, with a picows whose minor version is not the
one the extension is written against, or with ``MEXC_FUTURES_PURE_BUILD=1`` (the pure
``py3-none-any`` wheel), the build prints ONE warning line and installs pure Python, which works
everywhere (``mexc_futures.speedups()`` then says ``pure``). See docs/speedups.md.
"""

from __future__ import annotations

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.join(HERE, "src", "mexc_futures")
#: picows minor version whose C layout (WSFrame, WSListener vtable) ``_hot.pyx`` is built against;
#: keep in step with ``mexc_futures._speedups.PICOWS_ABI`` and the ``picows`` pin in pyproject.toml
PICOWS_ABI = (2, 3)


def _warn(why: str) -> None:
    sys.stderr.write(
        f"WARNING: mexc-futures: compiled depth path not built ({why}); installing the "
        "pure-Python path, which works everywhere (docs/speedups.md)\n"
    )


class OptionalBuildExt(build_ext):
    """``build_ext`` that turns any compile failure into the one warning above."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # no compiler, broken toolchain: pure install
            _warn(f"{type(exc).__name__}: {exc}")

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            _warn(f"{type(exc).__name__}: {exc}")


def _extensions() -> list[Extension]:
    if os.environ.get("MEXC_FUTURES_PURE_BUILD") == "1":
        return []
    try:
        import picows
        from Cython.Build import cythonize
    except ImportError as exc:
        _warn(f"build dependency missing: {exc.name}")
        return []
    version = getattr(picows, "__version__", "0.0")
    if tuple(int(x) for x in version.split(".")[:2]) != PICOWS_ABI:
        _warn(f"picows {version} in the build environment, the extension targets "
              f"{PICOWS_ABI[0]}.{PICOWS_ABI[1]}")
        return []
    args = [] if sys.platform == "win32" else ["-O3"]
    if os.environ.get("MEXC_FUTURES_ASAN") == "1":  # the sanitizer test build (tests/speedups)
        args += ["-fsanitize=address", "-fno-omit-frame-pointer", "-O1", "-g"]
    ext = Extension(
        "mexc_futures._hot",
        [os.path.join("src", "mexc_futures", "_hot.pyx")],
        include_dirs=[PKG],
        depends=[os.path.join("src", "mexc_futures", "_hot_core.h")],
        define_macros=[("MEXC_PICOWS_VERSION", f'"{version}"')],
        extra_compile_args=args,
    )
    try:
        return list(cythonize([ext], quiet=True, language_level=3))
    except Exception as exc:  # a Cython error must not block a pure install either
        _warn(f"cythonize failed: {exc}")
        return []


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
