"""Rich rendering of core results. The core returns data; this module draws it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from arusha.contract import IngestReport
from arusha.engine.pages import read_page

console = Console(stderr=True)
out = Console()


@dataclass
class Bars:
    """One progress display: a bar per table while ingesting, one for the detectors, ..."""

    progress: Progress
    tasks: dict[str, TaskID] = field(default_factory=dict)

    def table(self, table: str, stage: str, fraction: float) -> None:
        self.update(table, stage, fraction, 1.0)

    def detector(self, name: str, done: int, total: int) -> None:
        self.update("detectors", name, done, total)

    def update(self, key: str, note: str, completed: float, total: float) -> None:
        if key not in self.tasks:
            self.tasks[key] = self.progress.add_task(key, total=total, label=key, note=note)
        self.progress.update(self.tasks[key], completed=completed, total=total, note=note)


@contextmanager
def progress_bars() -> Iterator[Bars]:
    progress = Progress(
        TextColumn("[bold]{task.fields[label]:<18}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("[dim]{task.fields[note]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,  # no bars in logs and pipes
    )
    with progress:
        yield Bars(progress)


def ingest_report(report: IngestReport) -> None:
    table = Table(title="Ingest", title_justify="left")
    for name, justify in (
        ("table", "left"),
        ("file", "left"),
        ("read", "right"),
        ("loaded", "right"),
        ("rejected", "right"),
        ("status", "left"),
    ):
        table.add_column(name, justify=justify)
    for t in report.tables:
        style = {"refused": "red", "absent": "red" if t.required else "dim"}.get(t.status, "")
        status = t.status if t.status != "absent" or t.required else "absent (optional)"
        rejected = f"[yellow]{t.rejected:,}[/]" if t.rejected else "0"
        table.add_row(
            t.table,
            t.file or "—",
            f"{t.read:,}",
            f"{t.loaded:,}",
            rejected,
            f"[{style}]{status}[/]" if style else status,
        )
    out.print(table)
    for t in report.tables:
        if t.extra_columns:
            out.print(f"[dim]{t.file}: ignored unknown column(s): {', '.join(t.extra_columns)}")
    if report.unknown_files:
        out.print(f"[dim]Not part of the contract, not read: {', '.join(report.unknown_files)}")
    for problem in report.problems:
        out.print(f"[red]✗ {problem}")


def error(message: str, hint: str = "") -> None:
    console.print(f"[bold red]Error:[/] {message}", highlight=False)
    if hint:
        console.print(f"[dim]Hint: {hint}[/]", highlight=False)


def analysis_summary(analysis) -> None:
    table = Table(title="Detectors", title_justify="left")
    for name, justify in (("detector", "left"), ("examined", "right"), ("tests", "right"),
                          ("alerts", "right"), ("note", "left")):  # fmt: skip
        table.add_column(name, justify=justify)
    for run in analysis.runs:
        note = f"[dim]skipped: {run.skipped}[/]" if run.skipped else f"{run.seconds:.1f} s"
        alerts = f"[bold yellow]{len(run.alerts)}[/]" if run.alerts else "0"
        tests = f"{run.tested:,}" if run.tested else "[dim]rule[/]"
        table.add_row(run.detector.id, f"{run.findings:,}", tests, alerts, note)
    out.print(table)


def catalogue(detectors) -> None:
    table = Table(title="Detectors", title_justify="left", show_lines=True)
    table.add_column("id", style="bold", no_wrap=True)
    table.add_column("what it looks for")
    table.add_column("needs")
    for d in detectors:
        page = read_page(d.id)
        first_sentence = page.first_sentence() if page else d.description().split(". ")[0]
        table.add_row(d.id, f"[bold]{d.title}[/]\n{escape(first_sentence)}", ", ".join(d.needs))
    out.print(table)
    out.print("[dim]`arusha detectors ID` shows one detector in full: what it controls for, its "
              "parameters, the innocent explanations to check, an example.")  # fmt: skip


def detector(d) -> None:
    """The detector's documentation page (docs/detectors/<id>.md), then the parameters as the
    code defines them, which the tests keep equal to the page's table."""
    page = read_page(d.id)
    if page:
        out.print(Markdown(page.text))
        out.print()
    else:
        out.print(f"[bold]{d.id}[/] — {d.title}\n")
        out.print(d.description() + "\n")
        out.print(f"[bold]Reference:[/] {d.reference}")
    out.print(f"[bold]Needs:[/] {', '.join(d.needs)}\n")
    table = Table(title="Parameters (set them in arusha.toml)", title_justify="left")
    for name in ("parameter", "default", "meaning"):
        table.add_column(name)
    for name, spec in d.Params.model_fields.items():
        default = spec.default_factory() if spec.default_factory else spec.default
        table.add_row(name, repr(default), spec.description or "")
    out.print(table)
    section = escape(f'[detectors."{d.id}"]')
    out.print(f"[dim]In arusha.toml: {section}, then one line per parameter: name = value")


def text_table(text_table) -> None:
    """Draw a core `TextTable` (title, columns, rows of text, numeric column indexes)."""
    table = Table(title=text_table.title, title_justify="left")
    for index, column in enumerate(text_table.columns):
        table.add_column(column, justify="right" if index in text_table.numeric else "left")
    for row in text_table.rows:
        table.add_row(*(escape(cell) for cell in row))
    out.print(table)
