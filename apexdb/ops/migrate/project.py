"""Which Alembic project apexdb drives, and the one place that finds apexdb's own migrations.

The Apex migrations live in the repository's top-level ``alembic/``; the wheel carries
the same folder as ``apexdb/_alembic`` (pyproject's hatch ``force-include``). An
editable install finds the former, an installed wheel the latter.

A project is chosen as: ``--config PATH`` > ``./alembic.ini`` > the packaged Apex project.
"""
from __future__ import annotations

import argparse
import io
from pathlib import Path

from apexdb.errors import BadInput, NotEnabled

PACKAGE_DIR = Path(__file__).resolve().parents[2]  # apexdb/


def packaged_script_location() -> Path:
    """The Apex migrations folder: ``apexdb/_alembic`` in a wheel, ``alembic/`` in a checkout."""
    for candidate in (PACKAGE_DIR / "_alembic", PACKAGE_DIR.parent / "alembic"):
        if (candidate / "env.py").is_file() and (candidate / "versions").is_dir():
            return candidate
    raise NotEnabled("apexdb's migrations are missing from this installation "
                     f"(looked for {PACKAGE_DIR / '_alembic'} and {PACKAGE_DIR.parent / 'alembic'})")


def is_apex_project(config) -> bool:
    """True when ``config`` points at apexdb's own migrations (wherever they are installed)."""
    location = config.get_main_option("script_location") or ""
    try:
        return Path(location).resolve() == packaged_script_location().resolve()
    except NotEnabled:
        return False


def project_ini(config_path: str | None = None) -> Path | None:
    """The ``alembic.ini`` in force: the one given, else ``./alembic.ini``, else None (packaged)."""
    if config_path:
        path = Path(config_path).expanduser()
        if path.is_dir():
            path = path / "alembic.ini"
        if not path.is_file():
            raise BadInput(f"no Alembic config at {config_path}")
        return path.resolve()
    local = Path.cwd() / "alembic.ini"
    return local.resolve() if local.is_file() else None


def load_project(config_path: str | None = None, dsn: str | None = None):
    """An ``alembic.config.Config`` for the project apexdb should drive.

    ``dsn`` (the ``--dsn`` given on the command line, if any) is kept in
    ``config.attributes["apexdb_dsn"]``; the runner and apexdb's env.py resolve the
    database from it exactly as every other apexdb command does.
    """
    from alembic.config import Config

    ini = project_ini(config_path)
    if ini is None:
        config = Config()
        config.set_main_option("script_location", str(packaged_script_location()))
        config.set_main_option("path_separator", "os")
    else:
        config = Config(str(ini))
        _anchor_script_location(config, ini)
        _placeholder_url(config)
    # Alembic's own chatter ("Generating ... done") must not mix with apexdb's output on stdout.
    config.stdout = io.StringIO()
    config.cmd_opts = argparse.Namespace(quiet=True, x=[])
    config.attributes["apexdb_dsn"] = dsn
    config.attributes["apexdb_ini"] = str(ini) if ini else None
    return config


def _placeholder_url(config) -> None:
    """A project without a real ``sqlalchemy.url`` (none, or alembic's ``driver://`` template) gets a
    bare ``postgresql://``: enough for offline SQL, and marked so the runner fills in the real one."""
    url = config.get_main_option("sqlalchemy.url")
    if not url or url.startswith("driver://"):
        config.set_main_option("sqlalchemy.url", "postgresql://")
        config.attributes["apexdb_url_placeholder"] = True


def _anchor_script_location(config, ini: Path) -> None:
    """Alembic reads a relative ``script_location`` from the working directory; a project named
    with ``--config`` elsewhere means it relative to its ``alembic.ini``."""
    location = config.get_main_option("script_location")
    if not location:
        raise BadInput(f"{ini} has no script_location in its [alembic] section")
    if ":" in location and not Path(location).exists():  # a package resource, "pkg:folder"
        return
    path = Path(location).expanduser()
    if not path.is_absolute() and not path.is_dir() and (ini.parent / path).is_dir():
        config.set_main_option("script_location", str((ini.parent / path).resolve()))
    elif not Path(config.get_main_option("script_location")).is_dir():
        raise BadInput(f"{ini}: script_location {location!r} is not a folder")
