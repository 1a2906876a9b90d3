"""Paper forms: reading scanned pages back into fields (the code printed on every copy is
made and read by :mod:`service.documents.pagecode`, below both printing and reading).

Pure engines: page images and bytes in, findings out. Nothing here knows a case record, a
user, the queue or a request; the pipeline in :mod:`service.jobs` stores what is read.
"""
