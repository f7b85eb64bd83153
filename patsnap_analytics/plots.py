"""Charts of design-search results, seaborn-style: a tidy DataFrame in, a Matplotlib Axes out.

Every function takes a result frame (``query, rank, patent_id, patent_pn, title, score, image_url, country, ...``),
draws on ``ax=`` (or on a new figure when it is ``None``) and returns that Axes; :func:`thumbnail_gallery` needs a
grid, so it takes ``fig=`` and returns the Figure. Nothing here calls ``plt.show()``: Jupyter shows the figure, and
scripts decide for themselves.

Conventions shared by all charts:

* Colours are the Okabe-Ito palette (:data:`OKABE_ITO`), readable with every common colour-vision deficiency,
  one colour per category within a chart: past eight categories the smallest are grouped into one grey
  ``Other (k)``. Statuses are coloured by what they mean (:data:`patsnap_analytics.codes.STATUS_MEANINGS`:
  in force green, pending amber, lapsed red-ish, undetermined grey; :func:`status_colours`). Legends sit
  outside the data, at the right; titles wrap rather than run off the figure; empty heatmap cells are blank.
* Text in Chinese, Japanese or Korean (titles, holders) is drawn with a CJK font where one is installed
  (:data:`CJK_FONTS`, e.g. Debian's ``fonts-noto-cjk``), as a fallback after Matplotlib's own font.
* Titles of charts of sandbox data (``df.attrs["source"] == "sandbox"``) end with ``" [sandbox data]"``, so a
  chart pasted into a slide can never pass for real PatSnap results.
* An empty frame raises :class:`~patsnap_analytics.errors.ValidationError` ("... no results ..."; a
  ``ValueError`` and a ``PatsnapError``): there is nothing to draw, and an empty picture is easy to mistake for
  "no similar designs exist". So does a frame without what the chart shows (no holder, no date), naming the call
  that adds it (``client.enrich(df)``). Rows whose ``score`` is NA (searches sorted by a date field)
  are left out of score charts; when *no* row has a score the chart says so instead of failing.
* Bars count **distinct designs** (``patent_id``) by default, because a batch finds the same design for several
  query images; pass ``distinct=False`` to count result rows.
* Axes of counts (and of ranks) have ticks at whole numbers only: a chart of two designs never reads 0.5, 1.5.
* ``by=`` always names the column whose values split the data into groups (one line or histogram per query in
  the score charts); ``stack=`` splits a breakdown's bars; the column a breakdown counts has its own keyword
  (``status=``, ``assignee=``).
* Extra keyword arguments (``**kwargs``) go to the Matplotlib artist each function draws its data with (named in
  its docstring), as in seaborn; they win over the house style (``lw=3`` or ``color="black"`` on lines,
  ``edgecolor=`` on bars, ``cmap=`` on the heatmap).

Example:
    >>> import pandas as pd
    >>> df = pd.DataFrame({"query": ["a.png"] * 3, "rank": [1, 2, 3], "patent_id": ["p1", "p2", "p3"],
    ...                    "patent_pn": ["USD1S", "CN2S", "USD3S"], "score": [0.9, 0.8, 0.7],
    ...                    "country": ["US", "CN", "US"]})
    >>> ax = office_breakdown(df)
    >>> [t.get_text() for t in ax.get_yticklabels()]  # largest first
    ['United States (US)', 'China (CN)']
    >>> plt.close(ax.figure)
"""

from __future__ import annotations

import functools
import io
import re
import textwrap
from collections.abc import Callable, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.cbook import normalize_kwargs
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator

from .codes import OFFICES, STATUS_MEANINGS, name_of
from .errors import ValidationError
from .frames import SANDBOX_MARK, sandbox_mark
from .protocols import FetchesImages
from .renames import renamed_keyword
from .thumbnails import Fetch, image_fetcher, thumbnail

__all__ = [
    "CJK_FONTS",
    "MEANING_COLOURS",
    "OKABE_ITO",
    "SANDBOX_SUFFIX",
    "STATUS_COLOURS",
    "UNKNOWN",
    "assignee_breakdown",
    "assignee_office_heatmap",
    "figure_png",
    "filing_timeline",
    "image_fetcher",
    "loc_breakdown",
    "office_breakdown",
    "overlap_heatmap",
    "overlap_matrix",
    "score_distribution",
    "score_vs_rank",
    "status_breakdown",
    "status_colours",
    "thumbnail",
    "thumbnail_gallery",
]

#: Okabe & Ito (2008) colour-blind-safe palette, in the order charts use it (yellow last: weak on white).
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#56B4E9",  # sky blue
    "#CC79A7",  # reddish purple
    "#000000",  # black
    "#F0E442",  # yellow
)
GREY = "#999999"
#: What a missing code or label is shown as.
UNKNOWN = "Unknown"
#: Appended to every chart title when the data came from the sandbox.
SANDBOX_SUFFIX = SANDBOX_MARK
#: What a status means -> its shades, darkest first (the first for a chart's first status of that meaning), so a
#: status is coloured by what it means: in force green, pending amber, lapsed red-ish, undetermined grey.
MEANING_COLOURS: dict[str, tuple[str, ...]] = {
    "in force": ("#009E73", "#00664A", "#7FCDB6"),
    "pending": ("#E69F00", "#9E6D00", "#F5CF7A"),
    "lapsed": ("#D55E00", "#8C3A00", "#EFA77A", "#B2182B", "#5E2600"),
    "other": (GREY, "#5F5F5F", "#C9C9C9"),
}
#: Status label -> its colour when it is the only one of its meaning, so "Active" is the same green everywhere.
STATUS_COLOURS: dict[str, str] = {label: MEANING_COLOURS[meaning][0] for label, meaning in STATUS_MEANINGS.items()}
STATUS_COLOURS[UNKNOWN] = GREY
#: Fonts with CJK glyphs, in order of preference; those installed are Matplotlib's fallbacks (see _cjk_fallback).
CJK_FONTS: tuple[str, ...] = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Noto Sans CJK KR",
                              "Source Han Sans SC", "WenQuanYi Zen Hei", "Microsoft YaHei", "PingFang SC",
                              "Hiragino Sans", "Malgun Gothic")


def _cjk_fallback() -> None:
    """Add the installed CJK fonts after Matplotlib's default family, once, so Chinese, Japanese and Korean
    titles and holders are drawn with glyphs instead of boxes. Only when the family is still Matplotlib's
    default (a user's own choice is left alone) and only fonts that exist (a missing name warns on every text)."""
    from matplotlib import font_manager, rcParams

    if list(rcParams["font.family"]) != ["sans-serif"]:
        return
    installed = {font.name for font in font_manager.fontManager.ttflist}
    extra = [name for name in CJK_FONTS if name in installed]
    if extra:
        rcParams["font.family"] = ["sans-serif", *extra]


_cjk_fallback()


def status_colours(labels: Sequence[str]) -> dict[str, str]:
    """One colour per status label of a chart, by what it means (:data:`MEANING_COLOURS`): the first label of a
    meaning gets its main shade, the next ones the other shades of the same hue, so two statuses never share a
    colour within a chart and a lapsed one is never green.

    Example:
        >>> status_colours(["Granted", "Non-payment", "Expired", "Unknown"])
        {'Granted': '#009E73', 'Non-payment': '#D55E00', 'Expired': '#8C3A00', 'Unknown': '#999999'}
    """
    used: dict[str, int] = {}
    out = {}
    for label in labels:
        meaning = STATUS_MEANINGS.get(str(label), "other")
        shades = MEANING_COLOURS[meaning]
        out[label] = shades[used.get(meaning, 0) % len(shades)]
        used[meaning] = used.get(meaning, 0) + 1
    return out


# ----------------------------------------------------------------------------------------------- helpers
def _check_frame(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise a ValidationError naming what is missing, before anything is drawn."""
    if not isinstance(df, pd.DataFrame):
        raise ValidationError("df", f"{what} takes a pandas DataFrame of results, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValidationError("df", f"{what}: the frame has no column(s) {', '.join(map(repr, missing))}; pass a "
                                    "search result frame")
    if df.empty:
        raise ValidationError("df", f"{what}: no results to plot (the frame is empty)")


def _literal_text(draw: Callable[..., Any]) -> Callable[..., Any]:
    """A chart whose every text is drawn as written: Matplotlib reads text between two ``$`` as mathtext, so a
    holder named ``Price $^$ Co`` (or a title, a query file name) would fail the chart, or the report, at
    drawing time. Every text of the Axes (or Figure) the chart returns — titles, tick labels, legends, bar
    labels, captions — has mathtext parsing turned off; the user's other Axes are left alone."""
    @functools.wraps(draw)
    def chart(*args: Any, **kwargs: Any) -> Any:
        drawn = draw(*args, **kwargs)
        for text in drawn.findobj(Text):
            text.set_parse_math(False)
        return drawn

    return chart


def _title(df: pd.DataFrame, text: str) -> str:
    return text + sandbox_mark(df)


def _set_title(ax: Axes, df: pd.DataFrame, text: str) -> None:
    """The chart's title (marked for sandbox data), wrapped to the figure's width rather than cut at its edge."""
    ax.set_title(_title(df, text), wrap=True)


def _legend(ax: Axes, title: str | None = None) -> None:
    """The legend outside the data, at the right of the axes (a constrained layout makes room for it)."""
    ax.legend(title=title, frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0),
              borderaxespad=0.0)


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    # pyplot (not a bare Figure) when we create it, so Jupyter's inline backend displays it like seaborn's.
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _short(text: object, width: int = 28) -> str:
    """A query name fit for a legend: URL or path basename, truncated with an ellipsis."""
    s = str(text)
    if "/" in s:
        tail = s.rstrip("/").rsplit("/", 1)[-1]
        s = tail or s
    return s if len(s) <= width else s[: width - 1] + "…"


def _colour(i: int) -> str:
    return OKABE_ITO[i % len(OKABE_ITO)]


def _is_other(name: object) -> bool:
    return str(name) == UNKNOWN or str(name).startswith("Other (")


def _category_colours(names: Sequence[object]) -> list[str]:
    """One palette colour per category in order, grey for Unknown and "Other (k)" (never one of the palette's)."""
    colours, i = [], 0
    for name in names:
        if _is_other(name):
            colours.append(GREY)
        else:
            colours.append(_colour(i))
            i += 1
    return colours


def _groups(df: pd.DataFrame, by: str | None) -> list[tuple[str, pd.DataFrame]]:
    """(name, rows) per value of ``by`` in order of first appearance; one unnamed group when ``by`` is None.
    Past the palette's eight, the rest are one ``Other (k)`` group, so no two groups share a colour."""
    if by is None or by not in df.columns:
        return [("", df)]
    keys = df[by].astype("string").fillna(UNKNOWN)
    names = [str(k) for k in pd.unique(keys)]
    if len(names) <= len(OKABE_ITO):
        return [(k, df[keys == k]) for k in names]
    head, rest = names[: len(OKABE_ITO) - 1], names[len(OKABE_ITO) - 1 :]
    return [(k, df[keys == k]) for k in head] + [(f"Other ({len(rest)})", df[keys.isin(rest)])]


def _style(ax: Axes) -> None:
    """The light, seaborn-like look: no top/right spines, a faint grid behind the data."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_axisbelow(True)
    ax.grid(True, axis="both", color="#e6e6e6", linewidth=0.8)


def _whole_numbers(axis: Any) -> None:
    """Ticks only at whole numbers on an axis of counts (or ranks): "1.5 designs" is no answer to "how many"."""
    axis.set_major_locator(MaxNLocator(integer=True))


def _no_scores(ax: Axes, df: pd.DataFrame, title: str) -> Axes:
    _set_title(ax, df, f"{title} (no scores: results sorted by date)")
    ax.text(0.5, 0.5, "No similarity scores\n(the search was sorted by a date field)", ha="center",
            va="center", transform=ax.transAxes, color="#555555")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def _score_chart(df: pd.DataFrame, columns: Sequence[str], what: str, ax: Axes | None, title: str,
                 by: str | None) -> tuple[Axes, list[tuple[str, pd.DataFrame]], int] | Axes:
    """The common start of a score chart: checked frame, Axes, scored groups and the unscored count.

    Returns the finished Axes instead when nothing is scored (date-sorted searches carry no scores).
    """
    _check_frame(df, columns, what)
    ax = _axes(ax, (7, 4))
    scored, dropped = _scored(df)
    if scored.empty:
        return _no_scores(ax, df, title)
    _style(ax)
    return ax, _groups(scored, by), dropped


def _finish_score_chart(ax: Axes, df: pd.DataFrame, title: str, dropped: int,
                        groups: list[tuple[str, pd.DataFrame]], by: str | None) -> Axes:
    if dropped:
        title += f" ({dropped} unscored rows left out)"
    _set_title(ax, df, title)
    if len(groups) > 1:
        _legend(ax, by)
    return ax


def _options(kwargs: dict[str, Any], artist: type[Artist], **style: Any) -> dict[str, Any]:
    """The house ``style`` for an artist, overridden by the caller's ``kwargs``.

    Aliases are resolved first, so ``lw=3`` replaces the style's ``linewidth`` instead of clashing with it.
    """
    return {**style, **normalize_kwargs(kwargs, artist)}


def _legend_label(name: str) -> str | None:
    return _short(name) if name else None


def _scored(df: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Rows that have a score, and how many were dropped."""
    keep = df["score"].notna()
    return df[keep], int((~keep).sum())


# ----------------------------------------------------------------------------------------------- output
def figure_png(fig: Figure, *, dpi: float = 100, close: bool = True, **kwargs: Any) -> bytes:
    """The figure rendered to PNG bytes, for a report, a widget or a file; ``**kwargs`` go to ``savefig``.

    ``close`` (the default) releases the figure from pyplot, so a notebook does not draw it a second time at
    the end of the cell; a bare :class:`~matplotlib.figure.Figure` that pyplot never knew is left as it is.

    Example:
        >>> import pandas as pd
        >>> ax = office_breakdown(pd.DataFrame({"patent_id": ["1"], "country": ["US"]}))
        >>> png = figure_png(ax.figure, dpi=50, bbox_inches="tight")
        >>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n", plt.fignum_exists(ax.figure.number)
        (True, False)
    """
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=dpi, **kwargs)
    finally:
        if close:
            plt.close(fig)
    return buf.getvalue()


# ----------------------------------------------------------------------------------------------- scores
def _kde(values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Gaussian KDE with Scott's bandwidth (numpy only: plots must not need scipy)."""
    n = len(values)
    std = float(np.std(values, ddof=1)) if n > 1 else 0.0
    bw = std * n ** (-1 / 5) if std > 0 else 0.01
    z = (grid[:, None] - values[None, :]) / bw
    return np.exp(-0.5 * z**2).sum(axis=1) / (n * bw * np.sqrt(2 * np.pi))


def _score_layer(ax: Axes, kind: str, values: np.ndarray, edges: np.ndarray, line: dict[str, Any]) -> None:
    """One group's layer of :func:`score_distribution`: its line (``line`` options) and, but for ECDFs, shading."""
    if kind == "hist":
        ax.hist(values, bins=edges, histtype="stepfilled", alpha=0.25, color=line["color"])
        ax.hist(values, bins=edges, histtype="step", **line)
    elif kind == "kde":
        pad = (edges[-1] - edges[0]) * 0.1
        grid = np.linspace(edges[0] - pad, edges[-1] + pad, 200)
        dens = _kde(values, grid)
        ax.plot(grid, dens, **line)
        ax.fill_between(grid, dens, color=line["color"], alpha=0.15)
    else:
        xs = np.sort(values)
        ys = np.arange(1, len(xs) + 1) / len(xs)
        ax.step(xs, ys, where="post", **line)


@_literal_text
def score_distribution(df: pd.DataFrame, *, by: str | None = "query", kind: str = "hist",
                       bins: int | None = None, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Distribution of similarity scores, one overlaid layer per value of ``by`` (default: per query image).

    ``kind`` is ``"hist"`` (step histograms on shared bins), ``"kde"`` (smoothed density) or ``"ecdf"``
    (share of results scoring at most x — the honest choice for threshold studies). ``bins`` defaults to a
    number suited to the size of the groups. Rows without a score are left out; if none has one the chart
    says so. ``**kwargs`` go to each layer's line (``Axes.hist(histtype="step")``, ``Axes.plot`` or
    ``Axes.step``); a layer's shading takes the line's colour.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"query": ["a", "a", "b"], "score": [0.9, 0.7, 0.8]})
        >>> ax = score_distribution(df, kind="ecdf")
        >>> ax.get_xlabel(), len(ax.get_lines())
        ('Similarity score', 2)
        >>> plt.close(ax.figure)
    """
    if kind not in ("hist", "kde", "ecdf"):
        raise ValidationError("kind", f"must be 'hist', 'kde' or 'ecdf'; got {kind!r}")
    title = "Similarity score distribution"
    started = _score_chart(df, ["score"], "score_distribution", ax, title, by)
    if not isinstance(started, tuple):
        return started
    ax, groups, dropped = started
    values_all = np.concatenate([rows["score"].to_numpy(dtype=float) for _, rows in groups])
    lo, hi = float(values_all.min()), float(values_all.max())
    if hi - lo < 1e-9:
        lo, hi = lo - 0.05, hi + 0.05
    if bins is None:  # ~1.5 sqrt(n) per layer: enough shape, without the comb of a 20-bin plot of 30 results
        bins = int(np.clip(1.5 * np.sqrt(max(len(rows) for _, rows in groups)), 5, 30))
    edges = np.linspace(lo, hi, bins + 1)
    colours = _category_colours([name for name, _ in groups])
    for i, (name, rows) in enumerate(groups):
        line = _options(kwargs, Patch if kind == "hist" else Line2D, color=colours[i],
                        linewidth=1.6 if kind == "hist" else 1.8, label=_legend_label(name))
        _score_layer(ax, kind, rows["score"].to_numpy(dtype=float), edges, line)
    ax.set_xlabel("Similarity score")
    ax.set_ylabel({"hist": "Results", "kde": "Density", "ecdf": "Share of results ≤ score"}[kind])
    if kind == "hist":
        _whole_numbers(ax.yaxis)
    return _finish_score_chart(ax, df, title, dropped, groups, by)


@_literal_text
def score_vs_rank(df: pd.DataFrame, *, by: str | None = "query", ax: Axes | None = None, **kwargs: Any) -> Axes:
    """How fast similarity falls with rank: one line per value of ``by`` (default: per query image).

    ``**kwargs`` go to ``Axes.plot`` (each line).

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"query": ["a", "a"], "rank": [1, 2], "score": [0.9, 0.7]})
        >>> ax = score_vs_rank(df)
        >>> ax.get_lines()[0].get_ydata().tolist()
        [0.9, 0.7]
        >>> plt.close(ax.figure)
    """
    title = "Similarity score by rank"
    started = _score_chart(df, ["rank", "score"], "score_vs_rank", ax, title, by)
    if not isinstance(started, tuple):
        return started
    ax, groups, dropped = started
    colours = _category_colours([name for name, _ in groups])
    for i, (name, rows) in enumerate(groups):
        rows = rows.sort_values("rank")
        ax.plot(rows["rank"].to_numpy(dtype=float), rows["score"].to_numpy(dtype=float),
                **_options(kwargs, Line2D, marker="o", markersize=3.5, linewidth=1.5, color=colours[i],
                           label=_legend_label(name)))
    ax.set_xlabel("Rank")
    _whole_numbers(ax.xaxis)
    ax.set_ylabel("Similarity score")
    return _finish_score_chart(ax, df, title, dropped, groups, by)


# ----------------------------------------------------------------------------------------------- breakdowns
def _counts(df: pd.DataFrame, column: str, distinct: bool) -> pd.Series:
    """Value counts of ``column`` (NA shown as Unknown), over distinct designs unless ``distinct`` is False."""
    # distinct designs per value: a design counts once in each class it belongs to, never twice in one
    rows = df.drop_duplicates(["patent_id", column]) if distinct and "patent_id" in df.columns else df
    values = rows[column].astype("string").fillna(UNKNOWN)
    return values.value_counts(sort=True)


def _top(counts: pd.Series, top: int | None) -> pd.Series:
    """The ``top`` largest counts, the rest summed into one "Other (k)" bar so no result goes uncounted."""
    if top is None or len(counts) <= top:
        return counts
    head, rest = counts.iloc[: top - 1], counts.iloc[top - 1 :]
    return pd.concat([head, pd.Series({f"Other ({len(rest)})": int(rest.sum())})])


def _hbar(ax: Axes, counts: pd.Series, labels: list[str], colours: list[str], df: pd.DataFrame, title: str,
          distinct: bool, kwargs: dict[str, Any]) -> Axes:
    """Horizontal bars, largest on top, each labelled with its count; ``kwargs`` go to ``Axes.barh``."""
    _style(ax)
    ax.grid(False, axis="y")
    y = np.arange(len(counts))[::-1]  # first (largest) bar at the top
    bars = ax.barh(y, counts.to_numpy(dtype=float), **_options(kwargs, Rectangle, color=colours, height=0.7))
    ax.bar_label(bars, labels=[f"{int(v):,}" for v in counts.to_numpy()], padding=3, fontsize="small")
    ax.set_yticks(y, labels=labels)
    ax.set_xlabel("Distinct designs" if distinct else "Results")
    _whole_numbers(ax.xaxis)
    ax.margins(x=0.12)
    _set_title(ax, df, title)
    return ax


def _wrap(text: str, width: int = 30, lines: int = 2) -> str:
    """A long bar label on at most ``lines`` lines, so the bars keep most of the figure's width."""
    parts = textwrap.wrap(text, width, max_lines=lines, placeholder="…")
    return "\n".join(parts) if parts else text


def _height(n: int) -> float:
    return max(2.5, 0.4 * n + 1.2)


@_literal_text
def office_breakdown(df: pd.DataFrame, *, top: int | None = 15, distinct: bool = True,
                     ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Results per patent office (from ``country``), largest first, labelled ``United States (US)``.

    Offices beyond the ``top`` largest are summed into one ``Other (k)`` bar. ``**kwargs`` go to ``Axes.barh``.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"patent_id": ["1", "2", "3"], "country": ["US", "US", "CN"]})
        >>> ax = office_breakdown(df)
        >>> [float(p.get_width()) for p in ax.patches]
        [2.0, 1.0]
        >>> plt.close(ax.figure)
    """
    _check_frame(df, ["country"], "office_breakdown")
    counts = _top(_counts(df, "country", distinct), top)
    labels = [f"{OFFICES[c]} ({c})" if c in OFFICES else str(c) for c in counts.index]
    colours = [GREY if c == UNKNOWN or c.startswith("Other (") else OKABE_ITO[0] for c in counts.index]
    ax = _axes(ax, (7, _height(len(counts))))
    return _hbar(ax, counts, labels, colours, df, "Results by patent office", distinct, kwargs)


def _require_labels(df: pd.DataFrame, status: str, what: str) -> str:
    column = f"{status}_label"
    if column not in df.columns:
        raise ValidationError(
            "df", f"{what}: the frame has no {column!r} column; label it first: df = client.label(df, by={status!r})")
    return column


@_literal_text
def status_breakdown(df: pd.DataFrame, *, status: str = "simple_legal_status", distinct: bool = True,
                     ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Results per legal status, from a frame labelled with ``client.label(df, by=status)``.

    ``status`` is ``"simple_legal_status"`` (Active / Inactive / Pending ...) or ``"legal_status"`` (Granted ...);
    ``by=``, its old spelling, works until 0.2 with a ``DeprecationWarning`` (``by=`` groups, in every chart).
    Results that matched no status tested by the labelling are shown as ``Unknown``. ``**kwargs`` go to
    ``Axes.barh``.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"patent_id": ["1", "2"], "simple_legal_status_label": ["Active", None]})
        >>> ax = status_breakdown(df)
        >>> [t.get_text() for t in ax.get_yticklabels()]
        ['Active', 'Unknown']
        >>> plt.close(ax.figure)
    """
    status = renamed_keyword(kwargs, "by", "status", where="status_breakdown", default=status)
    if status not in ("simple_legal_status", "legal_status"):
        raise ValidationError("status", f"must be 'simple_legal_status' or 'legal_status'; got {status!r}")
    _check_frame(df, [], "status_breakdown")
    column = _require_labels(df, status, "status_breakdown")
    counts = _counts(df, column, distinct)
    colours = list(status_colours([str(s) for s in counts.index]).values())
    ax = _axes(ax, (7, _height(len(counts))))
    name = "simple legal status" if status == "simple_legal_status" else "legal status"
    return _hbar(ax, counts, [str(s) for s in counts.index], colours, df, f"Results by {name}", distinct,
                 kwargs)


def _explode(df: pd.DataFrame, column: str, separators: str = "|") -> pd.DataFrame:
    """One row per value of a list column, or of a text column joined by one of ``separators`` (names come
    ``|``-joined, as the API joins them; never split names on commas, which they contain: "Minato Co., Ltd.";
    Locarno codes may also come ``,``-joined); empty lists become NA."""
    splitter = re.compile("[" + re.escape(separators) + "]")

    def as_list(v: object) -> list[str] | None:
        if isinstance(v, list | tuple):
            return [str(x).strip() for x in v] or None
        if v is None or pd.isna(v):  # type: ignore[arg-type]
            return None
        return [p.strip() for p in splitter.split(str(v)) if p.strip()] or None

    out = df.assign(**{column: df[column].map(as_list)}).explode(column, ignore_index=True)
    out[column] = out[column].astype("string")
    return out


@_literal_text
def loc_breakdown(df: pd.DataFrame, *, top: int | None = 15, distinct: bool = True,
                  ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Results per Locarno subclass, from the rows' ``loc`` (a list of codes per row: enrichment, rich search
    endpoints or ``client.label(df, by="loc")``).

    Bars read ``06-01 Seats`` (long names wrap onto two lines); a design in several subclasses counts once in
    each; codes beyond the ``top`` largest form one ``Other (k)`` bar. ``**kwargs`` go to ``Axes.barh``.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"patent_id": ["1", "2"], "loc": [["06-01", "06-03"], ["06-01"]]})
        >>> ax = loc_breakdown(df)
        >>> [t.get_text() for t in ax.get_yticklabels()]
        ['06-01 Seats', '06-03 Tables and similar\\nfurniture']
        >>> plt.close(ax.figure)
    """
    _check_frame(df, [], "loc_breakdown")
    if "loc" not in df.columns:
        raise ValidationError("df", "loc_breakdown: the frame has no 'loc' column; add it first: "
                         "df = client.enrich(df) or client.label(df, by='loc')")
    counts = _top(_counts(_explode(df, "loc", ",|"), "loc", distinct), top)

    def text(code: str) -> str:
        if code == UNKNOWN or code.startswith("Other ("):
            return code
        return _wrap(f"{code} {name_of('loc', code)}")

    colours = [GREY if c == UNKNOWN or c.startswith("Other (") else OKABE_ITO[4] for c in counts.index]
    ax = _axes(ax, (7, _height(len(counts))))
    return _hbar(ax, counts, [text(c) for c in counts.index], colours, df, "Results by Locarno class", distinct,
                 kwargs)


# ----------------------------------------------------------------------------------------------- who / when
def _status_stack(df: pd.DataFrame, stack: str | None) -> pd.Series | None:
    """The words a stacked chart splits bars by: a status label column, or the office's name."""
    if stack is None:
        return None
    if stack in ("simple_legal_status", "legal_status"):
        column = _require_labels(df, stack, "stack")
        return df[column].astype("string").fillna(UNKNOWN)
    if stack == "country":
        return df["country"].astype("string").fillna(UNKNOWN)
    raise ValidationError("stack", f"must be None, 'country', 'simple_legal_status' or 'legal_status'; got {stack!r}")


def _fold_layers(table: pd.DataFrame) -> pd.DataFrame:
    """At most the palette's eight layers: past that, the smallest (by total) are one ``Other (k)`` layer."""
    if table.shape[1] <= len(OKABE_ITO):
        return table
    order = table.sum().sort_values(ascending=False).index
    keep, rest = list(order[: len(OKABE_ITO) - 1]), list(order[len(OKABE_ITO) - 1 :])
    folded = table[keep].copy()
    folded[f"Other ({len(rest)})"] = table[rest].sum(axis=1)
    return folded


def _stacked(ax: Axes, table: pd.DataFrame, *, horizontal: bool, statuses: bool,
             kwargs: dict[str, Any]) -> None:
    """Stacked bars of a (bar x layer) count table: one colour per layer (status layers by what they mean,
    others from the palette, the tail folded into "Other"), the legend outside the bars."""
    table = table if statuses else _fold_layers(table)
    names = [str(layer) for layer in table.columns]
    colours = list(status_colours(names).values()) if statuses else _category_colours(names)
    base = np.zeros(len(table))
    positions = np.arange(len(table))[::-1] if horizontal else np.arange(len(table))
    for layer, name, colour in zip(table.columns, names, colours, strict=True):
        values = table[layer].to_numpy(dtype=float)
        style = _options(kwargs, Rectangle, color=colour, label=name, edgecolor="white", linewidth=0.5)
        if horizontal:
            ax.barh(positions, values, left=base, height=0.7, **style)
        else:
            ax.bar(positions, values, bottom=base, width=0.8, **style)
        base += values
    if len(table.columns) > 1:
        _legend(ax)


@_literal_text
def assignee_breakdown(df: pd.DataFrame, *, top: int = 15, assignee: str = "current_assignee",
                       stack: str | None = None, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Who holds the similar designs: distinct designs per assignee, the ``top`` largest, optionally stacked by
    ``stack`` (``"simple_legal_status"``, ``"legal_status"`` or ``"country"``).

    ``assignee`` is ``"current_assignee"`` (who owns them today; the default) or ``"original_assignee"`` (who
    filed them); ``by=``, its old spelling, works until 0.2 with a ``DeprecationWarning``. A design held jointly
    counts once for each holder. Needs the column from ``client.enrich(df)`` or
    ``client.label(df, by="assignee")``. ``**kwargs`` go to ``Axes.barh``.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"patent_id": ["1", "2", "3"], "current_assignee": ["Acme", "Acme", "Beta"],
        ...                    "simple_legal_status_label": ["Active", "Inactive", "Active"]})
        >>> ax = assignee_breakdown(df, stack="simple_legal_status")
        >>> [t.get_text() for t in ax.get_yticklabels()], [float(p.get_width()) for p in ax.patches]
        (['Acme', 'Beta'], [1.0, 1.0, 1.0, 0.0])
        >>> plt.close(ax.figure)
    """
    column = renamed_keyword(kwargs, "by", "assignee", where="assignee_breakdown", default=assignee)
    _check_frame(df, ["patent_id"], "assignee_breakdown")
    if column not in df.columns:
        raise ValidationError("df", f"assignee_breakdown: the frame has no {column!r} column; add it first: "
                         "df = client.enrich(df) or client.label(df, by='assignee')")
    rows = _explode(df.assign(_layer=_status_stack(df, stack) if stack else ""), column)
    if not rows[column].notna().any():  # one "Unknown" bar titled "Top 1 current holders" would answer nothing
        raise ValidationError("df", f"assignee_breakdown: no result has a {column.replace('_', ' ')} (the column is "
                                    "empty), so there is no holder to draw; add them first: df = client.enrich(df)")
    rows = rows.fillna({column: UNKNOWN}).drop_duplicates(["patent_id", column])
    counts = rows[column].value_counts()
    order = counts.head(top).index
    table = (rows[rows[column].isin(order)].groupby([column, "_layer"]).size().unstack(fill_value=0)
             .reindex(order).fillna(0))
    ax = _axes(ax, (7.5, _height(len(table))))
    _style(ax)
    ax.grid(False, axis="y")
    _stacked(ax, table, horizontal=True, statuses=stack in ("simple_legal_status", "legal_status"), kwargs=kwargs)
    ax.set_yticks(np.arange(len(table))[::-1], labels=[_wrap(str(a), 34) for a in table.index])
    ax.set_xlabel("Distinct designs")
    _whole_numbers(ax.xaxis)
    who = "current holders" if column == "current_assignee" else "original applicants"
    _set_title(ax, df, f"Top {len(table)} {who}" if len(counts) > len(table) else who.capitalize())
    return ax


@_literal_text
def filing_timeline(df: pd.DataFrame, *, date: str = "application", stack: str | None = "country",
                    ax: Axes | None = None, **kwargs: Any) -> Axes:
    """When: distinct designs per year of ``date`` (``"application"`` or ``"publication"``), stacked by
    ``stack`` (``"country"``, ``"simple_legal_status"``, ``"legal_status"`` or ``None``). Designs without
    the date are counted in the title. ``**kwargs`` go to ``Axes.bar``.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"patent_id": ["1", "2", "3"], "country": ["US", "CN", "US"],
        ...                    "application_date": pd.to_datetime(["2019-05-01", "2019-07-01", "2021-01-01"])})
        >>> ax = filing_timeline(df)
        >>> [t.get_text() for t in ax.get_xticklabels()], ax.get_legend() is not None
        (['2019', '2020', '2021'], True)
        >>> plt.close(ax.figure)
    """
    if date not in ("application", "publication"):
        raise ValidationError("date", f"must be 'application' or 'publication'; got {date!r}")
    column = f"{date}_date"
    _check_frame(df, ["patent_id"], "filing_timeline")
    if column not in df.columns:
        raise ValidationError("df", f"filing_timeline: the frame has no {column!r} column; add it first: "
                         f"df = client.enrich(df) or client.label(df, by='{date}_year')")
    rows = df.assign(_layer=_status_stack(df, stack) if stack else "").drop_duplicates("patent_id")
    years = pd.to_datetime(rows[column]).dt.year
    undated = int(years.isna().sum())
    rows = rows.assign(_year=years.astype("Int64")).dropna(subset=["_year"])
    if rows.empty:
        raise ValidationError("df", f"filing_timeline: no result has an {date} date, so there is no year to draw; "
                                    f"add them first: df = client.enrich(df)")
    table = rows.groupby(["_year", "_layer"]).size().unstack(fill_value=0)
    table = table.reindex(range(int(table.index.min()), int(table.index.max()) + 1), fill_value=0)
    if stack == "country":
        table = table[table.sum().sort_values(ascending=False).index]
    ax = _axes(ax, (8, 4))
    _style(ax)
    ax.grid(False, axis="x")
    _stacked(ax, table, horizontal=False, statuses=stack in ("simple_legal_status", "legal_status"), kwargs=kwargs)
    step = max(1, len(table) // 12)
    ax.set_xticks(np.arange(len(table))[::step], labels=[str(y) for y in table.index[::step]])
    ax.set_xlabel(f"{date.capitalize()} year")
    ax.set_ylabel("Distinct designs")
    _whole_numbers(ax.yaxis)
    title = f"Designs by {date} year"
    _set_title(ax, df, title + (f" ({undated} without a date left out)" if undated else ""))
    return ax


@_literal_text
def assignee_office_heatmap(df: pd.DataFrame, *, top: int = 12, assignee: str = "current_assignee",
                            ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Who files where: distinct designs per (assignee, office) for the ``top`` assignees, annotated;
    ``assignee`` as in :func:`assignee_breakdown` (``by=``, its old spelling, works until 0.2 with a
    ``DeprecationWarning``). ``**kwargs`` go to ``Axes.imshow``.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"patent_id": ["1", "2", "3"], "current_assignee": ["Acme", "Acme", "Beta"],
        ...                    "country": ["US", "CN", "US"]})
        >>> ax = assignee_office_heatmap(df)
        >>> sorted(t.get_text() for t in ax.texts)
        ['', '1', '1', '1']
        >>> plt.close(ax.figure)
    """
    column = renamed_keyword(kwargs, "by", "assignee", where="assignee_office_heatmap", default=assignee)
    _check_frame(df, ["patent_id", "country"], "assignee_office_heatmap")
    if column not in df.columns:
        raise ValidationError("df", f"assignee_office_heatmap: the frame has no {column!r} column; add it first: "
                         "df = client.enrich(df)")
    rows = _explode(df, column).fillna({column: UNKNOWN}).drop_duplicates(["patent_id", column])
    order = rows[column].value_counts().head(top).index
    table = pd.crosstab(rows.loc[rows[column].isin(order), column], rows.loc[rows[column].isin(order), "country"])
    table = table.reindex(order)
    table = table[table.sum().sort_values(ascending=False).index]
    ax = _axes(ax, (1.6 + 0.6 * table.shape[1] + 2.5, 1.2 + 0.45 * len(table)))
    # empty cells are masked and drawn blank: a zero in the colour of the scale's end reads as "many"
    values = np.ma.masked_equal(table.to_numpy(dtype=float), 0)
    options = _options(kwargs, AxesImage, cmap="cividis_r", vmin=0)
    options["cmap"] = plt.get_cmap(options["cmap"]).with_extremes(bad="white")
    image = ax.imshow(values, aspect="auto", **options)
    ax.set_xticks(range(table.shape[1]), labels=list(table.columns))
    ax.set_yticks(range(len(table)), labels=[_wrap(str(a), 34, 1) for a in table.index])
    high = float(table.to_numpy().max()) if table.size else 0.0
    for i in range(len(table)):
        for j in range(table.shape[1]):
            v = int(table.iat[i, j])
            ax.text(j, i, str(v) if v else "", ha="center", va="center", fontsize="small",
                    color="white" if v > high / 2 else "black")
    bar = ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="Distinct designs")
    _whole_numbers(bar.ax.yaxis)
    ax.set_xlabel("Office")
    _set_title(ax, df, "Who files where")
    return ax


# ----------------------------------------------------------------------------------------------- overlap
def overlap_matrix(df: pd.DataFrame) -> pd.DataFrame:
    """Jaccard similarity of the sets of ``patent_id`` found by each pair of queries (1.0 = same designs).

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"query": ["a", "a", "b"], "patent_id": ["1", "2", "2"]})
        >>> float(overlap_matrix(df).loc["a", "b"])
        0.5
    """
    _check_frame(df, ["query", "patent_id"], "overlap_matrix")
    queries = [str(q) for q in pd.unique(df["query"].astype("string").fillna(UNKNOWN))]
    keys = df["query"].astype("string").fillna(UNKNOWN)
    sets = {q: set(df.loc[keys == q, "patent_id"].dropna()) for q in queries}
    data = np.ones((len(queries), len(queries)))
    for i, a in enumerate(queries):
        for j, b in enumerate(queries):
            union = sets[a] | sets[b]
            data[i, j] = len(sets[a] & sets[b]) / len(union) if union else 1.0
    return pd.DataFrame(data, index=queries, columns=queries)


@_literal_text
def overlap_heatmap(df: pd.DataFrame, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Heatmap of :func:`overlap_matrix`: do different query images find the same designs?

    Needs at least two queries (raises ``ValueError`` otherwise). Each cell is annotated with its value.
    ``**kwargs`` go to ``Axes.imshow``.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"query": ["a", "a", "b"], "patent_id": ["1", "2", "2"]})
        >>> ax = overlap_heatmap(df)
        >>> sorted(t.get_text() for t in ax.texts)
        ['0.50', '0.50', '1.00', '1.00']
        >>> plt.close(ax.figure)
    """
    matrix = overlap_matrix(df)
    n = len(matrix)
    if n < 2:
        raise ValidationError("df", "overlap_heatmap: needs results of at least two queries; this frame has one")
    side = min(9.0, 1.6 + 0.7 * n)
    ax = _axes(ax, (side + 1.2, side))
    # cividis: perceptually uniform and readable with colour-vision deficiencies, like Okabe-Ito.
    image = ax.imshow(matrix.to_numpy(), **_options(kwargs, AxesImage, cmap="cividis", vmin=0.0, vmax=1.0))
    labels = [_short(q, 22) for q in matrix.index]
    ax.set_xticks(range(n), labels=labels, rotation=40, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(n), labels=labels)
    for i in range(n):
        for j in range(n):
            v = float(matrix.iat[i, j])
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize="small",
                    color="black" if v > 0.6 else "white")
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="Jaccard overlap of designs found")
    _set_title(ax, df, "Overlap of results between queries")
    return ax


# ----------------------------------------------------------------------------------------------- gallery
def _fmt_score(score: object) -> str | None:
    if score is None or pd.isna(score):  # type: ignore[arg-type]
        return None
    return f"{float(score):.3g}"  # type: ignore[arg-type]


def _gallery_rows(df: pd.DataFrame, n: int) -> pd.DataFrame:
    """The ``n`` best distinct designs: highest score first (rank order when unscored)."""
    rows = df
    if "rank" in rows.columns:
        rows = rows.sort_values("rank", kind="stable")
    if "score" in rows.columns and rows["score"].notna().any():
        rows = rows.sort_values("score", ascending=False, na_position="last", kind="stable")
    if "patent_id" in rows.columns:
        rows = rows.drop_duplicates("patent_id")
    return rows.head(n)


@_literal_text
def thumbnail_gallery(df: pd.DataFrame, *, fetch: Fetch | None = None, client: FetchesImages | None = None, n: int = 12,
                      ncols: int = 4, fig: Figure | None = None, **kwargs: Any) -> Figure:
    """A grid of the ``n`` best results' images, with the patent number (and score, when there is one) below.

    Images come from ``fetch(url) -> bytes | None`` or ``client.fetch_image`` (one of them is required, so the
    client's HTTP cache is used and nothing is fetched behind the analyst's back). An image that cannot be
    fetched or decoded is drawn as an "image unavailable" placeholder. ``**kwargs`` go to ``Axes.imshow`` (each
    image). Returns the Figure.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"patent_id": ["1"], "patent_pn": ["USD1S"], "score": [0.9],
        ...                    "image_url": ["u"]})
        >>> fig = thumbnail_gallery(df, fetch=lambda url: None)
        >>> [t.get_text() for t in fig.axes[0].texts]
        ['image unavailable']
        >>> plt.close(fig)
    """
    get = image_fetcher(fetch, client)
    if get is None:
        raise ValidationError("fetch", "thumbnail_gallery needs the images: pass fetch=<url -> bytes> or "
                                       "client=<Client>")
    if n < 1 or ncols < 1:
        raise ValidationError("n" if n < 1 else "ncols", "must be at least 1")
    _check_frame(df, ["patent_pn", "image_url"], "thumbnail_gallery")
    rows = _gallery_rows(df, n)
    ncols = min(ncols, len(rows))
    nrows = -(-len(rows) // ncols)
    if fig is None:
        fig = plt.figure(figsize=(2.6 * ncols, 2.9 * nrows + 0.5), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, (_, row) in zip(axes, rows.iterrows(), strict=False):
        img = thumbnail(row["image_url"], get)
        ax.set_xticks([])
        ax.set_yticks([])
        if img is None:
            ax.set_facecolor("#f0f0f0")
            ax.text(0.5, 0.5, "image unavailable", ha="center", va="center", transform=ax.transAxes,
                    color="#777777", fontsize="small")
        else:
            ax.imshow(np.asarray(img), **kwargs)
        for spine in ax.spines.values():
            spine.set_color("#cccccc")
        caption = str(row["patent_pn"])
        score = _fmt_score(row["score"]) if "score" in row.index else None
        if score is not None:
            caption += f"\nscore {score}"
        ax.set_xlabel(caption, fontsize="small")
    for ax in axes[len(rows):]:
        ax.set_visible(False)
    fig.suptitle(_title(df, f"Top {len(rows)} similar designs"))
    return fig

