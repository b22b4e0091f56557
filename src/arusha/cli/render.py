"""Rich rendering of core results. The core returns data; this module draws it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from arusha.contract import IngestReport

console = Console(stderr=True)
out = Console()


@contextmanager
def table_progress(tables: list[str]) -> Iterator:
    """A progress bar per table; yields the callback the ingester calls."""
    progress = Progress(
        TextColumn("[bold]{task.fields[table]:<18}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("[dim]{task.fields[stage]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    tasks: dict[str, TaskID] = {}

    def update(table: str, stage: str, fraction: float) -> None:
        if table not in tasks:
            tasks[table] = progress.add_task(table, total=1.0, table=table, stage=stage)
        progress.update(tasks[table], completed=fraction, stage=stage)

    with progress:
        yield update


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
