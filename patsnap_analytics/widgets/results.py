"""The app's result views: a paged table with a thumbnail per row, and a gallery grouped per query image.

Both are HTML built here from escaped text (titles, names and query names come from outside and are never
trusted) and small PNGs embedded as ``data:`` URIs, so they look the same in JupyterLab, Voilà and a test without
a browser, and nothing on the page loads from anywhere else.

Result images are fetched by :class:`Thumbnails` through ``client.fetch_image`` (the client's HTTP cache keeps
them 7 days), shrunk by :func:`~patsnap_analytics.thumbnails.thumbnail_png` (thin lines of drawing sheets
survive) and remembered per URL, so turning back to a page fetches nothing. Image URLs are plain file links, not
API calls: thumbnails cost no call, only time (a page of the table fetches at most :data:`PAGE_ROWS` images, a
few at a time).

Example:
    >>> import pandas as pd
    >>> df = pd.DataFrame({"query": ["q.png"], "rank": [1], "patent_pn": ["US1S"], "title": ["<b>x</b>"],
    ...                    "score": [0.91234], "country": ["US"]})
    >>> page = results_table_html(df)
    >>> "&lt;b&gt;x&lt;/b&gt;" in page, "<b>x" in page, "0.912" in page
    (True, False, True)
"""

from __future__ import annotations

import html
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import ipywidgets as w
import pandas as pd

from ..codes import VERDICTS
from ..frames import ResultInfo
from ..images import ImageRef
from ..thumbnails import Fetch, data_uri, thumbnail_png

__all__ = ["NOT_REVIEWED", "PAGE_ROWS", "TABLE_COLUMNS", "ResultsTable", "Thumbnails", "gallery_html", "query_images",
           "results_table_html"]

#: Columns of the results table, in order, with their headings; each is shown when the frame has it (the rich
#: endpoints' and enrichment's columns appear when present).
TABLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("query", "Query"), ("rank", "Rank"), ("patent_pn", "Patent number"), ("title", "Title"), ("score", "Score"),
    ("country", "Office"), ("current_assignee", "Holder"), ("application_date", "Filed"),
    ("simple_legal_status_label", "Status"), ("legal_status_label", "Legal status"), ("loc", "Locarno"),
    ("loc_label", "Locarno class"), ("verdict", "Verdict"))
#: Rows per page of the table (and the most result images one page fetches).
PAGE_ROWS = 50
#: The verdict drop-downs' choice for a hit nobody judged (choosing it again deletes a stored verdict).
NOT_REVIEWED = "—"
#: Longest side of a result thumbnail as made (the gallery's size) and as the table shows it, in pixels: one
#: picture per image serves both, sharp on high-density screens in the table.
GALLERY_THUMB_PX = 128
TABLE_THUMB_PX = 64
_NA = "—"
_MISSING = ("<div class='pa-no-image' style='width:{px}px;height:{px}px;background:#f0f0f0;color:#777;"
            "font-size:10px;display:flex;align-items:center;justify-content:center'>no image</div>")


class Thumbnails:
    """Result images as small PNG ``data:`` URIs: fetched once per URL, at most ``keep`` remembered.

    ``fetch(url) -> bytes | None`` is normally ``client.fetch_image``; ``None`` (no client) gives no images.
    An image that cannot be fetched or decoded is remembered as missing (``None``) rather than asked again on
    every page turn. :meth:`prefetch` fetches a page's images a few at a time.

    Example:
        >>> thumbs = Thumbnails(lambda url: None)
        >>> thumbs.uri("https://example.com/a.png") is None, thumbs.fetched
        (True, 1)
        >>> thumbs.uri("https://example.com/a.png") is None, thumbs.fetched  # remembered: not fetched again
        (True, 1)
    """

    def __init__(self, fetch: Fetch | None, *, size: int = GALLERY_THUMB_PX, keep: int = 2000, workers: int = 4) -> None:
        self.fetch = fetch
        self.size = size
        self.keep = keep
        self.workers = workers
        #: how many URLs were fetched (each once; a remembered one is not fetched again)
        self.fetched = 0
        self._uris: OrderedDict[str, str | None] = OrderedDict()
        self._lock = threading.Lock()

    def uri(self, url: object) -> str | None:
        """The thumbnail of the image at ``url`` as a ``data:`` URI, or ``None`` when there is none."""
        if self.fetch is None or not isinstance(url, str) or not url:
            return None
        with self._lock:
            if url in self._uris:
                self._uris.move_to_end(url)
                return self._uris[url]
        made = self._make(url)
        with self._lock:
            self._uris[url] = made
            self.fetched += 1
            while len(self._uris) > self.keep:
                self._uris.popitem(last=False)
        return made

    def __len__(self) -> int:
        """How many images are remembered (at most ``keep``)."""
        with self._lock:
            return len(self._uris)

    def prefetch(self, urls: Iterable[object]) -> None:
        """Fetch the images of ``urls`` not remembered yet, ``workers`` at a time.

        Example:
            >>> asked = []
            >>> thumbs = Thumbnails(lambda url: asked.append(url))
            >>> thumbs.prefetch(["a", "b", "a", None]); sorted(asked), len(thumbs)
            (['a', 'b'], 2)
        """
        with self._lock:
            todo = list(dict.fromkeys(u for u in urls if isinstance(u, str) and u and u not in self._uris))
        if self.fetch is None or not todo:
            return
        if len(todo) == 1 or self.workers <= 1:
            for url in todo:
                self.uri(url)
            return
        with ThreadPoolExecutor(max_workers=min(self.workers, len(todo)), thread_name_prefix="patsnap-thumbs") as pool:
            list(pool.map(self.uri, todo))

    def _make(self, url: str) -> str | None:
        try:
            data = self.fetch(url) if self.fetch else None
            return data_uri(thumbnail_png(data, self.size)) if data else None
        except Exception:  # an expired link or a broken image is a grey box, never a failed page
            return None

    @staticmethod
    def of_image(image: ImageRef, size: int = GALLERY_THUMB_PX) -> str:
        """A query image (already validated) as a thumbnail ``data:`` URI.

        Example:
            >>> import io
            >>> from PIL import Image
            >>> buf = io.BytesIO(); Image.new("1", (40, 30), 1).save(buf, "PNG")
            >>> Thumbnails.of_image(ImageRef.from_bytes(buf.getvalue())).startswith("data:image/png;base64,")
            True
        """
        return data_uri(thumbnail_png(image, size))


# ---------------------------------------------------------------------------------------------- cells
def _text(value: object) -> str:
    """A cell's text: lists joined, NA as a dash, dates as dates; escaped."""
    if isinstance(value, list | tuple):
        return html.escape("; ".join(map(str, value))) if value else _NA
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[arg-type]
        return _NA
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return html.escape(str(value))


def _cell(column: str, value: object) -> str:
    if column == "score":
        return _NA if value is None or pd.isna(value) else f"{float(value):.3f}"  # type: ignore[arg-type]
    return _text(value)


def _img(uri: str | None, px: int, alt: str) -> str:
    if uri is None:
        return _MISSING.format(px=px)
    return (f"<img src='{uri}' alt='{html.escape(alt, quote=True)}' "
            f"style='max-width:{px}px;max-height:{px}px;display:block'>")


#: Columns shown even when empty; the others only when some row has a value (search-id rows have no holder).
_ALWAYS = ("rank", "patent_pn", "title", "score", "country")


def _shown(df: pd.DataFrame, column: str) -> bool:
    if column not in df.columns:
        return False
    if column == "query":  # one query: the table's title says which
        return df["query"].nunique() > 1
    return column in _ALWAYS or bool(df[column].notna().any())


def results_table_html(df: pd.DataFrame, max_rows: int = 500, *, start: int = 0,
                       thumbnail: Callable[[object], str | None] | None = None, footer: bool = True) -> str:
    """Rows ``start`` to ``start + max_rows`` of the results as an escaped HTML table.

    ``thumbnail(image_url) -> data: URI | None`` adds an image column (see :class:`Thumbnails`); without it the
    table has no images. The query column is left out when there is one query. ``footer`` says which rows
    are shown when they are not all.

    Example:
        >>> df = pd.DataFrame({"query": ["q"], "rank": [1], "patent_pn": ["US1S"], "image_url": ["u"]})
        >>> "<img" in results_table_html(df, thumbnail=lambda url: "data:image/png;base64,AAAA")
        True
    """
    columns = [(c, title) for c, title in TABLE_COLUMNS if _shown(df, c)]
    rows = df.iloc[start:start + max_rows]
    head = "".join(f"<th>{html.escape(title)}</th>" for _, title in columns)
    if thumbnail is not None:
        head = "<th>Image</th>" + head
    body = []
    for _, row in rows.iterrows():
        cells = "".join(f"<td>{_cell(c, row[c])}</td>" for c, _ in columns)
        if thumbnail is not None:
            cells = f"<td>{_img(thumbnail(row.get('image_url')), TABLE_THUMB_PX, str(row.get('patent_pn', '')))}</td>" + cells
        body.append(f"<tr>{cells}</tr>")
    table = (f"<table class='pa-results' style='border-collapse:collapse'><thead><tr>{head}</tr></thead>"
             f"<tbody>{''.join(body)}</tbody></table>")
    more = f"<p><i>rows {start + 1}–{start + len(rows)} of {len(df)}</i></p>" if footer and len(df) > len(rows) else ""
    style = ("<style>.pa-results td,.pa-results th{padding:2px 8px;border-bottom:1px solid #e6e6e6;"
             "text-align:left;vertical-align:middle}</style>")
    return f"{style}<div style='max-height:560px;overflow:auto'>{table}</div>{more}"


# ---------------------------------------------------------------------------------------------- gallery
def query_images(df: pd.DataFrame, images: Iterable[ImageRef]) -> dict[str, list[ImageRef]]:
    """Query name -> the picked images it searched (one, or every view of an image-multiple search).

    Matched by the images' sha256 as ``df.attrs["queries"]`` records them, so a renamed query still finds its
    image; a query whose images are not among ``images`` (a URL) gets none.

    Example:
        >>> import io
        >>> from PIL import Image
        >>> buf = io.BytesIO(); Image.new("1", (8, 8), 1).save(buf, "PNG")
        >>> ref = ImageRef.from_bytes(buf.getvalue(), name="a.png")
        >>> df = pd.DataFrame({"query": ["a.png"]}); df.attrs["queries"] = {"a.png": {"image_sha256": ref.sha256}}
        >>> [r.name for r in query_images(df, [ref])["a.png"]]
        ['a.png']
    """
    by_sha = {ref.sha256: ref for ref in images}
    out: dict[str, list[ImageRef]] = {}
    for name, spec in ResultInfo.of(df).queries.items():
        views = [v.removeprefix("sha256:") for v in spec.views if str(v).startswith("sha256:")]
        shas = views or [spec.image_sha256]
        out[str(name)] = [by_sha[s] for s in shas if s in by_sha]
    return out


def _best(part: pd.DataFrame, n: int) -> pd.DataFrame:
    """A query's first ``n`` distinct designs in rank order (its best when sorted by similarity)."""
    rows = part.sort_values("rank", kind="stable") if "rank" in part.columns else part
    if "patent_id" in rows.columns:
        rows = rows.drop_duplicates("patent_id")
    return rows.head(n)


def _card(image: str, lines: Sequence[str], *, query: bool = False) -> str:
    border = "2px solid #0072B2" if query else "1px solid #ddd"
    cls = "pa-gallery-card pa-query-card" if query else "pa-gallery-card"
    caption = "<br>".join(lines)
    return (f"<figure class='{cls}' style='margin:0;padding:4px;border:{border};border-radius:4px;"
            f"width:{GALLERY_THUMB_PX + 8}px;background:white'>{image}"
            f"<figcaption style='font-size:11px;overflow:hidden;text-overflow:ellipsis'>{caption}</figcaption>"
            f"</figure>")


def gallery_html(df: pd.DataFrame, *, thumbnail: Callable[[object], str | None],
                 query_pictures: Mapping[str, Sequence[str]] | None = None, per_query: int = 8) -> str:
    """One section per query image, in the order searched: the query image(s) first, framed in blue, then its
    ``per_query`` best designs with patent number and score. ``query_pictures`` is query name -> ``data:``
    URIs of its image(s); ``thumbnail`` gives each result's picture (see :class:`Thumbnails`).

    Example:
        >>> df = pd.DataFrame({"query": ["a.png", "b.png"], "rank": [1, 1], "patent_pn": ["US1S", "CN2S"],
        ...                    "score": [0.9, 0.8], "image_url": ["u1", "u2"]})
        >>> page = gallery_html(df, thumbnail=lambda url: None, query_pictures={"a.png": ["data:image/png;base64,AA"]})
        >>> page.count("pa-gallery-query'"), page.count("pa-query-card"), page.index("a.png") < page.index("b.png")
        (2, 1, True)
    """
    sections = []
    for query, part in df.groupby("query", sort=False):
        name = str(query)
        best = _best(part, per_query)
        total = part["total_count"].dropna() if "total_count" in part.columns else pd.Series(dtype="Int64")
        found = f"{len(part)} result{'s' if len(part) != 1 else ''}"
        if len(total):
            found += f" · {int(total.iloc[0]):,} in all"
        cards = [_card(_img(uri, GALLERY_THUMB_PX, name), ["<b>query</b>", html.escape(name)], query=True)
                 for uri in (query_pictures or {}).get(name, [])]
        for _, row in best.iterrows():
            lines = [f"<b>{_text(row.get('patent_pn'))}</b>"]
            if "score" in row.index and not pd.isna(row["score"]):
                lines.append(f"score {float(row['score']):.3f}")
            if "title" in row.index:
                lines.append(f"<span title='{_text(row['title'])}'>{_text(row['title'])}</span>")
            cards.append(_card(_img(thumbnail(row.get("image_url")), GALLERY_THUMB_PX, str(row.get("patent_pn"))),
                               lines))
        sections.append(f"<section class='pa-gallery-query' style='margin-bottom:12px'>"
                        f"<h4 style='margin:4px 0'>{html.escape(name)} <small style='font-weight:normal'>"
                        f"{found}</small></h4><div style='display:flex;flex-wrap:wrap;gap:8px'>"
                        f"{''.join(cards)}</div></section>")
    return "".join(sections) or "<i>No results.</i>"


# ---------------------------------------------------------------------------------------------- the widget
class ResultsTable(w.VBox):
    """The results a page at a time (:data:`PAGE_ROWS` rows), each row with its thumbnail.

    ``show(df)`` starts at the first page; the buttons turn pages; only the page shown fetches images. With
    ``on_verdict(row, word)``, each hit of the page also gets a verdict drop-down (``reviews``: patent number ->
    Dropdown of :data:`NOT_REVIEWED` and ``codes.VERDICTS``' words, set from the frame's ``verdict`` column);
    choosing a word calls ``on_verdict`` with the hit's row and the word (``None`` for :data:`NOT_REVIEWED`) at
    once, and the table shows it.

    Example:
        >>> table = ResultsTable(Thumbnails(None))
        >>> table.show(pd.DataFrame({"rank": range(1, 121), "patent_pn": ["X"] * 120}))
        >>> table.page_label.value, table.next_button.disabled, table.previous_button.disabled
        ('rows 1–50 of 120', False, True)
    """

    def __init__(self, thumbnails: Thumbnails, *, page_rows: int = PAGE_ROWS,
                 on_verdict: Callable[[pd.Series, str | None], bool] | None = None, **kwargs: Any) -> None:
        self.thumbnails = thumbnails
        self.page_rows = page_rows
        self.on_verdict = on_verdict
        #: the page's verdict drop-downs, by patent number (with ``on_verdict`` only)
        self.reviews: dict[str, w.Dropdown] = {}
        self.review_box = w.VBox([])
        self.start = 0
        self.frame: pd.DataFrame | None = None
        self.html = w.HTML("<i>No search yet.</i>")
        self.previous_button = w.Button(description="Previous", icon="chevron-left", disabled=True,
                                        layout=w.Layout(width="110px"))
        self.next_button = w.Button(description="Next", icon="chevron-right", disabled=True,
                                    layout=w.Layout(width="110px"))
        self.page_label = w.Label("")
        self.previous_button.on_click(lambda _: self.turn(-1))
        self.next_button.on_click(lambda _: self.turn(+1))
        self.pager = w.HBox([self.previous_button, self.page_label, self.next_button],
                            layout=w.Layout(align_items="center", visibility="hidden"))
        super().__init__([self.pager, self.html, self.review_box], **kwargs)
        self.add_class("pa-results-table")

    def show(self, df: pd.DataFrame | None, message: str = "") -> None:
        """Show ``df`` from its first row (``None``: show ``message`` instead)."""
        self.frame, self.start = df, 0
        if df is None or not len(df):
            self.html.value = f"<i>{html.escape(message or 'No results.')}</i>"
            self.pager.layout.visibility = "hidden"
            self.reviews, self.review_box.children = {}, ()
            return
        self._render()

    def turn(self, pages: int) -> None:
        """Go ``pages`` pages forward (negative: back), within the results.

        Example:
            >>> table = ResultsTable(Thumbnails(None)); table.show(pd.DataFrame({"rank": range(1, 121)}))
            >>> table.turn(5); table.page_label.value
            'rows 101–120 of 120'
        """
        if self.frame is None:
            return
        last = max(0, (len(self.frame) - 1) // self.page_rows * self.page_rows)
        self.start = min(last, max(0, self.start + pages * self.page_rows))
        self._render()

    def _render(self) -> None:
        df = self.frame
        page = df.iloc[self.start:self.start + self.page_rows]
        if "image_url" in page.columns:
            self.thumbnails.prefetch(page["image_url"])
        self.html.value = results_table_html(df, self.page_rows, start=self.start, thumbnail=self.thumbnails.uri,
                                             footer=False)
        end = self.start + len(page)
        self.page_label.value = f"rows {self.start + 1}–{end} of {len(df)}"
        self.previous_button.disabled = self.start == 0
        self.next_button.disabled = end >= len(df)
        self.pager.layout.visibility = "visible" if len(df) > self.page_rows else "hidden"
        self._review_page(page)

    def _review_page(self, page: pd.DataFrame) -> None:
        """A verdict drop-down per hit of the page (when the app stores verdicts)."""
        if self.on_verdict is None:
            return
        self.reviews = {}
        rows = []
        for index, row in page.iterrows():
            pn = str(row.get("patent_pn", index))
            current = row.get("verdict") if "verdict" in row.index else None
            choice = w.Dropdown(options=(NOT_REVIEWED, *VERDICTS), layout=w.Layout(width="150px"),
                                value=current if isinstance(current, str) and current in VERDICTS else NOT_REVIEWED)
            choice.observe(lambda change, index=index: self._judge(index, change["new"]), "value")
            self.reviews[pn] = choice
            rows.append(w.HBox([w.Label(f"{row.get('rank', '')} · {pn}", layout=w.Layout(width="220px")), choice]))
        self.review_box.children = (w.HTML("<b>Verdicts</b> (stored at once, shared with the team's cache)"),
                                    *rows)

    def _judge(self, index: Any, word: str) -> None:
        """Pass one drop-down's choice on; the table shows it once it is stored."""
        chosen = None if word == NOT_REVIEWED else word
        if self.on_verdict is None or not self.on_verdict(self.frame.loc[index], chosen):
            return
        frame = self.frame.copy()
        frame["verdict"] = frame["verdict"] if "verdict" in frame.columns else pd.Series(pd.NA, index=frame.index,
                                                                                          dtype="string")
        frame.loc[index, "verdict"] = chosen
        self.frame = frame
        self.html.value = results_table_html(frame, self.page_rows, start=self.start, thumbnail=self.thumbnails.uri,
                                             footer=False)
