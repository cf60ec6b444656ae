"""Does a sentence (and its passage) hold what the question pins its answer to: its year, date, numbers and names?

RGB's negative passages are the same story told about another year, another person or another figure: "2022年
特斯拉交付量" against a passage on 2021's deliveries, "冬奥会开幕式总导演" against one on the closing ceremony. They
share most of the question's words, so term coverage cannot tell them apart; what differs is the one constraint the
question puts on its answer. This reads those constraints from the (normalised) question —

- years (1990, 2022; "2022年"), month-day dates ("8月15日"), other numbers (digits after the normaliser, so
  "第三届" is 3),
- names: jieba's part-of-speech tags for people, places, organisations and other proper nouns (nr, ns, nt, nz),
  Latin words and 《titles》, the words jieba does not know (not in its IDF table: names of products, events),
- the question's rarest terms by IDF (the subject the question is about) —

and measures, for a sentence read with its section label and for the whole passage, whether each is present, and
whether the sentence names another value of the same kind instead (another year). The features are weighed by the
answer selector's fitted model (retrieval/answer_selector.py), trained on reading-comprehension data where such
questions occur, with unanswerable pairs made by altering exactly these constraints (evaluation/answer_selector_fit.py).
Nothing here is specific to a corpus or a language beyond jieba's tags.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_YEAR = re.compile(r"(?<![\d.])((?:1[89]|20)\d\d)(?![\d.])")
_DATE = re.compile(r"(?<![\d.])(\d{1,2})月(\d{1,2})[日号]")
_NUMBER = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(?![\d.])")
_LATIN = re.compile(r"[a-z][a-z0-9.+-]{1,}")
_TITLE = re.compile(r"《([^《》]{1,40})》")
# jieba part-of-speech tags that name something: person, place, organisation, other proper noun (and jieba's
# variants of them); "eng" is a Latin word.
_NAME_TAGS = ("nr", "ns", "nt", "nz", "nrt", "nrfg")
_STOP_LATIN = {"the", "of", "and", "for", "in", "on", "to", "is", "are", "what", "which", "who", "how", "when", "a",
               "an", "does", "do", "did", "was", "were", "can", "much", "many"}

FEATURE_NAMES = (
    "year_in_sentence", "year_conflict_sentence", "year_missing_passage",
    "date_in_sentence", "date_missing_passage",
    "number_cov_sentence", "number_missing_passage",
    "entity_cov_sentence", "entity_cov_passage", "entity_missing_passage",
    "rare_cov_sentence", "rare_cov_passage",
)


@dataclass(frozen=True, slots=True)
class QuestionFacts:
    years: frozenset
    dates: frozenset          # (month, day) as "8-15"
    numbers: frozenset        # other numbers, as written after normalising
    entities: tuple           # names, normalised
    rare: tuple               # (term, weight): the question's rarest terms

    @property
    def has_any(self) -> bool:
        return bool(self.years or self.dates or self.numbers or self.entities)


@lru_cache(maxsize=1)
def _posseg():
    import jieba.posseg

    return jieba.posseg


def question_entities(normalised_question: str, known_words: dict | None = None,
                      question: str | None = None) -> tuple[str, ...]:
    """The names in a (normalised) question: jieba's proper-noun tags, 《titles》, nouns of two or more characters
    that jieba's IDF table does not hold (new names: products, events), and Latin words in a Chinese question. An
    English question (`question`, as written, mostly Latin words) names things with capitals: its capitalised
    words after the first."""
    names: list[str] = [m.group(1).strip() for m in _TITLE.finditer(normalised_question) if m.group(1).strip()]
    plain = _TITLE.sub(" ", normalised_question)
    english = question is not None and _latin_words(question)
    if english:
        words = re.findall(r"[A-Za-z][A-Za-z0-9.+-]+", question)
        names += [w.lower() for w in words[1:] if w[0].isupper() and w.lower() not in _STOP_LATIN]
    for word, tag in _posseg().cut(plain):
        word = word.strip()
        if len(word) < 2 or word.isdigit():
            continue
        if word.isascii():
            if not english and _LATIN.fullmatch(word) and word not in _STOP_LATIN:
                names.append(word)
            continue
        if tag in _NAME_TAGS and _role_noun(word):
            continue
        if tag in _NAME_TAGS or (known_words is not None and tag[:1] in ("n", "j") and word not in known_words
                                 and _is_cjk(word)):
            names.append(word)
    return tuple(dict.fromkeys(names))


def _latin_words(text: str) -> bool:
    """An English question (by words, as retrieval counts them: "El Torito由谁主导设计？" is Chinese)."""
    from zhiku.retrieval.script import majority_script_by_words

    return majority_script_by_words(text) == "latin"


def _role_noun(word: str) -> bool:
    """jieba tags some role nouns as person names (申请人 'nr', while 借款人 is 'n'): a word ending in 人 whose stem is
    itself a dictionary word (申请, 持卡, 代理) names a role, not a person (周树人: 周树 is no word)."""
    if not word.endswith("人") or len(word) < 3:
        return False
    import jieba

    return jieba.dt.FREQ.get(word[:-1], 0) > 0


def _is_cjk(word: str) -> bool:
    return all("\u3400" <= c <= "\u9fff" for c in word)


def question_facts(normalised_question: str, q_terms: dict[str, float], known_words: dict | None = None,
                   rare_terms: int = 2, question: str | None = None) -> QuestionFacts:
    years = frozenset(_YEAR.findall(normalised_question))
    dates = frozenset(f"{int(m)}-{int(d)}" for m, d in _DATE.findall(normalised_question))
    date_parts = {p for md in dates for p in md.split("-")}
    numbers = frozenset(n for n in _NUMBER.findall(normalised_question) if n not in years and n not in date_parts)
    rare = tuple(sorted(q_terms.items(), key=lambda kv: -kv[1])[:rare_terms])
    return QuestionFacts(years, dates, numbers, question_entities(normalised_question, known_words, question), rare)


@dataclass(frozen=True, slots=True)
class TextFacts:
    """What a text holds of the kinds the constraints compare (computed once per sentence or passage)."""
    years: frozenset
    dates: frozenset
    numbers: frozenset


def text_facts(normalised_text: str) -> TextFacts:
    return TextFacts(frozenset(_YEAR.findall(normalised_text)),
                     frozenset(f"{int(m)}-{int(d)}" for m, d in _DATE.findall(normalised_text)),
                     frozenset(_NUMBER.findall(normalised_text)))


def _share(items, present) -> float:
    items = list(items)
    return sum(1 for i in items if present(i)) / len(items) if items else 1.0


def match_features(q: QuestionFacts, sentence_text: str, sentence: TextFacts, passage_text: str,
                   passage: TextFacts, sentence_terms: frozenset, passage_terms: frozenset) -> dict[str, float]:
    """The constraint-match features of one sentence (read with its section label) in its passage. A question
    without a constraint of some kind gives the neutral value for it (present, nothing conflicting)."""
    out: dict[str, float] = {}
    if q.years:
        out["year_in_sentence"] = float(bool(q.years & sentence.years))
        out["year_conflict_sentence"] = float(bool(sentence.years) and not q.years & sentence.years)
        # Another year, not no year: a policy states its rule without the year a user puts in the question.
        out["year_missing_passage"] = float(bool(passage.years) and not q.years & passage.years)
    else:
        out["year_in_sentence"] = out["year_conflict_sentence"] = out["year_missing_passage"] = 0.0
    if q.dates:
        out["date_in_sentence"] = float(bool(q.dates & sentence.dates))
        out["date_missing_passage"] = float(bool(passage.dates) and not q.dates & passage.dates)
    else:
        out["date_in_sentence"] = out["date_missing_passage"] = 0.0
    out["number_cov_sentence"] = _share(q.numbers, lambda n: n in sentence.numbers)
    out["number_missing_passage"] = float(any(n not in passage.numbers for n in q.numbers))
    out["entity_cov_sentence"] = _share(q.entities, lambda e: e in sentence_text)
    out["entity_cov_passage"] = _share(q.entities, lambda e: e in passage_text)
    out["entity_missing_passage"] = float(any(e not in passage_text for e in q.entities))
    mass = sum(w for _, w in q.rare) or 1.0

    def rare_cov(terms: frozenset, text: str) -> float:
        return sum(w for t, w in q.rare if t in terms or (len(t) > 1 and t in text)) / mass if q.rare else 1.0

    out["rare_cov_sentence"] = rare_cov(sentence_terms, sentence_text)
    out["rare_cov_passage"] = rare_cov(passage_terms, passage_text)
    return out
