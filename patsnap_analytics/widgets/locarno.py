"""LocPicker: find Locarno classes by words and tick them; the picker writes the ``loc`` expression.

Nobody remembers that watches are ``10-02``. The analyst types what the design is ("watch"), sees the matching
classes and subclasses with their titles (:func:`~patsnap_analytics.codes.find_loc`, the one code table), and
ticks the ones wanted. Each tick adds the code to the LOC expression as one more ``OR`` alternative; unticking
removes it. The expression stays the source of truth and stays editable by hand: a hand-written
``14 AND NOT 14-03`` is kept whole, a ticked code is joined to it with ``OR``, and a box is ticked exactly when
its code is one of the expression's top-level alternatives. Finding codes costs no API call.

Example:
    >>> target = w.Text()
    >>> picker = LocPicker(target)
    >>> picker.words.value = "watch"
    >>> [code for _, code in picker.matches.options][:2]
    ['10-02', '10']
    >>> picker.matches.value = ("10-02",)
    >>> target.value
    '10-02'
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w

from .. import codes, loc
from ..errors import ValidationError
from .choices import CheckboxGroup

__all__ = ["LocPicker", "alternatives", "with_code"]

#: How many classes a search by words offers at most.
MATCHES = 8


def _parsed(expression: str) -> loc.LocExpr | None:
    return loc.parse(expression) if expression.strip() else None


def alternatives(expression: str) -> list[str]:
    """The codes that are whole top-level ``OR`` alternatives of ``expression`` (what the boxes show ticked).

    Raises :class:`~patsnap_analytics.errors.ValidationError` when the expression does not parse.

    Example:
        >>> alternatives("10-02 or (14 and not 14-03) or 26-05")
        ['10-02', '26-05']
        >>> alternatives("")
        []
    """
    expr = _parsed(expression)
    parts = expr.operands if isinstance(expr, loc.Or) else (expr,) if expr is not None else ()
    return [part.code for part in parts if isinstance(part, loc.Term)]


def with_code(expression: str, code: str, ticked: bool) -> str:
    """``expression`` with ``code`` added as an ``OR`` alternative (``ticked``) or that alternative removed.

    Anything else in the expression is kept; the result is in canonical form. Raises
    :class:`~patsnap_analytics.errors.ValidationError` when the expression does not parse (nobody's
    half-typed expression is rewritten).

    Example:
        >>> with_code("", "10-02", True)
        '10-02'
        >>> with_code("14 and not 14-03", "10-02", True)
        '14 AND NOT 14-03 OR 10-02'
        >>> with_code("10-02 OR 10-07", "10-02", False)
        '10-07'
    """
    expr = _parsed(expression)
    parts: list[loc.LocExpr] = list(expr.operands if isinstance(expr, loc.Or) else (expr,) if expr else ())
    term = loc.Term(code)
    if ticked and term not in parts:
        parts.append(term)
    elif not ticked:
        parts = [part for part in parts if part != term]
    if not parts:
        return ""
    return str(parts[0] if len(parts) == 1 else loc.Or(tuple(parts)))


class LocPicker(w.VBox):
    """A words box and checkboxes of the Locarno classes that match; ticking writes into ``target`` (a Text
    holding the LOC expression, normally the filter form's).

    The boxes offered are the best :data:`MATCHES` matches of ``words`` plus every code already chosen, so a
    choice stays visible (and can be unticked) while the analyst searches for the next one. ``message`` says
    when nothing matches, or when the expression must be fixed before a tick can change it.

    Example:
        >>> picker = LocPicker(w.Text(value="06-01"))
        >>> picker.matches.value, picker.matches.options[0][0]
        (('06-01',), '06-01 Seats')
    """

    def __init__(self, target: w.Text, **kwargs: Any) -> None:
        self.target = target
        self.words = w.Text(description="Find by words", placeholder="what the design is: watch, chair, lamp…",
                            continuous_update=True, style={"description_width": "130px"},
                            layout=w.Layout(width="420px"))
        self.matches = CheckboxGroup([], columns=2)
        self.message = w.HTML()
        self._writing = False
        kwargs.setdefault("layout", w.Layout(margin="0 0 4px 0"))
        super().__init__([self.words, self.message, self.matches], **kwargs)
        self.add_class("pa-loc-picker")
        self.words.observe(lambda _: self._offer(), "value")
        self.matches.observe(self._ticked, "value")
        target.observe(lambda _: self._offer(), "value")
        self._offer()

    def _chosen(self) -> list[str] | None:
        """The ticked codes the expression holds; ``None`` while it does not parse."""
        try:
            return alternatives(self.target.value)
        except ValidationError:
            return None

    def _offer(self) -> None:
        """Show the matches of the words and the codes already chosen, ticked as the expression says."""
        if self._writing:
            return
        chosen = self._chosen()
        text = self.words.value.strip()
        found = codes.find_loc(text, limit=MATCHES)["code"].tolist() if text else []
        offered = list(dict.fromkeys([*(chosen or []), *found]))
        self._writing = True
        try:
            if offered != [code for _, code in self.matches.shown]:  # new boxes only for a new offer
                self.matches.set_options((f"{code} {codes.loc_title(code)}", code) for code in offered)
            self.matches.value = tuple(chosen or ())
            self.matches.disabled = chosen is None
        finally:
            self._writing = False
        if chosen is None:
            self._say("Fix the LOC expression above to tick classes here.")
        elif text and not found:
            self._say(f"No Locarno class matches {text!r}; try another word (e.g. chair, lamp, phone).")
        else:
            self._say("")

    def _ticked(self, change: dict) -> None:
        if self._writing:
            return
        before, after = set(change["old"]), set(change["new"])
        expression = self.target.value
        try:
            for code in after - before:
                expression = with_code(expression, code, True)
            for code in before - after:
                expression = with_code(expression, code, False)
        except ValidationError:
            return  # the boxes are disabled while the expression does not parse; nothing to rewrite
        self._writing = True
        try:
            self.target.value = expression
        finally:
            self._writing = False

    def _say(self, text: str) -> None:
        self.message.value = f"<small style='color:#555'>{html.escape(text)}</small>" if text else ""
