"""AWS Query API errors (EC2, STS, IAM): one exception class per AWS error code.

A translator raises these; the gateway renders them in the service's XML error shape with
`status`. `ID_ERRORS` holds the `.NotFound` and `.Malformed` classes of each kind of AWS id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar


class AwsError(Exception):
    """An error answer: `code` and `status` are what AWS sends; `sender` is False for the
    server's own faults (the Query protocol's `Type` of `Receiver`)."""

    code: ClassVar[str] = "InternalError"
    status: ClassVar[int] = 400
    sender: ClassVar[bool] = True

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def _error(code: str, *, status: int = 400, base: type[AwsError] = AwsError) -> type[AwsError]:
    name = "".join(part[:1].upper() + part[1:] for part in code.replace(".", " ").split())
    return type(name, (base,), {"code": code, "status": status})


class InternalError(AwsError):
    code = "InternalError"
    status = 500
    sender = False


class InvalidAction(AwsError):
    code = "InvalidAction"


class UnsupportedOperation(AwsError):
    code = "UnsupportedOperation"


class MissingParameter(AwsError):
    code = "MissingParameter"


class InvalidParameterValue(AwsError):
    code = "InvalidParameterValue"


class InvalidParameter(AwsError):
    code = "InvalidParameter"


class InvalidParameterCombination(AwsError):
    code = "InvalidParameterCombination"


class InvalidFilter(AwsError):
    code = "InvalidFilter"


class InvalidPaginationToken(AwsError):
    code = "InvalidPaginationToken"


class AuthFailure(AwsError):
    code = "AuthFailure"
    status = 401


class UnauthorizedOperation(AwsError):
    code = "UnauthorizedOperation"
    status = 403


class DryRunOperation(AwsError):
    code = "DryRunOperation"
    status = 412


class IncorrectState(AwsError):
    code = "IncorrectState"


class IncorrectInstanceState(AwsError):
    code = "IncorrectInstanceState"


class OperationNotPermitted(AwsError):
    code = "OperationNotPermitted"


class InvalidInstanceType(AwsError):
    code = "InvalidInstanceType"


class DependencyViolation(AwsError):
    code = "DependencyViolation"


class VolumeInUse(AwsError):
    code = "VolumeInUse"


class InvalidVolumeZoneMismatch(AwsError):
    code = "InvalidVolume.ZoneMismatch"


class InvalidAttachmentNotFound(AwsError):
    code = "InvalidAttachment.NotFound"


class InvalidVolumeModificationNotFound(AwsError):
    code = "InvalidVolumeModification.NotFound"


class InsufficientCapacity(AwsError):
    """The cloud is full. AWS sends these codes as server errors (500); here they are 400s,
    so that SDKs do not retry a request a full cloud will refuse again, and no 500 ever
    means "full"."""


class InsufficientInstanceCapacity(InsufficientCapacity):
    code = "InsufficientInstanceCapacity"


class InstanceLimitExceeded(AwsError):
    code = "InstanceLimitExceeded"


class ResourceLimitExceeded(AwsError):
    code = "ResourceLimitExceeded"


class InvalidGroupDuplicate(AwsError):
    code = "InvalidGroup.Duplicate"


class InvalidGroupReserved(AwsError):
    code = "InvalidGroup.Reserved"


class CannotDelete(AwsError):
    code = "CannotDelete"


class InvalidPermissionDuplicate(AwsError):
    code = "InvalidPermission.Duplicate"


class InvalidPermissionNotFound(AwsError):
    code = "InvalidPermission.NotFound"


class InvalidKeyPairDuplicate(AwsError):
    code = "InvalidKeyPair.Duplicate"


class InvalidKeyFormat(AwsError):
    code = "InvalidKey.Format"


class InvalidAMINameDuplicate(AwsError):
    code = "InvalidAMIName.Duplicate"


class InvalidAMINameMalformed(AwsError):
    code = "InvalidAMIName.Malformed"


class InvalidAMIAttributeItemValue(AwsError):
    code = "InvalidAMIAttributeItemValue"


class InvalidUserIDMalformed(AwsError):
    code = "InvalidUserID.Malformed"


class InvalidID(AwsError):
    code = "InvalidID"


class TagLimitExceeded(AwsError):
    code = "TagLimitExceeded"


class AddressLimitExceeded(AwsError):
    code = "AddressLimitExceeded"


class InsufficientAddressCapacity(InsufficientCapacity):
    code = "InsufficientAddressCapacity"


class InvalidAddressNotFound(AwsError):
    code = "InvalidAddress.NotFound"


class InvalidAssociationIDNotFound(AwsError):
    code = "InvalidAssociationID.NotFound"


class InvalidIPAddressInUse(AwsError):
    code = "InvalidIPAddress.InUse"


class ResourceAlreadyAssociated(AwsError):
    code = "Resource.AlreadyAssociated"


class NoSuchEntity(AwsError):
    code = "NoSuchEntity"
    status = 404


ID_ERROR_CODES: Mapping[str, tuple[str, str]] = {
    "account": ("InvalidUserID.NotFound", "InvalidUserID.Malformed"),
    "instance": ("InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed"),
    "volume": ("InvalidVolume.NotFound", "InvalidVolumeID.Malformed"),
    "snapshot": ("InvalidSnapshot.NotFound", "InvalidSnapshotID.Malformed"),
    "image": ("InvalidAMIID.NotFound", "InvalidAMIID.Malformed"),
    "key-pair": ("InvalidKeyPair.NotFound", "InvalidKeyPair.Malformed"),
    "security-group": ("InvalidGroup.NotFound", "InvalidGroupId.Malformed"),
    "security-group-rule": (
        "InvalidSecurityGroupRuleId.NotFound",
        "InvalidSecurityGroupRuleId.Malformed",
    ),
    "vpc": ("InvalidVpcID.NotFound", "InvalidVpcID.Malformed"),
    "subnet": ("InvalidSubnetID.NotFound", "InvalidSubnetID.Malformed"),
    "network-interface": (
        "InvalidNetworkInterfaceID.NotFound",
        "InvalidNetworkInterfaceID.Malformed",
    ),
    "network-acl": ("InvalidNetworkAclID.NotFound", "InvalidNetworkAclID.Malformed"),
    "elastic-ip": ("InvalidAllocationID.NotFound", "InvalidAllocationID.Malformed"),
    "route-table": ("InvalidRouteTableID.NotFound", "InvalidRouteTableID.Malformed"),
    "route-table-association": (
        "InvalidAssociationID.NotFound",
        "InvalidAssociationID.Malformed",
    ),
    "internet-gateway": (
        "InvalidInternetGatewayID.NotFound",
        "InvalidInternetGatewayID.Malformed",
    ),
    "dhcp-options": ("InvalidDhcpOptionID.NotFound", "InvalidDhcpOptionsId.Malformed"),
    "dhcp-options-set": ("InvalidDhcpOptionID.NotFound", "InvalidDhcpOptionsId.Malformed"),
}


class IdErrors:
    """The two error classes of one kind of AWS id."""

    def __init__(self, not_found: str, malformed: str) -> None:
        self.not_found = _error(not_found)
        self.malformed = _error(malformed)


ID_ERRORS: Mapping[str, IdErrors] = {
    kind: IdErrors(*codes) for kind, codes in ID_ERROR_CODES.items()
}
"""Kind of AWS id (as in `native.model.AWS_ID_KINDS`) → its NotFound and Malformed classes."""


class MissingAuthenticationToken(AwsError):
    code = "MissingAuthenticationToken"
    status = 403


class RequestEntityTooLarge(AwsError):
    code = "RequestEntityTooLarge"
    status = 413


class IncompleteSignature(AwsError):
    code = "IncompleteSignature"


class SignatureDoesNotMatch(AwsError):
    code = "SignatureDoesNotMatch"
    status = 403


class InvalidClientTokenId(AwsError):
    code = "InvalidClientTokenId"
    status = 403


class RequestExpired(AwsError):
    code = "RequestExpired"


SIGNATURE_ERRORS: Mapping[str, type[AwsError]] = {
    cls.code: cls
    for cls in (
        IncompleteSignature,
        SignatureDoesNotMatch,
        InvalidClientTokenId,
        RequestExpired,
        InvalidParameterCombination,
    )
}
"""The Query-flavour SigV4 failures (`gateway.sigv4.errors`) by code."""
