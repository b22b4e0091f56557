"""The `arusha` command. Each command parses its arguments, calls the core and renders."""

from __future__ import annotations

import logging
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from arusha.cli import render
from arusha.errors import ArushaError

HELP = """Arusha — integrity analytics for Customs administrations.

Named after the WCO's Revised Arusha Declaration on integrity in Customs. The usual workflow:

  1. arusha simulate world --declarations 200000 --seed 7   (or bring your own export)
  2. arusha analyze world --out out                         (validate, load and run every
                                                              detector: out/alerts.csv,
                                                              out/report.html, out/rejects.csv)
  3. arusha explain A-1234abcd5678 --out out                (one alert in words and figures)
  4. arusha evaluate out/alerts.parquet world.truth.csv     (simulated worlds: what was found)

Also: `arusha ingest` and `arusha profile` (load and look at the data only), `arusha detectors`
(what each detector looks for, and its parameters). Each command has --help with examples.
Input format: docs/data-contract.md. An alert is a reason to look, never a finding of guilt.
"""

app = typer.Typer(
    help=HELP,
    no_args_is_help=True,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
    add_completion=False,
)


class Format(StrEnum):
    csv = "csv"
    parquet = "parquet"


@app.command(
    epilog="Examples:\n\n"
    "  arusha ingest export/ --db work.duckdb\n\n"
    "  arusha ingest export/ --db work.duckdb --rejects checks/rejects.csv"
)
def ingest(
    data_dir: Annotated[
        Path, typer.Argument(help="Folder with one CSV or Parquet file per contract table.")
    ],
    db: Annotated[Path, typer.Option("--db", help="The DuckDB working database to (re)build.")],
    rejects: Annotated[
        Path | None,
        typer.Option(help="Where to write the rejected rows [default: next to --db]."),
    ] = None,
) -> None:
    """Validate a contract folder and load it into a DuckDB working database.

    Every row is either loaded or written to the rejects file with its table, row, column,
    value and reason. The database is replaced only when the load succeeds: a failed or
    interrupted run leaves the previous one intact. Exits 1 when a required table is missing
    or refused.
    """
    from arusha.contract import ingest as run_ingest

    with render.progress_bars() as bars:
        report = run_ingest(data_dir, db, rejects, progress=bars.table)
    render.ingest_report(report)
    if not report.ok:
        render.error(
            "ingest refused: the previous database, if any, is unchanged",
            hint="fix the file(s) named above and run the same command again",
        )
        raise typer.Exit(1)
    rejected = sum(t.rejected for t in report.tables)
    render.out.print(
        f"Loaded into [bold]{report.db_path}[/]; "
        + (
            f"[yellow]{rejected:,} rejected row(s)[/] in {report.rejects_path}"
            if rejected
            else "no row rejected."
        )
    )


@app.command(
    epilog="Examples:\n\n"
    "  arusha simulate world --declarations 200000 --seed 7\n\n"
    "  arusha simulate world --declarations 1000000 --seed 11 --format parquet"
)
def simulate(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the contract tables into.")],
    declarations: Annotated[
        int, typer.Option(min=1000, help="How many declarations to generate.")
    ] = 200_000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 7,
    format: Annotated[Format, typer.Option("--format", help="File format.")] = Format.csv,
    truth: Annotated[
        Path | None,
        typer.Option(help="Where to write the planted facts [default: OUT_DIR.truth.csv]."),
    ] = None,
) -> None:
    """Write a synthetic Customs administration with planted corruption schemes.

    The data follows the contract and looks like real clearance data (offices, rosters,
    brokers, HS codes, release times). The ground truth (which officers, brokers, traders and
    rules are involved in which scheme, and which honest look-alikes were planted) goes to a
    separate file outside the data folder, so the data can be handed to the analysis blind.
    """
    from arusha.simulate import simulate as run_simulate

    with render.progress_bars() as bars:
        result = run_simulate(
            out_dir,
            declarations=declarations,
            seed=seed,
            fmt=format.value,
            truth_path=truth,
            progress=lambda done, total: bars.update("declarations", "", done, total),
        )
    rows = ", ".join(f"{name} {count:,}" for name, count in result.rows.items())
    render.out.print(f"Wrote [bold]{result.out_dir}[/] ({rows})")
    render.out.print(f"Ground truth: {result.truth_path}")


@app.command(epilog="Example:\n\n  arusha profile --db work.duckdb --out out/profile.html")
def profile(
    db: Annotated[Path, typer.Option("--db", help="A working database made by `arusha ingest`.")],
    out: Annotated[Path, typer.Option(help="The HTML page to write.")] = Path("out/profile.html"),
) -> None:
    """Write a data profile: what was loaded and rejected, volumes, channels, release times."""
    from arusha.profile import build_profile

    if not db.is_file():
        raise ArushaError(f"{db}: no such working database", hint="run `arusha ingest` first")
    path = build_profile(db, out)
    render.out.print(f"Profile written to [bold]{path}[/]")


@app.command(
    epilog="Examples:\n\n"
    "  arusha analyze export/ --out out\n\n"
    "  arusha analyze export/ --out out --config arusha.toml"
)
def analyze(
    data_dir: Annotated[
        Path, typer.Argument(help="Folder with one CSV or Parquet file per contract table.")
    ],
    out: Annotated[Path, typer.Option(help="Folder for alerts, report and rejects.")],
    config: Annotated[
        Path | None, typer.Option(help="Detector parameters (arusha.toml); defaults otherwise.")
    ] = None,
) -> None:
    """Ingest a contract folder and run every detector on it.

    Writes OUT/alerts.csv and OUT/alerts.parquet (one row per alert, with its evidence),
    OUT/indicators.parquet (rates per officer, office, declarant, trader and month),
    OUT/report.html (a self-contained page to read and share offline) and OUT/rejects.csv.
    Detectors that need an optional table the input lacks are skipped, and the report says so.
    """
    from arusha.pipeline import run_analysis

    with render.progress_bars() as bars:
        output = run_analysis(data_dir, out, config, bars.table, bars.detector)
    render.ingest_report(output.ingest)
    if output.analysis is None:
        render.error(
            "ingest refused, nothing analysed",
            hint="fix the file(s) named above and run the same command again",
        )
        raise typer.Exit(1)
    render.analysis_summary(output.analysis)
    render.out.print(f"Alerts: [bold]{output.alerts_csv}[/]  Report: [bold]{output.report}[/]")


@app.command(epilog="Examples:\n\n  arusha detectors\n\n  arusha detectors risk.override")
def detectors(
    detector_id: Annotated[
        str | None, typer.Argument(help="Show one detector in full.", metavar="ID")
    ] = None,
) -> None:
    """List the detectors: what each looks for, why, and its parameters."""
    from arusha.detectors.catalogue import CATALOGUE, by_id

    if detector_id is None:
        render.catalogue(CATALOGUE)
        return
    detector = by_id(detector_id)
    if detector is None:
        import difflib

        close = difflib.get_close_matches(detector_id, [d.id for d in CATALOGUE], n=1)
        raise ArushaError(
            f"no detector {detector_id!r}" + (f"; did you mean {close[0]!r}?" if close else ""),
            hint="`arusha detectors` lists them",
        )
    render.detector(detector)


@app.command(epilog="Example:\n\n  arusha explain A-3f9c2b7d1e04 --out out")
def explain(
    alert_id: Annotated[str, typer.Argument(help="The alert's id (or its first 6+ characters).")],
    out: Annotated[Path, typer.Option(help="The folder `arusha analyze` wrote to.")],
) -> None:
    """One alert in words and figures: what was compared with what, the test, and the
    innocent explanations a reviewer should check before anything else."""
    from arusha.detectors.catalogue import by_id
    from arusha.explain import explain as explain_alert
    from arusha.explain import find_alert

    row = find_alert(out, alert_id)
    render.out.print(explain_alert(row, by_id(row["detector"])), highlight=False, soft_wrap=True)


@app.command(epilog="Example:\n\n  arusha evaluate out/alerts.parquet world.truth.csv")
def evaluate(
    alerts: Annotated[Path, typer.Argument(help="alerts.parquet or alerts.csv (or their folder).")],
    truth: Annotated[Path, typer.Argument(help="The truth file `arusha simulate` wrote.")],
) -> None:
    """Score alerts against a simulated world's ground truth: recall per planted scheme,
    precision of the alerts, and innocent officers flagged (planted confounders among them)."""
    from arusha.evaluate import evaluate as run_evaluate
    from arusha.evaluate import headline, read_truth
    from arusha.explain import read_alerts

    evaluation = run_evaluate(read_alerts(alerts), read_truth(truth))
    render.out.print(headline(evaluation), highlight=False)
    for table in evaluation.tables():
        render.text_table(table)


def main() -> None:
    """Entry point: user errors become one line and a hint; set ARUSHA_DEBUG=1 for tracebacks."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()  # standalone: Typer itself reports usage errors and exits
    except ArushaError as err:
        render.error(str(err), err.hint)
        sys.exit(2)
    except Exception as err:  # a bug: one line for the user, the traceback on request
        if os.environ.get("ARUSHA_DEBUG"):
            raise
        render.error(
            f"unexpected {type(err).__name__}: {err}",
            hint="this is a bug in Arusha; rerun with ARUSHA_DEBUG=1 and report the traceback",
        )
        sys.exit(1)
