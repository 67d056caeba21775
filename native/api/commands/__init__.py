"""Native API commands, one module per area; importing this package registers them all."""

from native.api.commands import apis, domains, jobs

__all__ = ["apis", "domains", "jobs"]
