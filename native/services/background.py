"""The periodic tasks every management server runs (see `periodic.PeriodicRunner`)."""

from __future__ import annotations

from native.services.periodic import PeriodicTask

PERIODIC_TASKS: tuple[PeriodicTask, ...] = ()
