"""What the Terraform tests share: Terraform set up offline once per session, an object
storage pool for buckets and disk offerings for volume types (the EC2 zone, template and
offering come from tests/translator/conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from tests.support.ec2_volumes import volume_type_offerings
from tests.support.tenants import unique
from tests.support.terraform import missing_packages, terraform_env


@pytest.fixture(scope="session")
def tf_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment to run Terraform in, with the AWS provider 3.39.0 in a local mirror
    (skips the test if the packages are not installed)."""
    missing = missing_packages()
    if missing:
        pytest.skip(
            f"PyPI packages {', '.join(missing)} are not installed (pip install -e .[test])"
        )
    return terraform_env(cache=tmp_path_factory.mktemp("terraform"))


@pytest.fixture(scope="module")
def pool(admin: CloudStack, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A local object storage pool, so that tenants can create buckets."""
    root = tmp_path_factory.mktemp("tf-pool")
    return dict(
        admin.addObjectStoragePool(name=unique("objects"), provider="Local", url=root.as_uri())[
            "objectstore"
        ]
    )


@pytest.fixture(scope="module")
def volume_types(admin: CloudStack) -> dict[str, dict[str, Any]]:
    """Custom-size disk offerings named after EBS volume types (`gp2`, the provider's default)."""
    return volume_type_offerings(admin)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """The test's own Terraform working directory."""
    path = tmp_path / "tf"
    path.mkdir()
    return path
