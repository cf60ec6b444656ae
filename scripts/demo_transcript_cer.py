"""The demo site-visit recording's transcript against its script: CER (evaluation/asr_eval.score_clip, Chinese
normalisation) and the longest run of one repeated character (the "工厂厂厂厂厂" loop of issue #15).

    .venv/bin/python scripts/demo_transcript_cer.py            # language forced to zh, as the demo uploads it
    .venv/bin/python scripts/demo_transcript_cer.py --detect   # language detected
"""
from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

from zhiku.core.settings import Settings
from zhiku.evaluation.asr_eval import score_clip
from zhiku.ingest.media.media_probe import probe_media
from zhiku.ingest.parse_context import ParseContext
from zhiku.ingest.speech.factory import make_transcriber
from zhiku.ingest.speech.recording_transcript import transcribe_recording

ROOT = Path(__file__).resolve().parents[1]
COMPANY = json.loads((ROOT / "demo" / "credit_company.json").read_text(encoding="utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--detect", action="store_true", help="detect the language instead of forcing zh")
    args = parser.parse_args()
    recording = next((ROOT / "demo" / "bank_kb").glob("*实地走访录音.mp3"))
    script = COMPANY["site_visit"]["script"]
    settings = Settings(_env_file=None)
    transcriber = make_transcriber(settings)
    context = ParseContext(transcriber=lambda: transcriber, language=None if args.detect else "zh")
    duration = probe_media(recording, recording.name).duration_s
    started = time.perf_counter()
    language, blocks = transcribe_recording(recording, recording.name, duration, context)
    seconds = time.perf_counter() - started
    transcript = "".join(block.text for block in blocks)
    score = score_clip(transcript, script, "zh")
    longest_run = max((len(list(group)) for _, group in itertools.groupby(transcript)), default=0)
    print(json.dumps({"recording": recording.name, "duration_s": round(duration, 1), "language": language,
                      "cer": round(score.error, 4), "edits": score.edits, "reference_chars": score.reference_length,
                      "longest_repeated_char_run": longest_run, "transcribe_s": round(seconds, 1),
                      "blocks": [[b.start_s, b.end_s, b.text] for b in blocks]}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
