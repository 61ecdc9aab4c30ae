"""Auditing several databases at once: one thread and one connection per target.

Targets are the config file's ``[targets.NAME]`` entries. A target that cannot be
reached (or fails as a whole) becomes a critical ``unreachable_target`` finding for
that target; the others are audited all the same.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any, Callable, Iterable

from apexdb.ops.audit.model import AuditReport, Finding

MAX_WORKERS = 8


def configured_targets() -> list[str]:
    from apexdb.config import load_config
    from apexdb.errors import BadInput

    cfg = load_config()
    names = sorted(cfg.targets)
    if not names:
        raise BadInput(f"--all-targets: no [targets.NAME] entries in {cfg.path or 'any config file (none found)'}")
    return names


def audit_targets(names: Iterable[str], *, on_done: Callable[[AuditReport], None] | None = None,
                  **audit_kwargs: Any) -> list[AuditReport]:
    """Run ``run_audit(**audit_kwargs)`` on every named target concurrently; reports in ``names`` order."""
    from apexdb.config import load_config
    from apexdb.db.connection import Target, validate_dsn

    cfg = load_config()
    names = list(dict.fromkeys(names))
    targets = []
    for name in names:  # unknown names and malformed DSNs are bad input: fail before any work
        entry = cfg.target(name)
        validate_dsn(entry["dsn"], f"target {name}")
        targets.append(Target(entry["dsn"], f"target {name}", name))
    reports: dict[str, AuditReport] = {}
    open_conns: list = []  # so Ctrl-C can cancel what the worker threads are running
    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(targets)) or 1) as pool:
        futures = {pool.submit(_audit_one, target, audit_kwargs, open_conns): target.name for target in targets}
        try:
            for future in as_completed(futures):
                report = future.result()
                reports[futures[future]] = report
                if on_done:
                    on_done(report)
        except KeyboardInterrupt:
            pool.shutdown(wait=False, cancel_futures=True)
            for conn in list(open_conns):
                _cancel(conn)
            raise
    return [reports[name] for name in names]


def _cancel(conn) -> None:
    try:
        conn.cancel_safe()
    except Exception:  # already closed or unreachable: nothing left to cancel
        pass


def _audit_one(target, audit_kwargs: dict[str, Any], open_conns: list) -> AuditReport:
    import psycopg

    from apexdb.db.connection import connect
    from apexdb.errors import ApexdbError, redact
    from apexdb.ops.audit import run_audit

    try:
        conn = connect(target, application_name="apexdb audit")
    except ApexdbError as exc:
        return _failed(target.name, exc.message)
    open_conns.append(conn)
    try:
        return run_audit(conn, target=target.name, **audit_kwargs)
    except (ApexdbError, psycopg.Error) as exc:
        message = getattr(exc, "message", None) or " ".join(str(exc).split())
        return _failed(target.name, f"audit stopped: {redact(message)}")
    finally:
        open_conns.remove(conn)
        conn.close()


def _failed(name: str, message: str) -> AuditReport:
    report = AuditReport(target=name)
    report.findings.append(Finding("unreachable_target", "critical", name, message, "", target=name))
    return report
