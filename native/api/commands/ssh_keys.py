"""SSH key pair commands: createSSHKeyPair, registerSSHKeyPair, listSSHKeyPairs,
deleteSSHKeyPair."""

from __future__ import annotations

from sqlalchemy import func, select

from native.api.command import ALL_ROLES, Command, CommandContext, ListOwnedCommand
from native.api.params import string, uuid_of
from native.api.responses import Field, ListResult, ResponseObject, SuccessResult
from native.model import Account, Domain, SshKeyPair
from native.services import accounts, ssh_keys


def owner_account(ctx: CommandContext, *, name: str | None, domain: Domain | None) -> Account:
    """The account a resource is made for: the one named by `account` (+ `domainid`, the
    caller's domain by default) if the caller may act for it, else the caller's own."""
    if name is not None:
        return accounts.find_account(
            ctx.session, caller=ctx.caller, account=None, name=name, domain=domain
        )
    own = ctx.session.get(Account, ctx.caller.account_id)
    assert own is not None
    return own


def accounts_of(ctx: CommandContext, account_id: int) -> Account:
    """The owning account of a listed row (loaded once per session)."""
    account = ctx.session.get(Account, account_id)
    assert account is not None
    return account


class SshKeyPairResponse(ResponseObject, object_name="sshkeypair"):
    id = Field("ID of the ssh keypair")
    name = Field("Name of the keypair")
    account = Field("the owner of the keypair")
    domainid = Field("the domain id of the keypair owner")
    domain = Field("the domain name of the keypair owner")
    fingerprint = Field("Fingerprint of the public key")

    @classmethod
    def of(cls, row: SshKeyPair, *, owner: Account) -> SshKeyPairResponse:
        return cls(
            id=row.uuid,
            name=row.name,
            account=owner.name,
            domainid=owner.domain.uuid,
            domain=owner.domain.name,
            fingerprint=row.fingerprint,
        )


class KeyPairResponse(SshKeyPairResponse, object_name="keypair"):
    privatekey = Field("Private key")


def _key_pair(row: SshKeyPair, *, owner: Account, private_key: str | None) -> KeyPairResponse:
    return KeyPairResponse(**SshKeyPairResponse.of(row, owner=owner).values, privatekey=private_key)


class _OwnedKeyCommand(Command):
    account = string(description="an optional account for the ssh key. Must be used with domainId.")
    domainid = uuid_of(
        Domain,
        description="an optional domainId for the ssh key. If the account parameter is used, "
        "domainId must also be used.",
    )

    def owner(self, ctx: CommandContext) -> Account:
        return owner_account(ctx, name=self.account, domain=self.domainid)


class CreateSSHKeyPair(
    _OwnedKeyCommand,
    api="createSSHKeyPair",
    response=KeyPairResponse,
    authorized=ALL_ROLES,
    since="4.0.0",
):
    """Create a new keypair and returns the private key

    The private key is in the answer only; it is not stored.
    """

    name = string(description="Name of the keypair").required()

    def execute(self, ctx: CommandContext) -> KeyPairResponse:
        owner = self.owner(ctx)
        made = ssh_keys.create_key_pair(ctx.session, account=owner, name=self.name)
        return _key_pair(made.row, owner=owner, private_key=made.private_key)


class RegisterSSHKeyPair(
    _OwnedKeyCommand,
    api="registerSSHKeyPair",
    response=KeyPairResponse,
    authorized=ALL_ROLES,
    since="4.0.0",
):
    """Register a public key in a keypair under a certain name"""

    name = string(description="Name of the keypair").required()
    publickey = string(description="Public key material of the keypair", length=5120).required()

    def execute(self, ctx: CommandContext) -> KeyPairResponse:
        owner = self.owner(ctx)
        row = ssh_keys.register_key_pair(
            ctx.session, account=owner, name=self.name, public_key=self.publickey
        )
        return _key_pair(row, owner=owner, private_key=None)


class DeleteSSHKeyPair(
    _OwnedKeyCommand, api="deleteSSHKeyPair", authorized=ALL_ROLES, since="4.0.0"
):
    """Deletes a keypair by name"""

    name = string(description="Name of the keypair").required()

    def execute(self, ctx: CommandContext) -> SuccessResult:
        ssh_keys.delete_key_pair(ctx.session, account=self.owner(ctx), name=self.name)
        return SuccessResult()


class ListSSHKeyPairs(
    ListOwnedCommand,
    api="listSSHKeyPairs",
    response=SshKeyPairResponse,
    authorized=ALL_ROLES,
    since="4.0.0",
):
    """List registered keypairs"""

    id = string(description="the ID of the ssh keypair", length=40, since="4.17")
    name = string(description="A key pair name to look for")
    fingerprint = string(description="A public key fingerprint to look for")

    def execute(self, ctx: CommandContext) -> ListResult:
        query = (
            select(SshKeyPair)
            .join(Account, SshKeyPair.account_id == Account.id)
            .join(Domain, Account.domain_id == Domain.id)
            .where(self.owner_clause(ctx))
        )
        if self.id is not None:
            query = query.where(SshKeyPair.uuid == self.id.strip())
        if self.name is not None:
            query = query.where(SshKeyPair.name == self.name)
        if self.fingerprint is not None:
            query = query.where(SshKeyPair.fingerprint == self.fingerprint.strip().lower())
        if self.keyword:
            query = query.where(
                func.lower(SshKeyPair.name).contains(self.keyword.lower(), autoescape=True)
            )
        rows, count = self.page_of_query(ctx, query, SshKeyPair.id)
        items = [SshKeyPairResponse.of(row, owner=accounts_of(ctx, row.account_id)) for row in rows]
        return ListResult(items, count)
