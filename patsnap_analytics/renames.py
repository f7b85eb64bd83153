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

import warnings
from typing import Any

__all__ = ["REMOVED_IN", "renamed_keyword", "warn_renamed"]

#: The release that drops the old spellings.
REMOVED_IN = "0.2"


def warn_renamed(old: str, new: str, *, stacklevel: int = 3) -> None:
    """Say that ``old`` is spelled ``new`` now (a ``DeprecationWarning`` pointing at the caller's line).

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as seen:
        ...     warnings.simplefilter("always")
        ...     warn_renamed("Filter.label", "Filter.caption")
        >>> seen[0].category.__name__
        'DeprecationWarning'
    """
    warnings.warn(f"{old} is renamed {new}; {old} stops working in patsnap-analytics {REMOVED_IN}",
                  DeprecationWarning, stacklevel=stacklevel)


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
                  f"{REMOVED_IN}", DeprecationWarning, stacklevel=3)
    return kwargs.pop(old)
