"""EC2 instance attributes, console output, passwords, instance types and credit specifications
through boto3."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cs import CloudStack

from tests.support.ec2_instances import Ec2Site, aws_id_of


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def _attribute(site: Ec2Site, instance_id: str, name: str) -> dict[str, Any]:
    answer = site.ec2.describe_instance_attribute(InstanceId=instance_id, Attribute=name)
    assert answer["InstanceId"] == instance_id
    return dict(answer)


def test_describe_attributes(site: Ec2Site) -> None:
    instance_id = site.run(DisableApiStop=True, InstanceInitiatedShutdownBehavior="terminate")[
        "Instances"
    ][0]["InstanceId"]
    assert _attribute(site, instance_id, "instanceType")["InstanceType"] == {
        "Value": site.instance_type
    }
    assert _attribute(site, instance_id, "disableApiTermination")["DisableApiTermination"] == {
        "Value": False
    }
    assert _attribute(site, instance_id, "disableApiStop")["DisableApiStop"] == {"Value": True}
    assert _attribute(site, instance_id, "instanceInitiatedShutdownBehavior")[
        "InstanceInitiatedShutdownBehavior"
    ] == {"Value": "terminate"}
    assert _attribute(site, instance_id, "sourceDestCheck")["SourceDestCheck"] == {"Value": True}
    assert _attribute(site, instance_id, "rootDeviceName")["RootDeviceName"] == {
        "Value": "/dev/sda1"
    }
    [root] = _attribute(site, instance_id, "blockDeviceMapping")["BlockDeviceMappings"]
    assert root["DeviceName"] == "/dev/sda1"
    assert _attribute(site, instance_id, "ebsOptimized")["EbsOptimized"] == {"Value": False}
    assert _attribute(site, instance_id, "enaSupport")["EnaSupport"] == {"Value": True}
    assert "Value" not in _attribute(site, instance_id, "userData").get("UserData", {})
    groups = _attribute(site, instance_id, "groupSet")["Groups"]
    assert groups == site.instance(instance_id)["SecurityGroups"]
    with pytest.raises(ClientError) as error:
        site.ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="nonsense")
    assert _code(error) == "InvalidParameterValue"
    with pytest.raises(ClientError) as error:
        site.ec2.describe_instance_attribute(
            InstanceId="i-00000000000000000", Attribute="instanceType"
        )
    assert _code(error) == "InvalidInstanceID.NotFound"


def test_disable_api_termination_and_stop(site: Ec2Site) -> None:
    instance_id = site.run(DisableApiTermination=True)["Instances"][0]["InstanceId"]
    assert _attribute(site, instance_id, "disableApiTermination")["DisableApiTermination"] == {
        "Value": True
    }
    with pytest.raises(ClientError) as error:
        site.ec2.terminate_instances(InstanceIds=[instance_id])
    assert _code(error) == "OperationNotPermitted"
    site.ec2.modify_instance_attribute(InstanceId=instance_id, DisableApiStop={"Value": True})
    with pytest.raises(ClientError) as error:
        site.ec2.stop_instances(InstanceIds=[instance_id])
    assert _code(error) == "OperationNotPermitted"
    site.ec2.modify_instance_attribute(InstanceId=instance_id, DisableApiStop={"Value": False})
    site.ec2.modify_instance_attribute(
        InstanceId=instance_id, DisableApiTermination={"Value": False}
    )
    site.ec2.stop_instances(InstanceIds=[instance_id])
    site.ec2.terminate_instances(InstanceIds=[instance_id])
    site.wait("instance_terminated", instance_id)


def test_modify_type_user_data_and_flags(site: Ec2Site, admin: CloudStack) -> None:
    bigger = admin.createServiceOffering(
        name=f"big-{site.tenant.name}", displaytext="big", cpunumber=2, cpuspeed=500, memory=1024
    )["serviceoffering"]
    instance_id = site.run()["Instances"][0]["InstanceId"]
    site.wait("instance_running", instance_id)
    with pytest.raises(ClientError) as error:
        site.ec2.modify_instance_attribute(
            InstanceId=instance_id, InstanceType={"Value": bigger["name"]}
        )
    assert _code(error) == "IncorrectInstanceState"
    site.ec2.stop_instances(InstanceIds=[instance_id])
    site.wait("instance_stopped", instance_id)
    site.ec2.modify_instance_attribute(
        InstanceId=instance_id, InstanceType={"Value": bigger["name"]}
    )
    assert site.instance(instance_id)["InstanceType"] == bigger["name"]
    assert site.instance(instance_id)["CpuOptions"]["CoreCount"] == 2
    with pytest.raises(ClientError) as error:
        site.ec2.modify_instance_attribute(
            InstanceId=instance_id, InstanceType={"Value": "no-such-type"}
        )
    assert _code(error) == "InvalidParameterValue"
    site.ec2.modify_instance_attribute(InstanceId=instance_id, UserData={"Value": b"#!/bin/sh\n"})
    data = _attribute(site, instance_id, "userData")["UserData"]["Value"]
    assert base64.b64decode(data) == b"#!/bin/sh\n"
    site.ec2.modify_instance_attribute(InstanceId=instance_id, SourceDestCheck={"Value": False})
    assert site.instance(instance_id)["SourceDestCheck"] is False
    site.ec2.modify_instance_attribute(
        InstanceId=instance_id, Attribute="instanceInitiatedShutdownBehavior", Value="stop"
    )
    assert _attribute(site, instance_id, "instanceInitiatedShutdownBehavior")[
        "InstanceInitiatedShutdownBehavior"
    ] == {"Value": "stop"}
    assert _attribute(site, instance_id, "sourceDestCheck")["SourceDestCheck"] == {"Value": False}
    with pytest.raises(ClientError) as error:
        site.ec2.modify_instance_attribute(InstanceId=instance_id, EbsOptimized={"Value": True})
    assert _code(error) == "UnsupportedOperation"
    with pytest.raises(ClientError) as error:
        site.ec2.modify_instance_attribute(InstanceId=instance_id)
    assert _code(error) == "InvalidParameterCombination"


def test_modify_group_set(site: Ec2Site) -> None:
    group = site.tenant.client().createSecurityGroup(name="other")["securitygroup"]
    group_id = aws_id_of(site.server, "security-group", str(group["id"]))
    instance_id = site.run()["Instances"][0]["InstanceId"]
    site.ec2.stop_instances(InstanceIds=[instance_id])
    site.wait("instance_stopped", instance_id)
    site.ec2.modify_instance_attribute(InstanceId=instance_id, Groups=[group_id])
    assert _attribute(site, instance_id, "groupSet")["Groups"] == [
        {"GroupId": group_id, "GroupName": "other"}
    ]
    with pytest.raises(ClientError) as error:
        site.ec2.modify_instance_attribute(InstanceId=instance_id, Groups=["sg-00000000000000000"])
    assert _code(error) == "InvalidGroup.NotFound"


def test_console_output_and_password_data(site: Ec2Site) -> None:
    instance_id = site.run()["Instances"][0]["InstanceId"]
    site.wait("instance_running", instance_id)
    output = site.ec2.get_console_output(InstanceId=instance_id)
    assert output["InstanceId"] == instance_id and output["Timestamp"]
    assert output.get("Output", "") == ""
    password = site.ec2.get_password_data(InstanceId=instance_id)
    assert password["InstanceId"] == instance_id and password["PasswordData"] == ""
    with pytest.raises(ClientError) as error:
        site.ec2.get_console_output(InstanceId="i-00000000000000000")
    assert _code(error) == "InvalidInstanceID.NotFound"


def test_instance_types(site: Ec2Site, admin: CloudStack) -> None:
    burst = admin.createServiceOffering(
        name=f"t3.{site.tenant.name}", displaytext="burst", cpunumber=2, cpuspeed=1000, memory=2048
    )["serviceoffering"]
    [found] = site.ec2.describe_instance_types(InstanceTypes=[burst["name"]])["InstanceTypes"]
    assert found["VCpuInfo"]["DefaultVCpus"] == 2 and found["MemoryInfo"]["SizeInMiB"] == 2048
    assert found["BurstablePerformanceSupported"] is True
    assert found["ProcessorInfo"]["SupportedArchitectures"] == ["x86_64"]
    assert found["SupportedRootDeviceTypes"] == ["ebs"]
    [plain] = site.ec2.describe_instance_types(InstanceTypes=[site.instance_type])["InstanceTypes"]
    assert plain["BurstablePerformanceSupported"] is False
    filtered = site.ec2.describe_instance_types(
        Filters=[{"Name": "burstable-performance-supported", "Values": ["true"]}]
    )["InstanceTypes"]
    assert burst["name"] in {row["InstanceType"] for row in filtered}
    assert site.instance_type not in {row["InstanceType"] for row in filtered}
    with pytest.raises(ClientError) as error:
        site.ec2.describe_instance_types(InstanceTypes=["no.such"])
    assert _code(error) == "InvalidInstanceType"

    burstable = site.run(InstanceType=burst["name"])["Instances"][0]["InstanceId"]
    plain_id = site.run()["Instances"][0]["InstanceId"]
    specs = site.ec2.describe_instance_credit_specifications()["InstanceCreditSpecifications"]
    assert specs == [{"InstanceId": burstable, "CpuCredits": "standard"}]
    named = site.ec2.describe_instance_credit_specifications(InstanceIds=[burstable, plain_id])
    assert named["InstanceCreditSpecifications"] == specs
