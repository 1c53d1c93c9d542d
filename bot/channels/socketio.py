"""Rasa's socket.io channel with two fixes the chat page needs.

1. ``session_request`` calls ``sio.enter_room(...)`` without ``await``; since python-socketio
   5.10 ``AsyncServer.enter_room`` is a coroutine, so with ``session_persistence: true`` the
   client never joins its session's room and no bot message reaches it (RasaHQ/rasa#13027).
2. ``SocketIOOutput.send_custom_json`` passes the payload as keyword arguments to
   ``sio.emit`` (``emit(evt, **json_message)``), so any custom payload without a ``data`` key
   raises ``TypeError: emit() got an unexpected keyword argument``.  Here a payload is sent as
   the event's data unless it is already wrapped as ``{"data": ...}``.

3. A per-session rate limit and a message size cap (``limits.py``; credentials keys
   ``rate_limit_per_minute``, ``max_message_chars``): a refused message gets a polite note
   and never reaches the dialogue.

Everything else is Rasa's ``SocketIOInput``: the two handlers are re-registered on the
server Rasa builds, replacing the built-in ones.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from rasa.core.channels.socketio import SocketIOOutput as RasaSocketIOOutput
from sanic import Blueprint

from .limits import MessageLimits

logger = logging.getLogger(__name__)


class SocketIOOutput(RasaSocketIOOutput):
    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        data = json_message["data"] if set(json_message) <= {"data", "room"} and "data" in json_message \
            else json_message
        await self.sio.emit(self.bot_message_evt, data, room=json_message.get("room", recipient_id))


class SocketIOInput(RasaSocketIOInput):
    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> SocketIOInput:
        channel = super().from_credentials(credentials)
        channel.limits = MessageLimits.from_credentials(credentials)
        return channel

    def get_output_channel(self) -> OutputChannel | None:
        if self.sio is None:
            return super().get_output_channel()
        return SocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        socketio_webhook = super().blueprint(on_new_message)
        sio = self.sio

        async def session_request(sid: str, data: dict | None) -> None:
            data = data or {}
            if not data.get("session_id"):
                data["session_id"] = uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, data["session_id"])
            await sio.emit("session_confirm", data["session_id"], room=sid)

        async def handle_message(sid: str, data: dict) -> None:
            if not isinstance(data, dict):
                return  # a client sending anything but {"message", "session_id"} gets nothing
            output_channel = SocketIOOutput(sio, self.bot_message_evt)
            if self.session_persistence:
                if not data.get("session_id") or not isinstance(data["session_id"], str):
                    return  # Rasa warns and drops these too
                sender_id = data["session_id"]
            else:
                sender_id = sid
            text = data.get("message", "")
            text = text if isinstance(text, str) else ""
            limits: MessageLimits = self.__dict__.setdefault("limits", MessageLimits())
            refused = limits.check(sender_id, text)
            if refused is not None:
                reason, note = refused
                logger.info("socketio.message_refused", extra={"reason": reason, "chars": len(text)})
                if note:
                    await output_channel.send_text_message(sender_id, note)
                return
            metadata = data.get(self.metadata_key, {})
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = {}
            await on_new_message(UserMessage(text, output_channel, sender_id,
                                             input_channel=self.name(), metadata=metadata))

        sio.on("session_request", session_request, namespace=self.namespace)
        sio.on(self.user_message_evt, handle_message, namespace=self.namespace)
        return socketio_webhook
