"""ISO commands: registerIso, listIsos, updateIso, deleteIso, copyIso, updateIsoPermissions,
listIsoPermissions (attachIso/detachIso are VM commands)."""

from __future__ import annotations

import dataclasses

from native.api.command import ALL_ROLES, CommandContext
from native.api.commands.templates import (
    FILTER_DESCRIPTION,
    CopyImage,
    DeleteImage,
    ListImagePermissions,
    ListImages,
    RegisterImage,
    TemplatePermissionsResponse,
    TemplateResponse,
    UpdateImage,
    UpdateImagePermissions,
)
from native.api.params import boolean, string
from native.api.responses import ListResult, ResponseObject
from native.services.templates import registration

ISO_HYPERVISOR = "None"


class IsoResponse(TemplateResponse, object_name="iso"):
    """An ISO: the template fields, wrapped as `iso`."""


class RegisterIso(
    RegisterImage,
    api="registerIso",
    response=IsoResponse,
    authorized=ALL_ROLES,
    event="ISO.CREATE",
    entity_type="ISO",
):
    """Registers an existing ISO into the CloudStack Cloud.

    The ISO is downloaded in the background into the image store of each zone; its
    `status` shows the progress until `isready` is true.
    """

    iso = True
    image_response = IsoResponse

    zoneid = string(
        description="the ID of the zone you wish to register the ISO to; -1 for every zone",
        length=40,
    ).required()
    bootable = boolean(
        description="true if this ISO is bootable. If not passed explicitly its assumed to be true"
    )

    def execute(self, ctx: CommandContext) -> ListResult:
        spec = dataclasses.replace(
            self.spec(ctx, image_format=registration.ISO_FORMAT, hypervisor=ISO_HYPERVISOR),
            bootable=self.bootable is not False,
        )
        return self.register(ctx, spec)


class ListIsos(ListImages, api="listIsos", response=IsoResponse, authorized=ALL_ROLES):
    """Lists all available ISO files."""

    iso = True
    image_response = IsoResponse

    isofilter = string(description=FILTER_DESCRIPTION + "; defaults to executable")
    bootable = boolean(description="true if the ISO is bootable, false otherwise")
    isready = boolean(description="true if this ISO is ready to be deployed")
    ispublic = boolean(
        description="true if the ISO is publicly available to all users, false otherwise."
    )

    def chosen_filter(self) -> str:
        return self.isofilter or "executable"

    def execute(self, ctx: CommandContext) -> ListResult:
        query = dataclasses.replace(
            self.query(ctx), is_ready=self.isready, bootable=self.bootable, is_public=self.ispublic
        )
        return self.listed(ctx, query)


class UpdateIso(
    UpdateImage,
    api="updateIso",
    response=IsoResponse,
    authorized=ALL_ROLES,
    event="ISO.UPDATE",
    entity_type="ISO",
):
    """Updates an ISO file."""

    iso = True
    image_response = IsoResponse

    def execute(self, ctx: CommandContext) -> ResponseObject:
        return self.apply(ctx)[0]


class DeleteIso(
    DeleteImage,
    api="deleteIso",
    is_async=True,
    authorized=ALL_ROLES,
    event="ISO.DELETE",
    entity_type="ISO",
):
    """Deletes an ISO file."""

    iso = True
    image_response = IsoResponse


class CopyIso(
    CopyImage,
    api="copyIso",
    is_async=True,
    response=IsoResponse,
    authorized=ALL_ROLES,
    event="ISO.COPY",
    entity_type="ISO",
):
    """Copies an ISO from one zone to another."""

    iso = True
    image_response = IsoResponse


class UpdateIsoPermissions(
    UpdateImagePermissions,
    api="updateIsoPermissions",
    authorized=ALL_ROLES,
    event="ISO.UPDATE",
    entity_type="ISO",
):
    """Updates ISO permissions"""

    iso = True
    image_response = IsoResponse


class ListIsoPermissions(
    ListImagePermissions,
    api="listIsoPermissions",
    response=TemplatePermissionsResponse,
    authorized=ALL_ROLES,
):
    """List ISO visibility and all accounts that have permissions to view this ISO."""

    iso = True
    image_response = IsoResponse
