"""Issue #15, point 4: what credit materials say through forms, tables and headers rather than sentences.

Every text here is written for these tests (a fictional borrower, 苏州明川电子科技有限公司, its guarantor, its bank and a
fictional bond issuer); none is taken from the demo documents or the gold sets."""
from __future__ import annotations

import pytest

from zhiku.graph.extraction.credit_roles import CreditRoleExtractor, merge_extractions
from zhiku.graph.extraction.entity_resolution import EntityResolver
from zhiku.graph.extraction.rule_extractor import RuleExtractor

BORROWER = "苏州明川电子科技有限公司"
GUARANTOR = "苏州明川控股集团有限公司"


@pytest.fixture(scope="module")
def rules():
    return RuleExtractor()


@pytest.fixture(scope="module")
def read(rules):
    resolver = EntityResolver()

    def read(text: str, document: str = ""):
        result = merge_extractions(rules.extract(text), CreditRoleExtractor().extract(text, document))
        result = resolver.resolve(result)
        entities = {(e.name, e.type) for e in result.entities}
        relations = {(r.subject, r.type, r.object) for r in result.relations if r.type != "related_to"}
        names = {e.name for e in result.entities}
        assert all(r.subject in names and r.object in names for r in result.relations)
        return entities, relations

    return read


def test_a_scanned_licence_gives_its_legal_representative_capital_date_and_address(read):
    text = ("营业执照\n统一社会信用代码 91320505MA1XYZ1234\n名称 苏州明川电子科技有限公司\n类型 有限责任公司(自然人投资或控股)\n"
            "法定代表人 蒋立新\n注册资本 叁仟伍佰万元整\n成立日期 2015年06月18日\n住所 苏州高新区科灵路78号\n"
            "登记机关 苏州市虎丘区市场监督管理局")
    entities, relations = read(text, f"{BORROWER}_营业执照.jpg")
    assert {(BORROWER, "organization"), ("蒋立新", "person"), ("叁仟伍佰万元整", "amount"), ("2015年06月18日", "date"),
            ("苏州高新区科灵路78号", "location"), ("苏州市虎丘区市场监督管理局", "organization")} <= entities
    assert ("蒋立新", "legal_representative", BORROWER) in relations
    assert (BORROWER, "located_in", "苏州高新区科灵路78号") in relations
    # the type line is a legal form, not a company; the credit code is not a name
    assert not {name for name, _ in entities} & {"有限责任公司", "91320505MA1XYZ1234"}


def test_statement_figures_take_the_unit_of_their_header(read):
    sheet = ("资产负债表（单位：万元）\n项目: 货币资金 | 2025年12月31日: 12,345.67 | 2024年12月31日: 9,876.54\n"
             "项目: 资产负债率 | 2025年12月31日: 56.3 | 2024年12月31日: 58.1")
    entities, _ = read(sheet)
    amounts = {name for name, type_ in entities if type_ == "amount"}
    assert amounts == {"12,345.67万元", "9,876.54万元"}          # a ratio's row is not money
    assert {("2025年12月31日", "date"), ("2024年12月31日", "date")} <= entities
    pdf_rows = "合并利润表\n单位：元\n营业收入 523,456,789.12 481,234,567.00\n营业成本 (412,345,678.90) 380,000,000.00\n员工人数 860 812"
    amounts = {name for name, type_ in read(pdf_rows)[0] if type_ == "amount"}
    assert amounts == {"523,456,789.12元", "481,234,567.00元", "-412,345,678.90元", "380,000,000.00元"}
    form = "主要财务数据（万元）：营业收入：52,345.67，净利润：3,210.55，资产负债率：56.30%"
    assert {("52,345.67万元", "amount"), ("3,210.55万元", "amount"), ("56.30%", "amount")} <= read(form)[0]
    column = "股东名称: 苏州明川投资管理合伙企业（有限合伙） | 出资额（万元）: 700.00 | 持股比例: 20.00%"
    assert ("700.00万元", "amount") in read(column)[0]
    # without a unit a bare figure is not an amount; neither are phone numbers, postcodes, head counts or list numbers
    assert not [n for n, t in read("项目: 营业收入 | 2025年度: 52,345.67 | 2024年度: 48,123.45")[0] if t == "amount"]
    noise = "单位：万元\n联系电话：0510-88886666，邮编：214000，员工1200人，第3期\n（1）本期无重大变动"
    assert not [n for n, t in read(noise)[0] if t == "amount"]


def test_dates_are_whole_and_amounts_without_yuan_follow_a_money_word(read):
    entities, _ = read("截至2025年9月末，公司资产总额6.8亿元，2025年1-9月实现营业收入3.2亿，较上年同期增长12%；"
                       "2023-2025年净利润分别为1.1亿元、1.3亿元和1.6亿元，2025年上半年净利润8600万。货物吞吐量3.26亿吨。")
    dates = {name for name, type_ in entities if type_ == "date"}
    assert dates == {"2025年9月末", "2025年1-9月", "2023-2025年", "2025年上半年"}
    amounts = {name for name, type_ in entities if type_ == "amount"}
    assert {"6.8亿元", "3.2亿", "12%", "8600万"} <= amounts and "3.26亿" not in amounts
    assert ("2025年度", "date") in read("2025年度利润表")[0]


def test_management_table_rows_and_form_lines_give_executives(read):
    document = f"{BORROWER}_企业基本情况表.docx"
    _, relations = read("职务: 董事长 | 姓名: 蒋立新 | 简历: 1968年生，本科学历，2015年创办本公司。", document)
    assert ("蒋立新", "executive_of", BORROWER) in relations
    entities, relations = read("姓名: 欧阳慧敏 | 职务: 财务总监 | 任职时间: 2019年3月至今", document)
    assert ("欧阳慧敏", "person") in entities and ("欧阳慧敏", "executive_of", BORROWER) in relations
    entities, relations = read("公司董事长为蒋立新，总经理为何建平。", document)
    assert {("蒋立新", "executive_of", BORROWER), ("何建平", "executive_of", BORROWER)} <= relations
    _, relations = read("控股股东：蒋立新\n实际控制人：蒋立新、郑晓岚夫妇", document)
    assert {("蒋立新", "shareholder_of", BORROWER), ("蒋立新", "controls", BORROWER),
            ("郑晓岚", "controls", BORROWER)} <= relations
    _, relations = read("股东名称: 苏州明川投资管理合伙企业（有限合伙） | 出资额（万元）: 700.00 | 持股比例: 20.00% | "
                        "备注: 蒋立新任执行事务合伙人", document)
    assert {("蒋立新", "controls", "苏州明川投资管理合伙企业(有限合伙)"),
            ("苏州明川投资管理合伙企业(有限合伙)", "shareholder_of", BORROWER)} <= relations


def test_a_contracts_party_block_belongs_to_its_party(read):
    text = (f"保证人（甲方）：{GUARANTOR}\n住所：江苏省苏州市姑苏区人民路1200号\n法定代表人：蒋立新\n"
            f"债权人（乙方）：华夏通商银行股份有限公司苏州分行\n负责人：韩冬\n债务人：{BORROWER}")
    entities, relations = read(text, f"{BORROWER}_保证合同.docx")
    assert {(GUARANTOR, "guarantees", BORROWER), ("蒋立新", "legal_representative", GUARANTOR),
            (GUARANTOR, "located_in", "江苏省苏州市姑苏区人民路1200号")} <= relations
    assert ("蒋立新", "legal_representative", BORROWER) not in relations
    assert ("韩冬", "person") in entities and ("江苏省苏州市姑苏区人民路1200号", "location") in entities
    # the branch is one organisation: its head office is not named apart, so no branch_of
    assert ("华夏通商银行股份有限公司苏州分行", "organization") in entities
    assert not [r for r in relations if r[1] == "branch_of"]
    loan = f"贷款人：华夏通商银行股份有限公司苏州分行\n借款人：{BORROWER}\n借款金额：人民币3000万元"
    assert ("华夏通商银行股份有限公司苏州分行", "lends_to", BORROWER) in read(loan, f"{BORROWER}_借款合同.docx")[1]
    _, relations = read(f"本次申请流动资金贷款人民币3000万元，由{GUARANTOR}提供连带责任保证担保。",
                        f"授信调查报告_{BORROWER}.md")
    assert (GUARANTOR, "guarantees", BORROWER) in relations
    _, relations = read("华夏通商银行苏州分行拟给予苏州明川电子科技有限公司综合授信额度5000万元。")
    assert ("华夏通商银行苏州分行", "lends_to", BORROWER) in relations


def test_bond_names_and_their_issuer(read):
    entities, relations = read("发行人：东岳能源集团有限公司\n存续债券：23东岳能源MTN001、24东岳01、"
                               "东岳能源集团有限公司2025年度第一期中期票据", "研究报告_东岳能源集团有限公司_信用分析.pdf")
    bonds = {"23东岳能源MTN001", "24东岳01", "东岳能源集团有限公司2025年度第一期中期票据"}
    assert {(b, "product") for b in bonds} <= entities
    assert {(b, "issued_by", "东岳能源集团有限公司") for b in bonds} <= relations
    entities, _ = read("分析师：邓文博、欧阳静\n2026年3月2日")
    assert {("邓文博", "person"), ("欧阳静", "person"), ("2026年3月2日", "date")} <= entities


def test_report_wording_is_not_an_entity(read):
    text = ("经营活动产生的现金流量净额为2.35亿元，同比增加18.6%。目前有三条生产线满负荷运转。"
            "评级机构中诚信国际信用评级有限责任公司维持发行人主体信用等级为AAA。"
            "本合同项下主债权依据编号为HXTS-SZ-LD-2025-0188的《流动资金借款合同》发放。"
            "公司位于江苏省无锡市新吴区，主要客户包括博世、采埃孚等。EBITDA利息保障倍数为4.6倍。"
            "我们按照中国注册会计师审计准则的规定执行了审计工作。")
    entities, relations = read(text)
    names = {name for name, _ in entities}
    assert not names & {"同比增加", "满负荷", "AAA", "HXTS-SZ-LD-2025-0188", "吴区", "EBITDA利息保障倍数为4.6倍",
                        "机构中诚信国际信用评级有限责任公司"}, names
    assert {("中诚信国际信用评级有限责任公司", "organization"), ("新吴区", "location"), ("博世", "organization"),
            ("采埃孚", "organization"), ("中国注册会计师审计准则", "policy")} <= entities
    assert not [r for r in relations if "AAA" in r]


def test_founders_and_people_named_by_their_context(read):
    entities, relations = read(f"{BORROWER}由蒋立新、郑晓岚于2015年6月共同出资设立，注册资本3500万元。")
    assert {("蒋立新", "person"), ("郑晓岚", "person"), ("3500万元", "amount"), ("2015年6月", "date")} <= entities
    assert {(BORROWER, "created_by", "蒋立新"), (BORROWER, "created_by", "郑晓岚")} <= relations
    assert (BORROWER, "created_by", "蒋立新") in read(f"2015年，蒋立新创办了{BORROWER}。")[1]
    # a common word before a verb of office is not a name; a law cited by a contract governs no party
    entities, relations = read(f"依据《中华人民共和国民法典》，甲方{GUARANTOR}连续担任保证人。")
    assert ("连续", "person") not in entities and not [r for r in relations if r[1] == "governs"]
    assert ("流动资金贷款管理办法", "governs", "流动资金贷款") in read(
        "根据《流动资金贷款管理办法》，流动资金贷款期限一般不超过三年。")[1]
    sheet_title_as_header = "资产负债表（单位：万元）: 货币资金 | 12345.67 | 9876.54"
    assert {("12345.67万元", "amount"), ("9876.54万元", "amount")} <= read(sheet_title_as_header)[0]


def test_bond_names_in_their_usual_forms_and_credit_facilities(read):
    entities, _ = read("存续债券：23东岳能源MTN001、24东岳01、25东岳Y1、G24东岳1、21东岳债01，以及东岳能源集团有限公司"
                       "2025年度第一期中期票据。东岳能源集团有限公司公开发行2024年公司债券（第一期）的票面利率较LPR下浮20BP。")
    products = {name for name, type_ in entities if type_ == "product"}
    assert products == {"23东岳能源MTN001", "24东岳01", "25东岳Y1", "G24东岳1", "21东岳债01",
                        "东岳能源集团有限公司2025年度第一期中期票据", "东岳能源集团有限公司公开发行2024年公司债券(第一期)"}
    assert ("20BP", "amount") in entities
    assert not [n for n, t in read("据统计，12人死亡14人受伤。")[0] if t == "product"]
    entities, _ = read("授信品种：流动资金贷款、银行承兑汇票、非融资性保函。")
    assert {("流动资金贷款", "loan_type"), ("银行承兑汇票", "product"), ("非融资性保函", "product")} <= entities


def test_officers_guarantors_and_addresses_in_report_prose(read):
    document = f"{BORROWER}_授信调查报告.docx"
    entities, relations = read("公司董事长蒋立新先生介绍，2025年订单饱满。", document)
    assert ("蒋立新", "executive_of", BORROWER) in relations
    _, relations = read("华夏通商银行苏州分行行长王振宇表示支持。", document)
    assert ("王振宇", "executive_of", "华夏通商银行苏州分行") in relations
    assert ("王振宇", "executive_of", BORROWER) not in relations    # the bank's officer, not the borrower's
    assert not [e for e in read("工厂负责人介绍，产能利用率约82%。", document)[0] if e[1] == "person"]
    _, relations = read(f"{GUARANTOR}为借款人提供连带责任保证担保。", document)
    assert (GUARANTOR, "guarantees", BORROWER) in relations
    entities, relations = read(f"{BORROWER}成立于2015年，注册地址为江苏省苏州市虎丘区科灵路78号。")
    assert ("江苏省苏州市虎丘区科灵路78号", "location") in entities
    assert relations == {(BORROWER, "located_in", "江苏省苏州市虎丘区科灵路78号")}


def test_a_statement_cut_into_chunks_keeps_its_unit(rules):
    from zhiku.core.types import Chunk
    from zhiku.graph.graph_builder import section_units

    def chunk(index, text, heading, parent=None):
        return Chunk(f"c{index}", text, index, 1, 1, [heading], 0, len(text), parent_text=parent)

    chunks = [chunk(0, "单位：万元\n项目: 货币资金 | 2025年末: 12,345.67", "资产负债表"),
              chunk(1, "项目: 应收账款 | 2025年末: 8,210.00", "资产负债表"),
              chunk(2, "项目: 营业收入 | 2025年度: 45,678.90", "利润表"),
              chunk(3, "项目: 净利润 | 2025年度: 3,210.55", "利润表", parent="利润表 单位：元\n项目: 营业收入 …")]
    units = section_units(chunks)
    assert units == ["万元", "万元", None, "元"]
    amounts = {e.name for e in rules.extract(chunks[1].text, chunks[1].heading_path, money_unit=units[1]).entities
               if e.type == "amount"}
    assert amounts == {"8,210.00万元"}
    assert not [e for e in rules.extract(chunks[2].text, chunks[2].heading_path).entities if e.type == "amount"]
    # the chunk's own unit line wins over a carried one
    own = rules.extract("单位：元\n项目: 货币资金 | 2025年末: 12,345.67", money_unit="万元").entities
    assert {e.name for e in own if e.type == "amount"} == {"12,345.67元"}
