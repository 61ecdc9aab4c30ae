"""``stats settings``: memory and vector settings against what this server should have.

The verdicts are the memory rules of :mod:`apexdb.ops.settings` (the same ``audit config``
reports as findings); RAM is ``--ram`` when given, else the server host's
(:mod:`apexdb.ops.host`). The vector search settings are shown for reference.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from apexdb.db.connection import read_only
from apexdb.ops.host import host_ram
from apexdb.ops.settings import RULES, memory_facts, read_settings
from apexdb.units import parse_size

VECTOR_SETTINGS = {
    "hnsw.ef_search": "HNSW candidate list (1..1000): an HNSW scan returns at most this many rows; raise it "
                      "per query for recall or a LIMIT above it",
    "hnsw.iterative_scan": "relaxed_order or strict_order keeps scanning when a WHERE filter removes rows "
                           "(pgvector 0.8+)",
    "ivfflat.probes": "lists searched per query: sqrt(lists) is a start; probes = lists makes the planner "
                      "skip the index",
}


@dataclass
class SettingsReport:
    ram_bytes: int | None
    ram_source: str  # "--ram", "os" (this machine), "server" (the server's /proc) or "unknown"
    rows: list[dict[str, Any]]  # name, value, bytes, recommended, status, note
    largest_vector_index: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"ram_bytes": self.ram_bytes, "ram_source": self.ram_source, "settings": self.rows,
                "largest_vector_index": self.largest_vector_index}


def settings_report(conn, ram: str | None = None) -> SettingsReport:
    """Every memory rule's verdict, then the vector search settings."""
    given = parse_size(ram) if ram else None
    ram_bytes, source = (given, "--ram") if given else host_ram(conn)
    with read_only(conn):
        facts = memory_facts(conn, ram_bytes=ram_bytes)
        vector = read_settings(conn, VECTOR_SETTINGS)
    report = SettingsReport(ram_bytes, source, [rule(facts).row() for rule in RULES.values()])
    if (largest := facts.largest) is not None:
        report.largest_vector_index = {"name": largest.name, "method": largest.method,
                                       "size_bytes": largest.size_bytes}
    for name, row in vector.items():
        report.rows.append({"name": name, "value": row["value"], "bytes": None, "recommended": None,
                            "status": "info", "note": VECTOR_SETTINGS[name]})
    if ram_bytes is None:
        report.notes.append("RAM unknown (the server is not on this machine): pass --ram SIZE for the "
                            "RAM-based recommendations")
    return report
