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
# "reliable roots". Its dependency analysis reads provision's optional tenantId, stripeCustomerId,
# stripeSubscriptionId and cloneFrom.tenantId as references to existing resources, so provision, the
# one operation that creates tenants, is not a root; and every POST on /api/tenants/{tenantId}/… is,
# since some response carries a tenantId. A scenario begun there acts on an invented tenant (404) and
# ends at its root. Nine such roots stood beside provision, and on the fixed seed the stateful phase
# followed 4 of the 51 links (createRollout, classed a fallback, was never a root). The roots are the
# two operations that create what the others act on: provision (a tenant) and createRollout (a
# rollout); everything else is reached through the document's links, with ids the service handed
# out. The same seed then follows 13 of 51, and the whole run took 226 s instead of 448.
from schemathesis.specs.openapi import stateful as _stateful  # noqa: E402

_ROOTS = {"POST /api/provisioning/provision", "POST /api/rollouts"}


def _only_creators_are_roots(operation, node, produced_anywhere):
    return operation.label in _ROOTS


_stateful.is_likely_root_transition = _only_creators_are_roots
