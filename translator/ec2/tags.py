"""EC2 actions on tags: CreateTags, DeleteTags and DescribeTags, on native resource tags.

`Resources` name resources of mixed kinds by AWS id; the prefix of each id gives its kind
(`native.model.AWS_ID_KINDS`), the kind its native taggable type (`NATIVE_TAG_TYPES`), and
each native type gets one createTags or deleteTags job. Native keys are unique per resource
case-insensitively, so `Env` replaces `env` here where AWS would keep both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from native.model import AWS_ID_KINDS
from translator.context import Action, NativeFailure, Output, Params, QueryContext
from translator.ec2.describe import Describer
from translator.ec2.tagging import NATIVE_TAG_TYPES, id_kind
from translator.errors import (
    ID_ERRORS,
    AwsError,
    InvalidID,
    InvalidParameterValue,
    TagLimitExceeded,
    UnsupportedOperation,
)
from translator.native_errors import aws_error_of
from translator.registry import action_table, runs

MAX_TAGS = 50
MAX_KEY_LENGTH = 128
MAX_VALUE_LENGTH = 255
"""AWS allows 256 characters; native tag values hold 255."""
RESERVED_PREFIX = "aws:"

EC2_TYPE_OF: Mapping[str, str] = {native: ec2 for ec2, native in NATIVE_TAG_TYPES.items()}
"""Native taggable type → EC2 resource type."""
NATIVE_TYPE_OF_KIND: Mapping[str, str] = {
    id_kind(ec2): native for ec2, native in NATIVE_TAG_TYPES.items()
}
"""Kind of AWS id → native taggable type."""
KIND_OF_PREFIX: Mapping[str, str] = {
    kind.prefix: kind.name
    for kind in sorted(AWS_ID_KINDS.values(), key=lambda kind: kind.name in NATIVE_TYPE_OF_KIND)
}
"""Id prefix → kind; where kinds share a prefix (`dopt-`), the taggable one."""

Pairs = list[dict[str, str]]


def checked_tags(tags: Iterable[Mapping[str, Any]]) -> Pairs:
    """EC2 `Tags` to put on a resource, checked as AWS does: a key of 1 to 128 characters
    not starting with `aws:`, a value of at most 255 (InvalidParameterValue), at most 50
    keys (TagLimitExceeded). A key given twice keeps its last value."""
    pairs: dict[str, str] = {}
    for tag in tags:
        key, value = str(tag.get("Key") or ""), str(tag.get("Value") or "")
        if not key or len(key) > MAX_KEY_LENGTH:
            raise InvalidParameterValue(
                f"Tag key must be between 1 and {MAX_KEY_LENGTH} characters long"
            )
        if key.lower().startswith(RESERVED_PREFIX):
            raise InvalidParameterValue(
                f"Value ( {key} ) for parameter key is invalid. Tag keys starting with "
                f"'{RESERVED_PREFIX}' are reserved for internal use"
            )
        if len(value) > MAX_VALUE_LENGTH:
            raise InvalidParameterValue(
                f"Tag value must be at most {MAX_VALUE_LENGTH} characters long"
            )
        pairs[key] = value
    if len(pairs) > MAX_TAGS:
        raise TagLimitExceeded(f"The maximum number of Tags for a resource is {MAX_TAGS}.")
    return [{"key": key, "value": value} for key, value in pairs.items()]


def kind_of(aws_id: str) -> str:
    """The kind of resource an AWS id names, by its prefix; InvalidID for no known prefix."""
    kind = KIND_OF_PREFIX.get(aws_id.rpartition("-")[0])
    if kind is None:
        raise InvalidID(f"The ID '{aws_id}' is not valid")
    return kind


def _native_type(kind: str) -> str:
    native = NATIVE_TYPE_OF_KIND.get(kind)
    if native is None:
        raise UnsupportedOperation(f"Tagging resources of type {kind} is not supported")
    return native


def resources_by_kind(ctx: QueryContext, aws_ids: Sequence[str]) -> dict[str, dict[str, str]]:
    """Kind → {native uuid: AWS id} of the named resources (InvalidID, the kind's
    Malformed or NotFound error, or UnsupportedOperation for a kind without tags)."""
    grouped: defaultdict[str, list[str]] = defaultdict(list)
    for aws_id in dict.fromkeys(aws_ids):
        kind = kind_of(aws_id)
        _native_type(kind)
        grouped[kind].append(aws_id)
    return {
        kind: dict(zip(ctx.ids.uuids(kind, ids), ids, strict=True)) for kind, ids in grouped.items()
    }


def _tag_job(
    ctx: QueryContext, command: str, *, kind: str, found: Mapping[str, str], tags: Pairs | None
) -> None:
    """Run createTags or deleteTags on resources of one kind; a resource the caller may not
    tag (another account's) raises the kind's NotFound."""
    params: dict[str, Any] = {"resourcetype": _native_type(kind), "resourceids": list(found)}
    if command == "createTags":
        params["replace"] = True
    try:
        ctx.run(command, **params, tags=tags)
    except NativeFailure as failure:
        if failure.errorcode in (431, 531):
            raise ID_ERRORS[kind].not_found(
                f"The {kind} ID '{', '.join(found.values())}' does not exist"
            ) from None
        raise aws_error_of(failure) from None


def _current_keys(ctx: QueryContext, uuid: str) -> set[str]:
    rows = ctx.listing("listTags", "tag", resourceid=uuid)
    return {str(row["key"]).lower() for row in rows}


def _check_limit(ctx: QueryContext, grouped: Mapping[str, Mapping[str, str]], tags: Pairs) -> None:
    new_keys = {tag["key"].lower() for tag in tags}
    for found in grouped.values():
        for uuid, aws_id in found.items():
            if len(_current_keys(ctx, uuid) | new_keys) > MAX_TAGS:
                raise TagLimitExceeded(
                    f"The maximum number of Tags for resource '{aws_id}' has been reached."
                )


@runs("createTags")
def create_tags(ctx: QueryContext, params: Params) -> Output:
    tags = checked_tags(params["Tags"])
    if not tags:
        raise InvalidParameterValue("At least one tag is required")
    grouped = resources_by_kind(ctx, params["Resources"])
    _check_limit(ctx, grouped, tags)
    for kind, found in grouped.items():
        _tag_job(ctx, "createTags", kind=kind, found=found, tags=tags)
    return {}


def _deleted(tags: Iterable[Mapping[str, Any]]) -> Pairs | None:
    pairs: Pairs = []
    for tag in tags:
        key = str(tag.get("Key") or "")
        if not key:
            raise InvalidParameterValue("Tag key must not be empty")
        if key.lower().startswith(RESERVED_PREFIX):
            raise InvalidParameterValue(
                f"Value ( {key} ) for parameter key is invalid. Tag keys starting with "
                f"'{RESERVED_PREFIX}' are reserved for internal use"
            )
        value = tag.get("Value")
        pairs.append({"key": key} if value is None else {"key": key, "value": str(value)})
    return pairs or None


@runs("deleteTags")
def delete_tags(ctx: QueryContext, params: Params) -> Output:
    tags = _deleted(params.get("Tags") or [])
    grouped = resources_by_kind(ctx, params["Resources"])
    for kind, found in grouped.items():
        _tag_job(ctx, "deleteTags", kind=kind, found=found, tags=tags)
    return {}


TAGS = Describer(
    filters={
        "key": lambda row: [row["Key"]],
        "value": lambda row: [row["Value"]],
        "resource-id": lambda row: [row["ResourceId"]],
        "resource-type": lambda row: [row["ResourceType"]],
    },
    key=lambda row: f"{row['ResourceId']}\0{row['Key']}",
    tags=True,
)


def _single(params: Params, name: str) -> str | None:
    """The one literal value of a filter, to narrow the native listing with."""
    for entry in params.get("Filters") or []:
        values = list(entry.get("Values") or [])
        if entry.get("Name") == name and len(values) == 1 and not set("*?") & set(values[0]):
            return str(values[0])
    return None


def _native_filters(ctx: QueryContext, params: Params) -> dict[str, str] | None:
    """Native listTags parameters for the request's literal filters (key and value only
    without `tag:` filters, which need every tag of a resource); None when they match
    nothing."""
    names = {str(entry.get("Name", "")) for entry in params.get("Filters") or []}
    narrowed: dict[str, str] = {}
    if not any(name.startswith("tag:") for name in names):
        narrowed.update(
            (name, value)
            for name in ("key", "value")
            if (value := _single(params, name)) is not None
        )
    resource_type = _single(params, "resource-type")
    if resource_type is not None:
        if resource_type not in NATIVE_TAG_TYPES:
            return None
        narrowed["resourcetype"] = NATIVE_TAG_TYPES[resource_type]
    resource_id = _single(params, "resource-id")
    if resource_id is not None:
        try:
            narrowed["resourceid"] = ctx.ids.uuid(kind_of(resource_id), resource_id)
        except AwsError:
            return None
    return narrowed


def tag_rows(ctx: QueryContext, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Native tag rows as EC2 tag descriptions, each with its resource's `Tags` (for the
    `tag:` filters, not rendered); rows of resources EC2 does not show are left out."""
    by_type: defaultdict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        ec2_type = EC2_TYPE_OF.get(str(row["resourcetype"]))
        if ec2_type is not None:
            by_type[ec2_type].append(row)
    items: list[dict[str, Any]] = []
    for ec2_type, typed in by_type.items():
        aws_ids = ctx.ids.aws_ids(id_kind(ec2_type), {str(row["resourceid"]) for row in typed})
        resource_tags: defaultdict[str, list[dict[str, str]]] = defaultdict(list)
        for row in typed:
            resource_tags[str(row["resourceid"])].append(
                {"Key": str(row["key"]), "Value": str(row["value"])}
            )
        items.extend(
            {
                "ResourceId": aws_ids[str(row["resourceid"])],
                "ResourceType": ec2_type,
                "Key": str(row["key"]),
                "Value": str(row["value"]),
                "Tags": resource_tags[str(row["resourceid"])],
            }
            for row in typed
            if str(row["resourceid"]) in aws_ids
        )
    return items


@runs("listTags")
def describe_tags(ctx: QueryContext, params: Params) -> Output:
    narrowed = _native_filters(ctx, params)
    rows = [] if narrowed is None else ctx.listing("listTags", "tag", **narrowed)
    page, token = TAGS.page(tag_rows(ctx, rows), params)
    return {
        "Tags": [{name: value for name, value in row.items() if name != "Tags"} for row in page],
        "NextToken": token,
    }


ACTIONS: Mapping[str, Action] = action_table([create_tags, delete_tags, describe_tags])
