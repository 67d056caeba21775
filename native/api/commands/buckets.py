"""Bucket commands: createBucket, listBuckets, updateBucket, deleteBucket."""

from __future__ import annotations

from sqlalchemy import select

from native.api.command import ALL_ROLES, Command, CommandContext, ListOwnedCommand
from native.api.params import boolean, integer, string, uuid_of, uuids_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.api.visible import anyone
from native.model import Account, Bucket, Domain, ObjectStoragePool
from native.services import accounts, buckets
from native.services.limits import GIB


class BucketResponse(ResponseObject, object_name="bucket"):
    id = Field("ID of the Bucket")
    name = Field("name of the Bucket")
    created = Field("the date the Bucket was created", type="date")
    account = Field("the account associated with the Bucket")
    domainid = Field("the ID of the domain associated with the bucket")
    domain = Field("the domain associated with the bucket")
    objectstorageid = Field(
        "id of the object storage hosting the Bucket; returned to admin user only"
    )
    objectstorage = Field(
        "Name of the object storage hosting the Bucket; returned to admin user only"
    )
    size = Field("Total size of objects in Bucket", type="long")
    objectcount = Field("Number of stored object versions in the Bucket", type="long")
    state = Field("State of the Bucket")
    quota = Field("Bucket Quota in GB", type="integer")
    encryption = Field("Bucket Encryption", type="boolean")
    versioning = Field("Bucket Versioning", type="boolean")
    objectlocking = Field("Bucket Object Locking", type="boolean")
    policy = Field("Bucket Access Policy")
    provider = Field("Object storage provider")

    @classmethod
    def of(cls, ctx: CommandContext, bucket: Bucket) -> BucketResponse:
        owner = ctx.session.get(Account, bucket.account_id)
        pool = ctx.session.get(ObjectStoragePool, bucket.pool_id)
        assert owner is not None and pool is not None
        admin = ctx.caller.is_root_admin
        return cls(
            id=bucket.uuid,
            name=bucket.name,
            created=bucket.created,
            account=owner.name,
            domainid=owner.domain.uuid,
            domain=owner.domain.name,
            objectstorageid=pool.uuid if admin else None,
            objectstorage=pool.name if admin else None,
            size=bucket.size,
            objectcount=bucket.object_count,
            state=bucket.state,
            quota=None if bucket.quota is None else bucket.quota // GIB,
            encryption=bucket.encryption,
            versioning=bucket.versioning == buckets.ENABLED,
            objectlocking=bucket.object_lock,
            policy=bucket.policy,
            provider=pool.provider,
        )


def _owner(ctx: CommandContext, *, name: str | None, domain: Domain | None) -> Account:
    if name is None:
        own = ctx.session.get(Account, ctx.caller.account_id)
        assert own is not None
        return own
    return accounts.find_account(
        ctx.session, caller=ctx.caller, account=None, name=name, domain=domain
    )


class CreateBucket(
    Command,
    api="createBucket",
    is_async=True,
    response=BucketResponse,
    authorized=ALL_ROLES,
    event="BUCKET.CREATE",
    entity_type="Bucket",
    since="4.19.0",
):
    """Creates a bucket in the specified object storage pool.

    The name follows S3's bucket naming rules (431 otherwise) and is unique among live
    buckets (536). The bucket's stored bytes count against its account's secondary storage
    limit; its quota is enforced on every write.
    """

    account = string(
        description="the account associated with the bucket. Must be used with the domainId "
        "parameter."
    )
    domainid = uuid_of(
        Domain,
        description="the domain ID associated with the bucket. If used with the account "
        "parameter returns the bucket associated with the account for the specified domain.",
    )
    name = string(description="the name of the bucket").required()
    objectstorageid = uuid_of(
        ObjectStoragePool,
        visible=anyone,
        description="Id of the Object Storage Pool where bucket is created",
    ).required()
    quota = integer(description="Bucket Quota in GB")
    encryption = boolean(description="Enable bucket encryption")
    versioning = boolean(description="Enable bucket versioning")
    objectlocking = boolean(description="Enable object locking in bucket")
    policy = string(description="The Bucket access policy", length=20480)

    def create(self, ctx: CommandContext) -> str:
        bucket = buckets.allocate_bucket(
            ctx.session,
            spec=buckets.NewBucket(
                name=self.name,
                owner=_owner(ctx, name=self.account, domain=self.domainid),
                pool=self.objectstorageid,
                quota_gb=self.quota,
                encryption=bool(self.encryption),
                versioning=bool(self.versioning),
                object_lock=bool(self.objectlocking),
                policy=self.policy,
            ),
        )
        return bucket.uuid

    def execute(self, ctx: CommandContext) -> BucketResponse:
        bucket = ctx.session.scalars(select(Bucket).where(Bucket.uuid == ctx.instance_id)).one()
        return BucketResponse.of(
            ctx, buckets.provision_bucket(ctx.session, ctx.runtime, bucket=bucket)
        )


class UpdateBucket(
    Command,
    api="updateBucket",
    authorized=ALL_ROLES,
    event="BUCKET.UPDATE",
    entity_type="Bucket",
    since="4.19.0",
):
    """Updates Bucket properties

    Versioning, once enabled, is suspended by versioning=false; an empty policy removes it.
    """

    id = uuid_of(Bucket, description="The ID of the Bucket").required()
    versioning = boolean(description="Enable/Disable Bucket Versioning")
    encryption = boolean(description="Enable/Disable Bucket encryption")
    policy = string(description="Bucket Access Policy", length=20480)
    quota = integer(description="Bucket Quota in GiB")

    def execute(self, ctx: CommandContext) -> SuccessResult:
        buckets.update_bucket(
            ctx.session,
            bucket=self.id,
            quota_gb=self.quota,
            encryption=self.encryption,
            versioning=self.versioning,
            policy=self.policy,
        )
        return SuccessResult()


class DeleteBucket(
    Command,
    api="deleteBucket",
    authorized=ALL_ROLES,
    event="BUCKET.DELETE",
    entity_type="Bucket",
    since="4.19.0",
):
    """Deletes an empty Bucket.

    Refused (536) while it holds objects, versions, delete markers or multipart uploads.
    """

    id = uuid_of(Bucket, description="The ID of the Bucket").required()

    def execute(self, ctx: CommandContext) -> SuccessResult:
        buckets.delete_bucket(ctx.session, ctx.runtime, bucket=self.id)
        return SuccessResult()


class ListBuckets(
    ListOwnedCommand,
    api="listBuckets",
    response=BucketResponse,
    authorized=ALL_ROLES,
    since="4.19.0",
):
    """Lists all Buckets."""

    id = uuid_of(Bucket, description="the ID of the bucket")
    ids = uuids_of(Bucket, description="the IDs of the Buckets, mutually exclusive with id")
    name = string(description="the name of the bucket")
    objectstorageid = uuid_of(
        ObjectStoragePool,
        description="the ID of the object storage pool, available to ROOT admin only",
    )

    def execute(self, ctx: CommandContext) -> ListResult:
        query = (
            select(Bucket)
            .join(Account, Bucket.account_id == Account.id)
            .join(Domain, Account.domain_id == Domain.id)
            .where(Bucket.removed.is_(None), self.owner_clause(ctx))
        )
        if self.id is not None:
            query = query.where(Bucket.id == self.id.id)
        if self.ids:
            query = query.where(Bucket.id.in_([row.id for row in self.ids]))
        if self.name is not None:
            query = query.where(Bucket.name == self.name)
        if self.objectstorageid is not None:
            query = query.where(Bucket.pool_id == self.objectstorageid.id)
        if self.keyword:
            query = query.where(Bucket.name.contains(self.keyword.lower(), autoescape=True))
        rows, count = self.page_of_query(ctx, query, Bucket.id)
        return ListResult([BucketResponse.of(ctx, row) for row in rows], count)
