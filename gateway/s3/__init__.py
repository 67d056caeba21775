"""The S3 REST side of the gateway: addressing, operation routing, the REST-XML codec, errors.

Everything here is derived from botocore's S3 service model (`model.py`); nothing hand-writes
an XML template. Translators receive and return plain dicts shaped like the model's input and
output shapes.
"""
