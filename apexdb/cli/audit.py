"""``apexdb audit indexes|vacuum|config|all``: findings with severities and fixes, for people and cron."""
from __future__ import annotations

from typing import Annotated, List, Optional

import typer

from apexdb.cli.common import ClusterOpt, DsnOpt, FormatOpt, Session, YesOpt

KIND_HELP = "What to audit: indexes, vacuum, config, schema, activity, queries, custom, replication or all."
TargetsOpt = Annotated[Optional[List[str]], typer.Option(
    "--target", help="A named target from apexdb.toml; repeat it to audit several databases at once.",
    show_default=False)]


def register(app: typer.Typer) -> None:
    app.command("audit", rich_help_panel="Diagnostics")(audit)


def audit(
    kind: Annotated[str, typer.Argument(help=KIND_HELP, show_default=False)],
    dsn: DsnOpt = None,
    target: TargetsOpt = None,
    all_targets: Annotated[bool, typer.Option("--all-targets", help="Audit every target in apexdb.toml.")] = False,
    cluster: ClusterOpt = None,
    format: FormatOpt = "table",
    fail_on: Annotated[Optional[str], typer.Option(
        "--fail-on", help="Exit 1 when a finding reaches this severity: info, warning or critical "
        "(default: [audit] fail_on in apexdb.toml, else critical).", show_default=False)] = None,
    exclude: Annotated[Optional[List[str]], typer.Option("--exclude", help="Skip a check by name (repeatable).",
                                                         show_default=False)] = None,
    only: Annotated[Optional[List[str]], typer.Option("--only", help="Run only these checks (repeatable).",
                                                      show_default=False)] = None,
    fix: Annotated[bool, typer.Option("--fix", help="Print the fix script (SQL) instead of the table.")] = False,
    apply: Annotated[bool, typer.Option("--apply", help="Run the fix statements, after confirmation.")] = False,
    yes: YesOpt = False,
    threshold: Annotated[Optional[List[str]], typer.Option(
        "--threshold", help="NAME=VALUE for any threshold in docs/audit.md (repeatable).", show_default=False)] = None,
    unused_min_bytes: Annotated[Optional[str], typer.Option(
        "--unused-min-bytes", help="Smallest unused index reported (e.g. 0, 1MB).", show_default=False)] = None,
    stats_min_age: Annotated[Optional[str], typer.Option(
        "--stats-min-age", help="Statistics younger than this make 'unused' an info (e.g. 7d).",
        show_default=False)] = None,
    vector_min_rows: Annotated[Optional[int], typer.Option(
        "--vector-min-rows", help="Rows above which a vector column needs an ANN index and lists are judged.",
        show_default=False)] = None,
    dead_ratio: Annotated[Optional[float], typer.Option(
        "--dead-ratio", help="Dead-tuple fraction reported (e.g. 0.2).", show_default=False)] = None,
    top: Annotated[Optional[int], typer.Option(
        "--top", help="audit queries: how many statements to take by total time (default 20).",
        show_default=False)] = None,
    min_calls: Annotated[Optional[int], typer.Option(
        "--min-calls", help="audit queries: calls a statement needs to be taken by mean time (default 10).",
        show_default=False)] = None,
    statement_timeout: Annotated[Optional[str], typer.Option(
        "--statement-timeout", help="Per-query limit (default from the config file, 60s).", show_default=False)] = None,
    lock_timeout: Annotated[Optional[str], typer.Option(
        "--lock-timeout", help="Lock wait limit per query (default from the config file, 5s).",
        show_default=False)] = None,
    exit_codes: Annotated[Optional[str], typer.Option(
        "--exit-codes", help="default (0/1 by --fail-on, 2-4 errors) or nagios (0 OK, 1 WARNING, 2 CRITICAL, "
        "3 UNKNOWN) with a one-line status; default from exit_codes in the config file's audit section.",
        show_default=False)] = None,
    perfdata: Annotated[Optional[bool], typer.Option(
        "--perfdata/--no-perfdata", help="Append monitoring perfdata to the nagios status line.",
        show_default=False)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but findings (no notes).")] = False,
) -> None:
    """Audit indexes, vacuum health and configuration; exit 1 when a finding reaches --fail-on."""
    from apexdb.errors import BadInput, FindingsReached
    from apexdb.ops.audit import SEVERITIES, check_names, excluded_from_config, run_audit, thresholds_from_config
    from apexdb.ops.cluster.audit import CLUSTER_KINDS, KINDS

    nagios, perfdata = _monitoring_options(exit_codes, perfdata)
    if cluster and (dsn or target or all_targets):
        raise BadInput(f"give --cluster or {'--dsn' if dsn else '--target/--all-targets'}, not both")
    names = _target_names(target, all_targets)
    with Session(format, dsn, None) as s:
        kinds = (CLUSTER_KINDS if cluster else KINDS) if kind == "all" else (kind,)
        if kind != "all" and kind not in CLUSTER_KINDS:
            raise BadInput(f"unknown audit {kind!r} (choose from {', '.join(CLUSTER_KINDS)} or all)")
        if kind == "replication" and names:
            raise BadInput("audit replication: name the servers with --cluster (or one with --dsn), not --target")
        if fail_on is None:
            from apexdb.config import load_config

            fail_on = str(load_config().section("audit").get("fail_on", "critical"))
        if fail_on not in SEVERITIES:
            raise BadInput(f"--fail-on {fail_on!r}: choose from {', '.join(SEVERITIES)}")
        if names and dsn:
            raise BadInput("give --dsn or --target/--all-targets, not both")
        if apply and len(names) > 1:
            raise BadInput("--apply works on one database at a time: name one --target")
        flags = {"unused_index_min_bytes": unused_min_bytes, "stats_min_age": stats_min_age,
                 "vector_min_rows": vector_min_rows, "dead_tuple_ratio": dead_ratio, "queries_top": top,
                 "queries_min_calls": min_calls}
        flags.update(_pairs(threshold or []))
        thresholds = thresholds_from_config().updated({k: v for k, v in flags.items() if v is not None}, "flags")
        skipped = excluded_from_config() + check_names(tuple(exclude or ()), "--exclude")
        chosen = check_names(tuple(only), "--only") if only else None
        options = dict(kinds=kinds, thresholds=thresholds, exclude=skipped, only=chosen,
                       statement_timeout=statement_timeout, lock_timeout=lock_timeout)
        members = None
        if cluster or kind == "replication":  # a primary and its replicas, or one server seen as a cluster
            from apexdb.ops.cluster import audit_cluster, open_cluster, single_member

            members = open_cluster(cluster) if cluster else single_member(s.target)
            s._stack.callback(members.close)
            with s.out.progress(f"auditing cluster {members.name}", total=len(members.members)) as bar:
                reports = audit_cluster(members, on_done=lambda name: bar.advance(), **options)
        elif names:  # named targets from the config file, each on its own thread and connection
            from apexdb.ops.audit.targets import audit_targets

            with s.out.progress("auditing targets", total=len(names)) as bar:
                reports = audit_targets(names, on_done=lambda r: bar.advance(), **options)
        else:
            from apexdb.ops.audit import check_groups

            conn = s.connect(application_name="apexdb audit")
            with s.out.progress(f"auditing {s.target.name}", total=check_groups(kinds)) as bar:
                reports = [run_audit(conn, target=s.target.name, on_check=lambda name: bar.advance(), **options)]
        if nagios:
            from apexdb.errors import StatusExit
            from apexdb.ops.audit.monitoring import STATES, state_of, status_line

            from apexdb.cli.common import CURRENT
            from apexdb.render.audit_status import render_status

            CURRENT["status_exit"] = StatusExit(STATES[state_of(reports)])  # the answer: no UNKNOWN on top
            render_status(s.out, reports, status_line(reports, perfdata), state_of(reports),
                          _summary(reports, "warning"), quiet=quiet)
            raise CURRENT["status_exit"]
        several = len(names) > 1 or all_targets or bool(cluster)
        render_reports(s.out, reports, fix_only=fix and format == "table", several=several, fail_on=fail_on,
                       quiet=quiet, extra={"cluster": members.as_json()} if cluster else None)
        if apply:
            todo, where = _primary_only(s, members, reports) if members is not None else (reports, names)
            _apply(s, todo[0], where[0] if where else None, yes, lock_timeout)
        reached = [f for r in reports for f in r.findings
                   if SEVERITIES.index(f.severity) >= SEVERITIES.index(fail_on)]
        if reached:
            raise FindingsReached(f"{len(reached)} finding(s) at or above {fail_on}")


def _monitoring_options(exit_codes: str | None, perfdata: bool | None) -> tuple[bool, bool]:
    """(nagios?, perfdata?) from the flags, else [audit] exit_codes / perfdata in the config file."""
    from apexdb.config import load_config
    from apexdb.errors import BadInput
    from apexdb.ops.audit.monitoring import EXIT_CODE_STYLES

    section = load_config().section("audit")
    style = exit_codes or str(section.get("exit_codes", "default"))
    if style not in EXIT_CODE_STYLES:
        raise BadInput(f"--exit-codes {style!r}: choose from {', '.join(EXIT_CODE_STYLES)}")
    return style == "nagios", bool(section.get("perfdata", False) if perfdata is None else perfdata)


def _nagios_requested(args: list[str]) -> bool:
    """Whether this command line asked for nagios exit codes (read before or without option parsing)."""
    words = [a for a in args if not a.startswith("-")]
    if not words or words[0] != "audit":
        return False
    for i, arg in enumerate(args):
        if arg == "--exit-codes" and i + 1 < len(args):
            return args[i + 1] == "nagios"
        if arg.startswith("--exit-codes="):
            return arg.split("=", 1)[1] == "nagios"
    try:
        from apexdb.config import load_config

        return str(load_config().section("audit").get("exit_codes", "")) == "nagios"
    except Exception:  # an unreadable config file is reported as the error itself
        return False


def monitoring_exit_code(args: list[str], code: int) -> int:
    """Under --exit-codes nagios, any failure (usage, connection, database, Ctrl-C) is UNKNOWN (3),
    with the status line on stdout where the monitoring runner reads it."""
    from apexdb.cli.common import CURRENT
    from apexdb.errors import StatusExit

    if code == 0 or isinstance(CURRENT.get("status_exit"), StatusExit) or not _nagios_requested(args):
        return code
    from apexdb.ops.audit.monitoring import unknown_line
    from apexdb.render import Renderer

    Renderer().line(unknown_line(CURRENT.get("error_message") or f"exit {code}"))
    return 3


def _pairs(items: list[str]) -> dict[str, str]:
    from apexdb.errors import BadInput

    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise BadInput(f"--threshold {item!r}: expected NAME=VALUE")
        out[name.strip()] = value.strip()
    return out


def _target_names(targets: list[str] | None, all_targets: bool) -> list[str]:
    if all_targets:
        from apexdb.ops.audit.targets import configured_targets

        return configured_targets()
    return list(targets or [])


def _apply(s: Session, report, target_name: str | None, yes: bool, lock_timeout: str | None) -> None:
    from apexdb.config import load_config
    from apexdb.db.connection import resolve_target
    from apexdb.errors import BadInput
    from apexdb.ops.audit.fixes import apply_fixes, statements_of

    if any(f.check == "unreachable_target" for f in report.findings):
        raise BadInput(f"--apply: target {target_name} could not be audited, so nothing is applied")
    todo = statements_of(report.findings)
    if not todo:
        s.out.note("--apply: no finding has a fix to run")
        return
    cfg = load_config()
    target = resolve_target(None, target_name) if target_name else s.target
    s.confirm(f"Run {len(todo)} fix statement(s) on {target.display}?", yes, what="audit --apply")
    timeout = lock_timeout or cfg.section("audit").get("lock_timeout") or cfg.setting("lock_timeout")
    conn = s.connect(target=target, application_name="apexdb audit --apply")
    done = apply_fixes(conn, report.findings, lock_timeout=timeout, retries=int(cfg.setting("ddl_retries")),
                       on_done=lambda a: s.out.note(f"applied: {a.statement.splitlines()[0]}"))
    s.out.note(f"--apply: {len(done)} statement(s) applied; rerun the audit to see what remains")


def _primary_only(s: Session, members, reports):
    """--apply over a cluster: the primary's fixes only; say which fixes (for other members) are left out."""
    from apexdb.errors import BadInput

    primary = members.primary
    if primary is None:
        raise BadInput(f"--apply: cluster {members.name} has no reachable primary, so nothing is applied")
    left = [f for r in reports if r.target != primary.name for f in r.findings if f.statements]
    if left:
        s.out.note(f"--apply runs on the primary {primary.name} only; left out {len(left)} fix(es) for other "
                   "members (see --fix): " + ", ".join(f"{f.check} {f.object} on {f.target}" for f in left))
    mine = [r for r in reports if r.target == primary.name]
    return mine, ([primary.name] if primary.target.source.startswith("target ") else [])  # else the session's


def render_reports(out, reports, *, fix_only: bool, several: bool, fail_on: str = "critical",
                   quiet: bool = False, extra: dict | None = None) -> None:
    """Findings as one table (a target column when several), the fix script, or one JSON document."""
    from apexdb.ops.audit.fixes import fix_script
    from apexdb.render import Column, cols
    from apexdb.render.format import human_seconds

    for report in reports:
        prefix = f"{report.target}: " if several else ""
        for note in report.notes if not quiet else ():
            out.note(prefix + note)
        for line in report.coverage:
            out.info(prefix + line)
        if report.stats_reset is not None:
            out.info(f"{prefix}statistics reset {human_seconds(report.stats_age_s)} ago ({report.stats_reset:%Y-%m-%d %H:%M})")
    findings = [f for r in reports for f in r.findings]
    if fix_only:
        out.line(fix_script(reports).rstrip("\n"))
        return
    if not findings and out.fmt == "table" and (quiet or not out.rich_stdout):
        return  # quiet when all is well: cron mails nothing
    doc = {"findings": [f.public(with_target=several) for f in findings],
           "summary": _summary(reports, fail_on),
           "target": [r.target for r in reports] if several else reports[0].target, **(extra or {})}
    rows = [{**f.public(with_target=True)} for f in findings]
    columns = ([Column("target")] if several else []) + cols("severity:severity", "check", "object") + [
        Column("detail", max_width=90 if out.rich_stdout else None)]  # piped (cron mail): whole lines
    if out.fmt == "csv":  # machines get the fix too; people get it from --fix
        columns.append(Column("fix"))
    workload = None if several else reports[0].sections.get("queries")
    if workload is not None:
        from apexdb.render import Section
        from apexdb.render.workload import proposals_section

        doc["queries"] = workload
        if out.fmt in ("table", "markdown"):
            out.sections([proposals_section(workload), Section("findings", rows, columns, "no findings")], doc=doc)
            return
    out.table(rows, columns, doc=doc, empty="no findings")


def _summary(reports, fail_on: str) -> dict:
    from apexdb.ops.audit import SEVERITIES, SEVERITY_RANK

    findings = [f for r in reports for f in r.findings]
    counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}
    summary = {**counts, "total": len(findings), "fail_on": fail_on,
               "failed": any(SEVERITY_RANK[f.severity] >= SEVERITY_RANK[fail_on] for f in findings)}
    if len(reports) == 1:
        summary.update({k: v for k, v in reports[0].summary().items() if k not in summary})
    else:
        summary["targets"] = {r.target: r.summary() for r in reports}
    return summary
