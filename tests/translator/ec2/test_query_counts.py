"""DescribeInstances and DescribeTags cost the same number of SQL statements whatever the
number of instances they describe (DescribeTags once ran a query per tag for its owner).

The requests are boto3's, signed with the tenant's keys, answered in this process by an app
built on the session server's database, so that its statements can be counted.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from sqlalchemy import event
from werkzeug.test import Client

from appliance.bootstrap import KEY_FILE
from gateway.app import AltoApp, create_app
from tests.support.aws import aws_client
from tests.support.ec2_instances import Ec2Site
from tests.support.server import AltoServer
from tests.support.tenants import Tenant


class _Body(io.BytesIO):
    def stream(self, **_kwargs: Any) -> Iterator[bytes]:
        yield self.getvalue()


class CountingEc2:
    """A boto3 EC2 client whose requests an in-process app answers; `statements(call)` is
    the number of SQL statements that app ran for the call."""

    def __init__(self, app: AltoApp, *, server: AltoServer, tenant: Tenant) -> None:
        self.app = app
        self.web = Client(app)
        self.ec2 = aws_client(server, tenant, "ec2")
        self.ec2.meta.events.register("before-send.ec2", self._send)
        self.count = 0
        event.listen(app.runtime.db.engine, "before_cursor_execute", self._counted)

    def _counted(self, *_args: Any) -> None:
        self.count += 1

    def _send(self, request: AWSPreparedRequest, **_kwargs: Any) -> AWSResponse:
        body = request.body
        url = urlsplit(request.url)
        answer = self.web.open(
            url.path,
            base_url=f"{url.scheme}://{url.netloc}",
            query_string=url.query,
            method=request.method,
            headers={
                name: value.decode() if isinstance(value, bytes) else value
                for name, value in request.headers.items()
            },
            data=body.encode() if isinstance(body, str) else body,
        )
        return AWSResponse(
            request.url, answer.status_code, dict(answer.headers.items()), _Body(answer.data)
        )

    def statements(self, action: str, **params: Any) -> int:
        """SQL statements of one call of `action` (boto3's snake_case name)."""
        getattr(self.ec2, action)(**params)  # a first call warms up the process's caches
        self.count = 0
        getattr(self.ec2, action)(**params)
        return self.count


@pytest.fixture
def counting(site: Ec2Site, tmp_path: Path) -> Iterator[CountingEc2]:
    key = (site.server.data_dir / KEY_FILE).read_text().strip()
    app = create_app(
        db_url=site.server.db_url, encryption_key=key, start_jobs=False, data_dir=tmp_path
    )
    try:
        yield CountingEc2(app, server=site.server, tenant=site.tenant)
    finally:
        app.close()


def launch(site: Ec2Site, count: int) -> list[str]:
    """`count` running instances tagged `team=alto`; their ids."""
    reply = site.run(
        MinCount=count,
        MaxCount=count,
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "team", "Value": "alto"}]}
        ],
    )
    ids = [str(instance["InstanceId"]) for instance in reply["Instances"]]
    site.wait("instance_running", *ids)
    return ids


def test_describing_2_or_8_instances_costs_the_same_statements(
    site: Ec2Site, counting: CountingEc2
) -> None:
    launch(site, 2)
    with_two = counting.statements("describe_instances")
    tags_of_two = counting.statements(
        "describe_tags", Filters=[{"Name": "key", "Values": ["team"]}]
    )

    launch(site, 6)
    with_eight = counting.statements("describe_instances")
    tags_of_eight = counting.statements(
        "describe_tags", Filters=[{"Name": "key", "Values": ["team"]}]
    )

    described = counting.ec2.describe_instances()["Reservations"]
    assert sum(len(reservation["Instances"]) for reservation in described) == 8
    tags = counting.ec2.describe_tags(Filters=[{"Name": "key", "Values": ["team"]}])["Tags"]
    assert len(tags) == 8
    assert with_eight == with_two
    assert tags_of_eight == tags_of_two
