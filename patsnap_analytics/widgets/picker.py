"""ImagePicker: choose query images by upload, from a folder, or from the sample queries.

The "Folder or file" box reads the disk of the machine the app runs on — in Voilà, a server that colleagues
reach through their browser. So it is off unless one folder is configured for it (``folder=``, or the
``PATSNAP_APP_FOLDER`` variable), and then reads only inside that folder (relative paths start there; ``..``,
absolute paths elsewhere and links out of it are refused). A Windows path (``C:\\...``) is a file on the user's
own computer, which the server cannot see: the message says to upload it instead.

Every image is validated with :class:`~patsnap_analytics.images.ImageRef` the moment it is picked (JPG/PNG by magic
bytes, at most 4096 KB, decodes), so a bad file is rejected here with a visible reason and never costs an upload
call. Two things keep the notebook file small and free of the analyst's files: the upload widget is emptied as
soon as its files are read, and previews are ~96 px PNG thumbnails, never the original bytes (made by
:func:`~patsnap_analytics.thumbnails.thumbnail_png`, which keeps the thin lines of drawing sheets visible).

Example:
    >>> import io
    >>> from PIL import Image
    >>> buf = io.BytesIO(); Image.new("1", (300, 200), 1).save(buf, "PNG")
    >>> picker = ImagePicker(samples=None)
    >>> picker.add(buf.getvalue(), name="sketch.png").name, len(picker.images)
    ('sketch.png', 1)
    >>> picker.add(b"GIF89a....", name="anim.gif") is None, picker.rejected[-1][0]
    (True, 'anim.gif')
"""

from __future__ import annotations

import dataclasses
import html
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import ipywidgets as w

from ..errors import InvalidImageError
from ..images import IMAGE_SUFFIXES, MAX_IMAGE_BYTES, ImageRef, image_files, sample_queries_dir, too_large
from ..settings import Settings
from ..thumbnails import PREVIEW_PX, thumbnail_png
from .upload import ImageUpload

__all__ = ["THUMB_PX", "ImagePicker", "server_path"]

#: Longest side of a preview thumbnail, in pixels; the gallery's boxes are laid out to it.
THUMB_PX = PREVIEW_PX
_WINDOWS_PATH = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\)")  # C:\ or C:/ or \\server\share


def server_path(text: str, root: Path | None) -> tuple[Path | None, str | None]:
    """``(path, None)`` when ``text`` names something inside ``root`` on this machine, else ``(None, why not)``:
    no folder configured, a Windows path (a file on the user's computer), or a path leading out of ``root``.

    Example:
        >>> server_path("chairs/a.png", None)[1][:62]
        'reading files on the server is off: upload your images instead'
        >>> server_path("chairs/a.png", Path("/srv/drawings"))[0]
        PosixPath('/srv/drawings/chairs/a.png')
        >>> server_path("C:/Users/me/chair.png", Path("/srv/drawings"))[1][:56]
        'C:/Users/me/chair.png is a path on your own computer; th'
        >>> server_path("/etc/passwd", Path("/srv/drawings"))[1]
        "only files inside the app's folder can be read; '/etc/passwd' is outside it"
    """
    if _WINDOWS_PATH.match(text) and os.name != "nt":
        return None, (f"{text} is a path on your own computer; this app runs on a server and cannot read it: use "
                      "Upload images to send the file")
    if root is None:
        return None, ("reading files on the server is off: upload your images instead (whoever runs the app can "
                      "allow one folder with PATSNAP_APP_FOLDER)")
    base = root.expanduser().resolve()
    target = (base / Path(text).expanduser()).resolve()  # an absolute path replaces base; links are followed
    if not target.is_relative_to(base):
        return None, f"only files inside the app's folder can be read; {text!r} is outside it"
    return target, None


class ImagePicker(w.VBox):
    """Pick query images: upload (JPG/PNG, several at once), a folder or file path, or the sample queries.

    * ``images`` — the accepted images as :class:`ImageRef` (name, bytes, sha256), in the order picked, without
      duplicates (the same bytes picked twice count once).
    * ``rejected`` — ``(name, reason)`` of every refused file; the latest reasons are shown under the picker.
    * :meth:`on_change` — call back with the picker whenever ``images`` changes.
    * ``samples`` — ``True`` (default) finds the sample folder with :func:`sample_queries_dir`; a path uses that
      folder; ``None`` offers no samples.
    * ``folder`` — the one folder of this machine the "Folder or file" box may read (relative paths start
      there); ``None`` (default) takes ``PATSNAP_APP_FOLDER``, and without it the box is off (``False``: off).

    Example:
        >>> picker = ImagePicker(samples=None)
        >>> picker.upload.accept, picker.upload.multiple, picker.sample_menu.disabled
        ('.jpg,.jpeg,.png', True, True)
    """

    def __init__(self, samples: str | os.PathLike | bool | None = True, *,
                 folder: str | os.PathLike | bool | None = None, **kwargs: Any) -> None:
        self._images: list[ImageRef] = []
        self._thumbs: dict[str, w.Widget] = {}
        self.rejected: list[tuple[str, str]] = []
        self._callbacks: list[Callable[[ImagePicker], None]] = []
        self.samples = sample_queries_dir() if samples is True else (Path(samples) if samples else None)
        if folder is None:
            folder = Settings.from_env().app_folder
        self.root: Path | None = Path(folder).expanduser() if folder not in (None, False, True, "") else None

        # files over the API's limit are refused in the browser, before they are sent (widgets/upload.py)
        self.upload = ImageUpload(accept=",".join(IMAGE_SUFFIXES), multiple=True, description="Upload images",
                                  max_bytes=MAX_IMAGE_BYTES, tooltip="JPG or PNG, at most 4096 KB each")
        self.upload.on_files(self._uploaded)
        self.folder = w.Text(description="Folder or file", style={"description_width": "100px"},
                             placeholder=f"a file or folder in {self.root}" if self.root else "off on this server",
                             disabled=self.root is None, layout=w.Layout(width="380px"))
        self.folder_button = w.Button(description="Add from path", icon="folder-open", disabled=self.root is None,
                                      tooltip=f"reads only inside {self.root}" if self.root else
                                      "reading the server's files is off: upload images instead",
                                      layout=w.Layout(width="140px"))
        self.folder_button.on_click(lambda _: self.add_path(self.folder.value))
        sample_files = image_files(self.samples) if self.samples else []
        if sample_files:
            options = [("all sample images", "*"), *((p.name, p.name) for p in sample_files)]
            self.sample_menu = w.Dropdown(description="Samples", options=options, value="*",
                                          style={"description_width": "100px"}, layout=w.Layout(width="380px"))
        else:
            self.sample_menu = w.Dropdown(description="Samples", options=[("no sample images found", "")],
                                          disabled=True, style={"description_width": "100px"},
                                          layout=w.Layout(width="380px"))
        self.sample_button = w.Button(description="Add sample", icon="image", disabled=not sample_files,
                                      layout=w.Layout(width="140px"))
        self.sample_button.on_click(lambda _: self.add_sample(self.sample_menu.value))
        self.sample_menu.add_class("pa-sample-menu")  # names a browser test (and a stylesheet) can find
        self.sample_button.add_class("pa-add-sample")
        self.clear_button = w.Button(description="Clear images", icon="trash", layout=w.Layout(width="140px"))
        self.clear_button.on_click(lambda _: self.clear())
        self.message = w.HTML()
        self.summary = w.HTML("<i>No image picked yet.</i>")
        self.gallery = w.HBox(layout=w.Layout(flex_flow="row wrap"))
        kwargs.setdefault("layout", w.Layout(padding="4px"))
        super().__init__([
            w.HBox([self.upload, self.clear_button]),
            w.HBox([self.folder, self.folder_button]),
            w.HBox([self.sample_menu, self.sample_button]),
            self.message, self.summary, self.gallery,
        ], **kwargs)
        self.add_class("pa-image-picker")

    # ------------------------------------------------------------------ public API
    @property
    def images(self) -> list[ImageRef]:
        """The accepted images, in the order picked."""
        return list(self._images)

    def on_change(self, callback: Callable[[ImagePicker], None], remove: bool = False) -> None:
        """Call ``callback(picker)`` whenever an image is added or removed."""
        if remove:
            self._callbacks.remove(callback)
        else:
            self._callbacks.append(callback)

    def add(self, source: Any, name: str | None = None) -> ImageRef | None:
        """Validate and add one image (path, bytes or :class:`ImageRef`); ``None`` (and a message) if refused.

        Example:
            >>> ImagePicker(samples=None).add("/no/such.png") is None
            True
        """
        added = self._add_many([(source, name)])
        return added[0] if added else None

    def add_path(self, path: str | os.PathLike) -> list[ImageRef]:
        """Add an image file, or every JPG/PNG directly inside a folder, of the app's folder (``folder=``); returns
        the images accepted. Anything else is refused with a message (:func:`server_path`)."""
        text = str(path).strip()
        if not text:
            self._show([("path", "type a folder or file path first")])
            return []
        target, problem = server_path(text, self.root)
        if target is None:
            self._show([("path", problem or "")])
            return []
        if target.is_dir():  # a link in the folder to a file outside it is outside it too
            files = [p for p in image_files(target) if server_path(str(p), self.root)[0] is not None]
            if not files:
                self._show([(target.name or text, "no .jpg, .jpeg or .png files in this folder")])
                return []
            return self._add_many([(p, None) for p in files])
        return self._add_many([(target, None)])

    def add_sample(self, name: str = "*") -> list[ImageRef]:
        """Add one sample query image by file name, or all of them with ``"*"``."""
        if not self.samples:
            self._show([("samples", "no sample images found")])
            return []
        files = image_files(self.samples) if name == "*" else [self.samples / name]
        return self._add_many([(p, None) for p in files])

    def remove(self, sha256: str) -> None:
        """Forget the image with this sha256."""
        self._images = [ref for ref in self._images if ref.sha256 != sha256]
        self._thumbs.pop(sha256, None)
        self._redraw()

    def clear(self) -> None:
        """Forget every picked image and message."""
        self._images.clear()
        self._thumbs.clear()
        self.rejected.clear()
        self.message.value = ""
        self._redraw()

    # ------------------------------------------------------------------ internals
    def _uploaded(self, files: list[tuple[str, bytes]], refused: list[tuple[str, int]]) -> None:
        """Files from the browser (never kept in the widget's state), or those it refused for their size: the
        same message as an over-large file picked any other way."""
        self._add_many([(data, name) for name, data in files], [(name, too_large(size)) for name, size in refused])

    def _add_many(self, items: Iterable[tuple[Any, str | None]],
                  refused: Iterable[tuple[str, str]] = ()) -> list[ImageRef]:
        added, problems = [], list(refused)
        known = {ref.sha256 for ref in self._images}
        for source, name in items:
            label = name or (Path(source).name if isinstance(source, (str, os.PathLike)) else "image")
            try:
                ref = ImageRef.from_any(source)
                if name and ref.name != name:
                    ref = dataclasses.replace(ref, name=name)
            except InvalidImageError as exc:
                problems.append((label, exc.rule))
                continue
            except (TypeError, OSError) as exc:
                problems.append((label, f"cannot read it ({type(exc).__name__})"))
                continue
            if ref.sha256 in known:
                continue  # the same bytes twice would be searched once anyway
            known.add(ref.sha256)
            self._images.append(ref)
            self._thumbs[ref.sha256] = self._thumb_widget(ref)
            added.append(ref)
        self._show(problems)
        if added:
            self._redraw()
        return added

    def _thumb_widget(self, ref: ImageRef) -> w.Widget:
        image = w.Image(value=thumbnail_png(ref, THUMB_PX), format="png",
                        layout=w.Layout(max_width=f"{THUMB_PX}px"))
        remove = w.Button(description="remove", tooltip=f"remove {ref.name}", layout=w.Layout(width=f"{THUMB_PX}px"))
        remove.on_click(lambda _, sha=ref.sha256: self.remove(sha))
        caption = w.HTML(f'<div style="width:{THUMB_PX}px;overflow:hidden;text-overflow:ellipsis;'
                         f'white-space:nowrap;font-size:11px" title="{html.escape(ref.name)}">'
                         f"{html.escape(ref.name)}</div>")
        box = w.VBox([image, caption, remove], layout=w.Layout(margin="2px 6px 2px 0"))
        box.add_class("pa-thumbnail")
        return box

    def _show(self, problems: list[tuple[str, str]]) -> None:
        self.rejected.extend(problems)
        self.message.value = "".join(
            f'<div class="pa-picker-error" style="color:#b00020">⚠ {html.escape(name)}: {html.escape(reason)}</div>'
            for name, reason in problems)

    def _redraw(self) -> None:
        self.gallery.children = [self._thumbs[ref.sha256] for ref in self._images]
        n = len(self._images)
        self.summary.value = "<i>No image picked yet.</i>" if not n else (
            f"<b>{n} image{'s' if n != 1 else ''}</b> picked")
        for callback in list(self._callbacks):
            callback(self)
