"""Scoring and normalisation of `zhiku eval asr`, and the helpers of `zhiku eval media-speed`, on small cases."""
import json
import time

import numpy as np
import pytest

from zhiku.evaluation.asr_eval import (
    AsrReport,
    ClipResult,
    chinese_numerals,
    english_tokens,
    format_report,
    load_clips,
    normalize_chinese,
    score_clip,
)
from zhiku.evaluation.media_benchmark import RssSampler, current_rss_mb, first_page_images, window_bound_mb


@pytest.mark.parametrize(("text", "expected"), [
    ("0", "零"),
    ("7", "七"),
    ("10", "十"),
    ("15", "十五"),
    ("20", "二十"),
    ("25个", "二十五个"),
    ("105", "一百零五"),
    ("110", "一百一十"),
    ("1005", "一千零五"),
    ("2300", "二千三百"),
    ("2024年", "二零二四年"),  # years are read digit by digit
    ("电话13800138000", "电话一三八零零一三八零零零"),  # long runs too
    ("007", "零零七"),
])
def test_chinese_numerals(text, expected):
    assert chinese_numerals(text) == expected


def test_normalize_chinese_drops_punctuation_space_and_width():
    assert normalize_chinese("欢迎， 大家！「体验」ＡＰＰ 3 次。") == "欢迎大家体验app三次"


def test_chinese_cer_ignores_punctuation_and_number_form():
    score = score_clip("欢迎大家来体验达摩院推出的语音识别模型。", "欢迎大家来体验达摩院推出的语音识别模型", "zh")
    assert score.metric == "cer" and score.error == 0.0
    score = score_clip("我有3个苹果", "我有三个苹果", "zh")
    assert score.error == 0.0
    assert score.error_before_normalisation == pytest.approx(1 / 6)


def test_chinese_cer_counts_real_errors():
    # 运营 for 语音: two substitutions in 19 characters; the full stop is not counted.
    score = score_clip("欢迎大家来体验达摩院推出的运营识别模型。", "欢迎大家来体验达摩院推出的语音识别模型", "zh")
    assert score.edits == 2 and score.reference_length == 19
    assert score.error == pytest.approx(2 / 19)


def test_english_wer_after_and_before_number_normalisation():
    score = score_clip("Go forward 10 meters.", "go forward ten meters", "en")
    assert score.metric == "wer"
    assert score.error == 0.0
    assert score.error_before_normalisation == pytest.approx(0.25)
    score = score_clip("10 of clothes", "ten of clubs", "en")
    assert score.error == pytest.approx(1 / 3)
    assert score.error_before_normalisation == pytest.approx(2 / 3)


def test_english_tokens():
    assert english_tokens("Eight of spades, four of clubs.") == ["8", "of", "spades", "4", "of", "clubs"]
    assert english_tokens("Eight of spades", numbers_as_digits=False) == ["eight", "of", "spades"]


def test_empty_hypothesis_is_all_deletions():
    assert score_clip("", "seven of clubs", "en").error == 1.0
    assert score_clip("", "语音识别", "zh").error == 1.0


def _clip(clip_id, lang, edits, length, audio_s, processing_s):
    from zhiku.evaluation.asr_eval import ClipScore

    return ClipResult(clip_id, lang, "gold", lang, "ref", "hyp", ClipScore("wer" if lang == "en" else "cer", edits,
                                                                         length, edits, length),
                      audio_s, processing_s)


def test_report_pools_errors_and_computes_rtf():
    report = AsrReport("asr", "dev", "manifest", "fake", 1.5, [
        _clip("a", "en", 1, 2, 2.0, 1.0),   # 50 % on a two-word clip
        _clip("b", "en", 0, 8, 6.0, 1.0),   # 0 % on an eight-word clip
        _clip("c", "zh", 1, 10, 4.0, 2.0),
    ])
    summary = report.summary()
    assert summary["languages"]["en"]["error"] == pytest.approx(1 / 10)  # pooled, not the mean of 0.5 and 0
    assert summary["languages"]["en"]["mean_clip_error"] == pytest.approx(0.25)
    assert summary["languages"]["zh"]["real_time_factor"] == pytest.approx(0.5)
    assert summary["real_time_factor"] == pytest.approx(4 / 12)
    assert summary["model_load_s"] == 1.5
    assert json.loads(report.to_json())["clips"][0]["error"] == pytest.approx(0.5)
    assert "RTF" in format_report(report)


def test_load_clips_filters_split_and_reads_reference_kind(tmp_path):
    rows = [{"_id": "a", "audio": "audio/a.wav", "lang": "en", "text": "go", "reference": "gold (human)",
             "duration_s": 1.0, "split": "dev"},
            {"_id": "b", "audio": "audio/b.wav", "lang": "zh", "text": "好", "reference": "silver (model output)",
             "duration_s": 2.0, "split": "dev"},
            {"_id": "c", "audio": "audio/c.wav", "lang": "en", "text": "x", "reference": "gold", "split": "test"}]
    (tmp_path / "manifest.jsonl").write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    clips = load_clips(tmp_path, "dev")
    assert [clip.clip_id for clip in clips] == ["a", "b"]
    assert [clip.reference_kind for clip in clips] == ["gold", "silver"]
    assert clips[0].audio == tmp_path / "audio" / "a.wav"


def test_window_bound():
    assert window_bound_mb(600) == pytest.approx(38.4)


def test_rss_sampler_sees_a_temporary_allocation():
    with RssSampler(interval_s=0.01) as sampler:
        before = current_rss_mb()
        block = np.ones(64 * 1024 * 1024 // 8)  # 64 MB, touched so it is resident
        seen = sampler.samples
        deadline = time.monotonic() + 5
        while sampler.samples < seen + 2 and time.monotonic() < deadline:  # a busy machine may delay the thread
            time.sleep(0.02)
        del block
    assert sampler.peak_mb >= before + 50


def test_first_page_images_keeps_manifest_order(tmp_path):
    rows = [{"_id": str(i), "image": f"images/{i}.png", "split": "dev" if i % 2 else "test"} for i in range(5)]
    (tmp_path / "manifest.jsonl").write_text("\n".join(json.dumps(row) for row in rows), encoding="utf-8")
    assert [path.name for path in first_page_images(tmp_path, 3)] == ["0.png", "1.png", "2.png"]
