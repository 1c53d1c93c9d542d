"""The compiled validator of custom-action responses (bot/components/rasa_fixes.py)."""

from __future__ import annotations

import components  # noqa: F401  (installs the fixes, as Rasa's model loading does)
import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

VALID = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "plan", "value": "phu-tho-2022", "timestamp": None}],
     "responses": [{"text": "Cục Thuế tỉnh chủ trì", "custom": {"type": "answer"}}]},
    {"events": [{"event": "slot", "name": "lang", "value": None}]},
]
INVALID = [
    {"events": [{"event": "no_such_event"}], "responses": []},
    {"events": "slot", "responses": []},
    {"events": [], "responses": ["text"]},
]


@pytest.fixture
def action() -> RemoteAction:
    return RemoteAction("action_answer_plans", EndpointConfig("http://127.0.0.1:9/webhook"))


def test_installed_once():
    from components import rasa_fixes

    method = RemoteAction._validate_action_result
    rasa_fixes.install()
    assert RemoteAction._validate_action_result is method
    assert getattr(method, "_cds_compiled_validator", False)


@pytest.mark.parametrize("result", VALID)
def test_valid_response_accepted_without_rechecking_the_schema(action, result, monkeypatch):
    jsonschema.validate(result, RemoteAction.action_response_format_spec())  # Rasa's own verdict

    def slow_path(*args, **kwargs):
        raise AssertionError("jsonschema.validate re-checks the schema on every call")

    monkeypatch.setattr(jsonschema, "validate", slow_path)
    assert action._validate_action_result(result) is True


@pytest.mark.parametrize("result", INVALID)
def test_invalid_response_fails_as_rasa_fails(action, result):
    with pytest.raises(jsonschema.ValidationError) as expected:
        jsonschema.validate(result, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response") as got:
        action._validate_action_result(result)
    assert got.value.message.startswith(expected.value.message)
