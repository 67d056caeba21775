"""Object store drivers (where bucket data live) and the choice of one by provider."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

from native.drivers.objectstore.base import ObjectStore, ObjectStoreError
from native.drivers.objectstore.local import LocalObjectStore
from native.drivers.objectstore.nfs import NfsObjectStore

PROVIDERS = ("Local", "MinIO", "NFS")
"""Provider names as the API takes and shows them."""

URL_FORMS = {
    "Local": "file:///path/to/directory",
    "MinIO": "http://host:port or https://host:port (details accesskey, secretkey)",
    "NFS": "nfs://server/export",
}


def canonical_provider(name: str) -> str | None:
    """The provider's canonical spelling (matched case-insensitively), or None if unknown."""
    for provider in PROVIDERS:
        if provider.lower() == name.strip().lower():
            return provider
    return None


def open_store(*, provider: str, url: str, details: Mapping[str, str]) -> ObjectStore:
    """The driver for a pool. `details` hold the provider's settings with secrets in clear
    (MinIO: accesskey, secretkey, and optionally bucketprefix and region); NFS exports are
    reached with the user-space client, not mounted. ObjectStoreError if the URL does not
    fit the provider."""
    parts = urlsplit(url.strip())
    if provider == "Local" and parts.scheme == "file" and parts.path.startswith("/"):
        return LocalObjectStore(root=Path(unquote(parts.path)))
    if provider == "NFS" and parts.scheme == "nfs":
        return NfsObjectStore(url=url.strip())
    if provider == "MinIO" and parts.scheme in ("http", "https"):
        missing = [key for key in ("accesskey", "secretkey") if not details.get(key)]
        if missing:
            raise ObjectStoreError(f"MinIO object storage needs details {', '.join(missing)}")
        # Imported here: the minio client (with its crypto) is a third of the server's
        # start-up imports, and only remote pools need it.
        from native.drivers.objectstore.remote import MinioObjectStore

        return MinioObjectStore(
            endpoint=url.strip(),
            access_key=details["accesskey"],
            secret_key=details["secretkey"],
            bucket_prefix=details.get("bucketprefix", "alto-"),
            region=details.get("region") or None,
        )
    form = URL_FORMS.get(provider, "")
    raise ObjectStoreError(f"Invalid URL {url} for provider {provider}: use {form}")


__all__ = [
    "PROVIDERS",
    "ObjectStore",
    "ObjectStoreError",
    "canonical_provider",
    "open_store",
]
