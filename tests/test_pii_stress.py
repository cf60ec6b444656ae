"""Personal-data detection (issue #12, item 5) on generated text: the seeded stress set of
evaluation/pii_stress.py (every kind in many written forms and surroundings, and look-alikes), and properties
hypothesis checks on values, separators and surroundings it draws itself: found whole, masked whole, and
look-alikes with a wrong check digit left alone."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhiku.evaluation.pii_stress import Values, _id_check, _luhn_digit, evaluate, generate
from zhiku.guardrails.pii import PiiKind, find_pii, mask_pii


def test_the_generated_stress_set_meets_the_targets():
    result = evaluate(generate(1207))
    assert result["items"] > 10_000 and result["negatives"] > 250
    failures = {what: len(errors) for what, errors in result["failures"].items()}
    assert result["recall"] >= 0.99, failures
    assert result["false_alarms"] == 0 and result["mask_leaks"] == 0, failures


def test_another_seed_draws_other_values_in_the_same_forms():
    result = evaluate(generate(20261207))
    assert result["recall"] >= 0.99 and result["false_alarms"] == 0 and result["mask_leaks"] == 0


SEPARATORS = st.sampled_from([" ", "-", "  ", " - ", ".", "\u00a0", "\u3000", "\u200b", "–", "－", "\n", "/"])
# No unit characters after a number here (元, 号, 日, 户 … make it an amount or a date, tested elsewhere).
CJK_AROUND = st.text(alphabet="客的账款已核实请在内办理，。；：、（）【】“”《》 \t", max_size=6)
SEED = st.integers(min_value=0, max_value=2**32 - 1)


def _grouped(value: str, sizes: list[int], separator: str) -> str:
    parts, at = [], 0
    for size in sizes:
        parts.append(value[at:at + size])
        at += size
    parts.append(value[at:])
    return separator.join(part for part in parts if part)


def _assert_found_and_masked(text: str, kind: PiiKind, written: str, visible: int) -> None:
    found = [(m.kind, m.text) for m in find_pii(text)]
    assert (kind, written) in found, (text, found)
    masked = mask_pii(text)
    start = text.index(written)
    region = masked[start:start + len(written)]
    assert len(masked) == len(text) and sum(ch.isalnum() for ch in region) <= visible, (text, masked)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=SEED, issuer=st.sampled_from(["unionpay16", "unionpay19", "visa", "mastercard", "amex"]),
       separator=SEPARATORS, label=st.sampled_from(["卡号", "银行卡号：", "Card No. ", "账号 ", "收款账户："]),
       before=CJK_AROUND, after=CJK_AROUND)
def test_any_card_in_blocks_of_four_is_found_and_masked_whole(seed, issuer, separator, label, before, after):
    card = Values(seed).card(issuer)
    written = _grouped(card, [4] * 4, separator)
    _assert_found_and_masked(f"{before}{label}{written}{after}", PiiKind.BANK_CARD, written, 8)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=SEED, x=st.booleans(), separator=SEPARATORS,
       grouping=st.sampled_from([[18], [6, 8], [6, 8, 3], [4, 4, 4, 4], [3, 3, 4, 4]]),
       label=st.sampled_from(["", "身份证号", "公民身份号码：", "ID No. ", "证件号码 "]), before=CJK_AROUND,
       after=CJK_AROUND)
def test_any_resident_id_is_found_and_masked_whole(seed, x, separator, grouping, label, before, after):
    number = Values(seed).resident_id(check_x=x)
    written = _grouped(number, grouping, separator)
    _assert_found_and_masked(f"{before}{label}{written}{after}", PiiKind.RESIDENT_ID, written, 5)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=SEED, prefix=st.sampled_from(["", "+86", "+86 ", "+86-", "0086", "0086 ", "86-", "(+86)", "（+86） "]),
       separator=SEPARATORS, grouping=st.sampled_from([[11], [3, 4], [3, 8], [4, 4]]),
       before=CJK_AROUND, after=CJK_AROUND)
def test_any_mobile_is_found_and_masked_whole(seed, prefix, separator, grouping, before, after):
    number = Values(seed).mobile()
    written = prefix + _grouped(number, grouping, separator)
    _assert_found_and_masked(f"{before}手机{written}{after}", PiiKind.MOBILE, written, 13)


@settings(max_examples=200, deadline=None)
@given(seed=SEED, issuer=st.sampled_from(["unionpay16", "unionpay19", "visa", "mastercard"]), separator=SEPARATORS,
       before=CJK_AROUND)
def test_a_wrong_check_digit_is_never_taken_for_a_card_or_an_id(seed, issuer, separator, before):
    values = Values(seed)
    card = values.card(issuer)
    wrong_card = card[:-1] + str((int(card[-1]) + 1 + seed % 9) % 10)
    assert _luhn_digit(wrong_card[:-1]) != wrong_card[-1]
    resident_id = values.resident_id()
    wrong_id = resident_id[:17] + next(c for c in "0123456789X" if c != _id_check(resident_id[:17]))
    text = f"{before}卡号{_grouped(wrong_card, [4] * 4, separator)}，身份证号{_grouped(wrong_id, [6, 8], separator)}"
    found = {m.kind for m in find_pii(text)}
    assert PiiKind.RESIDENT_ID not in found
    assert PiiKind.BANK_CARD not in found or _luhn_digit(wrong_id[:-1]) == wrong_id[-1]  # the ID read as a card


@pytest.mark.parametrize("text,expected", [
    # the classes of failure the stress set found, one case each
    ("信用卡号 6225.8820.3201.0610", [("bank_card", "6225.8820.3201.0610")]),  # dots between the groups
    ("借记卡6259–0757–0387–7891", [("bank_card", "6259–0757–0387–7891")]),  # typeset dashes
    ("请核对card number 【6228-4850-9862-7728】", [("bank_card", "6228-4850-9862-7728")]),  # label beyond 12 chars
    ("张三/13812345678/北京分行", [("mobile", "13812345678")]),  # slashes between fields
    ("联系电话（+86）18141066432", [("mobile", "（+86）18141066432")]),  # the country code in brackets
    ("联系电话008618141066432", [("mobile", "008618141066432")]),
    ("传真(020) 7265 6019", [("landline", "(020) 7265 6019")]),
    ("座机+86 20 72656019", [("landline", "+86 20 72656019")]),
    ("身份证号码：\n360102 700805 163", [("resident_id", "360102 700805 163")]),  # 15 digits, label above
    ("Resident ID:6 1 0 1 1 3 1 9 8 6 0 9 2 0 5 7 0 9", [("resident_id", "6 1 0 1 1 3 1 9 8 6 0 9 2 0 5 7 0 9")]),
    ("客户电子邮件kefu1[at]mail.branch.example.cn已核实", [("email", "kefu1[at]mail.branch.example.cn")]),
    ("发送至kefu1\u200b@mail.branch.example.cn", [("email", "kefu1\u200b@mail.branch.example.cn")]),
    ("2026-12-06 6222 0212 3456 7890 128 12,345.00", [("bank_card", "6222 0212 3456 7890 128")]),
    ("12010119760815638X", [("resident_id", "12010119760815638X")]),  # also a valid credit code: the ID wins
    # look-alikes: table rows read across, amounts, pieces of a number that fails its check
    ("6,625\n3\n142\n157\n8\n667\n6\n170\n(276)", []),
    ("lease liabilities\n\n261\n580\n841\n\n263\n591\n854\n\nProperty", []),
    ("$\n157\n144\n121\n105\n93\n892", []),
    ("金额：￥62220212345678901.28", []),
    ("卡号：6230 5808 1683 6912 101", []),  # fails Luhn; "1683 6912 101" is no mobile
    ("Transaction ID 4111111111111111 refers to a test record.", []),
    ("营业执照注册号460105750213548", []),
    ("1,020 260 263 3,191", []),
])
def test_the_failure_classes_found_by_the_stress_set(text, expected):
    assert [(m.kind.value, m.text) for m in find_pii(text)] == expected


def test_every_policy_path_masks_the_new_forms(caplog):
    """Answers, search results and exports go through GuardrailPolicy.mask, the audit trail through mask_pii, logs
    through the log record factory: each hides the forms the stress set added, separators included."""
    import logging

    from zhiku.guardrails.log_masking import install_log_masking
    from zhiku.guardrails.policy import GuardrailPolicy

    text = ("卡号 6222.0212.3456.7890.128，手机（+86）138 1234 5678，身份证 110105 19491231 002X，"
            "邮箱 zhang[at]example.com，传真(020) 7265 6019，信用代码 91350100M000100Y43")
    secrets = ["0212", "3456", "7890", "1234", "19491231", "zhang", "7265 60"]
    masked = GuardrailPolicy().mask(text)
    assert not any(secret in masked for secret in secrets), masked
    assert "z***[at]example.com" in masked and "（+86）138 **** 5678" in masked
    assert "91350100M000100Y43" in masked  # an organisation's code is public: found, not masked by default
    assert "91350100M000100Y43" not in mask_pii(text)  # the audit trail's masker hides every kind
    assert GuardrailPolicy(mask_kinds=frozenset()).mask(text) == text
    install_log_masking(True)
    with caplog.at_level(logging.INFO):
        logging.getLogger("zhiku.test").info("客户资料：%s", text)
    assert not any(secret in caplog.text for secret in secrets), caplog.text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=SEED, form=st.sampled_from(["{a}-{l}", "{a} {l}", "({a}){l}", "({a}) {l}", "（{a}）{l}", "{a}-{h}-{t}",
                                        "{a} {h} {t}", "{a}.{l}", "+86-{a0}-{l}", "+86 {a0} {h} {t}", "0086-{a0}-{l}",
                                        "+86 ({a0}) {l}", "+86 (0){a0} {h} {t}"]),
       label=st.sampled_from(["电话", "联系电话：", "Tel: ", "传真", "Fax "]), before=CJK_AROUND, after=CJK_AROUND)
def test_any_landline_is_found_and_masked_whole(seed, form, label, before, after):
    area, local = Values(seed).landline()
    half = len(local) // 2
    written = form.format(a=area, a0=area[1:], l=local, h=local[:half], t=local[half:])
    _assert_found_and_masked(f"{before}{label}{written}{after}", PiiKind.LANDLINE, written, 8)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=SEED, separator=st.sampled_from(["", " ", "-", "\u200b"]), lower=st.booleans(),
       label=st.sampled_from(["统一社会信用代码", "统一社会信用代码：", "USCC: ", "纳税人识别号 ", ""]), before=CJK_AROUND,
       after=CJK_AROUND)
def test_any_credit_code_is_found(seed, separator, lower, label, before, after):
    code = Values(seed).credit_code()
    written = _grouped(code.lower() if lower else code, [4] * 4, separator)
    found = [(m.kind, m.text) for m in find_pii(f"{before}{label}{written}{after}")]
    assert (PiiKind.CREDIT_CODE, written) in found or (PiiKind.RESIDENT_ID, written) in found, found


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(local=st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,15}[a-z0-9]", fullmatch=True),
       domain=st.from_regex(r"[a-z0-9]{1,10}(\.[a-z0-9]([a-z0-9-]{0,7}[a-z0-9])?)?\.(com|cn|com\.cn|org|net|bank)",
                           fullmatch=True),
       label=st.sampled_from(["邮箱", "邮箱：", "E-mail: ", "发送至", "<"]), before=CJK_AROUND, after=CJK_AROUND)
def test_any_email_address_is_found_whole(local, domain, label, before, after):
    written = f"{local}@{domain}"
    if ".." in written or "@." in written or ".@" in written:
        return  # not an address
    found = [(m.kind, m.text) for m in find_pii(f"{before}{label}{written}{after}")]
    assert (PiiKind.EMAIL, written) in found, found


def test_session_26_forms_are_found_and_their_look_alikes_left_alone():
    """Round 3 of the stress set (written before the detector was run on it): lower-case x grouped, OCR letters
    for digits and stray marks, middle dots, tabs, +86/0086 variants, landline extensions after a hyphen, e-mails
    between Chinese punctuation, credit codes OCR'd. Main's detector found 0.61 of these."""
    cases = [case for case in generate(1207) if case.round == 3 or case.kind.startswith("negative")]
    result = evaluate(cases)
    assert result["items"] > 4_000, result["items"]
    failures = {what: len(errors) for what, errors in result["failures"].items()}
    assert result["recall"] >= 0.985, failures
    assert result["false_alarms"] <= 2 and result["mask_leaks"] == 0, failures


_CARD = Values(26).card("unionpay19")
_BAD_CARD = Values(26).wrong_luhn("unionpay19")


@pytest.mark.parametrize("text, expected", [
    ("身份证号 110105 19491231 002x", ("resident_id", "110105 19491231 002x")),
    ("卡号" + "·".join(_CARD[i:i + 4] for i in range(0, 19, 4)), ("bank_card", "·".join(_CARD[i:i + 4] for i in range(0, 19, 4)))),
    ("卡号" + "·".join(_BAD_CARD[i:i + 4] for i in range(0, 19, 4)), None),  # fails Luhn: not a card
    ("电话：0371-2479466-8023", ("landline", "0371-2479466")),
    ("手机 +86.138.0013.8000", ("mobile", "+86.138.0013.8000")),
    ("邮箱：zhang.san@icbc.com.cn。", ("email", "zhang.san@icbc.com.cn")),
    ("请发送至li_si@abc.com.cn即可", ("email", "li_si@abc.com.cn")),
])
def test_session_26_forms_by_example(text, expected):
    found = [(m.kind.value, m.text) for m in find_pii(text)]
    if expected is None:
        assert not any(kind == "bank_card" for kind, _ in found), found
    else:
        assert expected in found, found


def test_ocr_letters_are_read_as_digits_only_between_digits_and_the_mask_hides_them():
    value = Values(5).resident_id(False)
    written = value[:8] + ("O" if value[8] == "0" else value[8]) + value[9:]
    ocr = value.replace("0", "O", 1) if "0" in value[7:15] else written
    text = f"身份证号{ocr}"
    found = [(m.kind, m.text) for m in find_pii(text)]
    assert (PiiKind.RESIDENT_ID, ocr) in found, (text, found)
    assert sum(ch.isalnum() for ch in mask_pii(text)[4:]) <= 5
    for words in ("HOLOGRAM 2O23", "型号A12O34-L", "房间 3O5", "SN 1234l5678", "Total 100l"):
        assert not [m for m in find_pii(words) if m.kind in (PiiKind.RESIDENT_ID, PiiKind.BANK_CARD, PiiKind.MOBILE)]


def test_a_contract_number_shaped_like_a_landline_with_an_extension_is_not_one():
    assert find_pii("合同编号 010-62345678-01") == []
