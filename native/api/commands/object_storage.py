"""Object storage pool commands: addObjectStoragePool, listObjectStoragePools,
updateObjectStoragePool, deleteObjectStoragePool."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from native.api.command import ALL_ROLES, Command, CommandContext, ListCommand
from native.api.params import long, map_of, string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.api.visible import anyone
from native.model import ObjectStoragePool
from native.services import object_storage
from native.services.object_storage import NewPool, details_of


class ObjectStoreResponse(ResponseObject, object_name="objectstore"):
    id = Field("the ID of the object store")
    name = Field("the name of the object store")
    url = Field("the url of the object store; returned to root admins only")
    providername = Field("the provider name of the object store")
    storagetotal = Field("the total size of the object store", type="long")
    storageused = Field("the object store currently used size", type="long")
    tags = Field("the tags of the object store")

    @classmethod
    def of(
        cls, session: Session, pool: ObjectStoragePool, *, show_url: bool = True
    ) -> ObjectStoreResponse:
        return cls(
            id=pool.uuid,
            name=pool.name,
            url=pool.url if show_url else None,
            providername=pool.provider,
            storagetotal=pool.total_size,
            storageused=object_storage.pool_usage(session, pool=pool),
            tags=pool.tags,
        )


_DETAILS = (
    "the details for the object store: accesskey and secretkey for MinIO (the secret is "
    "encrypted at rest), optionally bucketprefix and region. Example: details[0].key=accesskey"
    "&details[0].value=s389ddssaa&details[1].key=secretkey&details[1].value=8dshfsss"
)


class AddObjectStoragePool(
    Command,
    api="addObjectStoragePool",
    response=ObjectStoreResponse,
    event="OBJECT.STORE.CREATE",
    entity_type="ObjectStore",
    since="4.19.0",
):
    """Adds a object storage pool

    Providers: Local (url file:///path), MinIO (any S3-compatible server; url
    http(s)://host:port, details accesskey and secretkey) and NFS (url nfs://server/export).
    The store is checked first: 534 if it cannot be reached.
    """

    name = string(description="the name for the object store")
    url = string(description="the URL for the object store", length=2048).required()
    provider = string(description="the object store provider name").required()
    details = map_of(description=_DETAILS)
    tags = string(description="the tags for the storage pool", length=1024, since="4.21.0")
    size = long(
        description="the total size of the object store in GiB. Used for tracking capacity "
        "and sending alerts",
        since="4.21.0",
    )

    def execute(self, ctx: CommandContext) -> ObjectStoreResponse:
        pool = object_storage.add_pool(
            ctx.session,
            ctx.runtime,
            new=NewPool(
                name=self.name,
                url=self.url,
                provider=self.provider,
                details=details_of(self.details),
                tags=self.tags,
                size_gb=self.size,
            ),
        )
        return ObjectStoreResponse.of(ctx.session, pool)


class UpdateObjectStoragePool(
    Command,
    api="updateObjectStoragePool",
    response=ObjectStoreResponse,
    event="OBJECT.STORE.UPDATE",
    entity_type="ObjectStore",
    since="4.19.0",
):
    """Updates object storage pool

    A new url or details must reach the store (534 otherwise).
    """

    id = uuid_of(ObjectStoragePool, description="Object Store ID").required()
    name = string(description="the name for the object store")
    url = string(description="the url for the object store", length=2048)
    details = map_of(description=_DETAILS)
    size = long(
        description="the total size of the object store in GiB. Used for tracking capacity "
        "and sending alerts",
        since="4.21.0",
    )

    def execute(self, ctx: CommandContext) -> ObjectStoreResponse:
        pool = object_storage.update_pool(
            ctx.session,
            ctx.runtime,
            pool=self.id,
            name=self.name,
            url=self.url,
            details=details_of(self.details),
            size_gb=self.size,
        )
        return ObjectStoreResponse.of(ctx.session, pool)


class DeleteObjectStoragePool(
    Command,
    api="deleteObjectStoragePool",
    event="OBJECT.STORE.DELETE",
    entity_type="ObjectStore",
    since="4.19.0",
):
    """Deletes an Object Storage Pool

    Refused (536) while the pool holds buckets.
    """

    id = uuid_of(ObjectStoragePool, description="The Object Storage ID.").required()

    def execute(self, ctx: CommandContext) -> SuccessResult:
        object_storage.delete_pool(ctx.session, pool=self.id)
        return SuccessResult()


class ListObjectStoragePools(
    ListCommand,
    api="listObjectStoragePools",
    response=ObjectStoreResponse,
    authorized=ALL_ROLES,
    since="4.19.0",
):
    """Lists object storage pools.

    Every role may list them, to choose one for `createBucket`; only root admins see their
    URLs.
    """

    id = uuid_of(ObjectStoragePool, visible=anyone, description="the ID of the storage pool")
    name = string(description="the name of the object store")
    provider = string(description="the object store provider")
    protocol = string(description="the object store protocol")

    def execute(self, ctx: CommandContext) -> ListResult:
        query = select(ObjectStoragePool).where(ObjectStoragePool.removed.is_(None))
        if self.id is not None:
            query = query.where(ObjectStoragePool.id == self.id.id)
        if self.name is not None:
            query = query.where(ObjectStoragePool.name == self.name)
        if self.provider is not None:
            query = query.where(func.lower(ObjectStoragePool.provider) == self.provider.lower())
        if self.protocol is not None:
            scheme = self.protocol.lower().rstrip(":/")
            query = query.where(
                func.lower(ObjectStoragePool.url).startswith(f"{scheme}:", autoescape=True)
            )
        if self.keyword:
            query = query.where(
                func.lower(ObjectStoragePool.name).contains(self.keyword.lower(), autoescape=True)
            )
        rows, count = self.page_of_query(ctx, query, ObjectStoragePool.id)
        show_url = ctx.caller.is_root_admin
        return ListResult(
            [ObjectStoreResponse.of(ctx.session, row, show_url=show_url) for row in rows], count
        )
