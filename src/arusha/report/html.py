"""The Jinja2 environment every Arusha HTML output is rendered with.

Templates come from the `templates/` folder of `arusha.report` (the base layout and macros) and
of any package a caller names (its own pages). Autoescaping is always on: every value shown
comes, in the end, from files an administration handed over.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined

from arusha import __version__
from arusha.report.charts import EMBED_OPTIONS, vega_javascript
from arusha.report.formatting import FORMATS, counted, fmt


@functools.cache
def environment(*packages: str) -> Environment:
    """An environment loading templates from `packages` first, then from `arusha.report`."""
    loader = ChoiceLoader([PackageLoader(p, "templates") for p in (*packages, "arusha.report")])
    env = Environment(
        loader=loader,
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update({f"fmt_{kind}": f for kind, f in FORMATS.items()})
    env.globals.update(
        fmt=fmt,
        counted=counted,
        vega_javascript=vega_javascript,
        embed_options=EMBED_OPTIONS,
        arusha_version=__version__,
    )
    return env


def render(template: str, *, packages: tuple[str, ...] = (), **context: Any) -> str:
    """Render `template`; `generated_at` defaults to now, `with_charts` to True."""
    context.setdefault("generated_at", dt.datetime.now().strftime("%Y-%m-%d %H:%M"))
    context.setdefault("with_charts", True)
    return environment(*packages).get_template(template).render(**context)


def write_page(
    path: Path, template: str, *, packages: tuple[str, ...] = (), **context: Any
) -> Path:
    """Render `template` to `path` (parent folders created) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(template, packages=packages, **context), encoding="utf-8")
    return path
