"""Configuration settings as administrators see them: effective values per scope, set and reset.

A setting may be overridden at the scopes its definition lists (`global`, `zone`, `cluster`,
`storagepool`, `domain`, `account`); reading at a scope falls back to the next wider one
(account → domain; storage pool, cluster or zone → global), then to the default.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.orm import Session

from native.model import Account, Cluster, Domain, SettingValue, StoragePool, Zone
from native.services.errors import InvalidParameterValue
from native.services.settings import SCOPES, Setting, Settings


@dataclass(frozen=True, kw_only=True)
class Scope:
    """Where a value is read or written: `global` (id 0), a zone, a cluster, a storage pool,
    a domain or an account."""

    name: str
    scope_id: int = 0
    account_id: int | None = None
    domain_id: int | None = None
    zone_id: int | None = None
    cluster_id: int | None = None
    storagepool_id: int | None = None

    @classmethod
    def of(
        cls,
        *,
        account: Account | None,
        domain: Domain | None,
        zone: Zone | None = None,
        cluster: Cluster | None = None,
        storagepool: StoragePool | None = None,
    ) -> Scope:
        """The scope named by the optional accountid/domainid/zoneid/clusterid/storageid
        parameters (at most one of them)."""
        given = [
            name
            for name, value in (
                ("accountid", account),
                ("domainid", domain),
                ("zoneid", zone),
                ("clusterid", cluster),
                ("storageid", storagepool),
            )
            if value is not None
        ]
        if len(given) > 1:
            raise InvalidParameterValue(
                f"Invalid parameters {' and '.join(given)}: give at most one of them, the scope "
                "to read or set the configuration at"
            )
        if zone is not None:
            return cls(name="zone", scope_id=zone.id, zone_id=zone.id)
        if cluster is not None:
            return cls(name="cluster", scope_id=cluster.id, cluster_id=cluster.id)
        if storagepool is not None:
            return cls(name="storagepool", scope_id=storagepool.id, storagepool_id=storagepool.id)
        if account is not None:
            return cls(
                name="account",
                scope_id=account.id,
                account_id=account.id,
                domain_id=account.domain_id,
            )
        if domain is not None:
            return cls(name="domain", scope_id=domain.id, domain_id=domain.id)
        return cls(name="global")


def widest_override(definition: Setting) -> str:
    """The most specific scope the setting can be set at (CloudStack's `scope` of a setting)."""
    return max(definition.scopes, key=SCOPES.index)


def settable_at(definition: Setting, scope: Scope) -> bool:
    return scope.name in definition.scopes


def listed(
    settings: Settings, *, scope: Scope, name: str | None, category: str | None, keyword: str | None
) -> list[Setting]:
    """The definitions matching the filters that can be set at `scope`, by name.

    `name` and `keyword` match substrings of the name (keyword also of the description),
    `category` the category exactly (any case).
    """
    found = []
    for definition in sorted(settings.definitions.values(), key=lambda setting: setting.name):
        if not settable_at(definition, scope):
            continue
        if name is not None and name.lower() not in definition.name.lower():
            continue
        if category is not None and category.lower() != definition.category.lower():
            continue
        if keyword and not (
            keyword.lower() in definition.name.lower()
            or keyword.lower() in definition.description.lower()
        ):
            continue
        found.append(definition)
    return found


def effective(settings: Settings, session: Session, *, definition: Setting, scope: Scope) -> str:
    """The raw value in force at the scope."""
    return settings.raw(
        session,
        definition.name,
        account_id=scope.account_id,
        domain_id=scope.domain_id,
        zone_id=scope.zone_id,
        cluster_id=scope.cluster_id,
        storagepool_id=scope.storagepool_id,
    )


def update(settings: Settings, session: Session, *, name: str, value: str, scope: Scope) -> Setting:
    """Validate and store a value at the scope; 431 naming the setting if it is not acceptable."""
    settings.set(session, name, value, scope=scope.name, scope_id=scope.scope_id)
    session.flush()
    return settings.definition(name)


def reset(settings: Settings, session: Session, *, name: str, scope: Scope) -> Setting:
    """Remove the value stored at the scope, so the next wider one (or the default) applies."""
    definition = settings.definition(name)
    if not settable_at(definition, scope):
        raise InvalidParameterValue(
            f"Configuration {name} cannot be reset at {scope.name} scope; valid scopes: "
            f"{', '.join(definition.scopes)}"
        )
    session.execute(
        delete(SettingValue).where(
            SettingValue.name == name,
            SettingValue.scope == scope.name,
            SettingValue.scope_id == scope.scope_id,
        )
    )
    session.flush()
    return definition
