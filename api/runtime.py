"""The composition root: builds every component once from the settings, for the API, CLI and eval."""
from __future__ import annotations

import logging
import threading
from functools import cached_property
from typing import TYPE_CHECKING

from zhiku.answer.answer_service import AnswerScope, AnswerService
from zhiku.answer.chat_service import ChatService
from zhiku.answer.consistency_check import ConsistencyCheck
from zhiku.answer.follow_ups import FollowUpSuggester
from zhiku.answer.grounded_answerer import GroundedAnswerer
from zhiku.answer.grounding_check import GroundingChecker
from zhiku.answer.llm_client import LlmClient, LlmEndpoint
from zhiku.answer.local_llm import LocalLlmServer, resolve_local_gguf
from zhiku.answer.query_rewriter import QueryRewriter
from zhiku.core.conversation_store import ConversationStore
from zhiku.core.db import make_engine, migrate, session_factory
from zhiku.core.file_retention import FileRetention
from zhiku.core.file_store import FileStore
from zhiku.core.identity.identity import Identity
from zhiku.core.metadata_store import MetadataStore
from zhiku.core.settings import Settings
from zhiku.index.embedding_cache import CachingEmbedder
from zhiku.index.factory import build_caching_embedder, build_vector_store
from zhiku.index.indexer import Indexer
from zhiku.index.sparse_encoder import SparseEncoder, build_sparse_encoder
from zhiku.index.vector_store import VectorStore
from zhiku.ingest.chunker import ChunkingConfig, StructuredChunker
from zhiku.ingest.job_execution import JobExecutor, worker_name
from zhiku.ingest.job_runner import JobRunner
from zhiku.ingest.ocr.factory import make_ocr_engine
from zhiku.ingest.ocr.page_reader import OcrPageReader
from zhiku.ingest.parse_context import MediaOptions, ParseContext
from zhiku.ingest.parse_limits import MIB, ParseLimits
from zhiku.ingest.pipeline import IngestionPipeline
from zhiku.graph.graph_builder import GraphBuilder
from zhiku.guardrails.guarded_retriever import GuardedRetriever, evidence
from zhiku.guardrails.pii import mask_pii
from zhiku.guardrails.policy import DEFAULT_REFUSAL, GuardrailPolicy
from zhiku.graph.graph_connection import GraphConnection
from zhiku.graph.graph_store import GraphStore
from zhiku.ingest.speech.factory import make_transcriber
from zhiku.ingest.speech.transcriber import Transcriber
from zhiku.retrieval.extractive_answer import ExtractiveAnswerer
from zhiku.retrieval.graph_expansion import GraphExpander, GraphRetrievalConfig
from zhiku.retrieval.hybrid_retriever import HybridRetriever, RetrievalConfig
from zhiku.retrieval.reranker_factory import build_reranker

if TYPE_CHECKING:
    from zhiku.ingest.broker_jobs import BrokerJobQueue

log = logging.getLogger(__name__)


class Runtime:
    def __init__(self, settings: Settings, worker_process: bool = False):
        """`worker_process`: a `zhiku worker`, which never owns the embedded vector store (index/shared_edge_store.py)."""
        self.settings = settings
        self.worker_process = worker_process
        # The data folder holds originals, the index and secrets (the graph server's password): owner-only. An
        # existing folder is left as the operator made it; `zhiku doctor` reports one others can read.
        settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._store_lock = threading.Lock()
        self._store_ready = False
        self._started = False
        self._warm_lock = threading.Lock()
        self._graph_rehearsed = False

    @cached_property
    def _sessions(self):
        engine = make_engine(self.settings.resolved_database_url)
        migrate(engine)
        return session_factory(engine)

    @cached_property
    def metadata(self) -> MetadataStore:
        return MetadataStore(self._sessions)

    @cached_property
    def conversations(self) -> ConversationStore:
        return ConversationStore(self._sessions)

    @cached_property
    def identity(self) -> Identity:
        """Users, groups, sessions, API keys and the audit trail (core/identity/), over the metadata store; the
        audit trail masks personal data with the guardrails' masker."""
        return Identity(self._sessions, self.settings, masker=lambda text, _kb_id: mask_pii(text))

    @cached_property
    def files(self) -> FileStore:
        return FileStore(self.settings.files_dir)

    @cached_property
    def retention(self) -> FileRetention:
        return FileRetention(self.metadata, self.files, self.settings.file_retention_days)

    @cached_property
    def embedder(self) -> CachingEmbedder:
        return build_caching_embedder(self.settings)

    @cached_property
    def sparse(self) -> SparseEncoder:
        return build_sparse_encoder(self.settings.sparse_encoder)

    @cached_property
    def _vector_store(self) -> VectorStore:
        return build_vector_store(self.settings, may_own=not self.worker_process)

    @property
    def vector_store(self) -> VectorStore:
        with self._store_lock:
            if not self._store_ready:
                self._vector_store.ensure_collection(self.embedder.dimension, self.embedder.model_id)
                self._store_ready = True
        return self._vector_store

    @cached_property
    def retriever(self) -> HybridRetriever:
        """The hybrid retriever behind the guardrails: whatever it returns is masked and screened per knowledge
        base (guardrails/guarded_retriever.py)."""
        s = self.settings
        config = RetrievalConfig(s.candidates_per_retriever, s.fusion, s.fusion_dense_weight, s.rrf_k, s.rerank_top_n,
                                 s.fusion_dense_weight_zh, s.fusion_dense_weight_en)
        hybrid = HybridRetriever(self.vector_store, self.embedder, self.sparse, build_reranker(s, self.sparse), config,
                                 graph=self.graph_expander)
        return GuardedRetriever(hybrid, self.guardrail_policy)  # type: ignore[return-value]

    def guardrail_policy(self, kb_id: str) -> GuardrailPolicy:
        """The knowledge base's guardrail policy (the defaults for one it does not know)."""
        kb = self.metadata.find_kb(kb_id) if kb_id else None
        return GuardrailPolicy.from_json(kb.guardrails if kb is not None else None)

    def screen_question(self, question: str, hits: list) -> tuple[str | None, list]:
        """The fixed reply for a question the service-wide or a consulted knowledge base's policy refuses, and the
        hits that may serve as its evidence (flagged passages left out)."""
        service_wide = GuardrailPolicy(refused_topics=tuple(self.settings.refused_topics),
                                       refused_reply=self.settings.refused_reply or DEFAULT_REFUSAL,
                                       refuse_injected_questions=self.settings.refuse_injected_questions)
        kb_ids = dict.fromkeys(hit.payload.get("kb_id", "") for hit in hits)
        for policy in [service_wide, *(self.guardrail_policy(kb_id) for kb_id in kb_ids if kb_id)]:
            if (reply := policy.refusal(question)) is not None:
                return reply, []
        return None, evidence(hits, self.guardrail_policy)

    @cached_property
    def graph_expander(self) -> GraphExpander | None:
        if self.graph_store is None:
            return None
        from zhiku.graph.entity_linker import EntityLinker
        from zhiku.graph.extraction.factory import make_extractor, make_resolver_factory

        s = self.settings
        linker = EntityLinker(self.graph_store, make_extractor(s), make_resolver_factory(s)(""))
        return GraphExpander(self.graph_store, linker, GraphRetrievalConfig.from_settings(s))

    @cached_property
    def answerer(self) -> ExtractiveAnswerer:
        from zhiku.retrieval.subject_check import SubjectCheck

        kinds = tuple(k.strip() for k in self.settings.answer_subject_kinds.split(",") if k.strip())
        return ExtractiveAnswerer(self.sparse, self.embedder, min_confidence=self.settings.answer_min_confidence,
                                  max_sentences=self.settings.answer_max_sentences,
                                  support_ratio=self.settings.answer_support_ratio,
                                  subject_check=SubjectCheck(kinds=kinds),
                                  answerability=None if self.settings.answer_relation_check else False)

    # -- answers -----------------------------------------------------------------------------
    @cached_property
    def local_llm(self) -> LocalLlmServer | None:
        """The local llama.cpp server, when ZHIKU_LLM_START_LOCAL asks for it and no endpoint is configured."""
        s = self.settings
        if not s.llm_start_local or s.llm_base_url:
            return None
        server = LocalLlmServer(resolve_local_gguf(s.llm_local_model_path), port=s.llm_local_port,
                                context=s.llm_local_context, threads=s.model_threads,
                                log_path=s.data_dir / "llm-server.log")
        s.data_dir.mkdir(parents=True, exist_ok=True)
        return server.start()

    @cached_property
    def llm(self) -> LlmClient | None:
        """The configured endpoints in order (ZHIKU_LLM_BASE_URL, then ZHIKU_LLM_FALLBACKS); None without any."""
        s = self.settings
        endpoints = []
        if s.llm_base_url:
            endpoints.append(LlmEndpoint(s.llm_base_url, s.llm_model or "default", s.llm_api_key))
        elif self.local_llm is not None:
            endpoints.append(LlmEndpoint(self.local_llm.base_url, self.local_llm.model))
        endpoints += [LlmEndpoint(f.base_url, f.model, f.api_key) for f in s.llm_fallbacks]
        if not endpoints or s.answer_mode == "extractive":
            return None
        return LlmClient(endpoints, timeout=s.llm_timeout_seconds, first_token_timeout=s.llm_first_token_timeout_seconds,
                         retries=s.llm_retries)

    @cached_property
    def grounding_checker(self) -> GroundingChecker:
        return GroundingChecker(self.sparse, min_support=self.settings.grounding_min_support)

    def _uncached_passage_embed(self, texts: list[str]):
        """Answer sentences and transcript sentences compared by meaning: embedded without entering the embedding
        cache (a generated sentence is not a passage of the knowledge base)."""
        return self.embedder.inner.embed_passages(texts)

    @cached_property
    def answers(self) -> AnswerService:
        s = self.settings
        grounded = None
        if self.llm is not None:
            grounded = GroundedAnswerer(self.llm, self.grounding_checker, evidence_limit=s.answer_evidence_chunks,
                                        evidence_chars=s.answer_evidence_chars, max_tokens=s.llm_max_tokens,
                                        action=s.grounding_action, evidence_form=s.answer_evidence_form,
                                        consistency=ConsistencyCheck(self.sparse, s.answer_consistency_samples,
                                                                     s.answer_consistency_temperature),
                                        narrowing=GroundingChecker(self.sparse, min_support=s.grounding_min_support,
                                                                   embed=self._uncached_passage_embed))
        return AnswerService(self._retrieve_for_answer, self.sparse, self.answerer, grounded,
                             default_mode=s.answer_mode,
                             screen=self.screen_question)

    def _retrieve_for_answer(self, question: str, scope: AnswerScope):
        from zhiku.index.vector_store import ChunkFilter
        from zhiku.retrieval.hybrid_retriever import RetrievalMode
        from zhiku.retrieval.query_text import require_query_length

        require_query_length(question, self.settings.max_query_chars)
        kb_ids = scope.knowledge_bases if scope.knowledge_bases is not None else [kb.id for kb in self.metadata.list_kbs()]
        if not kb_ids:  # an empty list would mean "every knowledge base" to the store
            return []
        chunk_filter = ChunkFilter(kb_ids=kb_ids, document_ids=scope.document_ids or [], principals=scope.principals,
                                   full_access_kb_ids=scope.full_access_kb_ids,
                                   readable_document_ids=scope.readable_document_ids)
        return self.retriever.retrieve(question, chunk_filter, scope.top_k or self.settings.top_k,
                                       RetrievalMode(self.settings.search_mode)).hits

    @cached_property
    def chat(self) -> ChatService:
        s = self.settings
        return ChatService(self.answers, self.conversations, QueryRewriter(self.sparse, self.llm),
                           FollowUpSuggester(self.llm, answerer=self.answerer),
                           history_turns=s.chat_history_turns, history_chars=s.chat_history_chars)

    # -- scenarios ---------------------------------------------------------------------------
    @cached_property
    def templates(self):
        from zhiku.scenarios.report_template import TemplateLibrary

        return TemplateLibrary(self.settings.report_template_dir)

    @cached_property
    def reports(self):
        from zhiku.scenarios.field_extraction import FieldExtractor
        from zhiku.scenarios.report_service import ReportService
        from zhiku.scenarios.report_store import ReportStore
        from zhiku.scenarios.report_writer import ReportWriter

        writer = ReportWriter(self.answers, FieldExtractor(self.llm))
        return ReportService(self.metadata, self.retriever, writer, self.templates,
                             ReportStore(self.settings.data_dir / "reports"))

    @cached_property
    def research(self):
        from zhiku.scenarios.research import ResearchService

        return ResearchService(self.reports, self.answers)

    @cached_property
    def indexer(self) -> Indexer:
        return Indexer(self.vector_store, self.embedder, self.sparse)

    @cached_property
    def chunker(self) -> StructuredChunker:
        s = self.settings
        return StructuredChunker(ChunkingConfig(s.chunk_size, s.chunk_overlap, s.parent_chunk_size))

    # The OCR and speech models are built once per process and load their weights on first use, so a
    # service that never sees a scan or a recording never pays for them.
    @cached_property
    def ocr_reader(self) -> OcrPageReader:
        return OcrPageReader(make_ocr_engine(self.settings))

    @cached_property
    def transcriber(self) -> Transcriber:
        return make_transcriber(self.settings)

    @cached_property
    def media_options(self) -> MediaOptions:
        s = self.settings
        return MediaOptions(
            pdf_ocr_dpi=s.ocr_pdf_dpi,
            max_image_pixels=int(s.max_image_megapixels * 1_000_000),
            asr_window_seconds=s.asr_window_seconds,
            video_frame_interval_seconds=s.video_frame_interval_seconds,
            video_scene_threshold=s.video_scene_threshold,
            ffmpeg=s.ffmpeg_binary,
            ffprobe=s.ffprobe_binary,
        )

    @cached_property
    def parse_limits(self) -> ParseLimits:
        s = self.settings
        return ParseLimits(max_archive_entries=s.max_archive_entries, max_unpacked_bytes=int(s.max_unpacked_mb * MIB),
                           max_xml_elements=s.max_xml_elements, max_pages=s.max_document_pages,
                           max_rows=s.max_table_rows, max_text_bytes=int(s.max_text_file_mb * MIB),
                           max_media_seconds=s.max_media_minutes * 60, max_nesting=s.max_attachment_nesting)

    def parse_context(self) -> ParseContext:
        return ParseContext(ocr=lambda: self.ocr_reader, transcriber=lambda: self.transcriber,
                            options=self.media_options, limits=self.parse_limits)

    # -- knowledge graph ---------------------------------------------------------------------
    @cached_property
    def graph_connection(self) -> GraphConnection:
        return GraphConnection(self.settings)

    @cached_property
    def graph_store(self) -> GraphStore | None:
        """None when the graph is switched off (ZHIKU_GRAPH_ENABLED=false)."""
        if not self.settings.graph_enabled:
            return None
        store = GraphStore(self.graph_connection.driver(), self.graph_connection.database)
        store.ensure_schema()
        return store

    @cached_property
    def graph_builder(self) -> GraphBuilder | None:
        if self.graph_store is None:
            return None
        from zhiku.graph.extraction.factory import make_extractor, make_resolver_factory

        return GraphBuilder(self.graph_store, make_extractor(self.settings), make_resolver_factory(self.settings))

    @cached_property
    def pipeline(self) -> IngestionPipeline:
        return IngestionPipeline(self.metadata, self.files, self.chunker, self.indexer,
                                 parse_context=self.parse_context, default_language=self.settings.asr_language,
                                 graph=self.graph_builder, max_chunks=self.settings.max_document_chunks,
                                 time_budget_s=self.settings.job_time_budget_minutes * 60,
                                 retention=self.retention)

    @cached_property
    def jobs(self) -> JobRunner | BrokerJobQueue:
        """Where uploads' jobs go: the broker's queues when ZHIKU_BROKER_URL is set (`zhiku worker` runs them),
        else threads of this process."""
        s = self.settings
        if s.broker_url:
            from zhiku.ingest.broker_jobs import BrokerJobQueue

            return BrokerJobQueue(s.broker_url, s.broker_namespace, self.metadata)
        return JobRunner(self.pipeline, workers=s.ingest_workers, lease_seconds=s.job_lease_seconds,
                         max_attempts=s.job_max_attempts, overlap_graph=s.graph_stage_overlap)

    def job_executor(self, lane: str) -> JobExecutor:
        """What a worker thread of `lane` runs jobs with (each thread its own: claims are per thread)."""
        s = self.settings
        return JobExecutor(self.pipeline, worker_name(lane, threading.get_ident()), s.job_lease_seconds,
                           s.job_max_attempts)

    def open_stores(self) -> None:
        """Connect to (or start) the metadata, vector and graph stores, failing early with what to fix.

        The graph store opens on a thread of its own beside the other two: starting the local graph server is a
        JVM's boot (3-4 s at load, ~1.2 s of its CPU), mostly waiting, and the metadata and vector stores took
        another second before it began (docs/benchmarks.md, session 25: `zhiku ingest`'s start-up)."""
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="graph-store-open") as pool:
            graph = pool.submit(self._open_graph_store)
            try:
                _ = self.metadata, self.vector_store
            finally:
                error = graph.exception()  # waits: a server being started is never left behind a failure here
            if error is not None:
                raise error

    def start(self) -> None:
        """Open the stores and resume interrupted jobs (once; later calls do nothing)."""
        if self._started:
            return
        self.open_stores()
        self.retention.purge()
        threading.Thread(target=self.warm_up, name="warm-up", daemon=True).start()
        self.jobs.start()
        self._started = True

    def warm_up(self) -> None:
        """Load what every job and search needs — the embedding model, jieba's dictionary, the rule extractor's
        part-of-speech tables, the injection detector's weights — so the first upload does not (docs/profiles:
        jieba's dictionary and jieba.posseg were 14% of the job thread's and 19% of the graph thread's CPU over
        80 one-chunk documents). start() runs it on a thread of its own; each part loads once per process."""
        from zhiku.guardrails.injection import detect_injection

        steps = [lambda: self.sparse.tokenize("预热"), lambda: self.embedder.inner.embed_passages(["预热"]),
                 lambda: detect_injection("预热文本，没有任何指令。")]
        if self.settings.graph_enabled:
            steps += [self._warm_rule_extractor, self._warm_graph_linker]
        for step in steps:
            try:
                step()
            except Exception:  # noqa: BLE001 - the first job loads it then, and reports what is wrong
                log.debug("warm-up step failed", exc_info=True)

    def _warm_rule_extractor(self) -> None:
        from zhiku.graph.extraction.rule_extractor import RuleExtractor

        builder = self.graph_builder
        if builder is not None and isinstance(builder.extractor, RuleExtractor):  # never an LLM call here
            builder.extractor.extract("招商银行深圳分行于2020年成立。", [])

    def _open_graph_store(self) -> GraphStore | None:
        """The graph store, and a local graph server this process launched warmed for writes: its write path
        rehearsed once (GraphStore.rehearse_writes, rolled back, nothing stored), so its fresh JVM does not interpret
        and compile that code inside the first jobs' graph stages (≈ 0.9 server CPU-s over the first 80 one-chunk
        documents, spent here instead, while the stores open and the model loads). A server found running, or a Neo4j
        server, is left as it is: it has run writes before. A failed rehearsal only leaves the server cold."""
        store = self.graph_store
        server = self.graph_connection.server if store is not None else None
        with self._warm_lock:  # open_stores may run twice (a caller's, then start()'s): rehearse once
            if server is None or not server.launched or self._graph_rehearsed:
                return store
            self._graph_rehearsed = True
        try:
            store.rehearse_writes()
        except Exception:  # noqa: BLE001 - a warm-up: the first write reports what is wrong
            log.debug("graph write rehearsal failed", exc_info=True)
        return store

    def _warm_graph_linker(self) -> None:
        """The graph expander and its linker's candidate extraction (no query to the graph server): the first
        graph-mode search built them inside its own time."""
        expander = self.graph_expander
        if expander is not None:
            expander.linker.candidates("招商银行深圳分行的担保人是谁？")

    def close(self) -> None:
        if "jobs" in self.__dict__:
            self.jobs.stop()
        if "_vector_store" in self.__dict__:
            self._vector_store.close()
        if "embedder" in self.__dict__:
            self.embedder.close()
        if "graph_connection" in self.__dict__:
            self.graph_connection.close()
        if self.__dict__.get("llm") is not None:
            self.llm.close()
        if self.__dict__.get("local_llm") is not None:
            self.local_llm.stop()
