"""`rasa data validate` on bot/: no errors, and no warnings beyond responses that only the
custom actions send (the validator only looks for responses in stories and rules)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[2] / "bot"
# Sent by actions/actions.py with dispatcher.utter_message(response=...), or by Rasa's own
# action_restart (utter_restart) and action_default_fallback (utter_default).
SENT_BY_ACTIONS = {
    "utter_unreachable", "utter_no_answer_yet", "utter_feedback_useful", "utter_feedback_not_useful",
    "utter_help", "utter_plans_intro", "utter_restart", "utter_default",
}


@pytest.mark.slow
def test_rasa_data_validate_is_clean():
    run = subprocess.run([sys.executable, "-m", "rasa", "data", "validate"], cwd=BOT, capture_output=True,
                         text=True, timeout=600)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-3000:]
    unused = set(re.findall(r"The utterance '(\w+)' is not used in any story or rule", output))
    assert unused <= SENT_BY_ACTIONS, f"responses used nowhere: {unused - SENT_BY_ACTIONS}"
    other = [line for line in output.splitlines()
             if "UserWarning" in line and "rasa" in line and "is not used in any story or rule" not in line]
    assert other == [], other
    assert "No story structure conflicts found" in output


def test_every_action_response_exists_in_the_domain():
    import yaml

    domain = yaml.safe_load((BOT / "domain.yml").read_text(encoding="utf-8"))
    assert SENT_BY_ACTIONS <= set(domain["responses"])
    actions_src = (BOT.parent / "actions" / "actions.py").read_text(encoding="utf-8")
    for name in re.findall(r'response="(utter_\w+)"', actions_src):
        assert name in domain["responses"], name
