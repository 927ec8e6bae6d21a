"""Schemathesis hooks for the contract test (loaded by schemathesis.toml beside this file)."""

import re
import uuid

import schemathesis

# The documented Idempotency-Key: printable ASCII without spaces, 1-255 characters.
_VALID_KEY = re.compile(r"[\x21-\x7e]{1,255}")


@schemathesis.hook
def before_call(ctx, case, kwargs):
    # A key reused with a different body is refused with 422 by design (the IETF Idempotency-Key
    # draft); the fuzzer draws keys from a small space ("0", the example) and would reuse them across
    # unrelated bodies. A valid key becomes a fresh one, so each generated request is a new request;
    # an invalid key is left as generated, so that negative cases stay negative.
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key" and isinstance(headers[name], str) and _VALID_KEY.fullmatch(headers[name]):
            headers[name] = str(uuid.uuid4())
    # A stateful scenario starts from provision (below) and follows its 202 onward. A generated
    # cloneFrom names a tenant nothing produced, so the provision is refused with 422 and the scenario
    # ends at its root: in that phase the tenant is a new one, not a clone. The other phases still send
    # cloneFrom (a 422 for an unknown source is documented), and the sandbox tests cover real clones.
    if (
        case.operation.label == "POST /api/provisioning/provision"
        and case.meta is not None
        and case.meta.phase.name == "stateful"
        and isinstance(case.body, dict)
    ):
        case.body.pop("cloneFrom", None)


# Stateful entry points. Schemathesis starts its stateful scenarios from operations it classifies as
# "reliable roots": POSTs whose inputs name no resource nothing produces. Its dependency analysis
# reads provision's optional tenantId, stripeCustomerId and stripeSubscriptionId as references to
# existing resources, so provision, the one operation that creates tenants, is not a root, and
# every scenario would start from hibernate or resume with an unknown tenant id (404). Those fields
# are values the client chooses for a new tenant, not references: provision is a root.
from schemathesis.specs.openapi import stateful as _stateful  # noqa: E402

_is_likely_root = _stateful.is_likely_root_transition


def _provision_is_a_root(operation, node, produced_anywhere):
    if operation.label == "POST /api/provisioning/provision":
        return True
    return _is_likely_root(operation, node, produced_anywhere)


_stateful.is_likely_root_transition = _provision_is_a_root
