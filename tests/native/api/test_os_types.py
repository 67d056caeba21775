"""Guest OS catalogue through the real `cs` client: listOsTypes, listOsCategories."""

from __future__ import annotations

from cs import CloudStack

from tests.support.api import api_error
from tests.support.tenants import Tenant


def test_the_catalogue_is_seeded_with_categories_and_types(admin: CloudStack) -> None:
    os_types = admin.listOsTypes()["ostype"]
    described = {os_type["description"]: os_type for os_type in os_types}
    assert {
        "Debian GNU/Linux 12 (64-bit)",
        "Ubuntu 22.04 LTS",
        "Other Linux (64-bit)",
        "Other (64-bit)",
    } <= set(described)
    debian = described["Debian GNU/Linux 12 (64-bit)"]
    assert debian["oscategoryname"] == "Debian"
    assert debian["isuserdefined"] is False
    assert debian["id"] and debian["oscategoryid"]
    names = {category["name"] for category in admin.listOsCategories()["oscategory"]}
    assert {"CentOS", "Debian", "Ubuntu", "Windows", "Other"} <= names
    assert admin.listOsTypes()["count"] == len(os_types)


def test_users_filter_os_types_by_id_category_and_keyword(tenant: Tenant) -> None:
    client = tenant.client()
    [windows] = client.listOsCategories(name="Windows")["oscategory"]
    in_windows = client.listOsTypes(oscategoryid=windows["id"])["ostype"]
    assert in_windows and all(t["oscategoryid"] == windows["id"] for t in in_windows)
    [ubuntu] = client.listOsTypes(description="Ubuntu 22.04 LTS")["ostype"]
    assert client.listOsTypes(id=ubuntu["id"])["ostype"] == [ubuntu]
    keyword = client.listOsTypes(keyword="Ubuntu")["ostype"]
    assert ubuntu in keyword and all("Ubuntu" in t["description"] for t in keyword)
    assert client.listOsTypes(keyword="no-such-os") == {}


def test_paging_and_unknown_ids(admin: CloudStack) -> None:
    first = admin.listOsTypes(page=1, pagesize=2)
    second = admin.listOsTypes(page=2, pagesize=2)
    assert len(first["ostype"]) == 2 and len(second["ostype"]) == 2
    assert first["count"] == second["count"] > 4
    assert {t["id"] for t in first["ostype"]}.isdisjoint(t["id"] for t in second["ostype"])
    error = api_error(admin.listOsTypes, id="2c1a3d5e-0000-4000-8000-000000000000")
    assert error.errorcode == 431
