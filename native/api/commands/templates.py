"""Template commands: registerTemplate, listTemplates, updateTemplate, deleteTemplate,
copyTemplate, createTemplate, updateTemplatePermissions, listTemplatePermissions.

The ISO commands (`isos.py`) share the machinery here: a template and an ISO are one row,
told apart by `format == "ISO"`.
"""

from __future__ import annotations

import abc
import dataclasses
import json
from typing import ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.api.command import ALL_ROLES, Command, CommandContext, ListOwnedCommand
from native.api.commands.tags import TagResponse
from native.api.params import (
    StringKind,
    boolean,
    integer,
    list_of,
    map_of,
    string,
    uuid_of,
    uuids_of,
)
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.api.visible import anyone, enabled_zone, visible_template
from native.model import Account, Domain, GuestOsType, Snapshot, Template, Volume, Zone
from native.services import accounts
from native.services import tags as tagging
from native.services.caller import Caller
from native.services.errors import InvalidParameterValue
from native.services.os_types import default_os_type
from native.services.templates import copies, from_volume, listing, permissions, registration
from native.services.templates.listing import TemplateView


class TemplateResponse(ResponseObject, object_name="template"):
    id = Field("the template ID")
    name = Field("the template name")
    displaytext = Field("the template display text")
    ispublic = Field("true if this template is a public template, false otherwise", type="boolean")
    created = Field("the date this template was created", type="date")
    removed = Field("the date this template was removed", type="date")
    isready = Field(
        "true if the template is ready to be deployed from, false otherwise.", type="boolean"
    )
    passwordenabled = Field(
        "true if the reset password feature is enabled, false otherwise", type="boolean"
    )
    format = Field("the format of the template.")
    isfeatured = Field(
        "true if this template is a featured template, false otherwise", type="boolean"
    )
    crossZones = Field(
        "true if the template is managed across all Zones, false otherwise", type="boolean"
    )
    ostypeid = Field("the ID of the OS type for this template.")
    ostypename = Field("the name of the OS type for this template.")
    oscategoryid = Field("the ID of the OS category for this template", since="4.21.0")
    oscategoryname = Field("the name of the OS category for this template", since="4.21.0")
    account = Field("the account name to which the template belongs")
    accountid = Field("the account id to which the template belongs")
    zoneid = Field("the ID of the zone for this template")
    zonename = Field("the name of the zone for this template")
    status = Field("the status of the template")
    size = Field("the size of the template", type="long")
    physicalsize = Field("the physical size of the template", type="long", since="4.13.0")
    templatetype = Field("the type of the template")
    hypervisor = Field("the hypervisor on which the template runs")
    domain = Field("the name of the domain to which the template belongs")
    domainid = Field("the ID of the domain to which the template belongs")
    isextractable = Field("true if the template is extractable, false otherwise", type="boolean")
    checksum = Field("checksum of the template")
    sourcetemplateid = Field("the template ID of the parent template if present")
    url = Field("the URL which the template/iso is registered from", since="4.15.0")
    sshkeyenabled = Field("true if template is sshkey enabled, false otherwise", type="boolean")
    isdynamicallyscalable = Field(
        "true if template contains XS/VMWare tools inorder to support dynamic scaling of VM cpu/memory",
        type="boolean",
    )
    bootable = Field("true if the ISO is bootable, false otherwise", type="boolean")
    requireshvm = Field("true if template requires HVM enabled, false otherwise", type="boolean")
    bits = Field("the processor bit size", type="integer", since="4.10")
    details = Field("additional key/value details tied with template", type="map")
    downloaddetails = Field(
        "Lists the download progress of a template across all secondary storages", type="list"
    )
    tags = Field("the list of resource tags associated", of=TagResponse)

    @classmethod
    def of(cls, session: Session, view: TemplateView, *, caller: Caller) -> TemplateResponse:
        template, ready = view.template, view.ready_copy
        shown = ready or (view.copies[0][0] if view.copies else None)
        return cls(
            id=template.uuid,
            name=template.name,
            displaytext=template.display_text,
            ispublic=template.is_public,
            created=template.created,
            removed=template.removed,
            isready=ready is not None,
            passwordenabled=template.password_enabled,
            format=template.format,
            isfeatured=template.is_featured,
            crossZones=template.cross_zones,
            ostypeid=None if view.os_type is None else view.os_type.uuid,
            ostypename=None if view.os_type is None else view.os_type.description,
            oscategoryid=None if view.category is None else view.category.uuid,
            oscategoryname=None if view.category is None else view.category.name,
            account=view.owner.name,
            accountid=view.owner.uuid,
            zoneid=None if view.zone is None else view.zone.uuid,
            zonename=None if view.zone is None else view.zone.name,
            status=None if shown is None else shown.status,
            size=None if ready is None else ready.size or template.size,
            physicalsize=None if ready is None else ready.physical_size,
            templatetype=template.template_type,
            hypervisor=template.hypervisor_type,
            domain=view.domain.name,
            domainid=view.domain.uuid,
            isextractable=template.is_extractable,
            checksum=template.checksum,
            sourcetemplateid=_source_uuid(session, template),
            url=template.url if permissions.can_manage(session, caller, template) else None,
            sshkeyenabled=template.ssh_key_enabled,
            isdynamicallyscalable=template.is_dynamically_scalable,
            bootable=template.bootable,
            requireshvm=template.requires_hvm,
            bits=template.bits,
            details=json.loads(template.details) if template.details else None,
            downloaddetails=[
                {
                    "datastore": store.name,
                    "datastoreId": store.uuid,
                    "downloadPercent": str(copy.download_percent),
                    "downloadState": copy.download_state,
                }
                for copy, store in view.copies
            ],
            tags=[TagResponse.of(tag, session=session) for tag in view.tags],
        )


def _source_uuid(session: Session, template: Template) -> str | None:
    if template.source_template_id is None:
        return None
    source = session.get(Template, template.source_template_id)
    return None if source is None else source.uuid


class ImageCommand(Command):
    """A template or ISO command; `iso` says which, `image_response` what it answers."""

    iso: ClassVar[bool] = False
    image_response: ClassVar[type[TemplateResponse]] = TemplateResponse

    def image(self, template: Template) -> Template:
        """The template, if it is of this command's kind (template or ISO); 431 otherwise."""
        if (template.format == "ISO") != self.iso:
            raise InvalidParameterValue(
                f"Please specify a valid {'ISO' if self.iso else 'template'}: "
                f"{template.uuid} is {'a template' if self.iso else 'an ISO'}"
            )
        return template

    def render(
        self, ctx: CommandContext, template: Template, *, zone: Zone | None = None
    ) -> list[ResponseObject]:
        return [
            self.image_response.of(ctx.session, view, caller=ctx.caller)
            for view in listing.views_of_template(ctx.session, template, zone=zone)
        ]


def owner_of(ctx: CommandContext, *, account: str | None, domain: Domain | None) -> Account:
    """The account that will own a new image: the caller's, or `account` in `domain`."""
    if account is None:
        owner = ctx.session.get(Account, ctx.caller.account_id)
        assert owner is not None
        return owner
    return accounts.find_account(
        ctx.session, caller=ctx.caller, account=None, name=account, domain=domain
    )


class RegisterImage(ImageCommand):
    """The parameters registerTemplate and registerIso share."""

    name = string(description="the name of the image").required()
    displaytext = string(
        description="the display text of the image, defaults to the name", length=4096
    )
    url = string(
        description="the URL of where the image is hosted (http, https or file)", length=2048
    ).required()
    zoneid = string(
        description="the ID of the zone the image is to be hosted on; -1 for every zone", length=40
    )
    ostypeid = uuid_of(
        GuestOsType,
        visible=anyone,
        description="the ID of the OS Type that best represents the OS of this image.",
    )
    checksum = string(
        description="the checksum value of this image: {ALGORITHM}hex or a bare MD5 hex digest"
    )
    ispublic = boolean(
        description="true if the image is available to all accounts; default is false"
    )
    isfeatured = boolean(description="true if this image is a featured image, false otherwise")
    isextractable = boolean(
        description="true if the image or its derivatives are extractable; default is false"
    )
    passwordenabled = boolean(
        description="true if the image supports the password reset feature; default is false"
    )
    isdynamicallyscalable = boolean(
        description="true if the image contains XS/VMWare tools inorder to support dynamic scaling of VM cpu/memory"
    )
    account = string(description="an optional account name; must be used with domainId.")
    domainid = uuid_of(
        Domain,
        description="an optional domainId. If the account parameter is used, domainId must also be used.",
    )

    def zone_ids(self) -> list[str]:
        return [self.zoneid] if self.zoneid else []

    def spec(
        self, ctx: CommandContext, *, image_format: str, hypervisor: str
    ) -> registration.ImageSpec:
        os_type = self.ostypeid or _default_os_type(ctx.session)
        return registration.ImageSpec(
            name=self.name,
            display_text=self.displaytext,
            format=image_format,
            hypervisor=hypervisor,
            os_type=os_type,
            url=registration.check_url(self.url, caller=ctx.caller),
            checksum=registration.parse_checksum(self.checksum),
            is_public=bool(self.ispublic),
            is_featured=bool(self.isfeatured),
            is_extractable=bool(self.isextractable),
            password_enabled=bool(self.passwordenabled),
            is_dynamically_scalable=bool(self.isdynamicallyscalable),
        )

    def register(self, ctx: CommandContext, spec: registration.ImageSpec) -> ListResult:
        zones, cross = registration.zones_for(
            ctx.session, zone_ids=self.zone_ids(), visible=ctx.caller.is_root_admin
        )
        template = registration.register(
            ctx.session,
            ctx.runtime.settings,
            caller=ctx.caller,
            owner=owner_of(ctx, account=self.account, domain=self.domainid),
            spec=spec,
            zones=zones,
            cross_zones=cross,
        )
        items = self.render(ctx, template)
        return ListResult(items, len(items))


def _default_os_type(session: Session) -> GuestOsType:
    found = default_os_type(session)
    if found is None:
        raise InvalidParameterValue("Please specify ostypeid: no default OS type is defined")
    return found


class RegisterTemplate(
    RegisterImage,
    api="registerTemplate",
    response=TemplateResponse,
    authorized=ALL_ROLES,
    event="TEMPLATE.CREATE",
    entity_type="Template",
):
    """Registers an existing template into the CloudStack cloud.

    The template is downloaded in the background into the image store of each zone; its
    `status` shows the progress ("45% Downloaded") until `isready` is true.
    """

    zoneids = list_of(
        StringKind(),
        description="A list of zone ids where the template will be hosted. Use this parameter if the template needs to be registered to multiple zones in one go. Use zoneid if the template needs to be registered to all zones",
        since="4.13",
    )
    format = string(
        description="the format for the template. Possible values include QCOW2, RAW, VHD and OVA."
    ).required()
    hypervisor = string(description="the target hypervisor for the template").required()
    bits = integer(description="32 or 64 bits support. 64 by default")
    requireshvm = boolean(description="true if this template requires HVM")
    sshkeyenabled = boolean(
        description="true if the template supports the sshkey upload feature; default is false"
    )
    details = map_of(
        description="Template details in key/value pairs using format details[i].keyname=keyvalue."
    )

    def zone_ids(self) -> list[str]:
        return super().zone_ids() + list(self.zoneids or [])

    def execute(self, ctx: CommandContext) -> ListResult:
        spec = dataclasses.replace(
            self.spec(
                ctx,
                image_format=registration.check_format(self.format, iso=False),
                hypervisor=registration.check_hypervisor(
                    self.hypervisor, known=ctx.runtime.drivers.hypervisor_types
                ),
            ),
            bits=self.bits or 64,
            requires_hvm=self.requireshvm is not False,
            ssh_key_enabled=bool(self.sshkeyenabled),
            details=registration.details_json(self.details),
        )
        return self.register(ctx, spec)


FILTER_DESCRIPTION = (
    'possible values are "featured", "self", "selfexecutable", "sharedexecutable", '
    '"executable", and "community"; "all" for root admins'
)


class ListImages(ListOwnedCommand, ImageCommand):
    """The parameters listTemplates and listIsos share."""

    id = uuid_of(Template, visible=visible_template, description="the image ID")
    ids = uuids_of(
        Template,
        visible=visible_template,
        description="the IDs of the images, mutually exclusive with id",
        since="4.9",
    )
    name = string(description="the image name")
    zoneid = uuid_of(Zone, visible=enabled_zone, description="list images by zoneId")
    hypervisor = string(description="the hypervisor for which to restrict the search")
    showremoved = boolean(description="show removed images as well")
    tags = map_of(description="List resources by tags (key/value pairs)")

    @abc.abstractmethod
    def chosen_filter(self) -> str:
        """The `templatefilter` (or `isofilter`) asked for."""

    def query(self, ctx: CommandContext) -> listing.Query:
        ids = [self.id.id] if self.id is not None else [row.id for row in self.ids or []]
        return listing.Query(
            filter=self.chosen_filter(),
            iso=self.iso,
            owners=self.owner_clause(ctx),
            ids=ids,
            name=self.name,
            keyword=self.keyword,
            zone=self.zoneid,
            hypervisor=self.hypervisor,
            show_removed=bool(self.showremoved),
            tags=tagging.tags_param(self.tags),
        )

    def listed(self, ctx: CommandContext, query: listing.Query) -> ListResult:
        offset, limit = self.paging(ctx)
        views, count = listing.page(ctx.session, ctx.caller, query, offset=offset, limit=limit)
        return ListResult(
            [self.image_response.of(ctx.session, view, caller=ctx.caller) for view in views], count
        )


class ListTemplates(
    ListImages, api="listTemplates", response=TemplateResponse, authorized=ALL_ROLES
):
    """List all public, private, and privileged templates.

    One entry per template per zone holding a copy of it.
    """

    templatefilter = string(description=FILTER_DESCRIPTION).required()

    def chosen_filter(self) -> str:
        return self.templatefilter

    def execute(self, ctx: CommandContext) -> ListResult:
        return self.listed(ctx, self.query(ctx))


class UpdateImage(ImageCommand):
    """The parameters updateTemplate and updateIso share."""

    id = uuid_of(Template, visible=visible_template, description="the ID of the image").required()
    name = string(description="the name of the image")
    displaytext = string(description="the display text of the image", length=4096)
    ostypeid = uuid_of(
        GuestOsType,
        visible=anyone,
        description="the ID of the OS type that best represents the OS of this image.",
    )
    passwordenabled = boolean(
        description="true if the image supports the password reset feature; default is false"
    )
    sshkeyenabled = boolean(
        description="true if the image supports the sshkey upload feature; default is false"
    )
    isdynamicallyscalable = boolean(
        description="true if the image contains XS/VMWare tools inorder to support dynamic scaling of VM cpu/memory"
    )
    sortkey = integer(description="sort key of the image, integer")
    bootable = boolean(description="true if image is bootable, false otherwise")
    requireshvm = boolean(description="true if the image requires HVM, false otherwise")

    def apply(self, ctx: CommandContext, **more: object) -> list[ResponseObject]:
        template = self.image(self.id)
        permissions.check_manage(ctx.session, ctx.caller, template)
        changes: dict[str, object] = {
            "name": self.name,
            "display_text": self.displaytext,
            "password_enabled": self.passwordenabled,
            "ssh_key_enabled": self.sshkeyenabled,
            "is_dynamically_scalable": self.isdynamicallyscalable,
            "sort_key": self.sortkey,
            "bootable": self.bootable,
            "requires_hvm": self.requireshvm,
            **more,
        }
        if self.name is not None and not self.name.strip():
            raise InvalidParameterValue("The name of an image cannot be empty")
        if self.ostypeid is not None:
            template.os_type_id = self.ostypeid.id
        for attribute, value in changes.items():
            if value is not None:
                setattr(template, attribute, value)
        ctx.session.flush()
        return self.render(ctx, template)


class UpdateTemplate(
    UpdateImage,
    api="updateTemplate",
    response=TemplateResponse,
    authorized=ALL_ROLES,
    event="TEMPLATE.UPDATE",
    entity_type="Template",
):
    """Updates attributes of a template."""

    format = string(description="the format for the image")

    def execute(self, ctx: CommandContext) -> ResponseObject:
        image_format = None
        if self.format is not None:
            image_format = registration.check_format(self.format, iso=False)
        return self.apply(ctx, format=image_format)[0]


class DeleteImage(ImageCommand):
    """The parameters deleteTemplate and deleteIso share."""

    id = uuid_of(Template, visible=visible_template, description="the ID of the image").required()
    zoneid = uuid_of(
        Zone,
        visible=enabled_zone,
        description="the ID of zone of the image; every zone when absent",
    )

    def forced(self) -> bool:
        return False

    def create(self, ctx: CommandContext) -> None:
        copies.check_deletable(
            ctx.session,
            caller=ctx.caller,
            template=self.image(self.id),
            zone=self.zoneid,
            forced=self.forced(),
        )

    def execute(self, ctx: CommandContext) -> SuccessResult:
        copies.delete_template(
            ctx.session,
            ctx.runtime,
            caller=ctx.caller,
            template=self.image(self.id),
            zone=self.zoneid,
            forced=self.forced(),
        )
        return SuccessResult()


class DeleteTemplate(
    DeleteImage,
    api="deleteTemplate",
    is_async=True,
    authorized=ALL_ROLES,
    event="TEMPLATE.DELETE",
    entity_type="Template",
):
    """Deletes a template from the system. All virtual machines using the deleted template
    will not be affected."""

    forced_ = boolean(
        description="Force delete a template even if VMs are using it.",
        since="4.9+",
        api_name="forced",
    )

    def forced(self) -> bool:
        return bool(self.forced_)


class CopyImage(ImageCommand):
    """The parameters copyTemplate and copyIso share."""

    id = uuid_of(Template, visible=visible_template, description="the ID of the image").required()
    sourcezoneid = uuid_of(
        Zone,
        visible=enabled_zone,
        description="ID of the zone the image is currently hosted on. If not specified and the image has a copy in only one zone, that zone is used.",
    )
    destzoneid = uuid_of(
        Zone, visible=enabled_zone, description="ID of the zone the image is being copied to."
    )
    destzoneids = uuids_of(
        Zone,
        visible=enabled_zone,
        description="A list of IDs of the zones that the image needs to be copied to.",
        since="4.19",
    )

    def targets(self) -> list[Zone]:
        found = ([self.destzoneid] if self.destzoneid is not None else []) + list(
            self.destzoneids or []
        )
        return list({zone.id: zone for zone in found}.values())

    def create(self, ctx: CommandContext) -> None:
        copies.check_copyable(
            ctx.session,
            caller=ctx.caller,
            template=self.image(self.id),
            source=self.sourcezoneid,
            targets=self.targets(),
        )

    def execute(self, ctx: CommandContext) -> ResponseObject:
        targets = self.targets()
        copies.copy_template(
            ctx.session,
            ctx.runtime,
            caller=ctx.caller,
            template=self.image(self.id),
            source=self.sourcezoneid,
            targets=targets,
        )
        return self.render(ctx, self.id, zone=targets[0])[0]


class CopyTemplate(
    CopyImage,
    api="copyTemplate",
    is_async=True,
    response=TemplateResponse,
    authorized=ALL_ROLES,
    event="TEMPLATE.COPY",
    entity_type="Template",
):
    """Copies a template from one zone to another."""


class TemplatePermissionsResponse(ResponseObject, object_name="templatepermission"):
    id = Field("the template ID")
    ispublic = Field("true if this template is a public template, false otherwise", type="boolean")
    domainid = Field("the ID of the domain to which the template belongs")
    account = Field("the list of accounts the template is available for", type="list")
    accountids = Field(
        "the IDs of the accounts the template is available for, in the order of account "
        "(Alto extension)",
        type="list",
    )
    projectids = Field("the list of projects the template is available for", type="list")


class UpdateImagePermissions(ImageCommand):
    """The parameters updateTemplatePermissions and updateIsoPermissions share."""

    id = uuid_of(Template, visible=visible_template, description="the image ID").required()
    accounts = list_of(
        StringKind(),
        description='a comma delimited list of accounts within caller\'s domain. If specified, "op" parameter has to be passed in.',
    )
    projectids = list_of(
        StringKind(),
        description='a comma delimited list of projects. If specified, "op" parameter has to be passed in.',
    )
    accountids = list_of(
        StringKind(),
        description='a comma delimited list of IDs of accounts within the owner\'s domain (Alto extension). If specified, "op" parameter has to be passed in.',
    )
    op = string(description="permission operator (add, remove, reset)")
    ispublic = boolean(description="true for a public image, false for private")
    isfeatured = boolean(description="true for featured image, false otherwise")
    isextractable = boolean(description="true if the image is extractable, false other wise")

    def execute(self, ctx: CommandContext) -> SuccessResult:
        if self.projectids:
            raise InvalidParameterValue("Projects are not supported: projectids cannot be given")
        permissions.update_permissions(
            ctx.session,
            caller=ctx.caller,
            template=self.image(self.id),
            accounts=self.accounts,
            account_uuids=self.accountids,
            operation=self.op,
            is_public=self.ispublic,
            is_featured=self.isfeatured,
            is_extractable=self.isextractable,
        )
        return SuccessResult()


class UpdateTemplatePermissions(
    UpdateImagePermissions,
    api="updateTemplatePermissions",
    authorized=ALL_ROLES,
    event="TEMPLATE.UPDATE",
    entity_type="Template",
):
    """Updates a template visibility permissions. A public template is visible to all
    accounts within the same domain. A private template is visible only to the owner of the
    template. A privileged template is a private template with account permissions added.
    Only accounts specified under the template permissions are visible to them."""


class ListImagePermissions(ImageCommand):
    """The parameters listTemplatePermissions and listIsoPermissions share."""

    id = uuid_of(Template, visible=visible_template, description="the image ID").required()

    def execute(self, ctx: CommandContext) -> TemplatePermissionsResponse:
        template = self.image(self.id)
        permissions.check_manage(ctx.session, ctx.caller, template)
        domain = ctx.session.get(Domain, template.domain_id)
        assert domain is not None
        permitted = permissions.permitted_accounts(ctx.session, template)
        return TemplatePermissionsResponse(
            id=template.uuid,
            ispublic=template.is_public,
            domainid=domain.uuid,
            account=[account.name for account in permitted],
            accountids=[account.uuid for account in permitted],
        )


class ListTemplatePermissions(
    ListImagePermissions,
    api="listTemplatePermissions",
    response=TemplatePermissionsResponse,
    authorized=ALL_ROLES,
):
    """List template visibility and all accounts that have permissions to view this template."""


class CreateTemplate(
    ImageCommand,
    api="createTemplate",
    is_async=True,
    response=TemplateResponse,
    authorized=ALL_ROLES,
    event="TEMPLATE.CREATE",
    entity_type="Template",
):
    """Creates a template of a virtual machine. The virtual machine must be in a STOPPED
    state. A template created from this command is automatically designated as a private
    template visible to the account that created it.

    Alto extensions: `sourcetemplateid` makes the caller's own copy of a ready template it
    may launch (in the zone of the source's first ready copy); without `ostypeid` the new
    template takes the source template's OS type, or the default one.
    """

    name = string(description="the name of the template").required()
    displaytext = string(
        description="The display text of the template, defaults to the 'name'.", length=4096
    )
    ostypeid = uuid_of(
        GuestOsType,
        visible=anyone,
        description="the ID of the OS Type that best represents the OS of this template; the source template's or the default one when absent (Alto extension)",
    )
    volumeid = uuid_of(
        Volume,
        description="the ID of the disk volume the template is being created from. Either this parameter, or snapshotId has to be passed in",
    )
    snapshotid = uuid_of(
        Snapshot,
        description="the ID of the snapshot the template is being created from. Either this parameter, or volumeId has to be passed in",
    )
    sourcetemplateid = uuid_of(
        Template,
        visible=visible_template,
        description="the ID of a ready template the caller may launch, to copy into a new template of the caller's (Alto extension)",
    )
    ispublic = boolean(description="true if this template is a public template, false otherwise")
    isfeatured = boolean(
        description="true if this template is a featured template, false otherwise"
    )
    passwordenabled = boolean(
        description="true if the template supports the password reset feature; default is false"
    )
    sshkeyenabled = boolean(
        description="true if the template supports the sshkey upload feature; default is false",
        since="4.20",
    )
    isdynamicallyscalable = boolean(
        description="true if template contains XS/VMWare tools inorder to support dynamic scaling of VM cpu/memory"
    )
    requireshvm = boolean(description="true if the template requires HVM, false otherwise")
    bits = integer(description="32 or 64 bit")
    details = map_of(
        description="Template details in key/value pairs using format details[i].keyname=keyvalue."
    )

    def _spec(self, ctx: CommandContext) -> registration.ImageSpec:
        source_format = self.volumeid.format if self.volumeid is not None else "QCOW2"
        return registration.ImageSpec(
            name=self.name,
            display_text=self.displaytext,
            format=source_format,
            hypervisor=self._source_hypervisor(ctx),
            os_type=self.ostypeid or self._source_os_type(ctx),
            is_public=bool(self.ispublic),
            is_featured=bool(self.isfeatured),
            password_enabled=bool(self.passwordenabled),
            ssh_key_enabled=bool(self.sshkeyenabled),
            is_dynamically_scalable=bool(self.isdynamicallyscalable),
            requires_hvm=self.requireshvm is not False,
            bits=self.bits or (64 if self.sourcetemplateid is None else self.sourcetemplateid.bits),
            details=registration.details_json(self.details),
        )

    def _source_hypervisor(self, ctx: CommandContext) -> str:
        if self.sourcetemplateid is not None:
            return self.sourcetemplateid.hypervisor_type
        volume = self.volumeid
        if volume is None and self.snapshotid is not None:
            volume = ctx.session.get(Volume, self.snapshotid.volume_id)
        found = None if volume is None else from_volume.hypervisor_of(ctx.session, volume)
        return found or ctx.runtime.drivers.hypervisor_types[0]

    def _source_os_type(self, ctx: CommandContext) -> GuestOsType:
        source = self.sourcetemplateid
        found = None if source is None else ctx.session.get(GuestOsType, source.os_type_id)
        return found or _default_os_type(ctx.session)

    def create(self, ctx: CommandContext) -> str:
        template = from_volume.prepare(
            ctx.session,
            ctx.runtime.settings,
            caller=ctx.caller,
            spec=self._spec(ctx),
            volume=self.volumeid,
            snapshot=self.snapshotid,
            source_template=self.sourcetemplateid,
        )
        return template.uuid

    def execute(self, ctx: CommandContext) -> ResponseObject:
        assert ctx.instance_id is not None
        template = ctx.session.scalars(
            select(Template).where(Template.uuid == ctx.instance_id)
        ).one()
        zone = from_volume.fill(ctx.session, ctx.runtime, caller=ctx.caller, template=template)
        return self.render(ctx, template, zone=zone)[0]
