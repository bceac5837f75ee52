"""Build the Jupyter Book of a profile from its executed notebooks (compute is done before).

``python -m lib.book --profile demo`` copies ``results/<profile>/notebooks/*.ipynb`` to
``book/executed/`` and runs ``jupyter-book build`` with warnings as errors; the HTML goes to
``results/<profile>/_build/html``. ``--vendor`` copies the offline JavaScript (MathJax,
require.js, the widget manager) from ``book/_vendor/node_modules`` into its static folder.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from lib import paths

NODE_MODULES = paths.BOOK / "_vendor" / "node_modules"
#: What the static HTML needs from each npm package: (source, destination in static/).
VENDOR_FILES = [
    ("mathjax/es5/tex-chtml.js", "mathjax/tex-chtml.js"),
    ("mathjax/es5/input", "mathjax/input"),
    ("mathjax/es5/output", "mathjax/output"),
    ("mathjax/es5/ui", "mathjax/ui"),
    ("mathjax/es5/a11y", "mathjax/a11y"),
    ("requirejs/require.js", "require.js"),
    ("@jupyter-widgets/html-manager/dist", "."),
]


class BookError(RuntimeError):
    pass


def vendor() -> None:
    static = paths.BOOK_VENDOR_STATIC
    if not NODE_MODULES.is_dir():
        raise BookError(f"{paths.relative(NODE_MODULES)} is missing: run `make vendor`")
    shutil.rmtree(static, ignore_errors=True)
    for source, destination in VENDOR_FILES:
        src, dst = NODE_MODULES / source, static / destination
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("*.map", "*.LICENSE.txt", "embed.js",
                                                          "libembed-amd.js"))
        else:
            shutil.copy2(src, dst)
    print(f"offline scripts ready in {paths.relative(static)}")


def stage(profile: str) -> list[Path]:
    """Copy the profile's executed notebooks where ``_toc.yml`` expects them."""
    executed = sorted(paths.executed_notebooks_dir(profile).glob("[0-9][0-9]_*.ipynb"))
    if not executed:
        raise BookError(f"no executed notebooks in "
                        f"{paths.relative(paths.executed_notebooks_dir(profile))}: "
                        f"run `make notebooks PROFILE={profile}` first")
    shutil.rmtree(paths.BOOK_EXECUTED, ignore_errors=True)
    paths.BOOK_EXECUTED.mkdir(parents=True)
    for notebook in executed:
        shutil.copy2(notebook, paths.BOOK_EXECUTED / notebook.name)
    return executed


def build(profile: str) -> Path:
    if not (paths.BOOK_VENDOR_STATIC / "mathjax" / "tex-chtml.js").is_file():
        vendor()
    stage(profile)
    jupyter_book = str(Path(sys.executable).with_name("jupyter-book"))
    command = [jupyter_book, "build", str(paths.ROOT), "--path-output",
               str(paths.results_dir(profile)), "-W", "-n", "--keep-going"]
    if subprocess.run(command, cwd=paths.ROOT).returncode != 0:
        raise BookError("jupyter-book build failed (warnings are errors); see the messages above")
    index = paths.book_html_dir(profile) / "index.html"
    print(f"book ready: open {paths.relative(index)} (or `make serve PROFILE={profile}`)")
    return index


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="demo", help="smoke | demo | paper")
    parser.add_argument("--vendor", action="store_true", help="only copy the offline scripts")
    args = parser.parse_args(argv)
    try:
        vendor() if args.vendor else build(args.profile)
    except BookError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
