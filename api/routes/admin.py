"""Store upkeep through the running server: `zhiku doctor` beside `zhiku serve` (which owns the vector store) asks
these. System administrators only; each run is recorded in the audit trail."""
from __future__ import annotations

from fastapi import APIRouter, Depends

from zhiku.api.auth.gates import require_system_admin
from zhiku.api.deps import get_runtime, get_service
from zhiku.api.knowledge_service import KnowledgeService
from zhiku.api.runtime import Runtime
from zhiku.api.schemas import DoctorFindingOut, DoctorReportOut
from zhiku.core.access import Caller

router = APIRouter(prefix="/admin", tags=["administration"])


def _run(service: KnowledgeService, runtime: Runtime, caller: Caller, repair: bool) -> DoctorReportOut:
    from zhiku.api.store_doctor import StoreDoctor

    findings = StoreDoctor(service, live=True).examine(repair=repair)
    runtime.identity.audit.record(caller, "store.repair" if repair else "store.examine",
                                  findings={f.code: len(f.items) for f in findings},
                                  repaired=[f.code for f in findings if f.repaired])
    return DoctorReportOut(findings=[DoctorFindingOut(code=f.code, message=f.message, items=f.items,
                                                      repairable=f.repairable, repaired=f.repaired) for f in findings])


@router.get("/doctor", response_model=DoctorReportOut)
def examine(service: KnowledgeService = Depends(get_service), runtime: Runtime = Depends(get_runtime),
            caller: Caller = Depends(require_system_admin)):
    """Do the metadata store, the originals, the vector index and the knowledge graph agree? (`zhiku doctor`)
    Documents with an unfinished ingestion job and originals uploaded in the last minutes are left out: they are
    in the middle of being written."""
    return _run(service, runtime, caller, repair=False)


@router.post("/doctor/repair", response_model=DoctorReportOut)
def repair(service: KnowledgeService = Depends(get_service), runtime: Runtime = Depends(get_runtime),
           caller: Caller = Depends(require_system_admin)):
    """The same check, fixing what can be fixed (`zhiku doctor --repair`); each finding says whether it was."""
    return _run(service, runtime, caller, repair=True)
