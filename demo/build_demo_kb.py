#!/usr/bin/env python3
"""Build the Zhiku demo knowledge base.

All content is fictional and was written for a fictional bank,
华夏通商银行 / Huaxia Commerce Bank (HCB).  Any resemblance to real
institutions, people, phone numbers or products is coincidental.

The script is deterministic: no randomness, no network access, and no
dates taken from the clock.  Office files get fixed core-property dates
and fixed ZIP entry timestamps; the PDF is written in reportlab's
invariant mode with a fixed CreationDate/ModDate.

Usage (from the repository root):

    python demo/build_demo_kb.py               # build + verify
    python demo/build_demo_kb.py --verify-only # only verify existing files

Outputs:
    demo/bank_kb/<8 documents>
    demo/questions.jsonl  (example questions, each verified against the
                           extracted text of its source file)
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import email
import email.policy
import html
import html.parser
import io
import json
import re
import sys
import zipfile
from email.generator import BytesGenerator
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

from report_pdf import running_header  # demo/ is on sys.path: this script is run as demo/build_demo_kb.py

DEMO_DIR = Path(__file__).resolve().parent
KB_DIR = DEMO_DIR / "bank_kb"
QUESTIONS_PATH = DEMO_DIR / "questions.jsonl"

# One fixed timestamp used for every "created/modified" field.
FIXED_DT = dt.datetime(2025, 1, 1, 0, 0, 0)
FIXED_ISO = "2025-01-01T00:00:00Z"
FIXED_ZIP_DT = (2025, 1, 1, 0, 0, 0)
FIXED_PDF_DATE = "D:20250101000000+08'00'"

AUTHOR = "华夏通商银行 Huaxia Commerce Bank (fictional demo)"
MAX_BYTES = 200 * 1024

FILES = {
    "docx": "个人住房贷款管理办法.docx",
    "md": "信用卡常见问题.md",
    "pdf": "稳盈系列理财产品说明书.pdf",
    "html": "IT_Security_Policy.html",
    "xlsx": "Branch_Fee_Schedule.xlsx",
    "pptx": "反洗钱培训.pptx",
    "eml": "Notice_Mobile_Banking_Upgrade.eml",
    "csv": "products.csv",
    "credit_report": "授信调查报告_北京华远置业.md",
    "guarantor_check": "担保人风险排查_中关村科技融资担保.md",
}


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def normalize_ooxml(path: Path) -> None:
    """Rewrite an OOXML zip with fixed entry timestamps and core.xml dates.

    python-docx / python-pptx / openpyxl write ZIP entries stamped with the
    current time, and openpyxl overwrites dcterms:modified on save, so we
    re-pack the archive deterministically (entry order is preserved).
    """
    with zipfile.ZipFile(path) as zin:
        items = [(info.filename, zin.read(info.filename)) for info in zin.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zout:
        for name, data in items:
            if name == "docProps/core.xml":
                for tag in (rb"dcterms:created", rb"dcterms:modified"):
                    data = re.sub(
                        rb"(<" + tag + rb"[^>]*>)[^<]*(</" + tag + rb">)",
                        rb"\g<1>" + FIXED_ISO.encode() + rb"\g<2>",
                        data,
                    )
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_DT)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            zout.writestr(info, data, compresslevel=6)
    path.write_bytes(buf.getvalue())


def set_fixed_core_properties(cp, title: str, subject: str, keywords: str, category: str | None = None) -> None:
    """DOCX and PPTX core properties (python-docx and python-pptx share these names), dated FIXED_DT
    so rebuilt files are byte-identical."""
    cp.title, cp.subject, cp.keywords = title, subject, keywords
    cp.author = cp.last_modified_by = AUTHOR
    cp.comments = "Fictional demo document for the Zhiku knowledge base."
    if category is not None:
        cp.category = category
    cp.revision = 1
    cp.created = cp.modified = cp.last_printed = FIXED_DT


# ---------------------------------------------------------------------------
# 1. 个人住房贷款管理办法.docx
# ---------------------------------------------------------------------------

DOCX_CHAPTERS = [
    ("第一章 总则", [
        ("p", "第一条　为规范华夏通商银行（以下简称“本行”）个人住房贷款业务，防范信贷风险，保护借款人合法权益，根据《中华人民共和国民法典》《中华人民共和国商业银行法》《个人贷款管理办法》等法律法规及监管规定，结合本行实际，制定本办法。"),
        ("p", "第二条　本办法所称个人住房贷款，是指本行向自然人发放的、用于购买城镇自用住房（含新建商品住房和二手住房）的人民币贷款。商业用房、车位及以投资为目的的房产购置贷款不适用本办法。"),
        ("p", "第三条　个人住房贷款业务遵循“依法合规、审慎经营、风险可控、服务实体”的原则，坚持“房子是用来住的、不是用来炒的”定位，落实差别化住房信贷政策。"),
        ("p", "第四条　总行个人金融部负责本办法的制定、解释和业务指导；总行风险管理部负责授信审批政策制定与风险监测；各分行负责辖内业务的受理、调查、审查、发放和贷后管理，并对业务合规性承担直接管理责任。"),
    ]),
    ("第二章 贷款条件", [
        ("h2", "第一节 借款人条件"),
        ("p", "第五条　借款人应同时具备以下条件："),
        ("p", "（一）年满18周岁、具有完全民事行为能力的中国公民，或在中国境内连续居住满1年并有合法居留证明的港澳台居民及外国人；"),
        ("p", "（二）贷款到期日借款人年龄不超过70周岁；"),
        ("p", "（三）具有稳定的职业和收入，具备按时足额偿还贷款本息的能力。借款人月供与月收入之比（房贷收入比）不超过50%，全部月债务支出与月收入之比不超过55%；"),
        ("p", "（四）信用状况良好，近24个月内个人征信报告中不存在连续3期或累计6期及以上逾期记录，且当前无逾期；"),
        ("p", "（五）已签订合法有效的购房合同，并已支付不低于本办法第十一条规定比例的首付款；"),
        ("p", "（六）同意以所购住房作为贷款抵押物并办理抵押登记；"),
        ("p", "（七）本行规定的其他条件。"),
        ("p", "第六条　首付款应为借款人自有资金，不得以个人消费贷款、个人经营性贷款、信用卡透支等资金支付首付款。经办客户经理应核实首付款来源，留存银行流水或转账凭证等证明材料。"),
        ("p", "第七条　借款人收入原则上以近6个月银行代发工资流水、个人所得税纳税记录或社会保险缴存记录认定。自雇人士应提供近12个月经营流水及营业执照。"),
        ("h2", "第二节 担保与申请材料"),
        ("p", "第八条　个人住房贷款以所购住房设定抵押担保。购买期房的，在办妥正式抵押登记前，由开发商提供阶段性连带责任保证，并办理抵押预告登记。"),
        ("p", "第九条　借款人申请贷款时应提交以下材料：（一）身份证件、户口簿及婚姻状况证明；（二）购房合同及首付款支付凭证；（三）收入证明及近6个月银行流水；（四）本行要求的其他材料。"),
        ("p", "第十条　本行自受理借款申请且资料齐全之日起5个工作日内作出审批决定；抵押登记（或抵押预告登记）办妥后3个工作日内发放贷款。贷款资金以受托支付方式直接划入售房人账户。"),
    ]),
    ("第三章 贷款额度、期限与利率", [
        ("p", "第十一条　贷款额度按购房合同价格与本行认可的评估价格孰低者乘以最高贷款成数确定，且不得超过按借款人还款能力测算的可贷额度。具体标准见表1。"),
        ("caption", "表1　个人住房贷款成数、期限与利率定价标准"),
        ("table", None),
        ("p", "注：1. 首套房、二套房以借款人家庭（含借款人、配偶及未成年子女）在贷款所在城市的住房套数及住房贷款记录认定；2. 二手住房房龄与贷款期限之和不超过50年；3. 当地政府或监管机构另有规定的，从其规定。"),
        ("p", "第十二条　贷款期限最长不超过30年，且贷款到期日借款人年龄不超过70周岁。"),
        ("p", "第十三条　贷款利率按借款合同签订日前一个工作日全国银行间同业拆借中心公布的5年期以上贷款市场报价利率（LPR）加减点确定，加减点数值在合同期限内固定不变。利率重定价周期为1年，重定价日为每年1月1日。"),
        ("h2", "第三节 还款方式与提前还款"),
        ("p", "第十四条　贷款期限在1年以上的，采用等额本息或等额本金方式按月还款，借款人在签订合同时选择；贷款存续期内变更还款方式每年不超过1次。"),
        ("p", "第十五条　借款人提前还款的，应提前10个工作日通过网点或手机银行提交申请。部分提前还款的，单次金额不低于5万元且为1万元的整数倍。"),
        ("p", "第十六条　贷款发放满1年后提前还款的，免收违约金；未满1年提前还款的，按提前还款本金的1%收取违约金。"),
    ]),
    ("第四章 贷后管理", [
        ("p", "第十七条　贷款发放后30日内，经办行应进行首次贷后检查，核实贷款资金支付、抵押登记及借款人还款情况。此后每年至少按存量贷款笔数的10%进行抽样检查。"),
        ("p", "第十八条　借款人逾期的，按以下方式处置："),
        ("p", "（一）逾期1至30天：通过短信、电话提醒借款人还款；"),
        ("p", "（二）逾期31至90天：发送书面催收函，客户经理上门催收，并评估抵押物状况；"),
        ("p", "（三）逾期超过90天：贷款纳入不良资产管理，启动诉讼、抵押物处置等清收程序。"),
        ("p", "逾期贷款自逾期之日起在合同利率基础上加收50%计收罚息。"),
        ("p", "第十九条　本行按照金融资产风险分类要求对个人住房贷款实施五级分类，逾期超过90天的贷款至少归为次级类。"),
        ("p", "第二十条　抵押物价值每年至少重估1次；当地住房价格较上年下跌超过10%时，应增加重估频率，并视情况要求借款人追加担保。"),
        ("p", "第二十一条　借款人出租、转让抵押房产的，须事先征得本行书面同意。"),
    ]),
    ("第五章 附则", [
        ("p", "第二十二条　本办法未尽事宜，按照国家有关法律法规、监管规定及本行其他相关制度执行。"),
        ("p", "第二十三条　本办法由总行个人金融部负责解释和修订。"),
        ("p", "第二十四条　本办法自2025年2月1日起施行。《华夏通商银行个人住房贷款管理办法（2021年版）》同时废止。"),
    ]),
]

DOCX_TABLE = [
    ["住房类型", "最高贷款成数", "最低首付比例", "最长期限", "利率定价（以5年期以上LPR为基准）"],
    ["首套房", "80%", "20%", "30年", "LPR-20BP"],
    ["二套房", "70%", "30%", "25年", "LPR+30BP"],
    ["公积金组合贷款（商业部分）", "80%", "20%", "30年", "LPR-20BP"],
    ["二手住房（房龄超过20年）", "60%", "40%", "20年", "按首套房或二套房标准另加10BP"],
]


def build_docx(path: Path) -> None:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(25)

    def east_asian(style_name: str, font: str) -> None:
        style = doc.styles[style_name]
        rpr = style.element.get_or_add_rPr()
        rfonts = rpr.find(qn("w:rFonts"))
        if rfonts is None:
            rfonts = OxmlElement("w:rFonts")
            rpr.insert(0, rfonts)
        rfonts.set(qn("w:eastAsia"), font)

    for name, font in (("Normal", "宋体"), ("Title", "黑体"), ("Heading 1", "黑体"),
                       ("Heading 2", "黑体")):
        east_asian(name, font)
    doc.styles["Normal"].font.size = Pt(11)

    doc.add_heading("华夏通商银行个人住房贷款管理办法", level=0)
    p = doc.add_paragraph("华通银发〔2025〕8号")
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p = doc.add_paragraph("（2025年1月10日印发，自2025年2月1日起施行）")
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER

    for chapter, items in DOCX_CHAPTERS:
        doc.add_heading(chapter, level=1)
        for kind, text in items:
            if kind == "h2":
                doc.add_heading(text, level=2)
            elif kind == "caption":
                cp = doc.add_paragraph(text)
                cp.alignment = WD_ALIGN_PARAGRAPH.CENTER
                cp.runs[0].bold = True
            elif kind == "table":
                table = doc.add_table(rows=len(DOCX_TABLE), cols=len(DOCX_TABLE[0]))
                table.style = "Table Grid"
                for r, row in enumerate(DOCX_TABLE):
                    for c, value in enumerate(row):
                        cell = table.cell(r, c)
                        cell.text = value
                        if r == 0:
                            cell.paragraphs[0].runs[0].bold = True
            else:
                doc.add_paragraph(text)

    set_fixed_core_properties(doc.core_properties, "华夏通商银行个人住房贷款管理办法", "个人住房贷款",
                              "住房贷款; 首付比例; LPR; 贷后管理", category="规章制度")
    doc.save(str(path))
    normalize_ooxml(path)


# ---------------------------------------------------------------------------
# 2. 信用卡常见问题.md
# ---------------------------------------------------------------------------

CREDIT_CARD_MD = """\
# 华夏通商银行信用卡常见问题（FAQ）

> 适用卡种：华通金卡（Gold）、华通白金卡（Platinum）、华通青春卡（Young）。
> 24小时客服热线：400-699-5588；境外请拨打 +86-21-6888-5588。
> 本文件为演示用虚构内容，更新日期：2025年1月。

## 一、申卡（Application）

**Q1：申请信用卡需要满足什么条件？**

A：主卡申请人须年满18周岁、不超过65周岁，具有完全民事行为能力和稳定收入；附属卡申请人须年满13周岁。华通青春卡面向18至30周岁的客户，在校大学生申请须提供学生证，并经父母或其他监护人书面同意。

**Q2：审批需要多长时间？如何查询进度？**

A：资料齐全的情况下，审批一般在5至7个工作日内完成。可通过手机银行“信用卡 > 申请进度查询”或客服热线查询。审批通过后卡片通过EMS寄送至账单地址，通常3至5个工作日送达。

**Q3：收到卡片后如何激活（activation）？**

A：可通过手机银行App、微信公众号“华通信用卡”或客服热线激活，需验证身份证号、卡片有效期及CVV2。卡片自寄出之日起180天内未激活的，将被自动注销。

## 二、额度（Credit Limit）

**Q4：信用额度是如何确定的？**

A：根据收入、资产、征信记录及与本行的业务往来综合评定。金卡额度一般为1万元至5万元，白金卡额度一般为5万元至30万元。

**Q5：可以申请临时额度吗？**

A：可以。持卡满3个月且用卡正常的，可通过手机银行或客服热线申请临时额度，临时额度有效期为30天，最长不超过90天。临时额度部分须在到期还款日一次性全额还清，不可办理分期或最低还款。

**Q6：如何申请永久提额？**

A：持卡满6个月且近6个月无逾期的，可申请永久提额，两次申请间隔不少于6个月。系统也会根据用卡情况主动邀请提额。

## 三、还款（Repayment）

**Q7：账单日和到期还款日是哪天？**

A：账单日（statement date）在开卡时确定，每月固定；到期还款日（due date）为账单日后第20天。消费交易可享受最短20天、最长50天的免息还款期（interest-free period）。

**Q8：不能全额还款怎么办？**

A：可在到期还款日前还清最低还款额（minimum payment）。最低还款额 = 本期消费本金的10% + 当期分期应还金额 + 上期未还最低还款额 + 利息及费用。选择最低还款的，不再享受免息还款期待遇，全部欠款自记账日起按日利率0.05%计收透支利息。

**Q9：还款有宽限期吗？**

A：有。本行提供3天还款宽限期（grace period）：在到期还款日后3天内（含第3天）还清最低还款额的，视同按时还款，不收取违约金，也不影响个人征信记录。

**Q10：支持哪些还款方式？**

A：本行借记卡自动还款（可设置全额或最低还款额）、手机银行、网上银行、柜面及ATM；他行借记卡可通过手机银行“他行卡还款”功能免费还款，实时到账。

## 四、分期（Installment）

**Q11：有哪些分期方式？**

A：账单分期、消费分期（单笔消费满600元可申请）和现金分期（华通E贷）。账单分期须在账单日后至到期还款日前一天申请，分期金额最低500元。

**Q12：分期手续费怎么算？**

A：手续费按期收取：3期每期0.75%，6期每期0.70%，12期每期0.66%，24期每期0.65%。例如：账单分期12,000元、分12期，每期应还本金1,000元，每期手续费79.2元，折合年化利率（APR）约为14.31%。

**Q13：分期可以提前还款吗？**

A：可以。提前结清时一次性归还剩余本金，已收取的手续费不予退还，未到期的手续费不再收取。

## 五、年费（Annual Fee）

**Q14：年费是多少？可以减免吗？**

A：华通金卡年费200元/年，首年免年费，当年刷卡满6次（不限金额）免次年年费；华通白金卡年费1,200元/年，当年消费满18万元或使用20,000积分可抵扣次年年费；华通青春卡免年费。

**Q15：销卡后已收取的年费会退吗？**

A：已收取的年费不予退还。如不再使用，建议在年费收取前销卡。年费在卡片有效期起始月的下一个账单日收取。

## 六、挂失（Lost or Stolen Card）

**Q16：卡片丢失或被盗怎么办？**

A：请立即通过手机银行“卡片管理 > 挂失”或拨打24小时客服热线400-699-5588办理挂失，挂失即时生效，挂失手续费全免。身处境外时请拨打 +86-21-6888-5588。

**Q17：挂失前被盗刷的损失由谁承担？**

A：本行提供失卡保障（Lost Card Protection）：挂失前72小时内因盗刷产生的损失，金卡最高赔付1万元，白金卡最高赔付5万元。持卡人须在挂失后7天内向公安机关报案，并提交报案回执。

**Q18：补卡收费吗？多久能收到新卡？**

A：补卡费为10元/张，白金卡免收。新卡一般在7个工作日内寄出；原卡的自动还款设置和积分将自动转移至新卡。

## 附：主要收费标准（Fee Schedule）

| 收费项目 | 华通金卡 | 华通白金卡 | 说明 |
|---|---|---|---|
| 年费（Annual fee） | 200元/年 | 1,200元/年 | 减免条件见Q14 |
| 境内取现手续费 | 交易金额的1%，最低10元 | 交易金额的1%，最低10元 | 取现不享受免息期 |
| 境外取现手续费 | 交易金额的1%，最低3美元 | 交易金额的1%，最低3美元 | 另收境外机构费用（如有） |
| 取现透支利息 | 日利率0.05% | 日利率0.05% | 自取现当日起计息 |
| 违约金（Late payment fee） | 最低还款额未还部分的5% | 最低还款额未还部分的5% | 宽限期内还款免收 |
| 外币交易货币转换费 | 交易金额的1.5% | 交易金额的1% | 外币交易以人民币入账时收取 |
| 补卡费 | 10元/张 | 免费 | 挂失手续费全免 |
| 加急制卡费 | 100元/张 | 100元/张 | 3个工作日内寄出 |
| 账单分期手续费 | 每期0.65%至0.75% | 每期0.65%至0.75% | 按期数不同，详见Q12 |
| 短信通知服务费 | 免费 | 免费 | 单笔500元以上交易提醒 |
"""


def build_md(path: Path) -> None:
    path.write_bytes(CREDIT_CARD_MD.encode("utf-8"))


# ---------------------------------------------------------------------------
# 3. 稳盈系列理财产品说明书.pdf
# ---------------------------------------------------------------------------

PDF_FONT = "STSong-Light"

PDF_ELEMENTS = [
    ("一、产品概述", [
        ("p", "华通稳盈180天持有期固定收益类理财产品（以下简称“本产品”）是华通理财有限责任公司发行、华夏通商银行股份有限公司代理销售的公募理财产品，属于“稳盈系列”。本产品主要投资于高等级债券及货币市场工具，力求在控制风险的前提下实现资产的稳健增值。"),
        ("table", "overview"),
        ("p", "本产品为非保本浮动收益型理财产品，不保证本金和收益。投资者应认真阅读本说明书、理财产品销售协议书及风险揭示书，在充分了解产品特点与风险的基础上审慎决策。"),
    ]),
    ("二、风险等级", [
        ("p", "根据管理人的产品风险评级方法，本产品风险等级为R2（中低风险）。本产品主要投资于固定收益类资产，本金损失的可能性较小，但产品净值可能因市场利率上升、发行人违约等因素出现波动，极端情况下投资者可能损失部分本金。"),
        ("p", "本行对投资者进行风险承受能力评估，评估结果有效期为12个月。仅经评估为C2（稳健型）及以上的投资者可购买本产品。风险等级与适合投资者对应关系如下："),
        ("table", "risk"),
    ]),
    ("三、投资范围与投资比例", [
        ("h2", "（一）投资范围"),
        ("p", "本产品投资于国债、地方政府债、政策性金融债、同业存单、主体评级AA+及以上的信用债、资产支持证券优先级、货币市场工具、银行存款、债券型公募基金以及符合监管要求的非标准化债权类资产。"),
        ("h2", "（二）投资比例"),
        ("p", "1. 固定收益类资产占产品总资产的比例为80%～100%；"),
        ("p", "2. 现金、银行存款及到期日在一年以内的政府债券合计不低于产品资产净值的5%；"),
        ("p", "3. 非标准化债权类资产占产品资产净值的比例为0～20%；"),
        ("p", "4. 单一发行人发行的证券市值不超过产品资产净值的10%；"),
        ("p", "5. 产品总资产不超过产品资产净值的140%。"),
        ("p", "因市场波动、巨额赎回等非管理人主观因素导致投资比例超出上述范围的，管理人将在10个交易日内调整至规定范围。"),
    ]),
    ("四、收益说明", [
        ("h2", "（一）业绩比较基准"),
        ("p", "本产品业绩比较基准为年化2.80%～3.50%。该基准根据产品投资范围与资产配置测算：假设90%资产投资于债券类资产、年化收益3.00%～3.80%，10%资产投资于现金及存款、年化收益1.50%，并扣除各项费用后得出。"),
        ("p", "业绩比较基准不是预期收益率，不代表产品的未来表现和实际收益，不构成管理人或本行对产品收益的承诺。"),
        ("h2", "（二）收益计算方式"),
        ("p", "本产品采用净值化管理，份额面值为1.0000元。投资者收益 = 赎回份额 ×（赎回确认日单位净值 - 申购确认日单位净值）。单位净值已扣除各项费用。"),
        ("p", "示例一（盈利情形）：投资者甲申购10万元，申购确认日单位净值为1.0200元，确认份额98,039.22份。持有满180天后全部赎回，赎回确认日单位净值为1.0358元，赎回金额为101,549.02元，投资收益1,549.02元，折合年化收益率约3.14%。"),
        ("p", "示例二（亏损情形）：若上述赎回确认日单位净值下跌至1.0150元，赎回金额为99,509.81元，投资者亏损490.19元。"),
        ("p", "以上示例仅为说明收益计算方法，采用的数据均为假设，不代表产品实际收益。"),
        ("h2", "（三）同系列产品过往业绩"),
        ("p", "截至2024年12月31日，稳盈90天持有期产品成立以来年化收益率为2.96%，稳盈365天持有期产品成立以来年化收益率为3.38%。过往业绩不代表其未来表现，不等于产品实际收益，投资须谨慎。"),
    ]),
    ("五、费用", [
        ("p", "本产品收取的费用如下表所示。固定管理费、销售服务费和托管费按前一日产品资产净值每日计提，按季支付。"),
        ("table", "fees"),
        ("p", "费率优惠：2025年6月30日前，销售服务费优惠至0.10%/年。管理人调整费率的，将至少提前3个工作日公告；提高费率的，投资者可在费率调整生效前按规则赎回。"),
        ("p", "费用示例：投资者持有10万元本产品满一年，按产品资产净值不变计算，固定管理费约300元、销售服务费约250元（优惠期内约100元）、托管费约20元。"),
    ]),
    ("六、申购赎回规则", [
        ("h2", "（一）开放日与交易时间"),
        ("p", "本产品每个工作日为开放日，交易时间为9:00～15:30。15:30之后提交的申请视为下一开放日的申请。投资者可通过本行网点、手机银行和网上银行办理。"),
        ("h2", "（二）申购"),
        ("p", "投资者在开放日（T日）15:30前提交的申购申请，按T日单位净值确认，T+1日确认份额，申购资金在提交申请时冻结。份额确认后开始计算最短持有期。首次申购起点为1万元，追加申购以1000元的整数倍递增。"),
        ("h2", "（三）赎回"),
        ("p", "每笔申购份额持有满180天（含）后，投资者可在之后任一开放日申请赎回；持有未满180天的份额不可赎回。赎回按T日单位净值计算，赎回资金于T+2个工作日内到账。单笔赎回不得低于1000份；赎回后剩余份额低于1000份的，须一并全部赎回。"),
        ("h2", "（四）巨额赎回"),
        ("p", "单个开放日净赎回申请份额超过上一日产品总份额10%的，为巨额赎回。发生巨额赎回时，管理人可全额办理，也可对超出部分延期办理，延期部分顺延至下一开放日，延期时间最长不超过20个工作日。"),
        ("h2", "（五）撤单与暂停"),
        ("p", "T日15:30前提交的申购、赎回申请可在当日15:30前撤销。因不可抗力、证券交易所停市或产品资产估值出现重大不确定等情形，管理人可暂停申购或赎回，并在2个工作日内公告。"),
    ]),
    ("七、估值与信息披露", [
        ("p", "本产品每个开放日估值，并于下一工作日通过本行官网、手机银行及中国理财网披露单位净值。管理人于每季度结束后15个工作日内披露季度报告，每半年结束后60个工作日内披露半年度报告，每年结束后90个工作日内披露年度报告。发生可能影响投资者权益的重大事项的，管理人将在事项发生后2个工作日内公告。"),
    ]),
    ("PAGEBREAK", None),
    ("八、风险揭示", [
        ("p", "理财非存款、产品有风险、投资须谨慎。本产品为非保本浮动收益型理财产品，管理人和本行不保证本金和收益。投资者购买本产品可能面临以下风险："),
        ("p", "1. 政策风险：国家货币政策、财政政策、监管政策等发生变化，可能影响产品的投资运作和收益。"),
        ("p", "2. 信用风险：债券发行人或交易对手发生违约、评级下调等信用事件，可能导致产品资产损失。"),
        ("p", "3. 市场风险：市场利率上升将导致债券价格下跌，产品单位净值可能下降，甚至低于1.0000元。"),
        ("p", "4. 流动性风险：每笔份额须持有满180天方可赎回，持有期内投资者不能提前赎回；发生巨额赎回时，赎回申请可能被延期办理。"),
        ("p", "5. 管理风险：管理人的投资判断、投资决策可能出现失误，影响产品收益水平。"),
        ("p", "6. 估值风险：产品部分资产缺乏活跃市场报价，估值结果可能与资产实际变现价值存在差异。"),
        ("p", "7. 提前终止风险：产品规模连续20个工作日低于5000万元等情形下，管理人有权提前终止本产品，投资者可能无法实现预期投资期限。"),
        ("p", "8. 信息传递风险：投资者应及时查询产品公告；因投资者预留联系方式变更未及时告知等原因导致无法及时获知信息的，由投资者自行承担相应后果。"),
        ("p", "9. 不可抗力风险：自然灾害、战争、系统故障等不可抗力事件可能导致产品运作受到影响甚至资产损失。"),
        ("p", "最不利投资情形：在发生多数发行人违约等极端情况下，投资者可能损失部分甚至全部本金，且无任何收益。"),
        ("h2", "投资者确认"),
        ("p", "本人已认真阅读本产品说明书及风险揭示书，充分了解本产品为R2（中低风险）非保本浮动收益型产品，确认本人风险承受能力评估结果与本产品风险等级相匹配，自愿承担投资风险。"),
        ("p", "请投资者手工抄录：本人已经阅读风险揭示，愿意承担投资风险。"),
        ("p", "抄录：______________________________________________"),
        ("p", "投资者签字：________________　　日期：______年____月____日"),
        ("p", "客户经理签字：______________　　网点名称：________________"),
    ]),
]

PDF_TABLES = {
    "overview": ([50, 120], [
        ["产品要素", "内容"],
        ["产品名称", "华通稳盈180天持有期固定收益类理财产品"],
        ["产品代码", "HCBWY180"],
        ["理财产品登记编码", "Z7001025000186（可在中国理财网查询）"],
        ["产品管理人", "华通理财有限责任公司"],
        ["产品托管人", "华夏通商银行股份有限公司资产托管部"],
        ["代理销售机构", "华夏通商银行股份有限公司"],
        ["产品类型", "固定收益类、非保本浮动收益型"],
        ["运作方式", "开放式，每笔份额最短持有期180天"],
        ["风险等级", "R2（中低风险）"],
        ["适合投资者", "风险承受能力评估为C2（稳健型）及以上的个人投资者"],
        ["投资币种", "人民币"],
        ["首次申购起点", "1万元，以1000元的整数倍递增"],
        ["单户持有上限", "5000万元"],
        ["业绩比较基准", "年化2.80%～3.50%"],
        ["产品成立日", "2025年1月15日"],
        ["产品期限", "无固定期限"],
    ]),
    "risk": ([30, 35, 105], [
        ["风险等级", "风险程度", "适合投资者（风险承受能力评估结果）"],
        ["R1", "低风险", "C1（保守型）及以上"],
        ["R2", "中低风险", "C2（稳健型）及以上"],
        ["R3", "中风险", "C3（平衡型）及以上"],
        ["R4", "中高风险", "C4（成长型）及以上"],
        ["R5", "高风险", "C5（进取型）"],
    ]),
    "fees": ([35, 65, 70], [
        ["费用项目", "费率", "收取方式"],
        ["认购费", "0", "不收取"],
        ["申购费", "0", "不收取"],
        ["赎回费", "0", "持有满180天后赎回，不收取"],
        ["固定管理费", "0.30%/年", "每日计提，按季支付"],
        ["销售服务费", "0.25%/年", "每日计提，按季支付"],
        ["托管费", "0.02%/年", "每日计提，按季支付"],
        ["业绩报酬", "超过业绩比较基准上限部分的20%", "赎回或产品终止时计提"],
    ]),
}


def build_pdf(path: Path) -> None:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import (PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table,
                                    TableStyle)
    from xml.sax.saxutils import escape

    pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))

    base = dict(fontName=PDF_FONT, wordWrap="CJK")
    st_title = ParagraphStyle("title", fontSize=18, leading=26, alignment=TA_CENTER,
                              spaceAfter=4, **base)
    st_sub = ParagraphStyle("sub", fontSize=10, leading=15, alignment=TA_CENTER,
                            textColor=colors.HexColor("#444444"), spaceAfter=8, **base)
    st_notice = ParagraphStyle("notice", fontSize=10.5, leading=16, borderColor=colors.HexColor("#9b1c1c"),
                               borderWidth=0.8, borderPadding=6, backColor=colors.HexColor("#fdf2f2"),
                               spaceBefore=6, spaceAfter=12, **base)
    st_h1 = ParagraphStyle("h1", fontSize=15, leading=22, spaceBefore=12, spaceAfter=6,
                           textColor=colors.HexColor("#8b1a1a"), **base)
    st_h2 = ParagraphStyle("h2", fontSize=12, leading=18, spaceBefore=6, spaceAfter=3, **base)
    st_body = ParagraphStyle("body", fontSize=10.5, leading=17, firstLineIndent=21,
                             spaceAfter=4, **base)
    st_cell = ParagraphStyle("cell", fontSize=9.5, leading=14, **base)

    on_page = running_header("华夏通商银行 稳盈系列理财产品说明书", "产品代码 HCBWY180", FIXED_PDF_DATE)

    def make_table(key):
        widths_mm, rows = PDF_TABLES[key]
        data = [[Paragraph(escape(c), st_cell) for c in row] for row in rows]
        t = Table(data, colWidths=[w * mm for w in widths_mm], repeatRows=1)
        t.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#888888")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e1d4")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]))
        return t

    story = [
        Paragraph("华通稳盈180天持有期固定收益类理财产品说明书", st_title),
        Paragraph("稳盈系列　产品代码：HCBWY180　理财产品登记编码：Z7001025000186", st_sub),
        Paragraph("重要提示：理财非存款、产品有风险、投资须谨慎。本产品为非保本浮动收益型理财产品，"
                  "风险等级为R2（中低风险），不保证本金和收益。本说明书为虚构的演示文件，"
                  "不构成任何要约或投资建议。", st_notice),
    ]
    for heading, items in PDF_ELEMENTS:
        if heading == "PAGEBREAK":
            story.append(PageBreak())
            continue
        story.append(Paragraph(escape(heading), st_h1))
        for kind, value in items:
            if kind == "h2":
                story.append(Paragraph(escape(value), st_h2))
            elif kind == "table":
                story.append(Spacer(1, 3))
                story.append(make_table(value))
                story.append(Spacer(1, 6))
            else:
                story.append(Paragraph(escape(value), st_body))

    doc = SimpleDocTemplate(
        str(path), pagesize=A4,
        leftMargin=20 * mm, rightMargin=20 * mm, topMargin=22 * mm, bottomMargin=22 * mm,
        title="华通稳盈180天持有期固定收益类理财产品说明书",
        author=AUTHOR, subject="稳盈系列理财产品说明书",
        creator="Zhiku demo/build_demo_kb.py", producer="ReportLab (invariant mode)",
        keywords=["理财", "稳盈", "R2"], invariant=1,
    )
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)


# ---------------------------------------------------------------------------
# 4. IT_Security_Policy.html
# ---------------------------------------------------------------------------

IT_POLICY_HTML = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>HCB Information Technology Security Policy</title>
<style>
body { font-family: Arial, Helvetica, sans-serif; max-width: 900px; margin: 2em auto; line-height: 1.5; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #999; padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: #eee; }
.meta { color: #555; font-size: 0.9em; }
</style>
</head>
<body>
<h1>Information Technology Security Policy</h1>
<p class="meta">Huaxia Commerce Bank (HCB) - Internal Use Only. Document ID: HCB-ISP-001, Version 3.2.
Owner: Chief Information Security Officer (CISO). Approved by the IT Risk Committee. Effective date: 1 February 2025.
This is a fictional document created for a software demo.</p>

<h2>1. Purpose and Scope</h2>
<p>This policy defines the minimum security requirements for all HCB information systems. It applies to all
employees, contractors, outsourced service providers and interns who access HCB systems, networks or data,
whether on HCB premises or remotely. Violations may lead to disciplinary action up to and including termination.</p>

<h2>2. Password Requirements</h2>
<h3>2.1 Standard User Accounts</h3>
<ul>
<li>Passwords must be at least 12 characters long.</li>
<li>Passwords must contain at least three of the following four character types: uppercase letters, lowercase letters, digits and special characters.</li>
<li>Passwords must be changed every 90 days. The last 10 passwords may not be reused.</li>
<li>Accounts are locked for 30 minutes after 5 consecutive failed login attempts.</li>
<li>Passwords must not contain the user name, employee number, date of birth or the word "HCB".</li>
<li>Never share passwords, write them down, or send them by email or instant message. IT staff will never ask for your password.</li>
</ul>
<h3>2.2 Privileged and Service Accounts</h3>
<ul>
<li>Privileged (administrator) passwords must be at least 16 characters long and changed every 60 days.</li>
<li>Privileged credentials are stored in the HCB Privileged Access Vault and checked out per session; every session is recorded.</li>
<li>Service account passwords must be at least 24 characters, randomly generated and rotated every 180 days.</li>
</ul>

<h2>3. Multi-Factor Authentication (MFA)</h2>
<p>MFA is mandatory for:</p>
<ol>
<li>All remote access to the HCB network (VPN and virtual desktop).</li>
<li>All privileged accounts, including database and cloud console administrators.</li>
<li>Access to the core banking system, the payment gateway and the SWIFT environment.</li>
<li>Webmail and Microsoft 365 access from outside the HCB network.</li>
</ol>
<p>Approved second factors are the HCB Authenticator app (push notification or 6-digit TOTP code) and FIDO2 hardware
security keys. SMS one-time passwords may be used only as a temporary fallback for up to 7 days, with Service Desk approval.
MFA sessions expire after 12 hours.</p>

<h2>4. Data Classification</h2>
<p>All information must be labelled by its owner with one of the four classification levels below and handled accordingly.</p>
<table>
<thead>
<tr><th>Level</th><th>Label</th><th>Examples</th><th>Handling Requirements</th></tr>
</thead>
<tbody>
<tr><td>L1</td><td>Public</td><td>Published interest rates, branch addresses, marketing brochures</td><td>No restrictions on disclosure; publication requires Corporate Communications approval.</td></tr>
<tr><td>L2</td><td>Internal</td><td>Internal policies, organisation charts, training material</td><td>HCB staff only; must not be posted on public websites or social media.</td></tr>
<tr><td>L3</td><td>Confidential</td><td>Customer personal information, account balances, loan files, audit reports</td><td>Need-to-know access; encrypted when sent outside HCB; no personal email or cloud storage.</td></tr>
<tr><td>L4</td><td>Restricted</td><td>Card numbers (PAN) and PINs, encryption keys, authentication credentials, board papers</td><td>Named individuals only; AES-256 encryption at rest and in transit; printing and USB copying prohibited.</td></tr>
</tbody>
</table>
<p>When in doubt, treat information as Confidential (L3) until the data owner confirms its classification.</p>

<h2>5. Incident Reporting</h2>
<p>An information security incident is any event that may compromise the confidentiality, integrity or availability of
HCB information, for example a lost laptop, a phishing email that was clicked, malware alerts or suspected data leakage.</p>
<ul>
<li>All staff must report any suspected or actual security incident to the Security Operations Center (SOC) within 2 hours of discovery.</li>
<li>Report by phone on internal extension 8110 (24x7) or by email to soc@hcb.example. Forward suspicious emails as attachments to phishing@hcb.example.</li>
<li>Severity 1 incidents (customer data breach, payment system compromise) are escalated by the SOC to the CISO within 30 minutes.</li>
<li>Major incidents are reported to the regulator within 24 hours by the Compliance Department.</li>
<li>Do not investigate, delete evidence or contact external parties yourself. Disconnect an infected device from the network but do not switch it off.</li>
</ul>

<h2>6. Remote Access</h2>
<h3>6.1 General Rules</h3>
<ul>
<li>Remote access is permitted only through the HCB SecureConnect VPN or the HCB virtual desktop, always with MFA.</li>
<li>Only HCB-managed devices with full-disk encryption, endpoint protection and current security patches may connect.</li>
<li>Remote sessions are disconnected after 15 minutes of inactivity and have a maximum duration of 10 hours.</li>
</ul>
<h3>6.2 Restrictions</h3>
<ul>
<li>Personal devices may be used only for webmail through the approved mobile app and may never store Confidential (L3) or Restricted (L4) data.</li>
<li>Public Wi-Fi may be used only with the VPN connected. Printing HCB documents at home is prohibited.</li>
<li>Remote access from outside mainland China requires prior approval from the employee's department head and the CISO.</li>
</ul>

<h2>7. Workstation and Clean Desk</h2>
<ul>
<li>Screens must lock automatically after 5 minutes of inactivity; lock your screen (Windows key + L) whenever you leave your desk.</li>
<li>Confidential documents must be locked away at the end of the day and disposed of in secure shredding bins.</li>
<li>Only software from the HCB Software Center may be installed.</li>
</ul>

<h2>8. Compliance and Exceptions</h2>
<p>Compliance with this policy is monitored by the Information Security Department and audited annually by Internal Audit.
Exceptions must be requested through the IT Service Desk, approved by the CISO, and are valid for a maximum of 6 months.
All staff must complete the annual security awareness course by 31 March each year.</p>
<p class="meta">Questions about this policy: Information Security Department, extension 8100, infosec@hcb.example.</p>
</body>
</html>
"""


def build_html(path: Path) -> None:
    path.write_bytes(IT_POLICY_HTML.encode("utf-8"))


# ---------------------------------------------------------------------------
# 5. Branch_Fee_Schedule.xlsx
# ---------------------------------------------------------------------------

PERSONAL_FEES = [
    ["服务项目 (Service)", "收费标准 (Fee)", "计费单位 (Unit)", "备注 (Notes)"],
    ["借记卡开卡工本费", "免费", "每张", "含芯片借记卡、社保联名卡"],
    ["借记卡年费", "10元", "每卡每年", "账户日均余额不低于1万元或代发工资卡免收"],
    ["小额账户管理费", "免收", "每户", "本行已全面取消小额账户管理费"],
    ["借记卡挂失补卡", "10元", "每张", "挂失手续费免收；补卡7个工作日内寄出"],
    ["跨行ATM取现（境内）", "2元", "每笔", "每月前3笔免费"],
    ["境外ATM取现", "12元 + 取现金额的1%", "每笔", "每卡每日境外取现上限为等值1万元人民币"],
    ["柜面跨行转账（1万元及以下）", "5元", "每笔", "手机银行、网上银行转账免费"],
    ["柜面跨行转账（1万元以上至10万元）", "10元", "每笔", "手机银行、网上银行转账免费"],
    ["柜面跨行转账（10万元以上）", "15元", "每笔", "手机银行、网上银行转账免费"],
    ["手机银行/网上银行转账", "免费", "每笔", "手机银行单日转账限额50万元"],
    ["个人存款证明", "20元", "每份", "同时开立多份的，第二份起每份10元"],
    ["柜面打印账户对账单", "5元", "每份", "近1年内交易明细打印免费"],
    ["保管箱租金（小型）", "300元", "每年", "另收押金1000元，退租时退还"],
]

CORPORATE_FEES = [
    ["Service", "Fee", "Unit", "Notes"],
    ["Basic account opening", "Free", "per account", "Business licence and legal representative ID required"],
    ["Account management fee", "CNY 300", "per account per year", "Waived for micro and small enterprises"],
    ["Online banking U-Key", "CNY 60", "per key", "First 2 keys per company free"],
    ["Domestic transfer via corporate online banking", "Free", "per transaction", "Daily limit set by the company administrator"],
    ["Domestic transfer at counter", "0.02% of amount, min CNY 10, max CNY 50", "per transaction", "Same-bank transfers free"],
    ["Bank draft issuance", "CNY 20", "per draft", "Lost draft stop-payment fee CNY 50"],
    ["Bank acceptance bill issuance", "0.05% of face value", "per bill", "Commitment fee; credit approval required"],
    ["Outward international remittance (SWIFT)", "0.1% of amount, min CNY 50, max CNY 1,000", "per transaction", "Plus cable fee CNY 150"],
    ["Inward international remittance", "Free", "per transaction", "Intermediary bank charges may apply"],
    ["Letter of credit issuance", "0.15% of LC amount, min CNY 300", "per LC", "Amendment fee CNY 200 per amendment"],
    ["Bank credit reference letter", "CNY 200", "per copy", "Issued within 3 working days"],
    ["Cash pooling service", "CNY 5,000", "per year", "Up to 20 member accounts"],
    ["Payroll service", "Free", "per batch", "Employees receive fee-free payroll debit cards"],
]


def build_xlsx(path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDE6F0")
    for idx, (title, rows, widths) in enumerate((
        ("个人账户收费", PERSONAL_FEES, [34, 24, 12, 44]),
        ("Corporate Fees", CORPORATE_FEES, [44, 42, 22, 50]),
    )):
        ws = wb.active if idx == 0 else wb.create_sheet()
        ws.title = title
        for row in rows:
            ws.append(row)
        for cell in ws[1]:
            cell.font = header_font
            cell.fill = header_fill
        for col, width in zip("ABCD", widths):
            ws.column_dimensions[col].width = width
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = "A2"

    props = wb.properties
    props.title = "Branch Fee Schedule 网点服务收费标准"
    props.subject = "Fee schedule (effective 1 February 2025)"
    props.creator = AUTHOR
    props.lastModifiedBy = AUTHOR
    props.keywords = "fees; 收费标准; corporate; personal"
    props.description = "Fictional demo document for the Zhiku knowledge base."
    props.created = FIXED_DT
    props.modified = FIXED_DT
    wb.save(str(path))
    normalize_ooxml(path)


# ---------------------------------------------------------------------------
# 6. 反洗钱培训.pptx
# ---------------------------------------------------------------------------

AML_BULLET_SLIDES = {
    2: ("什么是洗钱？", [
        (0, "洗钱：通过各种方式掩饰、隐瞒犯罪所得及其收益的来源和性质，使其在形式上合法化的行为"),
        (0, "洗钱的三个阶段："),
        (1, "处置（Placement）：将非法现金存入金融体系，如拆分后存入多个账户"),
        (1, "离析（Layering）：通过多层复杂交易割断资金与其来源之间的联系"),
        (1, "融合（Integration）：以看似合法的投资、消费将资金重新投入经济"),
        (0, "七类上游犯罪：毒品犯罪、黑社会性质的组织犯罪、恐怖活动犯罪、走私犯罪、贪污贿赂犯罪、破坏金融管理秩序犯罪、金融诈骗犯罪"),
    ]),
    3: ("客户尽职调查（CDD）", [
        (0, "建立业务关系，或办理单笔人民币5万元、外币等值1万美元以上的一次性现金存取业务时，必须识别客户身份"),
        (0, "核对有效身份证件原件，并通过公民身份信息联网核查系统核验"),
        (0, "非自然人客户须识别受益所有人：直接或间接持股超过25%的自然人"),
        (0, "高风险客户（如外国政要PEP、来自高风险国家或地区的客户）实施强化尽职调查（EDD），须经支行行长审批"),
        (0, "客户身份资料和交易记录在业务关系结束后至少保存10年"),
    ]),
    5: ("可疑交易识别与报告", [
        (0, "常见可疑特征："),
        (1, "短期内资金分散转入、集中转出，或集中转入、分散转出"),
        (1, "交易金额、频率与客户身份、收入或经营规模明显不符"),
        (1, "无正当理由拆分交易以规避大额报告，如连续多次存入4.9万元现金"),
        (0, "报告流程：网点发现异常后1个工作日内提交《可疑交易识别报告》→ 分行反洗钱岗分析 → 总行合规与法律部审核后报送中国反洗钱监测分析中心"),
        (0, "报送时限：确认为可疑交易后5个工作日内完成报送"),
        (0, "严禁向客户或第三方泄露可疑交易报告信息，禁止“通风报信”"),
    ]),
    6: ("违规责任与培训考核", [
        (0, "未按规定履行客户身份识别、大额和可疑交易报告义务的，本行可能被处以监管罚款，责任人员可能被取消任职资格"),
        (0, "内部问责：按《员工违规行为处理办法》扣减绩效、通报批评，情节严重的解除劳动合同"),
        (0, "全体员工每年须完成不少于8学时的反洗钱培训；新员工入职30日内完成首次培训"),
        (0, "培训结束后参加线上考试，80分及以上为合格；不合格者须在15个工作日内补考"),
        (0, "咨询：合规与法律部反洗钱中心，内线6600，邮箱 aml@hcb.example"),
    ]),
}

AML_TABLE = [
    ["交易类型", "报告标准", "报送时限"],
    ["现金交易（自然人和非自然人客户）", "单笔或当日累计人民币5万元以上（含）、外币等值1万美元以上（含）", "交易发生后5个工作日内"],
    ["非自然人客户银行账户转账", "单笔或当日累计人民币200万元以上（含）、外币等值20万美元以上（含）", "交易发生后5个工作日内"],
    ["自然人客户境内转账", "单笔或当日累计人民币50万元以上（含）、外币等值10万美元以上（含）", "交易发生后5个工作日内"],
    ["自然人客户跨境转账", "单笔或当日累计人民币20万元以上（含）、外币等值1万美元以上（含）", "交易发生后5个工作日内"],
]

AML_NOTES = (
    "讲解要点：\n"
    "1. 大额交易报告是客观标准，只要达到金额标准就必须报告，不需要判断交易是否可疑。\n"
    "2. “当日累计”按自然日计算，同一客户在本行所有网点、所有账户的同类交易合并计算。\n"
    "3. 交易同时符合大额和可疑标准的，应当分别提交大额交易报告和可疑交易报告。\n"
    "4. 大额交易数据由反洗钱系统自动抓取，网点的责任是确保客户身份信息、交易对手信息和交易用途录入完整准确。\n"
    "5. 提问示例：客户当日在两个网点各存入现金3万元，是否需要报告？答案：需要，当日累计6万元已达到5万元标准。"
)


def build_pptx(path: Path) -> None:
    from pptx import Presentation
    from pptx.util import Inches, Pt

    prs = Presentation()

    # Slide 1: title
    s = prs.slides.add_slide(prs.slide_layouts[0])
    s.shapes.title.text = "反洗钱与反恐怖融资合规培训"
    s.placeholders[1].text = "华夏通商银行 合规与法律部\n2025年度全员必修课程"

    def bullet_slide(title, bullets):
        slide = prs.slides.add_slide(prs.slide_layouts[1])
        slide.shapes.title.text = title
        tf = slide.placeholders[1].text_frame
        for i, (level, text) in enumerate(bullets):
            para = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            para.text = text
            para.level = level
            for run in para.runs:
                run.font.size = Pt(18 if level == 0 else 16)
        return slide

    bullet_slide(*AML_BULLET_SLIDES[2])
    bullet_slide(*AML_BULLET_SLIDES[3])

    # Slide 4: table of large-transaction thresholds + speaker notes
    slide = prs.slides.add_slide(prs.slide_layouts[5])
    slide.shapes.title.text = "大额交易报告标准"
    rows, cols = len(AML_TABLE), len(AML_TABLE[0])
    shape = slide.shapes.add_table(rows, cols, Inches(0.4), Inches(1.7), Inches(9.2), Inches(4.2))
    table = shape.table
    for c, w in enumerate((2.6, 4.4, 2.2)):
        table.columns[c].width = Inches(w)
    for r, row in enumerate(AML_TABLE):
        for c, value in enumerate(row):
            cell = table.cell(r, c)
            cell.text = value
            for para in cell.text_frame.paragraphs:
                for run in para.runs:
                    run.font.size = Pt(14)
                    run.font.bold = r == 0
    slide.notes_slide.notes_text_frame.text = AML_NOTES

    bullet_slide(*AML_BULLET_SLIDES[5])
    bullet_slide(*AML_BULLET_SLIDES[6])

    set_fixed_core_properties(prs.core_properties, "反洗钱与反恐怖融资合规培训", "反洗钱培训 2025",
                              "反洗钱; AML; 大额交易报告; 可疑交易")
    prs.save(str(path))
    normalize_ooxml(path)


# ---------------------------------------------------------------------------
# 7. Notice_Mobile_Banking_Upgrade.eml
# ---------------------------------------------------------------------------

EML_TEXT = """\
Dear colleagues,

Huaxia Commerce Bank (HCB) will upgrade the Mobile Banking App platform
to version 6.0. Some mobile services will be unavailable to customers
during the maintenance window below.

MAINTENANCE WINDOW
  Start: 22:00 on Saturday, 15 March 2025 (Beijing time, UTC+8)
  End:   04:00 on Sunday, 16 March 2025 (Beijing time, UTC+8)
  Change reference: CHG-2025-0315-MB

AFFECTED SERVICES (unavailable during the window)
  - Mobile banking login and account enquiries
  - Transfers and payments, including instant interbank transfers
  - QR code payments and bill payments in the app
  - Wealth product purchases and redemptions in the app
  - Mobile token approvals for internet banking transactions

NOT AFFECTED
  - ATM and POS card transactions
  - Credit card authorisations
  - Personal internet banking (except transactions needing mobile token)
  - Branch counter services

WHAT IS NEW IN VERSION 6.0
  - Face recognition login
  - Payee name check before every transfer
  - Real-time alerts for transfers above CNY 50,000

Customers must update to version 6.0 by 30 April 2025; versions 5.x will
stop working after that date. Minimum supported systems: iOS 15 and
Android 9.

ACTIONS FOR BRANCH STAFF
  1. Display the customer notice poster (intranet notice IT-2025-031)
     at the branch entrance by 12 March 2025.
  2. Advise customers who need urgent transfers during the window to use
     personal internet banking or to visit a branch before 17:00 on
     Saturday, 15 March 2025.
  3. Log upgrade-related complaints in the CRM under category MB-UPGRADE.

CONTACT
  IT Service Desk: extension 8000 (staffed 24x7 during the window)
  Email: it-servicedesk@hcb.example
  Escalation: Li Wei, Mobile Banking Product Owner, extension 8126

Regards,
IT Service Desk
Information Technology Department
Huaxia Commerce Bank

This is a fictional message created for a software demo.
"""

EML_HTML = """\
<!DOCTYPE html>
<html lang="en">
<head><meta charset="us-ascii"><title>Mobile Banking App Upgrade</title></head>
<body style="font-family: Arial, sans-serif; font-size: 14px;">
<p>Dear colleagues,</p>
<p>Huaxia Commerce Bank (HCB) will upgrade the Mobile Banking App platform
to version 6.0. Some mobile services will be unavailable to customers
during the maintenance window below.</p>
<h3>Maintenance window</h3>
<table border="1" cellpadding="6" cellspacing="0">
<tr><th align="left">Start</th><td>22:00 on Saturday, 15 March 2025 (Beijing time, UTC+8)</td></tr>
<tr><th align="left">End</th><td>04:00 on Sunday, 16 March 2025 (Beijing time, UTC+8)</td></tr>
<tr><th align="left">Change reference</th><td>CHG-2025-0315-MB</td></tr>
</table>
<h3>Affected services (unavailable during the window)</h3>
<ul>
<li>Mobile banking login and account enquiries</li>
<li>Transfers and payments, including instant interbank transfers</li>
<li>QR code payments and bill payments in the app</li>
<li>Wealth product purchases and redemptions in the app</li>
<li>Mobile token approvals for internet banking transactions</li>
</ul>
<h3>Not affected</h3>
<ul>
<li>ATM and POS card transactions</li>
<li>Credit card authorisations</li>
<li>Personal internet banking (except transactions needing mobile token)</li>
<li>Branch counter services</li>
</ul>
<h3>What is new in version 6.0</h3>
<ul>
<li>Face recognition login</li>
<li>Payee name check before every transfer</li>
<li>Real-time alerts for transfers above CNY 50,000</li>
</ul>
<p><b>Customers must update to version 6.0 by 30 April 2025</b>; versions 5.x will
stop working after that date. Minimum supported systems: iOS 15 and Android 9.</p>
<h3>Actions for branch staff</h3>
<ol>
<li>Display the customer notice poster (intranet notice IT-2025-031) at the branch entrance by 12 March 2025.</li>
<li>Advise customers who need urgent transfers during the window to use personal internet banking
or to visit a branch before 17:00 on Saturday, 15 March 2025.</li>
<li>Log upgrade-related complaints in the CRM under category MB-UPGRADE.</li>
</ol>
<h3>Contact</h3>
<p>IT Service Desk: extension 8000 (staffed 24x7 during the window)<br>
Email: <a href="mailto:it-servicedesk@hcb.example">it-servicedesk@hcb.example</a><br>
Escalation: Li Wei, Mobile Banking Product Owner, extension 8126</p>
<p>Regards,<br>IT Service Desk<br>Information Technology Department<br>Huaxia Commerce Bank</p>
<p style="color: #888; font-size: 11px;">This is a fictional message created for a software demo.</p>
</body>
</html>
"""


def build_eml(path: Path) -> None:
    msg = MIMEMultipart("alternative", boundary="==HCB-mobile-banking-upgrade-20250310==")
    msg["From"] = "HCB IT Service Desk <it-servicedesk@hcb.example>"
    msg["To"] = "All Staff <all-staff@hcb.example>"
    msg["Subject"] = "[IT Notice] Mobile Banking upgrade, Sat 15 Mar 2025 22:00-04:00"
    msg["Date"] = "Mon, 10 Mar 2025 09:30:00 +0800"
    msg["Message-ID"] = "<20250310093000.mb-upgrade@hcb.example>"
    msg["Content-Language"] = "en"
    msg.preamble = "This is a multi-part message in MIME format."
    # us-ascii parts are sent as 7bit, so the raw .eml stays human-readable.
    msg.attach(MIMEText(EML_TEXT, "plain", "us-ascii"))
    msg.attach(MIMEText(EML_HTML, "html", "us-ascii"))
    buf = io.BytesIO()
    BytesGenerator(buf, mangle_from_=False, policy=email.policy.SMTP).flatten(msg)
    path.write_bytes(buf.getvalue())


# ---------------------------------------------------------------------------
# 8. products.csv
# ---------------------------------------------------------------------------

DEPOSIT_PRODUCTS = [
    ["产品名称", "期限", "年利率", "起存金额", "备注"],
    ["活期储蓄存款", "活期", "0.10%", "1元", "按季结息，每季末月20日为结息日"],
    ["整存整取定期存款", "3个月", "1.05%", "50元", "到期可约定自动转存"],
    ["整存整取定期存款", "6个月", "1.25%", "50元", "到期可约定自动转存"],
    ["整存整取定期存款", "1年", "1.35%", "50元", "提前支取按活期利率计息"],
    ["整存整取定期存款", "2年", "1.45%", "50元", "提前支取按活期利率计息"],
    ["整存整取定期存款", "3年", "1.75%", "50元", "提前支取按活期利率计息"],
    ["整存整取定期存款", "5年", "1.80%", "50元", "提前支取按活期利率计息"],
    ["零存整取定期存款", "1年", "1.10%", "5元", "每月固定金额存入，漏存次月可补存一次"],
    ["七天通知存款", "7天", "0.45%", "5万元", "支取前须提前7天通知"],
    ["华通大额存单2025年第1期", "3年", "1.90%", "20万元", "可转让；可部分提前支取，提前支取部分按活期利率计息"],
]


def build_csv(path: Path) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerows(DEPOSIT_PRODUCTS)
    path.write_bytes(buf.getvalue().encode("utf-8"))


# ---------------------------------------------------------------------------
# example questions
# ---------------------------------------------------------------------------

QUESTIONS = [
    # Chinese
    {"question": "房贷申请人的房贷收入比上限是多少？", "file": FILES["docx"], "answer_contains": "不超过50%"},
    {"question": "个人住房贷款未满一年提前还款要收违约金吗？", "file": FILES["docx"], "answer_contains": "按提前还款本金的1%收取违约金"},
    {"question": "信用卡还款有宽限期吗？", "file": FILES["md"], "answer_contains": "到期还款日后3天内"},
    {"question": "华通金卡的年费怎样才能免？", "file": FILES["md"], "answer_contains": "当年刷卡满6次"},
    {"question": "稳盈180天理财产品的风险等级是什么？", "file": FILES["pdf"], "answer_contains": "R2（中低风险）"},
    {"question": "自然人客户跨境转账达到多少需要做大额交易报告？", "file": FILES["pptx"], "answer_contains": "单笔或当日累计人民币20万元以上（含）"},
    {"question": "大额存单的起存金额是多少？", "file": FILES["csv"], "answer_contains": "20万元"},
    {"question": "在其他银行的ATM上取现收手续费吗？", "file": FILES["xlsx"], "answer_contains": "每月前3笔免费"},
    # English
    {"question": "What is the minimum password length for standard user accounts?", "file": FILES["html"], "answer_contains": "at least 12 characters"},
    {"question": "How soon must staff report a suspected security incident?", "file": FILES["html"], "answer_contains": "within 2 hours of discovery"},
    {"question": "When does the mobile banking upgrade maintenance window start?", "file": FILES["eml"], "answer_contains": "22:00 on Saturday, 15 March 2025"},
    {"question": "What does HCB charge for an outward international SWIFT remittance?", "file": FILES["xlsx"], "answer_contains": "0.1% of amount, min CNY 50, max CNY 1,000"},
    {"question": "What is the annual fixed management fee of the Wenying 180-day wealth product?", "file": FILES["pdf"], "answer_contains": "0.30%/年"},
    {"question": "What is the maximum loan term for a second-home mortgage?", "file": FILES["docx"], "answer_contains": "25年"},
    {"question": "What is the Layering stage of money laundering?", "file": FILES["pptx"], "answer_contains": "通过多层复杂交易割断资金与其来源之间的联系"},
    {"question": "Which phone number do I call to report a lost credit card?", "file": FILES["md"], "answer_contains": "400-699-5588"},
    # Two hops through the knowledge graph: borrower → guarantor (credit report) → its risks (risk check)
    {"question": "北京华远置业有限公司的担保人有哪些风险？", "file": FILES["guarantor_check"], "answer_contains": "逾期贷款1200万元"},
    {"question": "Which company guarantees the working-capital loan to Beijing Huayuan Real Estate?", "file": FILES["credit_report"], "answer_contains": "北京中关村科技融资担保有限公司提供连带责任保证担保"},
]


def write_questions(path: Path) -> None:
    lines = [json.dumps(q, ensure_ascii=False) for q in QUESTIONS]
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))


# ---------------------------------------------------------------------------
# text extraction (used for verification)
# ---------------------------------------------------------------------------

class _HTMLText(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_to_text(source: str) -> str:
    parser = _HTMLText()
    parser.feed(source)
    parser.close()
    return "".join(parser.parts)


def pdf_text(path: Path) -> str:
    """The PDF's text layer, page by page (pdfplumber, on pdfminer.six)."""
    import pdfplumber
    with pdfplumber.open(str(path)) as doc:
        return "\n".join(page.extract_text() or "" for page in doc.pages)


def extract_text(path: Path) -> dict[str, str]:
    """Return {"label": text} views of a file's extractable text.

    A question passes only if its substring is present in *every* view, so
    it works both for naive readers (raw text) and structure-aware parsers.
    """
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return {"pdfplumber": pdf_text(path)}
    if suffix == ".docx":
        from docx import Document
        d = Document(str(path))
        parts = [p.text for p in d.paragraphs]
        for table in d.tables:
            for row in table.rows:
                parts.append("\t".join(cell.text for cell in row.cells))
        return {"python-docx": "\n".join(parts)}
    if suffix == ".xlsx":
        from openpyxl import load_workbook
        wb = load_workbook(str(path), read_only=True)
        parts = []
        for ws in wb.worksheets:
            parts.append(ws.title)
            for row in ws.iter_rows(values_only=True):
                parts.append("\t".join("" if v is None else str(v) for v in row))
        wb.close()
        return {"openpyxl": "\n".join(parts)}
    if suffix == ".pptx":
        from pptx import Presentation
        prs = Presentation(str(path))
        parts = []
        for slide in prs.slides:
            for shape in slide.shapes:
                if shape.has_text_frame:
                    parts.append(shape.text_frame.text)
                if getattr(shape, "has_table", False) and shape.has_table:
                    for row in shape.table.rows:
                        parts.append("\t".join(cell.text for cell in row.cells))
        # speaker notes deliberately excluded: answers must be on the slides
        return {"python-pptx (slides)": "\n".join(parts)}
    if suffix == ".eml":
        raw = path.read_bytes()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        plain = msg.get_body(preferencelist=("plain",)).get_content()
        html_part = msg.get_body(preferencelist=("html",)).get_content()
        return {"email text/plain": plain, "email text/html (as text)": html_to_text(html_part),
                "raw": raw.decode("utf-8")}
    if suffix in (".html", ".htm"):
        raw = path.read_text(encoding="utf-8")
        return {"raw": raw, "html text": html_to_text(raw)}
    # .md, .csv, .txt
    return {"raw": path.read_text(encoding="utf-8")}


# ---------------------------------------------------------------------------
# verification
# ---------------------------------------------------------------------------

def verify() -> list[str]:
    errors: list[str] = []
    for name in FILES.values():
        p = KB_DIR / name
        if not p.exists():
            errors.append(f"missing file: {p}")
            continue
        size = p.stat().st_size
        if size >= MAX_BYTES:
            errors.append(f"{name}: {size} bytes >= {MAX_BYTES}")

    # PDF: >= 3 pages, Chinese comes back as real characters.
    import pdfplumber
    pdf_path = KB_DIR / FILES["pdf"]
    if pdf_path.exists():
        with pdfplumber.open(str(pdf_path)) as doc:
            page_count = len(doc.pages)
        if page_count < 3:
            errors.append(f"PDF has only {page_count} pages")
        text = pdf_text(pdf_path)
        for needle in ("稳盈系列", "产品概述", "风险等级", "收益说明", "费用", "申购赎回规则",
                       "风险揭示", "理财非存款、产品有风险、投资须谨慎", "第 3 页"):
            if needle not in text:
                errors.append(f"PDF text layer lacks {needle!r}")
        if "\ufffd" in text:
            errors.append("PDF text contains U+FFFD replacement characters")
        cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
        if cjk < 2000:
            errors.append(f"PDF text has only {cjk} CJK characters")

    # Questions: answer substring must appear verbatim in every text view.
    if not QUESTIONS_PATH.exists():
        errors.append(f"missing {QUESTIONS_PATH}")
        return errors
    questions = [json.loads(line) for line in QUESTIONS_PATH.read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    if not 12 <= len(questions) <= 20:
        errors.append(f"{len(questions)} questions (expected 12-20)")
    n_zh = sum(1 for q in questions if re.search(r"[\u4e00-\u9fff]", q["question"]))
    if n_zh != len(questions) - n_zh:
        errors.append(f"questions not half Chinese / half English: {n_zh} Chinese of {len(questions)}")
    cache: dict[str, dict[str, str]] = {}
    for q in questions:
        if set(q) != {"question", "file", "answer_contains"}:
            errors.append(f"bad keys in {q}")
            continue
        p = KB_DIR / q["file"]
        if not p.exists():
            errors.append(f"question refers to missing file {q['file']}")
            continue
        if q["file"] not in cache:
            cache[q["file"]] = extract_text(p)
        for label, text in cache[q["file"]].items():
            if q["answer_contains"] not in text:
                errors.append(f"{q['file']} [{label}]: {q['answer_contains']!r} not found "
                              f"(question: {q['question']})")
    return errors


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------

# ---------------------------------------------------------------------------
# 9–10. Two credit files that only together answer "which risks does the borrower's guarantor carry?"
# (the knowledge graph links them: the first names the guarantor, the second describes its overdue loans)
# ---------------------------------------------------------------------------

CREDIT_REPORT_MD = """# 授信调查报告：北京华远置业有限公司

编号：HCB-BJ-CR-2025-0117（虚构示例）

## 一、借款人概况

北京华远置业有限公司成立于2009年，注册资本人民币2亿元，法定代表人为周明远，主营商业地产开发与物业运营。

## 二、授信方案

北京华远置业有限公司向华夏通商银行北京分行申请流动资金贷款人民币5000万元，期限12个月，用于支付在建项目工程款。

## 三、担保安排

本笔贷款由北京中关村科技融资担保有限公司提供连带责任保证担保，保证期间为主债务履行期届满之日起三年。

## 四、调查结论

借款人经营正常，现金流可覆盖本息。担保人的代偿能力另见担保人风险排查报告。
"""

GUARANTOR_CHECK_MD = """# 担保人风险排查：北京中关村科技融资担保有限公司

编号：HCB-BJ-RC-2025-0032（虚构示例）

## 一、基本情况

北京中关村科技融资担保有限公司为融资担保机构，注册资本人民币10亿元，在保余额约86亿元。

## 二、风险点

1. 北京中关村科技融资担保有限公司在兴业银行有一笔逾期贷款1200万元，已逾期95天。
2. 该公司近一年代偿率升至4.8%，高于行业平均水平。
3. 该公司对单一房地产客户的担保集中度超过净资产的30%。

## 三、排查结论

担保人代偿能力下降，建议对其担保的授信项目追加抵押物或提高保证金比例。
"""


def build_credit_report(path: Path) -> None:
    path.write_bytes(CREDIT_REPORT_MD.encode("utf-8"))


def build_guarantor_check(path: Path) -> None:
    path.write_bytes(GUARANTOR_CHECK_MD.encode("utf-8"))


BUILDERS = {
    "docx": build_docx,
    "md": build_md,
    "pdf": build_pdf,
    "html": build_html,
    "xlsx": build_xlsx,
    "pptx": build_pptx,
    "eml": build_eml,
    "csv": build_csv,
    "credit_report": build_credit_report,
    "guarantor_check": build_guarantor_check,
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--verify-only", action="store_true", help="do not rebuild, only verify existing files")
    args = ap.parse_args(argv)

    if not args.verify_only:
        KB_DIR.mkdir(parents=True, exist_ok=True)
        for key, builder in BUILDERS.items():
            builder(KB_DIR / FILES[key])
        write_questions(QUESTIONS_PATH)

    errors = verify()
    for name in FILES.values():
        p = KB_DIR / name
        if p.exists():
            print(f"{p.stat().st_size:>8}  {p.relative_to(DEMO_DIR.parent)}")
    if errors:
        print("\nVERIFICATION FAILED:", file=sys.stderr)
        for e in errors:
            print("  - " + e, file=sys.stderr)
        return 1
    print(f"\nOK: {len(FILES)} files written and {len(QUESTIONS)} example questions verified "
          f"against extracted text ({QUESTIONS_PATH.relative_to(DEMO_DIR.parent)}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
