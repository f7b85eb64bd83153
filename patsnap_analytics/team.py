"""The old home of :class:`~patsnap_analytics.store.team.Team`: spell it ``pa.Team`` (``from patsnap_analytics
import Team``). ``from patsnap_analytics.team import Team`` works until 0.2, with a ``DeprecationWarning``.

Example:
    >>> import warnings
    >>> from patsnap_analytics.store.team import Team
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     from patsnap_analytics.team import Team as OldTeam
    >>> OldTeam is Team, seen[0].category.__name__
    (True, 'DeprecationWarning')
"""

from __future__ import annotations

from typing import Any

from .renames import warn_renamed


def __getattr__(name: str) -> Any:
    # the warning points at the line that reads the old spelling, and importing this module alone stays silent
    from .store import team

    value = getattr(team, name)  # AttributeError for a name the module never had
    warn_renamed(f"patsnap_analytics.team.{name}", f"patsnap_analytics.{name}" if name == "Team"
                 else f"patsnap_analytics.store.team.{name}")
    return value
