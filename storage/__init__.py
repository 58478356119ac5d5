"""Offboard's storage: SQLAlchemy models, the repository, migrations, the audit chain.

Callers use four things and never a Session:

* ``storage.db.make_engine(url)`` - SQLite (WAL, busy timeout, ``BEGIN IMMEDIATE``
  writers) or PostgreSQL through psycopg 3.
* ``storage.repository.Repository(engine)`` - one transaction per method; the state
  machine's rules stay in ``bot`` and reach the database through ``Repository.apply``
  (and the claim's door, ``admit``).
* ``storage.records`` - the frozen values going in (``NewRequest``, ``Change``,
  ``AuditDraft``, ``AnnouncementDraft``, ``ExecutionResult``) and out (``*Record``).
* ``storage.audit_verify.verify(engine, anchor=...)`` / ``storage.audit_verify.head``,
  ``storage.audit.export(engine, stream)``, and ``storage.migrate.upgrade(url)``.

This package imports neither ``bot`` nor ``commands``.
"""
