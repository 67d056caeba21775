"""botocore's service models for the Query APIs Alto serves, loaded once per process."""

from __future__ import annotations

import functools

from botocore.loaders import create_loader
from botocore.model import ServiceModel

QUERY_SERVICES = ("ec2", "sts", "iam")
"""The SigV4 credential-scope services answered by the Query endpoint."""


@functools.cache
def service_model(name: str) -> ServiceModel:
    """The botocore model of a service in QUERY_SERVICES (KeyError for any other)."""
    if name not in QUERY_SERVICES:
        raise KeyError(name)
    loader = create_loader()
    return ServiceModel(loader.load_service_model(name, "service-2"), service_name=name)


def xml_namespace(model: ServiceModel) -> str:
    """The namespace of the service's response documents, with its trailing slash."""
    namespace = str(model.metadata.get("xmlNamespace", ""))
    return namespace if namespace.endswith("/") else f"{namespace}/"
