"""Readers of legacy forms: a file -> (annex, the form's data, warnings). Pure; writes nothing.

Labels and options are matched against the declarations in :mod:`service.annexes`; the
pipeline that stores what is read lives in :mod:`service.jobs.imports`.
"""

from .reading import FORM, SCAN, ImportFailure, Reading

__all__ = ["FORM", "SCAN", "ImportFailure", "Reading"]
