"""The command framework: one declarative class per API command, and the registry.

    class CreateDomain(Command, api="createDomain", response=DomainResponse,
                       authorized=ADMINS, event="DOMAIN.CREATE", since="1.0"):
        \"\"\"Creates a domain\"\"\"
        name = string(description="creates domain with this name").required()

        def execute(self, ctx: CommandContext) -> DomainResponse: ...

Everything else (parsing, validation, permission checks, dispatch, `listApis`, docs)
is derived from the declaration.
"""

from __future__ import annotations

import abc
import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from native.api.params import Param, ParseScope, boolean, integer, string, uuid_of
from native.api.responses import ResponseObject, Result
from native.model import Account, Domain
from native.services.caller import Caller, RoleType
from native.services.errors import InvalidParameterValue
from native.services.runtime import Runtime
from native.services.visibility import can_see_account, owned_clause

R = TypeVar("R")

ALL_ROLES = frozenset(RoleType)
ADMINS = frozenset({RoleType.ADMIN, RoleType.DOMAIN_ADMIN})
ROOT_ADMIN = frozenset({RoleType.ADMIN})


@dataclass(frozen=True, kw_only=True)
class CommandContext:
    """What a running command may use: its transaction, its caller, the process runtime.

    `job_id` is the UUID of the async job running the command (None when synchronous);
    `instance_id` the UUID of the entity an async create made in its create phase.
    """

    session: Session
    caller: Caller
    runtime: Runtime
    job_id: str | None = None
    instance_id: str | None = None


class Command(abc.ABC):
    """Base of every API command. Subclasses declare; the dispatcher does the rest."""

    api_name: ClassVar[str]
    is_async: ClassVar[bool] = False
    since: ClassVar[str] = "4.0.0"
    response: ClassVar[type[ResponseObject] | None] = None
    authorized: ClassVar[frozenset[RoleType]] = ROOT_ADMIN
    event_type: ClassVar[str | None] = None
    entity_type: ClassVar[str | None] = None
    read_only: ClassVar[bool] = False
    related: ClassVar[tuple[str, ...]] = ()
    params: ClassVar[dict[str, Param[Any]]] = {}

    def __init_subclass__(
        cls,
        *,
        api: str | None = None,
        is_async: bool | None = None,
        since: str | None = None,
        response: type[ResponseObject] | None = None,
        authorized: frozenset[RoleType] | None = None,
        event: str | None = None,
        entity_type: str | None = None,
        related: tuple[str, ...] = (),
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        declared = {
            "is_async": is_async,
            "since": since,
            "response": response,
            "authorized": authorized,
            "event_type": event,
            "entity_type": entity_type,
        }
        for attribute, value in declared.items():
            if value is not None:
                setattr(cls, attribute, value)
        collected: dict[str, Param[Any]] = {}
        for klass in reversed(cls.__mro__):
            for attribute, value in vars(klass).items():
                if isinstance(value, Param):
                    if hasattr(Command, attribute):
                        raise TypeError(
                            f"{cls.__name__}.{attribute} hides Command.{attribute}; declare it "
                            f"under another attribute with api_name={attribute!r}"
                        )
                    collected[value.name] = value
        cls.params = collected
        if api is not None:
            cls.api_name = api
            cls.related = related
            cls.read_only = api.startswith(("list", "get", "query"))
            REGISTRY.add(cls)

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    @classmethod
    def summary(cls) -> str:
        """The command's API description: the first paragraph of its docstring."""
        doc = inspect.getdoc(cls) or ""
        return doc.split("\n\n")[0].replace("\n", " ").strip()

    @classmethod
    def remarks(cls) -> str:
        """The rest of the command's docstring after its first paragraph (its contract)."""
        doc = inspect.getdoc(cls) or ""
        _, _, rest = doc.partition("\n\n")
        return rest.strip()

    @classmethod
    def parse(cls, raw: Mapping[str, str], *, scope: ParseScope) -> Command:
        """Parse and validate every declared parameter; unknown ones are ignored."""
        return cls({name: param.parse(raw, scope=scope) for name, param in cls.params.items()})

    def create(self, ctx: CommandContext) -> str | None:
        """The synchronous part of an async command, run before its job is queued.

        An async create makes its entity here and returns its UUID (inlined in the submit
        answer as `id`); any async command may refuse early here with a CloudError, so
        the caller gets the error at once rather than from a failed job.
        """
        return None

    def job_instance_id(self) -> str | None:
        """The UUID of the entity an async job acts on: by default that of its `id` parameter."""
        target = self._values.get("id")
        uuid = getattr(target, "uuid", None)
        return uuid if isinstance(uuid, str) else None

    @abc.abstractmethod
    def execute(self, ctx: CommandContext) -> Result:
        """Do the command's work in `ctx.session`; the dispatcher commits or rolls back."""

    def event_description(self, result: Result) -> str:
        """The description of the event recorded when the command succeeds.

        It names the object the command returned, or else the row its `id` named.
        """
        if isinstance(result, ResponseObject):
            label = (
                result.values.get("name")
                or result.values.get("username")
                or result.values.get("id")
            )
            if label is not None:
                return f"{self.summary()}: {label}"
        target = self._values.get("id")
        uuid = getattr(target, "uuid", None)
        if isinstance(uuid, str):
            name = getattr(target, "name", None) or getattr(target, "username", None)
            return f"{self.summary()}: {name} ({uuid})" if name else f"{self.summary()}: {uuid}"
        return self.summary()


class ListCommand(Command):
    """A list command: `keyword`, `page` and `pagesize` (bounded by `default.page.size`)."""

    keyword = string(description="List by keyword")
    page = integer(description="the page number of the result set (1-based)")
    pagesize = integer(description="the number of entries per page")

    def paging(self, ctx: CommandContext) -> tuple[int, int | None]:
        """(offset, limit) of the requested page, as CloudStack computes them.

        `page` defaults to 1 and `pagesize` to the `default.page.size` setting, which also
        caps it; `pagesize=-1` asks for every row. Out-of-range values get a 431.
        """
        maximum = int(ctx.runtime.settings.get(ctx.session, "default.page.size"))
        page = 1 if self.page is None else self.page
        if page < 1:
            raise InvalidParameterValue(
                f"Invalid value for parameter page: {page}; it must be 1 or more"
            )
        size = maximum if self.pagesize is None else self.pagesize
        if size == -1:
            return 0, None
        if size < 1:
            raise InvalidParameterValue(f"Invalid value for parameter pagesize: {size}")
        if size > maximum:
            raise InvalidParameterValue(
                f"Page size can't exceed max allowed page size value: {maximum}"
            )
        return (page - 1) * size, size

    def page_of_query(
        self,
        ctx: CommandContext,
        query: Select[R],
        *order: ColumnElement[Any] | InstrumentedAttribute[Any],
    ) -> tuple[Sequence[R], int]:
        """The requested page of the query's rows in `order`, and the count across all pages.

        The rows are counted by a query of their own only when the page does not tell the
        count: a page that is not the last (full), or an empty one past the first."""
        offset, limit = self.paging(ctx)
        rows = ctx.session.scalars(query.order_by(*order).offset(offset).limit(limit)).all()
        if limit is None or 0 < len(rows) < limit or (not rows and offset == 0):
            return rows, offset + len(rows)
        count = ctx.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        return rows, count

    def page_of_items(self, ctx: CommandContext, items: Sequence[R]) -> Sequence[R]:
        """The requested page of an already ordered, filtered sequence."""
        offset, limit = self.paging(ctx)
        return items[offset:] if limit is None else items[offset : offset + limit]


class ListInDomainCommand(ListCommand):
    """A list scoped by domain: `domainid`, `isrecursive` and `listall`."""

    domainid = uuid_of(Domain, description="list only resources belonging to the domain specified")
    isrecursive = boolean(
        description="defaults to false, but if true, lists all resources from the parent specified "
        "by the domainId till leaves."
    )
    listall = boolean(
        description="If set to false, list only resources belonging to the command's caller; if set "
        "to true - list resources that the caller is authorized to see. Default value is false"
    )


class ListOwnedCommand(ListInDomainCommand):
    """A list of account-owned resources, scoped as CloudStack's BaseListDomainResourcesCmd."""

    account = string(
        description="list resources by account. Must be used with the domainId parameter."
    )

    def owner_clause(self, ctx: CommandContext) -> ColumnElement[bool]:
        """The condition on `Account` joined with its `Domain` selecting whose resources to list
        (the caller naming its own account costs no query)."""
        account = None
        domain_id = ctx.caller.domain_id if self.domainid is None else self.domainid.id
        if self.account == ctx.caller.account_name and domain_id == ctx.caller.domain_id:
            return Account.id == ctx.caller.account_id
        if self.account is not None:
            domain = self.domainid or ctx.session.get(Domain, ctx.caller.domain_id)
            assert domain is not None
            account = ctx.session.scalars(
                select(Account).where(
                    Account.name == self.account,
                    Account.domain_id == domain.id,
                    Account.removed.is_(None),
                )
            ).first()
            if account is None or not can_see_account(ctx.caller, account):
                raise InvalidParameterValue(
                    f"Unable to find account {self.account} in domain {domain.uuid}"
                )
        return owned_clause(
            caller=ctx.caller,
            account=account,
            domain=self.domainid,
            is_recursive=bool(self.isrecursive),
            list_all=bool(self.listall),
        )


class Registry:
    """Every declared command by name; lookups are case-insensitive as CloudStack clients vary."""

    def __init__(self) -> None:
        self._by_name: dict[str, type[Command]] = {}

    def add(self, command: type[Command]) -> None:
        key = command.api_name.lower()
        if key in self._by_name:
            raise ValueError(f"command {command.api_name} is declared twice")
        self._by_name[key] = command

    def find(self, name: str) -> type[Command] | None:
        return self._by_name.get(name.lower())

    def all(self) -> list[type[Command]]:
        return sorted(self._by_name.values(), key=lambda command: command.api_name)


REGISTRY = Registry()
