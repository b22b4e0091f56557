"""Quoting for the SQL the contract layer generates. Values from files never reach SQL text
unquoted; identifiers come from the contract itself but are quoted all the same."""

from __future__ import annotations


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
