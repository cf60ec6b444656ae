"""Does a sentence hold a value of the kind the question asks for, new to the question and next to its terms?

Why: on rgb_zh the sentence quoted first instead of the answering one was, in most misses (docs/benchmarks.md, issue
#13, seventh pass), a sentence that restates the question and adds no answer — "首趟RCEP班列的起点？" answered by
"这是RCEP生效后，我国首趟开往RCEP成员国的国际货运班列。" (no place), "《七人乐队》的导演是谁？" by "《七人乐队》是一部…短片集。"
(no person), "2023年世界科幻大会在哪举办" by "每年世界科幻大会的举办地将提前两年…投票决出。" — while the answering sentence
names what the question asks for (南宁, 洪金宝, 成都). The answer-kind features (answer_types.py) read figures, dates
and phones by pattern; a person, place or organisation asked by 谁 / 哪里 / 哪个 has no pattern, only a name the
question does not already hold. And a figure of the asked kind counts for more when it stands next to the
question's terms ("7436名本科生") than somewhere else in a long sentence.

The features, weighed by the fitted selector (retrieval/answer_selector.py, fitted on training data only):

- `name_asked_new`: the question asks for a name (who, where, which …) and the sentence holds a proper name
  (jieba's person / place / organisation / proper-noun tags, 《titles》, Latin or alphanumeric names in a Chinese
  sentence, capitalised words in an English one) that the question does not;
- `name_asked_none`: it asks for a name and the sentence holds none new;
- `asked_value_near_terms`: how close the nearest value of an asked kind (a figure of the asked kind, or a new name
  for a name question) stands to a question term in the sentence, 1 when adjacent, falling to 0 at 24 characters;
- `asked_value_near_pinned`: the same, measured only to what the question pins its answer to — its year, else its
  names, else its two rarest words (constraint_match.QuestionFacts). RGB's negatives tell the same story for another year
  or another person: a figure stands next to the question's common words there too, but not next to its year or
  its name; the altered-question training cases teach it;
- `asked_value_new` / `asked_value_none_new`: the question asks for a value of some kind (a name, or a figure of an
  asked kind) and the sentence holds one the question does not already hold — or holds none;
- `restates_without_value`: the sentence's coverage of the question's terms when it holds no new value of the asked
  kind (a headline, a news lead or a closing line that restates the question: "以上就是小米MIX4是什么处理器的全部内容"),
  0 otherwise: it should rank below the sentence that adds the value; `asked_value_with_terms`, the counterpart: the
  coverage of a sentence that holds a new value;
- `asked_value_absent_evidence` (one value for the whole evidence): the question asks for a value of some kind and no
  sentence of the evidence holds one new to it — the evidence tells the story without the answer, as RGB's negatives
  (same event, another edition) and the same article's other paragraphs do; `asked_value_cov_evidence`: the highest
  `asked_value_with_terms` of any sentence of the evidence (a new name somewhere in a long article is not an answer;
  one in a sentence about the question's subject may be).
"""
from __future__ import annotations

import re

from zhiku.retrieval.answer_types import value_spans

FEATURE_NAMES = ("name_asked_new", "name_asked_none", "asked_value_near_terms", "asked_value_near_pinned",
                 "asked_value_new", "asked_value_none_new", "restates_without_value", "asked_value_with_terms")
# Read over the whole evidence, not one sentence (answer_selector fills them in once every sentence is read): the
# question asks for a value of some kind and no sentence of the evidence holds one new to the question; and how much
# of the question the best such sentence covers (with its section label).
EVIDENCE_FEATURES = ("asked_value_absent_evidence", "asked_value_cov_evidence")

# Question words that ask for a person, place, organisation or other named thing. Not 哪年 / 哪一天 / 哪个月 (a date,
# answer_types' "date" kind) nor 哪些年. Read after the term normaliser, which writes 哪一个 as 哪1个.
_ASKS_NAME = re.compile(
    r"谁|哪里|哪儿|在哪(?![1一]?[年天日月])|何地|何处|何人|"
    r"哪[一1]?(?:个|位|家|支|国|座|所|部|种|条|只|款|项|本|名|队)(?!月|年|季度)|哪些(?!年)|"
    r"什么(?:人|地方|名字|公司|机构|单位|组织|国家|城市|地区)|叫什么|名字|名称|\bwho\b|\bwhom\b|\bwhere\b|\bwhich\b|"
    r"what is the name|\bnamed?\b")
_NAME_TAGS = ("nr", "ns", "nt", "nz", "nrt", "nrfg")
_TITLE = re.compile(r"《([^《》]{1,40})》")
_ALNUM_NAME = re.compile(r"[a-z][a-z0-9.+-]*\d[a-z0-9.+-]*|[a-z]{2,}")
_CAPITALISED = re.compile(r"(?<![\w])[A-Z][A-Za-z0-9.+-]+")
_STOP_LATIN = {"the", "of", "and", "for", "in", "on", "to", "is", "are", "a", "an", "at", "by", "with", "from", "or",
               "this", "that", "it", "as", "be", "was", "were", "will", "has", "have", "not", "no"}
NEAR_CHARS = 24


def asks_for_name(normalised_question: str) -> bool:
    return _ASKS_NAME.search(normalised_question) is not None


def sentence_names(normalised_sentence: str, sentence: str, latin: bool) -> tuple[str, ...]:
    """The proper names a sentence holds, normalised (lower case) as the question is: for an English sentence its
    capitalised words after the first; for a Chinese one jieba's proper-noun tags, 《titles》 and Latin or
    alphanumeric words (MIX4, bilibili)."""
    if latin:
        words = _CAPITALISED.findall(sentence)
        return tuple(dict.fromkeys(w.lower() for w in words[1:] if w.lower() not in _STOP_LATIN))
    from zhiku.retrieval.constraint_match import _posseg, _role_noun

    names = [m.group(1).strip() for m in _TITLE.finditer(normalised_sentence) if m.group(1).strip()]
    for word, tag in _posseg().cut(normalised_sentence):
        word = word.strip()
        if len(word) < 2 or word.isdigit():
            continue
        if word.isascii():
            if _ALNUM_NAME.fullmatch(word) and word not in _STOP_LATIN:
                names.append(word)
        elif tag in _NAME_TAGS and not _role_noun(word):
            names.append(word)
    return tuple(dict.fromkeys(names))


def occurrences(text: str, needles) -> list[tuple[int, int]]:
    """Every place each (non-empty) needle occurs in `text`, overlapping ones included, as (start, end)."""
    spans = []
    for needle in needles:
        if not needle:
            continue
        start = text.find(needle)
        while start >= 0:
            spans.append((start, start + len(needle)))
            start = text.find(needle, start + 1)
    return spans


def span_gap(a: tuple[int, int], b: tuple[int, int]) -> int:
    """Characters between two spans (0 when they touch or overlap)."""
    return max(0, max(a[0], b[0]) - min(a[1], b[1]))


def _term_spans(text: str, terms) -> list[tuple[int, int]]:
    return occurrences(text, [t for t in terms if len(t) >= 2 or t.isdigit()])


def asked_value_features(normalised_question: str, question_terms, asked_kinds: set[str], asks_name: bool,
                         normalised_sentence: str, names: tuple[str, ...], pinned=()) -> dict[str, float]:
    """The per-sentence features (see the module's docstring). `question_terms`: the question's content
    terms (normalised); `asked_kinds`: answer_types.question_kinds of the question; `names`: sentence_names."""
    new_names = [n for n in names if n not in normalised_question]
    out = {"name_asked_new": float(asks_name and bool(new_names)),
           "name_asked_none": float(asks_name and not new_names)}
    values: list[tuple[int, int]] = []
    figure_kinds = asked_kinds - {"name"}
    if figure_kinds:
        values += value_spans(normalised_sentence, figure_kinds)
    if asks_name:
        values += _term_spans(normalised_sentence, new_names)
    terms = _term_spans(normalised_sentence, [t for t in question_terms if t in normalised_sentence])
    # A value that is itself a question term (the year the question names) answers nothing.
    values = [v for v in values if not any(t[0] <= v[0] and v[1] <= t[1] for t in terms)]
    out["asked_value_near_terms"] = _nearness(values, terms)
    pins = _term_spans(normalised_sentence, [p for p in pinned if p and p in normalised_sentence])
    out["asked_value_near_pinned"] = _nearness([v for v in values if not any(t[0] <= v[0] and v[1] <= t[1]
                                                                             for t in pins)], pins)
    # A value of the asked kind the question does not already state: a new name for who / where / which, a figure
    # of the asked kind (amount, rate, date, duration, count, phone) whose text the question lacks ("2022年" in
    # "2022年的营收是多少" answers nothing; "631亿美元" does).
    asks = asks_name or bool(figure_kinds)
    figures = value_spans(normalised_sentence, figure_kinds) if figure_kinds else []
    new_figure = any(normalised_sentence[a:b].strip() and normalised_sentence[a:b].strip() not in normalised_question
                     for a, b in figures)
    new_value = new_figure or (asks_name and bool(new_names))
    out["asked_value_new"] = float(asks and new_value)
    out["asked_value_none_new"] = float(asks and not new_value)
    # A headline, lead or closing line: it repeats the question's words and holds no value of the asked kind (its
    # share of the question's terms when it adds none, else 0). Filled in by the selector, which knows the coverage.
    out["restates_without_value"] = 0.0
    out["asked_value_with_terms"] = 0.0
    return out


def _nearness(values: list[tuple[int, int]], anchors: list[tuple[int, int]]) -> float:
    if not values or not anchors:
        return 0.0
    gap = min(span_gap(v, t) for v in values for t in anchors)
    return max(0.0, 1.0 - gap / NEAR_CHARS)
