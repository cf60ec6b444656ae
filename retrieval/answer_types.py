"""What kind of answer a question asks for, and which kinds a sentence holds.

"最多能贷几成" asks for a rate, "一年多少钱" for an amount, "which phone number" for a phone number. A sentence
that shares the question's words but holds no value of the asked-for kind ("二套房贷款须审慎审批。") does not
answer it; one that does ("二套房最高贷款成数70%") probably does. Both sides are read after the term
normaliser (Chinese numerals are digits by then).
"""
from __future__ import annotations

import re

KINDS = ("amount", "rate", "date", "duration", "count", "phone", "name")


def _asks(chinese: str, english: str) -> re.Pattern:
    """Chinese cues anywhere; English ones as whole words ("rate", not the letters of "corporate"; "term", not
    "determine")."""
    return re.compile(rf"{chinese}|\b(?:{english})\b")


_QUESTION = {
    "phone": _asks(r"电话|热线|号码|拨打|致电", r"phone|call|hotline|number to"),
    "rate": _asks(r"利率|费率|比例|成数|百分之|多少%|几成|百分比|收益率|增长率|增速|涨幅|占比|%",
                  r"rates?|percent|percentage|ratio|yield"),
    # 管理费, 托管费, 工本费: a named fee (not 费率, a rate; not 消费, spending).
    "amount": _asks(r"多少钱|金额|费用|年费|手续费|收费|价格|多少元|起存|起购|额度|收入|利润|营收|资本|"
                    r"(?!消)[\u4e00-\u9fff]费(?!率)",
                    r"how much|fees?|costs?|price|amount|charges?|minimum deposit|limit"),
    "date": _asks(r"哪天|哪一天|何时|什么时候|几月|几号|哪年|哪一年|日期|时间是", r"when|what date|which day|what year"),
    "duration": _asks(r"多久|多长时间|期限|几年|几个月|几天|多少天|多少年|宽限期",
                      r"how long|how soon|how many (?:days|months|years|hours)|term|period|within"),
    # 多少 / 几 before a measure word ("多少名本科生", "几家银行"); not 几年 / 几成 / 几月 (duration, rate, date).
    "count": _asks(r"(?:多少|几)[次个人笔家名位项所座支辆件只张户款种条台架艘]", r"how many|number of|attempts"),
    "name": _asks(r"谁|哪家|哪个公司|什么公司|叫什么|名字|名称|哪位", r"who|which company|what is the name|named"),
}

_NUM = r"\d+(?:[.,]\d+)*"
_SENTENCE = {
    "phone": re.compile(r"\d{3,4}-\d{3,4}-\d{3,4}|\+?\d{2,3}[- ]\d{2,4}[- ]\d{4}|\b95\d{3}\b|\b400\d{7}\b"),
    "rate": re.compile(rf"{_NUM}\s*%|百分之|{_NUM}\s*‰|{_NUM}\s*bp|lpr|{_NUM}\s*厘"),
    "amount": re.compile(rf"{_NUM}\s*(?:万元|亿元|元|万|亿|美元|港元|cny|rmb|usd|hkd|eur|yuan|dollars?)|"
                         rf"(?:cny|rmb|usd|hkd|eur|\$|¥|￥)\s*{_NUM}|免费|free of charge|no charge|waived"),
    "date": re.compile(rf"\d{{4}}年(?:\d{{1,2}}月)?|\d{{1,2}}月\d{{1,2}}[日号]|\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}|"
                       r"\b(?:january|february|march|april|may|june|july|august|september|october|november|"
                       r"december)\b|\b\d{1,2}:\d{2}\b|星期|周[一二三四五六日]|monday|tuesday|wednesday|thursday|"
                       r"friday|saturday|sunday"),
    "duration": re.compile(rf"{_NUM}\s*(?:个月|年|天|日|周|小时|分钟|个工作日|工作日|years?|months?|days?|hours?|"
                           r"minutes?|weeks?|business days?)"),
    "count": re.compile(rf"{_NUM}\s*(?:次|个|人|笔|家|名|位|户|张|项|times|attempts|people|persons)|{_NUM}"),
    "name": re.compile(r"有限公司|公司|银行|集团|先生|女士|[a-z]+ (?:ltd|inc|bank|co)\b|[\u4e00-\u9fff]{2,}(?:大学|部|中心|局)"),
}


# A fee is charged as an amount or as a rate ("固定管理费 0.30%/年", "交易金额的1%"): a question about one asks
# for either.
_FEE = _asks(r"费用|年费|手续费|收费|(?!消)[\u4e00-\u9fff]费(?!率)", r"fees?|charges?")


def question_kinds(question: str) -> set[str]:
    """The kinds of value the (normalised) question asks for; empty for a how/why/what-is question."""
    kinds = {kind for kind, pattern in _QUESTION.items() if pattern.search(question)}
    if _FEE.search(question):
        kinds |= {"amount", "rate"}
    if "phone" in kinds:
        kinds -= {"count", "amount"}
    return kinds


def sentence_kinds(sentence: str) -> set[str]:
    """The kinds of value a (normalised) sentence holds."""
    return {kind for kind, pattern in _SENTENCE.items() if pattern.search(sentence)}


def value_spans(sentence: str, kinds: set[str]) -> list[tuple[int, int]]:
    """Where in a (normalised) sentence the values of these kinds stand (character spans); "name" has no pattern of
    its own here (retrieval/asked_value.py reads names)."""
    return [m.span() for kind in kinds if kind in _SENTENCE and kind != "name"
            for m in _SENTENCE[kind].finditer(sentence)]
