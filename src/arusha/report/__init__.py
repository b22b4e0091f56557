"""A small toolkit for Arusha's HTML outputs: one layout, offline charts, escaped data.

    from arusha.report import Col, figure, write_page

    chart = alt.Chart(df).mark_bar().encode(x="n:Q", y="office_code:N")
    write_page(out, "mypage.html.j2", packages=("arusha.mymodule",),
               title="…", chart=figure(chart, "Declarations per office."))

`mypage.html.j2` lives in `arusha/mymodule/templates/`, extends `base.html.j2` and fills its
`content` block; `macros.html.j2` has `table(rows, columns)` and `note(text)`.
"""

from arusha.report.charts import CHANNEL_COLORS, channel_scale, figure, vega_javascript
from arusha.report.formatting import fmt
from arusha.report.html import environment, render, write_page
from arusha.report.tables import Col

__all__ = [
    "CHANNEL_COLORS",
    "Col",
    "channel_scale",
    "environment",
    "figure",
    "fmt",
    "render",
    "vega_javascript",
    "write_page",
]
