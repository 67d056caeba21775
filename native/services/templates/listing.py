"""listTemplates / listIsos: CloudStack's template filters, one entry per template per zone.

The filters (for caller C):
- `featured`: public and featured templates;
- `self`: those owned by the accounts C lists (its own, or others' for admins);
- `selfexecutable`: `self` that are ready;
- `sharedexecutable`: ready ones shared with C by their owners;
- `executable`: ready ones C may launch (own, public, shared);
- `community`: public ones that are not featured;
- `all`: every template (root admins only).

Entries are (template, zone) pairs, paged in SQL; a template with no copy is one entry
without a zone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, true
from sqlalchemy.orm import Session

from native.model import (
    Account,
    Domain,
    GuestOsCategory,
    GuestOsType,
    ImageStore,
    ResourceTag,
    Template,
    TemplatePermission,
    TemplateStore,
    Zone,
)
from native.services import tags as tagging
from native.services.caller import Caller
from native.services.errors import InvalidParameterValue
from native.services.templates.download import DOWNLOADED

FILTERS = (
    "featured",
    "self",
    "selfexecutable",
    "sharedexecutable",
    "executable",
    "community",
    "all",
)
READY_FILTERS = frozenset({"selfexecutable", "sharedexecutable", "executable"})


@dataclass(frozen=True, kw_only=True)
class Query:
    """A listTemplates/listIsos request, already parsed. `owners` is the condition on the
    owning `Account` (joined with its `Domain`) selecting whose templates `self` lists."""

    filter: str
    iso: bool
    owners: ColumnElement[bool]
    ids: Sequence[int] = ()
    name: str | None = None
    keyword: str | None = None
    zone: Zone | None = None
    hypervisor: str | None = None
    show_removed: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    is_ready: bool | None = None
    bootable: bool | None = None
    is_public: bool | None = None


@dataclass(frozen=True, kw_only=True)
class TemplateView:
    """What one response entry shows: the template, its zone and its copies there."""

    template: Template
    zone: Zone | None
    copies: list[tuple[TemplateStore, ImageStore]]
    owner: Account
    domain: Domain
    os_type: GuestOsType | None
    category: GuestOsCategory | None
    tags: list[ResourceTag]

    @property
    def ready_copy(self) -> TemplateStore | None:
        return next((c for c, _ in self.copies if c.download_state == DOWNLOADED), None)


def _shared_with(caller: Caller) -> ColumnElement[bool]:
    return exists().where(
        TemplatePermission.template_id == Template.id,
        TemplatePermission.account_id == caller.account_id,
    )


def filter_clause(caller: Caller, query: Query) -> ColumnElement[bool]:
    """The condition on `Template` (with its owner `Account` and `Domain` joined) of the
    filter; 431 for an unknown filter, or `all` asked by anyone but a root admin."""
    chosen = query.filter.lower()
    if chosen not in FILTERS:
        raise InvalidParameterValue(
            f"Invalid filter {query.filter}; valid filters: {', '.join(FILTERS)}"
        )
    if chosen == "all" and not caller.is_root_admin:
        raise InvalidParameterValue("Filter all can be specified by admin only")
    own = Account.id == caller.account_id
    clauses: dict[str, ColumnElement[bool]] = {
        "featured": and_(Template.is_public.is_(True), Template.is_featured.is_(True)),
        "self": query.owners,
        "selfexecutable": query.owners,
        "sharedexecutable": and_(_shared_with(caller), ~own),
        "executable": or_(query.owners, Template.is_public.is_(True), _shared_with(caller)),
        "community": and_(Template.is_public.is_(True), Template.is_featured.is_(False)),
        "all": true(),
    }
    return clauses[chosen]


def entries_query(caller: Caller, query: Query) -> Select[int, int | None]:
    """(template id, zone id) of every matching entry, unordered."""
    ready = query.filter.lower() in READY_FILTERS or query.is_ready
    statement = (
        select(Template.id, TemplateStore.zone_id)
        .join(Account, Account.id == Template.account_id)
        .join(Domain, Domain.id == Account.domain_id)
        .outerjoin(TemplateStore, TemplateStore.template_id == Template.id)
        .where(
            filter_clause(caller, query),
            (Template.format == "ISO") if query.iso else (Template.format != "ISO"),
        )
        .group_by(Template.id, TemplateStore.zone_id)
    )
    if not (query.show_removed and caller.is_root_admin):
        statement = statement.where(Template.removed.is_(None))
    if ready:
        statement = statement.where(TemplateStore.download_state == DOWNLOADED)
    for condition in _conditions(query):
        statement = statement.where(condition)
    return statement


def _conditions(query: Query) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.ids:
        conditions.append(Template.id.in_(query.ids))
    if query.name is not None:
        conditions.append(Template.name == query.name)
    if query.keyword:
        conditions.append(Template.name.contains(query.keyword, autoescape=True))
    if query.zone is not None:
        conditions.append(TemplateStore.zone_id == query.zone.id)
    if query.hypervisor:
        conditions.append(func.lower(Template.hypervisor_type) == query.hypervisor.lower())
    if query.bootable is not None:
        conditions.append(Template.bootable.is_(query.bootable))
    if query.is_public is not None:
        conditions.append(Template.is_public.is_(query.is_public))
    if query.tags:
        conditions.append(
            tagging.tag_clause(
                resource_type="ISO" if query.iso else "Template",
                id_column=Template.id,
                tags=dict(query.tags),
            )
        )
    return conditions


def page(
    session: Session, caller: Caller, query: Query, *, offset: int, limit: int | None
) -> tuple[list[TemplateView], int]:
    """One page of entries, ordered by sort key, template and zone, and the total count."""
    statement = entries_query(caller, query)
    count = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    ordered = statement.order_by(
        func.max(Template.sort_key).desc(), Template.id, TemplateStore.zone_id
    )
    rows = [(row[0], row[1]) for row in session.execute(ordered.offset(offset).limit(limit))]
    return views(session, iso=query.iso, entries=list(rows)), count


def views(
    session: Session, *, iso: bool, entries: Sequence[tuple[int, int | None]]
) -> list[TemplateView]:
    """The views of these (template id, zone id) entries, loading each kind of row once."""
    template_ids = {template_id for template_id, _ in entries}
    if not template_ids:
        return []
    templates = {
        row.id: row
        for row in session.scalars(select(Template).where(Template.id.in_(template_ids)))
    }
    copies: dict[tuple[int, int | None], list[tuple[TemplateStore, ImageStore]]] = defaultdict(list)
    for copy, store in session.execute(
        select(TemplateStore, ImageStore)
        .join(ImageStore, ImageStore.id == TemplateStore.store_id)
        .where(TemplateStore.template_id.in_(template_ids))
        .order_by(TemplateStore.id)
    ):
        copies[(copy.template_id, copy.zone_id)].append((copy, store))
    zone_ids = {zone_id for _, zone_id in entries if zone_id is not None}
    zones = {row.id: row for row in session.scalars(select(Zone).where(Zone.id.in_(zone_ids)))}
    found_tags = tagging.tags_of(
        session, resource_type="ISO" if iso else "Template", resource_ids=list(template_ids)
    )
    result = []
    for template_id, zone_id in entries:
        template = templates[template_id]
        owner = session.get(Account, template.account_id)
        os_type = session.get(GuestOsType, template.os_type_id)
        assert owner is not None
        result.append(
            TemplateView(
                template=template,
                zone=None if zone_id is None else zones.get(zone_id),
                copies=copies.get((template_id, zone_id), []),
                owner=owner,
                domain=owner.domain,
                os_type=os_type,
                category=None
                if os_type is None
                else session.get(GuestOsCategory, os_type.category_id),
                tags=found_tags.get(template_id, []),
            )
        )
    return result


def views_of_template(
    session: Session, template: Template, *, zone: Zone | None = None
) -> list[TemplateView]:
    """The entries of one template (per zone it has copies in; only `zone` when given)."""
    statement = select(TemplateStore.zone_id).where(TemplateStore.template_id == template.id)
    if zone is not None:
        statement = statement.where(TemplateStore.zone_id == zone.id)
    zone_ids: list[int | None] = sorted(
        {zone_id for zone_id in session.scalars(statement.distinct())},
        key=lambda value: value or 0,
    )
    entries = [(template.id, zone_id) for zone_id in zone_ids or [None]]
    return views(session, iso=template.format == "ISO", entries=entries)
