"""Personal data in text: Chinese resident ID numbers (checksum), bank card numbers (Luhn), mobile and landline
numbers, e-mail addresses and unified social credit codes (checksum) — found, and masked.

The text is read as ASCII (full-width forms, typeset dashes and spaces) with zero-width characters skipped; a
match is always the text as written. A number is a run of digit groups joined by whatever people, forms and OCR put
between them (spaces, hyphens, dots, slashes, a line break, every digit apart), taken whole or cut only between
blocks that are grouped differently ("2026-12-06 6222 0212 3456 7890 128"), never inside a regular grouping. It is
judged by what touches it (a code, a decimal, a unit, a currency sign), by its grouping (a table row read across is
no card), validated (checksums, the card issuers' prefixes and lengths, the numbering plans), and weighed against
the nearest words before it: "订单号", "流水号", "transaction" make a card-like number a reference, "卡号", "card"
make it a card. evaluation/pii_stress.py generates the forms and look-alikes this is measured on; the labelled
sets are in guardrails/data/.
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

# A number is read as digit groups joined by what people, forms and OCR put between them: one or two spaces, a tab,
# a hyphen (spaced or not), a dot or a slash, or one line break ("6222 0212 3456 7890 128", "110105-19491231-002X",
# "135.7343.4153", a card broken over two lines). Possessive, so a run is always taken whole, never cut short to
# dodge a unit after it. Whether the run may be a number at all is judged from the characters around it
# (`_stands_alone`), and its grouping from the sizes of its groups (`_plausible_groups`).
_SEPARATOR = r"(?:[ \t]{1,2}|[ \t]?-[ \t]?|[./]|[ \t]*\n[ \t]*)"
_RUN = re.compile(rf"(?:\+ ?)?\d++(?:{_SEPARATOR}\d++)*+(?:{_SEPARATOR}?[Xx](?![A-Za-z0-9]))?")
_GROUP_BREAK = re.compile(_SEPARATOR)
_UNIT_AFTER = re.compile(r"\s?[%％‰元万亿股份笔倍次个人户年月日号岁]")
# English labels OCR runs into the number they name (a space lost): the letters are no part of a code.
_TOUCHING_LABEL = re.compile(r"(?<![A-Za-z])(?:tel|phone|mobile|mob|cell|fax|card|acct|account|id|idcard)"
                             r"(?:no|num|number)?\.?$", re.IGNORECASE)
_CURRENCY_BEFORE = re.compile(r"(?:[¥$€£]|RMB|CNY|USD|HKD|EUR|GBP|JPY)\s?$", re.IGNORECASE)
_DECIMAL_END = re.compile(r"^[^.]*\d\.\d{1,2}$")  # 62220212345678901.28: an amount with its cents
_COUNTRY_CODE = re.compile(r"^(?:\+ ?|00)86(?:[ .-]|(?=[\d(]))|^86(?:[ -]|(?=1[3-9]\d{9}$))")
# A landline with an extension after a second hyphen, as forms and signatures write it: 010-62345678-8023,
# +86-10-62345678-801. The extension is no part of the number (the labelling conventions, HOLDOUT_CD.md).
_LANDLINE_DASH_EXTENSION = re.compile(r"^((?:(?:\+|00)86-\d{2,3}|0\d{2,3})-[2-9]\d{6,7})-\d{1,4}$")
_EMAIL = re.compile(
    r"(?:(?<![0-9A-Za-z_.+-])|(?<=[^\x00-\x7f]_))[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}"
    r"(?:\s{0,2}@\s{0,2}|\s?[\[({]at[\])}]\s?)"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:(?:\.|\s?[\[({]dot[\])}]\s?)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(?:\.|\s?[\[({]dot[\])}]\s?)"
    r"[A-Za-z]{2,24}(?![0-9A-Za-z-]|_[\x00-\x7f])", re.IGNORECASE)  # "资料_a@b.cn_扫描件": a file name's fields
# "name at example dot com": the spelled-out form is taken only whole (" at " and " dot "), so "contact us at
# example.com" stays prose.
_EMAIL_SPELLED = re.compile(r"(?:(?<![0-9A-Za-z_.+-])|(?<=[^\x00-\x7f]_))[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}"
                            r" at [A-Za-z0-9-]{1,63}"
                            r"(?: dot [A-Za-z0-9-]{1,63})* dot [A-Za-z]{2,24}(?![0-9A-Za-z-]|_[\x00-\x7f])",
                            re.IGNORECASE)
_EMAIL_AT = re.compile(r"\s*(?:@|[\[({]at[\])}]| at )\s*", re.IGNORECASE)
_CREDIT_CODE = re.compile(r"(?<![0-9A-Za-z])[0-9A-HJ-NP-RTUW-Y]{2}\d{6}[0-9A-HJ-NP-RTUW-Y]{10}(?![0-9A-Za-z])")
# Any 18 letters and digits, optionally one space, line break or hyphen between them; every start is tried.
# The code's shape is in the pattern (two characters, six digits, ten characters), so ordinary words fail at once.
_CODE_GAP = r"(?:[ \t.-]|\s?\n\s?)?"  # "." also stands for a typeset middle dot (`_READ_AS_ASCII`)
_LOOSE_BODY = ("[0-9A-Za-z]" + _CODE_GAP + "[0-9A-Za-z]" + (_CODE_GAP + r"\d") * 6 + (_CODE_GAP + "[0-9A-Za-z]") * 10)
_LOOSE_CODE = re.compile(r"(?<![0-9A-Za-z])(?=(" + _LOOSE_BODY + r")(?![0-9A-Za-z]))")
# A code run into its English label ("USCC91350100M000100Y43"), as OCR that lost the space writes it.
_CODE_AFTER_LABEL = re.compile(r"(?=[UuTt])(?<![A-Za-z])(?:USCC|TIN|TaxID)(?:No)?\.?:?(" + _LOOSE_BODY + r")(?![0-9A-Za-z])",
                               re.IGNORECASE)
# Chinese area codes: 010 and 02X, or 0 and three digits from 3 to 9; a local number of 7 or 8 digits that does
# not start with 0 or 1. Where the area code is written apart from the number, its first group says where it ends.
_AREA_AND_LOCAL = re.compile(r"^(0(?:10|2\d|[3-9]\d\d))([2-9]\d{6,7})$")
_AREA_CODE = re.compile(r"^0[1-9]\d{1,2}$")  # written apart, any area code: (049) 2231234 is a landline too
_LOCAL_NUMBER = re.compile(r"^[2-9]\d{3}[\s-]?\d{4}$|^[2-9]\d{6}$")  # without the area code: only after "电话"
# A landline with its area code in brackets, its local part grouped or not: (010)62345678, （0755） 8321 8866,
# +86 (20) 72656019, and as business cards write it, +86 (0)20 7265 6019.
_LANDLINE_PAREN = re.compile(r"(?=[(+0])(?:(?:(?<!\d)\+|(?<![\dA-Za-z])00)86[ -]?(?:\(0?\d{2,3}\)|\(0\)[ ]?\d{2,3}[ -]?)"
                             r"|(?<!\d)\(0\d{2,3}\))"
                             r"[ ]?\d{3,4}[ -]?\d{4}(?![\dA-Za-z])")
# Mobile numbers written with the prefix in brackets, (139)12345678; a country code in brackets before a mobile
# number, (+86) 139 1234 5678, is taken into its match (`_PAREN_COUNTRY`).
_MOBILE_WRITTEN = re.compile(r"(?=[(+08])(?:(?<![0-9A-Za-z_.])(?:\+|00)?86[ -]?|(?<![0-9.]))\(1[3-9]\d\)[ .-]?\d{4}[ .-]?\d{4}"
                             r"(?![0-9A-Za-z_]|\.\d)")
# A mobile number grouped 3-4-4 is that whatever follows it ("181 4106 6432 2026"), unless it starts inside a run.
_MOBILE_GROUPED = re.compile(r"(?=[+01])(?<![0-9A-Za-z_.])(?<!\d[ \t.-])(?<!\d  )(?:(?:\+|00)86[ -]?)?1[3-9]\d"
                             r"(?:[ \t]{1,2}|[ \t]?[-.][ \t]?|\n)\d{4}(?:[ \t]{1,2}|[ \t]?[-.][ \t]?|\n)\d{4}"
                             r"(?![0-9A-Za-z_]|[.-]\d)")
_PAREN_COUNTRY = re.compile(r"\(\s?(?:\+|00)?86\s?\)[ ]?$")
# How mobile numbers are grouped: 138 1234 5678, 138 12345678, 1381 2345 678, 1381234 5678, or digit by digit;
# "134 240 223 91" is a table row.
_MOBILE_GROUPS = re.compile(r"^(?:11|3,4,4|3,8|4,4,3|7,4|1(?:,1){10})$")
_YEAR = re.compile(r"(?:19|20)\d\d$")

# Full-width forms (１２３, Ｘ, －, ＠), the dashes and spaces of typesetting (– — ‐ −, no-break, thin and
# ideographic spaces) are read as their ASCII counterparts, one character for one; zero-width characters and soft
# hyphens are skipped (`_reading` keeps where each read character came from, so a match is the text as written).
_READ_AS_ASCII = {**{code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}, 0xFFE5: "¥", 0xFFE1: "£",
                  0x3000: " ", 0x00A0: " ", 0x202F: " ", 0x205F: " ", **{code: " " for code in range(0x2000, 0x200B)},
                  **{code: "-" for code in (0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212, 0xFE63)},
                  # middle dots typeset between digit groups ("6222·0212·3456·7890", "010·62345678") read as a dot
                  0x00B7: ".", 0x30FB: ".", 0x2027: "."}
# OCR reads a 0 as O and a 1 as I or l inside a number ("11O105198…", "6222 O212", "138I2345678"). Read them as the
# digit only between digits (or an l ending a run of three digits or more, "…604l"), so a word is never read as a number. O and
# I are no letters of a credit code; l is (lower-case L), so credit codes are looked for in the reading without it.
# (the letter first, then the look-behind: a pattern that opens with a look-behind tries it at every position)
_OCR_LETTER = re.compile(r"[OoI](?<=\d[OoI])(?=\d)")
_OCR_LETTER_L = re.compile(r"l(?:(?<=\dl)(?=\d)|(?<=\d{3}l)(?![0-9A-Za-z]))")
_OCR_DIGIT = {"O": "0", "o": "0", "I": "1", "l": "1"}
_UNREAD = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")

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
_CARD_WORDS = re.compile(r"卡号|银行卡|借记卡|信用卡|储蓄卡|账号|帐号|账户|帳號|卡|card|account|acct|a/c", re.IGNORECASE)
# The words that name another kind of number outright; where one of them is nearer the number than a card word
# ("卡号6222…，交易流水号 6222…"), the number is that kind. The generic ones (编号, no., number, #) name nothing and
# only count where no card word does.
_SPECIFIC_REFERENCE_WORDS = re.compile(
    r"订单|流水|交易|合同|单号|批次|凭证|工单|案号|文号|票号|发票|借据|保单|报文|注册号|執照|执照|order|invoice|transaction|"
    r"txn|serial|ticket|tracking|batch|contract|policy|registration", re.IGNORECASE)
_PHONE_WORDS = re.compile(r"(电话|電話|手机|手機|联系|聯繫|热线|座机|tel|phone|mobile|call|fax|传真|傳真)\D{0,6}$",
                          re.IGNORECASE)
_CONTEXT_CHARS = 20  # "请核对card number 【…": the label, a space and a bracket fit

# Issuer identification and the lengths each issuer uses: UnionPay 62 and 81 (16-19), Visa 4 (13, 16, 19),
# Mastercard 51-55 and 2221-2720 (16), Amex 34 and 37 (15), JCB 35 (16-19), Discover 6011 and 65 (16-19). A number
# no words call a card must fit one of them; a number the words call a card need only pass Luhn.
_CARD_ISSUERS = ((re.compile(r"^(?:62|81)"), range(16, 20)), (re.compile(r"^4"), (13, 16, 19)),
                 (re.compile(r"^(?:5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720))"), (16,)), (re.compile(r"^3[47]"), (15,)),
                 (re.compile(r"^(?:35|6011|65)"), range(16, 20)))
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


def _reading(text: str) -> tuple[str, "list[int] | range"]:
    """`text` as the detector reads it (`_READ_AS_ASCII`, zero-width characters skipped) and, for each character
    read, its position in `text`."""
    if not any(char in text for char in _UNREAD):
        return _ocr_digits(text.translate(_READ_AS_ASCII)), range(len(text))
    chars, where = [], []
    for index, char in enumerate(text):
        if char in _UNREAD:
            continue
        chars.append(char)
        where.append(index)
    return _ocr_digits("".join(chars).translate(_READ_AS_ASCII)), where


def _ocr_digits(read: str) -> str:
    return _OCR_LETTER.sub(lambda m: _OCR_DIGIT[m.group()], read) if any(c in read for c in "OoI") else read


def find_pii(text: str, kinds: frozenset[PiiKind] | None = None) -> list[PiiMatch]:
    """Every piece of personal data in `text` (of `kinds`, default all), in order, not overlapping. A match's
    text is as written (full-width digits, zero-width spaces and all)."""
    original = text
    codes_text, where = _reading(text)  # credit codes are read here: a lower-case code may hold an l
    text = _OCR_LETTER_L.sub("1", codes_text) if "l" in codes_text else codes_text
    found: list[PiiMatch] = []
    lowered = text.lower()
    email_patterns = (_EMAIL,) if "@" in text or "at]" in lowered or "at)" in lowered or "at}" in lowered else ()
    if " dot " in lowered:
        email_patterns += (_EMAIL_SPELLED,)
    for pattern in email_patterns:  # (only where an at-sign is written: the patterns are slow on long text)
        for match in pattern.finditer(text):
            found.append(PiiMatch(PiiKind.EMAIL, match.start(), match.end(), match.group()))
    for pattern in (_MOBILE_WRITTEN, _MOBILE_GROUPED) if "(" in text else (_MOBILE_GROUPED,):
        for match in pattern.finditer(text):
            start = match.start()
            country = _PAREN_COUNTRY.search(text, max(0, start - 8), start) if pattern is _MOBILE_GROUPED else None
            if country:  # "(+86) 171 3328 9226": the country code in brackets is part of it
                start = country.start()
            found.append(PiiMatch(PiiKind.MOBILE, start, match.end(), text[start:match.end()]))
    for match in _LANDLINE_PAREN.finditer(text) if "(" in text else ():
        if _landline_digits(match.group()):
            found.append(PiiMatch(PiiKind.LANDLINE, match.start(), match.end(), match.group()))
    for match in _CREDIT_CODE.finditer(codes_text):
        if not match.group().isdigit() and credit_code_valid(match.group()) and not resident_id_valid(match.group()):
            # 12010119760815638X is both; read as the ID (a code with a birth date in it is the rarer reading)
            found.append(PiiMatch(PiiKind.CREDIT_CODE, match.start(), match.end(), match.group()))
    for match in _CODE_AFTER_LABEL.finditer(codes_text):
        code = re.sub(r"[\s-]", "", match.group(1)).upper()
        if _CREDIT_CODE.fullmatch(code) and credit_code_valid(code) and not resident_id_valid(code):
            found.append(PiiMatch(PiiKind.CREDIT_CODE, match.start(1), match.end(1), match.group(1)))
    found += _loose_credit_codes(codes_text, {m.start for m in found})
    for match in _RUN.finditer(text):
        start, run = match.start(), match.group()
        if run.startswith("+") and not re.match(r"\+ ?86", run):
            start, run = start + 1, run[1:]  # a plus sign that is no country code is not part of the number
        extension = _LANDLINE_DASH_EXTENSION.match(run)
        if (extension and _landline_digits(extension.group(1)) and _stands_alone(text, start, start + len(run))
                and not _SPECIFIC_REFERENCE_WORDS.search(text, max(0, start - _CONTEXT_CHARS), start)):
            numbers = [PiiMatch(PiiKind.LANDLINE, start, start + len(extension.group(1)), extension.group(1))]
        elif _stands_alone(text, start, start + len(run)):
            numbers = _numbers(text, start, run)
        else:  # a letter, a unit or a code touches it: only a number whose check digit vouches for it, or the
            # parts of the run the touching part leaves ("卡号6222 0212 3456 7890 128 5000元")
            numbers = _checked_number(text, start, run) or _untouched_parts(text, start, run)
        for number in numbers:
            country = _PAREN_COUNTRY.search(text, max(0, number.start - 8), number.start)
            if country and number.kind is PiiKind.MOBILE:
                number = PiiMatch(number.kind, country.start(), number.end, text[country.start():number.end])
            found.append(number)
    found.sort(key=lambda m: (m.start, -(m.end - m.start)))
    result: list[PiiMatch] = []
    taken_until = 0  # in the text as read
    for match in found:
        if match.start < taken_until:
            continue  # inside an e-mail address or another match already taken
        taken_until = match.end
        if kinds is None or match.kind in kinds:
            start, end = where[match.start], where[match.end - 1] + 1
            result.append(PiiMatch(match.kind, start, end, original[start:end]))
    return result


def _stands_alone(text: str, start: int, end: int) -> bool:
    """Nothing around the run makes it part of something else: a code ("ORD-6222…", "v2.13…"), a decimal
    ("3.1415…"), a longer token of letters, or an amount ("13800000000元", "12%"). Chinese text runs words into
    numbers ("请拨打13812345678咨询") and fields are joined by slashes, hyphens or underscores ("张三/13812345678/北京",
    "资料_6222…_扫描件.pdf"), so a Chinese character, a space or punctuation on either side is no objection."""
    before, before2 = text[start - 1:start], text[start - 2:start - 1]
    if before.isascii() and before.isalpha() and _TOUCHING_LABEL.search(text, max(0, start - 16), start):
        before, before2 = " ", " "  # "Mobile13812345678", "CardNo6222…": the letters are its label
    if _CURRENCY_BEFORE.search(text, max(0, start - 4), start) or _DECIMAL_END.match(text, start, end):
        return False  # an amount: ¥13812345678, USD 4367…, 62220212345678901.28
    if before and before.isascii() and before.isalnum():
        return False
    if before in ("-", "/", "+", "_") and before2.isascii() and before2.isalnum():
        return False  # "ORD-6222…", "ID_1101…": a code; "资料_6222…" is a file name's field
    if before == "." and before2.isdigit():
        return False
    if before == "," and before2.isdigit() and re.match(r"\d{3}(?!\d)", text[start:end]):
        return False  # the rest of "1,020 260 263": thousands
    after, after2 = text[end:end + 1], text[end + 1:end + 2]
    if after and after.isascii() and after.isalnum():
        return False
    if after in ("-", "/", "_") and after2.isascii() and after2.isalnum():
        return False
    if after == "." and after2.isdigit():
        return False
    return not _UNIT_AFTER.match(text, end)


def _untouched_parts(text: str, start: int, run: str) -> list[PiiMatch]:
    """The run without its first or last part, where that part is what touches a letter or a unit."""
    parts = [gap for gap in _PART_BREAK.finditer(run)]
    if not parts:
        return []
    head = run[:parts[-1].start()]  # without the last part
    if _stands_alone(text, start, start + len(head)):
        return _numbers(text, start, head)
    tail_at = start + parts[0].end()  # without the first part
    if _stands_alone(text, tail_at, start + len(run)):
        return _numbers(text, tail_at, run[parts[0].end():])
    return []


def _checked_number(text: str, start: int, run: str) -> list[PiiMatch]:
    """A resident ID or card number that a letter or a unit touches: taken only when its check digit holds and
    the words before it name an identity document or a card."""
    run = run.rstrip()
    digits = re.sub(r"[\s./-]", "", run).upper()
    before = text[max(0, start - _ID_CONTEXT_CHARS):start]
    if len(run) < 13 or not _plausible_groups(run, 3):
        return []
    if (len(digits) == 18 and resident_id_valid(digits) or len(digits) == 15 and old_resident_id_valid(digits)) \
            and _says_identity(before):
        return [PiiMatch(PiiKind.RESIDENT_ID, start, start + len(run), run)]
    if (digits.isdigit() and 15 <= len(digits) <= 19 and luhn_valid(digits) and _CARD_PREFIX.match(digits)
            and _card_named(text[max(0, start - _CONTEXT_CHARS):start]) and _plausible_groups(run, 4)):
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
        code = re.sub(r"[\s.-]", "", raw).upper()
        if not (_CREDIT_CODE.fullmatch(code) and credit_code_valid(code)) or code.isdigit() or resident_id_valid(code):
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
    after_name = re.sub(r"[\s:：]+$", "", before[named.end():])  # a label on the line above is still its label
    if named.group().lower() == "id" and _NOT_PERSON_ID.search(before[max(0, named.start() - 16):named.start()]):
        return False  # "transaction ID", "customer ID", "device ID"
    return not _REGISTRATION_WORDS.search(after_name) and not _OTHER_NUMBER_WORDS.search(after_name)


def _card_named(before: str) -> bool:
    """A card word is the nearest word naming a kind of number before it."""
    card = reference = None
    for card in _CARD_WORDS.finditer(before):
        pass
    for reference in _SPECIFIC_REFERENCE_WORDS.finditer(before):
        pass
    return card is not None and (reference is None or card.start() > reference.start())


def _plausible_groups(run: str, smallest: int) -> bool:
    """How the digits are grouped fits a number written by a person or a form: one group, every digit apart (a
    form's boxes), or groups of at least `smallest` digits but the last ("6222 0212 3456 7890 128",
    "110105 19491231 002X"). Columns of a table read across ("625 3 142 157 8 667") fit none of these."""
    sizes = _sizes(run)
    return len(sizes) == 1 or all(size == 1 for size in sizes) or all(size >= smallest for size in sizes[:-1])


# (Patterns that begin with look-behinds start with a look-ahead for their first character: it fails fastest.)
# Where a run may be cut into parts: whitespace or a slash between two groups (never a hyphen or a dot, which
# join the groups of one number).
_PART_BREAK = re.compile(r"(?<=[\dXx])(?:[ \t]{1,2}|[ \t]*\n[ \t]*|/)(?=[\d+Xx])")


def _numbers(text: str, start: int, run: str) -> list[PiiMatch]:
    """The run as one number; else the longest stretches of its blocks that are one, up to six blocks long
    ("2026-12-06 6222 0212 3456 7890 128 12" holds a card between a date and an amount; "13812345678
    13987654321" is two numbers). A block is a part of the run between spaces, line breaks or slashes, except
    that parts of one size (3 to 6 digits, the last one shorter) are one block, and so are single digits in a row:
    a number grouped regularly ("6230 5808 1683 6912 101") or spelt out digit by digit is never cut, so the
    pieces of a number that fails its check are not taken for other numbers. A year at either end of the run is a
    block of its own ("2026 6222 0212 3456 7890 128").""" 
    kind = _classify_number(run, text[max(0, start - _ID_CONTEXT_CHARS):start])
    if kind is not None:
        return [PiiMatch(kind, start, start + len(run), run)]
    blocks = _blocks(run)
    if len(blocks) < 2:
        return []
    found: list[PiiMatch] = []
    free = [True] * len(blocks)
    for size in range(min(6, len(blocks) - 1), 0, -1):
        for first in range(len(blocks) - size + 1):
            last = first + size - 1
            if not all(free[first:last + 1]):
                continue
            at, end = start + blocks[first][0], start + blocks[last][1]
            kind = _classify_number(text[at:end], text[max(0, at - _ID_CONTEXT_CHARS):at],
                                    part_of_run=end - at > len(text[at:end].split()[0]))
            if kind is not None:
                found.append(PiiMatch(kind, at, end, text[at:end]))
                free[first:last + 1] = [False] * size
    return found


def _blocks(run: str) -> list[tuple[int, int]]:
    """(start, end) in `run` of each block (see `_numbers`)."""
    parts, at = [], 0
    for gap in _PART_BREAK.finditer(run):
        parts.append((at, gap.start()))
        at = gap.end()
    parts.append((at, len(run)))
    blocks: list[list[int]] = []  # [start, end, size of its parts, parts]
    for index, (begin, end) in enumerate(parts):
        size = end - begin
        year = index in (0, len(parts) - 1) and len(parts) > 2 and _YEAR.match(run, begin, end)
        if blocks and not year and not (index == 1 and blocks[0][3] == 0):
            block = blocks[-1]
            same = size == block[2] and (3 <= size <= 6 or size == 1) and block[3] > 0
            tail = size < block[2] and 3 <= block[2] <= 6 and block[3] > 1 and block[3] > 0
            if same or tail:
                block[1] = end
                block[3] = block[3] + 1 if same else -1  # -1: closed by a shorter last group
                continue
        blocks.append([begin, end, size, 0 if year else 1])  # a year at either end stands alone
    return [(block[0], block[1]) for block in blocks]


def _sizes(run: str) -> list[int]:
    return [len(group) for group in _GROUP_BREAK.split(run.strip().lstrip("+")) if group]


def _landline_digits(raw: str) -> bool:
    """A Chinese landline with its area code: 0 + area + local, or +86/0086 + area without its 0 + local; the
    first group, where the number is grouped, is the area code."""
    body = raw.strip()
    country = _COUNTRY_CODE.match(body)
    if country:
        body = body[country.end():].lstrip(" .-")
    groups = [group for group in re.split(r"[\s()./-]+", body) if group]
    if country and len(groups) > 2 and groups[0] == "0":
        groups = groups[1:]  # the trunk prefix of +86 (0)20 …
    digits = "".join(groups)
    if country:
        digits = "0" + digits
    if len(groups) == 1:
        return bool(_AREA_AND_LOCAL.match(digits))
    area = "0" + groups[0] if country else groups[0]
    if not (_AREA_CODE.match(area) and re.fullmatch(r"[2-9]\d{6,7}", digits[len(area):])):
        return False
    local = [len(group) for group in groups[1:]]  # 8321 8866, 626-5678 or whole: never table columns
    return groups[0] in (area, area[1:]) and (len(local) == 1 or local in ([4, 4], [3, 4], [4, 3]))


def _classify_number(raw: str, before_id: str, part_of_run: bool = False) -> PiiKind | None:
    """What the run is, from its digits, its grouping and the words before it (`before_id`: the wider window
    identity words are looked for in; the other kinds' words must be nearer). Parts of a longer run joined by
    spaces are a landline only where the words say so: their grouping is no evidence when the groups go on."""
    raw = raw.strip()
    before = before_id[-_CONTEXT_CHARS:]
    compact = re.sub(r"[\s./-]", "", raw)
    grouped = compact != raw
    country = _COUNTRY_CODE.match(raw)
    national = raw[country.end():].lstrip(" .-") if country else raw
    national_compact = re.sub(r"[\s./-]", "", national)
    if re.fullmatch(r"1[3-9]\d{9}", national_compact) and _MOBILE_GROUPS.match(",".join(map(str, _sizes(national)))):
        return PiiKind.MOBILE
    if (_landline_digits(raw) and ((grouped or country) and not part_of_run or _PHONE_WORDS.search(before))
            and not _looks_like_date(raw)
            and _plausible_groups(national, 2)):
        return PiiKind.LANDLINE
    if _LOCAL_NUMBER.match(raw) and _PHONE_WORDS.search(before):
        return PiiKind.LANDLINE
    if country or compact.startswith("+"):
        return None
    digits = compact.upper()
    if len(digits) == 18 and resident_id_valid(digits) and _plausible_groups(raw, 3):
        return PiiKind.RESIDENT_ID
    if len(digits) == 18 and credit_code_valid(digits) and (_CODE_WORDS.search(before) or (
            _organisation_code_valid(digits[8:17]) and int(digits[2:4]) in _PROVINCES
            and not _REFERENCE_WORDS.search(before))):
        # an all-digit code: where the text says it is one, or where its organisation-code part checks too
        # (a random 18-digit number passes both checks about once in 340)
        return PiiKind.CREDIT_CODE
    if (len(digits) == 15 and old_resident_id_valid(digits) and _plausible_groups(raw, 3)
            and _says_identity(before_id)):
        return PiiKind.RESIDENT_ID  # a first-generation ID: only where the words say so (it has no check digit)
    if digits.isdigit() and 13 <= len(digits) <= 19 and luhn_valid(digits) and _plausible_groups(raw, 4):
        if _card_named(before):  # the words just before it: "卡号", "card number", "account"
            return PiiKind.BANK_CARD
        if _REFERENCE_WORDS.search(before):
            return None  # an order, transaction or contract number that happens to pass Luhn
        if any(prefix.match(digits) and len(digits) in lengths for prefix, lengths in _CARD_ISSUERS):
            return PiiKind.BANK_CARD
    return None


def _looks_like_date(raw: str) -> bool:
    return bool(re.match(r"^(?:19|20)\d{2}[-/.]\d{1,2}(?:[-/.]\d{1,2})?$", raw.strip()))


def mask(match: PiiMatch) -> str:
    """The match with its identifying middle hidden; separators kept, the ends that help a person recognise it."""
    text = match.text
    if match.kind is PiiKind.EMAIL:  # z***@example.com; written "zhang[at]example.com", z***[at]example.com
        at = _EMAIL_AT.search(text.translate(_READ_AS_ASCII))
        if at is None:
            return "*" * len(text)
        return f"{text[:1]}***{text[at.start():]}"
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
