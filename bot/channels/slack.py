"""Rasa's built-in Slack connector with the Web API base URL as a credential, a per-sender
rate limit and size cap, and replayed deliveries dropped.

Rasa's own ``SlackInput`` checks the v0 signature with the signing secret and refuses a
timestamp more than 5 minutes away; a delivery replayed *inside* that window (same signed
body, same ``event_id``) would be answered again, so the ids seen in the last 10 minutes are
remembered here.  ``slack_api_base_url`` exists so a test can point ``chat.postMessage`` at a
loopback stand-in; production leaves it unset (slack_sdk's default ``https://slack.com/api/``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.slack import SlackBot
from rasa.core.channels.slack import SlackInput as RasaSlackInput
from sanic import response
from sanic.request import Request

from .limits import MessageLimits, SeenIds

logger = logging.getLogger(__name__)


class SlackInput(RasaSlackInput):
    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        channel = super().from_credentials(credentials)
        channel.api_base_url = (credentials or {}).get("slack_api_base_url") or None
        channel.limits = MessageLimits.from_credentials(credentials)
        return channel

    def get_output_channel(self, channel: str | None = None, thread_id: str | None = None) -> OutputChannel:
        bot: SlackBot = super().get_output_channel(channel, thread_id)
        base_url = getattr(self, "api_base_url", None)
        if base_url:
            bot.client.base_url = base_url if base_url.endswith("/") else base_url + "/"
        return bot

    @staticmethod
    def _event_id(request: Request) -> str | None:
        try:
            body = request.json
        except Exception:  # a form-encoded interactive payload has no JSON body
            return None
        event_id = body.get("event_id") if isinstance(body, dict) else None
        return str(event_id) if event_id else None

    async def process_message(self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                              text: str, sender_id: str | None, metadata: dict | None) -> Any:
        event_id = self._event_id(request)
        seen = self.__dict__.setdefault("_seen_events", SeenIds())
        if event_id and not seen.first(event_id):   # a replay, or Slack retrying what we took
            logger.info("slack.replay_dropped")
            return response.text("duplicate", status=200, headers={"X-Slack-No-Retry": "1"})
        limits: MessageLimits = self.__dict__.setdefault("limits", MessageLimits())
        refused = limits.check(sender_id or "", text or "")
        if refused is not None:
            reason, note = refused
            logger.info("slack.message_refused", extra={"reason": reason, "chars": len(text or "")})
            if note:
                metadata = metadata or {}
                out = self.get_output_channel(metadata.get("out_channel"),
                                              metadata.get("thread_id") if self.use_threads else None)
                try:
                    await out.send_text_message(sender_id or "", note)
                except Exception:  # webhook boundary: the refusal stands even if the note fails
                    logger.exception("slack.note_failed")
            # 200 so Slack does not redeliver (it retries anything else up to three times)
            return response.text(reason, status=200, headers={"X-Slack-No-Retry": "1"})
        return await super().process_message(request, on_new_message, text, sender_id, metadata)
