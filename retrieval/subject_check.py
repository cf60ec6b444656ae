"""Is a passage about the question's subject at all? The named thing and the instance the question asks about.

"大额存单2024年第3期的利率是多少？" asks about one issue of one product. A passage on another product's yield
("截至2024年12月31日，稳盈90天持有期产品…年化收益率为2.96%") shares the year, the kind of figure asked (a rate) and
some words, and the fitted selector can find it likely enough; the rarest-term feature does not see the mismatch
either, because the question's unknown digit tokens ("2024", "3") outrank 存单 by IDF. What the passage lacks is the
question's *subject*: the issue "第3期" and the product it belongs to.

This reads the subject phrases a question pins its answer to —

- *identifiers*: an ordinal instance of a series (第3期, 第5届, 第2季, 第12条, 第3版: the measure words below
  name one member of a series, not a rank such as 第一个 / 第一位), with a year written just before it (2024年第3期:
  the year is part of the identifier), and codes mixing letters and digits (HCBWY180, A320; not Q3 or 5G,
  abbreviations also spelt otherwise);
- *names*: companies, people, places and other proper nouns (jieba's proper-noun tags, 《titles》) —

and requires them in the passage, read with its parent section and its label (file name and heading path), after
the term normaliser (numerals, widths, the bank synonym list): every identifier, and at least one of the names (a
passage that names none of them is about someone else; one about 郑成功 need not also name 南京). A phrase in one
writing system is only required of a passage in the same one (an English question's "Wenying" cannot be spelt in
the Chinese brochure); identifiers in digits and Latin codes, and terms of the synonym list (one canonical form in
either language), are required of every passage.

Which kinds are required was decided on the training data only (`zhiku eval subject-check`, DRCD and CMRC 2018
trial: how often a question's own paragraph would be refused against how often unanswerable evidence is;
docs/benchmarks.md, issue #13, sixth pass). The check is a gate in front of the fitted answerability score: a
passage that fails it cannot be quoted and cannot make the question answerable, in extractive and in LLM mode
(answer_service reads the same decision before generating and again on the passages an LLM answer cites).
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache

from zhiku.retrieval.term_normaliser import TermNormaliser, default_normaliser

# Measure words after 第N that name one member of a series (an issue, an edition, a session, an article of a
# regulation), not a rank or a count ("第一个登上月球的人", "第三名").
_SERIES_UNITS = "期届季批版代号条款章节卷集轮"
_ORDINAL = re.compile(rf"(?:(?<!\d)((?:19|20)\d\d)年)?第(\d+)([{_SERIES_UNITS}])")
_CODE = re.compile(r"(?<![a-z0-9])(?=[a-z0-9-]*[a-z])(?=[a-z0-9-]*\d)[a-z][a-z0-9-]*[0-9][a-z0-9]*(?![a-z0-9])"
                   r"|(?<![a-z0-9])\d+[a-z]{2,}[a-z0-9]*(?![a-z0-9])")

# Required by default (ZHIKU_ANSWER_SUBJECT_KINDS): identifiers and names. On 2,000 training questions identifiers
# refuse 0.1 % of the answerable ones (their paragraph writes 首届 for 第一届); "at least one of the question's proper
# names" about 1 %; every name the constraint features read (unknown nouns included) 7.3 %, the rarest word 17.9 %:
# those two stay features of the fitted score, not gates.
DEFAULT_KINDS = ("identifier", "name")
# Also measured on the training data, not required by default: the question's rarest word that is not a number
# (by jieba's IDF; the subject noun when the question names no product: 汽车 in 汽车贷款).
ALL_KINDS = ("identifier", "name", "rare")


@dataclass(frozen=True, slots=True)
class Subject:
    text: str        # normalised, as it must appear in the passage
    kind: str        # identifier | name
    required_in: frozenset  # the passage languages ("cjk", "latin") it can be written in, so is required of


_EVERY = frozenset({"cjk", "latin"})


def _required_in(name: str, question_language: str) -> frozenset:
    """A Chinese name is written so only in a Chinese passage; a Latin one in a Latin passage, and in a Chinese one
    too when the question itself is Chinese (a Chinese text copies "El Torito" or "iOS" as it is); mixed: every.
    A term of the bank synonym list is its canonical form in every language after normalising ("car loan" and
    车贷 are both 汽车贷款), so it is required of every passage."""
    from zhiku.retrieval.term_normaliser import load_synonyms

    if name in set(load_synonyms().values()):
        return _EVERY
    has_cjk = any("\u3400" <= c <= "\u9fff" for c in name)
    has_latin = any(c.isascii() and c.isalpha() for c in name)
    if has_cjk and not has_latin:
        return frozenset({"cjk"})
    if has_latin and not has_cjk:
        return _EVERY if question_language == "cjk" else frozenset({"latin"})
    return _EVERY


def question_subjects(question: str, normaliser: TermNormaliser | None = None,
                      kinds: tuple[str, ...] = DEFAULT_KINDS) -> tuple[Subject, ...]:
    """The subject phrases of a question (normalised), each to be found in a passage that answers it."""
    from zhiku.retrieval.script import majority_script_by_words

    normaliser = normaliser or default_normaliser()
    q_norm = normaliser.normalise(question)
    q_language = majority_script_by_words(question)
    found: list[Subject] = []
    if "identifier" in kinds:
        for year, number, unit in _ORDINAL.findall(q_norm):
            if year:
                found.append(Subject(year, "identifier", _EVERY))
            # The ordinal is written without 第 as often as with it ("2024年3期", "第3期"): the number and its
            # unit are what must be there.
            found.append(Subject(f"{number}{unit}", "identifier", _EVERY))
        for code in _CODE.findall(q_norm):
            # Short ones are abbreviations with other spellings ("Q3" is "third quarter", "5G" 第五代): a code
            # has four characters or more, two of them digits (HCBWY180, A320).
            if len(code) >= 4 and sum(c.isdigit() for c in code) >= 2:
                found.append(Subject(code, "identifier", _EVERY))
    if "name" in kinds:
        for name in _proper_names(q_norm):
            found.append(Subject(name, "name", _required_in(name, q_language)))
    if "rare" in kinds:
        rare = _rarest_word(q_norm)
        if rare is not None:
            found.append(Subject(rare, "rare", _required_in(rare, q_language)))
    unique: dict[str, Subject] = {}
    for subject in found:
        unique.setdefault(subject.text, subject)
    return tuple(unique.values())


_QUESTION_WORDS = set("什么 多少 哪些 哪个 哪家 哪里 哪 怎么 怎样 如何 是否 是不是 能否 可以 吗 呢 吧 几 谁 为什么 请问 "
                      "what which who whom how when where why does do is are can could would should much many "
                      "the a an of to in for".split())


def _rarest_word(q_norm: str) -> str | None:
    import jieba

    table = _known_words()
    words = [w for w in dict.fromkeys(jieba.cut(q_norm)) if len(w) > 1 and not any(c.isdigit() for c in w)
             and w not in _QUESTION_WORDS and (any("\u3400" <= c <= "\u9fff" for c in w) or w.isalpha())]
    if not words:
        return None
    import jieba.analyse

    median = float(jieba.analyse.default_tfidf.median_idf)
    return max(words, key=lambda w: table.get(w, median))


_NAME_TAGS = ("nr", "ns", "nt", "nz", "nrt", "nrfg")
_TITLE = re.compile(r"《([^《》]{1,40})》")


def _proper_names(q_norm: str) -> list[str]:
    """The question's proper names: 《titles》 and jieba's person, place, organisation and other proper-noun tags
    (role nouns that jieba tags as persons, such as 申请人, left out). Not the nouns jieba does not know: on the
    training questions they are as often a mis-cut (追朔, 时称) as a name."""
    from zhiku.retrieval.constraint_match import _posseg, _role_noun

    names = [m.group(1).strip() for m in _TITLE.finditer(q_norm) if m.group(1).strip()]
    for word, tag in _posseg().cut(_TITLE.sub(" ", q_norm)):
        word = word.strip()
        if len(word) >= 2 and not word.isdigit() and tag in _NAME_TAGS and not _role_noun(word):
            names.append(word)
    return names


@lru_cache(maxsize=1)
def _known_words() -> dict:
    import jieba.analyse

    return jieba.analyse.default_tfidf.idf_freq


def passage_holds(subjects: tuple[Subject, ...], passage_norm: str, passage_language: str) -> bool:
    """Does the passage (normalised text with its parent section and label) hold the subject phrases that can be
    written in its language: every identifier (and the rarest word, when asked for), and at least one of the
    question's names (a passage about 郑成功 need not name 南京 too; one that names none of them is about someone
    else)? A number must stand alone ("3期" is not in "13期")."""
    names = [s for s in subjects if s.kind == "name" and passage_language in s.required_in]
    if names and not any(_contains(passage_norm, s.text) for s in names):
        return False
    for subject in subjects:
        if subject.kind == "name" or passage_language not in subject.required_in:
            continue
        if not _contains(passage_norm, subject.text):
            return False
    return True


def _contains(text: str, phrase: str) -> bool:
    if phrase[:1].isdigit() or phrase[-1:].isdigit():
        before = r"(?<![\d.])" if phrase[:1].isdigit() else ""
        after = r"(?![\d])" if phrase[-1:].isdigit() else ""
        return re.search(before + re.escape(phrase) + after, text) is not None
    return phrase in text


class SubjectCheck:
    """The gate: which hits may answer a question (those about its subject). Normalised passages are cached by
    chunk: the same chunks come back question after question. `kinds` ⊆ ALL_KINDS; empty: every hit may answer."""

    def __init__(self, normaliser: TermNormaliser | None = None, kinds: tuple[str, ...] = DEFAULT_KINDS):
        self.normaliser = normaliser or default_normaliser()
        self.kinds = kinds
        self.cache_size = 4096
        self._cache: dict[tuple, str] = {}
        self._lock = threading.Lock()

    def subjects(self, question: str) -> tuple[Subject, ...]:
        return question_subjects(question, self.normaliser, self.kinds)

    def allowed(self, question: str, hits: list) -> list[int]:
        """Indices of the hits about the question's subject (all of them when the question names none)."""
        subjects = self.subjects(question)
        if not subjects:
            return list(range(len(hits)))
        from zhiku.retrieval.script import majority_script_by_words

        return [i for i, hit in enumerate(hits)
                if passage_holds(subjects, self._normalised(hit), majority_script_by_words(hit.text))]

    def _normalised(self, hit) -> str:
        key = (hit.chunk_id, hit.text, hit.parent_text, hit.citation.document_name, tuple(hit.citation.heading_path),
               hit.reached_from)
        with self._lock:
            cached = self._cache.get(key)
        if cached is None:
            cached = self.normaliser.normalise(hit.about_text())
            with self._lock:
                if len(self._cache) >= self.cache_size:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[key] = cached
        return cached
