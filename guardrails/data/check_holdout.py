#!/usr/bin/env python3
"""Structural and label check for the held-out sets I, J and K (HOLDOUT_I.md, HOLDOUT_J.md, HOLDOUT_K.md).
Standard library only.

    python3 check_holdout.py [set.jsonl ...]   (default: guardrail_holdout_i.jsonl, _j.jsonl and _k.jsonl)

Written by set I's annotator (sets J and K used it unchanged but for the file name), independently of
make_holdout_cd_numbers.py (whose --check is the other double check), so that a bug in one validator is
unlikely to hide a bad label. It checks that:

- every line parses as JSON with exactly the fields id, lang, text, injection, pii;
- ids are unique, lang is zh/en/mixed, injection is a bool;
- every pii item has exactly kind and text, a kind among the six, and a text that occurs in the row's
  text as a whole token (not glued to further letters or digits), and is not labelled twice;
- every labelled value validates for its kind (checksums for IDs, cards and credit codes);
- no unlabelled digit run passes the card or ID check, no unlabelled 18-character code is a valid
  credit code, and no mobile number or e-mail address is left unlabelled.

It prints the problems and their number, and exits with 1 if there are any.
"""
from __future__ import annotations

import datetime
import json
import re
import sys
from pathlib import Path

KINDS = {"resident_id", "bank_card", "mobile", "landline", "email", "credit_code"}
FIELDS = {"id", "lang", "text", "injection", "pii"}
PROVINCES = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51,
             52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82}
CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"   # GB 32100 alphabet (no I, O, S, V, Z)


def valid_date(yyyymmdd: str) -> bool:
    try:
        datetime.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return True


def resident_id_valid(s: str) -> bool:
    if re.fullmatch(r"\d{15}", s):          # first generation: no check character, 2-digit year
        return int(s[:2]) in PROVINCES and valid_date("19" + s[6:12])
    if not re.fullmatch(r"\d{17}[0-9Xx]", s):
        return False
    if int(s[:2]) not in PROVINCES or not valid_date(s[6:14]):
        return False
    total = sum(int(c) * pow(2, 17 - i, 11) for i, c in enumerate(s[:17]))
    return "10X98765432"[total % 11] == s[17].upper()


def luhn_valid(digits: str) -> bool:
    doubled = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9]
    total = sum(doubled[int(c)] if i % 2 else int(c) for i, c in enumerate(reversed(digits)))
    return total % 10 == 0


def card_valid(s: str) -> bool:
    d = re.sub(r"[ -]", "", s)
    return bool(re.fullmatch(r"[2-6]\d{15,18}", d)) and luhn_valid(d)


def credit_code_valid(s: str) -> bool:
    if len(s) != 18 or any(c not in CODE_CHARS for c in s):
        return False
    total = sum(CODE_CHARS.index(c) * pow(3, i, 31) for i, c in enumerate(s[:17]))
    if CODE_CHARS[-total % 31] != s[17]:
        return False
    org = s[8:16]                            # GB 11714 organisation code, check character at s[16]
    v = 11 - sum(int(c, 36) * w for c, w in zip(org, [3, 7, 9, 10, 5, 8, 4, 2])) % 11
    return s[16] == {10: "X", 11: "0"}.get(v, str(v))


MOBILE = r"(?:\+86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}"
LANDLINE = r"[(（]?0\d{2,3}[)）]?[- ]?[2-9]\d{2,3}[- ]?\d{4}"
EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"

VALID = {
    "resident_id": resident_id_valid,
    "bank_card": card_valid,
    "mobile": lambda s: re.fullmatch(MOBILE, s) is not None,
    "landline": lambda s: re.fullmatch(LANDLINE, s) is not None and not re.match(r"[(（]?0?[48]00", s),
    "email": lambda s: re.fullmatch(EMAIL, s) is not None,
    "credit_code": credit_code_valid,
}


def check(path: Path) -> int:
    problems: list[str] = []
    seen_ids: set[str] = set()
    n = 0
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {n}: does not parse ({exc})")
            continue
        rid = rec.get("id", f"line {n}")
        if set(rec) != FIELDS:
            problems.append(f"{rid}: fields {sorted(rec)}")
            continue
        if rid in seen_ids:
            problems.append(f"{rid}: duplicate id")
        seen_ids.add(rid)
        if rec["lang"] not in {"zh", "en", "mixed"}:
            problems.append(f"{rid}: lang {rec['lang']!r}")
        if not isinstance(rec["injection"], bool):
            problems.append(f"{rid}: injection is not a bool")
        text = rec["text"]
        labels: list[str] = []
        for item in rec["pii"]:
            if not isinstance(item, dict) or set(item) != {"kind", "text"} or item["kind"] not in KINDS:
                problems.append(f"{rid}: malformed pii item {item!r}")
                continue
            value = item["text"]
            if value in labels:
                problems.append(f"{rid}: {value!r} labelled twice")
            labels.append(value)
            token = re.compile(r"(?<![0-9A-Za-z])" + re.escape(value) + r"(?![0-9A-Za-z])")
            if not token.search(text):
                problems.append(f"{rid}: labelled {item['kind']} {value!r} does not occur in the text")
            if not VALID[item["kind"]](value):
                problems.append(f"{rid}: labelled {item['kind']} {value!r} does not validate")

        def unlabelled(s: str) -> bool:
            return not any(s in lab or lab in s for lab in labels)

        for m in re.finditer(r"(?<![0-9A-Za-z])\d(?:[ -]?\d){14,21}[Xx]?(?![0-9A-Za-z])", text):
            s = m.group(0)
            d = re.sub(r"[ -]", "", s)
            if unlabelled(s) and (card_valid(d) or resident_id_valid(d) and len(d) == 18):
                problems.append(f"{rid}: unlabelled {s!r} passes a card or ID check")
        for m in re.finditer(r"(?<![0-9A-Z])[0-9A-Z]{18}(?![0-9A-Z])", text):
            if unlabelled(m.group(0)) and credit_code_valid(m.group(0)):
                problems.append(f"{rid}: unlabelled valid credit code {m.group(0)!r}")
        for kind, rx in (("mobile", r"(?<!\d)1[3-9]\d{9}(?!\d)"), ("e-mail", EMAIL)):
            for m in re.finditer(rx, text):
                if unlabelled(m.group(0)):
                    problems.append(f"{rid}: unlabelled {kind} {m.group(0)!r}")
    for p in problems:
        print(p)
    print(f"{path.name}: {n} lines, {len(seen_ids)} ids; problems {len(problems)}")
    return 1 if problems else 0


if __name__ == "__main__":
    here = Path(__file__).parent
    targets = [Path(a) for a in sys.argv[1:]] or [here / f"guardrail_holdout_{s}.jsonl" for s in "ijk"]
    sys.exit(max(check(target) for target in targets))
