"""Scans, photos, recordings and videos end to end: real OCR (RapidOCR), speech-to-text (Whisper base via
faster-whisper), ffmpeg, the embedding model and the Qdrant engine. Fixtures are made by the tests.

These run on SQLite only: the metadata store's two backends are covered by test_api and test_metadata_store,
and each model run here costs seconds."""
from __future__ import annotations

import struct
import wave
import zlib

import pytest

from tests.credentials import admin_headers
from zhiku.core.settings import Settings
from zhiku.index.vector_store import ChunkFilter
from tests.conftest import make_runtime, wait_for_job
from tests.documents import encrypted_pdf
from tests.media import (
    image_bytes,
    require_media_tools,
    scanned_page,
    scanned_pdf,
    silence_then,
    slide_video,
    speech_wav,
)

NOTICE = ["关于调整个人住房贷款利率的通知", "自2026年12月1日起，首套住房贷款利率下调0.25个百分点。",
          "请各分行于11月30日前完成系统参数调整。"]
SPEECH = "Good morning. Today's meeting is about the loan approval process. Loan approval takes three working days."


@pytest.fixture(scope="module", autouse=True)
def _tools():
    require_media_tools()


@pytest.fixture
def media_runtime(tmp_path, shared_embedder, shared_ocr_reader, shared_transcriber):
    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'meta.sqlite3'}",
                        chunk_size=200, chunk_overlap=40, parent_chunk_size=800, asr_window_seconds=60,
                        video_frame_interval_seconds=2.0, _env_file=None)
    rt = make_runtime(settings, shared_embedder, shared_ocr_reader, shared_transcriber)
    yield rt
    rt.close()


@pytest.fixture
def media_client(media_runtime):
    from fastapi.testclient import TestClient

    from zhiku.api.app import create_app

    with TestClient(create_app(media_runtime.settings, media_runtime), headers=admin_headers(media_runtime.settings)) as client:
        yield client


def _kb(client, name="media") -> str:
    response = client.post("/knowledge-bases", json={"name": name, "language": "zh"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _ingest(client, kb_id, name, data, language=None) -> tuple[dict, dict]:
    form = {"language": language} if language else None
    response = client.post(f"/knowledge-bases/{kb_id}/documents", files=[("files", (name, data))], data=form)
    assert response.status_code == 202, response.text
    item = response.json()["items"][0]
    return item, wait_for_job(client, item["job_id"], timeout=240)


def _search(client, query, **extra) -> list[dict]:
    response = client.post("/search", json={"query": query, **extra})
    assert response.status_code == 200, response.text
    return response.json()["hits"]


def _inside(box, outer, slack=0.0) -> bool:
    return (box[0] >= outer[0] - slack and box[1] >= outer[1] - slack
            and box[2] <= outer[2] + slack and box[3] <= outer[3] + slack)


def test_scanned_notice_photo_is_found_with_page_and_box(media_client):
    kb_id = _kb(media_client)
    page = scanned_page(NOTICE, angle=1.2)
    item, job = _ingest(media_client, kb_id, "利率通知.jpg", image_bytes(page, "JPEG", quality=80))
    assert job["status"] == "done", job

    hits = _search(media_client, "首套住房贷款利率下调多少？", top_k=3)
    top = hits[0]
    assert "0.25" in top["text"] and "首套住房贷款利率下调" in top["text"]
    citation = top["citation"]
    assert citation["document_name"] == "利率通知.jpg" and citation["page"] == 1
    # The text was drawn from x=120, y=160 over three lines 72 px apart (then rotated 1.2°): the box must
    # cover that band and stay on the page.
    x0, y0, x1, y1 = citation["bbox"]
    assert 60 <= x0 <= 160 and 100 <= y0 <= 240 and 500 < x1 <= 1240 and 250 < y1 <= 500, citation["bbox"]
    assert "p.1" in citation["label"]


def test_scanned_and_mixed_pdf_ocr_only_the_pages_without_text(media_client, media_runtime):
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas
    import io

    kb_id = _kb(media_client)
    scan_only = scanned_pdf([scanned_page(NOTICE)], dpi=150)
    item, job = _ingest(media_client, kb_id, "扫描件.pdf", scan_only)
    assert job["status"] == "done", job
    top = _search(media_client, "系统参数调整的截止日期", document_ids=[item["document"]["id"]], top_k=1)[0]
    assert "11月30日" in top["text"] and top["citation"]["page"] == 1
    # 150 dpi scan: boxes come back in PDF points (pixels × 72/150), inside the A4-sized page.
    x0, y0, x1, y1 = top["citation"]["bbox"]
    assert 0 <= x0 < x1 <= 1240 * 72 / 150 + 1 and 0 <= y0 < y1 <= 1754 * 72 / 150 + 1

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setFont("Helvetica", 12)
    pdf.drawString(72, 760, "Branch operations handbook. Cash counters open at nine in the morning.")
    pdf.showPage()
    pdf.drawImage(ImageReader(scanned_page(["第二页为扫描页：外币兑换须登记客户身份证件。"])), 0, 0, *A4)
    pdf.showPage()
    pdf.save()
    item, job = _ingest(media_client, kb_id, "mixed.pdf", buffer.getvalue())
    assert job["status"] == "done", job
    document_id = item["document"]["id"]
    hits = _search(media_client, "外币兑换 身份证件 cash counters", document_ids=[document_id], top_k=5)
    text_layer = next(h for h in hits if "Cash counters open at nine" in h["text"])  # verbatim text layer
    assert text_layer["citation"]["page"] == 1
    scanned = next(h for h in hits if "外币兑换须登记客户身份证件" in h["text"])  # OCR of the scanned page
    assert 2 in (scanned["citation"]["page"], scanned["citation"]["page_end"])
    assert media_runtime.metadata.get_document(document_id).page_count == 2


def test_multi_page_tiff_numbers_its_pages(media_client):
    kb_id = _kb(media_client)
    pages = [scanned_page(["第一页：开户须知。"], noise=False), scanned_page(["第二页：销户须本人办理。"], noise=False)]
    _, job = _ingest(media_client, kb_id, "须知.tiff", image_bytes(pages[0], "TIFF", save_all=True,
                                                                   append_images=pages[1:], compression="tiff_lzw"))
    assert job["status"] == "done", job
    top = _search(media_client, "销户须本人办理", top_k=1)[0]
    assert "销户" in top["text"] and top["citation"]["page"] == 2


def test_meeting_recording_is_found_with_its_time_range(media_client, tmp_path):
    kb_id = _kb(media_client)
    clip = silence_then(tmp_path / "meeting.mp3", speech_wav(tmp_path / "speech.wav", SPEECH), silence_s=4.0)
    item, job = _ingest(media_client, kb_id, "周会录音.mp3", clip.read_bytes(), language="en")
    assert job["status"] == "done", job
    assert item["document"]["language"] == "en"

    top = _search(media_client, "How long does loan approval take?", top_k=1)[0]
    # Synthetic speech: Whisper base hears "approval" and "working days" reliably, not always "loan".
    assert "approval" in top["text"].lower() and "working days" in top["text"].lower()
    citation = top["citation"]
    assert citation["page"] is None and citation["bbox"] is None
    # Speech starts after 4 s of silence and the clip is about 11 s long.
    assert 3.0 <= citation["start_s"] < citation["end_s"] <= 13.0, citation
    assert "00:0" in citation["label"]


def test_video_speech_and_on_screen_text_carry_time_ranges(media_client, tmp_path):
    kb_id = _kb(media_client)
    slide = scanned_page(["第三季度信贷投放计划", "小微企业贷款新增目标：120亿元"], size=(960, 540), font_px=36,
                         angle=0, noise=False)
    speech = speech_wav(tmp_path / "narration.wav", "The third quarter plan focuses on small business lending.")
    video = slide_video(tmp_path / "training.mp4", slide, seconds=6, audio=speech)
    _, job = _ingest(media_client, kb_id, "培训视频.mp4", video.read_bytes(), language="en")
    assert job["status"] == "done", job

    screen = _search(media_client, "小微企业贷款新增目标是多少？", top_k=3)
    on_screen = next(h for h in screen if "120亿元" in h["text"])
    citation = on_screen["citation"]
    assert citation["heading_path"] == ["画面文字 On-screen text"]
    assert citation["start_s"] == 0.0 and 0 < citation["end_s"] <= 10.0
    assert on_screen["text"].count("120亿元") == 1  # seen in several frames, indexed once
    spoken = next(h for h in _search(media_client, "small business lending plan", top_k=3)
                  if "small business" in h["text"].lower())
    assert spoken["citation"]["start_s"] is not None and spoken["citation"]["end_s"] <= 7.0


def _bomb_png(width: int, height: int) -> bytes:
    """A PNG whose header claims width × height pixels; decoding it would need gigabytes."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 4)  # a few rows of data; the header is what matters
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def _empty_wav() -> bytes:
    import io

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"")
    return buffer.getvalue()


def test_bad_media_fails_readably_indexes_nothing_and_the_worker_goes_on(media_client, media_runtime, tmp_path):
    kb_id = _kb(media_client)
    good_png = image_bytes(scanned_page(["柜台营业时间为上午九点至下午五点。"], noise=False))
    silent_video = tmp_path / "blank.mp4"
    import subprocess

    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=navy:s=320x240:d=2",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", str(silent_video)], check=True)
    cases = {
        "truncated.png": (good_png[: len(good_png) // 3], ("damaged", "decoded", "not an image")),
        "bomb.png": (_bomb_png(50_000, 50_000), ("50000 × 50000", "zhiku_max_image_megapixels")),
        "notes.mp3": ("这其实是一段文字，不是音频。".encode() * 20, ("not an audio or video file",)),
        "empty.wav": (_empty_wav(), ("no audio", "zero length")),
        "blank.mp4": (silent_video.read_bytes(), ("no audio track",)),
        "locked.pdf": (encrypted_pdf(), ("password",)),
    }
    for name, (data, reasons) in cases.items():
        item, job = _ingest(media_client, kb_id, name, data)
        assert job["status"] == "failed", (name, job)
        assert any(reason in job["error"].lower() for reason in reasons), (name, job["error"])
        assert media_runtime.vector_store.count(ChunkFilter(document_ids=[item["document"]["id"]])) == 0, name

    _, job = _ingest(media_client, kb_id, "营业时间.png", good_png)
    assert job["status"] == "done", job
    assert "上午九点" in _search(media_client, "柜台几点开门", top_k=1)[0]["text"]


def test_progress_is_reported_in_pages_and_seconds(shared_ocr_reader, shared_transcriber, tmp_path):
    from zhiku.ingest.parse_context import MediaOptions, ParseContext
    from zhiku.ingest.parsing import parse_document

    reports: list[tuple[str, float, str]] = []
    context = ParseContext(ocr=lambda: shared_ocr_reader, transcriber=lambda: shared_transcriber,
                           options=MediaOptions(asr_window_seconds=5), language="en",
                           progress=lambda *report: reports.append(report))
    pages = [scanned_page([f"第{n}页内容。"], noise=False) for n in (1, 2)]
    parse_document(scanned_pdf(pages), "two-pages.pdf", context)
    assert [r[2] for r in reports if r[0] == "ocr"] == ["OCR 0/2 scanned pages", "OCR 1/2 scanned pages",
                                                        "OCR 2/2 scanned pages"]

    reports.clear()
    clip = silence_then(tmp_path / "clip.wav", speech_wav(tmp_path / "s.wav", SPEECH), silence_s=3.0)
    _, document = parse_document(clip.read_bytes(), "clip.wav", context)
    transcribing = [r for r in reports if r[0] == "transcribing"]
    assert len(transcribing) >= 2  # a 5 s window: several windows, each reported
    assert [r[1] for r in transcribing] == sorted(r[1] for r in transcribing) and transcribing[-1][1] == pytest.approx(1.0, abs=0.01)
    assert transcribing[-1][2].startswith("transcribed ") and transcribing[-1][2].endswith(" s")
    assert all(b.start_s is not None and b.end_s >= b.start_s for b in document.blocks)
    assert "approval process" in " ".join(b.text for b in document.blocks).lower()


def test_a_cited_answer_from_a_recording_carries_its_sentences_time_range(media_client, tmp_path):
    """The chunk spans the whole clip; the answer's citation spans only the sentences it quotes."""
    kb_id = _kb(media_client, "meetings")
    clip = silence_then(tmp_path / "meeting.mp3", speech_wav(tmp_path / "speech.wav", SPEECH), silence_s=4.0)
    _, job = _ingest(media_client, kb_id, "周会录音.mp3", clip.read_bytes(), language="en")
    assert job["status"] == "done", job
    top = _search(media_client, "How long does loan approval take?", top_k=1)[0]
    chunk = {**top["citation"], "text": top["text"]}
    reply = media_client.post("/ask", json={"question": "How many working days does approval take?",
                                            "mode": "extractive"})
    assert reply.status_code == 200, reply.text
    answer = reply.json()
    assert "working days" in answer["answer"].lower(), (answer, chunk)
    cited = answer["citations"][0]["citation"]
    assert chunk["start_s"] <= cited["start_s"] < cited["end_s"] <= chunk["end_s"], (chunk, cited)
    assert cited["end_s"] - cited["start_s"] < chunk["end_s"] - chunk["start_s"], (chunk, cited)
    assert cited["label"].startswith("周会录音.mp3 · 00:")


def test_spoken_language_codes_are_checked_and_the_hint_fits_what_was_set(media_client, tmp_path):
    import subprocess

    assert media_client.post("/knowledge-bases", json={"name": "bad", "language": "klingon"}).status_code == 422
    kb_id = _kb(media_client, "languages")
    refused = media_client.post(f"/knowledge-bases/{kb_id}/documents", files=[("files", ("a.mp3", b"x" * 64))],
                                data={"language": "xx"})
    assert refused.status_code == 422 and "zh-en" in refused.text
    silence = tmp_path / "silence.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "3",
                    str(silence)], check=True)
    item, forced = _ingest(media_client, kb_id, "静音.mp3", silence.read_bytes(), language="zh-en")
    assert item["document"]["language"] == "zh"  # code-switched Chinese-English is transcribed in Chinese mode
    assert forced["status"] == "failed" and "set to (zh)" in forced["error"]
    assert "set the spoken language" not in forced["error"]
    plain = media_client.post("/knowledge-bases", json={"name": "no-language"}).json()["id"]  # nothing set anywhere
    _, detected = _ingest(media_client, plain, "静音.mp3", silence.read_bytes())
    assert detected["status"] == "failed" and "set the spoken language" in detected["error"], detected


def test_settings_refuse_an_unknown_spoken_language():
    from pydantic import ValidationError

    assert Settings(asr_language="zh-CN", _env_file=None).asr_language == "zh"
    assert Settings(asr_language="zh-en", _env_file=None).asr_language == "zh"
    with pytest.raises(ValidationError, match="asr_language"):
        Settings(asr_language="klingon", _env_file=None)


def test_an_llm_answers_citation_of_a_recording_carries_its_supporting_sentences_time_range(media_client, media_runtime,
                                                                                             tmp_path):
    """LLM mode: after the answer is written, each cited passage of a recording narrows to the transcript sentences
    that support the answer sentences citing it (the step GroundedAnswerer.stream runs before its final event),
    driven here with a fixed answer over a recording transcribed by the real speech model."""
    from zhiku.answer.grounded_answerer import AnswerSentenceOut, narrow_citations
    from zhiku.api.knowledge_service import KnowledgeService

    kb_id = _kb(media_client, "meetings-llm")
    clip = silence_then(tmp_path / "meeting.mp3", speech_wav(tmp_path / "speech.wav", SPEECH), silence_s=4.0)
    _, job = _ingest(media_client, kb_id, "周会录音.mp3", clip.read_bytes(), language="en")
    assert job["status"] == "done", job
    service = KnowledgeService(media_runtime)
    hit = next(h for h in service.search("How long does loan approval take?", [kb_id], 3)
               if "working days" in h.text.lower())
    chunk = hit.citation
    # The chunk holds more than the answering sentence (Whisper's segments: the greeting, the topic, the answer).
    assert "morning" in hit.text.lower() or "meeting" in hit.text.lower(), hit.text
    assert len(hit.payload["time_spans"]) >= 2, hit.payload["time_spans"]

    answer = [AnswerSentenceOut("Loan approval takes three working days.", [1])]
    [cited] = narrow_citations(answer, [hit], media_runtime.grounding_checker)
    narrowed = cited.citation
    assert chunk.start_s <= narrowed.start_s < narrowed.end_s <= chunk.end_s, (chunk, narrowed)
    assert narrowed.end_s - narrowed.start_s < chunk.end_s - chunk.start_s, (chunk, narrowed)  # not the whole chunk
    # The character span is the supporting sentence's, inside the chunk's.
    assert chunk.char_start <= narrowed.char_start < narrowed.char_end <= chunk.char_end
    quoted = hit.text[narrowed.char_start - chunk.char_start:narrowed.char_end - chunk.char_start].lower()
    assert "working days" in quoted and "morning" not in quoted, quoted
    # The time range is that of the segment holding the sentence.
    at = hit.text.lower().find("working days")
    segment = next(span for span in hit.payload["time_spans"] if span[0] <= at < span[1])
    assert (narrowed.start_s, narrowed.end_s) == (segment[2], segment[3])
    assert narrowed.label() != chunk.label()

    # A claim the passage does not hold by itself (the model read it in the wider section) keeps the whole range.
    [unplaced] = narrow_citations([AnswerSentenceOut("The branch opens at nine on Saturdays.", [1])], [hit],
                                  media_runtime.grounding_checker)
    assert (unplaced.citation.start_s, unplaced.citation.end_s) == (chunk.start_s, chunk.end_s)
