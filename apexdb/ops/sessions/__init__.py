"""``apexdb cancel`` and ``apexdb terminate``: choose sessions (pids and/or filters), show them, signal them.

Public API: :class:`SessionFilter`, :func:`select_sessions` (what would be hit, checked: the pids exist and
are client sessions, this role may signal every one, the session's own connection is never among them)
and :func:`signal_sessions` (send the signal through :func:`apexdb.db.connection.cancel_backend`, the one
way apexdb signals a backend, and say per pid what happened).
"""
from apexdb.ops.sessions.signal import Selection, SessionFilter, SignalResult, select_sessions, signal_sessions

__all__ = ["Selection", "SessionFilter", "SignalResult", "select_sessions", "signal_sessions"]
