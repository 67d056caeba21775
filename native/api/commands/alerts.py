"""Alert commands: listAlerts, archiveAlerts, deleteAlerts (root admin only)."""

from __future__ import annotations

from sqlalchemy import or_, select

from native.api.command import ROOT_ADMIN, CommandContext, ListCommand
from native.api.commands._cleanup import CleanupCommand
from native.api.params import UuidKind, list_of, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.model import Alert
from native.services import audit


class AlertResponse(ResponseObject, object_name="alert"):
    id = Field("the id of the alert")
    type = Field(
        "One of the following alert types: MEMORY = 0, CPU = 1, STORAGE = 2, STORAGE_ALLOCATED = 3, "
        "PUBLIC_IP = 4, PRIVATE_IP = 5, SECONDARY_STORAGE = 6, HOST = 7, USERVM = 8, DOMAIN_ROUTER = 9, "
        "CONSOLE_PROXY = 10, ROUTING = 11, STORAGE_MISC = 12, USAGE_SERVER = 13, MANAGMENT_NODE = 14, "
        "DOMAIN_ROUTER_MIGRATE = 15, CONSOLE_PROXY_MIGRATE = 16, USERVM_MIGRATE = 17, VLAN = 18, "
        "SSVM = 19, USAGE_SERVER_RESULT = 20",
        type="short",
    )
    name = Field("the name of the alert", since="4.3")
    description = Field("description of the alert")
    sent = Field("the date and time the alert was sent", type="date")

    @classmethod
    def of(cls, alert: Alert) -> AlertResponse:
        return cls(
            id=alert.uuid,
            type=alert.alert_type,
            name=alert.name,
            description=alert.description,
            sent=alert.sent,
        )


class ListAlerts(
    ListCommand, api="listAlerts", response=AlertResponse, authorized=ROOT_ADMIN, since="1.0"
):
    """Lists all alerts.

    Newest first; archived alerts are not listed.
    """

    id = uuid_of(Alert, description="the ID of the alert")
    type = string(description="list by alert type")
    name = string(description="list by alert name", since="4.3")

    def execute(self, ctx: CommandContext) -> ListResult:
        query = select(Alert).where(Alert.archived.is_(False))
        if self.id is not None:
            query = query.where(Alert.id == self.id.id)
        if self.type is not None:
            query = query.where(Alert.alert_type == audit.parse_alert_type(self.type))
        if self.name is not None:
            query = query.where(Alert.name == self.name)
        if self.keyword:
            query = query.where(
                or_(
                    Alert.description.contains(self.keyword, autoescape=True),
                    Alert.name.contains(self.keyword, autoescape=True),
                )
            )
        rows, count = self.page_of_query(ctx, query, Alert.sent.desc(), Alert.id.desc())
        return ListResult([AlertResponse.of(row) for row in rows], count)


class _AlertCleanup(CleanupCommand):
    ids = list_of(UuidKind(Alert), description="the IDs of the alerts")

    def execute(self, ctx: CommandContext) -> SuccessResult:
        audit.clean_alerts(ctx.session, selection=self.selection(self.ids), cleanup=self.cleanup)
        return SuccessResult()


class ArchiveAlerts(_AlertCleanup, api="archiveAlerts", authorized=ROOT_ADMIN, since="4.2.0"):
    """Archive one or more alerts."""

    cleanup = audit.Cleanup.ARCHIVE


class DeleteAlerts(_AlertCleanup, api="deleteAlerts", authorized=ROOT_ADMIN, since="4.2.0"):
    """Delete one or more alerts."""

    cleanup = audit.Cleanup.DELETE
