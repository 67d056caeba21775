"""Network rules on public IPs and guest networks, load balancer policies, and VPC ACLs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from native.model.base import Base, Identified, Lifetime, UTCDateTime, utcnow


class NetworkRule(Identified, Base):
    """A rule of one `purpose` (CloudStack's `firewall_rules`): `Firewall` (ingress on
    `ip_address_id`, or egress on `network_id` when `traffic_type` is `Egress`),
    `PortForwarding` (to `vm_id`/`vm_ip`, `private_*` ports) or `LoadBalancing` (`name`,
    `algorithm`, `private_*` ports, members in `LbVmMap`).

    `state`: `Add` while being applied, `Active`, `Revoke` while being removed. Ports
    are None for protocols without ports; `source_cidrs`/`dest_cidrs` are comma lists.
    `related_rule_id` marks a firewall rule opened for a port forward or LB rule
    (`openfirewall`): it goes with that rule.
    """

    __tablename__ = "network_rule"

    purpose: Mapped[str] = mapped_column(String(32), index=True)
    ip_address_id: Mapped[int | None] = mapped_column(
        ForeignKey("public_ip_address.id"), default=None, index=True
    )
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id"))
    state: Mapped[str] = mapped_column(String(16), default="Add")
    traffic_type: Mapped[str] = mapped_column(String(16), default="Ingress")
    protocol: Mapped[str] = mapped_column(String(16))
    start_port: Mapped[int | None] = mapped_column(Integer, default=None)
    end_port: Mapped[int | None] = mapped_column(Integer, default=None)
    icmp_type: Mapped[int | None] = mapped_column(Integer, default=None)
    icmp_code: Mapped[int | None] = mapped_column(Integer, default=None)
    source_cidrs: Mapped[str | None] = mapped_column(Text, default=None)
    dest_cidrs: Mapped[str | None] = mapped_column(Text, default=None)
    vm_id: Mapped[int | None] = mapped_column(ForeignKey("vm_instance.id"), default=None)
    vm_ip: Mapped[str | None] = mapped_column(String(64), default=None)
    private_start_port: Mapped[int | None] = mapped_column(Integer, default=None)
    private_end_port: Mapped[int | None] = mapped_column(Integer, default=None)
    name: Mapped[str | None] = mapped_column(String(255), default=None)
    description: Mapped[str | None] = mapped_column(String(4096), default=None)
    algorithm: Mapped[str | None] = mapped_column(String(32), default=None)
    lb_protocol: Mapped[str | None] = mapped_column(String(16), default=None)
    related_rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("network_rule.id"), default=None, index=True
    )
    display: Mapped[bool] = mapped_column(default=True)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class LbVmMap(Base):
    """A VM (at `vm_ip`, its NIC's address on the rule's network) behind an LB rule."""

    __tablename__ = "lb_vm_map"
    __table_args__ = (UniqueConstraint("rule_id", "vm_id", "vm_ip"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("network_rule.id"), index=True)
    vm_id: Mapped[int] = mapped_column(ForeignKey("vm_instance.id"), index=True)
    vm_ip: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="Active")


class LbStickinessPolicy(Identified, Base):
    """A stickiness policy of an LB rule: `method` is `LbCookie`, `AppCookie` or
    `SourceBased`; `params` is JSON `{name: value}` as given to the API."""

    __tablename__ = "lb_stickiness_policy"

    rule_id: Mapped[int] = mapped_column(ForeignKey("network_rule.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(String(4096), default=None)
    method: Mapped[str] = mapped_column(String(32))
    params: Mapped[str] = mapped_column(Text, default="{}")
    state: Mapped[str] = mapped_column(String(16), default="Active")
    display: Mapped[bool] = mapped_column(default=True)


class LbHealthCheckPolicy(Identified, Base):
    """A health check of an LB rule: an HTTP GET of `ping_path` (a TCP connect when it is
    None), every `interval` seconds with `response_time` seconds to answer."""

    __tablename__ = "lb_health_check_policy"

    rule_id: Mapped[int] = mapped_column(ForeignKey("network_rule.id"), index=True)
    description: Mapped[str | None] = mapped_column(String(4096), default=None)
    ping_path: Mapped[str | None] = mapped_column(String(255), default=None)
    response_time: Mapped[int] = mapped_column(Integer, default=2)
    interval: Mapped[int] = mapped_column(Integer, default=5)
    healthy_threshold: Mapped[int] = mapped_column(Integer, default=2)
    unhealthy_threshold: Mapped[int] = mapped_column(Integer, default=10)
    state: Mapped[str] = mapped_column(String(16), default="Active")
    display: Mapped[bool] = mapped_column(default=True)


class NetworkAcl(Identified, Lifetime, Base):
    """A network ACL list of a VPC, or (`vpc_id` None) one of the built-in
    `default_allow`/`default_deny` lists every VPC may use."""

    __tablename__ = "network_acl"

    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(String(1024), default=None)
    vpc_id: Mapped[int | None] = mapped_column(ForeignKey("vpc.id"), default=None, index=True)
    display: Mapped[bool] = mapped_column(default=True)


class NetworkAclItem(Identified, Base):
    """One numbered rule of an ACL list; rules are matched in `number` order.

    `action` is `Allow` or `Deny`, `traffic_type` `Ingress` or `Egress`, `cidrs` a comma list.
    """

    __tablename__ = "network_acl_item"
    __table_args__ = (UniqueConstraint("acl_id", "number"),)

    acl_id: Mapped[int] = mapped_column(ForeignKey("network_acl.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(8))
    protocol: Mapped[str] = mapped_column(String(16))
    start_port: Mapped[int | None] = mapped_column(Integer, default=None)
    end_port: Mapped[int | None] = mapped_column(Integer, default=None)
    icmp_type: Mapped[int | None] = mapped_column(Integer, default=None)
    icmp_code: Mapped[int | None] = mapped_column(Integer, default=None)
    cidrs: Mapped[str] = mapped_column(Text, default="0.0.0.0/0")
    traffic_type: Mapped[str] = mapped_column(String(16), default="Ingress")
    reason: Mapped[str | None] = mapped_column(String(2048), default=None)
    state: Mapped[str] = mapped_column(String(16), default="Active")
    display: Mapped[bool] = mapped_column(default=True)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
