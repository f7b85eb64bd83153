"""Charts of a scoring study, in the house style of :mod:`patsnap_analytics.plots`: the data first, keyword-only
options, ``ax=None`` (a new figure) and ``**kwargs`` to the artist that draws the data; each returns its Axes.
Titles of sandbox data end with ``[sandbox data]``.

* :func:`reliability_diagram` — P(relevant) against the raw score: the reviewed hits' observed share per score bin
  (marker size: verdicts in the bin), the isotonic calibration as a step line, and the diagonal a score would
  follow if it were a probability.
* :func:`metric_bars` — :func:`~patsnap_analytics.study.evaluate`'s table: a bar per configuration and metric,
  with its bootstrap interval.
* :func:`cutoff_curve` — precision and recall of the reviewed hits against the score cut-off, with a chosen
  :class:`~patsnap_analytics.study.Cutoff` marked.

Example:
    >>> import numpy as np, pandas as pd
    >>> table = pd.DataFrame({"ndcg@10": [0.6, 0.4], "ndcg@10 low": [0.5, 0.3], "ndcg@10 high": [0.7, 0.5]},
    ...                      index=pd.Index(["search-id", "image-single"], name="configuration"))
    >>> ax = metric_bars(table)
    >>> [t.get_text() for t in ax.get_xticklabels()], len(ax.patches)
    (['search-id', 'image-single'], 2)
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from ..frames import SANDBOX_MARK, is_sandbox
from ..plots import OKABE_ITO, _axes, _options, _style
from .calibration import Calibration, Cutoff

__all__ = ["cutoff_curve", "metric_bars", "reliability_diagram"]


#: Marker areas of the reliability diagram (points²): the emptiest bin, and what the fullest bin adds.
_MIN_AREA, _SPAN_AREA = 12.0, 188.0


def _titled(ax: Axes, text: str, sandbox: bool) -> None:
    ax.set_title(text + (SANDBOX_MARK if sandbox else ""))


def reliability_diagram(calibration: Calibration | Mapping[str, Calibration], *, bins: int = 10,
                        ax: Axes | None = None, **kwargs: Any) -> Axes:
    """P(relevant | score) of one calibration or several (``{configuration: Calibration}``): binned observed
    shares (marker area ~ verdicts), the isotonic curve, the diagonal. ``**kwargs`` go to the curves
    (:class:`~matplotlib.lines.Line2D`).

    Example:
        >>> import numpy as np, pandas as pd
        >>> from patsnap_analytics.study import calibrate
        >>> s = np.linspace(0.5, 1, 40); run = pd.DataFrame({"query": ["q"] * 40, "patent_id": list(map(str, range(40))), "score": s})
        >>> ax = reliability_diagram(calibrate(run, run.assign(relevance=(s > 0.75).astype(int))))
        >>> ax.get_xlabel(), [float(y) for y in ax.get_ylim()]
        ('score', [0.0, 1.02])
        >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    several = dict(calibration) if isinstance(calibration, Mapping) else {calibration.configuration: calibration}
    ax = _axes(ax, (6.4, 4.4))
    _style(ax)
    low = min(c.scores.min() for c in several.values())
    ax.plot([low, 1], [low, 1], color="#999999", linestyle="--", linewidth=1, label="score as a probability")
    tables = {name: cal.reliability(bins) for name, cal in several.items()}
    fullest = max(int(t["verdicts"].max()) for t in tables.values())
    for i, (name, cal) in enumerate(several.items()):
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        grid = np.linspace(cal.scores.min(), cal.scores.max(), 200)
        label = f"{name} ({cal.n_verdicts} verdicts)"
        ax.plot(grid, cal.probability(grid), **_options(kwargs, Line2D, color=colour, linewidth=2, label=label,
                                                        drawstyle="steps-post"))
        table = tables[name]
        # area ~ verdicts in the bin, scaled to the fullest bin of the chart: thousands of verdicts stay a marker
        ax.scatter(table["mean score"], table["observed"], s=_MIN_AREA + _SPAN_AREA * table["verdicts"] / fullest,
                   color=colour, alpha=0.6, edgecolor="white", zorder=3)
    ax.set_xlabel("score")
    ax.set_ylabel("P(relevant)")
    ax.set_ylim(0.0, 1.02)
    ax.legend(frameon=False, fontsize="small", loc="upper left")
    _titled(ax, "What a score means: share of reviewed hits that are relevant",
            any(c.source == "sandbox" for c in several.values()))
    return ax


def metric_bars(table: pd.DataFrame, *, metrics: list[str] | None = None, ax: Axes | None = None,
                **kwargs: Any) -> Axes:
    """:func:`~patsnap_analytics.study.evaluate`'s table as bars per configuration (grouped by metric when
    there are several), each with its bootstrap interval; ``**kwargs`` go to the bars
    (:class:`~matplotlib.patches.Rectangle`)."""
    names = metrics or [c for c in table.columns if f"{c} low" in table.columns]
    if not names:
        raise ValueError("metric_bars: the table has no metric columns with intervals; pass pa.study.evaluate's table")
    ax = _axes(ax, (max(5.0, 1.2 * len(table) * len(names) + 2), 4.0))
    _style(ax)
    x = np.arange(len(table))
    width = 0.8 / len(names)
    for i, metric in enumerate(names):
        means = table[metric].to_numpy(dtype=float)
        errors = np.vstack([means - table[f"{metric} low"].to_numpy(dtype=float),
                            table[f"{metric} high"].to_numpy(dtype=float) - means])
        ax.bar(x + (i - (len(names) - 1) / 2) * width, means, width * 0.92, yerr=np.nan_to_num(errors), capsize=3,
               **_options(kwargs, Rectangle, color=OKABE_ITO[i % len(OKABE_ITO)], label=metric))
    ax.set_xticks(x, [str(n) for n in table.index])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("mean over queries")
    if len(names) > 1:
        ax.legend(frameon=False, fontsize="small")
    confidence = table.attrs.get("confidence", 0.95)
    _titled(ax, f"{names[0] if len(names) == 1 else 'Metrics'} per configuration ({confidence:.0%} bootstrap intervals, "
                f"{int(table['queries'].max()) if 'queries' in table.columns else '?'} queries)",
            is_sandbox(table))
    return ax


def cutoff_curve(calibration: Calibration, *, cutoff: Cutoff | None = None, ax: Axes | None = None,
                 **kwargs: Any) -> Axes:
    """Precision and recall of the reviewed hits kept at each score cut-off; ``cutoff`` (from
    :meth:`Calibration.cutoff`) is drawn with its interval. ``**kwargs`` go to the two curves
    (:class:`~matplotlib.lines.Line2D`).

    Example:
        >>> import numpy as np, pandas as pd
        >>> from patsnap_analytics.study import calibrate
        >>> s = np.linspace(0.5, 1, 40); run = pd.DataFrame({"query": ["q"] * 40, "patent_id": list(map(str, range(40))), "score": s})
        >>> ax = cutoff_curve(calibrate(run, run.assign(relevance=(s > 0.75).astype(int))))
        >>> [line.get_label() for line in ax.get_lines()]
        ['precision', 'recall']
        >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    ax = _axes(ax, (6.4, 4.0))
    _style(ax)
    grid = np.unique(calibration.scores)
    points = [(t, *_at(calibration, t)) for t in grid]
    thresholds, precision, recall = (np.array(v) for v in zip(*points, strict=True))
    ax.plot(thresholds, precision, **_options(kwargs, Line2D, color=OKABE_ITO[0], linewidth=2, label="precision"))
    ax.plot(thresholds, recall, **_options(kwargs, Line2D, color=OKABE_ITO[1], linewidth=2, label="recall"))
    if cutoff is not None:
        ax.axvspan(cutoff.low, cutoff.high, color="#dddddd", alpha=0.6, zorder=0)
        ax.axvline(cutoff.threshold, color="#333333", linewidth=1)
        ax.annotate(f"{cutoff.target} {cutoff.value:.2f}: {cutoff.threshold:.3f}", (cutoff.threshold, 0.03),
                    fontsize="small", xytext=(4, 0), textcoords="offset points")
    ax.set_xlabel("keep hits scoring at least")
    ax.set_ylabel("share of reviewed hits")
    ax.set_ylim(0, 1.05)
    ax.legend(frameon=False, fontsize="small")
    _titled(ax, f"{calibration.configuration}: precision and recall by cut-off ({calibration.n_verdicts} verdicts)",
            calibration.source == "sandbox")
    return ax


def _at(calibration: Calibration, threshold: float) -> tuple[float, float]:
    kept = calibration.scores >= threshold
    relevant = calibration.relevant
    precision = float(relevant[kept].mean()) if kept.any() else np.nan
    recall = float(relevant[kept].sum() / max(1, relevant.sum()))
    return precision, recall
