"""Image store commands: addImageStore, listImageStores, updateImageStore, deleteImageStore."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from native.api.command import Command, CommandContext, ListCommand
from native.api.params import boolean, map_of, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.model import ImageStore, Zone
from native.services.infrastructure import image_stores
from native.services.infrastructure.image_stores import NewImageStore


class ImageStoreResponse(ResponseObject, object_name="imagestore"):
    id = Field("the ID of the image store")
    name = Field("the name of the image store")
    url = Field("the url of the image store")
    protocol = Field("the protocol of the image store")
    providername = Field("the provider name of the image store")
    scope = Field("the scope of the image store")
    zoneid = Field("the Zone ID of the image store")
    zonename = Field("the Zone name of the image store")
    readonly = Field("defines if store is read-only", type="boolean", since="4.15.0")
    disksizetotal = Field("the total disk size of the host", type="long", since="4.15.0")
    disksizeused = Field("the host's currently used disk size", type="long", since="4.15.0")

    @classmethod
    def of(cls, session: Session, store: ImageStore) -> ImageStoreResponse:
        zone = None if store.zone_id is None else session.get(Zone, store.zone_id)
        return cls(
            id=store.uuid,
            name=store.name,
            url=store.url,
            protocol=store.protocol,
            providername=store.provider,
            scope=store.scope,
            zoneid=None if zone is None else zone.uuid,
            zonename=None if zone is None else zone.name,
            readonly=store.readonly,
            disksizetotal=store.capacity_bytes,
            disksizeused=store.used_bytes,
        )


class AddImageStore(
    Command,
    api="addImageStore",
    response=ImageStoreResponse,
    entity_type="ImageStore",
    since="4.2.0",
):
    """Adds backup image store.

    url is file:///path (provider Local), nfs://server/export (NFS) or s3://bucket/prefix
    (S3, with details endpoint, accesskey and secretkey; the secret is encrypted at rest).
    The store is checked through its driver first: 534 if it cannot be reached.
    """

    name = string(description="the name for the image store")
    url = string(description="the URL for the image store", length=2048)
    provider = string(description="the image store provider name").required()
    zoneid = uuid_of(Zone, description="the Zone ID for the image store")
    details = map_of(
        description="the details for the image store. Example: details[0].key=accesskey&details[0].value=s389ddssaa&details[1].key=secretkey&details[1].value=8dshfsss"
    )

    def execute(self, ctx: CommandContext) -> ImageStoreResponse:
        store = image_stores.add_image_store(
            ctx.session,
            ctx.runtime,
            zone=self.zoneid,
            new=NewImageStore(
                url=self.url,
                name=self.name,
                provider=self.provider,
                details=image_stores.details_of(self.details),
            ),
        )
        return ImageStoreResponse.of(ctx.session, store)


class UpdateImageStore(
    Command,
    api="updateImageStore",
    response=ImageStoreResponse,
    entity_type="ImageStore",
    since="4.15.0",
):
    """Updates image store read-only status"""

    id = uuid_of(ImageStore, description="Image Store UUID").required()
    name = string(description="The new name for the Image Store.", since="4.19.0")
    readonly = boolean(
        description="If set to true, it designates the corresponding image store to read-only, hence not considering them during storage migration"
    )

    def execute(self, ctx: CommandContext) -> ImageStoreResponse:
        store = image_stores.update_image_store(
            ctx.session, store=self.id, name=self.name, readonly=self.readonly
        )
        return ImageStoreResponse.of(ctx.session, store)


class DeleteImageStore(Command, api="deleteImageStore", entity_type="ImageStore", since="4.2.0"):
    """Deletes an image store or Secondary Storage.

    Refused (536) while it holds ready or downloading templates or live snapshots.
    """

    id = uuid_of(ImageStore, description="The image store ID or Secondary Storage ID.").required()

    def execute(self, ctx: CommandContext) -> SuccessResult:
        image_stores.delete_image_store(ctx.session, store=self.id)
        return SuccessResult()


class ListImageStores(
    ListCommand, api="listImageStores", response=ImageStoreResponse, since="4.2.0"
):
    """Lists image stores."""

    id = uuid_of(ImageStore, description="the ID of the storage pool")
    name = string(description="the name of the image store")
    zoneid = uuid_of(Zone, description="the Zone ID for the image store")
    provider = string(description="the image store provider")
    protocol = string(description="the image store protocol")
    readonly = boolean(description="read-only status of the image store", since="4.15.0")

    def execute(self, ctx: CommandContext) -> ListResult:
        query = select(ImageStore).where(ImageStore.removed.is_(None))
        for value, column in (
            (self.id and self.id.id, ImageStore.id),
            (self.name, ImageStore.name),
            (self.zoneid and self.zoneid.id, ImageStore.zone_id),
            (self.provider, ImageStore.provider),
            (self.protocol, ImageStore.protocol),
            (self.readonly, ImageStore.readonly),
        ):
            if value is not None:
                query = query.where(column == value)
        if self.keyword:
            query = query.where(ImageStore.name.contains(self.keyword, autoescape=True))
        rows, count = self.page_of_query(ctx, query, ImageStore.id)
        return ListResult([ImageStoreResponse.of(ctx.session, row) for row in rows], count)
