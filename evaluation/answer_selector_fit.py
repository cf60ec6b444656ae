"""`zhiku eval fit-answer-selector`: fit the answer-sentence selector and its answerability operating point.

Training data only (`../shared/train`: DRCD dev+test, Traditional Chinese → Simplified with OpenCC t2s, and
the CMRC 2018 trial set), never the evaluation sets. Each sampled question becomes two cases built the way
`zhiku eval answers` builds its evidence, so the selector learns on the kind of evidence it is measured on:

- answerable: the question's own paragraph among BM25 hard negatives (paragraphs of the same set that share
  the question's terms but do not contain its answer), in a seeded order;
- unanswerable: the hard negatives alone (the README's recipe; RGB's negative-rejection setting).

Every sentence is one row (label: it contains a gold answer). A logistic regression (L2, Newton steps, numpy)
fits the weights; the operating point is the threshold on the best sentence's probability that keeps
`keep_answered` of the answerable cases answered, on a held-out fifth of the training questions. The whole
trade-off curve is printed and stored in the weights file's meta.
"""
from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zhiku.evaluation.answer_eval import Bm25, contains_any
from zhiku.retrieval.answer_selector import (CROSS_SCRIPT_FEATURES, FEATURES, LANGUAGE_PREFILTER_FEATURES,
                                             AnswerSelector, SelectorWeights)
from zhiku.retrieval.search_hit import Citation, SearchHit, StageScores

SEED = 13


@dataclass(slots=True)
class TrainQuestion:
    question: str
    answers: list[str]
    paragraph: int          # index into the set's paragraphs
    set_name: str


@dataclass(slots=True)
class TrainSet:
    name: str
    paragraphs: list[str]
    titles: list[str]
    questions: list[TrainQuestion]


def load_squad(path: Path, name: str, convert: Callable[[str], str] | None = None) -> TrainSet:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    conv = convert or (lambda s: s)
    paragraphs, titles, questions = [], [], []
    for article in data["data"]:
        title = conv(article.get("title", ""))
        for para in article["paragraphs"]:
            index = len(paragraphs)
            paragraphs.append(conv(para["context"]))
            titles.append(title)
            for qa in para["qas"]:
                answers = list(dict.fromkeys(conv(a["text"]).strip() for a in qa.get("answers", [])
                                             if a["text"].strip()))
                if answers:
                    questions.append(TrainQuestion(conv(qa["question"]), answers, index, name))
    return TrainSet(name, paragraphs, titles, questions)


def load_training_sets(train_dir: Path) -> list[TrainSet]:
    import opencc

    t2s = opencc.OpenCC("t2s").convert
    train_dir = Path(train_dir)
    drcd = [load_squad(train_dir / "drcd_zh_hant" / f"DRCD_{part}.json", f"drcd_{part}", t2s)
            for part in ("dev", "test")]
    return drcd + [load_squad(train_dir / "cmrc2018_trial_zh" / "cmrc2018_trial.json", "cmrc2018_trial")]


def _hit(pid: str, text: str, title: str, rank: int) -> SearchHit:
    citation = Citation("train", pid, title, None, None, [], 0, len(text), None)
    return SearchHit(f"{pid}#0", text, None, 1.0 - rank / 100, StageScores(), citation, {"document_id": pid})


@dataclass(slots=True)
class TrainCase:
    """One piece of evidence for one (possibly altered) question. `group` is the sampled question it comes from:
    folds split by it, so a question and its altered copy never fall on both sides."""
    question: TrainQuestion
    hits: list[SearchHit]
    answerable: bool
    kind: str               # answerable | unrelated (BM25 / same article) | altered_year | altered_number | altered_entity
    group: int

    def __iter__(self):  # (question, hits, answerable), as the cases were before
        return iter((self.question, self.hits, self.answerable))

    def __getitem__(self, i):
        return (self.question, self.hits, self.answerable)[i]


_YEAR = re.compile(r"(?<!\d)((?:1[89]|20)\d\d)(?!\d)")
_NUMBER = re.compile(r"(?<![\d.])(\d+)(?![\d.])")
_NAME_TAGS = ("nr", "ns", "nt", "nz")


def _entities(text: str) -> list[tuple[str, str]]:
    import jieba.posseg

    return [(w, t) for w, t in jieba.posseg.cut(text) if t in _NAME_TAGS and len(w) >= 2]


def alter_question(q: TrainQuestion, paragraph: str, evidence: list[str], pool: dict[str, list[str]],
                   rng: random.Random) -> tuple[str, str] | None:
    """The question with one constraint changed so that its own paragraph no longer answers it (RGB's negatives:
    the same story in another year, about another person or figure): a year, a number or a named person, place or
    organisation that the paragraph states is replaced by one that no evidence passage holds. (altered question,
    kind) or None when the question has no such constraint."""
    swap = constraint_swap(q.question, paragraph, evidence, pool, rng)
    if swap is None:
        return None
    start, end, new, kind = swap
    return q.question[:start] + new + q.question[end:], kind


def entity_pool(sets: list[TrainSet]) -> dict[str, list[str]]:
    """Replacement names for `constraint_swap`: the named persons, places and organisations of every training
    question, by part-of-speech tag."""
    names: dict[str, list[str]] = {}
    for s in sets:
        for q in s.questions:
            for word, tag in _entities(q.question):
                names.setdefault(tag, []).append(word)
    return {tag: sorted(set(words)) for tag, words in names.items()}


def constraint_swap(question: str, paragraph: str, evidence: list[str], pool: dict[str, list[str]],
                    rng: random.Random) -> tuple[int, int, str, str] | None:
    """One constraint of the question that its paragraph states — a year, a number or a named person, place or
    organisation — and a replacement that no evidence passage holds: (start, end of the value in the question,
    replacement, kind: altered_year, altered_number or altered_entity), or None. Changing it in the question makes the paragraph answer another
    question (`alter_question`); changing it in the paragraph makes a near-duplicate of the answer passage that
    repeats the question's words but no longer answers it (the second-stage fit's distractors)."""
    text = question
    everything = "\n".join(evidence)
    options = []
    for m in _YEAR.finditer(text):
        if m.group(1) in paragraph:
            options.append(("altered_year", m.start(1), m.end(1)))
    for m in _NUMBER.finditer(text):
        if not _YEAR.fullmatch(m.group(1)) and m.group(1) in paragraph:
            options.append(("altered_number", m.start(1), m.end(1)))
    for word, tag in _entities(text):
        at = text.find(word)
        if at >= 0 and word in paragraph and pool.get(tag):
            options.append((f"altered_entity:{tag}", at, at + len(word)))
    rng.shuffle(options)
    # A year or a figure first (RGB's negatives are most often another year's story), a name otherwise.
    options.sort(key=lambda o: ("altered_year", "altered_number").index(o[0]) if o[0] in ("altered_year",
                                                                                        "altered_number") else 2)
    for kind, start, end in options:
        old = text[start:end]
        for _ in range(20):
            if kind == "altered_year":
                new = str(int(old) + rng.choice((-3, -2, -1, 1, 2, 3)))
            elif kind == "altered_number":
                value = int(old)
                new = str(rng.choice((value + rng.randint(1, 9), max(value - rng.randint(1, 9), 0), value * 2,
                                      value * 10 if value < 100 else value // 10)))
            else:
                new = rng.choice(pool[kind.split(":")[1]])
            if new != old and new not in everything and old not in new:
                return start, end, new, kind.split(":")[0]
    return None


# What a question asks with, taken out to make the headline that restates it ("《七人乐队》的导演是谁？" →
# "《七人乐队》的导演。"): the words that ask, the particles, the question mark.
_MEASURE = "个位家支国座所部种条只款项本名队次人年月天些里儿"
_ASKING = re.compile(rf"是?(?:谁|什么|为什么|(?:多少|几|哪一?)[{_MEASURE}]?|哪)|怎么|怎样|如何|是否|吗|呢|[？?！!]")


def restatement(question: str) -> str | None:
    """The question restated as a headline that holds no answer ("卡塔尔世界杯决赛队伍。"), or None when too little is
    left. News leads, titles and closing lines restate the question in this way ("以上就是小米MIX4是什么处理器的全部
    内容"); they share every question term and answer nothing."""
    text = _ASKING.sub("", question).strip(" ，,、的")
    return text + "。" if len(text) >= 4 else None


def without_answer(paragraph: str, answers: list[str]) -> str | None:
    """The paragraph with every sentence that holds an answer taken out, or None when fewer than two sentences
    are left (too little of the story to be a hard case) or the answer still shows."""
    from zhiku.core.sentences import sentence_spans

    kept = [paragraph[a:b] for a, b in sentence_spans(paragraph) if not contains_any(paragraph[a:b], [answers])]
    text = "".join(kept).strip()
    if len(kept) < 2 or contains_any(text, [answers]):
        return None
    return text


def build_cases(sets: list[TrainSet], tokenize: Callable[[str], list[str]], questions: int, evidence: int = 5,
                seed: int = SEED, hard: bool = True, corroborating: int = 2,
                restating: float = 0.0, answer_removed: bool = False,
                same_topic: bool = False) -> list[TrainCase]:
    """For `questions` sampled questions: one answerable case (the question's own paragraph among BM25 hard
    negatives) and one unanswerable case (paragraphs that do not contain the answer: with `hard`, first the other
    paragraphs of the question's own article — same topic — then BM25's); with `hard`, also the question with one
    constraint altered (year, number, named entity; `alter_question`) against the answerable case's evidence,
    when the question has such a constraint. With `corroborating`, the answerable case's evidence also holds up to
    that many other paragraphs of the same article that state the answer, when the article has them (about a fifth
    of DRCD's questions): retrieval returns several passages that state an answer — chunks of one document, several
    reports of one event — and the selector learns from them whether other passages echo what a sentence adds.
    With `restating`, that share of the answerable cases (seeded) has its own paragraph opened by a headline that
    restates the question (`restatement`): the sentence that shares every question term but states no answer, which
    the selector put first on rgb_zh (news leads, titles) and must learn to rank under the answering one.
    With `answer_removed`, one more unanswerable case per question (`without_answer`): its own paragraph with the
    sentences that state the answer taken out, among the same article's other paragraphs — the story about the
    question's own subject, its year and names, without the answer, as RGB's negatives are.
    With `same_topic`, one more answerable case per question (`answerable_same_article`): its own paragraph among the
    same article's other paragraphs (then BM25's) — every passage about the question's subject, as retrieval returns
    news on one event, so the sentence that answers must be told from those that only share the subject."""
    rng = random.Random(seed)
    pool = [(s, q) for s in sets for q in s.questions]
    rng.shuffle(pool)
    pool = pool[:questions]
    indexes = {s.name: Bm25(s.paragraphs, tokenize) for s in sets if any(ts is s for ts, _ in pool)}
    # replacement names: those of every training question (by tag), not only the sampled ones
    names = entity_pool(sets) if hard else {}
    cases: list[TrainCase] = []
    for group, (train_set, q) in enumerate(pool):
        negatives = []
        for i in indexes[train_set.name].rank(q.question):
            if i == q.paragraph or contains_any(train_set.paragraphs[i], [q.answers]):
                continue
            negatives.append(i)
            if len(negatives) == evidence:
                break
        if len(negatives) < evidence - 1:
            continue
        echoes = []
        if corroborating:
            title = train_set.titles[q.paragraph]
            echoes = [i for i, t in enumerate(train_set.titles) if t == title and i != q.paragraph
                      and contains_any(train_set.paragraphs[i], [q.answers])]
            random.Random(f"{seed}:{q.question}:echo").shuffle(echoes)
            echoes = echoes[:corroborating]
        mixed = [q.paragraph] + echoes + negatives[:evidence - 1 - len(echoes)]
        random.Random(f"{seed}:{q.question}").shuffle(mixed)
        unrelated = list(negatives)
        if hard:
            title = train_set.titles[q.paragraph]
            same_article = [i for i, t in enumerate(train_set.titles) if t == title and i != q.paragraph
                            and not contains_any(train_set.paragraphs[i], [q.answers])]
            random.Random(f"{seed}:{q.question}:article").shuffle(same_article)
            unrelated = list(dict.fromkeys(same_article[:2] + negatives))[:evidence]
        random.Random(f"{seed}:{q.question}:neg").shuffle(unrelated)

        def hits_of(chosen):
            return [_hit(f"{train_set.name}:{i}", train_set.paragraphs[i], train_set.titles[i], r)
                    for r, i in enumerate(chosen)]

        answerable_hits = hits_of(mixed)
        headline = restatement(q.question) if restating else None
        if headline and random.Random(f"{seed}:{q.question}:restate").random() < restating \
                and not contains_any(headline, [q.answers]):
            # At a seeded sentence boundary, not always first: a lead, a title and a closing line restate the
            # question alike, and a headline always first would teach that a passage's first sentence never answers
            # (a one-sentence chunk's always does).
            from zhiku.core.sentences import sentence_spans

            own = mixed.index(q.paragraph)
            text = answerable_hits[own].text
            at = random.Random(f"{seed}:{q.question}:where").choice([0] + [e for _, e in sentence_spans(text)])
            answerable_hits[own] = _hit(f"{train_set.name}:{q.paragraph}", text[:at] + headline + text[at:],
                                        train_set.titles[q.paragraph], own)
        cases.append(TrainCase(q, answerable_hits, True, "answerable", group))
        cases.append(TrainCase(q, hits_of(unrelated), False, "unrelated", group))
        if same_topic and hard and same_article:
            order = [q.paragraph] + [i for i in dict.fromkeys(same_article + negatives)][:evidence - 1]
            random.Random(f"{seed}:{q.question}:topic").shuffle(order)
            cases.append(TrainCase(q, hits_of(order), True, "answerable_same_article", group))
        if answer_removed and hard:
            removed = without_answer(train_set.paragraphs[q.paragraph], q.answers)
            if removed is not None:
                rest = [i for i in dict.fromkeys(same_article + negatives) if i != q.paragraph][:evidence - 1]
                order = [q.paragraph] + rest
                random.Random(f"{seed}:{q.question}:removed").shuffle(order)
                chosen = [_hit(f"{train_set.name}:{i}", removed if i == q.paragraph else train_set.paragraphs[i],
                               train_set.titles[i], r) for r, i in enumerate(order)]
                cases.append(TrainCase(q, chosen, False, "answer_removed", group))
        if hard:
            altered = alter_question(q, train_set.paragraphs[q.paragraph],
                                     [train_set.paragraphs[i] for i in mixed], names,
                                     random.Random(f"{seed}:{q.question}:alter"))
            if altered is not None:
                changed = TrainQuestion(altered[0], q.answers, q.paragraph, q.set_name)
                cases.append(TrainCase(changed, hits_of(mixed), False, altered[1], group))
    return cases


class MemoEmbedder:
    """The embedder with every text remembered: hard negatives recur across questions. With `path`, the vectors
    are also kept in a file between runs (`save()`), so a refit with other features or cases does not embed the
    same sentences again."""

    def __init__(self, embedder, path: Path | None = None):
        self.embedder = embedder
        self.passages: dict[str, np.ndarray] = {}
        self.queries: dict[str, np.ndarray] = {}
        self.path = Path(path) if path else None
        self.model_id = getattr(embedder, "model_id", "memo")
        if self.path is not None and self.path.exists():
            saved = np.load(self.path, allow_pickle=False)
            for prefix, store in (("p", self.passages), ("q", self.queries)):
                if f"{prefix}_texts" in saved:
                    store.update(zip(saved[f"{prefix}_texts"].tolist(), saved[f"{prefix}_vectors"]))

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self.passages]
        if todo:
            for text, vector in zip(todo, np.asarray(self.embedder.embed_passages(todo))):
                self.passages[text] = vector
        return np.stack([self.passages[t] for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        if text not in self.queries:
            self.queries[text] = np.asarray(self.embedder.embed_query(text))
        return self.queries[text]

    def save(self) -> None:
        if self.path is None:
            return
        arrays = {}
        for prefix, store in (("p", self.passages), ("q", self.queries)):
            if store:
                arrays[f"{prefix}_texts"] = np.asarray(list(store))
                arrays[f"{prefix}_vectors"] = np.stack(list(store.values()))
        tmp = self.path.with_name(self.path.name + ".tmp.npz")
        np.savez(tmp, **arrays)
        tmp.replace(self.path)


@dataclass(slots=True)
class Rows:
    """Feature rows of every scored sentence of every case, with what the fit and its checks need."""
    x: np.ndarray            # sentences × FEATURES
    y: np.ndarray            # 1 = the sentence contains a gold answer (answerable cases only)
    case_index: np.ndarray   # which case
    group: np.ndarray        # per case: the sampled question (folds split by it)
    answerable: np.ndarray   # per case
    kind: np.ndarray         # per case: answerable | unrelated | altered_*
    figure: np.ndarray       # per sentence: holds a figure of the kind the question asks for
    position: np.ndarray     # per sentence: (hit rank, order in the hit)
    features: tuple = FEATURES
    prefilter: str = ""      # the prefilter (JSON) that chose which sentences were embedded

    def save(self, path: Path) -> None:
        np.savez_compressed(path, x=self.x, y=self.y, case_index=self.case_index, group=self.group,
                            answerable=self.answerable, kind=self.kind, figure=self.figure, position=self.position,
                            features=np.asarray(self.features), prefilter=np.asarray(self.prefilter))

    @classmethod
    def load(cls, path: Path) -> "Rows":
        d = np.load(path)
        if list(d["features"]) != list(FEATURES):
            raise ValueError(f"{path} holds rows of other features than {FEATURES}")
        return cls(d["x"], d["y"], d["case_index"], d["group"], d["answerable"], d["kind"], d["figure"],
                   d["position"], FEATURES, str(d["prefilter"]) if "prefilter" in d else "")


def case_rows(selector: AnswerSelector, cases, on_progress: Callable[[int, int], None] | None = None) -> Rows:
    """Feature rows, labels and the case index of every sentence."""
    from zhiku.retrieval.answer_types import question_kinds
    from zhiku.retrieval.extractive_answer import FIGURE_KINDS
    from zhiku.retrieval.term_normaliser import default_normaliser

    rows, labels, case_index, figure, position = [], [], [], [], []
    for n, case in enumerate(cases):
        q, hits, answerable = case[0], case[1], case[2]
        asked = question_kinds(default_normaliser().normalise(q.question)) & FIGURE_KINDS
        candidates, feature_rows = selector.feature_rows(q.question, hits)
        for candidate, row in zip(candidates, feature_rows):
            rows.append(row)
            labels.append(float(answerable and contains_any(candidate.text, [q.answers])))
            case_index.append(n)
            figure.append(bool(asked & candidate.kinds))
            position.append((candidate.hit_rank, candidate.order))
        if on_progress:
            on_progress(n + 1, len(cases))
    group = np.asarray([getattr(c, "group", i // 2) for i, c in enumerate(cases)])
    kind = np.asarray([getattr(c, "kind", "answerable" if c[2] else "unrelated") for c in cases])
    return Rows(np.asarray(rows, dtype=float).reshape(-1, len(FEATURES)), np.asarray(labels),
                np.asarray(case_index, dtype=int), group, np.asarray([bool(c[2]) for c in cases]), kind,
                np.asarray(figure, dtype=bool), np.asarray(position, dtype=int).reshape(-1, 2))


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 25) -> tuple[np.ndarray, float,
                                                                                             np.ndarray, np.ndarray]:
    """Standardised L2 logistic regression by Newton steps: (coef, intercept, mean, scale)."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(z @ w)))
        gradient = z.T @ (p - y) + penalty * w
        hessian = (z * (p * (1 - p))[:, None]).T @ z + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    return w[:-1], float(w[-1]), mean, scale


def fit_conditional_logit(z: np.ndarray, y: np.ndarray, case_index: np.ndarray, l2: float = 1.0,
                          steps: int = 30) -> np.ndarray:
    """Which sentence of a case answers first: a softmax over each case's sentences (a conditional logit, i.e.
    pairwise training of the answering sentence against the other sentences of its own evidence), on standardised
    rows `z`; only cases with an answering sentence take part. Newton steps, L2. Returns the weights (no intercept:
    it cancels within a case)."""
    cases = np.unique(case_index[y > 0])
    keep = np.isin(case_index, cases)
    z, y, case_index = z[keep], y[keep], case_index[keep]
    _, case_index = np.unique(case_index, return_inverse=True)
    n_cases = case_index.max() + 1
    target = y / np.bincount(case_index, weights=y, minlength=n_cases)[case_index]
    w = np.zeros(z.shape[1])
    for _ in range(steps):
        s = z @ w
        top = np.full(n_cases, -np.inf)
        np.maximum.at(top, case_index, s)
        e = np.exp(s - top[case_index])
        p = e / np.bincount(case_index, weights=e, minlength=n_cases)[case_index]
        gradient = z.T @ (p - target) + l2 * w
        mean_z = np.zeros((n_cases, z.shape[1]))
        np.add.at(mean_z, case_index, p[:, None] * z)
        hessian = (z * p[:, None]).T @ z - mean_z.T @ mean_z + l2 * np.eye(z.shape[1])
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    return w


@dataclass(slots=True)
class Fitted:
    gate: SelectorWeights          # P(this sentence states the answer): its best value is the answerability score
    ranker: np.ndarray | None      # which sentence answers first (conditional logit), on the gate's standardisation


def fit_models(rows: Rows, mask: np.ndarray | None = None, l2: float = 1.0, ranker: bool = True) -> Fitted:
    """The gate on every sentence of every case (answerable and unanswerable, hard ones included), the ranker on the
    answerable cases' sentences; `mask` selects the sentences to fit on."""
    mask = np.ones(len(rows.y), dtype=bool) if mask is None else mask
    x, y, case_index = rows.x[mask], rows.y[mask], rows.case_index[mask]
    coef, intercept, mean, scale = fit_logistic(x, y, l2)
    gate = SelectorWeights(tuple(FEATURES), mean, scale, coef, intercept, 0.0)
    rank = fit_conditional_logit((x - mean) / scale, y, case_index, l2) if ranker else None
    return Fitted(gate, rank)


def case_outcomes(fitted: Fitted, rows: Rows, mask: np.ndarray, figure_rule: bool = False,
                  score_of_first: bool = False) -> dict[str, np.ndarray]:
    """Per case among `mask`'s sentences: the answerability score (the best sentence's gate probability), whether
    the sentence ranked first states the answer, and the case's labels."""
    p = fitted.gate.probabilities(rows.x[mask])
    z = (rows.x[mask] - fitted.gate.mean) / fitted.gate.scale
    key = z @ fitted.ranker if fitted.ranker is not None else p
    ci, y, fig, pos = rows.case_index[mask], rows.y[mask], rows.figure[mask], rows.position[mask]
    score, first, best_key = {}, {}, {}
    for i in range(len(ci)):
        c = int(ci[i])
        score[c] = max(score.get(c, 0.0), float(p[i]))
    thresholds = {}
    for i in range(len(ci)):
        c = int(ci[i])
        k = (bool(figure_rule and fig[i]), float(key[i]), -pos[i][0], -pos[i][1])
        if c not in best_key or k > best_key[c]:
            best_key[c], first[c] = k, float(y[i])
            if score_of_first:
                thresholds[c] = float(p[i])
    if score_of_first:
        score = thresholds
    cases = sorted(score)
    has_gold = np.bincount(ci, weights=y, minlength=max(cases) + 1) > 0
    return {"case": np.asarray(cases), "score": np.asarray([score[c] for c in cases]),
            "first_right": np.asarray([first[c] > 0 for c in cases]),
            "answerable": rows.answerable[cases], "kind": rows.kind[cases], "has_gold": has_gold[cases]}


def curve_rows(outcomes: dict[str, np.ndarray], thresholds) -> list[dict]:
    """Per threshold: answerable cases answered, answered with a right first sentence; unanswerable cases refused,
    in all and per kind (unrelated paragraphs, altered year / number / name)."""
    pos = outcomes["answerable"]
    neg = ~pos
    out = []
    for t in thresholds:
        answered = outcomes["score"] >= t
        row = {"threshold": float(t), "answered": float(answered[pos].mean()) if pos.any() else 0.0,
               "first_sentence_right": float((answered & outcomes["first_right"])[pos].mean()) if pos.any() else 0.0,
               "negative_rejection": float((~answered)[neg].mean()) if neg.any() else 0.0}
        for kind in sorted(set(outcomes["kind"][neg])):
            sel = neg & (outcomes["kind"] == kind)
            row[f"rejection_{kind}"] = float((~answered)[sel].mean())
        out.append(row)
    return out


THRESHOLDS = [round(t, 3) for t in (0.0, 0.02, 0.05, 0.08, 0.1, 0.12, 0.15, 0.18, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5,
                                    0.6, 0.7, 0.8)]
FINE = [i / 400 for i in range(400)]


def choose_threshold(outcomes: dict[str, np.ndarray], keep_answered: float) -> float:
    """The highest threshold that still answers `keep_answered` of the answerable cases."""
    eligible = [row["threshold"] for row in curve_rows(outcomes, FINE) if row["answered"] >= keep_answered]
    return max(eligible) if eligible else 0.0


def cross_validate(rows: Rows, keep_answered: float, l2: float = 1.0, folds: int = 5, ranker: bool = True,
                   figure_rule: bool = False, score_of_first: bool = False) -> dict:
    """Out-of-fold outcomes (each fifth of the questions scored by models fitted on the other four), the threshold
    chosen on all of them, and per fold the threshold chosen on the *other* folds' outcomes applied to it: how far
    the operating point moves and what it does on questions it was not chosen on."""
    fold_of_case = rows.group % folds
    fold_of_row = fold_of_case[rows.case_index]
    parts = []
    for k in range(folds):
        fitted = fit_models(rows, fold_of_row != k, l2, ranker)
        parts.append(case_outcomes(fitted, rows, fold_of_row == k, figure_rule, score_of_first))
    oof = {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
    per_fold = []
    for k in range(folds):
        others = {key: np.concatenate([parts[j][key] for j in range(folds) if j != k]) for key in oof}
        t = choose_threshold(others, keep_answered)
        row = curve_rows(parts[k], [t])[0]
        per_fold.append(row)
    return {"oof": oof, "threshold": choose_threshold(oof, keep_answered), "per_fold": per_fold,
            "curve": curve_rows(oof, THRESHOLDS)}


def fit_selector(prefilter_cases, cases, tokenizer, embedder=None, keep_answered: float = 0.95, l2: float = 1.0,
                 on_progress: Callable[[str, int, int], None] | None = None, rows_output: Path | None = None,
                 rows_input: Path | None = None, prefilter: SelectorWeights | None = None,
                 ranker: bool = True) -> tuple[SelectorWeights, list[dict]]:
    """The terms-only prefilter on `prefilter_cases` (cheap: no embeddings) learns which sentences are worth
    embedding; the gate and the ranker on `cases` see only those, as they will when answering. The operating point
    is chosen on out-of-fold scores (5 folds by question) and cross-validated (`meta.cross_validation`)."""
    pre = None
    if prefilter is None and rows_input is None:
        pre = case_rows(AnswerSelector(tokenizer, None, read_names=True), prefilter_cases,
                        lambda d, t: on_progress and on_progress("terms", d, t))
        coef, intercept, mean, scale = fit_logistic(pre.x, pre.y, l2)
        prefilter = SelectorWeights(tuple(FEATURES), mean, scale, coef, intercept, 0.0,
                                    {"cases": len(prefilter_cases), "sentences": int(len(pre.y))})
    if rows_input is not None:
        rows = Rows.load(rows_input)
        if rows.prefilter:
            prefilter = SelectorWeights.from_dict(json.loads(rows.prefilter))
    else:
        shell = SelectorWeights(tuple(FEATURES), prefilter.mean, prefilter.scale, np.zeros(len(FEATURES)), 0.0, 0.0,
                                prefilter=prefilter)
        rows = case_rows(AnswerSelector(tokenizer, embedder, shell, read_names=True), cases,
                         lambda d, t: on_progress and on_progress("full", d, t))
        rows.prefilter = prefilter.to_json()
        if rows_output is not None:
            rows.save(rows_output)
    cv = cross_validate(rows, keep_answered, l2, ranker=ranker)
    fitted = fit_models(rows, None, l2, ranker)
    weights = fitted.gate
    weights.threshold = cv["threshold"]
    weights.prefilter = prefilter
    if fitted.ranker is not None:
        weights.ranker = fitted.ranker
    answerable = list(rows.answerable)
    if embedder is not None:
        weights.cross_script, weights.cross_script_offset, cross_meta = fit_cross_script(
            rows.x, rows.y, rows.case_index, answerable, embedder, l2, rows.group)
    else:
        cross_meta = None
    if pre is None and cases:
        # Terms-only rows (no embedder: every sentence, none left out) of the same cases, for the language prefilter.
        pre = case_rows(AnswerSelector(tokenizer, None, read_names=True), cases,
                        lambda d, t: on_progress and on_progress("terms", d, t))
    if pre is not None:
        weights.language_prefilter = fit_blind(pre.x, pre.y, l2, LANGUAGE_PREFILTER_FEATURES)
    kinds = {str(k): int((rows.kind == k).sum()) for k in sorted(set(rows.kind))}
    weights.meta = {"fitted_on": "../shared/train: DRCD dev+test (OpenCC t2s), CMRC 2018 trial",
                    "cases": int(len(rows.answerable)), "case_kinds": kinds, "sentences": int(len(rows.y)),
                    "positive_sentences": int(rows.y.sum()), "embeddings": embedder is not None, "l2": l2,
                    "keep_answered": keep_answered, "operating_point_chosen_on": "out-of-fold scores, 5 folds",
                    "held_out_curve": cv["curve"],
                    "cross_validation": {"thresholds_chosen_on_other_folds": [r["threshold"] for r in cv["per_fold"]],
                                         "per_fold": cv["per_fold"]}}
    if cross_meta:
        weights.meta["cross_script"] = cross_meta
    return weights, cv["curve"]


def fit_blind(x: np.ndarray, y: np.ndarray, l2: float = 1.0,
              features: tuple[str, ...] = CROSS_SCRIPT_FEATURES) -> SelectorWeights:
    """The script-blind model: a logistic regression on CROSS_SCRIPT_FEATURES alone (the other features weigh
    nothing), so a sentence in another script than the question is scored without the term features it cannot
    have. With `features`=LANGUAGE_PREFILTER_FEATURES (no similarities), the language prefilter."""
    columns = [FEATURES.index(name) for name in features]
    coef, intercept, mean, scale = fit_logistic(x[:, columns], y, l2)
    full = {name: np.zeros(len(FEATURES)) for name in ("coef", "mean")}
    full_scale = np.ones(len(FEATURES))
    full["coef"][columns], full["mean"][columns], full_scale[columns] = coef, mean, scale
    return SelectorWeights(tuple(FEATURES), full["mean"], full_scale, full["coef"], intercept, 0.0)


def cross_language_offset(embedder) -> tuple[float, int]:
    """How much lower an English text's cosine with a Chinese passage sits than a Chinese text's, measured on the
    bank synonym list (retrieval/data/bank_synonyms.tsv, project data): for each line's English term and a
    Chinese term of the same line as queries, against the canonical Chinese terms of every *other* line as
    passages (unrelated pairs: the script's baseline, not the meaning). Returns (offset, lines used)."""
    from zhiku.retrieval.term_normaliser import SYNONYMS_FILE

    chinese, english = [], []
    for line in SYNONYMS_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        terms = [t.strip() for t in line.split("\t") if t.strip()]
        zh = [t for t in terms if not t.isascii()]
        en = [t for t in terms if t.isascii()]
        if zh and en:
            chinese.append(zh[0])
            english.append(en[0])
    if len(chinese) < 5:
        return 0.0, len(chinese)
    passages = np.asarray(embedder.embed_passages(chinese))
    zh_queries = np.stack([np.asarray(embedder.embed_query(t)) for t in chinese])
    en_queries = np.stack([np.asarray(embedder.embed_query(t)) for t in english])
    unrelated = ~np.eye(len(chinese), dtype=bool)
    offset = float((zh_queries @ passages.T)[unrelated].mean() - (en_queries @ passages.T)[unrelated].mean())
    return offset, len(chinese)


def fit_cross_script(x, y, case_index, answerable, embedder, l2: float = 1.0, group=None):
    """The script-blind model (fitted on every row; its held-out curve on one fifth of the questions) and the
    cross-language cosine offset. Returns (model, offset, meta)."""
    group = np.asarray(group) if group is not None else np.arange(len(answerable)) // 2
    held_out = (group[case_index] % 5) == 0
    probe = fit_blind(x[~held_out], y[~held_out], l2)
    p = probe.probabilities(x[held_out])
    outcomes = {"score": [], "first": []}
    best: dict[int, tuple[float, float]] = {}
    for pi, label, case in zip(p, y[held_out], case_index[held_out]):
        if case not in best or pi > best[case][0]:
            best[case] = (float(pi), float(label))
    cases = sorted(best)
    pos = [c for c in cases if answerable[c]]
    neg = [c for c in cases if not answerable[c]]
    curve = [{"threshold": t, "answered": sum(best[c][0] >= t for c in pos) / max(len(pos), 1),
              "first_sentence_right": sum(best[c][0] >= t and best[c][1] > 0 for c in pos) / max(len(pos), 1),
              "negative_rejection": sum(best[c][0] < t for c in neg) / max(len(neg), 1)} for t in THRESHOLDS]
    del outcomes
    blind = fit_blind(x, y, l2)
    offset, lines = cross_language_offset(embedder)
    meta = {"features": list(CROSS_SCRIPT_FEATURES), "held_out_curve": curve,
            "offset_measured_on": f"bank_synonyms.tsv, {lines} lines: mean cosine of Chinese vs English terms "
                                  "with the other lines' Chinese terms"}
    return blind, offset, meta
