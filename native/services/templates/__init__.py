"""Templates and ISOs: registration from a URL, background download into secondary storage,
listing by filter, copies between zones, launch permissions, and templates made from
volumes or snapshots. A template and an ISO are the same row (`Template.format == "ISO"`).

For the VM orchestrator: `usable_in_zone` (in `permissions`) says whether a caller may
launch a template in a zone.
"""

from native.services.templates.permissions import usable_in_zone

__all__ = ["usable_in_zone"]
