"""Templates through the real `cs` client against a real server, downloading from a real local
HTTP server: registerTemplate, listTemplates, updateTemplate, deleteTemplate, copyTemplate,
updateTemplatePermissions, listTemplatePermissions."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack

from tests.support.api import api_error, wait_for_job
from tests.support.http_files import HttpFiles
from tests.support.server import AltoServer, ServerFactory
from tests.support.tenants import Tenant, admin_client, new_account, unique
from tests.support.zones import SimZone, build_zone

VIRTUAL_SIZE = 10 * 1024**3


def qcow2_image(payload_size: int = 256 * 1024) -> bytes:
    """A file with a qcow2 header announcing VIRTUAL_SIZE bytes, padded with data."""
    header = b"QFI\xfb" + (3).to_bytes(4, "big") + bytes(16) + VIRTUAL_SIZE.to_bytes(8, "big")
    return header + bytes(range(256)) * (payload_size // 256)


@pytest.fixture(scope="module")
def http() -> Iterator[HttpFiles]:
    with HttpFiles() as files:
        yield files


@pytest.fixture(scope="module")
def zone_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("zone")


@pytest.fixture(scope="module")
def zone(admin: CloudStack, zone_root: Path) -> SimZone:
    return build_zone(admin, root=zone_root, hosts=1)


def os_type_id(client: CloudStack, description: str = "Debian GNU/Linux 12 (64-bit)") -> str:
    return str(client.listOsTypes(description=description)["ostype"][0]["id"])


def register(client: CloudStack, zone: SimZone, url: str, **params: Any) -> list[dict[str, Any]]:
    values: dict[str, Any] = {
        "name": unique("tmpl"),
        "displaytext": "a template",
        "url": url,
        "zoneid": zone.id,
        "format": "QCOW2",
        "hypervisor": "Simulator",
        "ostypeid": os_type_id(client),
    }
    values.update(params)
    return list(client.registerTemplate(**values)["template"])


def served(http: HttpFiles, data: bytes, **options: Any) -> str:
    return http.add(unique("image") + ".qcow2", data, **options)


def poll(
    client: CloudStack,
    template_id: str,
    until: Callable[[dict[str, Any]], bool],
    *,
    timeout: float = 30.0,
    templatefilter: str = "self",
) -> dict[str, Any]:
    """The template's first entry once `until` holds for it."""
    deadline = time.monotonic() + timeout
    entry: dict[str, Any] = {}
    while time.monotonic() < deadline:
        entries = client.listTemplates(templatefilter=templatefilter, id=template_id).get(
            "template", []
        )
        if entries and until(entries[0]):
            return dict(entries[0])
        entry = entries[0] if entries else {}
        time.sleep(0.1)
    raise AssertionError(f"template {template_id} never got there; last seen: {entry}")


def settled(entry: dict[str, Any]) -> bool:
    return bool(entry["isready"]) or "failed" in entry.get("status", "").lower()


def files_of(root: Path, template_id: str) -> list[Path]:
    return sorted((root / "secondary").rglob(f"*{template_id}*"))


def ready_template(
    client: CloudStack, zone: SimZone, http: HttpFiles, **params: Any
) -> dict[str, Any]:
    [entry] = register(client, zone, served(http, qcow2_image(4096)), **params)
    return poll(client, entry["id"], settled)


# --- registerTemplate and the download ---------------------------------------------------


def test_register_from_http_shows_progress_then_becomes_ready(
    tenant: Tenant, zone: SimZone, zone_root: Path, http: HttpFiles
) -> None:
    client = tenant.client()
    data = qcow2_image(512 * 1024)
    name = unique("slow") + ".qcow2"
    url = http.add(name, data, chunk=16 * 1024, delay=0.05, hold_after=len(data) // 2)
    checksum = "{SHA-256}" + hashlib.sha256(data).hexdigest()

    [entry] = register(client, zone, url, checksum=checksum, passwordenabled="true")
    assert entry["isready"] is False
    assert entry["format"] == "QCOW2" and entry["hypervisor"] == "Simulator"
    assert entry["zoneid"] == zone.id and entry["zonename"] == zone.zone["name"]
    assert entry["account"] == tenant.name and entry["domainid"] == tenant.domainid
    assert entry["templatetype"] == "USER" and entry["crossZones"] is False
    assert entry["ostypename"] == "Debian GNU/Linux 12 (64-bit)"
    assert entry["checksum"] == checksum and entry["passwordenabled"] is True

    moving = poll(
        client,
        entry["id"],
        lambda e: bool(re.fullmatch(r"[1-9]\d?% Downloaded", e.get("status", ""))),
    )
    assert moving["isready"] is False
    [details] = moving["downloaddetails"]
    assert details["downloadState"] == "DOWNLOAD_IN_PROGRESS"
    assert details["datastore"] == zone.image_store["name"]
    http.release(name)

    ready = poll(client, entry["id"], settled)
    assert ready["isready"] is True, ready
    assert ready["status"] == "Download Complete"
    assert ready["size"] == VIRTUAL_SIZE
    assert ready["physicalsize"] == len(data)
    assert ready["downloaddetails"][0]["downloadState"] == "DOWNLOADED"
    assert ready["downloaddetails"][0]["downloadPercent"] == "100"
    [stored] = files_of(zone_root, entry["id"])
    assert stored.read_bytes() == data
    assert stored.relative_to(zone_root / "secondary").parts[:2] == ("template", "tmpl")
    assert stored.name == f"{entry['id']}.qcow2"


def test_register_from_a_file_url_with_an_md5_checksum(
    admin: CloudStack, zone: SimZone, zone_root: Path, tmp_path: Path
) -> None:
    image = tmp_path / "disk.raw"
    image.write_bytes(b"\0" * 3000 + b"data")
    [entry] = register(
        admin,
        zone,
        f"file://{image}",
        format="RAW",
        checksum=hashlib.md5(image.read_bytes()).hexdigest(),
    )
    ready = poll(admin, entry["id"], settled)
    assert ready["isready"] is True, ready
    assert ready["size"] == ready["physicalsize"] == 3004
    [stored] = files_of(zone_root, entry["id"])
    assert stored.suffix == ".raw"


def test_a_checksum_mismatch_fails_and_leaves_no_file(
    tenant: Tenant, zone: SimZone, zone_root: Path, http: HttpFiles
) -> None:
    client = tenant.client()
    wrong = "{MD5}" + "0" * 32
    [entry] = register(client, zone, served(http, qcow2_image()), checksum=wrong)
    failed = poll(client, entry["id"], settled)
    assert failed["isready"] is False
    assert "checksum mismatch" in failed["status"] and wrong in failed["status"]
    assert failed["downloaddetails"][0]["downloadState"] == "DOWNLOAD_ERROR"
    assert files_of(zone_root, entry["id"]) == []


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("{base}/missing.qcow2", "HTTP 404"),
        ("http://127.0.0.1:9/nothing.qcow2", "unreachable"),
    ],
)
def test_a_bad_url_fails_with_a_clear_status(
    tenant: Tenant, zone: SimZone, zone_root: Path, http: HttpFiles, url: str, why: str
) -> None:
    client = tenant.client()
    [entry] = register(client, zone, url.format(base=http.base))
    failed = poll(client, entry["id"], settled)
    assert failed["isready"] is False
    assert failed["status"].startswith("Download failed") and why in failed["status"]
    assert files_of(zone_root, entry["id"]) == []


def test_a_missing_file_url_fails(admin: CloudStack, zone: SimZone, tmp_path: Path) -> None:
    [entry] = register(admin, zone, f"file://{tmp_path}/absent.qcow2")
    failed = poll(admin, entry["id"], settled)
    assert "No such file" in failed["status"]


def test_a_qcow2_template_without_a_qcow2_header_fails(
    tenant: Tenant, zone: SimZone, zone_root: Path, http: HttpFiles
) -> None:
    [entry] = register(tenant.client(), zone, served(http, b"not an image"))
    failed = poll(tenant.client(), entry["id"], settled)
    assert "not a valid QCOW2 image" in failed["status"]
    assert files_of(zone_root, entry["id"]) == []


def test_bad_registrations_fail_at_once(tenant: Tenant, zone: SimZone, http: HttpFiles) -> None:
    client = tenant.client()
    good = served(http, qcow2_image())
    cases: list[tuple[dict[str, Any], int]] = [
        ({"url": "ftp://example.com/a.qcow2"}, 431),
        ({"url": "http://[::1/a.qcow2"}, 431),
        ({"url": "http:///a.qcow2"}, 431),
        ({"url": "file:///etc/hostname"}, 531),
        ({"format": "ZIP"}, 431),
        ({"hypervisor": "Xen"}, 431),
        ({"ostypeid": "2c1a3d5e-0000-4000-8000-000000000000"}, 431),
        ({"zoneid": "2c1a3d5e-0000-4000-8000-000000000000"}, 431),
        ({"checksum": "{CRC}1234"}, 431),
        ({"checksum": "abc"}, 431),
        ({"isfeatured": "true"}, 531),
    ]
    for params, code in cases:
        values = {"url": good, **params}
        error = api_error(lambda **p: register(client, zone, **p), **values)
        assert error.errorcode == code, (params, error)


def test_register_to_every_zone(admin: CloudStack, zone: SimZone, http: HttpFiles) -> None:
    entries = register(admin, zone, served(http, qcow2_image(4096)), zoneid="-1")
    assert zone.id in {entry["zoneid"] for entry in entries}
    assert all(entry["crossZones"] is True for entry in entries)


# --- listTemplates filters and permissions ----------------------------------------------


def test_template_filters_between_two_tenants(
    admin: CloudStack,
    alto_server: AltoServer,
    tenant: Tenant,
    zone: SimZone,
    http: HttpFiles,
) -> None:
    alice = tenant.client()
    bob = new_account(admin, domainid=tenant.domainid, endpoint=alto_server.endpoint).client()
    private = ready_template(alice, zone, http)
    public = ready_template(alice, zone, http, ispublic="true")
    featured = ready_template(admin, zone, http, ispublic="true", isfeatured="true")

    def ids(client: CloudStack, templatefilter: str) -> set[str]:
        found = client.listTemplates(templatefilter=templatefilter).get("template", [])
        return {entry["id"] for entry in found}

    assert {private["id"], public["id"]} <= ids(alice, "self")
    assert {private["id"], public["id"]} <= ids(alice, "selfexecutable")
    assert ids(bob, "self") == set()
    assert featured["id"] in ids(bob, "featured") and public["id"] not in ids(bob, "featured")
    assert public["id"] in ids(bob, "community") and featured["id"] not in ids(bob, "community")
    executable = ids(bob, "executable")
    assert {public["id"], featured["id"]} <= executable and private["id"] not in executable
    assert ids(bob, "sharedexecutable") == set()
    assert api_error(bob.listTemplates, templatefilter="all").errorcode == 431
    assert api_error(bob.listTemplates, templatefilter="mine").errorcode == 431
    assert api_error(bob.listTemplates, templatefilter="self", id=private["id"]).errorcode == 431
    assert {private["id"], public["id"], featured["id"]} <= ids(admin, "all")

    bob_name = bob.listAccounts()["account"][0]["name"]
    alice.updateTemplatePermissions(id=private["id"], accounts=bob_name, op="add")
    assert ids(bob, "sharedexecutable") == {private["id"]}
    assert private["id"] in ids(bob, "executable")
    permissions = alice.listTemplatePermissions(id=private["id"])["templatepermission"]
    assert permissions["account"] == [bob_name] and permissions["ispublic"] is False
    assert api_error(bob.listTemplatePermissions, id=private["id"]).errorcode == 531
    assert (
        api_error(bob.updateTemplatePermissions, id=private["id"], ispublic="true").errorcode == 531
    )

    alice.updateTemplatePermissions(id=private["id"], accounts=bob_name, op="remove")
    assert ids(bob, "sharedexecutable") == set()
    alice.updateTemplatePermissions(id=private["id"], ispublic="true")
    assert private["id"] in ids(bob, "community")
    error = api_error(alice.updateTemplatePermissions, id=private["id"], isfeatured="true")
    assert error.errorcode == 531
    error = api_error(
        alice.updateTemplatePermissions, id=private["id"], accounts="nobody", op="add"
    )
    assert error.errorcode == 431


def test_list_filters_by_name_keyword_hypervisor_and_zone(
    tenant: Tenant, zone: SimZone, http: HttpFiles
) -> None:
    client = tenant.client()
    name = unique("findme")
    [entry] = register(client, zone, served(http, qcow2_image(4096)), name=name)
    assert [
        e["id"] for e in client.listTemplates(templatefilter="self", name=name)["template"]
    ] == [entry["id"]]
    assert entry["id"] in {
        e["id"] for e in client.listTemplates(templatefilter="self", keyword=name[-8:])["template"]
    }
    assert client.listTemplates(templatefilter="self", name=name, hypervisor="KVM") == {}
    assert client.listTemplates(templatefilter="self", name=name, zoneid=zone.id)["count"] == 1


def test_update_template(tenant: Tenant, zone: SimZone, http: HttpFiles) -> None:
    client = tenant.client()
    [entry] = register(client, zone, served(http, qcow2_image(4096)))
    ubuntu = os_type_id(client, "Ubuntu 22.04 LTS")
    updated = client.updateTemplate(
        id=entry["id"],
        name="renamed",
        displaytext="new",
        ostypeid=ubuntu,
        sshkeyenabled="true",
        format="RAW",
    )["template"]
    assert (updated["name"], updated["displaytext"]) == ("renamed", "new")
    assert updated["ostypeid"] == ubuntu and updated["sshkeyenabled"] is True
    assert updated["format"] == "RAW"
    assert api_error(client.updateTemplate, id=entry["id"], format="DOC").errorcode == 431


# --- copyTemplate and deleteTemplate -----------------------------------------------------


def test_copy_to_a_second_zone_then_delete_zone_by_zone(
    admin: CloudStack,
    tenant: Tenant,
    zone: SimZone,
    http: HttpFiles,
    tmp_path: Path,
) -> None:
    client = tenant.client()
    second = build_zone(admin, root=tmp_path, hosts=1)
    template = ready_template(client, zone, http)
    assert template["isready"] is True

    job = wait_for_job(
        client,
        client.copyTemplate(id=template["id"], sourcezoneid=zone.id, destzoneid=second.id)["jobid"],
    )
    assert job["jobstatus"] == 1, job
    copied = job["jobresult"]["template"]
    assert copied["zoneid"] == second.id and copied["isready"] is True
    entries = client.listTemplates(templatefilter="self", id=template["id"])["template"]
    assert {entry["zoneid"] for entry in entries} == {zone.id, second.id}
    assert files_of(tmp_path, template["id"])
    error = api_error(
        client.copyTemplate, id=template["id"], sourcezoneid=zone.id, destzoneid=zone.id
    )
    assert error.errorcode == 431

    job = wait_for_job(client, client.deleteTemplate(id=template["id"], zoneid=second.id)["jobid"])
    assert job["jobstatus"] == 1, job
    [left] = client.listTemplates(templatefilter="self", id=template["id"])["template"]
    assert left["zoneid"] == zone.id
    assert files_of(tmp_path, template["id"]) == []

    job = wait_for_job(client, client.deleteTemplate(id=template["id"])["jobid"])
    assert job["jobstatus"] == 1, job
    assert (
        api_error(client.listTemplates, templatefilter="self", id=template["id"]).errorcode == 431
    )
    assert client.listTemplates(templatefilter="self", name=template["name"]) == {}
    [removed] = admin.listTemplates(
        templatefilter="all", name=template["name"], showremoved="true"
    )["template"]
    assert removed["id"] == template["id"] and removed["removed"]


def test_only_the_owner_or_an_admin_deletes(
    admin: CloudStack, alto_server: AltoServer, tenant: Tenant, zone: SimZone, http: HttpFiles
) -> None:
    [entry] = register(tenant.client(), zone, served(http, qcow2_image(4096)), ispublic="true")
    other = new_account(admin, endpoint=alto_server.endpoint).client()
    assert api_error(other.deleteTemplate, id=entry["id"]).errorcode == 531
    job = wait_for_job(admin, admin.deleteTemplate(id=entry["id"])["jobid"])
    assert job["jobstatus"] == 1, job


# --- createTemplate, and templates in use ------------------------------------------------


def test_create_template_from_a_stopped_vm_and_from_a_snapshot(
    admin: CloudStack, tenant: Tenant, zone: SimZone, zone_root: Path, http: HttpFiles
) -> None:
    client = tenant.client()
    [entry] = register(client, zone, http.add(unique("disk") + ".raw", bytes(8192)), format="RAW")
    source = poll(client, entry["id"], settled)
    offering = admin.createServiceOffering(
        name=unique("so"), cpunumber=1, cpuspeed=500, memory=256
    )["serviceoffering"]
    job = wait_for_job(
        client,
        client.deployVirtualMachine(
            zoneid=zone.id, templateid=source["id"], serviceofferingid=offering["id"]
        )["jobid"],
    )
    assert job["jobstatus"] == 1, job
    vm = job["jobresult"]["virtualmachine"]
    assert api_error(client.deleteTemplate, id=source["id"]).errorcode == 536
    [root] = client.listVolumes(virtualmachineid=vm["id"], type="ROOT")["volume"]
    os_type = os_type_id(client, "Ubuntu 22.04 LTS")
    error = api_error(client.createTemplate, name="x", ostypeid=os_type, volumeid=root["id"])
    assert error.errorcode == 431 and "stop" in error.errortext

    assert wait_for_job(client, client.stopVirtualMachine(id=vm["id"])["jobid"])["jobstatus"] == 1
    answer = client.createTemplate(name=unique("fromvol"), ostypeid=os_type, volumeid=root["id"])
    job = wait_for_job(client, answer["jobid"])
    assert job["jobstatus"] == 1, job
    made = job["jobresult"]["template"]
    assert made["id"] == answer["id"]
    assert made["isready"] is True and made["zoneid"] == zone.id
    assert made["ostypeid"] == os_type and made["account"] == tenant.name
    assert made["size"] == root["size"]
    assert files_of(zone_root, made["id"])

    job = wait_for_job(client, client.createSnapshot(volumeid=root["id"])["jobid"])
    assert job["jobstatus"] == 1, job
    snapshot = job["jobresult"]["snapshot"]
    job = wait_for_job(
        client,
        client.createTemplate(name=unique("fromsnap"), ostypeid=os_type, snapshotid=snapshot["id"])[
            "jobid"
        ],
    )
    assert job["jobstatus"] == 1, job
    assert job["jobresult"]["template"]["isready"] is True

    forced = wait_for_job(client, client.deleteTemplate(id=source["id"], forced="true")["jobid"])
    assert forced["jobstatus"] == 1, forced


# --- recovery ----------------------------------------------------------------------------


def test_a_download_cut_by_a_restart_starts_again(
    start_alto_server: ServerFactory, http: HttpFiles, tmp_path: Path
) -> None:
    server = start_alto_server()
    admin = admin_client(server)
    own_zone = build_zone(admin, root=tmp_path, hosts=1)
    data = qcow2_image(256 * 1024)
    name = unique("cut") + ".qcow2"
    url = http.add(name, data, chunk=8 * 1024, delay=0.05, hold_after=len(data) // 2)
    [entry] = register(admin, own_zone, url)
    poll(
        admin,
        entry["id"],
        lambda e: bool(re.fullmatch(r"[1-9]\d?% Downloaded", e.get("status", ""))),
    )

    server.restart()
    admin = admin_client(server)
    http.release(name)
    ready = poll(admin, entry["id"], settled)
    assert ready["isready"] is True, ready
    assert http.hits[name] == 2
    [stored] = files_of(tmp_path, entry["id"])
    assert stored.read_bytes() == data


# --- limits ------------------------------------------------------------------------------


def test_template_and_secondary_storage_limits(
    admin: CloudStack, tenant: Tenant, zone: SimZone, zone_root: Path, http: HttpFiles
) -> None:
    client = tenant.client()
    owner = {"account": tenant.name, "domainid": tenant.domainid}
    admin.updateResourceLimit(resourcetype=4, max=1, **owner)
    admin.updateResourceLimit(resourcetype=11, max=0, **owner)
    [entry] = register(client, zone, served(http, qcow2_image(4096)))
    error = api_error(lambda **p: register(client, zone, **p), url=http.url("x.qcow2"))
    assert error.errorcode == 532

    failed = poll(client, entry["id"], settled)
    assert failed["isready"] is False
    assert "secondary_storage" in failed["status"]
    assert files_of(zone_root, entry["id"]) == []

    assert wait_for_job(client, client.deleteTemplate(id=entry["id"])["jobid"])["jobstatus"] == 1
    admin.updateResourceLimit(resourcetype=11, max=-1, **owner)
    [again] = register(client, zone, served(http, qcow2_image(4096)))
    assert poll(client, again["id"], settled)["isready"] is True
