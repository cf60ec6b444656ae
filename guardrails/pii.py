"""Personal data in text: Chinese resident ID numbers (checksum), bank card numbers (Luhn), mobile and landline
numbers, e-mail addresses and unified social credit codes (checksum) — found, and masked.

Numbers are taken whole (a run of digits is never matched inside a longer one), validated (checksums, the card
issuers' leading digits, the numbering plans), and weighed against the words just before them: "订单号", "流水号",
"order no." make a card-like number a reference, "卡号", "card" make it a card. Dates, amounts and order numbers
that merely look like these are what the labelled set (guardrails/data/guardrail_cases.jsonl) tests against.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class PiiKind(str, Enum):
    RESIDENT_ID = "resident_id"
    BANK_CARD = "bank_card"
    MOBILE = "mobile"
    LANDLINE = "landline"
    EMAIL = "email"
    CREDIT_CODE = "credit_code"  # 统一社会信用代码: identifies an organisation


@dataclass(frozen=True, slots=True)
class PiiMatch:
    kind: PiiKind
    start: int
    end: int
    text: str


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# A digit group may be written with spaces or hyphens between blocks (6222 0212 3456 7890 123).
# Chinese text runs words into numbers ("请拨打13812345678咨询"), so only Latin letters, digits and number
# punctuation end a number; a unit after it ("13800000000元", "12%") makes it an amount.
_DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z_\-/+])(?<!\d\.)(?:\+?86[\s-]?)?\d[\d\s-]{5,30}\d[Xx]?"
                        r"(?![0-9A-Za-z_\-/]|\.\d|\s?[%％‰元万亿股份笔倍次个人户年月日号岁])")
_EMAIL = re.compile(r"(?<![0-9A-Za-z_.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![0-9A-Za-z_-])")
_CREDIT_CODE = re.compile(r"(?<![0-9A-Za-z])[0-9A-HJ-NP-RTUW-Y]{2}\d{6}[0-9A-HJ-NP-RTUW-Y]{10}(?![0-9A-Za-z])")
# Any 18 letters and digits, optionally one space or hyphen between them; every start is tried (lookahead).
_LOOSE_CODE = re.compile(r"(?<![0-9A-Za-z])(?=([0-9A-Za-z](?:[ -]?[0-9A-Za-z]){17})(?![0-9A-Za-z]))")
_OLD_ID = re.compile(r"(?<![0-9A-Za-z_\-/+.])\d{15}(?![0-9A-Za-z_\-/]|\.\d)")
_LANDLINE = re.compile(r"^(?:\(?0\d{2,3}\)?[\s-]?)\d{3,4}[\s-]?\d{4}(?:[\s-]?(?:转|ext\.?|x)\s?\d{1,5})?$", re.IGNORECASE)
_LOCAL_NUMBER = re.compile(r"^\d{4}[\s-]?\d{4}$|^\d{7}$")  # without the area code: only where the text says "电话"
_LANDLINE_PAREN = re.compile(r"(?<!\d)[(（]0\d{2,3}[)）]\s?\d{7,8}(?!\d)")
_MOBILE = re.compile(r"^(?:\+?86[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}$")
# Mobile numbers written with dots, brackets or 0086: 135.7343.4153, (139)12345678, 0086-13912345678.
_MOBILE_WRITTEN = re.compile(r"(?<![0-9A-Za-z_.])(?:(?:\+|00)?86[\s-]?)?(?:\(1[3-9]\d\)|1[3-9]\d)[\s.-]?\d{4}[\s.-]?\d{4}"
                             r"(?![0-9A-Za-z_]|\.\d)")

# A number whose check digit vouches for it is taken even when a letter or a unit touches it ("IDNo1101…",
# "身份证1101…号", "卡号6217…元"), provided the words before it name its kind; the strict run above would miss it.
_TOUCHING_RUN = re.compile(r"(?<![0-9])\d[\d\s-]{11,30}\d[Xx]?(?![0-9])")
# Full-width forms (１２３, Ｘ, －) and zero-width or ideographic spaces inside a number are read as their ASCII
# counterparts; every replacement is one character for one, so positions in the text stay valid.
_READ_AS_ASCII = {**{code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}, 0x3000: " ",
                  **{code: " " for code in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF)}}

# Words just before a number that say what it is (within a few characters).
_REFERENCE_WORDS = re.compile(
    r"订单|流水|交易|合同|编号|单号|批次|凭证|工单|序列|流程|版本|案号|文号|票号|发票|借据|保单|报文|会议|ISBN|order|ref\b|"
    r"reference|invoice|transaction|txn|serial|ticket|tracking|batch|contract|policy|meeting|version|no\.|number|#",
    re.IGNORECASE)
_CODE_WORDS = re.compile(r"(信用代码|信用代碼|社会信用|社會信用|税号|稅號|纳税人识别号|納稅人識別號|USCC|credit\s+code|"
                         r"tax(?:payer)?\s+(?:id|no|number|registration))\D{0,8}$", re.IGNORECASE)
# A first-generation (15-digit) resident ID has no check digit, so it is taken only where the words before it say
# it is an identity number ("身份证号", "旧身份证", "resident ID", "ID card no."); a business registration number
# ("营业执照注册号 110108…") or an order number of the same length is not.
_ID_WORDS = re.compile(r"身份证|身份號|身分證|身份證|证件号|證件號|公民身份|居民身份|resident\s+id|identity\s+(?:card|number|no)|"
                       r"id\s*(?:card|no|number|#)|national\s+id|(?<![a-z])id(?![a-z])", re.IGNORECASE)
_REGISTRATION_WORDS = re.compile(r"注册号|註冊號|营业执照|營業執照|registration|licen[cs]e|business", re.IGNORECASE)
_OTHER_NUMBER_WORDS = re.compile(r"订单|流水|交易|合同|工单|保单|快递|运单|发票|order|transaction|txn|serial|ticket|tracking|"
                                 r"invoice|contract|policy|case|[。；;\n]", re.IGNORECASE)
_NOT_PERSON_ID = re.compile(r"(?:order|transaction|txn|serial|ticket|tracking|invoice|contract|policy|case|customer|client|user|"
                            r"staff|employee|merchant|device|session|request|account|batch|reference|ref|trade|payment)\W*$",
                            re.IGNORECASE)
_ID_CONTEXT_CHARS = 30
# The province codes of GB/T 2260 (the first two digits of every resident ID).
_PROVINCES = frozenset({11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51,
                        52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82})
_CARD_WORDS = re.compile(r"卡号|银行卡|借记卡|信用卡|储蓄卡|账号|帐号|卡|card|account|acct|a/c", re.IGNORECASE)
_PHONE_WORDS = re.compile(r"(电话|手机|联系|热线|tel|phone|mobile|call|fax|传真)\D{0,6}$", re.IGNORECASE)
_CONTEXT_CHARS = 12

# Issuer identification: UnionPay 62, 81; Visa 4; Mastercard 51-55, 2221-2720; Amex 34, 37; JCB 35; Discover 6011,65.
_CARD_PREFIX = re.compile(r"^(?:62|81|4|5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720)|3[47]|35|6011|65)")


def resident_id_valid(number: str) -> bool:
    """An 18-character Chinese resident ID: region, a real birth date, sequence, ISO 7064 MOD 11-2 check."""
    number = number.upper()
    if not re.fullmatch(r"[1-9]\d{16}[\dX]", number):
        return False
    year, month, day = int(number[6:10]), int(number[10:12]), int(number[12:14])
    if not (1900 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= _days_in(year, month)):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(number[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == number[17]


def old_resident_id_valid(number: str) -> bool:
    """A 15-digit first-generation resident ID (issued until 2004): a province code, a real birth date written
    YYMMDD (19YY), a 3-digit sequence; it has no check digit."""
    if not re.fullmatch(r"\d{15}", number) or int(number[:2]) not in _PROVINCES:
        return False
    year, month, day = 1900 + int(number[6:8]), int(number[8:10]), int(number[10:12])
    return 1 <= month <= 12 and 1 <= day <= _days_in(year, month)


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def credit_code_valid(code: str) -> bool:
    """A unified social credit code (GB 32100-2015): 18 characters, MOD 31 check character."""
    code = code.upper()
    if len(code) != 18 or any(char not in _CODE_CHARS for char in code):
        return False
    total = sum(_CODE_CHARS.index(char) * weight for char, weight in zip(code[:17], _CODE_WEIGHTS))
    return _CODE_CHARS[(31 - total % 31) % 31] == code[17]


def _days_in(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def find_pii(text: str, kinds: frozenset[PiiKind] | None = None) -> list[PiiMatch]:
    """Every piece of personal data in `text` (of `kinds`, default all), in order, not overlapping. A match's
    text is as written (full-width digits, zero-width spaces and all)."""
    original, text = text, text.translate(_READ_AS_ASCII)
    found: list[PiiMatch] = []
    for match in _EMAIL.finditer(text):
        found.append(PiiMatch(PiiKind.EMAIL, match.start(), match.end(), match.group()))
    for match in _MOBILE_WRITTEN.finditer(text):
        if not match.group().isdigit():  # a bare run of digits is judged with its context below
            found.append(PiiMatch(PiiKind.MOBILE, match.start(), match.end(), match.group()))
    for match in _LANDLINE_PAREN.finditer(text):
        found.append(PiiMatch(PiiKind.LANDLINE, match.start(), match.end(), match.group()))
    for match in _CREDIT_CODE.finditer(text):
        if not match.group().isdigit() and credit_code_valid(match.group()):
            found.append(PiiMatch(PiiKind.CREDIT_CODE, match.start(), match.end(), match.group()))
    found += _loose_credit_codes(text, {m.start for m in found})
    for match in _OLD_ID.finditer(text):  # before the digit runs: an old ID wins over a card reading of it
        if old_resident_id_valid(match.group()) and _says_identity(text[max(0, match.start() - _ID_CONTEXT_CHARS):
                                                                         match.start()]):
            found.append(PiiMatch(PiiKind.RESIDENT_ID, match.start(), match.end(), match.group()))
    for match in _DIGIT_RUN.finditer(text):
        found += _numbers(text, match.start(), match.group())
    taken = {m.start for m in found}
    for match in _TOUCHING_RUN.finditer(text):
        if match.start() not in taken:
            found += _checked_number(text, match.start(), match.group())
    found.sort(key=lambda m: (m.start, -(m.end - m.start)))
    result: list[PiiMatch] = []
    for match in found:
        if result and match.start < result[-1].end:
            continue  # inside an e-mail address or another match already taken
        if kinds is None or match.kind in kinds:
            result.append(PiiMatch(match.kind, match.start, match.end, original[match.start:match.end]))
    return result


def _checked_number(text: str, start: int, run: str) -> list[PiiMatch]:
    """A resident ID or card number that a letter or a unit touches: taken only when its check digit holds and
    the words before it name an identity document or a card."""
    run = run.rstrip()
    digits = re.sub(r"[\s-]", "", run).upper()
    before = text[max(0, start - _ID_CONTEXT_CHARS):start]
    if len(digits) == 18 and resident_id_valid(digits) and _says_identity(before):
        return [PiiMatch(PiiKind.RESIDENT_ID, start, start + len(run), run)]
    if (digits.isdigit() and 15 <= len(digits) <= 19 and luhn_valid(digits) and _CARD_PREFIX.match(digits)
            and _CARD_WORDS.search(text[max(0, start - _CONTEXT_CHARS):start])):
        return [PiiMatch(PiiKind.BANK_CARD, start, start + len(run), run)]
    return []


def _loose_credit_codes(text: str, taken: set[int]) -> list[PiiMatch]:
    """Credit codes written in lower case or in groups ("91310000 MA1FL3L2 0X", "9131-0000-MA1F-L3L2-0X"): the 18
    characters must have the code's structure and check character, and, as separators and lower case also make
    ordinary strings look alike, the words before must say it is a code or its organisation-code part (positions
    9–17, GB 11714) must carry its own check character."""
    found = []
    for candidate in _LOOSE_CODE.finditer(text):
        raw = candidate.group(1)
        start = candidate.start()
        if start in taken or (raw.isupper() and raw.isalnum()) or raw.isdigit():
            continue  # the strict form, judged above
        code = re.sub(r"[\s-]", "", raw).upper()
        if not (_CREDIT_CODE.fullmatch(code) and credit_code_valid(code)) or code.isdigit():
            continue
        if _CODE_WORDS.search(text[max(0, start - _CONTEXT_CHARS):start]) or _organisation_code_valid(code[8:17]):
            found.append(PiiMatch(PiiKind.CREDIT_CODE, start, start + len(raw), raw))
    return found


def _organisation_code_valid(code: str) -> bool:
    """GB 11714 organisation code: 8 characters and a check character (0-9 or X)."""
    values = [int(ch) if ch.isdigit() else ord(ch) - 55 for ch in code[:8]]
    check = 11 - sum(v * w for v, w in zip(values, (3, 7, 9, 10, 5, 8, 4, 2))) % 11
    return code[8] == {10: "X", 11: "0"}.get(check, str(check))


def _says_identity(before: str) -> bool:
    """The words before a number name an identity document, and no nearer word names another kind of number."""
    named = None
    for named in _ID_WORDS.finditer(before):
        pass
    if named is None:
        return False
    after_name = before[named.end():]
    if named.group().lower() == "id" and _NOT_PERSON_ID.search(before[max(0, named.start() - 16):named.start()]):
        return False  # "transaction ID", "customer ID", "device ID"
    return not _REGISTRATION_WORDS.search(after_name) and not _OTHER_NUMBER_WORDS.search(after_name)


def _numbers(text: str, start: int, run: str) -> list[PiiMatch]:
    """The run as one number, else each of its space-separated parts ("13812345678 13987654321")."""
    kind = _classify_number(run, text[max(0, start - _CONTEXT_CHARS):start])
    if kind is not None:
        return [PiiMatch(kind, start, start + len(run), run)]
    found = []
    if re.search(r"\s", run):
        for part in re.finditer(r"\S+", run):
            at = start + part.start()
            kind = _classify_number(part.group(), text[max(0, at - _CONTEXT_CHARS):at])
            if kind is not None:
                found.append(PiiMatch(kind, at, at + len(part.group()), part.group()))
    return found


def _classify_number(raw: str, before: str) -> PiiKind | None:
    compact = re.sub(r"[\s-]", "", raw)
    grouped = compact != raw
    if _MOBILE.match(raw.strip()):
        return PiiKind.MOBILE
    if _LANDLINE.match(raw.strip()) and (grouped or _PHONE_WORDS.search(before)) and not _looks_like_date(raw):
        return PiiKind.LANDLINE
    if _LOCAL_NUMBER.match(raw.strip()) and _PHONE_WORDS.search(before):
        return PiiKind.LANDLINE
    digits = compact.upper()
    if len(digits) == 18 and resident_id_valid(digits):
        return PiiKind.RESIDENT_ID
    if len(digits) == 18 and credit_code_valid(digits) and (_CODE_WORDS.search(before) or (
            _organisation_code_valid(digits[8:17]) and int(digits[2:4]) in _PROVINCES
            and not _REFERENCE_WORDS.search(before))):
        # an all-digit code: where the text says it is one, or where its organisation-code part checks too
        # (a random 18-digit number passes both checks about once in 340)
        return PiiKind.CREDIT_CODE
    if digits.isdigit() and 13 <= len(digits) <= 19 and luhn_valid(digits):
        if _CARD_WORDS.search(before):  # the words just before it: "卡号", "card number", "account"
            return PiiKind.BANK_CARD
        if _REFERENCE_WORDS.search(before):
            return None  # an order, transaction or contract number that happens to pass Luhn
        if _CARD_PREFIX.match(digits) and len(digits) >= 15:
            return PiiKind.BANK_CARD
    return None


def _looks_like_date(raw: str) -> bool:
    return bool(re.match(r"^(?:19|20)\d{2}[-/]\d{1,2}(?:[-/]\d{1,2})?$", raw.strip()))


def mask(match: PiiMatch) -> str:
    """The match with its identifying middle hidden; separators kept, the ends that help a person recognise it."""
    text = match.text
    if match.kind is PiiKind.EMAIL:
        local, _, domain = text.partition("@")
        return f"{local[:1]}***@{domain}"
    keep_start, keep_end = {
        PiiKind.RESIDENT_ID: (3, 2),   # 110***********12: the province only, never the birth date
        PiiKind.BANK_CARD: (4, 4),
        PiiKind.MOBILE: (3, 4),
        PiiKind.LANDLINE: (4, 2),
        PiiKind.CREDIT_CODE: (4, 4),
    }[match.kind]
    positions = [i for i, char in enumerate(text) if char.isalnum()]
    if match.kind is PiiKind.LANDLINE:
        area = re.match(r"[(（]?(0\d{2,3})[)）\s-]", text)
        keep_start = len(area.group(1)) if area else 0  # the area code says only the city
    if match.kind is PiiKind.MOBILE and len(positions) > 11:  # +86: keep the country code and the first three
        keep_start += len(positions) - 11
    hidden = set(positions[keep_start:len(positions) - keep_end])
    return "".join("*" if i in hidden else char for i, char in enumerate(text))


def mask_pii(text: str, kinds: frozenset[PiiKind] | None = None) -> str:
    """`text` with every piece of personal data of `kinds` (default all) masked."""
    matches = find_pii(text, kinds)
    if not matches:
        return text
    parts, cursor = [], 0
    for match in matches:
        parts += [text[cursor:match.start], mask(match)]
        cursor = match.end
    parts.append(text[cursor:])
    return "".join(parts)
