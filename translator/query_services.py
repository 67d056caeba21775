"""The Query API services Alto answers (credential-scope service → its action table)."""

from __future__ import annotations

from collections.abc import Mapping

from translator import ec2, iam, sts
from translator.context import Action

SERVICE_ACTIONS: Mapping[str, Mapping[str, Action]] = {
    "ec2": ec2.ACTIONS,
    "sts": sts.ACTIONS,
    "iam": iam.ACTIONS,
}
