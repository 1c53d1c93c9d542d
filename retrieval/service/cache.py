"""A small LRU of /ask answers, one per loaded engine: people ask the same questions (the
chat page's suggestions, the bot's FAQ), and an answer only changes when the index does.
A new engine comes with a new, empty cache, so a swap never serves an old answer."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any


class AnswerCache:
    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self._data: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple) -> Any | None:
        with self._lock:
            value = self._data.get(key)
            if value is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: tuple, value: Any) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)
