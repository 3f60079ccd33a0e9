"""Old import paths of moved names: they still import, with a ``DeprecationWarning``."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any


def moved_to(module: ModuleType, old: str, names: Iterable[str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for module ``old`` whose ``names`` moved to ``module``."""
    moved = frozenset(names)

    def __getattr__(name: str) -> Any:
        if name in moved:
            warnings.warn(f"{old}.{name} moved: import it from {module.__name__} "
                          "(the old path will be removed)", DeprecationWarning, stacklevel=2)
            return getattr(module, name)
        raise AttributeError(f"module {old!r} has no attribute {name!r}")

    return __getattr__
