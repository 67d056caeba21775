"""The periodic tasks every management server runs (see `periodic.PeriodicRunner`)."""

from __future__ import annotations

from native.services.account_cleanup import CLEANUP_TASK
from native.services.expunge import EXPUNGE_TASK
from native.services.host_health import PING_TASK
from native.services.object_storage import SCRATCH_TASK
from native.services.periodic import PeriodicTask
from native.services.s3_lifecycle import LIFECYCLE_TASK
from native.services.snapshot_policies import SNAPSHOT_SCHEDULER
from native.services.templates.download import DOWNLOAD_TASK

PERIODIC_TASKS: tuple[PeriodicTask, ...] = (
    PING_TASK,
    EXPUNGE_TASK,
    DOWNLOAD_TASK,
    SNAPSHOT_SCHEDULER,
    CLEANUP_TASK,
    LIFECYCLE_TASK,
    SCRATCH_TASK,
)
