"""The input/output contract: table specifications and validated ingestion into DuckDB."""

from arusha.contract.ingest import IngestError, IngestReport, TableOutcome, ingest, load_folder
from arusha.contract.schema import TABLES, TABLES_BY_NAME

__all__ = [
    "TABLES",
    "TABLES_BY_NAME",
    "IngestError",
    "IngestReport",
    "TableOutcome",
    "ingest",
    "load_folder",
]
