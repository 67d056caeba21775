"""listCapabilities: fixed facts about this cloud, and settings read at the caller's scope."""

from __future__ import annotations

from cs import CloudStack

from native.services.runtime import VERSION
from tests.support.server import AltoServer
from tests.support.tenants import new_account


def test_capabilities_for_the_admin(admin: CloudStack) -> None:
    capability = admin.listCapabilities()["capability"]
    assert capability == {
        "cloudstackversion": VERSION,
        "securitygroupsenabled": False,
        "userpublictemplateenabled": True,
        "supportELB": "false",
        "projectinviterequired": False,
        "allowusercreateprojects": True,
        "customdiskofferingminsize": 1,
        "customdiskofferingmaxsize": 1024,
        "allowuserviewdestroyedvm": False,
        "allowuserexpungerecovervm": False,
        "dynamicrolesenabled": True,
        "kvmsnapshotenabled": False,
        "regionsecondaryenabled": False,
        "kubernetesserviceenabled": False,
    }


def test_capabilities_follow_settings_at_the_callers_scope(
    admin: CloudStack, alto_server: AltoServer
) -> None:
    tenant = new_account(admin, endpoint=alto_server.endpoint)
    user = tenant.client()
    assert user.listCapabilities()["capability"]["allowuserexpungerecovervm"] is False
    admin.updateConfiguration(
        name="allow.user.expunge.recover.vm", value="true", accountid=tenant.id
    )
    admin.updateConfiguration(name="custom.diskoffering.size.max", value="2048")
    try:
        mine = user.listCapabilities()["capability"]
        assert (mine["allowuserexpungerecovervm"], mine["customdiskofferingmaxsize"]) == (
            True,
            2048,
        )
        theirs = admin.listCapabilities()["capability"]
        assert (theirs["allowuserexpungerecovervm"], theirs["customdiskofferingmaxsize"]) == (
            False,
            2048,
        )
    finally:
        admin.resetConfiguration(name="allow.user.expunge.recover.vm", accountid=tenant.id)
        admin.resetConfiguration(name="custom.diskoffering.size.max")
    assert user.listCapabilities()["capability"]["customdiskofferingmaxsize"] == 1024
