"""A Sphinx extension that keeps the static book self-contained.

- Jupyter Book 1 loads sphinx-thebe, whose configuration script ends up twice on every page
  (a script error in the browser) and names a CDN. This book has no live-code buttons, so the
  thebe scripts are dropped from every page.
- The widget manager (``embed-amd.js``) is an AMD module that loads its icon fonts from
  beside its own URL, which require.js derives from the *page's* folder. A require.js
  configuration, set before require.js loads, maps the module to ``_static/`` so the fonts
  load from the book on every page.
"""
from __future__ import annotations

from typing import Any

WIDGET_ASSETS = ("var require = {paths: {'@jupyter-widgets/html-manager/dist': new URL("
                 "document.documentElement.dataset.content_root + '_static', "
                 "document.baseURI).href}};")


def _is_thebe(script: Any) -> bool:
    name = str(getattr(script, "filename", "") or "")
    body = str(getattr(script, "attributes", {}).get("body", ""))
    return "thebe" in name or "THEBE_JS_URL" in body


def _drop_thebe(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    if "script_files" in context:
        context["script_files"] = [s for s in context["script_files"] if not _is_thebe(s)]


def setup(app: Any) -> dict[str, Any]:
    app.add_js_file(None, body=WIDGET_ASSETS, priority=100)
    app.connect("html-page-context", _drop_thebe)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
