"""Guest OS commands: listOsTypes, listOsCategories."""

from __future__ import annotations

from sqlalchemy import func, select

from native.api.command import ALL_ROLES, CommandContext, ListCommand
from native.api.params import string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject
from native.api.visible import anyone
from native.model import GuestOsCategory, GuestOsType


class OsTypeResponse(ResponseObject, object_name="ostype"):
    id = Field("the ID of the OS type")
    name = Field("the name of the OS type", since="4.18.0")
    description = Field("the name/description of the OS type")
    oscategoryid = Field("the ID of the OS category")
    oscategoryname = Field("the name of the OS category", since="4.18.0")
    isuserdefined = Field("is the guest OS user defined", type="boolean")
    fordisplay = Field("is the guest OS visible for the users", type="boolean", since="4.18.0")

    @classmethod
    def of(cls, os_type: GuestOsType, category: GuestOsCategory) -> OsTypeResponse:
        return cls(
            id=os_type.uuid,
            name=os_type.description,
            description=os_type.description,
            oscategoryid=category.uuid,
            oscategoryname=category.name,
            isuserdefined=os_type.is_user_defined,
            fordisplay=True,
        )


class OsCategoryResponse(ResponseObject, object_name="oscategory"):
    id = Field("the ID of the OS category")
    name = Field("the name of the OS category")


class ListOsTypes(ListCommand, api="listOsTypes", response=OsTypeResponse, authorized=ALL_ROLES):
    """Lists all supported OS types for this cloud."""

    id = uuid_of(GuestOsType, visible=anyone, description="list by Os type Id")
    oscategoryid = string(description="list by Os Category id", length=40)
    description = string(description="list os by description", since="3.0.1")

    def execute(self, ctx: CommandContext) -> ListResult:
        query = (
            select(GuestOsType, GuestOsCategory)
            .join(GuestOsCategory, GuestOsCategory.id == GuestOsType.category_id)
            .where(GuestOsType.removed.is_(None))
        )
        if self.id is not None:
            query = query.where(GuestOsType.id == self.id.id)
        if self.oscategoryid is not None:
            query = query.where(GuestOsCategory.uuid == self.oscategoryid)
        if self.description is not None:
            query = query.where(GuestOsType.description == self.description)
        if self.keyword:
            query = query.where(GuestOsType.description.contains(self.keyword, autoescape=True))
        offset, limit = self.paging(ctx)
        count = ctx.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = ctx.session.execute(
            query.order_by(GuestOsType.description).offset(offset).limit(limit)
        )
        return ListResult(
            [OsTypeResponse.of(os_type, category) for os_type, category in rows], count
        )


class ListOsCategories(
    ListCommand, api="listOsCategories", response=OsCategoryResponse, authorized=ALL_ROLES
):
    """Lists all supported OS categories for this cloud."""

    id = string(description="list Os category by id", length=40)
    name = string(description="list os category by name", since="3.0.1")

    def execute(self, ctx: CommandContext) -> ListResult:
        query = select(GuestOsCategory)
        if self.id is not None:
            query = query.where(GuestOsCategory.uuid == self.id)
        if self.name is not None:
            query = query.where(GuestOsCategory.name == self.name)
        if self.keyword:
            query = query.where(GuestOsCategory.name.contains(self.keyword, autoescape=True))
        rows, count = self.page_of_query(ctx, query, GuestOsCategory.name)
        return ListResult([OsCategoryResponse(id=row.uuid, name=row.name) for row in rows], count)
