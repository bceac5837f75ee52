"""A Sphinx extension that keeps the static book self-contained.

- Jupyter Book 1 loads sphinx-thebe, whose configuration script ends up twice on every page
  (a script error in the browser) and names a CDN. This book has no live-code buttons, so the
  thebe scripts are dropped from every page.
- The widget manager (``embed-amd.js``) defines AMD modules (``@jupyter-widgets/base``,
  ``.../controls``, ``.../html-manager/dist/libembed-amd``...) that each load their icon fonts
  from beside their own URL, which require.js derives from the *page's* folder. A require.js
  configuration, set before require.js loads, maps every one of them into ``_static/`` so the
  fonts load from the book on every page.
- The fixed pages (introduction, methods, discussion, reproduce) hold ``{only}`` blocks for
  the profile's audiences (:data:`lib.datasets.CELL_AUDIENCES`): ``lib.book`` hands their tags
  over in ``COMPENDIUM_AUDIENCES`` and they are set here; built by hand without it, the book
  reads as the demo's. A block for another audience is dropped as the page is read, not when
  it is written (Sphinx's way), so its headings leave no trace and its links to pages this book
  leaves out are never resolved.
- ``static/compendium.css``: code blocks in the prose wrap at the page's edge instead of
  running off it (the browser check fails on one that is wider than the page).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.directives.other import Only

from lib.datasets import AUDIENCES_VARIABLE, KEYWORD_SET, audiences, sphinx_tag

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


def _set_audiences(app: Any) -> None:
    given = os.environ.get(AUDIENCES_VARIABLE)
    tags = given.split(",") if given else [sphinx_tag(a) for a in audiences([KEYWORD_SET])]
    for tag in filter(None, tags):
        app.tags.add(tag)
    # a config value that re-reads every page (not only re-writes it) when the audiences change
    app.add_config_value("compendium_audiences", "", "env")
    app.config.compendium_audiences = ",".join(sorted(tags))


class AudienceOnly(Only):
    """Sphinx's ``only``, decided as the page is read: a block for an audience this book is
    not built for leaves nothing behind."""

    def run(self) -> list[nodes.Node]:
        if not self.env.app.tags.eval_condition(self.arguments[0]):
            return []
        return super().run()


def setup(app: Any) -> dict[str, Any]:
    _set_audiences(app)
    app.add_directive("only", AudienceOnly, override=True)
    app.add_js_file(None, body=WIDGET_ASSETS, priority=100)
    app.connect("builder-inited", _add_static)
    app.add_css_file("compendium.css")
    app.connect("html-page-context", _drop_thebe)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
