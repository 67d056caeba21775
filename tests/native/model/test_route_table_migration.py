"""Migration c5d6e7f8a9b0 (VPC route tables): a VPC's existing `rtb-` id survives a
downgrade and an upgrade, moving between the VPC and its main route table; its static
routes land in that table; the upgraded schema matches the models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from native.model import Account, AwsId, Base, StaticRoute, VpcOffering, VpcRouteTable, Zone
from native.model.migrate import alembic_config, upgrade
from native.services.db import Database
from native.services.network.defaults import DEFAULT_VPC
from native.services.network.vpcs import NewVpc, create_vpc
from native.services.secrets import SecretBox, new_encryption_key
from native.services.seed import ensure_defaults
from native.services.settings import core_settings
from tests.support.databases import fresh_database

BEFORE = "b9c8d7e6f5a4"


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    with fresh_database(directory=tmp_path / "db") as fresh:
        upgrade(url=fresh)
        yield fresh


def _vpc_with_route(url: str) -> tuple[str, str]:
    """A VPC with one static route in its main table: the VPC's uuid and its `rtb-` id."""
    database = Database(url=url)
    with database.session() as session:
        ensure_defaults(session, secrets=SecretBox(key=new_encryption_key()))
        zone = Zone(name="z1", network_type="Advanced")
        session.add(zone)
        session.flush()
        owner = session.scalars(sa.select(Account).order_by(Account.id)).first()
        offering = session.scalars(
            sa.select(VpcOffering).where(VpcOffering.name == DEFAULT_VPC)
        ).one()
        assert owner is not None
        vpc = create_vpc(
            session,
            core_settings(),
            spec=NewVpc(owner=owner, zone=zone, offering=offering, name="v", cidr="10.9.0.0/16"),
        )
        session.flush()
        [main] = session.scalars(sa.select(VpcRouteTable).where(VpcRouteTable.vpc_id == vpc.id))
        session.add(
            StaticRoute(
                vpc_id=vpc.id,
                route_table_id=main.id,
                cidr="192.168.1.0/24",
                next_hop="10.9.1.5",
                account_id=owner.id,
                domain_id=owner.domain_id,
            )
        )
        session.commit()
        table_id = session.scalars(
            sa.select(AwsId.aws_id).where(AwsId.kind == "route-table", AwsId.uuid == main.uuid)
        ).one()
        vpc_uuid = vpc.uuid
    database.dispose()
    return vpc_uuid, table_id


def _rows(url: str, query: str) -> list[tuple[object, ...]]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = [tuple(row) for row in connection.execute(sa.text(query))]
    engine.dispose()
    return rows


def test_downgrade_and_upgrade_keep_the_route_table_id(url: str) -> None:
    vpc_uuid, table_id = _vpc_with_route(url)
    config = alembic_config(url=url)
    command.downgrade(config, BEFORE)
    assert _rows(url, f"SELECT uuid FROM aws_id WHERE aws_id = '{table_id}'") == [(vpc_uuid,)]
    assert _rows(url, "SELECT cidr FROM static_route") == [("192.168.1.0/24",)]

    command.upgrade(config, "head")
    [(table_uuid, is_main)] = _rows(url, "SELECT uuid, is_main FROM vpc_route_table")
    assert bool(is_main)
    assert _rows(url, f"SELECT uuid FROM aws_id WHERE aws_id = '{table_id}'") == [(table_uuid,)]
    assert _rows(
        url,
        "SELECT t.uuid FROM static_route r JOIN vpc_route_table t ON t.id = r.route_table_id",
    ) == [(table_uuid,)]
    associations = _rows(url, "SELECT count(*) FROM aws_id WHERE kind = 'route-table-association'")
    networks = _rows(url, "SELECT count(*) FROM network")
    assert associations == networks


def test_upgraded_schema_matches_the_models(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    mine = [d for d in differences if "route_table" in repr(d) or "internet_gateway_id" in repr(d)]
    assert mine == []
