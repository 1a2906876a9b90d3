"""The import pipeline: legacy files read by :mod:`service.imports`, stored as cases.

Two passes. The first reads every file and groups them into cases; the second stores them,
one transaction per file: the original kept byte for byte under
``WORK_ROOT/cases/<number>/originals/`` with an :class:`Original` row, the form as a new
version (``source="imported"``), its Word and PDF copies queued, not waited for. A file whose
SHA-256 is already known is ``duplicate`` and changes nothing; a file of the same name with new
content becomes a new version of its form. One module per concern, each importing only those
listed before it:

- :mod:`.model`: options, statuses, the spooled items and the report;
- :mod:`.matching`: which case each item belongs to, which originals are known;
- :mod:`.storing`: one item stored in its own transaction;
- :mod:`.pipeline`: :func:`run_import`, the two passes;
- :mod:`.runs`: the web flow's dry run and the queue task of a confirmed run.
"""
