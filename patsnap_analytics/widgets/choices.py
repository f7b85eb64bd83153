"""CheckboxGroup: several codes chosen with checkboxes, the rarely wanted ones folded away.

A multiple-choice filter as a list that needs Ctrl-click is a trap for people who do not use one every day: a
plain click silently drops what was chosen before. Checkboxes say what they do. Codes few searches need (PCT
stages, which designs never go through; the long tail of offices) sit in folded sections, closed until someone
opens them, so the form stays short; a folded section says in its title how many of its codes are ticked, so a
filter is never hidden while it is on. The checkboxes of a folded section are made when it is first opened (or
one of its codes is chosen from code), so a long list costs nothing until someone needs it.

Example:
    >>> group = CheckboxGroup([("Active (1)", 1), ("Inactive (0)", 0)], folds=[("PCT stages", [("PCT (221)", 221)])])
    >>> group.boxes[0].value = True
    >>> group.value
    (1,)
    >>> group.value = (1, 221)
    >>> group.fold_titles()
    ('PCT stages (1 ticked)',)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import ipywidgets as w
import traitlets

__all__ = ["CheckboxGroup", "collapsed"]

Option = tuple[str, Any]
_BOX_WIDTH = "210px"
_GAP = "8px"


def _with_count(title: str, n: int) -> str:
    return f"{title} ({n} ticked)" if n else title


def collapsed(group: CheckboxGroup, title: str) -> w.Accordion:
    """``group`` in a section that starts closed; its title says how many boxes are ticked.

    Example:
        >>> section = collapsed(CheckboxGroup([("Granted (3)", 3)]), "Legal status (detailed)")
        >>> section.selected_index, section.titles
        (None, ('Legal status (detailed)',))
        >>> section.children[0].value = (3,); section.titles
        ('Legal status (detailed) (1 ticked)',)
    """
    section = w.Accordion(children=[group], titles=(_with_count(title, len(group.value)),), selected_index=None)
    group.observe(lambda change: setattr(section, "titles", (_with_count(title, len(change["new"])),)), "value")
    return section


class CheckboxGroup(w.VBox):
    """Checkboxes for ``options`` (``(label, code)`` pairs); ``value`` is the tuple of ticked codes.

    * ``value`` — an observable trait (``group.observe(f, "value")``), in the order of the options; setting it
      ticks the boxes. A code that is in no option is added as an option labelled by the code itself, so a
      valid filter loaded from code is never dropped.
    * ``folds`` — ``(title, options)`` sections shown closed under the main boxes.
    * ``columns`` — boxes per row.

    Example:
        >>> group = CheckboxGroup([("United States (US)", "US"), ("China (CN)", "CN")], columns=2)
        >>> group.value = ("CN",)
        >>> [box.value for box in group.boxes], dict(group.options)["China (CN)"]
        ([False, True], 'CN')
    """

    value = traitlets.Tuple(help="the ticked codes, in the order of the options")
    disabled = traitlets.Bool(False, help="whether the boxes can be ticked")

    def __init__(self, options: Iterable[Option], *, folds: Sequence[tuple[str, Iterable[Option]]] = (),
                 columns: int = 3, **kwargs: Any) -> None:
        self._main: list[Option] = list(options)
        self._folds: list[tuple[str, list[Option]]] = [(title, list(opts)) for title, opts in folds]
        self._columns = columns
        self._syncing = False
        self.boxes = [self._box(label, code) for label, code in self._main]
        self.grid = w.GridBox(self.boxes, layout=self._grid_layout())
        # one Accordion per fold: its boxes are made when it opens (see _open)
        self.fold_boxes: list[list[w.Checkbox] | None] = [None] * len(self._folds)
        self.fold_panels = [w.Accordion(children=[w.VBox()], titles=(title,), selected_index=None)
                            for title, _ in self._folds]
        for index, panel in enumerate(self.fold_panels):
            panel.observe(lambda change, i=index: change["new"] is not None and self._open(i), "selected_index")
        kwargs.setdefault("layout", w.Layout(width=self.width))
        super().__init__([self.grid, *self.fold_panels], **kwargs)
        self.add_class("pa-checkbox-group")

    # ------------------------------------------------------------------ public API
    @property
    def options(self) -> list[Option]:
        """Every ``(label, code)``, the folded ones after the main ones."""
        return [*self._main, *(opt for _, opts in self._folds for opt in opts)]

    @property
    def shown(self) -> list[Option]:
        """The options whose boxes show at once (not folded)."""
        return list(self._main)

    @property
    def folds(self) -> list[tuple[str, list[Option]]]:
        """The folded sections: ``(title, options)`` each."""
        return [(title, list(opts)) for title, opts in self._folds]

    @property
    def width(self) -> str:
        """The CSS width of the boxes' grid (folded sections take the same)."""
        return f"calc({self._columns} * {_BOX_WIDTH} + {self._columns - 1} * {_GAP})"

    def fold_titles(self) -> tuple[str, ...]:
        """The folded sections' titles as shown (with how many of their codes are ticked)."""
        return tuple(panel.titles[0] for panel in self.fold_panels)

    def set_options(self, options: Iterable[Option]) -> None:
        """Replace the main options (the folds stay); ticked codes no longer offered are unticked.

        Example:
            >>> group = CheckboxGroup([("a", 1), ("b", 2)]); group.value = (1, 2)
            >>> group.set_options([("b", 2), ("c", 3)]); group.value
            (2,)
        """
        old = self.boxes
        self._main = list(options)
        self.boxes = [self._box(label, code) for label, code in self._main]
        self.grid.children = tuple(self.boxes)
        for box in old:
            box.close()  # off the page now: free its model too
        offered = {code for _, code in self.options}
        kept = tuple(code for code in self.value if code in offered)
        if kept != self.value:
            self.value = kept
        else:
            self._show(kept)

    def extend(self, options: Iterable[Option]) -> None:
        """Add options to the main boxes (codes already offered are skipped).

        Example:
            >>> group = CheckboxGroup([("a", 1)]); group.extend([("a again", 1), ("b", 2)])
            >>> group.options
            [('a', 1), ('b', 2)]
        """
        known = {code for _, code in self.options}
        new = [(label, code) for label, code in options if code not in known]
        if not new:
            return
        self._main.extend(new)
        self.boxes.extend(self._box(label, code) for label, code in new)
        self.grid.children = tuple(self.boxes)
        self._show(self.value)

    # ------------------------------------------------------------------ internals
    def _grid_layout(self) -> w.Layout:
        return w.Layout(grid_template_columns=f"repeat({self._columns}, {_BOX_WIDTH})", grid_gap=f"0 {_GAP}")

    def _box(self, label: str, code: Any) -> w.Checkbox:
        box = w.Checkbox(value=False, description=label, indent=False, tooltip=label, disabled=self.disabled,
                         layout=w.Layout(width=_BOX_WIDTH))
        box.observe(lambda _: self._ticked(), "value")
        return box

    def _open(self, index: int) -> None:
        if self.fold_boxes[index] is not None:
            return
        boxes = [self._box(label, code) for label, code in self._folds[index][1]]
        self.fold_boxes[index] = boxes
        self.fold_panels[index].children = [w.GridBox(boxes, layout=self._grid_layout())]
        self._show(self.value)

    def _all_boxes(self) -> list[tuple[w.Checkbox, Any]]:
        pairs = list(zip(self.boxes, (code for _, code in self._main), strict=True))
        for boxes, (_, opts) in zip(self.fold_boxes, self._folds, strict=True):
            if boxes is not None:
                pairs.extend(zip(boxes, (code for _, code in opts), strict=True))
        return pairs

    def _ticked(self) -> None:
        if self._syncing:
            return
        ticked = {code for box, code in self._all_boxes() if box.value}
        # codes of folds not opened yet have no box: keep them as they are
        unbuilt = {code for boxes, (_, opts) in zip(self.fold_boxes, self._folds, strict=True) if boxes is None
                   for _, code in opts if code in self.value}
        self.value = tuple(code for _, code in self.options if code in ticked | unbuilt)

    @traitlets.validate("value")
    def _known_codes(self, proposal: dict) -> tuple:
        codes = tuple(dict.fromkeys(proposal["value"]))
        missing = [code for code in codes if code not in {c for _, c in self.options}]
        if missing:  # a valid filter the table does not name yet: offer it rather than drop it
            self.extend((str(code), code) for code in missing)
        order = [code for _, code in self.options]
        return tuple(sorted(codes, key=order.index))

    @traitlets.observe("value")
    def _value_changed(self, change: dict) -> None:
        chosen = set(change["new"])
        for index, (_, opts) in enumerate(self._folds):
            if self.fold_boxes[index] is None and chosen & {code for _, code in opts}:
                self._open(index)  # ticked from code: make its boxes so that they show it
        self._show(change["new"])

    def _show(self, value: tuple) -> None:
        chosen = set(value)
        self._syncing = True
        try:
            for box, code in self._all_boxes():
                box.value = code in chosen
        finally:
            self._syncing = False
        for panel, (title, opts) in zip(self.fold_panels, self._folds, strict=True):
            panel.titles = (_with_count(title, len(chosen & {code for _, code in opts})),)

    @traitlets.observe("disabled")
    def _disabled_changed(self, change: dict) -> None:
        for box, _ in self._all_boxes():
            box.disabled = change["new"]
