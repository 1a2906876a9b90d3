"""Paper forms: the code printed on every copy, and reading scanned pages back into fields.

Pure engines: page images and bytes in, findings out. Nothing here knows a case record, a
user, the queue or a request; the pipeline in :mod:`service.jobs` stores what is read.
"""
