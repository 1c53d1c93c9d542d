"""Runtime fixes for Rasa 3.6, installed when Rasa imports this package (bot/components/__init__.py).

Custom-action responses are validated with one compiled JSON-schema validator.  Rasa 3.6's
`RemoteAction._validate_action_result` calls `jsonschema.validate(result, schema)`, which first
re-checks Rasa's own constant response schema against the draft 2020-12 metaschema: ~35 ms of
CPU per custom action on an idle core, 50-60 ms under load, more than NLU and the answer itself
(bench/rasa_roundtrip.py).  The schema is checked once here; a valid response is accepted by the
compiled validator, an invalid one still goes through Rasa's own method, so it fails with the
same ValidationError and message as before.
"""

from __future__ import annotations

import functools
from typing import Any

_MARK = "_cds_compiled_validator"


@functools.lru_cache(maxsize=1)
def response_validator() -> Any:
    """The validator of Rasa's action-server response schema, schema checked once."""
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def install() -> None:
    """Idempotent; leaves Rasa alone if the method is not there (another Rasa version)."""
    from rasa.core.actions.action import RemoteAction

    original = getattr(RemoteAction, "_validate_action_result", None)
    if original is None or getattr(original, _MARK, False):
        return

    @functools.wraps(original)
    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        if response_validator().is_valid(result):
            return True
        return original(self, result)  # raises Rasa's ValidationError with its explanation

    setattr(_validate_action_result, _MARK, True)
    RemoteAction._validate_action_result = _validate_action_result
