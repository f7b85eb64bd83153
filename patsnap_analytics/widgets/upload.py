"""ImageUpload: a file upload that refuses a file over the API's limit in the browser, before it is sent.

ipywidgets' ``FileUpload`` reads every chosen file in the browser and sends them all in one websocket message,
whatever their size: a file over Tornado's 10 MB message limit closes the connection, and the app stops
answering for the rest of the session ("Connection lost" in the console, nothing on the page). ipywidgets has
no size option (jupyter-widgets/ipywidgets#2522 documents only raising the server's limit). This widget
(anywidget: a few lines of the browser's own JavaScript, no build step, the same in JupyterLab and Voilà) looks
at each file's size first: a file over ``max_bytes`` is never read, only its name and size are sent, and Python
words the refusal exactly as it refuses an over-large image anywhere else (:func:`~patsnap_analytics.images.
too_large`); each accepted file travels in a message of its own, so several files together cannot pass the
limit either. The bytes never enter the widget's state (a saved notebook does not keep them).

Example:
    >>> upload = ImageUpload(max_bytes=10)
    >>> got = []
    >>> upload.on_files(lambda files, refused: got.append((files, refused)))
    >>> upload.receive({"kind": "file", "name": "a.png"}, [memoryview(b"png")])
    >>> upload.receive({"kind": "done", "refused": [{"name": "big.png", "size": 11}]}, [])
    >>> got
    [([('a.png', b'png')], [('big.png', 11)])]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import anywidget
import traitlets

__all__ = ["ImageUpload"]

#: The browser side: a button-styled label around a hidden file input; sizes checked before anything is read.
_ESM = """
function render({ model, el }) {
  const label = document.createElement("label");
  label.className = "jupyter-button widget-button pa-upload-button";
  label.style.cssText = "display:inline-flex;align-items:center;gap:6px;cursor:pointer;width:auto;padding:0 12px";
  label.title = model.get("tooltip");
  const input = document.createElement("input");
  input.type = "file";
  input.style.display = "none";
  const text = document.createElement("span");
  const sync = () => {
    input.accept = model.get("accept");
    input.multiple = model.get("multiple");
    input.disabled = model.get("disabled");
    text.textContent = "\\u2b06 " + model.get("description");
  };
  sync();
  model.on("change", sync);
  input.addEventListener("change", async () => {
    const files = [...input.files];
    input.value = "";  // the same file chosen again is a new choice
    const max = model.get("max_bytes");
    for (const file of files.filter((f) => f.size <= max)) {
      const data = await file.arrayBuffer();  // one message per file: never several files in one message
      model.send({ kind: "file", name: file.name }, undefined, [data]);
    }
    const refused = files.filter((f) => f.size > max).map((f) => ({ name: f.name, size: f.size }));
    model.send({ kind: "done", refused });  // the choice is complete: Python takes the files as one batch
  });
  label.append(input, text);
  el.classList.add("pa-upload");
  el.append(label);
}
export default { render };
"""

#: ``callback(files, refused)``: ``[(name, bytes)]`` received and ``[(name, size)]`` refused in the browser.
Callback = Callable[[list[tuple[str, bytes]], list[tuple[str, int]]], None]


class ImageUpload(anywidget.AnyWidget):
    """Choose files in the browser; those over ``max_bytes`` are refused there (never read, never sent).

    ``on_files(callback)`` is called once per choice of files with ``(files, refused)``: ``files`` is
    ``[(name, bytes)]``, ``refused`` is ``[(name, size in bytes)]``. The browser sends each file in a message of
    its own, then ``done`` with the refused ones; :meth:`receive` handles one message (tests call it).
    """

    _esm = _ESM
    accept = traitlets.Unicode("").tag(sync=True)
    multiple = traitlets.Bool(True).tag(sync=True)
    description = traitlets.Unicode("Upload").tag(sync=True)
    tooltip = traitlets.Unicode("").tag(sync=True)
    disabled = traitlets.Bool(False).tag(sync=True)
    max_bytes = traitlets.Int(0).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._callbacks: list[Callback] = []
        self._pending: list[tuple[str, bytes]] = []
        self.on_msg(lambda _widget, content, buffers: self.receive(content, buffers))

    def on_files(self, callback: Callback) -> None:
        """Call ``callback(files, refused)`` whenever the browser sends files or refuses some."""
        self._callbacks.append(callback)

    def receive(self, content: dict[str, Any], buffers: Sequence[Any]) -> None:
        """Handle one message of the browser: one file (its bytes in ``buffers``), or ``done`` with the files it
        refused, which hands the whole choice to the callbacks."""
        if content.get("kind") == "file" and buffers:
            self._pending.append((str(content.get("name") or "upload"), bytes(buffers[0])))
            return
        if content.get("kind") != "done":
            return
        files, self._pending = self._pending, []
        refused = [(str(f.get("name") or "upload"), int(f.get("size") or 0)) for f in content.get("refused") or []]
        for callback in list(self._callbacks):
            callback(files, refused)
