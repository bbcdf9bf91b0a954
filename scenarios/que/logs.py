"""Collect the queue's ERROR log records during one call (QUE-3: failures are logged)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

QUEUE_LOGGER = "reference_impl.que"


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def error_logs() -> Iterator[list[str]]:
    handler = _Collect()
    logger = logging.getLogger(QUEUE_LOGGER)
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)
