"""Settings gunicorn reads from the project folder: every ``gunicorn`` started here (the
Procfile's web processes, the benchmarks, the tests' servers) uses them; flags on the command
line still win."""

from __future__ import annotations

import gc
from typing import Any


def post_worker_init(worker: Any) -> None:
    """Take what a web process made while starting (modules, the annex declarations, routes,
    mappers: some 190,000 objects that live as long as the process) out of the garbage
    collector's reach. Otherwise each full collection walks them all again: a pause of about
    85 ms inside whichever request set it off."""
    gc.freeze()
    worker.log.info("kept %d start-up objects out of garbage collection", gc.get_freeze_count())


#: gunicorn's sync worker, but a connection whose client has nothing left to send closes at once
#: instead of waiting for the client to close it first (service/web/worker.py says why).
worker_class = "service.web.worker.PromptCloseSyncWorker"
