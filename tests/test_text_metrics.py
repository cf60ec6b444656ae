"""Error rates, bag-of-tokens F1 and English number normalisation on hand-computed cases."""
import random

import pytest

from zhiku.evaluation.text_metrics import (
    bag_f1,
    character_error_rate,
    cjk_char_f1,
    edit_distance,
    normalize_numbers_en,
    word_error_rate,
    word_f1,
    words,
)


def _slow_edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        previous, row[0] = row[:], i
        for j, y in enumerate(b, start=1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (x != y))
    return row[-1]


def test_edit_distance_textbook_cases():
    assert edit_distance("kitten", "sitting") == 3  # k→s, e→i, +g
    assert edit_distance("flaw", "lawn") == 2  # -f, +n
    assert edit_distance("", "abc") == 3
    assert edit_distance("abc", "") == 3
    assert edit_distance("银行账户", "银行帐户") == 1
    assert edit_distance(["a", "b", "c"], ["a", "c"]) == 1


def test_edit_distance_matches_the_plain_dynamic_programme():
    rng = random.Random(7)
    for _ in range(200):
        a = "".join(rng.choice("abc") for _ in range(rng.randint(0, 12)))
        b = "".join(rng.choice("abcd") for _ in range(rng.randint(0, 12)))
        assert edit_distance(a, b) == _slow_edit_distance(a, b), (a, b)


def test_character_error_rate_ignores_whitespace_only():
    assert character_error_rate("a b\nc", "abc") == 0.0
    # ref "abcd" (4 chars), hyp "abxd": one substitution
    assert character_error_rate("ab xd", "abcd") == pytest.approx(0.25)
    # order matters: "cdab" vs "abcd" needs 4 edits
    assert character_error_rate("cd ab", "ab cd") == pytest.approx(1.0)
    assert character_error_rate("", "") == 0.0
    assert character_error_rate("x", " ") == 1.0


def test_word_error_rate_counts_words_after_normalisation():
    # "The cat sat." vs "the cat sat on": punctuation and case ignored, one deletion over 4 reference words
    assert word_error_rate("The cat, sat.", "the cat sat on") == pytest.approx(0.25)
    assert word_error_rate("a b c", "a x c") == pytest.approx(1 / 3)


def test_words_strip_edge_punctuation_but_keep_inner():
    assert words('Total: $1,234.5 (net) "e-mail" --') == ["total", "1,234.5", "net", "e-mail"]


def test_word_f1_is_a_multiset_score_and_order_free():
    assert word_f1("sat cat the", "The cat sat") == 1.0
    # hyp {a, a, b}, ref {a, b, b}: 2 matched; P = R = 2/3
    assert word_f1("a a b", "a b b") == pytest.approx(2 / 3)
    # hyp {a, b}, ref {a, b, c, d}: P = 1, R = 0.5, F1 = 2/3
    score = bag_f1(["a", "b"], ["a", "b", "c", "d"])
    assert (score.precision, score.recall) == (1.0, 0.5)
    assert score.f1 == pytest.approx(2 / 3)
    assert word_f1("", "anything") == 0.0


def test_cjk_char_f1_counts_ideographs_only():
    # punctuation and Latin are ignored: hyp {银, 行, 卡}, ref {银, 行, 账, 户}; 2 matched
    precision, recall = 2 / 3, 2 / 4
    assert cjk_char_f1("银行，卡 ABC", "银行账户。") == pytest.approx(2 * precision * recall / (precision + recall))
    assert cjk_char_f1("户账行银", "银行账户") == 1.0


@pytest.mark.parametrize(("spoken", "written"), [
    ("ten", "10"),
    ("four", "4"),
    ("twenty one", "21"),
    ("Twenty-one apples", "21 apples"),
    ("hundred", "100"),
    ("one hundred and five", "105"),
    ("two thousand twenty four", "2024"),
    ("three million two hundred thousand", "3200000"),
    ("call one two three now", "call 1 2 3 now"),
    ("nineteen ninety", "19 90"),
    ("one hundred and a dog", "100 and a dog"),
    ("no numbers here", "no numbers here"),
])
def test_normalize_numbers_en(spoken, written):
    assert normalize_numbers_en(spoken) == written
