"""Settings: built-in defaults < config file < environment < command-line flags.

The config file is ``./apexdb.toml`` when present, else ``apexdb.toml`` in the user
config dir (``APEXDB_CONFIG`` names another). Layout::

    [defaults]
    lock_timeout = "5s"
    statement_timeout = "60s"

    [targets.prod]
    dsn = "postgresql://app@db.internal/app?sslmode=verify-full"

    [clusters.main]              # a primary and its replicas, see docs/audit.md
    members = ["prod", "prod_replica1"]

    [audit]                      # thresholds, see docs/audit.md
    unused_index_min_bytes = 1048576
    exclude = ["fk_without_index"]

    [lint]                       # migrate lint, see docs/lint.md (read by apexdb.ops.lint.profile)
    profile = "default"          # or "strict"
    fail_on = "warning"
    [lint.rules]
    prefer-identity = "off"      # info | warning | critical | off
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from apexdb.errors import BadInput

DEFAULTS: dict[str, Any] = {
    "statement_timeout": "60s",
    "lock_timeout": "5s",
    "connect_timeout": 10,
    "application_name": "apexdb",
    "ddl_retries": 5,
}


def config_path() -> Path | None:
    """The config file in force, or None when there is none."""
    explicit = os.environ.get("APEXDB_CONFIG")
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise BadInput(f"APEXDB_CONFIG names {path}, which is not a file")
        return path
    local = Path.cwd() / "apexdb.toml"
    if local.is_file():
        return local
    import platformdirs

    user = Path(platformdirs.user_config_dir("apexdb")) / "apexdb.toml"
    return user if user.is_file() else None


@lru_cache(maxsize=8)
def _read(path: str) -> dict[str, Any]:
    try:
        import tomllib  # type: ignore[import-not-found]
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise BadInput(f"cannot read config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"config file {path} is not valid TOML: {exc}") from None


@dataclass
class Config:
    path: Path | None
    data: dict[str, Any] = field(default_factory=dict)

    def section(self, name: str) -> dict[str, Any]:
        value = self.data.get(name, {})
        if not isinstance(value, dict):
            raise BadInput(f"config file {self.path}: [{name}] must be a table")
        return value

    def setting(self, key: str) -> Any:
        """A general setting: APEXDB_<KEY> env > [defaults] in the file > built-in."""
        env = os.environ.get(f"APEXDB_{key.upper()}")
        if env is not None:
            return env
        return self.section("defaults").get(key, DEFAULTS.get(key))

    @property
    def targets(self) -> dict[str, dict[str, Any]]:
        return self.section("targets")

    def target(self, name: str) -> dict[str, Any]:
        targets = self.targets
        if name not in targets:
            known = ", ".join(sorted(targets)) or "none defined"
            where = self.path or "no config file found"
            raise BadInput(f"unknown target {name!r} (targets in {where}: {known})")
        entry = targets[name]
        if isinstance(entry, str):
            entry = {"dsn": entry}
        if not isinstance(entry, dict) or "dsn" not in entry:
            raise BadInput(f"target {name!r} in {self.path} needs a dsn")
        return entry


    @property
    def clusters(self) -> dict[str, Any]:
        return self.section("clusters")

    def cluster(self, name: str) -> list[str]:
        """The member target names of ``[clusters.NAME]``, validated (BadInput otherwise)."""
        where = self.path or "no config file found"
        clusters = self.clusters
        if name not in clusters:
            known = ", ".join(sorted(clusters)) or "none defined"
            raise BadInput(f"unknown cluster {name!r} (clusters in {where}: {known})")
        entry = clusters[name]
        members = entry.get("members") if isinstance(entry, dict) else None
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            raise BadInput(f"cluster {name!r} in {where} needs members = [\"target\", ...] (a list of target names)")
        if not members:
            raise BadInput(f"cluster {name!r} in {where} has an empty members list: name at least one target")
        unknown = [m for m in members if m not in self.targets]
        if unknown:
            known = ", ".join(sorted(self.targets)) or "none defined"
            raise BadInput(f"cluster {name!r} names unknown target(s) {', '.join(unknown)} (targets in {where}: {known})")
        return list(dict.fromkeys(members))


def load_config() -> Config:
    path = config_path()
    if path is None:
        return Config(None, {})
    return Config(path, _read(str(path)))
