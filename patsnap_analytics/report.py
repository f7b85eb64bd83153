"""Self-contained HTML landscape report of a design search (one query image or a batch).

:func:`landscape_report` writes ONE ``.html`` file that opens in any browser, offline, years later: charts are
embedded PNGs, thumbnails are re-encoded and embedded as ``data:`` URIs, the CSS is inline, and nothing refers to
anything outside the file. A Content-Security-Policy in the page forbids the browser to load anything else, so
even a title crafted by a third party cannot make the report call home. Result ``image_url`` values (presigned,
short-lived vendor links) are never written into the file.

All text goes through Jinja2 with autoescaping: titles, assignees and query names come from the API or from
file names and are treated as untrusted.

Example:
    >>> import pandas as pd, tempfile, pathlib
    >>> df = pd.DataFrame({"query": ["chair.png"], "rank": [1], "patent_id": ["p1"], "patent_pn": ["USD1S"],
    ...                    "title": ["Chair"], "score": [0.91], "image_url": ["u"], "country": ["US"]})
    >>> df.attrs["source"] = "sandbox"
    >>> out = landscape_report(df, pathlib.Path(tempfile.mkdtemp()) / "r.html")
    >>> "SANDBOX DATA" in out.read_text()
    True
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import io
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from . import plots
from .codes import OFFICES, SIMPLE_LEGAL_STATUS, STATUS_MEANINGS
from .errors import ValidationError
from .frames import ResultInfo, is_sandbox, sandbox_mark
from .protocols import ClientLike
from .query import FILTERS, DesignQuery
from .thumbnails import Fetch, data_uri, image_fetcher, thumbnail

__all__ = ["DEFAULT_LINK", "REQUIRED_COLUMNS", "executive_summary", "landscape_report", "patent_link",
           "reviewed_tally", "scope_line"]

#: Where the appendix links each patent of real (not sandbox) data; ``link=`` changes it.
DEFAULT_LINK = "https://patents.google.com/patent/{pn}"

#: Columns the report cannot do without; the rest of the result schema is used when present.
REQUIRED_COLUMNS: tuple[str, ...] = ("query", "patent_id", "patent_pn")

_STATUS_COLUMNS = (("simple_legal_status_label", "Status"), ("legal_status_label", "Legal status"),
                   ("loc_label", "Locarno class"))
#: The page template, in ``patsnap_analytics/templates/`` (it includes ``report.css`` there).
TEMPLATE = "report.html.j2"
THUMB_PX = 240  # twice the displayed size, sharp on high-density screens


# ----------------------------------------------------------------------------------------------- text helpers
def _humanise(key: object) -> str:
    text = str(key).replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def _number(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def _filter_rows(filters: Mapping[str, object]) -> list[tuple[str, str]]:
    """``df.attrs["filters"]`` as (caption, words) rows, worded by the FILTERS table (codes spelled out)."""
    try:
        return DesignQuery.from_filters(**filters).readable()
    except ValidationError:  # attrs edited by hand: show them as they are rather than fail the report
        return [(FILTERS[k].caption if k in FILTERS else _humanise(k), str(v)) for k, v in filters.items()]


def _plain(value: Any) -> Any:
    """A stats object (mapping, dataclass, namedtuple, or a method returning one) as plain data."""
    if callable(value) and not isinstance(value, Mapping):
        value = value()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if hasattr(value, "_asdict"):
        return value._asdict()
    if hasattr(value, "as_dict"):  # the client's ClientStats
        return value.as_dict()
    return value


def _stats_rows(stats: Any) -> list[tuple[str, str]]:
    """Any stats mapping flattened to readable rows; nested mappings become ``Calls: search`` rows plus a total."""
    stats = _plain(stats)
    if not isinstance(stats, Mapping):
        return [("Usage", str(stats))] if stats is not None else []
    rows: list[tuple[str, str]] = []
    for key, value in stats.items():
        value = _plain(value)
        if isinstance(value, Mapping):
            numbers = [v for v in value.values() if isinstance(v, int | float) and not isinstance(v, bool)]
            if numbers and len(numbers) == len(value) and len(value) > 1:
                rows.append((f"{_humanise(key)} (total)", _number(sum(numbers))))
            rows.extend((f"{_humanise(key)}: {k}", _number(v)) for k, v in value.items())
        else:
            rows.append((_humanise(key), _number(value)))
    return rows


# ----------------------------------------------------------------------------------------------- figures
def _chart(draw: Callable[[Axes], object], size: tuple[float, float]) -> str:
    # A bare Figure (not pyplot): nothing is registered with a GUI backend or shown in a notebook, and the
    # figure is freed with its last reference; savefig picks the Agg renderer for PNG by itself.
    fig = Figure(figsize=size, layout="constrained")
    draw(fig.add_subplot())
    return data_uri(plots.figure_png(fig, dpi=120, facecolor="white"))


def _bars_height(n: int) -> float:
    return max(2.6, 0.42 * n + 1.3)


def _charts(df: pd.DataFrame) -> list[dict[str, str]]:
    charts: list[dict[str, str]] = []

    def add(name: str, caption: str, draw: Callable[[Axes], object], size: tuple[float, float]) -> None:
        charts.append({"name": name, "caption": caption, "src": _chart(draw, size)})

    has_scores = "score" in df.columns and bool(df["score"].notna().any())
    if has_scores:
        add("Similarity scores", "How similar the results are to the query image(s).",
            lambda ax: plots.score_distribution(df, ax=ax), (6.4, 3.8))
        if "rank" in df.columns:
            add("Score by rank", "How fast similarity falls off down the result list.",
                lambda ax: plots.score_vs_rank(df, ax=ax), (6.4, 3.8))
    if "country" in df.columns:
        n = min(15, df["country"].nunique(dropna=False))
        add("Offices", "Where the similar designs are registered (distinct designs).",
            lambda ax: plots.office_breakdown(df, ax=ax), (6.4, _bars_height(n)))
    for status in ("simple_legal_status", "legal_status"):
        if f"{status}_label" in df.columns:
            n = df[f"{status}_label"].nunique(dropna=False)
            add(_humanise(status), "Whether the similar designs are still in force (distinct designs).",
                lambda ax, status=status: plots.status_breakdown(df, status=status, ax=ax), (6.4, _bars_height(n)))
    if "loc" in df.columns and df["loc"].notna().any():
        n = min(15, plots._explode(df, "loc")["loc"].nunique(dropna=False))
        add("Locarno classes", "Product classes of the similar designs (distinct designs).",
            lambda ax: plots.loc_breakdown(df, ax=ax), (6.4, _bars_height(n)))
    if "current_assignee" in df.columns and df["current_assignee"].notna().any():
        stack = "simple_legal_status" if "simple_legal_status_label" in df.columns else None
        n = min(15, df["current_assignee"].nunique())
        add("Who holds them", "Current holders of the similar designs (distinct designs"
            + (", by status)." if stack else ")."),
            lambda ax: plots.assignee_breakdown(df, stack=stack, ax=ax), (7.2, _bars_height(n)))
        if "country" in df.columns:
            n = min(12, df["current_assignee"].nunique())
            add("Who files where", "Distinct designs per holder and office.",
                lambda ax: plots.assignee_office_heatmap(df, ax=ax), (7.2, 1.6 + 0.45 * n))
    if "application_date" in df.columns and df["application_date"].notna().any():
        add("When", "Similar designs by filing year, per office.",
            lambda ax: plots.filing_timeline(df, ax=ax), (7.2, 3.8))
    n_queries = df["query"].nunique()
    if n_queries >= 2:
        side = 4.6 if n_queries <= 6 else min(9.0, 0.7 * n_queries)
        add("Overlap between queries", "Jaccard overlap of the designs each pair of query images found.",
            lambda ax: plots.overlap_heatmap(df, ax=ax), (side + 1.8, side))
    return charts


def _thumbnail_uri(url: object, fetch: Fetch) -> str | None:
    """The result image, shrunk and re-encoded (which also strips anything that is not pixels), as a data URI."""
    img = thumbnail(url, fetch, size=THUMB_PX)
    if img is None:
        return None
    buf = io.BytesIO()
    colours = img.getcolors(maxcolors=256)
    if colours is not None:  # line drawings: lossless PNG is both smaller and sharper than JPEG
        img.save(buf, format="PNG", optimize=True)
        return data_uri(buf.getvalue())
    img.save(buf, format="JPEG", quality=85)
    return data_uri(buf.getvalue(), "image/jpeg")


# ----------------------------------------------------------------------------------------------- tables
def _score_text(value: object, digits: int = 3) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value):.{digits}f}"  # type: ignore[arg-type]


def _top_designs(df: pd.DataFrame, top: int) -> pd.DataFrame:
    """One row per distinct design, best first, with how many queries found it. Best means comparable across
    searches: the calibrated probability when there is one (``_p``), else the rank within the design's own
    query (then the score): raw scores of different searches are not on one scale."""
    rows = df.copy()
    rows["_score"] = rows["score"].astype("Float64") if "score" in rows.columns else pd.NA
    rows["_rank"] = rows["rank"].astype("Float64") if "rank" in rows.columns else pd.NA
    if "_p" in rows.columns and rows["_p"].notna().any():
        order, ascending = ["_p", "_rank"], [False, True]
    elif rows["_rank"].notna().any():
        order, ascending = ["_rank", "_score"], [True, False]
    else:
        order, ascending = ["_score"], [False]
    rows = rows.sort_values(order, ascending=ascending, na_position="last", kind="stable")
    found_by = df.groupby("patent_id", sort=False)["query"].unique()
    best = rows.drop_duplicates("patent_id").head(top).copy()
    best["_found_by_names"] = best["patent_id"].map(lambda p: [str(q) for q in found_by[p]])
    best["_found_by"] = best["_found_by_names"].map(len)
    return best


def _text(value: object, empty: str = "—") -> str:
    return empty if value is None or (not isinstance(value, list | tuple) and pd.isna(value)) else str(value)


#: What a status means (codes.STATUS_MEANINGS) -> the CSS class of its tag: the charts' green, amber, red-ish.
_TONES = {"in force": "good", "pending": "wait", "lapsed": "bad", "other": ""}


def _tone(label: str) -> str:
    return _TONES.get(STATUS_MEANINGS.get(label, "other"), "")


def _shortened(names: list[str], shown: int = 2) -> str:
    """A few names shortened for a narrow column (the full list goes in the cell's title attribute)."""
    text = ", ".join(plots._short(n, 26) for n in names[:shown])
    return text + (f" and {len(names) - shown} more" if len(names) > shown else "")


def _labels(row: pd.Series, columns: Iterable[str]) -> list[dict[str, str]]:
    """The row's status and class labels as tags; a Locarno label is prefixed with its code."""
    tags = []
    for col, name in _STATUS_COLUMNS:
        if col not in columns:
            continue
        text = _text(row.get(col), plots.UNKNOWN)
        if text == plots.UNKNOWN:
            text = f"{name}: unknown"  # two bare "Unknown" tags side by side would not say which is which
        elif col == "loc_label" and _text(row.get("loc"), "") not in ("", "[]"):
            codes_ = row["loc"]
            text = f"{', '.join(codes_) if isinstance(codes_, list | tuple) else codes_} {text}"
        tags.append({"name": name, "text": text, "tone": _tone(text)})
    return tags


def _day(value: object) -> str:
    return "—" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")  # type: ignore[arg-type]


def _title_of(row: pd.Series) -> str:
    """The English title when there is one (titles of CN/JP/KR designs are in the office's language)."""
    english, title = row.get("title_en"), row.get("title")
    if english is not None and not pd.isna(english) and str(english) != str(title):
        return f"{english} ({_text(title)})"
    return _text(title)


def _result_row(row: pd.Series, columns: Iterable[str], fetch: Fetch | None, link: str | None,
                sandbox: bool) -> dict[str, Any]:
    """One design as the report's tables show it."""
    country = _text(row.get("country"), "")
    pn = _text(row["patent_pn"])
    return {
        "pn": pn,
        "title": _title_of(row),
        "office": f"{OFFICES.get(country, country)} ({country})" if country else "—",
        "score": _score_text(row.get("score")),
        "probability": _score_text(row.get("_p"), 2) if "_p" in row.index else None,
        "verdict": _text(row.get("verdict"), "") if "verdict" in row.index else "",
        "rank": _text(row.get("rank")),
        "query": _text(row.get("query")),
        "assignee": _text(row.get("current_assignee")),
        "filed": _day(row.get("application_date")),
        "published": _day(row.get("publication_date")),
        "status": _text(row.get("simple_legal_status_label")),
        "status_tone": _tone(_text(row.get("simple_legal_status_label"))),
        "query_short": plots._short(_text(row.get("query")), 24),
        "labels": _labels(row, columns),
        "link": patent_link(pn, row.get("patent_id"), link, sandbox),
        "thumb": _thumbnail_uri(row.get("image_url"), fetch) if fetch is not None else None,
    }


def _result_rows(best: pd.DataFrame, fetch: Fetch | None, several: bool, link: str | None = None,
                 sandbox: bool = False) -> list[dict[str, Any]]:
    out = []
    for i, (_, row) in enumerate(best.iterrows(), start=1):
        item = _result_row(row, best.columns, fetch, link, sandbox)
        item.update(n=i, found_by=int(row["_found_by"]) if several else None,
                    found_by_names=", ".join(row["_found_by_names"]) if several else "",
                    found_by_short=_shortened(row["_found_by_names"]) if several else "")
        out.append(item)
    return out


def patent_link(pn: str, patent_id: object, template: str | None, sandbox: bool) -> str | None:
    """A public page of the patent for the report's appendix: ``template`` with ``{pn}`` / ``{patent_id}``
    filled in; none for sandbox data (its patents are generated) or without a template.

    Example:
        >>> patent_link("USD912345S", "p1", DEFAULT_LINK, sandbox=False)
        'https://patents.google.com/patent/USD912345S'
        >>> patent_link("USD912345S", "p1", DEFAULT_LINK, sandbox=True) is None
        True
    """
    if sandbox or not template or pn in ("", "—"):
        return None
    from urllib.parse import quote

    return template.format(pn=quote(pn, safe=""), patent_id=quote(str(patent_id), safe=""))


def _query_sections(df: pd.DataFrame, per_query: int, fetch: Fetch | None, query_images: Mapping[str, bytes],
                    link: str | None, sandbox: bool) -> list[dict[str, Any]]:
    """One section per query: its image, what it found, and its best hits with who / where / when / status."""
    sections = []
    for query, part in df.groupby("query", sort=False):
        best = _top_designs(part, per_query)
        data = query_images.get(str(query))
        total = part["total_count"].dropna() if "total_count" in part.columns else pd.Series(dtype="Int64")
        sections.append({
            "query": str(query),
            "image": _query_image_uri(data) if data else None,
            "shown": len(best),
            "results": f"{len(part):,}",
            "total": f"{int(total.iloc[0]):,}" if len(total) else "—",
            "hits": [_result_row(row, best.columns, fetch, link, sandbox) for _, row in best.iterrows()],
        })
    return sections


def _query_image_uri(data: bytes) -> str | None:
    from .thumbnails import thumbnail_png

    try:
        return data_uri(thumbnail_png(data, size=THUMB_PX))
    except Exception:  # a query image the report cannot draw is left out, not a failed report
        return None


def _query_images(df: pd.DataFrame, given: Mapping[str, Any] | None, client: ClientLike | None) -> dict[str, bytes]:
    """Query name -> image bytes: the ones given, else the images the client searched (by their sha256)."""
    out: dict[str, bytes] = {}
    for name, image in (given or {}).items():
        out[str(name)] = image if isinstance(image, bytes) else Path(image).read_bytes()
    searcher = getattr(client, "searcher", None)
    for name, spec in ResultInfo.of(df).queries.items():
        sha = spec.image_sha256
        ref = searcher.image_for(sha) if searcher is not None and sha else None
        if ref is not None and name not in out:
            out[name] = ref.data
    return out


def reviewed_tally(df: pd.DataFrame) -> str | None:
    """What the reviewers said about these hits, in words (``None`` when no hit has a verdict): distinct hits
    (query and design) per verdict, in the vocabulary's order.

    Example:
        >>> df = pd.DataFrame({"query": ["q"] * 4, "patent_id": ["a", "b", "c", "d"],
        ...                    "verdict": ["similar", "same design", "similar", None]})
        >>> reviewed_tally(df)
        'Reviewed 3 of 4 hits: 1 same design, 2 similar.'
    """
    if "verdict" not in df.columns or not df["verdict"].notna().any():
        return None
    from .codes import VERDICTS

    hits = df.drop_duplicates(["query", "patent_id"]) if "patent_id" in df.columns else df
    counts = hits["verdict"].value_counts()
    words = [f"{int(counts[w]):,} {w}" for w in VERDICTS if w in counts.index]
    return f"Reviewed {int(hits['verdict'].notna().sum()):,} of {len(hits):,} hits: {', '.join(words)}."


def _ranking_note(df: pd.DataFrame, calibration: Any) -> str:
    """The sentence saying what the cross-query table is ranked by, and why."""
    if calibration is not None:
        return (f"Ranked by the calibrated probability that a design is relevant (P(relevant), isotonic "
                f"calibration of {calibration.configuration!r} on {calibration.n_verdicts:,} reviewers' verdicts), "
                "then by its rank in its own search.")
    if "rank" in df.columns and df["query"].nunique() > 1:
        return ("Ranked by each design's best rank within its own search (every query's first hit first), then by "
                "score: scores of different searches are not on one scale, so they are not compared.")
    return "Ranked by similarity score."


def executive_summary(df: pd.DataFrame, *, threshold: float = 0.8, offices: Iterable[str] | None = None,
                      calibration: Any = None) -> list[str]:
    """The landscape in a few sentences with their figures: how many designs, which hits are close (see below),
    how many of those are active in the ``offices`` that matter, who holds them, when they were filed.

    Close hits: with a ``calibration`` (:func:`patsnap_analytics.study.calibrate`), the designs whose calibrated
    P(relevant) is at least ``threshold`` — one scale for every search. Without one, raw scores are compared within
    each search only (scores of different searches are not on one scale), so the count is given per search.

    Example:
        >>> df = pd.DataFrame({"query": ["q"] * 3, "patent_id": ["a", "b", "c"], "score": [0.9, 0.85, 0.4],
        ...                    "country": ["US", "CN", "US"], "simple_legal_status": [1, 0, 1],
        ...                    "current_assignee": ["Acme Inc.", "Beta Ltd", "Acme Inc."]})
        >>> executive_summary(df, offices=["US"])[1]
        '2 hits score 0.80 or more; of these, 1 is active in United States (US), held by Acme Inc. (1).'
        >>> executive_summary(df.assign(query=["q1", "q1", "q2"]))[1]
        'Hits scoring 0.80 or more in their own search (raw scores are compared within a search only): q1 2, q2 0; of these, 1 is active, held by Acme Inc. (1).'
    """
    designs = df.sort_values("score", ascending=False) if "score" in df.columns else df
    designs = designs.drop_duplicates("patent_id")
    n_queries = df["query"].nunique()
    lines = [f"{n_queries} query image{'s' if n_queries != 1 else ''} found {len(designs):,} distinct similar "
             f"designs ({len(df):,} results)"
             + (f" in {designs['country'].nunique()} offices." if "country" in df.columns else ".")]
    if "score" not in df.columns or not df["score"].notna().any():
        return lines
    close, line = _close_hits(df, threshold, calibration)
    close = close.drop_duplicates("patent_id")
    wanted = sorted({o.upper() for o in offices}) if offices else None
    if "simple_legal_status" in close.columns:
        in_scope = close[close["country"].isin(wanted)] if wanted and "country" in close.columns else close
        active = in_scope[in_scope["simple_legal_status"].astype("Float64") == 1]
        where = (" in " + ", ".join(f"{OFFICES.get(o, o)} ({o})" for o in wanted)) if wanted else ""
        line += f"; of these, {len(active):,} {'is' if len(active) == 1 else 'are'} active{where}"
        if "current_assignee" in active.columns and len(active):
            holders = active["current_assignee"].fillna("unknown").value_counts().head(3)
            line += ", held by " + ", ".join(f"{name} ({count})" for name, count in holders.items())
    lines.append(line + ".")
    if "current_assignee" in designs.columns and designs["current_assignee"].notna().any():
        top = designs["current_assignee"].value_counts().head(3)
        lines.append("The most frequent holders among all similar designs: "
                     + ", ".join(f"{name} ({count})" for name, count in top.items()) + ".")
    if "application_date" in designs.columns and designs["application_date"].notna().any():
        years = pd.to_datetime(designs["application_date"]).dt.year.dropna().astype(int)
        lines.append(f"They were filed between {years.min()} and {years.max()}; "
                     f"{int((years >= years.max() - 4).sum()):,} in the last five years of that span.")
    return lines


#: Searches named one by one in the summary's per-search count; beyond it, the count says how many searches.
_NAMED_SEARCHES = 8


def _close_hits(df: pd.DataFrame, threshold: float, calibration: Any) -> tuple[pd.DataFrame, str]:
    """The close hits and the sentence that counts them: by calibrated probability (one scale) when there is a
    calibration, else by raw score within each search, counted per search (raw scores of different searches
    are not on one scale, so a pooled count would add incomparable numbers)."""
    if calibration is not None:
        p = df["_p"] if "_p" in df.columns else pd.Series(calibration.probability(df["score"]), index=df.index)
        close = df[p.astype("Float64").fillna(0) >= threshold]
        n = close["patent_id"].nunique()
        return close, (f"{n:,} design{'s' if n != 1 else ''} likely relevant (calibrated P(relevant) ≥ "
                       f"{threshold:.2f}, from {calibration.n_verdicts:,} verdicts on {calibration.configuration!r})")
    close = df[df["score"].astype("Float64").fillna(0) >= threshold]
    if df["query"].nunique() == 1:
        return close, f"{len(close):,} hit{'s' if len(close) != 1 else ''} score {threshold:.2f} or more"
    counts = close.groupby("query", sort=False).size().reindex(pd.unique(df["query"]), fill_value=0)
    lead = f"Hits scoring {threshold:.2f} or more in their own search (raw scores are compared within a search only)"
    if len(counts) <= _NAMED_SEARCHES:
        return close, lead + ": " + ", ".join(f"{q} {int(n):,}" for q, n in counts.items())
    return close, (f"{lead}: in {int((counts > 0).sum()):,} of {len(counts):,} searches, at most "
                   f"{int(counts.max()):,} ({counts.idxmax()})")


def _query_rows(df: pd.DataFrame) -> list[dict[str, str]]:
    rows = []
    for query, part in df.groupby("query", sort=False):
        total = part["total_count"].dropna() if "total_count" in part.columns else pd.Series(dtype="Int64")
        scores = part["score"].dropna() if "score" in part.columns else pd.Series(dtype="Float64")
        rows.append({
            "query": str(query),
            "results": f"{len(part):,}",
            "total": f"{int(total.iloc[0]):,}" if len(total) else "—",
            "best": f"{float(scores.max()):.3f}" if len(scores) else "—",
        })
    return rows


def _key_figures(df: pd.DataFrame) -> list[tuple[str, str]]:
    designs = df.drop_duplicates("patent_id")
    figures = [("Results", f"{len(df):,}"), ("Distinct designs", f"{len(designs):,}"),
               ("Query images", f"{df['query'].nunique():,}")]
    if "country" in df.columns:
        figures.append(("Offices", f"{designs['country'].nunique():,}"))
    if "simple_legal_status" in df.columns and len(designs):
        active = designs["simple_legal_status"].astype("Float64") == 1
        figures.append(("Active designs", f"{float(active.fillna(False).mean()):.0%}"))
    elif "simple_legal_status_label" in df.columns and len(designs):
        active = designs["simple_legal_status_label"].astype("string") == SIMPLE_LEGAL_STATUS[1]
        figures.append(("Active designs", f"{float(active.fillna(False).mean()):.0%}"))
    if "score" in df.columns and df["score"].notna().any():
        figures.append(_best_score_figure(df))
    return figures


def _best_score_figure(df: pd.DataFrame) -> tuple[str, str]:
    """One query: its best score. Several: the range of their best scores — one maximum over several searches
    would name a single query's hit as the whole landscape's (scores of different searches do not rank together).
    """
    best = df.groupby("query", sort=False, dropna=False)["score"].max().dropna()
    if len(best) == 1:
        return "Best score", f"{float(best.iloc[0]):.3f}"
    low, high = float(best.min()), float(best.max())
    return "Best score per query", f"{low:.2f}–{high:.2f}" if f"{low:.2f}" != f"{high:.2f}" else f"{high:.2f}"


def _failure_rows(failures: Iterable[Any]) -> list[dict[str, str]]:
    rows = []
    for f in failures:
        f = _plain(f)
        if isinstance(f, Mapping):
            rows.append({"image": str(f.get("image", "—")), "error": str(f.get("error", "—")),
                         "message": str(f.get("message", ""))})
        else:
            rows.append({"image": "—", "error": type(f).__name__, "message": str(f)})
    return rows


def scope_line(info: ResultInfo | Mapping[str, Any]) -> str | None:
    """What a workflow's frame covers, in words, for the report's header: a watch's "new since", a prior-art
    search's date rule; ``None`` for a plain search. ``info``: the frame's :class:`ResultInfo` (or its ``attrs``).

    Example:
        >>> scope_line({"workflow": {"kind": "watch", "name": "bottles", "run": 3, "new_since": "2026-11-01",
        ...                          "until": "2026-12-01"}})
        "New since 2026-11-01 (published 2026-11-01 to 2026-12-01): watch 'bottles', run 3"
        >>> scope_line({}) is None
        True
    """
    workflow = (info if isinstance(info, ResultInfo) else ResultInfo.from_attrs(info)).workflow
    if workflow.get("kind") == "watch":
        if workflow.get("new_since"):
            return (f"New since {workflow['new_since']} (published {workflow['new_since']} to {workflow['until']}): "
                    f"watch {workflow['name']!r}, run {workflow['run']}")
        return f"Everything published to {workflow['until']}: watch {workflow['name']!r}, first run"
    if workflow.get("kind") == "search_like" and workflow.get("prior_art"):
        return "Prior art: only designs filed before each source patent's application date (the source left out)"
    return None


# ----------------------------------------------------------------------------------------------- public
def landscape_report(df: pd.DataFrame, path: str | Path, *, title: str | None = None,
                     fetch: Fetch | None = None, client: ClientLike | None = None,
                     stats: Mapping[str, Any] | None = None, failures: Iterable[Any] | None = None,
                     top: int = 25, per_query: int = 6, threshold: float = 0.8,
                     offices: Iterable[str] | None = None, query_images: Mapping[str, Any] | None = None,
                     link: str | None = DEFAULT_LINK, calibration: Any = None,
                     verdicts: pd.DataFrame | None = None) -> Path:
    """Write a self-contained HTML landscape report of ``df`` to ``path`` and return the path.

    The page, written for a client: the title; a loud banner when the data comes from the sandbox; an
    executive summary in words and figures (:func:`executive_summary`: the close hits — calibrated P(relevant) at
    least ``threshold`` with a ``calibration``, else raw scores at least ``threshold`` counted per search — how many
    are active in the ``offices`` that matter and who holds them); key figures; the filters in plain
    words; one section per query with its image (``query_images`` name -> bytes or path, else the images
    ``client`` searched) beside its ``per_query`` best hits (thumbnail, score, holder, office, dates,
    status); the who / where / when / in-force charts (those the frame's columns allow: enrich it first);
    the ``top`` designs over all queries with the queries that found them; failed or pending images; and
    appendices: every hit with a link to the patent (``link``: a template with ``{pn}`` / ``{patent_id}``;
    none for sandbox data), then the data source and the API calls spent (``stats``, else ``client.stats``).
    It prints cleanly (print CSS: A4, no row split across pages). The local server's address never appears.

    Per query the report says how many hits it shows of how many were fetched, and how many designs pass the
    filters (the API's ``total_count``: what passes the filters, not what matches). The cross-query table is
    ranked by something comparable, said in a sentence under it: each design's rank in its own search, or,
    with a ``calibration`` (:func:`patsnap_analytics.study.calibrate` on reviewers' verdicts), the calibrated
    probability of being relevant, shown beside the raw score in every table. Reviewers' verdicts —
    ``verdicts`` (a verdict frame), the frame's own ``verdict`` column, or the ones stored by ``client`` —
    lead the summary ("Reviewed 49 of 200 hits: 12 same design, 30 similar, …") and tag their hits.

    Thumbnails are fetched only through ``fetch(url) -> bytes | None`` or ``client.fetch_image`` (so the
    client's cache is used); without either, the table has no images. An image that cannot be fetched or
    decoded shows as "image unavailable". ``failures`` defaults to ``df.attrs["failures"]``.

    Example:
        >>> import pandas as pd, tempfile, pathlib
        >>> df = pd.DataFrame({"query": ["q.png"], "patent_id": ["p1"], "patent_pn": ["USD1S"],
        ...                    "title": ["<b>Lamp</b>"]})
        >>> html = landscape_report(df, pathlib.Path(tempfile.mkdtemp()) / "r.html").read_text()
        >>> "&lt;b&gt;Lamp&lt;/b&gt;" in html, "<b>Lamp" in html
        (True, False)
    """
    if not isinstance(df, pd.DataFrame):
        raise ValidationError("df", f"expected a pandas DataFrame of results, got {type(df).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise ValidationError("df", f"missing column(s) {', '.join(map(repr, missing))}; pass a search result frame")
    if top < 1:
        raise ValidationError("top", f"must be at least 1; got {top}")
    get = image_fetcher(fetch, client)
    if stats is None and client is not None:
        stats = getattr(client, "stats", None)
    info = ResultInfo.of(df)
    df = _judged(df, verdicts, client, calibration)
    queries = [str(q) for q in pd.unique(df["query"].astype("string").dropna())]
    scope = scope_line(info)
    if title is None and info.workflow.get("new_since"):
        title = f"New designs since {info.workflow['new_since']}: watch {info.workflow['name']!r}"
    if title is None:
        title = (f"Design landscape: {queries[0]}" if len(queries) == 1
                 else f"Design landscape: {len(queries)} query images")
    several = len(queries) > 1
    best = _top_designs(df, top) if len(df) else df
    sandbox = is_sandbox(df)
    every = df.sort_values(["query", "rank"] if "rank" in df.columns else ["query"], kind="stable")
    tally = reviewed_tally(df)
    context = {
        "summary": ([tally] if tally else []) + (executive_summary(df, threshold=threshold, offices=offices,
                                                                   calibration=calibration) if len(df) else []),
        "calibrated": "_p" in df.columns,
        "reviewed": tally is not None,
        "ranking_note": _ranking_note(df, calibration),
        "sections": _query_sections(df, per_query, get, _query_images(df, query_images, client), link, sandbox)
        if len(df) else [],
        "appendix": [_result_row(row, df.columns, None, link, sandbox) for _, row in every.iterrows()],
        "title": title,
        "scope": scope,
        "sandbox": sandbox,
        "sandbox_mark": sandbox_mark(df),
        "source": {"sandbox": "Sandbox (offline sample data)", "patsnap": "PatSnap Open API"}.get(
            str(info.source), _text(info.source, "unknown")),
        "endpoint": _text(f"{info.endpoint} ({info.path})" if info.path else info.endpoint),
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "version": _version(),
        "filters": _filter_rows(info.filters),
        "stats": _stats_rows(stats) if stats is not None else [],
        "figures": _key_figures(df),
        "queries": _query_rows(df) if len(df) else [],
        "charts": _charts(df) if len(df) else [],
        "results": _result_rows(best, get, several, link, sandbox) if len(df) else [],
        "label_names": [name for col, name in _STATUS_COLUMNS if col in df.columns],
        "thumbnails": get is not None,
        "several": several,
        "n_designs": df["patent_id"].nunique(),
        "failures": _failure_rows(info.failures if failures is None else failures),
        "pending": [str(p) for p in info.pending],
    }
    out = Path(path)
    out.write_text(_template().render(**context), encoding="utf-8")
    return out


def _judged(df: pd.DataFrame, verdicts: pd.DataFrame | None, client: ClientLike | None,
            calibration: Any) -> pd.DataFrame:
    """``df`` with the reviewers' verdicts (given, already there, or stored by the client) and, with a
    calibration, each hit's calibrated probability ``_p``; the caller's frame is not changed."""
    from .verdicts import with_verdicts

    if verdicts is not None:
        df = with_verdicts(df, verdicts)
    elif "verdict" not in df.columns and (stored := getattr(client, "verdicts", None)) is not None and len(stored):
        df = with_verdicts(df, stored.frame())
    if calibration is not None and "score" in df.columns:
        df = df.assign(_p=calibration.probability(df["score"]))
    return df


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("patsnap-analytics")
    except Exception:
        return "dev"


@functools.cache
def _template() -> jinja2.Template:
    # The page lives in templates/ (package data, so a wheel carries it). autoescape=True, not
    # select_autoescape: ".j2" is not an extension select_autoescape knows, and every value is untrusted.
    env = jinja2.Environment(loader=jinja2.PackageLoader("patsnap_analytics", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.get_template(TEMPLATE)

