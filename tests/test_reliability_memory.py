"""What a long run keeps: no image bytes for files (item 12), and batch bookkeeping linear in the number of
images (item 13), shown by counting the lines batch.py executes, never by timing."""

from __future__ import annotations

import io
import sys
import threading
import warnings
from pathlib import Path

import pytest
from PIL import Image

import patsnap_analytics as pa
from patsnap_analytics import batch, errors
from patsnap_analytics.batch import BatchIncompleteWarning, pending
from patsnap_analytics.images import ImageRef

from .conftest import client_for
from .test_batch import drawings, write_folder


def tiny_pngs(n: int) -> list[bytes]:
    """``n`` distinct valid 8x8 PNGs (the pixels spell the index in binary)."""
    out = []
    for i in range(n):
        im = Image.new("1", (8, 8), 1)
        im.putdata([(i >> (b % 20)) & 1 for b in range(64)])
        buf = io.BytesIO()
        im.save(buf, "PNG")
        out.append(buf.getvalue())
    return out


def test_a_batch_of_files_keeps_paths_not_bytes(sb, tmp_path):
    paths = write_folder(tmp_path / "q", drawings(6, seed=3))
    client = client_for(sb, cache=tmp_path / "c.sqlite")
    df = client.search_many(paths, limit=2, progress=False)
    kept = list(client.searcher._images.values())
    assert df["query"].nunique() == 6 and len(kept) == 6
    assert not any(ref.holds_bytes for ref in kept) and client.searcher._kept_bytes == 0
    assert {ref.path for ref in kept} == {p.resolve() for p in paths}
    sb.advance_clock(40000)  # the uploads expired: label() re-runs searches, reading the files again
    labelled = client.label(df, by="country", progress=False)
    assert labelled["country"].notna().all()


def test_a_file_changed_after_its_check_is_refused_not_uploaded(tmp_path):
    path = tmp_path / "a.png"
    path.write_bytes(tiny_pngs(1)[0])
    ref = ImageRef.from_any(path)
    path.write_bytes(tiny_pngs(2)[1])
    with pytest.raises(errors.InvalidImageError, match="changed since it was checked"):
        ref.data  # noqa: B018


def test_images_given_as_bytes_are_kept_within_a_budget(monkeypatch):
    from patsnap_analytics import searcher as searcher_module

    monkeypatch.setattr(searcher_module, "MAX_KEPT_IMAGE_BYTES", 1000)
    client = pa.Client(api_key="sk-x", cache=False)
    for data in tiny_pngs(40):
        client.searcher._remember(ImageRef.from_any(data))
    assert client.searcher._kept_bytes <= 1000 and 0 < len(client.searcher._images) < 40


def lines_run_in_batch_py(fn) -> int:
    """Lines of batch.py executed by this thread while ``fn`` runs (the bookkeeping; searches run in workers)."""
    count = 0
    target = batch.__file__

    def tracer(frame, event, arg):
        nonlocal count
        if frame.f_code.co_filename != target:
            return None
        if event == "line":
            count += 1
        return tracer

    sys.settrace(tracer)
    try:
        fn()
    finally:
        sys.settrace(None)
    return count


def _all_pending(n: int) -> None:
    client = pa.Client(api_key="sk-x", base_url="http://127.0.0.1:9", cache=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BatchIncompleteWarning)
        df = client.search_many(tiny_pngs(n), names=["same"] * n, max_calls=0, workers=2, progress=False)
    assert len(pending(df)) == n and df.attrs["calls_spent"] == 0


def test_pending_and_name_bookkeeping_grow_linearly():
    assert threading.current_thread() is threading.main_thread()
    small = lines_run_in_batch_py(lambda: _all_pending(200))
    large = lines_run_in_batch_py(lambda: _all_pending(800))
    # 4x the images: about 4x the lines when linear; a quadratic step would make it about 16x
    assert large / small < 5.5, (small, large)


def test_the_suffix_search_for_clashing_names_is_linear():
    client = pa.Client(api_key="sk-x", cache=False)
    small = lines_run_in_batch_py(lambda: batch._resolve_all(client.searcher, [b"x"] * 300, ["a"] * 300, "search-id"))
    large = lines_run_in_batch_py(lambda: batch._resolve_all(client.searcher, [b"x"] * 1200, ["a"] * 1200, "search-id"))
    assert large / small < 5.5, (small, large)
    names = [i.name for i in batch._resolve_all(client.searcher, [b"x"] * 4, ["a", "a", "a (2)", "a"], "search-id")]
    assert names == ["a", "a (2)", "a (2) (2)", "a (3)"]
    assert Path(batch.__file__).name == "batch.py"


def test_a_finished_call_keeps_neither_its_answer_nor_its_deadline(sb, drawing):
    # the deadline watchdog of every call sat in the alarm heap until its deadline (30 s) with the answer it had
    # read: 1,000 searches in a row kept ~50 MB alive. A finished call now drops its answer, and the heap holds
    # only calls still out.
    import gc
    import weakref

    from patsnap_analytics.wire import http_limits

    client = client_for(sb, cache=False)
    url = client.upload_image(drawing).url
    answers: list[weakref.ref] = []
    client.session.hooks["response"].append(lambda r, *a, **k: answers.append(weakref.ref(r)))
    for _ in range(30):
        client.search_designs(url, limit=5)
    gc.collect()
    assert len(answers) == 30
    assert [a for a in answers if a() is not None] == [], "finished calls' answers are still alive"
    due = http_limits._ALARMS._due
    assert len(due) <= 2 and not any(w.response is not None for _, _, w in due), len(due)
