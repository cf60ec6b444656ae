"""The search's hot paths rewritten after the profile (docs/profiles/README.md) give exactly what the
character loops they replace gave: script counting, the passage's bigrams, the longest verbatim stretch."""
import random
from difflib import SequenceMatcher

from zhiku.retrieval.feature_reranker import _phrase
from zhiku.retrieval.passage_view import bigrams, read_passage
from zhiku.retrieval.script import majority_script
from zhiku.index.sparse_encoder import JiebaBm25Encoder


def _script_by_loop(text: str) -> str:
    cjk = latin = other = 0
    for ch in text:
        if "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff":
            cjk += 1
        elif ch.isascii() and ch.isalpha() or "\u00c0" <= ch <= "\u024f":
            latin += 1
        elif ch.isalpha():
            other += 1
    if not (cjk or latin or other):
        return "other"
    return max((cjk, "cjk"), (latin, "latin"), (other, "other"))[1]


def _fold(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def _phrase_by_difflib(query: str, text: str) -> float:
    q, p = _fold(query), _fold(text)
    if not q or not p:
        return 0.0
    return SequenceMatcher(None, q, p, autojunk=False).find_longest_match(0, len(q), 0, len(p)).size / len(q)


def _bigrams_by_loop(text: str) -> set[str]:
    chars = [c for c in text.lower() if c.isalnum()]
    return {a + b for a, b in zip(chars, chars[1:])}


TOKENIZER = JiebaBm25Encoder()
PIECES = ["abcXYZ é ü ß", "中文汉字测试，。、", "Привет мир", "١٢٣ عربى", "0123 !?_", "ｆｕｌｌ　ｗｉｄｔｈ", "ㄅㄆ가나다",
          "\u00d7\u00f7\u0250\u024f\u3400\u9fff\uf900\ufaff\u4dc0", "①²½Ⅻ〇İ"]


def test_script_counting_bigrams_and_phrase_match_the_character_loops():
    rng = random.Random(7)
    for _ in range(20000):
        text = "".join(rng.choice(rng.choice(PIECES)) for _ in range(rng.randint(0, 40)))
        query = "".join(rng.choice(rng.choice(PIECES)) for _ in range(rng.randint(0, 10)))
        assert majority_script(text) == _script_by_loop(text), text
        assert bigrams(text) == _bigrams_by_loop(text), text
        assert _phrase(query, text) == _phrase_by_difflib(query, text), (query, text)
        view = read_passage(TOKENIZER, text)
        assert view.shared_bigrams(bigrams(query)) == len(bigrams(query) & _bigrams_by_loop(text))
        assert view.bigrams == _bigrams_by_loop(text)
    assert _phrase("首趟RCEP班列的起点", "首趟RCEP班列从南宁出发") == 8 / 11  # 首趟rcep班列 of 11


def test_a_views_value_kinds_are_found_when_asked_for():
    view = read_passage(TOKENIZER, "2023年个人住房贷款利率为3.95%。")
    assert view._kinds is None
    assert view.kinds and view._kinds is view.kinds
