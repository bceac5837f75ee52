"""A Sphinx extension that keeps the static book self-contained.

- Jupyter Book 1 loads sphinx-thebe, whose configuration script ends up twice on every page
  (a script error in the browser) and names a CDN. This book has no live-code buttons, so the
  thebe scripts are dropped from every page.
- The widget manager (``embed-amd.js``) defines AMD modules (``@jupyter-widgets/base``,
  ``.../controls``, ``.../html-manager/dist/libembed-amd``...) that each load their icon fonts
  from beside their own URL, which require.js derives from the *page's* folder. A require.js
  configuration, set before require.js loads, maps every one of them into ``_static/`` so the
  fonts load from the book on every page.
- ``static/compendium.css``: code blocks in the prose wrap at the page's edge instead of
  running off it (the browser check fails on one that is wider than the page).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

#: The extension's own static files (its stylesheet).
STATIC = Path(__file__).parent / "static"

WIDGET_ASSETS = ("(function () {"
                 "var assets = new URL(document.documentElement.dataset.content_root + '_static',"
                 " document.baseURI).href;"
                 "window.require = {paths: {'@jupyter-widgets': assets,"
                 " '@jupyter-widgets/html-manager/dist': assets}};"
                 "})();")


def _is_thebe(script: Any) -> bool:
    name = str(getattr(script, "filename", "") or "")
    body = str(getattr(script, "attributes", {}).get("body", ""))
    return "thebe" in name or "THEBE_JS_URL" in body


def _drop_thebe(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    if "script_files" in context:
        context["script_files"] = [s for s in context["script_files"] if not _is_thebe(s)]


def _add_static(app: Any) -> None:
    app.config.html_static_path.append(str(STATIC))


def setup(app: Any) -> dict[str, Any]:
    app.add_js_file(None, body=WIDGET_ASSETS, priority=100)
    app.connect("builder-inited", _add_static)
    app.add_css_file("compendium.css")
    app.connect("html-page-context", _drop_thebe)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
