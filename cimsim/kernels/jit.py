"""Numba's CPU target, built without importing scipy.linalg.

Numba builds its CPU target the first time a compiled function runs or is loaded from its
on-disk cache: it imports all its implementation modules. One of them,
``numba.np.arraymath``, checks at import that BLAS is available for ``np.dot`` by importing
``scipy.linalg.cython_blas``, and that import runs the whole of ``scipy.linalg`` (0.08-0.2 s
on the 2-core benchmark machine, a tenth of a `cimsim run` of VGG-8). No cimsim kernel calls
BLAS from compiled code.

:func:`target_ready` builds the target with that check answered from the installed files:
while numba's modules load, ``scipy.linalg.cython_blas`` is a placeholder module if (and only
if) scipy ships it, then the placeholder is removed. Numba's answer is the one the real import
gives (BLAS available when scipy provides it); compiled code that does use BLAS makes numba
import the real module then (``numba.np.linalg.ensure_blas`` at compilation, and numba's
helper library when it looks the functions up at run time), so only the time moves.
"""

from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import os
import sys
import types

CYTHON_BLAS = "scipy.linalg.cython_blas"


def cython_blas_installed() -> bool:
    """Whether the installed scipy ships ``scipy.linalg.cython_blas`` (looked up on disk,
    without importing ``scipy.linalg``)."""
    spec = importlib.util.find_spec("scipy")
    for root in (spec.submodule_search_locations or []) if spec is not None else []:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            if os.path.exists(os.path.join(root, "linalg", "cython_blas" + suffix)):
                return True
    return False


@functools.cache
def target_ready() -> None:
    """Build numba's CPU target (once per process; see the module docstring)."""
    if "numba.np.arraymath" in sys.modules or CYTHON_BLAS in sys.modules:
        return  # the target is already built, or scipy.linalg is loaded anyway: nothing to save
    from numba.core.registry import cpu_target

    placeholder = types.ModuleType(CYTHON_BLAS) if cython_blas_installed() else None
    if placeholder is not None:
        sys.modules[CYTHON_BLAS] = placeholder
    try:
        cpu_target.target_context.refresh()
    finally:
        if placeholder is not None and sys.modules.get(CYTHON_BLAS) is placeholder:
            del sys.modules[CYTHON_BLAS]
