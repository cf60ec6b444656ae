"""Nothing a caller may not read leaks through any route (issue #11), and access changes apply at once.

The walk reads the app's own OpenAPI schema, so a route added later is walked too: path parameters are
filled with the real ids of objects each caller may and may not see (a parameter the walk does not know
fails the test, asking to be taught), query parameters and JSON bodies are built from the schema. Each
caller's responses (bodies, streams, headers, files) must not contain any id, name, text marker, chunk id,
graph entity or content hash of a document it may not read, nor of another user's conversation or report.
Routes that change something (PUT, PATCH, DELETE, and POST with a path parameter) are sent only with ids the
caller may not see, and must be refused without changing anything.

Real engines: Qdrant (edge), the Bolt graph server, SQLite and PostgreSQL (when ZHIKU_TEST_POSTGRES_URL is set),
the embedding model; answers are extractive.
"""
from __future__ import annotations

import itertools
import json
import re
import uuid
from dataclasses import dataclass, field

import pytest
from zhiku.api.auth.cookies import CSRF_HEADER
from zhiku.api.deps import current_caller
from zhiku.core.access import Caller, CallerKind, Operation
from zhiku.index.vector_store import ChunkFilter
from tests.conftest import graph_settings, wait_for_job
from tests.documents import english_pdf

# -- the materials ------------------------------------------------------------------------------------------
PUBLIC = ("# 授信调查报告\n\n北京华远置业有限公司向中国邮政储蓄银行北京分行申请流动资金贷款5000万元，"
          "由北京中关村科技融资担保有限公司提供连带责任担保。公开条款PUBMARK。\n")
# Restricted to group credit inside the shared knowledge base: every sentence carries a marker.
RESTRICTED = ("# 秘密授信材料\n\n北京华远置业有限公司另由深圳秘岩投资有限公司提供连带责任担保，编号XK7731SECRET。"
              "深圳秘岩投资有限公司在招商银行有一笔逾期贷款1200万元，编号XK7731SECRET。\n")
# The only document of a knowledge base readable by group credit only.
VAULT = ("# 金库档案\n\n上海金库实业有限公司为北京华远置业有限公司提供抵押担保，档案号VAULT4409MARK。"
         "上海金库实业有限公司的法定代表人是赵金库，档案号VAULT4409MARK。\n")
PROBE = "深圳秘岩投资有限公司和上海金库实业有限公司为北京华远置业有限公司提供的担保"


@dataclass
class World:
    kbs: dict[str, str]                         # shared, vault -> id
    documents: dict[str, str]                   # public, restricted, vault -> id
    secrets: dict[str, set[str]]                # document (or "credit's") -> strings that must not leak
    jobs: dict[str, str]
    entity_keys: dict[str, str]                 # entity name -> graph key
    callers: dict[str, Caller]
    invisible: dict[str, set[str]]              # caller -> documents (and "credit's") it may not see
    conversation_id: str = ""
    message_id: str = ""
    report_id: str = ""
    requests: int = 0
    checked: dict[str, int] = field(default_factory=dict)
    answered: dict[str, int] = field(default_factory=dict)  # "METHOD path" -> 2xx responses, all callers
    principals: dict[str, str] = field(default_factory=dict)  # "credit", "credit1", ... -> "group:<id>", "user:<id>"
    identity_ids: dict[str, list[str]] = field(default_factory=dict)  # user_id, group_id, key_id -> real ids


# -- acting as a caller -------------------------------------------------------------------------------------
class ActAs:
    """Makes the client's next requests come from a caller, through real credentials: a user signs in with its
    password (a session cookie, and the CSRF token as a header), an API key is sent as `Authorization: Bearer`,
    and ROOT is the system administrator's key the `client` fixture carries."""

    def __init__(self, client):
        self.client = client
        self.admin_authorization = client.headers["Authorization"]
        self.credentials: dict[str, tuple[str, str]] = {}  # subject -> ("password", user name) | ("key", secret)

    def __call__(self, caller: Caller) -> None:
        client = self.client
        client.cookies.clear()
        client.headers.pop(CSRF_HEADER, None)
        kind, secret = self.credentials.get(caller.subject, ("root", ""))
        if kind == "root":
            client.headers["Authorization"] = self.admin_authorization
        elif kind == "key":
            client.headers["Authorization"] = f"Bearer {secret}"
        else:
            client.headers.pop("Authorization", None)
            signed_in = client.post("/auth/login", json={"username": secret, "password": PASSWORD})
            assert signed_in.status_code == 200, signed_in.text
            client.headers[CSRF_HEADER] = signed_in.json()["csrf_token"]


@pytest.fixture
def act_as(client):
    acting = ActAs(client)
    yield acting
    acting(ROOT)


PASSWORD = "Leak-Walk-2026!"


@pytest.fixture
def settings(tmp_path, database_url, bolt_server):
    from zhiku.core.settings import Settings

    return Settings(data_dir=tmp_path / "data", database_url=database_url, max_upload_mb=1, chunk_size=200,
                    chunk_overlap=40, parent_chunk_size=800, search_mode="hybrid+rerank+graph",
                    answer_mode="extractive", rate_limit_expensive="100000/minute",
                    rate_limit_other="100000/minute", _env_file=None, **graph_settings(bolt_server))


ROOT = Caller("root", CallerKind.USER, "系统管理员", system_admin=True)  # the client fixture's admin key


def _upload(client, kb_id: str, name: str, content: str | bytes,
            readers: list[str] | None = None) -> tuple[str, str]:
    data = {"readers": readers} if readers else None
    body = content.encode() if isinstance(content, str) else content
    response = client.post(f"/knowledge-bases/{kb_id}/documents", files=[("files", (name, body))], data=data)
    assert response.status_code == 202, response.text
    item = response.json()["items"][0]
    job = wait_for_job(client, item["job_id"])
    assert job["status"] == "done", job
    return item["document"]["id"], item["job_id"]


@pytest.fixture
def world(client, runtime, act_as) -> World:
    act_as(ROOT)
    identity = runtime.identity
    credit_group = identity.users.create_group("credit")
    people = {}
    for username, display in (("credit1", "信贷员"), ("teller1", "柜员"), ("kbadmin", "知识库管理员")):
        user = identity.users.create_user(username, PASSWORD, display)
        people[username] = user
        act_as.credentials[f"user:{user.id}"] = ("password", username)
    identity.users.add_member("credit", "credit1")
    ids = {"credit": f"group:{credit_group.id}", **{name: f"user:{u.id}" for name, u in people.items()}}
    shared = client.post("/knowledge-bases", json={"name": "共享知识库", "language": "zh",
                                                   "admins": [ids["kbadmin"]]}).json()["id"]
    vault = client.post("/knowledge-bases", json={"name": "信贷金库", "language": "zh",
                                                  "readers": ["group:credit"], "admins": []}).json()["id"]
    documents, jobs = {}, {}
    documents["public"], jobs["public"] = _upload(client, shared, "公开授信报告.md", PUBLIC)
    documents["restricted"], jobs["restricted"] = _upload(client, shared, "秘岩担保材料.md", RESTRICTED,
                                                          ["group:credit"])
    documents["vault"], jobs["vault"] = _upload(client, vault, "金库档案.md", VAULT)
    # PDFs: their pages are served as images, which the text checks cannot read (the status check does).
    documents["public_pdf"], jobs["public_pdf"] = _upload(client, shared, "rate-sheet.pdf", english_pdf(
        ["Deposit rate sheet PUBPDF", "One year deposits pay 1.5 percent."]))
    documents["restricted_pdf"], jobs["restricted_pdf"] = _upload(client, shared, "watchlist-memo.pdf", english_pdf(
        ["Watchlist memo PDFSECRET8812", "Borrower Qinling Mining is on the credit watchlist."]), ["group:credit"])
    assert client.get(f"/documents/{documents['restricted']}").json()["access_principals"] == [ids["credit"]]

    entity_keys = {}
    for name in ("深圳秘岩投资有限公司", "上海金库实业有限公司", "北京华远置业有限公司",
                 "北京中关村科技融资担保有限公司"):
        found = [e for e in client.get("/graph/entities", params={"q": name}).json() if e["name"] == name]
        assert found, f"the graph has no entity {name}: the fixture no longer builds what it tests"
        entity_keys[name] = found[0]["key"]

    secrets: dict[str, set[str]] = {}
    for label, name, marker, entities in (
            ("restricted", "秘岩担保材料", "XK7731SECRET", ["深圳秘岩投资有限公司"]),
            ("vault", "金库档案", "VAULT4409MARK", ["上海金库实业有限公司", "赵金库"]),
            ("restricted_pdf", "watchlist-memo", "PDFSECRET8812", ["Qinling Mining"])):
        document = client.get(f"/documents/{documents[label]}").json()
        chunks = runtime.vector_store.fetch(ChunkFilter(document_ids=[documents[label]]), 1000)
        assert chunks
        secrets[label] = ({documents[label], name, marker, document["content_hash"], jobs[label]}
                          | {c.point_id for c in chunks} | set(entities)
                          | {entity_keys[e] for e in entities if e in entity_keys})
    secrets["vault"] |= {vault, "信贷金库"}

    credit = Caller(ids["credit1"], CallerKind.USER, "信贷员", groups=frozenset({credit_group.id}))
    search_key = identity.keys.create("检索服务", {shared: ["search", "ask"]}, "tests")
    any_kb_key = identity.keys.create("全库检索", {"*": ["search"]}, "tests")
    for created in (search_key, any_kb_key):
        act_as.credentials[f"key:{created.key.id}"] = ("key", created.secret)
    callers = {
        "system admin": ROOT,
        "credit officer": credit,
        "teller": Caller(ids["teller1"], CallerKind.USER, "柜员"),
        "kb admin": Caller(ids["kbadmin"], CallerKind.USER, "知识库管理员"),
        "search key": Caller(f"key:{search_key.key.id}", CallerKind.SERVICE, "检索服务",
                             key_scopes={shared: frozenset({Operation.SEARCH, Operation.ASK})}),
        "any-kb key": Caller(f"key:{any_kb_key.key.id}", CallerKind.SERVICE, "全库检索",
                             key_scopes={"*": frozenset({Operation.SEARCH})}),
    }
    # Another user's conversation, answer and report, about the credit group's material.
    act_as(credit)
    events = client.post("/assistant/chat", json={"message": PROBE, "mode": "extractive"}).text
    assert "XK7731SECRET" in events and "VAULT4409MARK" in events, events  # the credit officer reads both
    done = json.loads(events.split("event: done\ndata: ", 1)[1].split("\n", 1)[0])
    report = client.post("/reports/credit", json={"company": "深圳秘岩投资有限公司",
                                                  "document_ids": [documents["restricted"]], "mode": "extractive"})
    assert report.status_code == 200, report.text
    secrets["credit's"] = {done["conversation_id"], done["message_id"], report.json()["id"]}

    invisible = {"system admin": set(), "credit officer": set(),
                 "teller": {"restricted", "restricted_pdf", "vault", "credit's"}, "kb admin": {"vault", "credit's"},
                 "search key": {"restricted", "restricted_pdf", "vault", "credit's"},
                 "any-kb key": {"restricted", "restricted_pdf", "vault", "credit's"}}
    return World({"shared": shared, "vault": vault}, documents, secrets, jobs, entity_keys, callers, invisible,
                 done["conversation_id"], done["message_id"], report.json()["id"], principals=ids,
                 identity_ids={"user_id": [u.id for u in people.values()], "group_id": [credit_group.id],
                               "key_id": [search_key.key.id, any_kb_key.key.id]})


# -- filling requests from the schema -----------------------------------------------------------------------
def _path_values(w: World, name: str, caller: str, writing: bool) -> list[str]:
    """Ids for a path parameter: of objects the caller may and may not see (for writes: only the latter)."""
    d, hidden = w.documents, w.invisible[caller]
    candidates = {
        "kb_id": [(w.kbs["shared"], False), (w.kbs["vault"], "vault" in hidden)],
        "document_id": [(d[k], k in hidden) for k in d],
        "job_id": [(w.jobs[k], k in hidden) for k in w.jobs],
        "conversation_id": [(w.conversation_id, "credit's" in hidden)],
        "message_id": [(w.message_id, "credit's" in hidden)],
        "report_id": [(w.report_id, "credit's" in hidden)],
        "key": [(k, any(k in w.secrets[s] for s in hidden)) for k in w.entity_keys.values()],
        "model": [(w.kbs["shared"], False), (w.kbs["vault"], "vault" in hidden), ("信贷金库", "vault" in hidden)],
        "page": [("1", False)],
        # Users, groups and keys: read with the real ids (only system admins may), changed only through ids that
        # do not exist, so the walk never disables a caller it has still to walk as.
        **{name: [(value, False) for value in ([] if writing else w.identity_ids[name])]
           for name in ("user_id", "group_id", "key_id")},
    }
    if name not in candidates:
        pytest.fail(f"the leak test does not know path parameter {name!r}: add its visible and hidden ids to "
                    "_path_values")
    values = [value for value, is_hidden in candidates[name] if is_hidden or not writing or name == "page"]
    return values + ([] if name == "page" else [uuid.uuid4().hex])


def _query_values(w: World, param: dict) -> list[object]:
    name, required = param["name"], param.get("required", False)
    known = {
        "q": ["秘岩", "金库", "华远置业"],
        "ids": [[c for s in ("restricted", "restricted_pdf", "vault") for c in w.secrets[s] if _is_uuid(c)]
                + [c for c in _public_chunks(w)]],
        "from": list(w.entity_keys.values())[:2], "to": list(w.entity_keys.values())[:3],
        "kb": [None, [w.kbs["vault"]]], "knowledge_bases": [None, [w.kbs["vault"]]],
        "format": ["md", "json", "docx", "jsonl", "csv"], "limit": [None], "max_hops": [4],
    }
    if name in known:
        return known[name]
    if required:
        pytest.fail(f"the leak test does not know required query parameter {name!r}: teach _query_values")
    return [None]


def _is_uuid(text: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", text))


_PUBLIC_CHUNKS: dict[int, list[str]] = {}


def _public_chunks(w: World) -> list[str]:
    return _PUBLIC_CHUNKS.get(id(w), [])


def _bodies(w: World, schema: dict, components: dict) -> list[dict]:
    """JSON bodies for a request schema: required fields filled, and variants that aim at hidden material."""
    schema = _resolve(schema, components)
    properties = {k: _resolve(v, components) for k, v in schema.get("properties", {}).items()}
    required = set(schema.get("required", []))
    fill = {"query": PROBE, "question": PROBE, "message": PROBE, "company": "深圳秘岩投资有限公司",
            "subject": "上海金库实业有限公司", "template": "credit_report_zh", "mode": "extractive",
            "model": w.kbs["shared"], "messages": [{"role": "user", "content": PROBE}], "rating": "up",
            "name": f"probe-{uuid.uuid4().hex[:6]}", "readers": ["*"], "admins": ["user:teller1"],
            "include_graph": True, "suggest_follow_ups": True,
            "username": f"probe{uuid.uuid4().hex[:6]}", "password": "Probe-Walk-2026!x", "scopes": {"*": ["search"]}}
    base = {}
    for name, spec in properties.items():
        enum = _resolve(spec, components).get("enum")
        if name in fill and (enum is None or fill[name] in enum):
            base[name] = fill[name]
        elif name in required:
            base[name] = _example(spec, components)
    variants = [base]
    if "knowledge_bases" in properties:
        variants.append({**base, "knowledge_bases": [w.kbs["vault"]]})
        variants.append({**base, "knowledge_bases": [w.kbs["shared"]]})
    if "document_ids" in properties:
        variants.append({**base, "document_ids": [w.documents["restricted"], w.documents["vault"]]})
        variants.append({**base, "document_ids": [w.documents["public"]]})
    if "zhiku" in properties:
        variants.append({**base, "zhiku": {"document_ids": [w.documents["restricted"]], "mode": "extractive"}})
    if "model" in properties:
        variants.append({**base, "model": w.kbs["vault"]})
    if "stream" in properties:
        variants += [{**v, "stream": True} for v in list(variants)]
    return variants


def _resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return _resolve(options[0], components) if options else schema
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return _resolve(schema["allOf"][0], components)
    return schema


def _example(spec: dict, components: dict):
    spec = _resolve(spec, components)
    if "default" in spec and spec["default"] is not None:
        return spec["default"]
    if "enum" in spec:
        return spec["enum"][0]
    kind = spec.get("type")
    if kind == "object":
        required = spec.get("required", [])
        return {k: _example(v, components) for k, v in spec.get("properties", {}).items() if k in required}
    return {"string": "probe", "integer": 1, "number": 1, "boolean": False, "array": []}.get(kind)


# -- checking a response -------------------------------------------------------------------------------------
def _normalised(text: str) -> str:
    """JSON (and SSE `data:`) re-dumped without ASCII escapes, so a Chinese secret is found however encoded."""
    try:
        return json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        pass
    lines = []
    for line in text.splitlines():
        if line.startswith("data: "):
            try:
                line = "data: " + json.dumps(json.loads(line[6:]), ensure_ascii=False)
            except ValueError:
                pass
        lines.append(line)
    return "\n".join(lines)


def _sent_strings(*parts) -> list[str]:
    """Every string the request carried: an echo of the caller's own input reveals nothing."""
    found: list[str] = []

    def walk(value):
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)

    for part in parts:
        walk(part)
    # Short values ("1", "md", "up") are never secrets, and removing them would cut secrets apart.
    return sorted({v for v in found if len(v) >= 4}, key=len, reverse=True)


def _check(w: World, caller: str, method: str, url: str, response, sent: list[str]) -> None:
    assert response.status_code < 500, f"{caller}: {method} {url} -> {response.status_code} {response.text[:300]}"
    text = _normalised(response.content.decode("utf-8", errors="replace"))
    text += "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    assert "internal_error" not in text, f"{caller}: {method} {url} failed in its stream: {text[:300]}"
    for value in sent:
        text = text.replace(value, "")
        text = text.replace(json.dumps(value, ensure_ascii=False)[1:-1], "")
    for label in w.invisible[caller]:
        for secret in w.secrets[label]:
            assert secret not in text, (f"{caller} may not read {label!r} but {method} {url} returned {secret!r}: "
                                        f"{text[:600]}")
    w.checked[caller] = w.checked.get(caller, 0) + 1


# -- the walk ------------------------------------------------------------------------------------------------
def _walk(client, act_as, w: World) -> None:
    schema = client.app.openapi()
    components = schema.get("components", {}).get("schemas", {})
    for caller_name, caller in w.callers.items():
        act_as(caller)
        own_inputs: set[str] = set()
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                params = operation.get("parameters", [])
                path_params = [p["name"] for p in params if p["in"] == "path"]
                writing = method in ("put", "patch", "delete") or (method == "post" and bool(path_params))
                path_choices = [_path_values(w, name, caller_name, writing) for name in path_params]
                query_params = [p for p in params if p["in"] == "query"]
                query_choices = [_query_values(w, p) for p in query_params]
                content = operation.get("requestBody", {}).get("content", {})
                if "application/json" in content:
                    bodies = [("json", b) for b in _bodies(w, content["application/json"]["schema"], components)]
                elif "multipart/form-data" in content:
                    bodies = [("files", None)]
                else:
                    bodies = [(None, None)]
                for path_values in itertools.product(*path_choices):
                    url = path
                    for name, value in zip(path_params, path_values):
                        url = url.replace("{" + name + "}", value)
                    # query parameters vary one at a time (the others at their first value)
                    query_sets = [{p["name"]: c[0] for p, c in zip(query_params, query_choices)}]
                    for i, (p, choices) in enumerate(zip(query_params, query_choices)):
                        query_sets += [{**query_sets[0], p["name"]: v} for v in choices[1:]]
                    for query, (kind, body) in itertools.product(query_sets, bodies):
                        query = {k: v for k, v in query.items() if v is not None}
                        kwargs = {"params": query}
                        if kind == "json":
                            kwargs["json"] = body
                        elif kind == "files":
                            kwargs["files"] = [("files", ("probe.md", "探测文件 probe\n".encode()))]
                            kwargs["data"] = {"readers": "group:credit"}
                        response = client.request(method.upper(), url, **kwargs)
                        w.requests += 1
                        if path.startswith("/auth/"):  # signing out (or in) ends the session the walk uses
                            act_as(caller)
                        route = f"{method.upper()} {path}"
                        w.answered[route] = w.answered.get(route, 0) + (response.status_code < 300)
                        hidden_path = any(v in w.secrets[label] for v in path_values
                                          for label in w.invisible[caller_name])
                        if writing or hidden_path:  # a page image or a file cannot be read for secrets: refused
                            assert response.status_code in (400, 403, 404, 405, 409, 422), \
                                f"{caller_name}: {method} {url} should be refused: {response.status_code} {response.text[:300]}"
                        sent = _sent_strings(list(path_values), query, body)
                        # What the caller typed may come back later (a conversation's title is its question),
                        # except strings that are secrets by themselves (a hidden company's name, an id).
                        own_inputs.update(v for v in sent if len(v) >= 8
                                          and not any(v in w.secrets[x] for x in w.secrets))
                        _check(w, caller_name, method.upper(), url, response,
                               sorted(set(sent) | own_inputs, key=len, reverse=True))


@pytest.mark.timeout(1500)  # about a thousand requests, each a real search, answer or report on a shared machine
def test_no_route_leaks_what_a_caller_may_not_read(client, runtime, act_as, world):
    w = world
    act_as(ROOT)
    _PUBLIC_CHUNKS[id(w)] = [c.point_id for c in runtime.vector_store.fetch(
        ChunkFilter(document_ids=[w.documents["public"]]), 100)]
    _walk(client, act_as, w)
    # Every route that reads answered someone: the walk's requests are well-formed, not refused wholesale.
    writes = {r for r in w.answered if r.split()[0] in ("PUT", "PATCH", "DELETE") or
              (r.startswith("POST") and "{" in r)}
    # Signing in and changing one's password succeed only with a real password, which the walk must not change
    # (it signs its users in with them); tests/test_identity.py covers both.
    writes |= {"POST /auth/login", "POST /auth/password"}
    silent = sorted(r for r, n in w.answered.items() if n == 0 and r not in writes)
    assert not silent, f"read routes no caller got a 2xx from (teach the walk valid requests): {silent}"

    # The walk reached the hidden material where it is allowed: a test that cannot fail is no test.
    act_as(w.callers["credit officer"])
    found = client.post("/search", json={"query": PROBE, "include_graph": True}).text
    assert "XK7731SECRET" in found and "VAULT4409MARK" in found
    graph = json.loads(found)["graph"]  # graph expansion ran and walked the hidden facts for the credit officer
    assert w.entity_keys["深圳秘岩投资有限公司"] in {e["key"] for e in graph["entities"]}, graph
    act_as(w.callers["kb admin"])
    assert "XK7731SECRET" in client.post("/search", json={"query": PROBE}).text  # its own knowledge base
    act_as(w.callers["teller"])
    assert "PUBMARK" in client.post("/search", json={"query": PROBE}).text  # and the teller still sees the public
    # Refused writes changed nothing.
    act_as(ROOT)
    for document_id in w.documents.values():
        assert client.get(f"/documents/{document_id}").status_code == 200
    assert client.get(f"/knowledge-bases/{w.kbs['vault']}/access").json() == {"readers": [w.principals["credit"]],
                                                                               "admins": []}
    print(f"\nleak walk: {len(w.callers)} callers x {len(client.app.openapi()['paths'])} paths, "
          f"{w.requests} requests, checked per caller: {w.checked}")


def test_changes_of_readers_apply_at_once(client, act_as, world):
    w = world
    teller = w.callers["teller"]

    def teller_sees(marker: str) -> bool:
        act_as(teller)
        return marker in client.post("/search", json={"query": PROBE, "include_graph": True}).text

    def teller_graph(name: str) -> bool:
        act_as(teller)
        return any(e["name"] == name for e in client.get("/graph/entities", params={"q": name}).json())

    assert not teller_sees("XK7731SECRET") and not teller_graph("深圳秘岩投资有限公司")
    act_as(w.callers["kb admin"])  # the shared knowledge base's admin opens the document to all its readers
    response = client.patch(f"/documents/{w.documents['restricted']}/readers", json={"readers": ["*"]})
    assert response.status_code == 200, response.text
    assert teller_sees("XK7731SECRET") and teller_graph("深圳秘岩投资有限公司")
    act_as(w.callers["kb admin"])
    client.patch(f"/documents/{w.documents['restricted']}/readers", json={"readers": [w.principals["credit1"]]})
    assert not teller_sees("XK7731SECRET") and not teller_graph("深圳秘岩投资有限公司")

    # The vault: readable by group credit only, until a system admin opens it; the teller may not do that.
    assert not teller_sees("VAULT4409MARK")
    act_as(teller)
    denied = client.put(f"/knowledge-bases/{w.kbs['shared']}/access", json={"readers": ["*"], "admins": []})
    assert denied.status_code == 403 and "admins" in denied.json()["message"]
    act_as(ROOT)
    assert client.put(f"/knowledge-bases/{w.kbs['vault']}/access",
                      json={"readers": [w.principals["teller1"]], "admins": []}).status_code == 200
    assert teller_sees("VAULT4409MARK") and teller_graph("上海金库实业有限公司")
    act_as(teller)
    assert client.get(f"/documents/{w.documents['vault']}/file").status_code == 200
    act_as(ROOT)
    client.put(f"/knowledge-bases/{w.kbs['vault']}/access", json={"readers": ["group:credit"], "admins": []})
    assert not teller_sees("VAULT4409MARK") and not teller_graph("上海金库实业有限公司")
    act_as(teller)
    assert client.get(f"/documents/{w.documents['vault']}/file").status_code == 404


def test_uploads_name_their_readers_and_uploader(client, act_as, world):
    w = world
    act_as(w.callers["kb admin"])
    response = client.post(f"/knowledge-bases/{w.kbs['shared']}/documents",
                           files=[("files", ("名单.md", "内部名单 LISTMARK\n".encode()))],
                           data={"readers": f"group:credit, {w.principals['teller1']}"})
    assert response.status_code == 202, response.text
    document = response.json()["items"][0]["document"]
    assert document["access_principals"] == [w.principals["credit"], w.principals["teller1"]]
    assert document["uploaded_by"] == "知识库管理员"
    bad = client.post(f"/knowledge-bases/{w.kbs['shared']}/documents",
                      files=[("files", ("x.md", b"x\n"))], data={"readers": "everyone"})
    assert bad.status_code == 422 and "principal" in bad.json()["message"]
    act_as(w.callers["teller"])
    refused = client.post(f"/knowledge-bases/{w.kbs['shared']}/documents", files=[("files", ("y.md", b"y\n"))])
    assert refused.status_code == 403 and "admins" in refused.json()["message"]
    # who reads and administers a knowledge base is shown to its admins only (the admin page hides its controls
    # from the others by this): not in a reader's list nor in the knowledge base read by id
    listed = client.get("/knowledge-bases").json()
    assert listed and all(kb["readers"] is None and kb["admins"] is None for kb in listed), listed
    assert client.get(f"/knowledge-bases/{w.kbs['shared']}").json()["readers"] is None
    act_as(w.callers["kb admin"])
    assert client.get(f"/knowledge-bases/{w.kbs['shared']}").json()["readers"] is not None


def test_every_route_asks_who_is_calling(client):
    """Each API route depends on current_caller (directly or through a dependency), so none can forget it."""
    from fastapi.routing import APIRoute

    def depends_on_caller(dependant) -> bool:
        return any(d.call is current_caller or depends_on_caller(d) for d in dependant.dependencies)

    open_routes = {"/healthz", "/readyz"}
    missing = [f"{sorted(r.methods)} {r.path}" for r in client.app.routes
               if isinstance(r, APIRoute) and r.include_in_schema and r.path not in open_routes
               and not depends_on_caller(r.dependant)]
    assert not missing, f"routes that never ask who is calling: {missing}"
