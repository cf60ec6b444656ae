"""Log records leave the process with secrets redacted (always) and personal data masked (ZHIKU_MASK_PII_IN_LOGS):
a log record factory, so every logger's records are covered, the libraries' included."""
from __future__ import annotations

import logging
import threading

from zhiku.core.redaction import redact_secrets
from zhiku.guardrails.policy import PERSONAL_DATA
from zhiku.guardrails.pii import mask_pii

_installed: dict[str, bool] = {}
_lock = threading.Lock()


def install_log_masking(mask_pii_too: bool = True) -> None:
    """Once per process; later calls only switch personal-data masking on or off."""
    with _lock:
        _installed["pii"] = mask_pii_too
        if "factory" in _installed:
            return
        _installed["factory"] = True
        original = logging.getLogRecordFactory()

        def factory(*args, **kwargs) -> logging.LogRecord:
            record = original(*args, **kwargs)
            try:
                message = record.getMessage()
            except Exception:  # noqa: BLE001 - a bad format string is logging's own error to report
                return record
            cleaned = redact_secrets(message)
            if _installed.get("pii"):
                cleaned = mask_pii(cleaned, PERSONAL_DATA)
            if cleaned != message:
                record.msg, record.args = cleaned, None
            return record

        logging.setLogRecordFactory(factory)
