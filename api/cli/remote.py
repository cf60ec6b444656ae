"""The `zhiku` commands' way to a running server: the same operations as in process, over its HTTP API.

Replies are parsed into the API's own response models, so a command prints a remote result exactly as a local
one. A refusal becomes a ZhikuError carrying the server's message; a server that cannot be reached, a
ServerUnreachable naming the address and what to do.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx

from zhiku.api.auth.schemas import ApiKeyCreated, ApiKeyOut, AuditVerifyOut, GroupOut, UserOut
from zhiku.api.schemas import (AnswerResponse, DoctorReportOut, JobOut, KnowledgeBaseOut, SearchHitOut, SearchResponse,
                               UploadResponse)
from zhiku.core.errors import ZhikuError


class ServerUnreachable(ZhikuError):
    code = "server_unreachable"


class RemoteRefusal(ZhikuError):
    """The server answered with an error; the message is the server's."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.http_status = status
        self.code = code


class RemoteService:
    def __init__(self, url: str, api_key: str | None = None, timeout_s: float = 600.0):
        self.url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=httpx.Timeout(timeout_s, connect=10.0))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "RemoteService":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- plumbing -----------------------------------------------------------------------------------------
    def _request(self, method: str, path: str, **kwargs) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ServerUnreachable(f"cannot reach the Zhiku server at {self.url} ({exc.__class__.__name__}: "
                                    f"{exc}); is `zhiku serve` running? Start it, or pass --server URL") from exc
        self._raise_for_refusal(response)
        return response

    def _raise_for_refusal(self, response: httpx.Response) -> None:
        if response.status_code < 400:
            return
        try:
            body = response.json()
        except ValueError:
            body = {}
        code = body.get("error", "error") if isinstance(body, dict) else "error"
        message = body.get("message") if isinstance(body, dict) else None
        if not message and isinstance(body, dict) and "detail" in body:  # FastAPI's own validation errors
            message = json.dumps(body["detail"], ensure_ascii=False)
        message = message or f"HTTP {response.status_code} {response.reason_phrase}"
        if response.status_code in (401, 403):
            message += " (sign in: pass --api-key KEY or set ZHIKU_API_KEY)"
        raise RemoteRefusal(response.status_code, code, f"server at {self.url}: {message}")

    # --- operations ---------------------------------------------------------------------------------------
    def search(self, query: str, kbs: list[str] | None, top_k: int) -> list[SearchHitOut]:
        reply = self._request("POST", "/search", json={"query": query, "knowledge_bases": kbs, "top_k": top_k})
        return SearchResponse.model_validate(reply.json()).hits

    def answer_stream(self, question: str, kbs: list[str] | None, mode: str | None) -> Iterator[tuple[str, dict]]:
        """The server-sent events of /answer: ("delta", {text}) …, then ("done", AnswerResponse as a dict)."""
        body = {"question": question, "knowledge_bases": kbs, "mode": mode, "stream": True}
        try:
            with self._http.stream("POST", "/answer", json=body) as response:
                if response.status_code >= 400:
                    response.read()
                    self._raise_for_refusal(response)
                event = None
                for line in response.iter_lines():
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:") and event:
                        data = json.loads(line[5:])
                        if event == "error":
                            raise RemoteRefusal(500, data.get("error", "error"),
                                                f"server at {self.url}: {data.get('message', 'the answer failed')}")
                        yield event, data
                        event = None
        except httpx.TransportError as exc:
            raise ServerUnreachable(f"cannot reach the Zhiku server at {self.url} ({exc}); is `zhiku serve` "
                                    "running?") from exc

    def answer_done(self, data: dict) -> AnswerResponse:
        return AnswerResponse.model_validate(data)

    def knowledge_bases(self) -> list[KnowledgeBaseOut]:
        return [KnowledgeBaseOut.model_validate(kb) for kb in self._request("GET", "/knowledge-bases").json()]

    def find_or_create_kb(self, name: str) -> KnowledgeBaseOut:
        for kb in self.knowledge_bases():
            if kb.name == name or kb.id == name:
                return kb
        return KnowledgeBaseOut.model_validate(self._request("POST", "/knowledge-bases", json={"name": name}).json())

    def resolve_kbs(self, names: list[str] | None) -> list[str]:
        """Knowledge base ids by id or name (all when none is given); an unknown one is refused as in process."""
        kbs = self.knowledge_bases()
        if not names:
            return [kb.id for kb in kbs]
        ids = []
        for name in names:
            match = next((kb.id for kb in kbs if name in (kb.id, kb.name)), None)
            if match is None:
                raise RemoteRefusal(404, "not_found", f"knowledge base {name!r} not found")
            ids.append(match)
        return ids

    def upload(self, kb_id: str, path: Path, language: str | None) -> UploadResponse:
        """One file per request, so one rejection does not hide the others' outcome."""
        with path.open("rb") as handle:
            data = {"language": language} if language else {}
            response = self._http_upload(kb_id, path.name, handle, data)
        return UploadResponse.model_validate(response.json())

    def _http_upload(self, kb_id: str, name: str, handle, data: dict) -> httpx.Response:
        try:
            response = self._http.post(f"/knowledge-bases/{kb_id}/documents", files={"files": (name, handle)},
                                       data=data)
        except httpx.TransportError as exc:
            raise ServerUnreachable(f"cannot reach the Zhiku server at {self.url} ({exc}); is `zhiku serve` "
                                    "running?") from exc
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {}
            if isinstance(body, dict) and body.get("items"):  # every file rejected: the reasons are per item
                return response
            self._raise_for_refusal(response)
        return response

    def documents(self, kb_id: str) -> list[dict]:
        return self._request("GET", f"/knowledge-bases/{kb_id}/documents").json()

    def reindex_document(self, document_id: str) -> str:
        return self._request("POST", f"/documents/{document_id}/reindex").json()["id"]

    def jobs(self, job_ids: list[str]) -> list[JobOut]:
        """The jobs that still exist (a job whose document was deleted is gone: 404)."""
        found = []
        for job_id in job_ids:
            try:
                found.append(JobOut.model_validate(self._request("GET", f"/jobs/{job_id}").json()))
            except RemoteRefusal as exc:
                if exc.http_status != 404:
                    raise
        return found

    # --- administration (system administrators: an administrator's key) -----------------------------------
    def doctor(self, repair: bool) -> DoctorReportOut:
        reply = self._request("POST", "/admin/doctor/repair") if repair else self._request("GET", "/admin/doctor")
        return DoctorReportOut.model_validate(reply.json())

    def users(self) -> list[UserOut]:
        return [UserOut.model_validate(u) for u in self._request("GET", "/users").json()]

    def user(self, id_or_username: str) -> UserOut:
        return UserOut.model_validate(self._request("GET", f"/users/{_segment(id_or_username)}").json())

    def ensure_groups(self, names: list[str]) -> None:
        """Create the groups that do not exist yet (as the command does in process)."""
        known = {g.name for g in (GroupOut.model_validate(g) for g in self._request("GET", "/groups").json())}
        for name in dict.fromkeys(names):
            if name not in known:
                self._request("POST", "/groups", json={"name": name})

    def create_user(self, username: str, password: str, display_name: str, system_admin: bool,
                    groups: list[str]) -> UserOut:
        self.ensure_groups(groups)
        body = {"username": username, "password": password, "display_name": display_name,
                "system_admin": system_admin, "groups": groups}
        return UserOut.model_validate(self._request("POST", "/users", json=body).json())

    def update_user(self, id_or_username: str, **changes) -> UserOut:
        return UserOut.model_validate(self._request("PATCH", f"/users/{_segment(id_or_username)}", json=changes).json())

    def set_password(self, id_or_username: str, password: str) -> None:
        self._request("POST", f"/users/{_segment(id_or_username)}/password", json={"password": password})

    def set_groups(self, id_or_username: str, groups: list[str]) -> UserOut:
        self.ensure_groups(groups)
        return UserOut.model_validate(self._request("PUT", f"/users/{_segment(id_or_username)}/groups",
                                                    json={"groups": groups}).json())

    def api_keys(self) -> list[ApiKeyOut]:
        return [ApiKeyOut.model_validate(k) for k in self._request("GET", "/api-keys").json()]

    def create_api_key(self, name: str, scopes: dict[str, list[str]], days: int | None,
                       system_admin: bool) -> ApiKeyCreated:
        body = {"name": name, "scopes": scopes, "expires_in_days": days, "system_admin": system_admin}
        return ApiKeyCreated.model_validate(self._request("POST", "/api-keys", json=body).json())

    def revoke_api_key(self, key_id: str) -> ApiKeyOut:
        return ApiKeyOut.model_validate(self._request("DELETE", f"/api-keys/{_segment(key_id)}").json())

    def audit_verify(self) -> AuditVerifyOut:
        return AuditVerifyOut.model_validate(self._request("GET", "/audit/verify").json())

    def audit_export(self, params: dict) -> Iterator[str]:
        """The export as the server writes it (oldest first, with their hashes), in pieces."""
        query = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in params.items() if v is not None}
        try:
            with self._http.stream("GET", "/audit/export", params=query) as response:
                if response.status_code >= 400:
                    response.read()
                    self._raise_for_refusal(response)
                yield from response.iter_text()
        except httpx.TransportError as exc:
            raise ServerUnreachable(f"cannot reach the Zhiku server at {self.url} ({exc}); is `zhiku serve` "
                                    "running?") from exc


def _segment(value: str) -> str:
    """A name as one path segment (a user name may hold a slash or a space)."""
    return quote(value, safe="")
