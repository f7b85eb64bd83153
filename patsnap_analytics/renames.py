"""Old spellings of renamed public names: each still works for one release, with a ``DeprecationWarning``.

Names were renamed so that each word means one thing (``docs/architecture.md``, "Names"). Every old
spelling goes through :func:`warn_renamed` (an attribute, a method, an ``attrs`` key) or :func:`renamed_keyword`
(a keyword argument), so the warning says the same thing everywhere and :data:`REMOVED_IN` names the release that
drops them.

Example:
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     renamed_keyword({"by": "legal_status"}, "by", "status", where="status_breakdown")
    'legal_status'
    >>> str(seen[0].message)
    'status_breakdown(by=...) is renamed status=...; by= stops working in patsnap-analytics 0.2'
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

__all__ = ["REMOVED_IN", "outside_stacklevel", "renamed_keyword", "warn_renamed"]

#: The release that drops the old spellings.
REMOVED_IN = "0.2"


def outside_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning raised by the function calling this one point at the first line
    outside this package: the user's, however many of the toolkit's frames (a decorator, a subclass's
    ``__init__``, a module's ``__getattr__``) lie between. Frames of the import machinery are not counted, as
    :func:`warnings.warn` does not count them. A fixed ``stacklevel`` pointed into the toolkit from a wrapped
    chart, and a ``DeprecationWarning`` is shown by default only when it points at ``__main__``.

    Example:
        >>> outside_stacklevel() >= 1
        True
    """
    frame = sys._getframe(1)  # the function that will call warnings.warn: stacklevel 1
    level = 1
    while frame.f_back is not None and _inside(frame):
        frame = frame.f_back
        if not _import_machinery(frame):
            level += 1
    return level


def _inside(frame: Any) -> bool:
    name = str(frame.f_globals.get("__name__", ""))
    return name.split(".")[0] == __name__.split(".")[0] or _import_machinery(frame)


def _import_machinery(frame: Any) -> bool:
    filename = frame.f_code.co_filename
    return "importlib" in filename and "_bootstrap" in filename


def warn_renamed(old: str, new: str, *, stacklevel: int | None = None) -> None:
    """Say that ``old`` is spelled ``new`` now (a ``DeprecationWarning`` pointing at the first line outside the
    toolkit: the caller's; ``stacklevel`` overrides it).

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as seen:
        ...     warnings.simplefilter("always")
        ...     warn_renamed("Filter.label", "Filter.caption")
        >>> seen[0].category.__name__
        'DeprecationWarning'
    """
    warnings.warn(f"{old} is renamed {new}; {old} stops working in patsnap-analytics {REMOVED_IN}",
                  DeprecationWarning, stacklevel=outside_stacklevel() if stacklevel is None else stacklevel)


def renamed_keyword(kwargs: dict[str, Any], old: str, new: str, *, where: str, default: Any = None) -> Any:
    """The value meant for ``new``: the old keyword ``old``, taken out of ``kwargs`` (warning that it is ``new``
    now), when it was given; else ``default`` (what the caller got as ``new``).

    Example:
        >>> renamed_keyword({}, "by", "status", where="status_breakdown", default="legal_status")
        'legal_status'
    """
    if old not in kwargs:
        return default
    warnings.warn(f"{where}({old}=...) is renamed {new}=...; {old}= stops working in patsnap-analytics "
                  f"{REMOVED_IN}", DeprecationWarning, stacklevel=outside_stacklevel())
    return kwargs.pop(old)
