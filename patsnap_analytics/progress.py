"""Progress bars for long runs (batches, labelling): a widget in notebooks, text elsewhere.

Example:
    >>> progress_bar(10, enabled=False) is None
    True
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["progress_bar"]


def progress_bar(total: int, enabled: bool, *, desc: str = "search_many", unit: str = "image") -> Any:
    """A tqdm bar on stderr, or ``None`` when disabled or there is nothing to do.

    Example:
        >>> progress_bar(0, enabled=True) is None
        True
    """
    if not enabled or total == 0:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr)
