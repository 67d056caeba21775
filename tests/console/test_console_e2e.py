"""The web console end to end in Chromium: log in, build a zone with the zone wizard on a
simulator host, deploy a VM with the VM wizard, stop and destroy it from the list, log out
and find the old session refused by the API."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from cs import CloudStack

from tests.support.s3 import Keys, s3_client, server_url
from tests.support.server import AltoServer
from tests.support.tenants import Tenant, unique
from tests.support.vms import offering

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
WAIT_MS = 60_000


def _expect() -> Any:
    """Playwright's `expect`, waiting as long as pages do (a loaded CI machine is slow)."""
    expect = pytest.importorskip("playwright.sync_api").expect
    expect.set_options(timeout=WAIT_MS)
    return expect


def _pick(page: Any, name: str, *, partial: bool = False) -> None:
    """Choose a wizard step's radio button by its label (or the label's start) and go on."""
    label = re.compile(re.escape(name)) if partial else name
    page.get_by_role("radio", name=label).check()
    page.get_by_role("button", name="Next").click()


def log_in(browser: Any, url: str, who: Tenant, *, viewport: dict[str, int] = DESKTOP) -> Any:
    """A new browser context logged in as `who` through the login form; its page."""
    return log_in_as(browser, url, name=who.name, password=who.password, viewport=viewport)


def log_in_as(
    browser: Any, url: str, *, name: str, password: str, viewport: dict[str, int] = DESKTOP
) -> Any:
    """A new browser context logged in as user `name` of ROOT through the login form."""
    page = browser.new_context(viewport=viewport).new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(url)
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Domain").fill("/")
    page.get_by_role("button", name="Log in").click()
    _expect()(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    return page


def test_a_wrong_password_gets_a_readable_error(
    browser: Any, console_url: str, user: Tenant
) -> None:
    page = browser.new_page()
    page.goto(console_url)
    page.get_by_label("Username").fill(user.name)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    _expect()(page.get_by_role("alert")).to_contain_text(f"Failed to authenticate user {user.name}")
    page.context.close()


def test_logging_out_ends_the_session_for_the_api(
    browser: Any, console_url: str, alto_server: AltoServer, user: Tenant, screenshots: Path
) -> None:
    page = log_in(browser, console_url, user)
    page.screenshot(path=str(screenshots / "dashboard.png"))
    session_key = page.evaluate("JSON.parse(sessionStorage.getItem('alto.session')).sessionkey")
    [cookie] = [c for c in page.context.cookies() if c["name"] == "JSESSIONID"]
    assert cookie["httpOnly"] and cookie["sameSite"] in ("Lax", "Strict")
    assert page.evaluate("document.cookie") == ""  # not readable by scripts
    params = {"command": "listZones", "response": "json", "sessionkey": session_key}
    jar = {"JSESSIONID": cookie["value"]}
    assert requests.get(alto_server.endpoint, params=params, cookies=jar, timeout=10).ok

    page.get_by_role("button", name="Log out").click()
    _expect()(page.get_by_role("button", name="Log in")).to_be_visible()
    refused = requests.get(alto_server.endpoint, params=params, cookies=jar, timeout=10)
    assert refused.status_code == 401
    page.context.close()


@pytest.fixture(scope="module")
def wizard_zone(
    browser: Any,
    alto_server: AltoServer,
    root_admin: Tenant,
    tmp_path_factory: pytest.TempPathFactory,
    screenshots: Path,
) -> dict[str, Any]:
    """A zone built by an administrator with the zone wizard: its name, its storage folder and
    what the wizard showed."""
    storage = tmp_path_factory.mktemp("wizard-zone")
    name = unique("wizzone")
    page = log_in(browser, f"{server_url(alto_server)}/console/", root_admin)
    page.get_by_role("link", name="Zones", exact=True).click()
    page.get_by_role("link", name="Add zone (wizard)").click()
    page.get_by_label("Zone name").fill(name)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Public gateway").fill("203.0.113")
    page.get_by_role("button", name="Next").click()
    refusal = page.get_by_role("alert").inner_text()
    page.get_by_label("Public gateway").fill("203.0.113.1")
    page.get_by_role("button", name="Next").click()
    for label, value in {
        "Reserved system gateway": "10.250.7.1",
        "Reserved system netmask": "255.255.255.0",
        "Reserved system start IP": "10.250.7.10",
        "Reserved system end IP": "10.250.7.200",
    }.items():
        page.get_by_label(label).fill(value)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Hypervisor").select_option("Simulator")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Host URL").fill(f"simulator://{name}-host?cpu=8&mem=16384")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("URL").fill((storage / "primary").as_uri())
    page.get_by_role("button", name="Next").click()
    page.get_by_label("URL").fill((storage / "secondary").as_uri())
    page.get_by_role("button", name="Next").click()
    page.screenshot(path=str(screenshots / "zone-wizard.png"))
    page.get_by_role("button", name="Create and enable zone").click()
    _expect()(page.get_by_text("The zone is enabled.")).to_be_visible()
    log = page.get_by_role("status").inner_text()
    page.get_by_role("link", name="Dashboard", exact=True).click()
    page.get_by_label("Zone").select_option(label=name)
    _expect()(page.get_by_role("heading", name=f"Capacity in {name}")).to_be_visible()
    charts = page.locator("svg[role=img]").evaluate_all(
        "charts => charts.map((chart) => chart.getAttribute('aria-label'))"
    )
    page.screenshot(path=str(screenshots / "admin-dashboard.png"), full_page=True)
    page.context.close()
    return {"name": name, "storage": storage, "refusal": refusal, "log": log, "charts": charts}


def test_the_zone_wizard_builds_an_enabled_zone(
    wizard_zone: dict[str, Any], admin: CloudStack
) -> None:
    assert wizard_zone["refusal"] == "Public gateway: 203.0.113 is not an IPv4 address."
    assert "Adding the host" in wizard_zone["log"]
    charted = {label.split(" ")[0] for label in wizard_zone["charts"]}
    assert {"CPU", "Memory"} <= charted, wizard_zone["charts"]
    [zone] = admin.listZones(name=wizard_zone["name"])["zone"]
    assert zone["allocationstate"] == "Enabled"
    [host] = admin.listHosts(zoneid=zone["id"], type="Routing")["host"]
    assert host["state"] == "Up"
    assert admin.listStoragePools(zoneid=zone["id"])["storagepool"][0]["state"] == "Up"
    assert admin.listImageStores(zoneid=zone["id"])["imagestore"]
    [physical] = admin.listPhysicalNetworks(zoneid=zone["id"])["physicalnetwork"]
    assert physical["state"] == "Enabled"


def _until_ready(listed: Callable[[], dict[str, Any]]) -> None:
    """Wait until the template or ISO that `listed` reads says it is ready."""
    deadline = time.monotonic() + 60
    while not (found := listed()).get("isready"):
        assert time.monotonic() < deadline, f"{found['name']} did not become ready"
        time.sleep(0.3)


def _listed_template(admin: CloudStack, template_id: str) -> dict[str, Any]:
    return dict(admin.listTemplates(templatefilter="all", id=template_id)["template"][0])


def _template_in(admin: CloudStack, *, zone_id: str, folder: Path) -> dict[str, Any]:
    image = folder / f"{unique('image')}.raw"
    image.write_bytes(b"\0" * 65536)
    [template] = admin.registerTemplate(
        name=unique("tpl"),
        displaytext="tiny",
        url=image.as_uri(),
        zoneid=zone_id,
        format="RAW",
        hypervisor="Simulator",
        ispublic="true",
        ostypeid=admin.listOsTypes()["ostype"][0]["id"],
    )["template"]
    _until_ready(lambda: _listed_template(admin, template["id"]))
    return dict(template)


def test_a_user_deploys_stops_and_destroys_a_vm(
    browser: Any,
    console_url: str,
    admin: CloudStack,
    user: Tenant,
    wizard_zone: dict[str, Any],
    screenshots: Path,
) -> None:
    expect = _expect()
    [zone] = admin.listZones(name=wizard_zone["name"])["zone"]
    template = _template_in(admin, zone_id=zone["id"], folder=wizard_zone["storage"])
    compute = offering(admin)
    disk = admin.createDiskOffering(name=unique("disk"), displaytext="1 GiB", disksize=1)[
        "diskoffering"
    ]
    name = unique("web").replace("_", "-")
    page = log_in(browser, console_url, user)
    page.get_by_role("link", name="Instances", exact=True).click()
    page.get_by_role("link", name="Deploy instance").click()

    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("alert")).to_have_text("Choose a zone.")
    _pick(page, wizard_zone["name"])
    _pick(page, template["name"], partial=True)
    _pick(page, compute["name"], partial=True)
    _pick(page, "No data disk")
    _pick(page, "The account's default network")
    page.get_by_label("Name").fill("9-not-a-hostname")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("alert")).to_contain_text("Name: letters, digits and hyphens")
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Next").click()
    page.screenshot(path=str(screenshots / "vm-wizard.png"))
    page.get_by_role("button", name="Launch").click()
    expect(page.get_by_text(f"Instance {name} is Running.")).to_be_visible()
    [vm] = user.client().listVirtualMachines(name=name)["virtualmachine"]
    assert vm["state"] == "Running" and vm["zoneid"] == zone["id"]
    assert vm["templateid"] == template["id"] and vm["serviceofferingid"] == compute["id"]

    _attach_a_new_volume(page, vm_name=name, zone_name=wizard_zone["name"], disk=disk)
    page.get_by_role("link", name="Limits and usage").click()
    used = page.locator('tr[data-name="Instances"] td[data-label="Used"]')
    expect(used).to_have_text("1")
    page.get_by_role("link", name="Instances", exact=True).click()
    row = page.locator(f'tr[data-name="{name}"]')
    expect(row.locator('td[data-label="State"]')).to_have_text("Running")
    page.screenshot(path=str(screenshots / "instances.png"))
    _snapshot_with_memory(page, row=row, vm_name=name)
    [taken] = user.client().listVMSnapshot(virtualmachineid=vm["id"])["vmSnapshot"]
    assert (taken["displayname"], taken["type"]) == ("before-stop", "DiskAndMemory")
    row.get_by_role("button", name="Stop").click()
    expect(row.locator('td[data-label="State"]')).to_have_text("Stopped")
    assert user.client().listVirtualMachines(id=vm["id"])["virtualmachine"][0]["state"] == "Stopped"
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Destroy").click()
    expect(row).to_have_count(0)  # users do not list destroyed VMs
    [destroyed] = admin.listVirtualMachines(id=vm["id"])["virtualmachine"]
    assert destroyed["state"] == "Destroyed"
    page.context.close()


def _snapshot_with_memory(page: Any, *, row: Any, vm_name: str) -> None:
    """Take a VM snapshot of the running instance; its form offers memory by default."""
    expect = _expect()
    row.get_by_role("button", name="Snapshot").click()
    form = page.get_by_role("form", name=f"Snapshot {vm_name}")
    expect(form.get_by_label("Include memory", exact=False)).to_have_value("true")
    form.get_by_label("Name").fill("before-stop")
    form.get_by_role("button", name="Save").click()
    expect(form).to_have_count(0)


def _attach_a_new_volume(page: Any, *, vm_name: str, zone_name: str, disk: dict[str, Any]) -> None:
    """Add a volume on the Volumes page and attach it to the instance with its row form."""
    expect = _expect()
    volume = unique("data")
    page.get_by_role("link", name="Volumes", exact=True).click()
    page.get_by_role("button", name="Add volume").click()
    form = page.get_by_role("form", name="Add volume")
    form.get_by_label("Name").fill(volume)
    form.get_by_label("Zone").select_option(label=zone_name)
    form.get_by_label("Disk offering").select_option(label=disk["name"])
    form.get_by_role("button", name="Create").click()
    row = page.locator(f'tr[data-name="{volume}"]')
    row.get_by_role("button", name="Attach").click()
    attach = page.get_by_role("form", name=f"Attach {volume}")
    attach.get_by_label("Instance").select_option(label=vm_name)
    attach.get_by_role("button", name="Save").click()
    expect(row.locator('td[data-label="Instance"]')).to_have_text(vm_name)


def test_on_a_phone_the_menu_folds_away(
    browser: Any, console_url: str, user: Tenant, screenshots: Path
) -> None:
    expect = _expect()
    page = log_in(browser, console_url, user, viewport=PHONE)
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    menu.click()
    page.get_by_role("link", name="Volumes", exact=True).click()
    expect(page.get_by_role("heading", name="Volumes")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide on a {PHONE['width']} px phone"
    page.screenshot(path=str(screenshots / "phone-volumes.png"))
    page.context.close()


def test_a_user_makes_a_bucket_and_moves_a_file_through_it(
    browser: Any,
    console_url: str,
    admin: CloudStack,
    user: Tenant,
    alto_server: AltoServer,
    tmp_path: Path,
    screenshots: Path,
) -> None:
    expect = _expect()
    pool = admin.addObjectStoragePool(
        name=unique("objects"), provider="Local", url=(tmp_path / "pool").as_uri()
    )["objectstore"]
    bucket = unique("files").replace("_", "-")
    upload = tmp_path / "report.bin"
    upload.write_bytes(bytes(range(256)) * 4096)  # 1 MiB
    page = log_in(browser, console_url, user)
    page.get_by_role("link", name="Buckets", exact=True).click()
    page.get_by_role("button", name="Create bucket").click()
    page.get_by_label("Name").fill(bucket)
    page.get_by_label("Object storage").select_option(label=pool["name"])
    page.get_by_role("button", name="Create", exact=True).click()
    row = page.locator(f'tr[data-name="{bucket}"]')
    expect(row).to_have_count(1)
    row.get_by_role("button", name="Browse").click()
    expect(page.get_by_role("heading", name=f"Bucket {bucket}")).to_be_visible()

    page.get_by_label("File").set_input_files(str(upload))
    slow = page.context.new_cdp_session(page)  # 1 MiB at 256 KiB/s: the progress bar shows
    slow.send("Network.enable")
    slow.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "uploadThroughput": 2**18, "downloadThroughput": -1},
    )
    page.get_by_role("button", name="Upload").click()
    progress = page.get_by_role("progressbar", name="Uploading report.bin")
    expect(progress).to_be_visible()
    page.wait_for_function(
        "() => { const bar = document.querySelector('progress'); return bar && bar.value > 0.1 }"
    )
    slow.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "uploadThroughput": -1, "downloadThroughput": -1},
    )
    stored = page.locator('tr[data-name="report.bin"]')
    expect(stored.locator('td[data-label="Size"]')).to_have_text("1.0 MiB")
    page.screenshot(path=str(screenshots / "bucket.png"))
    s3 = s3_client(server_url(alto_server), Keys(access=user.apikey, secret=user.secretkey))
    assert s3.get_object(Bucket=bucket, Key="report.bin")["Body"].read() == upload.read_bytes()

    with page.expect_download() as download:
        stored.get_by_role("button", name="Download").click()
    saved = tmp_path / "downloaded.bin"
    download.value.save_as(saved)
    assert saved.read_bytes() == upload.read_bytes()
    page.context.close()


def _visit_every_page(page: Any) -> dict[str, str]:
    """Open every page in the menu; the error each showed, by title (none: not listed)."""
    expect = _expect()
    titles = page.get_by_role("navigation", name="Main").get_by_role("link").all_inner_texts()
    errors = {}
    for title in titles:
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name=title, exact=True
        ).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        page.wait_for_load_state("networkidle")
        alert = page.get_by_role("alert")
        if alert.count():
            errors[title] = alert.first.inner_text()
    return errors


@pytest.mark.parametrize("who", ["user", "root_admin"])
def test_every_page_loads(
    browser: Any, console_url: str, who: str, request: pytest.FixtureRequest
) -> None:
    page = log_in(browser, console_url, request.getfixturevalue(who))
    assert _visit_every_page(page) == {}
    page.context.close()


def test_the_login_form_works_from_the_keyboard(
    browser: Any, console_url: str, user: Tenant
) -> None:
    page = browser.new_page()
    page.goto(console_url)
    _expect()(page.get_by_label("Username")).to_be_focused()
    page.keyboard.type(user.name)
    page.keyboard.press("Tab")
    page.keyboard.type(user.password)
    page.keyboard.press("Tab")
    page.keyboard.type("/")
    page.keyboard.press("Enter")
    _expect()(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.context.close()


def test_a_refused_create_names_the_field(
    browser: Any, console_url: str, user: Tenant, wizard_zone: dict[str, Any]
) -> None:
    page = log_in(browser, console_url, user)
    page.get_by_role("link", name="VPCs", exact=True).click()
    page.get_by_role("button", name="Add VPC").click()
    page.get_by_label("Name").fill("bad")
    page.get_by_label("Description").fill("bad")
    page.get_by_label("Zone").select_option(label=wizard_zone["name"])
    page.get_by_label("CIDR").fill("10.1.0.0/99")
    _expect()(page.get_by_label("VPC offering")).not_to_have_value("")  # its choices loaded
    page.get_by_role("button", name="Create", exact=True).click()
    _expect()(page.get_by_role("alert")).to_contain_text("CIDR specified 10.1.0.0/99")
    page.context.close()


def test_a_session_ended_by_the_server_leads_back_to_the_login(
    browser: Any, console_url: str, alto_server: AltoServer, user: Tenant
) -> None:
    expect = _expect()
    page = log_in(browser, console_url, user)
    page.wait_for_load_state("networkidle")  # the dashboard has all its figures
    [cookie] = [c for c in page.context.cookies() if c["name"] == "JSESSIONID"]
    requests.post(
        alto_server.endpoint,
        data={"command": "logout", "response": "json"},
        cookies={"JSESSIONID": cookie["value"]},
        timeout=10,
    ).raise_for_status()
    # As a click on the Volumes link does, but also when a late dashboard request has
    # already met the ended session and the menu is gone.
    page.evaluate("location.hash = '#/volumes'")
    expect(page.get_by_text("Your session has ended. Log in again.")).to_be_visible()
    page.get_by_label("Username").fill(user.name)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Volumes")).to_be_visible()
    page.context.close()


def test_an_administrator_adds_an_account_that_can_log_in(
    browser: Any, console_url: str, root_admin: Tenant, admin: CloudStack
) -> None:
    expect = _expect()
    name = unique("console")
    page = log_in(browser, console_url, root_admin)
    page.get_by_role("link", name="Accounts", exact=True).click()
    page.get_by_role("button", name="Add account").click()
    form = page.get_by_role("form", name="Add account")
    for label, value in {
        "Username": name,
        "Password": "console-pass-1",
        "Email": f"{name}@example.com",
        "First name": "Con",
        "Last name": "Sole",
    }.items():
        form.get_by_label(label).fill(value)
    form.get_by_label("Role").select_option(label="User")
    form.get_by_label("Domain").select_option(label="ROOT")
    form.get_by_role("button", name="Create").click()
    page.get_by_label("Search").fill(name)
    page.get_by_label("Search").press("Enter")
    expect(page.locator(f'tr[data-name="{name}"] td[data-label="Role"]')).to_have_text("User")
    page.context.close()

    log_in_as(browser, console_url, name=name, password="console-pass-1").context.close()
    [account] = admin.listAccounts(name=name)["account"]
    assert account["roletype"] == "User"


def test_a_user_makes_a_security_group_and_opens_a_port(
    browser: Any, console_url: str, user: Tenant
) -> None:
    expect = _expect()
    group = unique("web")
    page = log_in(browser, console_url, user)
    page.get_by_role("link", name="Security groups", exact=True).click()
    page.get_by_role("button", name="Add security group").click()
    page.get_by_label("Name").fill(group)
    page.get_by_label("Description").fill("web servers")
    page.get_by_role("button", name="Create", exact=True).click()
    row = page.locator(f'tr[data-name="{group}"]')
    row.get_by_role("button", name="Add ingress rule").click()
    form = page.get_by_role("form", name=f"Add ingress rule {group}")
    form.get_by_label("Protocol").select_option("tcp")
    form.get_by_label("Start port").fill("22")
    form.get_by_label("End port").fill("22")
    form.get_by_role("button", name="Save").click()
    expect(row.locator('td[data-label="Ingress rules"]')).to_have_text("1")
    [listed] = user.client().listSecurityGroups(securitygroupname=group)["securitygroup"]
    [rule] = listed["ingressrule"]
    assert (rule["protocol"], rule["startport"], rule["cidr"]) == ("tcp", 22, "0.0.0.0/0")
    page.context.close()


def test_a_user_deploys_from_an_iso(
    browser: Any,
    console_url: str,
    admin: CloudStack,
    user: Tenant,
    wizard_zone: dict[str, Any],
) -> None:
    expect = _expect()
    [zone] = admin.listZones(name=wizard_zone["name"])["zone"]
    image = wizard_zone["storage"] / f"{unique('cd')}.iso"
    image.write_bytes(b"\0" * 65536)
    [iso] = admin.registerIso(
        name=unique("iso"),
        displaytext="installer",
        url=image.as_uri(),
        zoneid=zone["id"],
        ostypeid=admin.listOsTypes()["ostype"][0]["id"],
        bootable=True,
        ispublic=True,
    )["iso"]
    _until_ready(lambda: admin.listIsos(id=iso["id"], isofilter="all")["iso"][0])
    compute = offering(admin)
    root = admin.createDiskOffering(name=unique("root"), displaytext="1 GiB", disksize=1)[
        "diskoffering"
    ]
    name = unique("cd").replace("_", "-")
    page = log_in(browser, console_url, user)
    page.goto(f"{console_url}#/deploy")
    _pick(page, wizard_zone["name"])
    page.get_by_role("radio", name="ISO", exact=True).check()
    _pick(page, iso["name"], partial=True)
    _pick(page, compute["name"], partial=True)
    _pick(page, "No data disk")
    expect(page.get_by_role("alert")).to_have_text(
        "An ISO needs a disk offering for its root disk."
    )
    _pick(page, root["name"], partial=True)
    _pick(page, "The account's default network")
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Launch").click()
    expect(page.get_by_text(f"Instance {name} is Running.")).to_be_visible()
    [vm] = user.client().listVirtualMachines(name=name)["virtualmachine"]
    assert vm["isoid"] == iso["id"]
    page.context.close()
