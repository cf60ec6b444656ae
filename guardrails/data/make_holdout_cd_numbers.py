#!/usr/bin/env python3
"""Checksummed numbers for the held-out guardrail sets C and D (HOLDOUT_CD.md).

Written by the held-out annotator without reference to the detectors. Standard library only.

    python3 make_holdout_cd_numbers.py              # print a sample pool (seeded, reproducible)
    python3 make_holdout_cd_numbers.py --check F..   # verify labelled spans and unlabelled look-alikes
    python3 make_holdout_cd_numbers.py --stats F..   # counts per lang x injection x PII kind

The pool functions are imported by the annotator's builder; ``--check`` is the double check the
brief asks for: every labelled number validates, every unlabelled number-like string in the texts
fails the checksum it imitates (or is of a kind the conventions say is not personal data).
"""
from __future__ import annotations

import json
import random
import re
import sys

# ---------------------------------------------------------------- resident ID (GB 11643, ISO 7064 MOD 11-2)
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"
AREAS = ["110105", "110108", "310104", "310115", "440305", "440106", "330106", "320102", "510107",
         "420111", "370202", "350203", "610113", "210102", "120101", "500103", "430104", "410105"]


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


def resident_id_ok(s: str) -> bool:
    s = s.upper()
    return bool(re.fullmatch(r"\d{17}[\dX]", s)) and id_check_char(s[:17]) == s[17]


# ---------------------------------------------------------------- Luhn (bank cards)
def luhn_ok(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def luhn_digit(body: str) -> str:
    for d in "0123456789":
        if luhn_ok(body + d):
            return d
    raise AssertionError


BINS19 = ["6222021", "6217000", "6228480", "6216610", "6214830", "6230580", "6217852", "6212260"]
BINS16 = ["622588", "625907", "436742", "622155", "625806", "622260", "524047", "622848"]

# ---------------------------------------------------------------- unified social credit code (GB 32100)
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def uscc_check_char(first17: str) -> str:
    s = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS))
    return USCC_CHARS[(31 - s % 31) % 31]


def uscc_ok(s: str) -> bool:
    return (len(s) == 18 and all(c in USCC_CHARS for c in s)
            and uscc_check_char(s[:17]) == s[17])


def org_code_check(body8: str) -> str:
    # GB 11714 organisation code check character (positions 9-17 of a credit code)
    v = 11 - sum(int(c, 36) * w for c, w in zip(body8, ORG_WEIGHTS)) % 11
    return {10: "X", 11: "0"}.get(v, str(v))


class Pool:
    """Seeded generator of valid numbers and of look-alikes that fail every checksum they imitate."""

    def __init__(self, seed: int):
        self.r = random.Random(seed)
        self.seen: set[str] = set()

    def _fresh(self, s: str) -> bool:
        if s in self.seen:
            return False
        self.seen.add(s)
        return True

    def _birth(self) -> str:
        y = self.r.randint(1958, 2003)
        m = self.r.randint(1, 12)
        d = self.r.randint(1, 28)
        return f"{y:04d}{m:02d}{d:02d}"

    def resident_id(self) -> str:
        while True:
            body = self.r.choice(AREAS) + self._birth() + f"{self.r.randint(10, 999):03d}"
            s = body + id_check_char(body)
            # keep the labels unambiguous: a labelled ID must not also pass Luhn as a card
            if (s[-1] == "X" or not luhn_ok(s)) and self._fresh(s):
                return s

    def resident_id15(self) -> str:
        while True:
            y = self.r.randint(50, 84)
            s = (self.r.choice(AREAS) + f"{y:02d}{self.r.randint(1, 12):02d}{self.r.randint(1, 28):02d}"
                 + f"{self.r.randint(10, 999):03d}")
            if self._fresh(s):
                return s

    def bad_resident_id(self) -> str:
        while True:
            good = self.resident_id()
            wrong = self.r.choice([c for c in ID_CHECK if c != good[-1]])
            s = good[:17] + wrong
            if not resident_id_ok(s) and not (s[-1] != "X" and luhn_ok(s)) and self._fresh(s):
                return s

    def card(self, length: int = 19) -> str:
        while True:
            bins = BINS19 if length == 19 else BINS16
            b = self.r.choice(bins)
            body = b + "".join(str(self.r.randint(0, 9)) for _ in range(length - len(b) - 1))
            s = body + luhn_digit(body)
            if self._fresh(s):
                return s

    def bad_card(self, length: int = 19) -> str:
        while True:
            good = self.card(length)
            s = good[:-1] + str((int(good[-1]) + self.r.randint(1, 9)) % 10)
            if not luhn_ok(s) and not resident_id_ok(s) and self._fresh(s):
                return s

    def serial(self, length: int) -> str:
        """Order/transaction number: digits that fail Luhn and are not a valid resident ID."""
        while True:
            s = "2026" + "".join(str(self.r.randint(0, 9)) for _ in range(length - 4))
            if not luhn_ok(s) and not resident_id_ok(s) and self._fresh(s):
                return s

    def mobile(self) -> str:
        while True:
            p = self.r.choice(["130", "133", "135", "136", "138", "139", "150", "152", "158", "166", "177",
                               "180", "181", "186", "187", "189", "191", "198", "199", "147", "173"])
            s = p + "".join(str(self.r.randint(0, 9)) for _ in range(8))
            if self._fresh(s):
                return s

    def uscc(self) -> str:
        while True:
            head = self.r.choice(["91", "92", "93", "12", "52", "51"])
            area = self.r.choice(AREAS)
            if self.r.random() < 0.7:   # older codes: all-digit organisation code
                org8 = "".join(self.r.choice("0123456789") for _ in range(8))
            else:                        # newer codes: "MA" + five digits + one letter/digit
                org8 = "MA" + "".join(self.r.choice("0123456789") for _ in range(5)) + self.r.choice(USCC_CHARS)
            org9 = org8 + org_code_check(org8)
            body = head + area + org9
            s = body + uscc_check_char(body)
            if all(c in USCC_CHARS for c in body) and self._fresh(s):
                return s

    def bad_uscc(self) -> str:
        while True:
            good = self.uscc()
            wrong = self.r.choice([c for c in USCC_CHARS if c != good[-1]])
            s = good[:17] + wrong
            if not uscc_ok(s) and self._fresh(s):
                return s


# ---------------------------------------------------------------- the double check
MOBILE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
DIGITRUN_RE = re.compile(r"(?<![\dA-Za-z])\d(?:[ -]?\d){14,21}[\dXx]?(?![\dA-Za-z])")
USCC_RE = re.compile(r"(?<![0-9A-Z])[0-9A-HJ-NP-RT-UW-Y]{2}\d{6}[0-9A-HJ-NP-RT-UW-Y]{10}(?![0-9A-Z])")
LANDLINE_RE = re.compile(r"(?<!\d)[(（]?0\d{2,3}[)）]?[- ]?\d{7,8}(?!\d)")

VALIDATORS = {
    "resident_id": lambda s: resident_id_ok(s) or bool(re.fullmatch(r"\d{15}", s)),
    "bank_card": lambda s: (re.fullmatch(r"\d{16,19}", s.replace(" ", "").replace("-", "")) is not None
                            and luhn_ok(s.replace(" ", "").replace("-", ""))),
    "mobile": lambda s: re.fullmatch(r"(\+?86[- ]?)?1[3-9]\d(?:[- ]?\d){8}", s) is not None,
    "landline": lambda s: re.fullmatch(r"[(（]?0\d{2,3}[)）]?[- ]?\d{3,4}[- ]?\d{4}(-\d{1,5})?", s) is not None
                          and not s.startswith(("400", "800")),
    "email": lambda s: EMAIL_RE.fullmatch(s) is not None,
    "credit_code": uscc_ok,
}


def check(paths: list[str]) -> int:
    problems = 0
    for path in paths:
        ids = set()
        for n, line in enumerate(open(path, encoding="utf-8"), 1):
            rec = json.loads(line)
            assert set(rec) == {"id", "lang", "text", "injection", "pii"}, (path, n)
            assert rec["id"] not in ids, rec["id"]
            ids.add(rec["id"])
            assert rec["lang"] in {"zh", "en", "mixed"} and isinstance(rec["injection"], bool)
            text = rec["text"]
            labelled = []
            for p in rec["pii"]:
                if p["text"] not in text or not VALIDATORS[p["kind"]](p["text"]):
                    print(f"{rec['id']}: labelled {p} does not validate or is not in the text")
                    problems += 1
                labelled.append(p["text"])

            def covered(s: str) -> bool:
                return any(s in lab or lab in s for lab in labelled)

            for m in DIGITRUN_RE.finditer(text):
                s = m.group(0).strip(" -")
                d = s.replace(" ", "").replace("-", "")
                if covered(s):
                    continue
                if (16 <= len(d) <= 19 and d.isdigit() and luhn_ok(d)) or resident_id_ok(d):
                    print(f"{rec['id']}: unlabelled look-alike {s!r} passes a checksum")
                    problems += 1
            for m in USCC_RE.finditer(text):
                if not covered(m.group(0)) and uscc_ok(m.group(0)):
                    print(f"{rec['id']}: unlabelled credit code {m.group(0)!r} is valid")
                    problems += 1
            for rx, kind in ((MOBILE_RE, "mobile"), (EMAIL_RE, "email")):
                for m in rx.finditer(text):
                    if not covered(m.group(0)):
                        print(f"{rec['id']}: unlabelled {kind} {m.group(0)!r}")
                        problems += 1
            for m in LANDLINE_RE.finditer(text):
                if not covered(m.group(0)):
                    print(f"{rec['id']}: unlabelled landline-like {m.group(0)!r} (check by hand)")
        print(f"{path}: {len(ids)} records checked")
    print("problems:", problems)
    return 1 if problems else 0


def stats(paths: list[str]) -> None:
    """The counts table of HOLDOUT_CD.md: lang x injection, PII texts and labels per kind."""
    import collections
    kinds = ["resident_id", "bank_card", "mobile", "landline", "email", "credit_code"]
    for path in paths:
        recs = [json.loads(line) for line in open(path, encoding="utf-8")]
        print(f"{path}: {len(recs)} texts, injection {sum(r['injection'] for r in recs)}, "
              f"with PII {sum(1 for r in recs if r['pii'])}")
        print("| lang | injection | texts | texts with PII | " + " | ".join(kinds) + " |")
        print("|---" * (4 + len(kinds)) + "|")
        groups = collections.defaultdict(list)
        for r in recs:
            groups[(r["lang"], r["injection"])].append(r)
        for key in sorted(groups, key=lambda k: (["zh", "en", "mixed"].index(k[0]), not k[1])):
            rs = groups[key]
            per = collections.Counter(p["kind"] for r in rs for p in r["pii"])
            print(f"| {key[0]} | {str(key[1]).lower()} | {len(rs)} | {sum(1 for r in rs if r['pii'])} | "
                  + " | ".join(str(per[k]) for k in kinds) + " |")
        per = collections.Counter(p["kind"] for r in recs for p in r["pii"])
        print(f"| all | | {len(recs)} | {sum(1 for r in recs if r['pii'])} | "
              + " | ".join(str(per[k]) for k in kinds) + " |")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--check":
        sys.exit(check(sys.argv[2:]))
    if len(sys.argv) > 1 and sys.argv[1] == "--stats":
        stats(sys.argv[2:])
        sys.exit(0)
    pool = Pool(20261206)
    for name in ("resident_id", "resident_id15", "bad_resident_id", "card", "bad_card", "mobile",
                 "uscc", "bad_uscc"):
        print(name, [getattr(pool, name)() for _ in range(3)])
