"""Loads the demo knowledge base (demo/bank_kb) so a new user can ask questions at once."""
from __future__ import annotations

import logging
from pathlib import Path

from zhiku.api.knowledge_service import KnowledgeService
from zhiku.core.errors import ZhikuError

DEMO_KB_NAME = "demo-bank"
DEMO_DIR = Path(__file__).resolve().parent.parent / "demo" / "bank_kb"
# The credit report materials (the borrower's file and the credit investigations) are for the credit group only:
# signed in as the demo teller, nothing of them shows; as the credit officer, everything does (issue #11).
CREDIT_GROUP = "group:credit"
CREDIT_MATERIALS = ("江南恒泰精密制造有限公司_", "授信调查报告_", "担保人风险排查_")
log = logging.getLogger(__name__)


def demo_readers(filename: str) -> list[str]:
    """As typed by an admin; the service stores the group by its id once the demo people exist (they are created
    before the demo knowledge base is loaded)."""
    return [CREDIT_GROUP] if filename.startswith(CREDIT_MATERIALS) else ["*"]


def load_demo_kb(service: KnowledgeService, folder: Path = DEMO_DIR) -> str:
    """Create the demo knowledge base if missing and queue its files; unchanged files are skipped."""
    kb = service.rt.metadata.find_kb(DEMO_KB_NAME) or service.create_kb(
        DEMO_KB_NAME, "华夏通商银行（虚构）演示知识库 / Fictional bank demo knowledge base", "zh")
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        readers = service.principals(demo_readers(path.name), "readers")
        try:
            result = service.upload(kb.id, path.name, path.read_bytes(), readers)
            if list(result.document.access_principals) != readers:  # loaded before readers existed
                service.set_document_readers(result.document.id, readers)
        except ZhikuError as exc:
            log.warning("demo file %s skipped: %s", path.name, exc.message)
    return kb.id
