"""Rasa's built-in Slack connector with one extra credential: the Web API base URL.

Everything else (v0 signature check with the signing secret, 5-minute replay window,
retries, threads) is Rasa's own ``SlackInput``.  ``slack_api_base_url`` exists so a
test can point ``chat.postMessage`` at a loopback stand-in; production leaves it unset
(slack_sdk's default ``https://slack.com/api/``).
"""

from __future__ import annotations

from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel
from rasa.core.channels.slack import SlackBot
from rasa.core.channels.slack import SlackInput as RasaSlackInput


class SlackInput(RasaSlackInput):
    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        channel = super().from_credentials(credentials)
        channel.api_base_url = (credentials or {}).get("slack_api_base_url") or None
        return channel

    def get_output_channel(self, channel: str | None = None, thread_id: str | None = None) -> OutputChannel:
        bot: SlackBot = super().get_output_channel(channel, thread_id)
        base_url = getattr(self, "api_base_url", None)
        if base_url:
            bot.client.base_url = base_url if base_url.endswith("/") else base_url + "/"
        return bot
