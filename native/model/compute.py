"""Virtual machines, affinity groups and SSH key pairs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from native.model.base import Base, Identified, Lifetime, UTCDateTime, utcnow


class VirtualMachine(Identified, Lifetime, Base):
    """A user VM (CloudStack's `vm_instance` + `user_vm`).

    `state` moves only along the lifecycle transition table, saved compare-and-swap with
    `update_count`. `cpu_number`, `cpu_speed` (MHz) and `memory` (MiB) are the effective
    size (a custom offering's chosen values). `host_id` is where it runs or is placed;
    `last_host_id` where it last ran. `last_updated` is when its state last changed (a
    Destroyed VM is expunged `expunge.delay` seconds after). With `delete_protection` it
    cannot be destroyed.
    """

    __tablename__ = "vm_instance"
    __table_args__ = (
        Index("ix_vm_instance_account_id_state", "account_id", "state"),
        Index("ix_vm_instance_host_id_state", "host_id", "state"),
    )

    name: Mapped[str] = mapped_column(String(255), index=True)
    display_name: Mapped[str | None] = mapped_column(String(255), default=None)
    instance_name: Mapped[str] = mapped_column(String(255), unique=True)
    state: Mapped[str] = mapped_column(String(32), index=True)
    update_count: Mapped[int] = mapped_column(Integer, default=0)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"), index=True)
    pod_id: Mapped[int | None] = mapped_column(ForeignKey("pod.id"), default=None)
    host_id: Mapped[int | None] = mapped_column(ForeignKey("host.id"), default=None)
    last_host_id: Mapped[int | None] = mapped_column(ForeignKey("host.id"), default=None)
    service_offering_id: Mapped[int] = mapped_column(ForeignKey("service_offering.id"))
    template_id: Mapped[int] = mapped_column(ForeignKey("template.id"), index=True)
    iso_id: Mapped[int | None] = mapped_column(ForeignKey("template.id"), default=None)
    guest_os_id: Mapped[int | None] = mapped_column(ForeignKey("guest_os.id"), default=None)
    hypervisor_type: Mapped[str] = mapped_column(String(32))
    cpu_number: Mapped[int] = mapped_column(Integer)
    cpu_speed: Mapped[int] = mapped_column(Integer)
    memory: Mapped[int] = mapped_column(Integer)
    ha_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    user_data: Mapped[str | None] = mapped_column(Text, default=None)
    keypairs: Mapped[str | None] = mapped_column(Text, default=None)
    password: Mapped[str | None] = mapped_column(Text, default=None)
    display_vm: Mapped[bool] = mapped_column(Boolean, default=True)
    details: Mapped[str | None] = mapped_column(Text, default=None)
    power_state: Mapped[str] = mapped_column(String(16), default="PowerUnknown")
    delete_protection: Mapped[bool] = mapped_column(Boolean, default=False)
    last_updated: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AffinityGroup(Identified, Lifetime, Base):
    """An affinity group: `group_type` is `host affinity` or `host anti-affinity`."""

    __tablename__ = "affinity_group"

    name: Mapped[str] = mapped_column(String(255))
    group_type: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(String(4096), default=None)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id"), index=True)


class AffinityGroupVm(Base):
    """Membership of a VM in an affinity group."""

    __tablename__ = "affinity_group_vm"

    group_id: Mapped[int] = mapped_column(ForeignKey("affinity_group.id"), primary_key=True)
    vm_id: Mapped[int] = mapped_column(ForeignKey("vm_instance.id"), primary_key=True, index=True)


class SshKeyPair(Identified, Base):
    """A registered public key, unique by name within its account.

    `private_key_fingerprint` is set for a pair the server generated: the SHA-1 of its
    private key in DER (PKCS#8), colon-separated hex (the private key itself is not kept).
    """

    __tablename__ = "ssh_keypair"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    name: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(128))
    public_key: Mapped[str] = mapped_column(Text)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id"), index=True)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    private_key_fingerprint: Mapped[str | None] = mapped_column(String(128), default=None)
