"""Sizes and durations as users type them, the same for every option and threshold (apexdb/units.py)."""
from __future__ import annotations

import pytest

from apexdb.errors import BadInput
from apexdb.units import GB, KB, MB, duration_setting, parse_duration, parse_size, setting_size


@pytest.mark.parametrize("text,expected", [("16GB", 16 * GB), ("16G", 16 * GB), ("16GiB", 16 * GB), ("16 gb", 16 * GB),
                                           ("512MB", 512 * MB), ("1.5gb", int(1.5 * GB)), ("800kB", 800 * KB),
                                           ("1048576", MB), (2048, 2048)])
def test_sizes(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["lots", "", "16 GBs", "-1GB", "1e3", "12 parsecs"])
def test_a_bad_size_says_what_was_wrong(text):
    with pytest.raises(BadInput, match="as a size"):
        parse_size(text)
    with pytest.raises(BadInput, match=r"^--ram .* is not a size$"):
        parse_size(text, error="--ram {value!r} is not a size")


@pytest.mark.parametrize("text,seconds", [("3600", 3600), ("500ms", 0.5), ("30min", 1800), ("30m", 1800),
                                          ("12h", 43200), ("7d", 604800), ("2w", 1209600), ("12H", 43200)])
def test_durations(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text,ok", [("5s", True), ("500ms", True), ("1.5s", True), ("30min", True), ("0", True),
                                     ("5 s", True), ("5S", False), ("5m", False), ("2w", False), ("5s'; DROP", False),
                                     ("soon", False)])
def test_duration_settings_are_what_postgresql_accepts(text, ok):
    if ok:
        assert duration_setting(text, error="bad {value!r}") == text.strip()
    else:
        with pytest.raises(BadInput, match="^bad "):
            duration_setting(text, error="bad {value!r}")


@pytest.mark.parametrize("n,literal", [(81 * MB + 5, "81MB"), (0, "1MB"), (1024 * MB, "1GB"), (1536 * MB, "1536MB"),
                                       (5.9 * GB, "6GB"), (16 * GB, "16GB")])
def test_sizes_written_as_setting_values(n, literal):
    assert setting_size(n) == literal


def test_thresholds_and_options_read_sizes_alike(apex, db):
    r = apex("audit", "config", "--only", "work_mem", "--threshold", "ram_bytes=64G", "--format", "json")
    assert r.exit_code == 0, r
    r = apex("stats", "settings", "--ram", "64GiB", "--format", "json")
    assert r.exit_code == 0 and r.json["ram_bytes"] == 64 * GB, r
    r = apex("audit", "config", "--threshold", "ram_bytes=plenty")
    assert r.exit_code == 2 and "threshold ram_bytes: 'plenty' is not a size" in r.stderr


def test_the_one_plain_index_builder_quotes_and_keeps_names_within_63_bytes():
    from apexdb.ops.catalog import btree_index_name, btree_index_sql

    assert (btree_index_sql("public", "Orders", ["customer id", "at"], descending=["at"])
            == 'CREATE INDEX CONCURRENTLY "Orders_customer id_at_idx" ON public."Orders" ("customer id", at DESC)')
    assert btree_index_sql("s", "t", ["a"], concurrently=False, named=False) == "CREATE INDEX ON s.t (a)"
    name = btree_index_name("é" * 40, ["c"])  # 80 bytes of table name: cut on a character boundary
    assert len(name.encode()) <= 63 and name == "é" * 31
