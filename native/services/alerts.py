"""Raising alerts for operators, typed with CloudStack's alert type numbers and names."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from native.model import Alert


@dataclass(frozen=True)
class AlertType:
    """One of CloudStack's alert types (`AlertService.AlertType`): its number and name."""

    code: int
    name: str


ALERT_HOST = AlertType(7, "ALERT.COMPUTE.HOST")
ALERT_USERVM = AlertType(8, "ALERT.USERVM")
ALERT_MANAGEMENT_NODE = AlertType(14, "ALERT.MANAGEMENT")
ALERT_USERVM_MIGRATE = AlertType(17, "ALERT.USERVM.MIGRATE")


def raise_alert(session: Session, *, alert_type: AlertType, description: str) -> Alert:
    """Add an alert for operators in the caller's transaction."""
    alert = Alert(alert_type=alert_type.code, name=alert_type.name, description=description)
    session.add(alert)
    session.flush()
    return alert
