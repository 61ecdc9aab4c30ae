"""``apexdb migrate`` and ``apexdb init``: Alembic projects applied safely, inspected and checked.

The package, in the order a run needs it:

- :mod:`.project`  which Alembic project apexdb drives (``load_project``, apexdb's own migrations)
- :mod:`.target`   which database the project talks to and how its env.py is told
- :mod:`.safety`   timeouts, lock retries (the one retry helper in :mod:`apexdb.db.retry`), one run at a time
- :mod:`.runner`   :func:`migrate` (upgrade/downgrade), :func:`stamp`, :func:`current_heads`
- :mod:`.info`     status, history, offline SQL, new revision files
- :mod:`.drift`    what differs between the models and the database (``migrate check``)
- :mod:`.init`     ``apexdb init``: the extensions, then every migration to head
- :mod:`.env`      the body of ``alembic/env.py``
- :mod:`.zero_downtime` helpers for revision authors: ``from apexdb.ops.migrate import zero_downtime as zd``
  (``from apexdb import zero_downtime`` still works)

The CLI is :mod:`apexdb.cli.migrate` and :mod:`apexdb.cli.init`; the linter is :mod:`apexdb.ops.lint`.
"""
from apexdb.ops.migrate.project import is_apex_project, load_project, packaged_script_location
from apexdb.ops.migrate.safety import SafetySettings, lock_key, migration_lock
from apexdb.ops.migrate.target import prepare_target
from apexdb.ops.migrate.runner import Listener, RunResult, StepDone, current_heads, migrate, stamp
from apexdb.ops.migrate.info import Status, history, new_revision, offline_sql, offline_sql_by_revision, status
from apexdb.ops.migrate.drift import drift
from apexdb.ops.migrate.init import InitResult, init

__all__ = ["InitResult", "Listener", "RunResult", "SafetySettings", "Status", "StepDone", "current_heads",
           "drift", "history", "init", "is_apex_project", "load_project", "lock_key", "migrate",
           "migration_lock", "new_revision", "offline_sql", "offline_sql_by_revision",
           "packaged_script_location", "prepare_target", "stamp", "status"]
