"""Typed relations that credit materials state through roles and forms rather than in one sentence: a guarantee
contract names its 保证人 and its 债务人 on separate lines; a company profile lists shareholders in a table
whose rows never repeat the company's name; the 实际控制人 line names people, not the company.

`CreditRoleExtractor.extract(text, document_name)` reads one chunk; the company a form is about (its subject) is
the first company name in the document's file name ("江南恒泰精密制造有限公司_企业基本情况表.docx"), so it is
only used when that name carries one. `merge_extractions` adds the result to the chunk extractor's.

Relations, direction (subject)-[type]->(object):
  guarantees      guarantor → debtor      (保证人/担保人 … and 债务人/借款人 … in one chunk)
  shareholder_of  holder → subject        (a 股东名称 row with 持股比例/出资比例; "X直接持股52%")
  controls        controller → subject    (实际控制人：X、Y); person → partnership (X担任Z执行事务合伙人)
  subsidiary_of   subsidiary → subject    (全资子公司/控股子公司：Z)
"""
from __future__ import annotations

import re
import unicodedata

from zhiku.graph.extraction.chunk_extractor import Extraction
from zhiku.graph.graph_store import EntityInput, RelationInput

_COMPANY = (r"[\u4e00-\u9fff（）()]{2,40}?(?:有限责任公司|股份有限公司|有限公司|集团公司|合伙企业（有限合伙）|"
            r"合伙企业\(有限合伙\)|合伙企业|公司)(?:[\u4e00-\u9fff]{1,8}分行)?")
_PERSON = r"[\u4e00-\u9fff]{2,4}?"
_ROLE_NOTE = r"(?:（[^）]{1,6}）|\([^)]{1,6}\))?"

_GUARANTOR = [re.compile(rf"(?:保证人|担保人){_ROLE_NOTE}\s*[:：]\s*(?P<name>{_COMPANY})"),
              re.compile(rf"甲方（保证人）\s*[:：]\s*(?P<name>{_COMPANY})")]
_DEBTOR = [re.compile(rf"(?:债务人|借款人){_ROLE_NOTE}\s*[:：]?\s*(?P<name>{_COMPANY})")]
_SHAREHOLDER_ROW = re.compile(r"股东(?:名称)?\s*[:：]\s*(?P<name>[^|\n]{2,40}?)\s*\|[^\n]*?(?:持股比例|出资比例|出资额)")
_DIRECT_HOLDING = re.compile(rf"(?P<name>{_PERSON})直接持(?:股|有)")
_CONTROLLER = re.compile(r"实际控制人(?:为|是)?\s*[:：]?\s*(?P<names>[\u4e00-\u9fff]{2,4}(?:[、和及][\u4e00-\u9fff]{2,4})*?)"
                         r"(?=夫妇|先生|女士|[:：，,。；;（(\s]|$)")
_PARTNER = re.compile(rf"(?P<name>{_PERSON})(?:另)?(?:通过)?担任(?P<org>{_COMPANY})(?:的)?执行事务合伙人")
_SUBSIDIARY = re.compile(rf"(?:全资|控股)子公司\s*[:：]\s*(?P<name>{_COMPANY})")
_NOT_HOLDERS = {"合计", "小计", "总计", "其他"}


def subject_company(document_name: str) -> str | None:
    match = re.search(_COMPANY, unicodedata.normalize("NFKC", document_name or ""))
    return match.group(0) if match else None


def _is_company(name: str) -> bool:
    return re.fullmatch(_COMPANY, name) is not None


class CreditRoleExtractor:
    name = "credit-roles"

    def extract(self, text: str, document_name: str = "") -> Extraction:
        if not isinstance(text, str) or not text.strip():
            return Extraction()
        text = unicodedata.normalize("NFKC", text).replace("\u3000", " ")
        subject = subject_company(document_name)
        entities: dict[str, EntityInput] = {}
        relations: dict[tuple[str, str, str], RelationInput] = {}

        def entity(name: str, type_: str | None = None) -> str:
            name = name.strip()
            entities.setdefault(name, EntityInput(name, type_ or ("organization" if _is_company(name) else "person")))
            return name

        def relate(source: str, type_: str, target: str, source_type: str | None = None) -> None:
            if source and target and source != target:
                relations.setdefault((source, type_, target),
                                     RelationInput(entity(source, source_type), type_, entity(target, "organization")))

        guarantors = {m.group("name") for p in _GUARANTOR for m in p.finditer(text)}
        debtors = {m.group("name") for p in _DEBTOR for m in p.finditer(text)}
        for guarantor in guarantors:
            for debtor in debtors:
                relate(guarantor, "guarantees", debtor, "organization")
        for match in _PARTNER.finditer(text):
            relate(match.group("name"), "controls", match.group("org"), "person")
        if subject:
            for match in _SHAREHOLDER_ROW.finditer(text):
                holder = match.group("name").strip()
                if holder not in _NOT_HOLDERS:
                    relate(holder, "shareholder_of", subject)
            for match in _DIRECT_HOLDING.finditer(text):
                relate(match.group("name"), "shareholder_of", subject, "person")
            for match in _CONTROLLER.finditer(text):
                for name in re.split(r"[、和及]", match.group("names")):
                    relate(name, "controls", subject)
            for match in _SUBSIDIARY.finditer(text):
                relate(match.group("name"), "subsidiary_of", subject, "organization")
        return Extraction(list(entities.values()), list(relations.values()))


def merge_extractions(base: Extraction, extra: Extraction) -> Extraction:
    """`base` with `extra`'s entities (those it lacks, by name) and relations (those it lacks) added."""
    if not extra.entities and not extra.relations:
        return base
    names = base.names()
    entities = list(base.entities) + [e for e in extra.entities if e.name not in names]
    seen = {(r.subject, r.type, r.object) for r in base.relations}
    relations = list(base.relations) + [r for r in extra.relations if (r.subject, r.type, r.object) not in seen]
    return Extraction(entities, relations)
