"""Guest OS types, templates and ISOs, their copies on image stores and primary storage
pools, and launch permissions."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from native.model.base import Base, Identified, Lifetime


class GuestOsCategory(Identified, Base):
    """A family of guest operating systems (CentOS, Debian, Windows…)."""

    __tablename__ = "guest_os_category"

    name: Mapped[str] = mapped_column(String(255), unique=True)


class GuestOsType(Identified, Lifetime, Base):
    """One guest OS (`listOsTypes`)."""

    __tablename__ = "guest_os"

    category_id: Mapped[int] = mapped_column(ForeignKey("guest_os_category.id"))
    description: Mapped[str] = mapped_column(String(255), unique=True)
    is_user_defined: Mapped[bool] = mapped_column(Boolean, default=False)


class Template(Identified, Lifetime, Base):
    """A template or, with `format` ISO, an ISO image.

    `template_type` is CloudStack's USER, BUILTIN, SYSTEM, PERHOST or ROUTING. `size` is the
    virtual size in bytes once known. Where the image lives is in `TemplateStore` rows.
    """

    __tablename__ = "template"

    name: Mapped[str] = mapped_column(String(255), index=True)
    display_text: Mapped[str] = mapped_column(String(4096))
    format: Mapped[str] = mapped_column(String(16), index=True)
    template_type: Mapped[str] = mapped_column(String(16), default="USER")
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id"), index=True)
    os_type_id: Mapped[int] = mapped_column(ForeignKey("guest_os.id"))
    hypervisor_type: Mapped[str] = mapped_column(String(32))
    url: Mapped[str | None] = mapped_column(String(2048), default=None)
    checksum: Mapped[str | None] = mapped_column(String(255), default=None)
    is_public: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    is_featured: Mapped[bool] = mapped_column(Boolean, default=False)
    is_extractable: Mapped[bool] = mapped_column(Boolean, default=False)
    bootable: Mapped[bool] = mapped_column(Boolean, default=True)
    password_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    ssh_key_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    is_dynamically_scalable: Mapped[bool] = mapped_column(Boolean, default=False)
    cross_zones: Mapped[bool] = mapped_column(Boolean, default=False)
    requires_hvm: Mapped[bool] = mapped_column(Boolean, default=True)
    bits: Mapped[int] = mapped_column(Integer, default=64)
    size: Mapped[int | None] = mapped_column(BigInteger, default=None)
    source_template_id: Mapped[int | None] = mapped_column(ForeignKey("template.id"), default=None)
    source_snapshot_id: Mapped[int | None] = mapped_column(Integer, default=None)
    source_volume_id: Mapped[int | None] = mapped_column(Integer, default=None)
    details: Mapped[str | None] = mapped_column(Text, default=None)
    sort_key: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16), default="Active")


class TemplateStore(Identified, Base):
    """A template's copy on one image store of one zone, with its download progress.

    `download_state` is CloudStack's NOT_DOWNLOADED, DOWNLOAD_IN_PROGRESS, DOWNLOADED,
    DOWNLOAD_ERROR or ABANDONED; `status` the human text (`45% Downloaded`). `owner_msid` is
    the management server whose worker is filling the copy (set while DOWNLOAD_IN_PROGRESS).
    """

    __tablename__ = "template_store"
    __table_args__ = (UniqueConstraint("template_id", "store_id"),)

    template_id: Mapped[int] = mapped_column(ForeignKey("template.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("image_store.id"), index=True)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zone.id"), default=None, index=True)
    download_state: Mapped[str] = mapped_column(String(32), default="NOT_DOWNLOADED", index=True)
    download_percent: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str | None] = mapped_column(String(1024), default=None)
    install_path: Mapped[str | None] = mapped_column(String(1024), default=None)
    size: Mapped[int | None] = mapped_column(BigInteger, default=None)
    physical_size: Mapped[int | None] = mapped_column(BigInteger, default=None)
    state: Mapped[str] = mapped_column(String(16), default="Allocated")
    owner_msid: Mapped[str | None] = mapped_column(String(40), default=None)


class TemplatePoolCopy(Base):
    """A template's copy on one primary storage pool, the base of copy-on-write volumes
    (CloudStack's `template_spool_ref`). `size` bytes of the pool's capacity are reserved for
    it from the first volume that needs it until the copy is removed."""

    __tablename__ = "template_pool_copy"
    __table_args__ = (UniqueConstraint("template_id", "pool_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("template.id"), index=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("storage_pool.id"), index=True)
    size: Mapped[int] = mapped_column(BigInteger)


class TemplatePermission(Base):
    """An account allowed to launch a private template (`updateTemplatePermissions`)."""

    __tablename__ = "template_permission"

    template_id: Mapped[int] = mapped_column(ForeignKey("template.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), primary_key=True)
