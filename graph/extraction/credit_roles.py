"""Typed relations that credit materials state through roles and forms rather than in one sentence: a guarantee
contract names its 保证人 and its 债务人 on separate lines; a company profile lists shareholders in a table
whose rows never repeat the company's name; the 实际控制人 line names people, not the company.

`CreditRoleExtractor.extract(text, document_name)` reads one chunk; the company a form is about (its subject) is
the first company name in the document's file name ("江南恒泰精密制造有限公司_企业基本情况表.docx"), so it is
only used when that name carries one. `merge_extractions` adds the result to the chunk extractor's.

Relations, direction (subject)-[type]->(object):
  guarantees      guarantor → debtor      (保证人/担保人 … and 债务人/借款人 … in one chunk; in the borrower's own
                                          materials "由X提供连带责任保证", "保证人为X", "X为借款人提供…担保")
  lends_to        lender → borrower       (a loan contract's 贷款人 … and 借款人 …)
  shareholder_of  holder → subject        (a 股东名称 row with 持股比例/出资比例; "X直接持股52%")
  controls        controller → subject    (实际控制人：X、Y); person → partnership (X担任Z执行事务合伙人)
  subsidiary_of   subsidiary → subject    (全资子公司/控股子公司：Z)
  legal_representative  person → company  (a form line "法定代表人：X" / "法定代表人 X")
  executive_of    person → company        ("董事长：X", "总经理 X", a management table row "职务: 总经理 | 姓名: X")
  located_in      company → address       ("住所：…号" / "注册地址：…")
  issued_by       bond → issuer           (a bond name in a chunk whose form names its 发行人)
  shareholder_of  holder → subject        ("控股股东：X")

The company a form line is about: the last company named before the label on its line or the three lines above
("甲方（保证人）：某某有限公司（盖章）　法定代表人：X", a contract's party block), else the document's subject company,
else the only company the chunk names.

People on forms (`labelled_people`): the 2–3 character name (4 with a two-character surname) after a person label
(法定代表人, 董事长, 姓名, 分析师, 股东名称, …) and a colon or a space, ending at punctuation, a cell border, a title
(先生/女士) or the end of the line; lists (A、B) give one person each. jieba often splits such names (钱/永康, 宋知/微),
and the form says what they are.
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

_GUARANTOR = [re.compile(rf"(?:保证人|担保人){_ROLE_NOTE}\s*[:：\s]\s*(?P<name>{_COMPANY})"),
              re.compile(rf"甲方（保证人）\s*[:：]\s*(?P<name>{_COMPANY})")]
_DEBTOR = [re.compile(rf"(?:债务人|借款人){_ROLE_NOTE}\s*[:：]?\s*(?P<name>{_COMPANY})")]
_LENDER = re.compile(rf"(?:贷款人|授信人){_ROLE_NOTE}\s*[:：\s]\s*(?P<name>{_COMPANY}|[\u4e00-\u9fff]{{2,30}}?银行[\u4e00-\u9fff]{{0,12}}?(?:分行|支行|营业部))")
_BORROWER = re.compile(rf"(?:借款人|受信人){_ROLE_NOTE}\s*[:：\s]\s*(?P<name>{_COMPANY})")
_SHAREHOLDER_ROW = re.compile(r"股东(?:名称)?\s*[:：]\s*(?P<name>[^|\n]{2,40}?)\s*\|[^\n]*?(?:持股比例|出资比例|出资额)")
_DIRECT_HOLDING = re.compile(rf"(?P<name>{_PERSON})直接持(?:股|有)")
_CONTROLLER = re.compile(r"实际控制人(?:为|是)?\s*[:：]?\s*(?P<names>[\u4e00-\u9fff]{2,4}(?:[、和及][\u4e00-\u9fff]{2,4})*?)"
                         r"(?=夫妇|先生|女士|[:：，,。；;（(\s]|$)")
_PARTNER = re.compile(rf"(?P<name>{_PERSON})(?:另)?(?:通过)?担任(?P<org>{_COMPANY})(?:的)?执行事务合伙人")
_SUBSIDIARY = re.compile(rf"(?:全资|控股)子公司\s*[:：]\s*(?P<name>{_COMPANY})")
_NOT_HOLDERS = {"合计", "小计", "总计", "其他"}
_GUARANTOR_TEXT = [re.compile(rf"由(?P<name>{_COMPANY})(?:为[^。；，,]{{0,12}})?(?:提供|承担)[^。；，,]{{0,12}}?(?:保证|担保)"),
                   re.compile(rf"(?:保证人|担保人)(?:为|是|系)(?P<name>{_COMPANY})"),
                   re.compile(rf"(?:^|(?<=[，,。；;：:\s]))(?P<name>{_COMPANY})(?:为|对)(?:本笔|该笔|上述|本次|本项|此笔)?"
                              rf"(?:贷款|借款|授信|融资|债务|债权|借款人|债务人|申请人|公司|该公司)[^。；，,]{{0,8}}?(?:提供|承担)[^。；，,]{{0,12}}?(?:保证|担保)")]

# --- people named by a form's labels --------------------------------------------------------------
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "慕容", "令狐", "夏侯", "公孙", "长孙", "宇文", "尉迟", "司徒",
                     "端木", "独孤", "南宫", "西门", "澹台", "申屠", "万俟", "闻人", "轩辕", "钟离", "呼延")
SURNAME_CHARS = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖"
    "贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷"
    "詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司"
    "卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻"
    "苑迟邝岸")
EXECUTIVE_TITLES = ("董事长", "副董事长", "执行董事", "独立董事", "董事", "监事会主席", "监事长", "监事", "总经理", "副总经理",
                    "总裁", "副总裁", "首席执行官", "首席财务官", "财务总监", "财务负责人", "总会计师", "总工程师", "董事会秘书",
                    "行长", "副行长", "党委书记", "理事长")
_EXEC = "|".join(sorted(EXECUTIVE_TITLES, key=len, reverse=True))
PERSON_LABELS = ("法定代表人", "负责人", "实际控制人", "控股股东", "股东名称", "股东", "姓名", "联系人", "经办人", "分析师",
                 "研究员", "签字注册会计师", "注册会计师", "授权代表", "委托代理人", "代理人", "客户经理", "调查人",
                 "审批人", "保证人", "借款人", "出质人", "抵押人") + EXECUTIVE_TITLES
_LABEL = "|".join(sorted(PERSON_LABELS, key=len, reverse=True))
_NAME_CHARS = r"[\u4e00-\u9fff]"
# label, separator (a colon, "为/是", or spaces on a scanned licence), then the name(s)
_LABELLED = re.compile(rf"(?P<label>{_LABEL})(?:（[^）]{{1,8}}）)?(?:\s*[:：]\s*|为|是|\s+|(?<=[长理裁监事人]))(?P<names>{_NAME_CHARS}{{2,4}}"
                       rf"(?:[、，,及和]{_NAME_CHARS}{{2,4}})*)(?=先生|女士|夫妇|（|\(|[\s,，。；;：:、|)）]|等|$)")
# "顾振华任执行事务合伙人", "陆明哲担任总经理": a name before a verb of office
_ROLE_VERB = re.compile(rf"(?:^|(?<=[\s，,。；;：:|、（(]))(?P<name>{_NAME_CHARS}{{2,3}}?)(?:先生|女士)?"
                        rf"(?:现任|担任|兼任|出任|任)(?:公司|本公司|该公司|该企业|其)?(?P<title>执行事务合伙人|法定代表人|{_EXEC})")
_NOT_PERSON_WORDS = frozenset("不详 暂无 同上 空缺 未知 待定 签字 盖章 签章 本人 公司 见下 见附 详见 如下 以下 以上 无 合计 小计 "
                              "其他 名称 姓名 职务 身份 备注".split())


def person_like(name: str) -> bool:
    if name in _NOT_PERSON_WORDS or any(name.startswith(w) for w in ("签字", "盖章", "公司", "本公司")):
        return False
    if name.startswith(COMPOUND_SURNAMES):
        return 3 <= len(name) <= 4
    return name[0] in SURNAME_CHARS and 2 <= len(name) <= 3 and not name.endswith(("省", "市", "区", "县", "公司", "集团", "银行"))


def labelled_people(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, name, label) of every person a form line names after a person label or before a verb of
    office. Company names after a label are left to the name rules (they are not 2–4 characters)."""
    out: list[tuple[int, int, str, str]] = []
    for m in _LABELLED.finditer(text):
        pos = m.start("names")
        for piece in re.split(r"([、，,及和])", m.group("names")):
            if piece and piece not in "、，,及和":
                if person_like(piece):
                    out.append((pos, pos + len(piece), piece, m.group("label")))
                elif len(out) == 0 or out[-1][1] < m.start("names"):
                    break   # a list starts with a name or is not a list of names
            pos += len(piece)
    for m in _ROLE_VERB.finditer(text):
        name = m.group("name")
        if person_like(name):
            out.append((m.start("name"), m.end("name"), name, m.group("title")))
    return out


_ADDRESS_LABEL = re.compile(r"(?:住所|注册地址|注册地|经营场所|办公地址|营业场所|通讯地址|联系地址|地址)\s*[:：]?\s*(?:为|是|位于|设在)?\s*"
                            r"(?P<addr>[^\s，,。；;：:|（()）]{4,40}?(?:\d+|[一二三四五六七八九十百]+)号"
                            r"(?:[\dA-Za-z\-]*(?:号楼|幢|栋|座|层|楼|室|单元))*)")
# Chinese bond names: interbank short names (25沧澜港航MTN001, 24某某SCP003, 25某某Y1 perpetual, G24某某1 green), exchange
# short names (23沧港01, 21沧港债01) and full names (某某集团有限公司2025年度第一期中期票据, …公开发行2024年公司债券（第一期）)
_BOND_CJK = r"(?:[\u4e00-\u9fff](?<![年月日个期次号元亿万季周天度人名岁起到至增减比约共为是有死伤的了在和与及]))"
_BOND_TYPES = r"(?:超短期融资券|短期融资券|中期票据|定向债务融资工具|资产支持票据|可续期公司债券|绿色公司债券|公司债券|企业债券|绿色债券|债券)"
BOND_NAME = re.compile(
    rf"(?<![\dA-Za-z])[GD]?\d{{2}}{_BOND_CJK}{{2,6}}(?:MTN|SCP|CP|PPN|GN|ABN|CD|Y|K|G|债)\d{{1,3}}[A-Z]?(?![\dA-Za-z])"
    rf"|(?<![\dA-Za-z])[GD]?\d{{2}}{_BOND_CJK}{{2,4}}\d{{2}}(?![\d%A-Za-z])"
    rf"|(?<![\dA-Za-z])G\d{{2}}{_BOND_CJK}{{2,4}}\d{{1,2}}(?![\d%A-Za-z])"
    r"|(?:^|(?<=[\s:：|，,、。(（“《及和与])|(?<=发行)|(?<=注册)|(?<=的)|(?<=包括))(?!以及|及|和|与|或|并|其中|包括|其)"
    r"[\u4e00-\u9fff()（）]{2,30}?(?:公开发行|非公开发行)?\d{4}年度?"
    rf"[^\s:：|，,。；;“”《》]{{0,20}}?(?:第[一二三四五六七八九十\d]+期)?[^\s:：|，,。；;“”《》]{{0,12}}?{_BOND_TYPES}"
    r"(?:[（(](?:第[一二三四五六七八九十\d]+期|品种[一二三四五六七八九十])[）)])?")
_ISSUER = re.compile(rf"(?:发行人|发行主体|主体|债务人)(?:名称)?\s*[:：]\s*(?P<name>{_COMPANY})")
_CONTROLLING_HOLDER = re.compile(r"控股股东(?:为|是)?\s*[:：]?\s*(?P<name>[^\s，,。；;：:|（()）]{2,40})")


def subject_company(document_name: str) -> str | None:
    match = re.search(_COMPANY, unicodedata.normalize("NFKC", document_name or ""))
    return match.group(0) if match else None


def _is_company(name: str) -> bool:
    return re.fullmatch(_COMPANY, name) is not None


_LEGAL_FORM_ONLY = re.compile(r"(?:有限责任|股份有限|有限|股份|集团|合伙)*(?:公司|企业)(?:[（(][^）)]*[）)])?")
_FORM_LABEL = re.compile(r"^(?:企业名称|公司名称|单位名称|名称|类型|企业类型|公司类型|发行人|发行主体)")


def _company_names(text: str) -> list[tuple[int, str]]:
    """(start, name) of the companies a text names; a licence's type line (有限责任公司) and a label stuck to a name by
    OCR (名称江南恒泰…) are not company names."""
    out = []
    for m in re.finditer(_COMPANY, text):
        name, start = m.group(0), m.start()
        label = _FORM_LABEL.match(name)
        if label and len(name) - label.end() >= 4:
            name, start = name[label.end():], start + label.end()
        if _LEGAL_FORM_ONLY.fullmatch(name) or _FORM_LABEL.match(name):
            continue
        out.append((start, name))
    return out


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
        if not debtors and subject:   # "由X提供连带责任保证" in the borrower's own materials
            guarantors |= {m.group("name") for p in _GUARANTOR_TEXT for m in p.finditer(text)}
            debtors = {subject} - guarantors if guarantors else set()
        for guarantor in guarantors:
            for debtor in debtors:
                relate(guarantor, "guarantees", debtor, "organization")
        lenders = {m.group("name") for m in _LENDER.finditer(text)}
        borrowers = {m.group("name") for m in _BORROWER.finditer(text)}
        for lender in lenders:   # a loan contract's 贷款人 and 借款人
            for borrower in borrowers:
                relate(lender, "lends_to", borrower, "organization")
        companies = _company_names(text)
        only = {name for _, name in companies}

        def about(pos: int) -> str | None:
            """The company a form line at `pos` is about: the last one named before it on its line or the three
            lines above (a contract's party block: 保证人：X / 住所：… / 法定代表人：Y), else the document's subject,
            else the chunk's only company."""
            block_start = pos
            for _ in range(4):
                block_start = text.rfind("\n", 0, max(block_start - 1, 0)) + 1 if block_start > 0 else 0
            before = [name for start, name in companies if block_start <= start < pos]
            if before:
                return before[-1].strip()
            if subject:
                return subject
            return next(iter(only)).strip() if len(only) == 1 else None

        for start, end, name, label in labelled_people(text):
            company = about(start)
            if not company:
                continue
            line_start = text.rfind("\n", 0, start) + 1
            if not [1 for s, _ in companies if line_start <= s < start] and \
                    re.search(r"(?:银行|分行|支行|集团|局|委|所|部)[^，,。；;|\n]{0,8}$", text[max(line_start, start - 20):start]):
                continue   # "华夏通商银行行长王某": an officer of the organisation named just before, not of the form's company
            if label == "法定代表人":
                relate(name, "legal_representative", company, "person")
            elif label in EXECUTIVE_TITLES:
                relate(name, "executive_of", company, "person")
            elif label == "执行事务合伙人":
                line = text[text.rfind("\n", 0, start) + 1:start]
                holder = _SHAREHOLDER_ROW.search(line + "| 持股比例")
                target = holder.group("name").strip() if holder else company
                relate(name, "controls", target, "person")
            elif label == "姓名":   # a management table row: 职务: 总经理 | 姓名: X (either order)
                line_end = text.find("\n", end)
                row = text[text.rfind("\n", 0, start) + 1:line_end if line_end >= 0 else len(text)]
                title = re.search(rf"(?:职务|职位|任职)\s*[:：]\s*(?:[^|\n]{{0,10}}?)(?P<t>{_EXEC})", row)
                if title:
                    relate(name, "executive_of", company, "person")
        for match in _ADDRESS_LABEL.finditer(text):
            company = about(match.start())
            if company:
                relations.setdefault((company, "located_in", match.group("addr")),
                                     RelationInput(entity(company, "organization"), "located_in",
                                                   entity(match.group("addr"), "location")))
        issuers = {m.group("name") for m in _ISSUER.finditer(text)}
        if len(issuers) == 1:
            issuer = next(iter(issuers))
            for match in BOND_NAME.finditer(text):
                bond = entity(match.group(0), "product")
                relations.setdefault((bond, "issued_by", issuer),
                                     RelationInput(bond, "issued_by", entity(issuer, "organization")))
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
            for match in _CONTROLLING_HOLDER.finditer(text):
                holder = match.group("name").strip()
                if _is_company(holder) or person_like(holder):
                    relate(holder, "shareholder_of", subject)
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
