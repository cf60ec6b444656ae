"""Entity and relation extraction, entity resolution, the LLM extractor's parsing and the entity linker.

Everything but the last section runs without a server; the linker tests use a real Bolt server
(ArcadeDB started by graph.bolt_server, or ZHIKU_TEST_NEO4J_URI), as tests/test_graph_store.py does.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import httpx
import pytest

from zhiku.graph.extraction import COOCCURRENCE, Extraction
from zhiku.graph.extraction.entity_resolution import EntityResolver, identity
from zhiku.graph.extraction.llm_extractor import LlmExtractor
from zhiku.graph.extraction.rule_extractor import RuleExtractor
from zhiku.graph.graph_store import MAX_NAME_CHARS, ChunkFacts, EntityInput, RelationInput

INJECTIONS = [
    '"}) MATCH (n) DETACH DELETE n //',
    "'}) MATCH (n) DETACH DELETE n //",
    "x` DETACH DELETE n //",
    'back\\slash \\" \\\' end\\',
    "$kb_id {key: 'x'} ]->() RETURN 1 //",
]


@pytest.fixture(scope="module")
def resolver() -> EntityResolver:
    return EntityResolver()


@pytest.fixture(scope="module")
def rules(resolver) -> RuleExtractor:
    return RuleExtractor(dictionary=resolver.names())


def typed(extraction: Extraction) -> set[tuple[str, str]]:
    return {(e.name, e.type) for e in extraction.entities}


def triples(extraction: Extraction, *, cooccurrence: bool = False) -> set[tuple[str, str, str]]:
    return {(r.subject, r.type, r.object) for r in extraction.relations
            if cooccurrence or r.type != COOCCURRENCE}


def assert_consistent(extraction: Extraction) -> None:
    """What GraphStore.write_chunk_facts requires: relations name listed entities; names within bounds."""
    names = {identity(n) for e in extraction.entities for n in (e.name, *e.aliases)}
    for e in extraction.entities:
        assert 0 < len(e.name) <= MAX_NAME_CHARS
    for r in extraction.relations:
        assert identity(r.subject) in names and identity(r.object) in names, r


# --- typed entities and relations ------------------------------------------------------------------
def test_chinese_sentence_typed_entities_and_guarantee(rules):
    text = ("2023年3月，中国邮政储蓄银行北京分行向北京华远置业有限公司发放流动资金贷款5000万元，"
            "由北京中关村科技融资担保有限公司提供连带责任保证担保。")
    result = rules.extract(text)
    assert {("2023年3月", "date"), ("中国邮政储蓄银行北京分行", "organization"), ("北京华远置业有限公司", "organization"),
            ("流动资金贷款", "loan_type"), ("5000万元", "amount"),
            ("北京中关村科技融资担保有限公司", "organization")} <= typed(result)
    assert ("北京中关村科技融资担保有限公司", "guarantees", "北京华远置业有限公司") in triples(result)
    assert ("中国邮政储蓄银行北京分行", "lends_to", "北京华远置业有限公司") in triples(result)
    # a branch is one organisation: no head office is implied when the chunk does not name it apart
    assert not any(r.type == "branch_of" for r in result.relations)
    assert ("中国邮政储蓄银行", "organization") not in typed(result)
    assert_consistent(result)
    named = rules.extract(text + "中国邮政储蓄银行是国有大型商业银行。")
    assert ("中国邮政储蓄银行北京分行", "branch_of", "中国邮政储蓄银行") in triples(named)
    assert_consistent(named)
    from zhiku.graph.extraction.rule_extractor import RuleExtractor

    always = RuleExtractor(implicit_branch_parents=True).extract(text)
    assert ("中国邮政储蓄银行北京分行", "branch_of", "中国邮政储蓄银行") in triples(always)


def test_chinese_policy_legal_representative_and_person(rules):
    result = rules.extract("深圳市宏达贸易有限公司的法定代表人为王建国。国家金融监督管理总局于2023年10月发布《商业银行资本管理办法》。")
    assert {("王建国", "person"), ("商业银行资本管理办法", "policy"), ("国家金融监督管理总局", "organization")} <= typed(result)
    assert ("王建国", "legal_representative", "深圳市宏达贸易有限公司") in triples(result)
    assert ("商业银行资本管理办法", "issued_by", "国家金融监督管理总局") in triples(result)


def test_english_sentence_typed_entities_and_guarantee(rules):
    text = "Postal Savings Bank of China lent CNY 50 million to Horizon Trading Ltd, guaranteed by Sunrise Holdings Ltd."
    result = rules.extract(text)
    assert {("Postal Savings Bank of China", "organization"), ("CNY 50 million", "amount"),
            ("Horizon Trading Ltd", "organization"), ("Sunrise Holdings Ltd", "organization")} <= typed(result)
    assert ("Sunrise Holdings Ltd", "guarantees", "Horizon Trading Ltd") in triples(result)
    assert ("Postal Savings Bank of China", "guarantees", "Horizon Trading Ltd") not in triples(result)


def test_english_wikipedia_style_bridge(rules):
    result = rules.extract("Formula One Arcade is a racing video game developed by Studio 33 and published by "
                           "Sony Computer Entertainment. Eddie Irvine finished as runner-up in 1999.")
    assert ("Formula One Arcade", "created_by", "Studio 33") in triples(result)
    assert ("Formula One Arcade", "issued_by", "Sony Computer Entertainment") in triples(result)
    assert ("Eddie Irvine", "person") in typed(result) and ("1999", "date") in typed(result)
    assert ("Eddie", "entity") not in typed(result)


def test_junk_is_not_an_entity(rules):
    result = rules.extract("The bank said it will review. In March, they met on Monday. 该公司表示，本办法自发布之日起施行。12345")
    names = {e.name for e in result.entities}
    for junk in ("The", "In", "March", "Monday", "It", "该公司", "本办法", "12345", "公司"):
        assert junk not in names


def test_domain_types_from_configuration():
    extractor = RuleExtractor(domain_types={"risk_indicator": ["不良贷款率", "拨备覆盖率", "capital adequacy ratio"]})
    result = extractor.extract("截至年末，该行不良贷款率为1.2%，拨备覆盖率为210%; its capital adequacy ratio rose.")
    assert {("不良贷款率", "risk_indicator"), ("拨备覆盖率", "risk_indicator"),
            ("capital adequacy ratio", "risk_indicator")} <= typed(result)


# --- co-occurrence ------------------------------------------------------------------------------
def test_cooccurrence_is_bounded_nearest_first():
    extractor = RuleExtractor(max_pairs_per_sentence=3)
    names = ["Alice Walker", "Bob Dylan", "Carl Sagan", "David Bowie", "Emma Stone", "Frank Zappa", "George Harrison"]
    result = extractor.extract("Yesterday " + ", ".join(names) + " met in London.")
    co = [r for r in result.relations if r.type == COOCCURRENCE]
    assert 0 < len(co) <= 3
    # nearest pairs: neighbours in the list, not the two ends
    assert ("Alice Walker", COOCCURRENCE, "George Harrison") not in triples(result, cooccurrence=True)
    assert all(names.index(r.object) - names.index(r.subject) == 1 for r in co if r.object in names)


def test_amounts_and_dates_have_no_cooccurrence_edges(rules):
    result = rules.extract("2019年，招商银行向华为技术有限公司发放贷款5000万元，利率为3.85%。"
                           "In 2019 JPMorgan Chase paid $200 million to Wells Fargo on 26 July 2019.")
    values = {e.name for e in result.entities if e.type in ("amount", "date")}
    assert {"2019年", "5000万元", "3.85%", "$200 million", "26 July 2019"} <= values
    for r in result.relations:
        assert r.subject not in values and r.object not in values, r
    assert any(r.type == COOCCURRENCE for r in result.relations)


# --- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize("injection", INJECTIONS)
def test_injection_strings_yield_plain_names_or_nothing(rules, resolver, injection):
    for text in (injection, f"中国工商银行与{injection}签署协议。", f"Bank of China signed with {injection} in London."):
        result = resolver.resolve(rules.extract(text))
        assert_consistent(result)
        for e in result.entities:   # plain names: words of the text, no query syntax
            assert not set(e.name) & set("{}()`'\"/$;"), e.name
            assert e.name in text or e.name in {"中国工商银行", "中国银行"}
        # the store accepts it
        ChunkFacts("c1", result.entities, result.relations)


def test_very_long_name_like_run_is_dropped(rules, resolver):
    run = "A" + "b" * 9_999
    for text in (f"Report by {run} Bank to the board.", "中" * 10_000 + "有限公司向张三发放贷款。",
                 " ".join(["Big"] * 5_000) + " Bank", "《" + "办" * 10_000 + "办法》"):
        result = resolver.resolve(rules.extract(text))
        assert_consistent(result)
        assert all(len(e.name) <= MAX_NAME_CHARS for e in result.entities)
        assert all(len(a) <= MAX_NAME_CHARS for e in result.entities for a in e.aliases)


def test_odd_inputs(rules):
    assert rules.extract("") == Extraction()
    assert rules.extract("   \n\t") == Extraction()
    assert_consistent(rules.extract("。。。;;;!!! ??? " * 200))
    assert_consistent(rules.extract("\x00\ufffd\ue000\ue001 招商银行 \ue002 Bank of China"))


# --- entity resolution ----------------------------------------------------------------------------
def test_alias_merging_one_key(rules, resolver):
    a = resolver.resolve(rules.extract("邮储银行推出“邮e贷”线上消费贷款产品。"))
    b = resolver.resolve(rules.extract("PSBC and Postal Savings Bank of China reported results."))
    c = resolver.resolve(rules.extract("中国邮政储蓄银行股份有限公司发布年报。"))
    keys = {e.key for x in (a, b, c) for e in x.entities if e.name == "中国邮政储蓄银行"}
    assert len(keys) == 1
    merged = [e for e in b.entities if e.name == "中国邮政储蓄银行"]
    assert len(merged) == 1 and {"PSBC", "Postal Savings Bank of China", "邮储银行"} <= set(merged[0].aliases)
    assert ("邮e贷", "issued_by", "中国邮政储蓄银行") in triples(a)


def test_identity_normalisation():
    assert identity("《商业银行法》") == identity("商业银行法")
    assert identity("ＢＡＮＫ  of China") == identity("bank of china") == identity("The Bank of China.")


def test_knowledge_base_alias_file_merged_over_builtin(tmp_path, rules):
    path = tmp_path / "aliases.json"
    path.write_text(json.dumps({"深圳市宏达贸易有限公司": ["宏达贸易", "Hongda Trading"],
                                "中国邮政储蓄银行": ["邮储"]}, ensure_ascii=False), encoding="utf-8")
    resolver = EntityResolver.from_file(path)
    a = resolver.resolve(Extraction([EntityInput("宏达贸易", "organization")]))
    b = resolver.resolve(Extraction([EntityInput("Hongda Trading", "entity")]))
    assert a.entities[0].key == b.entities[0].key
    assert resolver.canonical("邮储")[0] == resolver.canonical("PSBC")[0] == "中国邮政储蓄银行"


def test_company_suffixes_merge_only_when_declared(rules, resolver):
    x = resolver.resolve(rules.extract("甲乙科技股份有限公司发布公告。"))
    y = resolver.resolve(rules.extract("甲乙科技有限公司发布公告。"))
    assert {e.key for e in x.entities} != {e.key for e in y.entities}
    z = resolver.resolve(rules.extract("华夏银行股份有限公司（以下简称“华夏银行”）的注册地址位于北京市。"))
    assert [e.name for e in z.entities if e.type == "organization"] == ["华夏银行"]
    w = resolver.resolve(rules.extract("甲乙科技股份有限公司（以下简称“甲乙科技”）为丙丁物流有限公司提供担保。"))
    org = next(e for e in w.entities if e.name == "甲乙科技股份有限公司")
    assert "甲乙科技" in org.aliases


def test_same_name_different_types_is_one_node(resolver):
    a = resolver.resolve(Extraction([EntityInput("Hank Snow", "person")]))
    b = resolver.resolve(Extraction([EntityInput("Hank Snow", "entity")]))
    assert a.entities[0].key == b.entities[0].key


def test_relations_rewritten_to_canonical_names(resolver):
    raw = Extraction([EntityInput("邮储银行", "organization"), EntityInput("张三", "person"),
                      EntityInput("PSBC", "organization")],
                     [RelationInput("邮储银行", "lends_to", "张三"), RelationInput("PSBC", "related_to", "邮储银行")])
    out = resolver.resolve(raw)
    assert triples(out, cooccurrence=True) == {("中国邮政储蓄银行", "lends_to", "张三")}  # self-loop dropped
    assert len(out.entities) == 2


# --- LLM extractor (canned replies) ----------------------------------------------------------------
def _llm(content_or_handler) -> LlmExtractor:
    def handler(request: httpx.Request) -> httpx.Response:
        if callable(content_or_handler):
            return content_or_handler(request)
        return httpx.Response(200, json={"choices": [{"message": {"role": "assistant", "content": content_or_handler}}]})

    client = httpx.Client(transport=httpx.MockTransport(handler))
    return LlmExtractor("http://llm.test/v1", "test-model", client=client)


def test_llm_good_json_is_parsed_and_validated():
    reply = json.dumps({"entities": [
        {"name": "北京中关村科技融资担保有限公司", "type": "organization"},
        {"name": "北京华远置业有限公司", "type": "organization", "aliases": ["华远置业"]},
        {"name": "X" * 500, "type": "organization"},            # too long: dropped
        {"name": "5000万元", "type": "money"},                   # unknown type → entity
        {"name": 42, "type": "organization"}],                   # not a string: dropped
        "relations": [
        {"subject": "北京中关村科技融资担保有限公司", "type": "guarantees", "object": "华远置业"},
        {"subject": "北京中关村科技融资担保有限公司", "type": "Related To", "object": "不存在的公司"},  # unknown entity
        {"subject": "a", "type": "x`) DETACH DELETE n //", "object": "b"}]}, ensure_ascii=False)
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["body"] = json.loads(request.content)
        return httpx.Response(200, json={"choices": [{"message": {"content": "```json\n" + reply + "\n```"}}]})

    extractor = _llm(handler)
    result = extractor.extract("……由北京中关村科技融资担保有限公司为北京华远置业有限公司提供担保。")
    assert extractor.fallbacks == 0
    assert typed(result) == {("北京中关村科技融资担保有限公司", "organization"), ("北京华远置业有限公司", "organization"),
                             ("5000万元", "entity")}
    assert triples(result) == {("北京中关村科技融资担保有限公司", "guarantees", "华远置业")}
    assert seen["body"]["response_format"]["type"] == "json_schema"
    assert seen["body"]["model"] == "test-model"


@pytest.mark.parametrize("reply", ["not json at all", '{"entities": "nope"}', "[1, 2, 3]", '{"entities": [',
                                   None])
def test_llm_malformed_reply_falls_back_to_rules(reply):
    if reply is None:
        extractor = _llm(lambda request: httpx.Response(500, text="boom"))
    else:
        extractor = _llm(reply)
    result = extractor.extract("深圳市宏达贸易有限公司的法定代表人为王建国。")
    assert extractor.fallbacks == 1
    assert ("王建国", "legal_representative", "深圳市宏达贸易有限公司") in triples(result)


def test_llm_timeout_falls_back():
    def handler(request):
        raise httpx.ReadTimeout("slow", request=request)

    extractor = _llm(handler)
    result = extractor.extract("Postal Savings Bank of China lent CNY 50 million to Horizon Trading Ltd.")
    assert extractor.fallbacks == 1 and ("Horizon Trading Ltd", "organization") in typed(result)


# --- entity linker against a real store -----------------------------------------------------------
@pytest.fixture
def kb(store) -> Iterator[str]:
    kb_id = f"kb-{uuid.uuid4().hex[:10]}"
    yield kb_id
    store.remove_kb(kb_id)


def _ingest(store, kb_id, rules, resolver, texts: dict[str, str]) -> None:
    facts = []
    for chunk_id, text in texts.items():
        result = resolver.resolve(rules.extract(text))
        facts.append(ChunkFacts(chunk_id, result.entities, result.relations))
    store.write_chunk_facts(kb_id, "doc-1", 1, facts)


def test_linker_exact_alias_fuzzy_and_injection(store, kb, rules, resolver):
    from zhiku.graph.entity_linker import EntityLinker

    _ingest(store, kb, rules, resolver, {
        "c1": "邮储银行向北京华远置业有限公司发放流动资金贷款，由北京中关村科技融资担保有限公司提供担保。",
        "c2": "Aschenbrödel is a ballet composed by Johann Strauss II in Vienna.",
        "c3": "国家外汇管理局发布《跨境融资管理办法》。",
    })
    linker = EntityLinker(store, rules, resolver)
    by_name = {e.name: e for e in linker.link([kb], "PSBC 给华远置业的贷款由谁担保？", limit=10)}
    assert by_name["中国邮政储蓄银行"].how == "alias"
    assert by_name["北京华远置业有限公司"].how == "fuzzy"
    by_name = {e.name: e for e in linker.link([kb], "Who composed Aschenbrodel?", limit=10)}
    assert by_name["Aschenbrödel"].how == "fuzzy"
    by_name = {e.name: e for e in linker.link([kb], "中国邮政储蓄银行和Johann Strauss II", limit=10)}
    assert by_name["中国邮政储蓄银行"].how == "exact" and by_name["Johann Strauss II"].how == "exact"
    assert not [e for e in linker.link([kb], "is it safe to deposit?") if e.name == "国家外汇管理局"]
    for injection in INJECTIONS:
        assert linker.link([kb], injection) == [] or all(e.key for e in linker.link([kb], injection))
    assert store.find_entities([kb], ["中国邮政储蓄银行"])   # nothing was deleted
    long_query = "邮储银行 " + "x" * 50_000
    assert any(e.name == "中国邮政储蓄银行" for e in linker.link([kb], long_query))


def test_graph_bridges_two_languages_and_passages(store, kb, rules, resolver):
    """Documents in both languages name the same bank; a passage links A to B, another talks about B."""
    _ingest(store, kb, rules, resolver, {
        "zh": "中国邮政储蓄银行北京分行为北京华远置业有限公司提供授信额度2亿元。",
        "en": "Postal Savings Bank of China is headquartered in Beijing.",
        "p1": "Hello Love is a song performed by Hank Snow.",
        "p2": "Hank Snow was a country music artist who died in Madison, Tennessee.",
    })
    keys = {e.key for e in store.find_entities([kb], ["邮储银行", "PSBC", "Postal Savings Bank of China"])}
    assert len(keys) == 1
    hit = store.find_entities([kb], ["Hank Snow"])[0]
    assert set(hit.provenance.chunk_ids) == {"p1", "p2"}


def test_no_function_word_date_fragment_or_role_prefix_entities(rules):
    """Issue #15: "之日起" typed as a place, "伍仟" as a person, "债务人江南恒泰…" as a company name."""
    text = ("保证期间为主合同约定的债务履行期限届满之日起三年。被担保主债权金额为人民币伍仟万元整。"
            "为确保债务人江南恒泰精密制造有限公司与乙方签订的《固定资产借款合同》的履行，甲乙双方经协商一致，订立本合同。"
            "住所：江苏省无锡市梁溪区瑞丰大道166号")
    names = {(e.name, e.type) for e in rules.extract(text).entities}
    bare = {name for name, _ in names}
    assert not bare & {"之日起", "伍仟", "甲乙双方", "协商一致", "债务人江南恒泰精密制造有限公司"}, names
    assert ("江南恒泰精密制造有限公司", "organization") in names
    assert ("梁溪区", "person") not in names and ("固定资产借款合同", "organization") not in names


def test_credit_materials_give_typed_guarantee_shareholding_control_and_subsidiary_relations():
    from zhiku.graph.extraction.credit_roles import CreditRoleExtractor

    roles = CreditRoleExtractor()
    contract = roles.extract("保证人（甲方）：江南瑞丰实业投资有限公司\n法定代表人：钱永康\n债务人：江南恒泰精密制造有限公司",
                             "江南恒泰精密制造有限公司_保证合同.docx")
    assert {(r.subject, r.type, r.object) for r in contract.relations} == {
        ("江南瑞丰实业投资有限公司", "guarantees", "江南恒泰精密制造有限公司"),
        ("钱永康", "legal_representative", "江南瑞丰实业投资有限公司")}   # the party block's legal representative
    profile = roles.extract(
        "股东名称: 沈雅琴 | 出资额（万元）: 1011.00 | 持股比例: 16.00%\n股东名称: 合计 | 持股比例: 100.00%\n"
        "实际控制人：顾振华、沈雅琴夫妇：顾振华另通过担任无锡恒泰众诚企业管理合伙企业（有限合伙）执行事务合伙人控制20.00%的表决权。\n"
        "全资子公司：无锡恒泰精工科技有限公司", "江南恒泰精密制造有限公司_企业基本情况表.docx")
    company = "江南恒泰精密制造有限公司"
    assert {(r.subject, r.type, r.object) for r in profile.relations} == {
        ("沈雅琴", "shareholder_of", company), ("顾振华", "controls", company), ("沈雅琴", "controls", company),
        ("顾振华", "controls", "无锡恒泰众诚企业管理合伙企业(有限合伙)"),  # NFKC, as the rule extractor reads
        ("无锡恒泰精工科技有限公司", "subsidiary_of", company)}
    named = {e.name for e in profile.entities}
    assert all(r.subject in named and r.object in named for r in profile.relations)
    # a form about no named company gives no shareholder edges to guess at
    assert not roles.extract("股东名称: 沈雅琴 | 持股比例: 16.00%", "基本情况表.docx").relations
