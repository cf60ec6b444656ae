"""Where graph chunks enter the ranking: the 'novel' gate lets in only what the first stage lacks."""
from dataclasses import replace

from zhiku.graph.entity_linker import LinkedEntity
from zhiku.index.sparse_encoder import JiebaBm25Encoder
from zhiku.index.vector_store import ScoredChunk
from zhiku.retrieval.graph_expansion import GraphEvidence, GraphExpander, GraphRetrievalConfig
from zhiku.retrieval.hybrid_retriever import HybridRetriever
from zhiku.retrieval.search_hit import SearchHit, StageScores


def _payload(pid: str, text: str) -> dict:
    return {"text": text, "kb_id": "kb", "document_id": pid, "document_name": f"{pid}.txt"}


def _ranking(gate: str, plain_gap: float | None = 0.0) -> list[str]:
    config = GraphRetrievalConfig(protect_top=5, slots=5, max_similarity_gap=0.02, gate=gate, plain_gap=plain_gap)
    retriever = HybridRetriever(None, None, JiebaBm25Encoder(), None, graph=GraphExpander(None, None, config))
    # Ten first-stage hits about 甲公司, dense similarity 0.90 down to 0.81.
    hits = [SearchHit.from_point(f"h{i}", _payload(f"h{i}", f"甲公司第{i}条公告。"), 1 - i / 10,
                                 StageScores(None, 0.90 - i / 100, 1 - i / 10)) for i in range(10)]
    graph = [ScoredChunk("g_same", 0.80, _payload("g_same", "甲公司的另一条新闻。")),      # 0.01 below the 10th hit
             ScoredChunk("g_new", 0.805, _payload("g_new", "乙公司为甲公司提供担保。")),   # names 乙公司, absent above
             ScoredChunk("g_join", 0.79, _payload("g_join", "丙公司与丁公司合并。"))]      # joins two linked entities
    linked = [LinkedEntity("k_jia", "甲公司", "company", "exact", 1.0, "甲公司"),
              LinkedEntity("k_yi", "乙公司", "company", "exact", 1.0, "乙公司")]
    evidence = GraphEvidence(linked, {"g_same": 0.7, "g_new": 0.6, "g_join": 0.5},
                             chunk_entities={"g_same": {"k_jia", "k_x"}, "g_new": {"k_jia", "k_yi"},
                                             "g_join": {"k_bing", "k_ding"}},
                             joining={"g_join"})
    return [h.chunk_id for h in retriever._insert_graph_hits(hits, graph, evidence, 10)]


def test_the_novel_gate_keeps_out_graph_chunks_that_add_nothing_and_are_less_similar():
    everything = _ranking("all")[:10]
    assert {"g_same", "g_new"} <= set(everything)  # within the 0.02 gap, whatever they add
    novel = _ranking("novel")[:10]
    assert "g_same" not in novel  # about 甲公司 like the top hits, and less similar than the hit it would push out
    assert "g_new" in novel  # states a fact of 乙公司, which no top hit names
    assert novel[:5] == [f"h{i}" for i in range(5)]
    never = _ranking("novel", plain_gap=None)[:10]
    assert "g_same" not in never and "g_new" in never


def test_a_chunk_joining_two_linked_entities_is_novel():
    evidence = GraphEvidence([LinkedEntity("k1", "丙公司", "company", "exact", 1.0, "丙公司")], {"c": 1.0},
                             chunk_entities={"c": {"k1"}}, joining={"c"})
    assert evidence.novel("c", "丙公司出现在首条结果中")
    plain = replace(evidence, joining=set())
    assert not plain.novel("c", "丙公司出现在首条结果中") and plain.novel("c", "别的公司")


def test_the_evidence_gate_also_admits_the_second_hop_and_nothing_from_a_document_already_shown():
    config = GraphRetrievalConfig(protect_top=5, slots=5, max_similarity_gap=0.02, gate="evidence", plain_gap=0.0)
    retriever = HybridRetriever(None, None, JiebaBm25Encoder(), None, graph=GraphExpander(None, None, config))
    # The first stage found the first hop: its top hit names 戊公司, the question does not.
    hits = [SearchHit.from_point("h0", _payload("h0", "甲公司的担保人是戊公司。"), 1.0, StageScores(None, 0.90, 1.0))]
    hits += [SearchHit.from_point(f"h{i}", _payload(f"h{i}", f"甲公司第{i}条公告。"), 1 - i / 10,
                                  StageScores(None, 0.90 - i / 100, 1 - i / 10)) for i in range(1, 10)]
    graph = [ScoredChunk("g_hop", 0.80, _payload("g_hop", "戊公司注册于深圳。")),      # the second hop, less similar
             ScoredChunk("g_more", 0.80, _payload("g_more", "甲公司的又一条新闻。")),   # more about 甲公司
             ScoredChunk("g_dup", 0.95, _payload("h3", "甲公司第3条公告的另一段。"))]  # a document already shown
    linked = [LinkedEntity("k_jia", "甲公司", "company", "exact", 1.0, "甲公司")]
    evidence = GraphEvidence(linked, {"g_hop": 0.5, "g_more": 0.7, "g_dup": 0.7},
                             chunk_entities={"g_hop": {"k_wu", "k_city"}, "g_more": {"k_jia", "k_x"},
                                             "g_dup": {"k_jia", "k_y"}},
                             bridges={"g_hop": {"戊公司"}})
    top = [h.chunk_id for h in retriever._insert_graph_hits(hits, graph, evidence, 10)][:10]
    assert "g_hop" in top and "g_more" not in top and "g_dup" not in top
    assert top[:5] == [f"h{i}" for i in range(5)]
    novel = replace(config, gate="novel")
    retriever.graph = GraphExpander(None, None, novel)
    assert "g_hop" not in [h.chunk_id for h in retriever._insert_graph_hits(hits, graph, evidence, 10)][:10]


def test_the_hop_gate_admits_a_second_hop_only_when_a_top_hit_states_the_first():
    config = GraphRetrievalConfig(protect_top=5, slots=5, max_similarity_gap=0.02, gate="hop", plain_gap=None)
    retriever = HybridRetriever(None, None, JiebaBm25Encoder(), None, graph=GraphExpander(None, None, config))
    # h0 states the first hop (甲公司 → 戊公司); h1 is news that happens to name 己公司 as well.
    hits = [SearchHit.from_point("h0", _payload("h0", "甲公司的担保人是戊公司。"), 1.0, StageScores(None, 0.90, 1.0)),
            SearchHit.from_point("h1", _payload("h1", "甲公司与己公司同日发布公告。"), 0.9, StageScores(None, 0.89, 0.9))]
    hits += [SearchHit.from_point(f"h{i}", _payload(f"h{i}", f"甲公司第{i}条公告。"), 1 - i / 10,
                                  StageScores(None, 0.90 - i / 100, 1 - i / 10)) for i in range(2, 10)]
    graph = [ScoredChunk("g_hop", 0.80, _payload("g_hop", "戊公司注册于深圳。")),    # the second hop: its first in h0
             ScoredChunk("g_news", 0.80, _payload("g_news", "己公司发布新品。"))]    # 己公司 is named by h1 only
    linked = [LinkedEntity("k_jia", "甲公司", "company", "exact", 1.0, "甲公司")]
    evidence = GraphEvidence(linked, {"g_hop": 0.5, "g_news": 0.5},
                             chunk_entities={"g_hop": {"k_wu", "k_city"}, "g_news": {"k_ji", "k_x"}},
                             bridges={"g_hop": {"戊公司"}, "g_news": {"己公司"}},
                             earlier={"g_hop": {"h0"}, "g_news": {"elsewhere"}})  # g_news: 甲→己 stated off the top
    top = [h.chunk_id for h in retriever._insert_graph_hits(hits, graph, evidence, 10, "甲公司的担保人在哪里注册？")][:10]
    assert "g_hop" in top and "g_news" not in top
    assert top[:5] == [h.chunk_id for h in hits[:5]]
    retriever.graph = GraphExpander(None, None, replace(config, gate="evidence"))
    assert "g_news" in [h.chunk_id for h in retriever._insert_graph_hits(hits, graph, evidence, 10,
                                                                         "甲公司的担保人在哪里注册？")][:10]


def _section(pid: str, document: str, section: str, text: str) -> dict:
    return _payload(pid, text) | {"document_id": document, "parent_id": f"{document}:v1:{section}"}


def test_the_hop_gate_judges_by_the_passages_shown_not_the_documents_nor_the_first_ten():
    """The demo's case: the guarantor check's header section is shown, its risk section (the second hop) is not; a
    list of five does not show the first stage's rank eight."""
    config = GraphRetrievalConfig(protect_top=5, slots=5, max_similarity_gap=0.0, gate="hop", plain_gap=None)
    retriever = HybridRetriever(None, None, JiebaBm25Encoder(), None, graph=GraphExpander(None, None, config))
    texts = ["甲公司的担保人是戊公司。", "甲公司授信调查结论。", "戊公司风险排查报告编号。", "甲公司概况。", "甲公司授信方案。",
             "甲公司第5条公告。", "甲公司第6条公告。", "甲公司第7条公告。", "戊公司在乙银行有逾期贷款。", "甲公司第9条公告。"]
    sections = [("report", "p1"), ("report", "p2"), ("check", "p0"), ("report", "p0"), ("report", "p3"),
                ("n5", "p0"), ("n6", "p0"), ("n7", "p0"), ("check", "p2"), ("n9", "p0")]
    hits = [SearchHit.from_point(f"h{i}", _section(f"h{i}", *sections[i], texts[i]), 1 - i / 10,
                                 StageScores(None, 0.90 - i / 100, 1 - i / 10)) for i in range(10)]
    graph = [ScoredChunk("h8", 0.82, hits[8].payload),  # the risk section: rank eight of the first stage
             ScoredChunk("g_same", 0.85, _section("g_same", "check", "p0", "戊公司风险排查报告的另一段。"))]
    evidence = GraphEvidence([LinkedEntity("k_jia", "甲公司", "company", "exact", 1.0, "甲公司")],
                             {"h8": 0.3, "g_same": 0.3}, chunk_entities={"h8": {"k_wu", "k_bank"}, "g_same": {"k_wu", "k_x"}},
                             bridges={"h8": {"戊公司"}, "g_same": {"戊公司"}}, earlier={"h8": {"h0"}, "g_same": {"h0"}})
    five = [h.chunk_id for h in retriever._insert_graph_hits(hits, graph, evidence, 5, "甲公司的担保人有哪些风险？")][:5]
    assert "h8" in five  # another section of a document shown, continuing the first hop h0 states
    assert "g_same" not in five  # its section (the header) is shown already
    assert five[:2] == ["h0", "h1"]
    ten = [h.chunk_id for h in retriever._insert_graph_hits(hits, graph, evidence, 10, "甲公司的担保人有哪些风险？")][:10]
    assert ten == [f"h{i}" for i in range(10)]  # in a list of ten the first stage shows it already


def test_a_graph_chunk_is_about_the_question_entity_the_walk_reached_it_from():
    # The guarantor's risk passage names the guarantor only; the graph reached it from the borrower the question names
    # (borrower —guaranteed by→ guarantor —overdue loan at→ bank). That link is part of what the passage is about: the
    # subject gate and the answer selector read it with the passage (SearchHit.about_text).
    from zhiku.retrieval.subject_check import SubjectCheck

    config = GraphRetrievalConfig(protect_top=1, slots=2, max_similarity_gap=1.0, gate="all", plain_gap=None)
    retriever = HybridRetriever(None, None, JiebaBm25Encoder(), None, graph=GraphExpander(None, None, config))
    hits = [SearchHit.from_point("h0", _payload("h0", "华远置业由中关村担保提供保证担保。"), 1.0,
                                 StageScores(None, 0.90, 1.0))]
    risk = "中关村担保在兴业银行有一笔逾期贷款1200万元。"
    graph = [ScoredChunk("g_risk", 0.85, _payload("g_risk", risk))]
    evidence = GraphEvidence([LinkedEntity("k_hy", "北京华远置业有限公司", "company", "exact", 1.0, "北京华远置业有限公司")],
                             {"g_risk": 0.3}, chunk_entities={"g_risk": {"k_zgc", "k_xy"}},
                             reached_from={"g_risk": {"北京华远置业有限公司"}})
    ranked = retriever._insert_graph_hits(hits, graph, evidence, 3)
    reached = [h for h in ranked if h.chunk_id == "g_risk"][0]
    assert reached.reached_from == ("北京华远置业有限公司",)
    assert "北京华远置业有限公司" in reached.about_text()
    question = "北京华远置业有限公司的担保人有哪些风险？"
    plain = SearchHit.from_point("p", _payload("p", risk), 0.5, StageScores(None, 0.85, 0.5))
    assert SubjectCheck().allowed(question, [plain, reached]) == [1]


def _path_ranking(texts: dict[int, str], reached: tuple[str, ...] = (), gate: str = "path",
                  hop_text: str = "戊公司在乙银行有逾期贷款。", dense: dict[int, float] | None = None) -> list[str]:
    """Ten first-stage hits (dense 0.90 down to 0.81; h0 states the first hop 甲公司 → 戊公司) and the second hop's
    passage, far less similar to the question (0.70) than any of them."""
    config = GraphRetrievalConfig(protect_top=5, slots=5, max_similarity_gap=0.0, gate=gate, plain_gap=None)
    retriever = HybridRetriever(None, None, JiebaBm25Encoder(), None, graph=GraphExpander(None, None, config))
    text = {0: "甲公司的担保人是戊公司。"} | {i: f"甲公司第{i}条公告。" for i in range(1, 10)} | texts
    similarity = {i: 0.90 - i / 100 for i in range(10)} | (dense or {})
    hits = [SearchHit.from_point(f"h{i}", _payload(f"h{i}", text[i]), 1 - i / 10,
                                 StageScores(None, similarity[i], 1 - i / 10)) for i in range(10)]
    graph = [ScoredChunk("g_hop", 0.70, _payload("g_hop", hop_text)),
             ScoredChunk("g_news", 0.70, _payload("g_news", "甲公司的又一条新闻。"))]  # adds nothing: never enters
    evidence = GraphEvidence([LinkedEntity("k_jia", "甲公司", "company", "exact", 1.0, "甲公司")],
                             {"g_hop": 0.5, "g_news": 0.7} | {pid: 0.3 for pid in reached},
                             chunk_entities={"g_hop": {"k_wu", "k_bank"}, "g_news": {"k_jia", "k_x"}},
                             bridges={"g_hop": {"戊公司"}}, earlier={"g_hop": {"h0"}})
    return [h.chunk_id for h in retriever._insert_graph_hits(hits, graph, evidence, 10, "甲公司的担保人有哪些风险？")]


def test_the_path_gate_puts_the_second_hop_in_place_of_a_hit_unconnected_to_the_question():
    # h7 is about something else (it names neither 甲公司 nor the bridge 戊公司): the second hop takes its place,
    # though less similar to the question; every other first-stage hit stays in the ten, in its order
    ranked = _path_ranking({7: "某市今日天气晴朗。"})
    assert ranked[:10] == ["h0", "h1", "h2", "h3", "h4", "g_hop", "h5", "h6", "h8", "h9"]
    assert ranked[10] == "h7" and "g_news" not in ranked
    # at gap 0 the gate 'hop' keeps it out: it is less similar than the tenth hit
    assert _path_ranking({7: "某市今日天气晴朗。"}, gate="hop")[:10] == [f"h{i}" for i in range(10)]


def test_the_path_gate_never_takes_the_place_of_a_hit_about_the_question_or_its_bridge():
    # every hit below the head names the question's entity: nothing leaves, the second hop stays out (gap 0)
    assert _path_ranking({})[:10] == [f"h{i}" for i in range(10)]
    # a hit naming the bridge (another passage on the second hop) or one the walk reached is not displaced
    assert _path_ranking({7: "戊公司的年报。"})[:10] == [f"h{i}" for i in range(10)]
    assert _path_ranking({7: "某市今日天气晴朗。"}, reached=("h7",))[:10] == [f"h{i}" for i in range(10)]
    # the head is never displaced, whatever it names
    assert "g_hop" not in _path_ranking({2: "某市今日天气晴朗。"})[:10]


def test_the_path_gate_weighs_a_second_hop_against_the_least_similar_hit_shown_not_the_tenth():
    # the second stage put h7 (0.69, below the second hop's 0.70) above h8 and h9 (0.82, 0.81): the second hop
    # takes h7's place whatever order the second stage gave the ten — h7 names the question's entity, so only
    # similarity can let the chunk in, and the tenth hit (0.81) would have kept it out
    ranked = _path_ranking({}, dense={7: 0.69})
    assert ranked[:10] == ["h0", "h1", "h2", "h3", "h4", "g_hop", "h5", "h6", "h8", "h9"]
    assert ranked[10] == "h7"
    # no hit shown is less similar than the second hop: it stays out, as before
    assert "g_hop" not in _path_ranking({}, dense={7: 0.71})[:10]


def test_the_path_gate_displaces_only_for_a_passage_about_the_entity_it_brings():
    # a passage that merely names the bridge (as most passages near a hop name a place or a country) is not the
    # bridge's own: it does not take an unconnected hit's place, and at gap 0 it stays out
    assert "g_hop" not in _path_ranking({7: "某市今日天气晴朗。"}, hop_text="乙银行向戊公司发放贷款。")[:10]
    assert "g_hop" in _path_ranking({7: "某市今日天气晴朗。"}, hop_text="“戊公司”在乙银行有逾期贷款。")[:10]


def test_a_passage_begins_with_its_subject_as_a_whole_word():
    from zhiku.retrieval.graph_gate import ShownHits, about_its_evidence

    evidence = GraphEvidence([], {"c": 0.5}, bridges={"c": {"australia", "philadelphia eagles"}})

    def about(title: str, text: str) -> bool:
        chunk = SearchHit.from_point("c", _payload("c", text) | {"document_name": title})
        return about_its_evidence(chunk, evidence, ShownHits.of([]))

    assert about("Philadelphia Eagles", "The Philadelphia Eagles are a professional American football franchise.")
    assert about("Eagles", "The Philadelphia Eagles are a professional American football franchise.")
    assert not about("Australian National University", "The Australian National University is in Canberra.")
    assert not about("Wamboin", "Wamboin is a rural area of New South Wales, Australia.")


def test_a_chunk_between_what_two_linked_entities_lead_to_links_their_walks():
    """Dick Humbert → the Philadelphia Eagles (his passage); "the Eagles compete in the NFL" relates the bridge to
    the other linked entity, three relations away from nothing: the Eagles' passage links the two walks. A passage
    about another team Dick Humbert's walk reached, related to nothing of the NFL's, does not."""
    from zhiku.graph.graph_store import GraphPath, GraphResult, Provenance, RelationHit

    def relation(key, a, b, chunk):
        return RelationHit(key, "kb", "related_to", a, b, 1, Provenance([chunk]))

    relations = {r.key: r for r in (relation("r1", "humbert", "eagles", "c_humbert"),
                                    relation("r2", "eagles", "pennsylvania", "c_eagles"),
                                    relation("r3", "eagles", "nfl", "c_eagles"),
                                    relation("r4", "humbert", "college", "c_humbert"),
                                    relation("r5", "college", "ohio", "c_college"))}
    paths = [GraphPath(["humbert", "eagles"], ["r1"]), GraphPath(["humbert", "eagles", "pennsylvania"], ["r1", "r2"]),
             GraphPath(["humbert", "college"], ["r4"]), GraphPath(["humbert", "college", "ohio"], ["r4", "r5"])]
    linked = [LinkedEntity("humbert", "Dick Humbert", "person", "exact", 1.0, "Dick Humbert"),
              LinkedEntity("nfl", "NFL", "organization", "exact", 1.0, "NFL")]
    evidence = GraphEvidence(linked, {"c_eagles": 0.4, "c_college": 0.4}, GraphResult(paths, {}, relations))
    assert evidence.links_walks("c_eagles") and not evidence.links_walks("c_college")
    assert not GraphEvidence(linked[:1], {}, GraphResult(paths, {}, relations)).links_walks("c_eagles")


def test_a_passage_naming_what_two_linked_entities_are_related_to_is_about_the_question():
    from zhiku.graph.graph_store import EntityHit, GraphResult, Provenance, RelationHit
    from zhiku.retrieval.graph_gate import ShownHits, about_its_evidence

    relations = {"r1": RelationHit("r1", "kb", "related_to", "sulivan", "falklands", 1, Provenance(["c_mount"])),
                 "r2": RelationHit("r2", "kb", "related_to", "conference", "london", 1, Provenance(["c_conf"]))}
    entities = {k: EntityHit(k, "kb", name, "location", [], 3) for k, name in
                (("falklands", "Falkland Islands"), ("london", "London"))}
    linked = [LinkedEntity("sulivan", "Mount Sulivan", "location", "exact", 1.0, "Mount Sulivan"),
              LinkedEntity("conference", "Pan-African Conference", "event", "exact", 1.0, "Pan-African conference")]
    evidence = GraphEvidence(linked, {"c": 0.3}, GraphResult([], entities, relations), bridges={"c": {"london"}})

    def about(text: str) -> bool:
        return about_its_evidence(SearchHit.from_point("c", _payload("c", text)), evidence, ShownHits.of([]))

    assert about("The Representative of the Falkland Islands in London is the territory's mission.")
    assert not about("The 1933 crash occurred near a radio mast; the airline flew from London.")
