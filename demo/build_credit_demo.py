#!/usr/bin/env python3
"""Build the credit materials of a fictional borrower for the Zhiku demo knowledge base.

The borrower 江南恒泰精密制造有限公司, its guarantor, shareholders, managers, customers, auditor,
figures, codes and addresses are all invented for the demo of the credit-report writer; they do not
describe any real company or person.  The lending bank is the demo's fictional 华夏通商银行.
Every document carries the mark "（虚构演示材料 / fictional demo material）".

Six files are written to demo/bank_kb/, consistent with each other (every figure is written the same
way wherever it is repeated), plus demo/credit_company.json, the machine-readable ground truth:

    <公司名>_财务报表_2024-2025.xlsx     balance sheet, income statement, cash flow statement (万元)
    <公司名>_审计报告摘要_2025.pdf        auditor's opinion + the same three statements (text layer)
    <公司名>_营业执照.jpg                 a scanned-looking business licence (for OCR)
    <公司名>_保证合同.docx                a guarantee contract (连带责任保证)
    <公司名>_企业基本情况表.docx          shareholders, controller, management, products, customers
    <公司名>_实地走访录音.mp3             the account manager's site-visit notes (speech, for ASR)

Collateral (抵押物) is deliberately absent from every document: the credit-report writer has to report
it as a gap.

The build is deterministic, following demo/build_demo_kb.py: fixed dates, no network, reportlab's
invariant mode, fixed ZIP timestamps and Office core properties, a seeded noise generator for the scan
and bit-exact ffmpeg output (byte-identical as long as the tool versions are unchanged).

Usage (from the repository root, with the project virtualenv):

    .venv/bin/python demo/build_credit_demo.py                  # build + verify
    .venv/bin/python demo/build_credit_demo.py --verify-only    # only verify the existing files
    .venv/bin/python demo/build_credit_demo.py --skip-models    # verify without the OCR / ASR models

Besides python-docx, openpyxl, reportlab, Pillow and numpy it needs espeak-ng and ffmpeg (installed by
scripts/bootstrap.sh test) and the CJK font fonts-wqy-zenhei.  Verification parses every file with the
project's own parsers (ingest.parsers.*), reads the licence back with the configured OCR engine
(RapidOCR) and transcribes the recording with the configured Whisper engine.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent
REPO_DIR = DEMO_DIR.parent
KB_DIR = DEMO_DIR / "bank_kb"
TRUTH_PATH = DEMO_DIR / "credit_company.json"
for _path in (REPO_DIR, DEMO_DIR):  # the project's parsers (verification) and build_demo_kb's helpers
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from build_demo_kb import (FIXED_DT, FIXED_PDF_DATE, normalize_ooxml,  # noqa: E402
                           set_fixed_core_properties)
from report_pdf import PDF_FONT, report_styles, running_header  # noqa: E402

MAX_BYTES = {".mp3": 600 * 1024, ".png": 800 * 1024, ".jpg": 800 * 1024}
DEFAULT_MAX_BYTES = 200 * 1024
FICTIONAL = "（虚构演示材料 / fictional demo material）"
AUTHOR = "华夏通商银行 Huaxia Commerce Bank (fictional demo)"

# ---------------------------------------------------------------------------
# the company (all fictional)
# ---------------------------------------------------------------------------

COMPANY = "江南恒泰精密制造有限公司"
SHORT = "江南恒泰公司"
BANK_BRANCH = "华夏通商银行股份有限公司无锡分行"
BRANCH_SHORT = "华夏通商银行无锡分行"
AUDITOR = "立衡会计师事务所（特殊普通合伙）"
AUDIT_NO = "立衡审字〔2026〕第0326号"
AUDIT_DATE = "2026年3月18日"
AUDIT_CPAS = ("王思远", "刘慧敏")

FILES = {
    "xlsx": f"{COMPANY}_财务报表_2024-2025.xlsx",
    "pdf": f"{COMPANY}_审计报告摘要_2025.pdf",
    "licence": f"{COMPANY}_营业执照.jpg",
    "guarantee": f"{COMPANY}_保证合同.docx",
    "profile": f"{COMPANY}_企业基本情况表.docx",
    "visit": f"{COMPANY}_实地走访录音.mp3",
}


def _credit_code(body: str) -> str:
    """A unified social credit code (GB 32100-2015) with valid check characters.

    The registration-authority code 320299 is not assigned to any real county, so the code cannot belong to
    a real company.
    """
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    org = body[8:16]  # the 9-character organisation code ends with its own GB 11714 check character
    total = sum(int(ch, 36) * w for ch, w in zip(org, (3, 7, 9, 10, 5, 8, 4, 2)))
    check9 = 11 - total % 11
    org_check = {10: "X", 11: "0"}.get(check9, str(check9))
    first17 = body[:16] + org_check
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    total = sum(alphabet.index(ch) * w for ch, w in zip(first17, weights))
    return first17 + alphabet[(31 - total % 31) % 31]


CREDIT_CODE = _credit_code("91320299MA1XH5N2")
REGISTERED_CAPITAL = "6318.75万元人民币"

LICENCE = {
    "名称": COMPANY,
    "统一社会信用代码": CREDIT_CODE,
    "类型": "有限责任公司（自然人投资或控股）",
    "法定代表人": "顾振华",
    "注册资本": REGISTERED_CAPITAL,
    "成立日期": "2006年04月18日",
    "营业期限": "2006年04月18日至长期",
    "住所": "江苏省无锡市新吴区恒泰路88号",
    "经营范围": ("精密机械零部件、汽车零部件、模具的研发、制造、销售；金属材料销售；"
                 "货物进出口；技术进出口。（依法须经批准的项目，经相关部门批准后方可开展经营活动）"),
}
LICENCE_ISSUED = "2025年06月12日"

# (name, contribution in 万元, share, kind); 6318.75 × share is exact, so the amounts sum to the capital.
SHAREHOLDERS = [
    ("顾振华", "3285.75", "52.00%", "自然人"),
    ("无锡恒泰众诚企业管理合伙企业（有限合伙）", "1263.75", "20.00%", "员工持股平台，顾振华任执行事务合伙人"),
    ("沈雅琴", "1011.00", "16.00%", "自然人，顾振华之配偶"),
    ("苏州锦程创业投资有限公司", "758.25", "12.00%", "财务投资人"),
]
ACTUAL_CONTROLLER = ("顾振华、沈雅琴夫妇：顾振华直接持股52.00%，沈雅琴直接持股16.00%，顾振华另通过担任"
                     "无锡恒泰众诚企业管理合伙企业（有限合伙）执行事务合伙人控制20.00%的表决权，"
                     "二人合计控制公司88.00%的表决权。")
MANAGEMENT = [
    ("董事长", "顾振华", "1968年生，本科学历，高级工程师。曾任无锡某国有机床厂技术科科长，"
                         "2006年创立本公司，任董事长至今，负责公司战略和重大经营决策。"),
    ("总经理", "陆明哲", "1975年生，硕士学历。曾任某汽车零部件企业生产总监，2012年加入本公司，"
                         "2018年起任总经理，主管生产、采购和销售。"),
    ("财务总监", "许婉清", "1982年生，本科学历，中国注册会计师。曾任会计师事务所审计经理，"
                           "2016年加入本公司，2019年起任财务总监，主管财务、融资和税务。"),
]
EMPLOYEES = "612人"
EMPLOYEES_DETAIL = "员工总数612人，其中生产人员438人、研发人员87人、销售人员29人、管理人员58人。"
# (product, share of 2025 revenue)
PRODUCTS = [
    ("新能源汽车电驱系统壳体", "52.00%", "铝合金压铸加数控精加工，主要配套电驱动总成"),
    ("精密铝合金压铸件", "31.00%", "用于汽车转向、制动系统及工业设备"),
    ("工业机器人减速器零部件", "17.00%", "精密齿轮箱体、法兰等数控加工件"),
]
# (customer, 2025 sales 万元, share of 2025 revenue); shares = sales / 58736.42, rounded.
CUSTOMERS = [
    ("苏州驰远新能源汽车部件有限公司", "25256.66", "43.00%"),
    ("常州博川电驱动科技有限公司", "7047.37", "12.00%"),
    ("宁波联拓汽车系统有限公司", "4111.55", "7.00%"),
    ("无锡宏睿机器人传动有限公司", "2936.82", "5.00%"),
    ("上海澄泓工业装备有限公司", "1762.09", "3.00%"),
]
TOP5_SHARE = "70.00%"

GUARANTEE = {
    "contract_no": "HCB-WX-BZ-2026-0018",
    "guarantor": "江南瑞丰实业投资有限公司",
    "guarantor_credit_code": _credit_code("91320299MA1YK7R3"),
    "guarantor_representative": "钱永康",
    "guarantor_address": "江苏省无锡市梁溪区瑞丰大道166号",
    "debtor": COMPANY,
    "creditor": BANK_BRANCH,
    "creditor_head": "林海峰",
    "main_contract": "固定资产借款合同",
    "main_contract_no": "HCB-WX-GD-2026-0031",
    "loan_purpose": "新能源汽车电驱系统壳体扩产项目的设备购置和厂房改造",
    "principal": "人民币伍仟万元整（¥50,000,000.00）",
    "principal_wan": "5000万元",
    "loan_term": "2026年3月20日至2029年3月19日",
    "method": "连带责任保证",
    "period": "主合同约定的债务履行期限届满之日起三年",
    "signed": "2026年3月20日",
    "place": "江苏省无锡市",
}

VISIT = {
    "date": "2026年3月10日",
    "account_manager": "陈立",
    "production_lines": "6",
    "capacity_utilisation": "82%",
    "order_backlog": "1.8亿元",
    "top_customer_share": "43%",
    "risk": "客户集中度较高",
}

# Short plain sentences: espeak-ng's Mandarin voice is robotic, Whisper copes best with simple words.
VISIT_SPEECH = [
    "以下为虚构演示材料。",
    "这是实地走访记录。",
    "走访日期，三月十日。",
    "走访人，客户经理陈立。",
    "走访企业，江南恒泰公司。",
    "工厂正常生产。",
    "共有六条生产线，都在运行。",
    "产能利用率百分之八十二。",
    "在手订单，约一点八亿元。",
    "存货与账面基本一致。",
    "风险提示，客户集中度较高。",
    "第一大客户占收入的百分之四十三。",
    "建议关注回款情况。",
]

# ---------------------------------------------------------------------------
# financial statements (万元). Leaves are fixed; subtotals are computed and checked.
# ---------------------------------------------------------------------------

YEARS = ("2025", "2024")

_LEAVES = {
    # balance sheet
    "货币资金": ("6842.37", "5917.46"),
    "应收票据": ("1263.58", "1085.29"),
    "应收账款": ("12376.54", "10482.17"),
    "预付款项": ("865.43", "732.91"),
    "存货": ("9518.26", "8841.63"),
    "其他流动资产": ("412.87", "386.52"),
    "固定资产": ("18735.49", "17264.83"),
    "在建工程": ("2146.71", "1538.94"),
    "无形资产": ("3284.16", "3371.28"),
    "短期借款": ("8465.32", "7932.18"),
    "应付票据": ("2346.19", "2018.47"),
    "应付账款": ("7985.63", "7142.36"),
    "合同负债": ("1127.48", "964.23"),
    "应付职工薪酬": ("893.56", "826.14"),
    "应交税费": ("462.71", "391.68"),
    "长期借款": ("6200.45", "5800.37"),
    "递延收益": ("1264.83", "1032.56"),
    "实收资本": ("6318.75", "6318.75"),
    "资本公积": ("3652.16", "3652.16"),
    "盈余公积": ("2394.22", "1937.21"),
    # income statement
    "营业收入": ("58736.42", "51283.67"),
    "营业成本": ("45817.39", "40315.82"),
    "税金及附加": ("352.41", "301.26"),
    "销售费用": ("1846.73", "1592.38"),
    "管理费用": ("2417.56", "2236.91"),
    "研发费用": ("2361.84", "2047.53"),
    "财务费用": ("643.27", "718.46"),
    "营业外收入": ("128.35", "96.42"),
    "营业外支出": ("42.14", "35.84"),
    "所得税费用": ("813.29", "635.47"),
    # cash flow statement
    "经营活动现金流入小计": ("63518.46", "55743.16"),
    "经营活动现金流出小计": ("57644.93", "51224.89"),
    "投资活动现金流入小计": ("86.45", "63.18"),
    "投资活动现金流出小计": ("4005.09", "3115.59"),
    "筹资活动现金流入小计": ("15462.37", "13586.42"),
    "筹资活动现金流出小计": ("16492.35", "14371.65"),
    "期初现金及现金等价物余额": ("5917.46", "5236.83"),
}

BALANCE_ROWS = ["货币资金", "应收票据", "应收账款", "预付款项", "存货", "其他流动资产", "流动资产合计",
                "固定资产", "在建工程", "无形资产", "非流动资产合计", "资产总计",
                "短期借款", "应付票据", "应付账款", "合同负债", "应付职工薪酬", "应交税费", "流动负债合计",
                "长期借款", "递延收益", "非流动负债合计", "负债合计",
                "实收资本", "资本公积", "盈余公积", "未分配利润", "所有者权益合计", "负债和所有者权益总计"]
INCOME_ROWS = ["营业收入", "营业成本", "税金及附加", "销售费用", "管理费用", "研发费用", "财务费用",
               "营业利润", "营业外收入", "营业外支出", "利润总额", "所得税费用", "净利润"]
CASH_ROWS = ["经营活动现金流入小计", "经营活动现金流出小计", "经营活动产生的现金流量净额",
             "投资活动现金流入小计", "投资活动现金流出小计", "投资活动产生的现金流量净额",
             "筹资活动现金流入小计", "筹资活动现金流出小计", "筹资活动产生的现金流量净额",
             "现金及现金等价物净增加额", "期初现金及现金等价物余额", "期末现金及现金等价物余额"]
# (sheet / table title, header of the figure columns, rows)
STATEMENTS = [
    ("资产负债表", ("2025年末", "2024年末"), BALANCE_ROWS),
    ("利润表", ("2025年度", "2024年度"), INCOME_ROWS),
    ("现金流量表", ("2025年度", "2024年度"), CASH_ROWS),
]
SUBTOTALS = {"流动资产合计", "非流动资产合计", "资产总计", "流动负债合计", "非流动负债合计", "负债合计",
             "所有者权益合计", "负债和所有者权益总计", "营业利润", "利润总额", "净利润",
             "经营活动产生的现金流量净额", "投资活动产生的现金流量净额", "筹资活动产生的现金流量净额",
             "现金及现金等价物净增加额", "期末现金及现金等价物余额"}


def compute_figures() -> dict[str, tuple[Decimal, Decimal]]:
    v = {k: (Decimal(a), Decimal(b)) for k, (a, b) in _LEAVES.items()}

    def add(*keys):
        return tuple(sum((v[k][i] for k in keys), Decimal(0)) for i in range(2))

    def less(first, *keys):
        return tuple(v[first][i] - sum((v[k][i] for k in keys), Decimal(0)) for i in range(2))

    v["流动资产合计"] = add("货币资金", "应收票据", "应收账款", "预付款项", "存货", "其他流动资产")
    v["非流动资产合计"] = add("固定资产", "在建工程", "无形资产")
    v["资产总计"] = add("流动资产合计", "非流动资产合计")
    v["流动负债合计"] = add("短期借款", "应付票据", "应付账款", "合同负债", "应付职工薪酬", "应交税费")
    v["非流动负债合计"] = add("长期借款", "递延收益")
    v["负债合计"] = add("流动负债合计", "非流动负债合计")
    # retained earnings close the balance sheet
    v["未分配利润"] = less("资产总计", "负债合计", "实收资本", "资本公积", "盈余公积")
    v["所有者权益合计"] = add("实收资本", "资本公积", "盈余公积", "未分配利润")
    v["负债和所有者权益总计"] = add("负债合计", "所有者权益合计")
    v["营业利润"] = less("营业收入", "营业成本", "税金及附加", "销售费用", "管理费用", "研发费用", "财务费用")
    v["利润总额"] = less("营业利润", "营业外支出")
    v["利润总额"] = tuple(v["利润总额"][i] + v["营业外收入"][i] for i in range(2))
    v["净利润"] = less("利润总额", "所得税费用")
    v["经营活动产生的现金流量净额"] = less("经营活动现金流入小计", "经营活动现金流出小计")
    v["投资活动产生的现金流量净额"] = less("投资活动现金流入小计", "投资活动现金流出小计")
    v["筹资活动产生的现金流量净额"] = less("筹资活动现金流入小计", "筹资活动现金流出小计")
    v["现金及现金等价物净增加额"] = add("经营活动产生的现金流量净额", "投资活动产生的现金流量净额",
                                     "筹资活动产生的现金流量净额")
    v["期末现金及现金等价物余额"] = add("期初现金及现金等价物余额", "现金及现金等价物净增加额")
    return v


FIGURES = compute_figures()


def fig_text(value: Decimal) -> str:
    """A figure as both the XLSX parser (float, 15 significant digits) and the PDF print it."""
    return format(float(value), ".15g")


def check_figures() -> list[str]:
    errors = []
    v = FIGURES
    for i, year in enumerate(YEARS):
        if v["资产总计"][i] != v["负债和所有者权益总计"][i]:
            errors.append(f"{year}: balance sheet does not balance")
        if v["期末现金及现金等价物余额"][i] != v["货币资金"][i]:
            errors.append(f"{year}: closing cash {v['期末现金及现金等价物余额'][i]} != 货币资金 {v['货币资金'][i]}")
    if v["期初现金及现金等价物余额"][0] != v["货币资金"][1]:
        errors.append("2025 opening cash != 2024 货币资金")
    if v["实收资本"][0] != sum(Decimal(s[1]) for s in SHAREHOLDERS):
        errors.append("shareholder contributions do not sum to 实收资本")
    if sum(Decimal(s[2].rstrip("%")) for s in SHAREHOLDERS) != 100:
        errors.append("shareholdings do not sum to 100%")
    if REGISTERED_CAPITAL != f"{fig_text(v['实收资本'][0])}万元人民币":
        errors.append("registered capital differs from 实收资本")
    revenue = v["营业收入"][0]
    for name, sales, share in CUSTOMERS:
        if f"{Decimal(sales) / revenue * 100:.2f}%" != share:
            errors.append(f"customer share of {name} is not {share}")
    if f"{sum(Decimal(c[2].rstrip('%')) for c in CUSTOMERS):.2f}%" != TOP5_SHARE:
        errors.append("top-5 customer share")
    if f"{Decimal(CUSTOMERS[0][2].rstrip('%')):.0f}%" != VISIT["top_customer_share"]:
        errors.append("site visit's top customer share differs from the profile")
    for name, (a, b) in v.items():
        for value in (a, b):
            # Every figure has a non-zero second decimal, so "12345.67" reads the same in the XLSX parser
            # output (which prints floats without trailing zeros) and in the PDF.
            if value.as_tuple().exponent != -2 or value % Decimal("0.1") == 0:
                errors.append(f"{name}: {value} must have a non-zero second decimal")
            elif fig_text(value) != f"{value:.2f}":
                errors.append(f"{name}: {value} does not print as {value:.2f}")
    return errors


# ---------------------------------------------------------------------------
# 1. XLSX financial statements
# ---------------------------------------------------------------------------

def build_xlsx(path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    wb = Workbook()
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDE6F0")
    thin = Side(style="thin", color="999999")
    for idx, (title, heads, rows) in enumerate(STATEMENTS):
        ws = wb.active if idx == 0 else wb.create_sheet()
        ws.title = title
        ws.append(["项目", *heads])
        ws.append(["单位：万元", None, None])
        for name in rows:
            a, b = FIGURES[name]
            ws.append([name, float(a), float(b)])
        ws.append([f"{COMPANY}{title}，单位：万元。{FICTIONAL}", None, None])
        for cell in ws[1]:
            cell.font = bold
            cell.fill = header_fill
            cell.alignment = Alignment(horizontal="center")
        ws["A2"].font = Font(italic=True, color="555555")
        for row in ws.iter_rows(min_row=3, max_row=ws.max_row - 1):
            for cell in row[1:]:
                cell.number_format = "#,##0.00"
                cell.alignment = Alignment(horizontal="right")
            if row[0].value in SUBTOTALS:
                for cell in row:
                    cell.font = bold
                    cell.border = Border(top=thin)
        ws.cell(ws.max_row, 1).font = Font(italic=True, color="888888", size=9)
        ws.column_dimensions["A"].width = 34
        ws.column_dimensions["B"].width = 16
        ws.column_dimensions["C"].width = 16
        ws.freeze_panes = "B2"

    props = wb.properties
    props.title = f"{COMPANY}财务报表（2024-2025年度，单位：万元）"
    props.subject = "资产负债表、利润表、现金流量表"
    props.creator = AUTHOR
    props.lastModifiedBy = AUTHOR
    props.keywords = f"{COMPANY}; 财务报表; 授信; 虚构演示"
    props.description = "Fictional demo material for the Zhiku credit-report writer. " + FICTIONAL
    props.created = FIXED_DT
    props.modified = FIXED_DT
    wb.save(str(path))
    normalize_ooxml(path)


# ---------------------------------------------------------------------------
# 2. PDF audit report summary
# ---------------------------------------------------------------------------

AUDIT_OPINION = (
    f"{COMPANY}全体股东：我们审计了{COMPANY}（以下简称“{SHORT}”）财务报表，包括2025年12月31日的资产负债表，"
    "2025年度的利润表、现金流量表、所有者权益变动表以及相关财务报表附注。我们认为，后附的财务报表在所有重大方面"
    f"按照企业会计准则的规定编制，公允反映了{SHORT}2025年12月31日的财务状况以及2025年度的经营成果和现金流量。"
)
AUDIT_BASIS = (
    "我们按照中国注册会计师审计准则的规定执行了审计工作。审计报告的“注册会计师对财务报表审计的责任”部分进一步"
    f"阐述了我们在这些准则下的责任。按照中国注册会计师职业道德守则，我们独立于{SHORT}，并履行了职业道德方面的"
    "其他责任。我们相信，我们获取的审计证据是充分、适当的，为发表审计意见提供了基础。"
)
AUDIT_MGMT = (
    f"{SHORT}管理层负责按照企业会计准则的规定编制财务报表，使其实现公允反映，并设计、执行和维护必要的内部控制，"
    "以使财务报表不存在由于舞弊或错误导致的重大错报。"
)
AUDIT_TYPE = "审计意见类型：标准无保留意见。"


def build_pdf(path: Path) -> None:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = report_styles()
    base = styles["base"]
    st_title, st_sub, st_notice, st_h1 = styles["title"], styles["sub"], styles["notice"], styles["h1"]
    st_body = ParagraphStyle("body", fontSize=10.5, leading=15, firstLineIndent=21, spaceAfter=5, **base)
    st_right = ParagraphStyle("right", fontSize=10.5, leading=17, alignment=TA_RIGHT, **base)
    st_caption = ParagraphStyle("caption", fontSize=11, leading=16, alignment=TA_CENTER, spaceBefore=6,
                                spaceAfter=3, **base)

    on_page = running_header(f"{COMPANY} 2025年度审计报告（摘要）", AUDIT_NO, FIXED_PDF_DATE)

    def statement_table(heads, rows):
        data = [["项目", *heads]] + [[name, *(fig_text(x) for x in FIGURES[name])] for name in rows]
        t = Table(data, colWidths=[80 * mm, 40 * mm, 40 * mm], repeatRows=1)
        style = [
            ("FONT", (0, 0), (-1, -1), PDF_FONT, 9.5),
            ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#888888")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e3e9f1")),
            ("ALIGN", (1, 0), (-1, 0), "CENTER"),
            ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]
        for r, name in enumerate(rows, start=1):
            if name in SUBTOTALS:
                style.append(("BACKGROUND", (0, r), (-1, r), colors.HexColor("#f3f3f3")))
        t.setStyle(TableStyle(style))
        return t

    story = [
        Paragraph(f"{COMPANY}<br/>2025年度审计报告（摘要）", st_title),
        Paragraph(f"{AUDITOR}　{AUDIT_NO}", st_sub),
        Paragraph(f"{FICTIONAL}本摘要中的公司、会计师事务所、注册会计师及全部数据均为虚构，"
                  "仅供Zhiku授信报告演示使用，不构成任何鉴证意见。", st_notice),
        Paragraph("一、审计意见", st_h1),
        Paragraph(escape(AUDIT_OPINION), st_body),
        Paragraph(escape(AUDIT_TYPE), st_body),
        Paragraph("二、形成审计意见的基础", st_h1),
        Paragraph(escape(AUDIT_BASIS), st_body),
        Paragraph("三、管理层对财务报表的责任", st_h1),
        Paragraph(escape(AUDIT_MGMT), st_body),
        Paragraph(f"{AUDITOR}", st_right),
        Paragraph(f"中国注册会计师：{AUDIT_CPAS[0]}　{AUDIT_CPAS[1]}", st_right),
        Paragraph(f"中国·苏州　{AUDIT_DATE}", st_right),
        Paragraph("四、主要财务报表（金额单位：万元）", st_h1),
        Paragraph("以下为经审计的2025年度财务报表摘要；2024年度数据为上年经审计数，上年亦为标准无保留意见。"
                  "金额单位均为人民币万元。", st_body),
    ]
    for number, (title, heads, rows) in enumerate(STATEMENTS, start=1):
        story.append(KeepTogether([
            Paragraph(f"表{number}　{title}（单位：万元）", st_caption),
            statement_table(heads, rows),
            Spacer(1, 6),
        ]))
    story.append(Paragraph(f"编制单位：{COMPANY}　{FICTIONAL}", st_body))

    doc = SimpleDocTemplate(
        str(path), pagesize=A4,
        # a table header at the very top of a page would sit in the band where parsers look for running
        # headers, so the body starts lower
        leftMargin=20 * mm, rightMargin=20 * mm, topMargin=32 * mm, bottomMargin=22 * mm,
        title=f"{COMPANY} 2025年度审计报告（摘要）",
        author=AUTHOR, subject=f"{AUDITOR} {AUDIT_NO} 标准无保留意见（虚构演示材料）",
        creator="Zhiku demo/build_credit_demo.py", producer="ReportLab (invariant mode)",
        keywords=[COMPANY, "审计报告", "财务报表", "虚构演示"], invariant=1,
    )
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)


# ---------------------------------------------------------------------------
# 3. scanned-looking business licence (JPEG)
# ---------------------------------------------------------------------------

LICENCE_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
LICENCE_SIZE = (1600, 2000)
LICENCE_SEED = 20260318
LICENCE_ROTATION = 1.0  # degrees, counter-clockwise
LICENCE_JPEG_QUALITY = 80


def licence_font_path() -> str:
    for candidate in LICENCE_FONT_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    found = sorted(Path("/usr/share/fonts").rglob("wqy-zenhei.tt*")) if Path("/usr/share/fonts").exists() else []
    if found:
        return str(found[0])
    raise SystemExit("No CJK font found: install fonts-wqy-zenhei (scripts/bootstrap.sh test does).")


def build_licence(path: Path) -> None:
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    font_path = licence_font_path()

    def font(size):
        return ImageFont.truetype(font_path, size, index=0)

    width, height = LICENCE_SIZE
    paper = (246, 242, 232)
    ink = (24, 24, 24)
    frame = (150, 70, 45)
    img = Image.new("RGB", (width, height), paper)
    d = ImageDraw.Draw(img)

    # double frame with a patterned band, like the printed licence form
    d.rectangle([40, 40, width - 41, height - 41], outline=frame, width=10)
    d.rectangle([70, 70, width - 71, height - 71], outline=frame, width=3)
    for x in range(90, width - 90, 36):
        d.line([(x, 82), (x + 18, 82)], fill=(200, 150, 120), width=2)
        d.line([(x, height - 83), (x + 18, height - 83)], fill=(200, 150, 120), width=2)

    f_title = font(120)
    title = "营 业 执 照"
    tw = d.textlength(title, font=f_title)
    d.text(((width - tw) / 2, 150), title, font=f_title, fill=(120, 30, 20))
    f_sub = font(34)
    sub = "（副　本）"
    d.text(((width - d.textlength(sub, font=f_sub)) / 2, 300), sub, font=f_sub, fill=ink)
    f_mark = font(30)
    mark = FICTIONAL
    d.text(((width - d.textlength(mark, font=f_mark)) / 2, 355), mark, font=f_mark, fill=(150, 30, 20))

    f_label = font(46)
    f_value = font(46)
    f_scope = font(40)
    label_x, value_x = 150, 570
    y = 450
    line_h = 92
    for label, value in LICENCE.items():
        spaced = label if len(label) > 4 else "　".join(label) if len(label) == 2 else label
        d.text((label_x, y), spaced, font=f_label, fill=ink)
        if label == "经营范围":
            # wrap the business scope over several lines
            max_w = width - 150 - value_x
            lines, current = [], ""
            for ch in value:
                # a closing punctuation mark never starts a line: it stays at the end of the previous one
                if d.textlength(current + ch, font=f_scope) > max_w and ch not in "、，；。）：":
                    lines.append(current)
                    current = ch
                else:
                    current += ch
            lines.append(current)
            for n, text in enumerate(lines):
                d.text((value_x, y + 3 + n * 62), text, font=f_scope, fill=ink)
            y += 62 * len(lines) + 40
        else:
            d.text((value_x, y), value, font=f_value, fill=ink)
            y += line_h

    # issuing block and a (fictional) seal, kept well away from the fields
    f_small = font(36)
    d.text((800, height - 420), "登记机关（虚构演示）", font=f_small, fill=ink)
    d.text((800, height - 360), LICENCE_ISSUED, font=f_small, fill=ink)
    cx, cy, r = 1300, height - 370, 130
    seal = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    sd = ImageDraw.Draw(seal)
    sd.ellipse([cx - r, cy - r, cx + r, cy + r], outline=(200, 40, 40, 170), width=10)
    star = [(cx + 46 * np.cos(np.pi / 2 + k * 4 * np.pi / 5), cy - 46 * np.sin(np.pi / 2 + k * 4 * np.pi / 5))
            for k in range(5)]
    sd.polygon([(float(x), float(y)) for x, y in star], fill=(200, 40, 40, 170))
    f_seal = font(28)
    for text, dy in (("虚构演示", 60), ("仅供测试", 95)):
        sd.text((cx - sd.textlength(text, font=f_seal) / 2, cy + dy - 34), text, font=f_seal,
                fill=(200, 40, 40, 170))
    img = Image.alpha_composite(img.convert("RGBA"), seal).convert("RGB")

    # a QR-code-like block (not a real code): deterministic pattern from the seeded generator
    rng = np.random.RandomState(LICENCE_SEED)
    cells = rng.rand(21, 21) > 0.5
    for cx0, cy0 in ((0, 0), (14, 0), (0, 14)):
        cells[cy0:cy0 + 7, cx0:cx0 + 7] = False
        cells[cy0, cx0:cx0 + 7] = cells[cy0 + 6, cx0:cx0 + 7] = True
        cells[cy0:cy0 + 7, cx0] = cells[cy0:cy0 + 7, cx0 + 6] = True
        cells[cy0 + 2:cy0 + 5, cx0 + 2:cx0 + 5] = True
    d = ImageDraw.Draw(img)
    qx, qy, q = 180, height - 430, 11
    for yy in range(21):
        for xx in range(21):
            if cells[yy, xx]:
                d.rectangle([qx + xx * q, qy + yy * q, qx + xx * q + q - 1, qy + yy * q + q - 1], fill=ink)
    d.text((qx + 250, qy + 60), "扫描二维码登录", font=font(28), fill=ink)
    d.text((qx + 250, qy + 100), "（演示图案，无效）", font=font(28), fill=ink)

    # scan look: slight rotation, blur, uneven lighting and seeded noise
    img = img.rotate(LICENCE_ROTATION, resample=Image.BICUBIC, expand=False, fillcolor=(236, 233, 226))
    img = img.filter(ImageFilter.GaussianBlur(0.7))
    arr = np.asarray(img).astype(np.float32)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    shade = 1.0 - 0.05 * ((xx / width - 0.35) ** 2 + (yy / height - 0.4) ** 2)
    noise = rng.normal(0.0, 5.0, size=(height, width)).astype(np.float32)
    arr = arr * shade[..., None] + noise[..., None]
    # a few dust specks
    for _ in range(60):
        sx, sy = rng.randint(0, width - 3), rng.randint(0, height - 3)
        arr[sy:sy + rng.randint(1, 4), sx:sx + rng.randint(1, 4)] = 90
    img = Image.fromarray(np.clip(arr, 0, 255).round().astype(np.uint8), "RGB")
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=LICENCE_JPEG_QUALITY, optimize=True, dpi=(200, 200))
    path.write_bytes(buf.getvalue())


# ---------------------------------------------------------------------------
# shared DOCX helpers
# ---------------------------------------------------------------------------

def _new_docx():
    from docx import Document
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(25)
    for name, east in (("Normal", "宋体"), ("Title", "黑体"), ("Heading 1", "黑体"), ("Heading 2", "黑体")):
        rpr = doc.styles[name].element.get_or_add_rPr()
        rfonts = rpr.find(qn("w:rFonts"))
        if rfonts is None:
            rfonts = OxmlElement("w:rFonts")
            rpr.insert(0, rfonts)
        rfonts.set(qn("w:eastAsia"), east)
    doc.styles["Normal"].font.size = Pt(11)
    return doc


def _centered(doc, text, bold=False):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    p = doc.add_paragraph(text)
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if bold:
        p.runs[0].bold = True
    return p


def _table(doc, rows):
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Table Grid"
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            cell = table.cell(r, c)
            cell.text = value
            if r == 0:
                cell.paragraphs[0].runs[0].bold = True
    return table


# ---------------------------------------------------------------------------
# 4. guarantee contract
# ---------------------------------------------------------------------------

def guarantee_articles() -> list[tuple[str, str]]:
    g = GUARANTEE
    return [
        ("第一条　被担保的主债权",
         f"本合同所担保的主债权为乙方依据其与债务人{g['debtor']}签订的《{g['main_contract']}》"
         f"（编号：{g['main_contract_no']}，以下简称“主合同”）向债务人发放的贷款，"
         f"被担保主债权金额为{g['principal']}，借款期限自{g['loan_term']}，"
         f"借款用途为{g['loan_purpose']}。"),
        ("第二条　保证方式",
         f"甲方提供的保证为{g['method']}。债务人未按主合同约定履行债务的，乙方有权直接要求甲方在保证范围内"
         "承担保证责任，甲方不得以乙方未先向债务人求偿为由提出抗辩。"),
        ("第三条　保证范围",
         "保证范围包括主合同项下的借款本金、利息、罚息、复利、违约金、损害赔偿金以及乙方为实现债权而支出的"
         "诉讼费、仲裁费、律师费、公告费、执行费等全部费用。"),
        ("第四条　保证期间",
         f"保证期间为{g['period']}。主合同约定债务分期履行的，保证期间为最后一期债务履行期限届满之日起三年；"
         "乙方依主合同约定宣布债务提前到期的，保证期间自乙方宣布的提前到期日起算。"),
        ("第五条　甲方的声明与承诺",
         "（一）甲方是依法设立并有效存续的企业法人，具有签订和履行本合同的主体资格；"
         "（二）甲方已按公司章程取得签订本合同所需的股东会决议，并向乙方提供了真实、完整的财务资料；"
         "（三）在保证期间内，甲方发生合并、分立、减资、股权变更、重大诉讼或财务状况恶化等事项的，"
         "应在事项发生之日起十个工作日内书面通知乙方。"),
        ("第六条　主合同的变更",
         "乙方与债务人协议变更主合同（借款金额增加或期限延长除外）的，无需征得甲方同意，甲方仍在原保证范围内"
         "承担保证责任；借款金额增加或期限延长的，应取得甲方书面同意。"),
        ("第七条　违约责任",
         "甲方违反本合同约定的，乙方有权要求甲方限期纠正，并有权要求甲方赔偿由此给乙方造成的损失。"),
        ("第八条　争议解决",
         "本合同履行中发生争议的，由双方协商解决；协商不成的，任何一方均可向乙方所在地有管辖权的人民法院起诉。"),
        ("第九条　合同生效",
         "本合同自甲方法定代表人（或授权代表）签字并加盖公章、乙方负责人（或授权代表）签字并加盖公章之日起生效。"
         "本合同一式三份，甲方、乙方、债务人各执一份，具有同等法律效力。"),
    ]


def build_guarantee(path: Path) -> None:
    g = GUARANTEE
    doc = _new_docx()
    doc.add_heading("保证合同", level=0)
    _centered(doc, f"合同编号：{g['contract_no']}")
    _centered(doc, FICTIONAL)
    parties = [
        f"保证人（甲方）：{g['guarantor']}",
        f"统一社会信用代码：{g['guarantor_credit_code']}",
        f"法定代表人：{g['guarantor_representative']}",
        f"住所：{g['guarantor_address']}",
        f"债权人（乙方）：{g['creditor']}",
        f"负责人：{g['creditor_head']}",
        f"债务人：{g['debtor']}",
        f"债务人统一社会信用代码：{CREDIT_CODE}",
    ]
    for line in parties:
        doc.add_paragraph(line)
    doc.add_paragraph(
        f"为确保债务人{g['debtor']}与乙方签订的《{g['main_contract']}》（编号：{g['main_contract_no']}）"
        f"的履行，甲方自愿为债务人向乙方提供{g['method']}。根据《中华人民共和国民法典》等法律法规，"
        "甲乙双方经协商一致，订立本合同。")
    doc.add_heading("合同主要条款一览", level=1)
    _table(doc, [
        ["项目", "约定内容"],
        ["保证人", g["guarantor"]],
        ["债务人", g["debtor"]],
        ["债权人", g["creditor"]],
        ["主合同", f"《{g['main_contract']}》（编号：{g['main_contract_no']}）"],
        ["被担保主债权金额", g["principal"]],
        ["借款期限", g["loan_term"]],
        ["借款用途", g["loan_purpose"]],
        ["保证方式", g["method"]],
        ["保证期间", g["period"]],
        ["签订日期", g["signed"]],
    ])
    doc.add_heading("合同条款", level=1)
    for heading, text in guarantee_articles():  # articles are numbered paragraphs, as in a signed contract
        p = doc.add_paragraph()
        p.add_run(heading + "　").bold = True
        p.add_run(text)
    for line in (
        f"甲方（保证人）：{g['guarantor']}（盖章）　法定代表人：{g['guarantor_representative']}（签字）",
        f"乙方（债权人）：{g['creditor']}（盖章）　负责人：{g['creditor_head']}（签字）",
        f"签订日期：{g['signed']}",
        f"签订地点：{g['place']}",
        f"本合同为虚构的演示文件，与任何真实机构、个人或交易无关。{FICTIONAL}",
    ):
        doc.add_paragraph(line)
    set_fixed_core_properties(doc.core_properties, f"保证合同（{g['contract_no']}）",
                              f"{g['guarantor']}为{COMPANY}提供连带责任保证（虚构演示材料）",
                              f"保证合同; 连带责任保证; {COMPANY}; {g['guarantor']}", category="授信担保")
    doc.save(str(path))
    normalize_ooxml(path)


# ---------------------------------------------------------------------------
# 5. company profile
# ---------------------------------------------------------------------------

def build_profile(path: Path) -> None:
    doc = _new_docx()
    doc.add_heading(f"{COMPANY}企业基本情况表", level=0)
    _centered(doc, f"填报日期：2026年3月12日　填报人：{BRANCH_SHORT}客户经理{VISIT['account_manager']}")
    _centered(doc, FICTIONAL)

    doc.add_heading("一、基本信息", level=1)
    for line in (
        f"企业名称：{COMPANY}",
        f"统一社会信用代码：{CREDIT_CODE}",
        f"企业类型：{LICENCE['类型']}",
        f"成立日期：{LICENCE['成立日期']}",
        f"注册资本：{REGISTERED_CAPITAL}",
        f"实收资本：{fig_text(FIGURES['实收资本'][0])}万元",
        f"法定代表人：{LICENCE['法定代表人']}",
        f"注册地址：{LICENCE['住所']}",
        f"员工人数：{EMPLOYEES}",
        "主营业务：新能源汽车及工业领域精密金属零部件的研发、制造和销售。",
        f"与本行关系：在{BRANCH_SHORT}开立基本存款账户。",
    ):
        doc.add_paragraph(line)

    doc.add_heading("二、股东及出资情况", level=1)
    rows = [["股东名称", "出资额（万元）", "持股比例", "备注"]]
    rows += [[name, amount, share, note] for name, amount, share, note in SHAREHOLDERS]
    rows.append(["合计", fig_text(FIGURES["实收资本"][0]), "100.00%", "出资均已实缴，以货币出资"])
    _table(doc, rows)

    doc.add_heading("三、实际控制人", level=1)
    doc.add_paragraph(f"实际控制人：{ACTUAL_CONTROLLER}")

    doc.add_heading("四、主要管理人员", level=1)
    _table(doc, [["职务", "姓名", "简历"]] + [list(m) for m in MANAGEMENT])

    doc.add_heading("五、主要产品", level=1)
    _table(doc, [["产品", "2025年营业收入占比", "说明"]] + [list(p) for p in PRODUCTS])
    doc.add_paragraph(f"2025年度营业收入{fig_text(FIGURES['营业收入'][0])}万元，"
                      f"净利润{fig_text(FIGURES['净利润'][0])}万元（经审计，单位：万元）。")

    doc.add_heading("六、前五大客户（2025年度）", level=1)
    _table(doc, [["客户名称", "销售额（万元）", "占营业收入比例"]] + [list(c) for c in CUSTOMERS]
           + [["前五大客户合计", fig_text(sum(Decimal(c[1]) for c in CUSTOMERS)), TOP5_SHARE]])
    doc.add_paragraph(f"客户集中度较高：第一大客户{CUSTOMERS[0][0]}占2025年营业收入的{CUSTOMERS[0][2]}，"
                      f"前五大客户合计占{TOP5_SHARE}。")

    doc.add_heading("七、员工情况", level=1)
    doc.add_paragraph(EMPLOYEES_DETAIL)
    doc.add_paragraph(f"本表内容为虚构的演示材料，与任何真实企业或个人无关。{FICTIONAL}")

    set_fixed_core_properties(doc.core_properties, f"{COMPANY}企业基本情况表",
                              "股东、实际控制人、管理层、产品、客户、员工（虚构演示材料）",
                              f"{COMPANY}; 企业基本情况; 授信调查", category="授信调查")
    doc.save(str(path))
    normalize_ooxml(path)


# ---------------------------------------------------------------------------
# 6. site-visit recording (espeak-ng → ffmpeg MP3)
# ---------------------------------------------------------------------------

# espeak-ng 1.51's "cmn" voice turns each character into pinyin and then reads the pinyin as English
# ("latin as English"): Whisper hears gibberish. "cmn-latn-pinyin" reads it as Mandarin; of its variants the
# female "f3" at 150 words/min is the one Whisper base understands best.
ESPEAK_VOICE = "cmn-latn-pinyin+f3"
ESPEAK_SPEED = "150"
SENTENCE_PAUSE_S = 0.8  # silence after each sentence: short, separate utterances are transcribed best
MP3_ARGS = ["-ac", "1", "-ar", "16000", "-c:a", "libmp3lame", "-b:a", "48k", "-map_metadata", "-1",
            "-fflags", "+bitexact", "-flags:a", "+bitexact", "-write_xing", "0", "-id3v2_version", "0"]


def build_visit(path: Path) -> None:
    import wave

    for tool in ("espeak-ng", "ffmpeg"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found: run `bash scripts/bootstrap.sh test` (it installs it).")
    with tempfile.TemporaryDirectory() as tmp:
        frames, params = [], None
        for number, sentence in enumerate(VISIT_SPEECH):
            part = Path(tmp) / f"{number:02d}.wav"
            subprocess.run(["espeak-ng", "-v", ESPEAK_VOICE, "-s", ESPEAK_SPEED, "-w", str(part), sentence],
                           check=True)
            with wave.open(str(part), "rb") as w:
                params = params or w.getparams()
                frames.append(w.readframes(w.getnframes()))
                pause = int(params.framerate * SENTENCE_PAUSE_S) * params.sampwidth * params.nchannels
                frames.append(b"\0" * pause)
        wav = Path(tmp) / "visit.wav"
        with wave.open(str(wav), "wb") as w:
            w.setparams(params)
            w.writeframes(b"".join(frames))
        out = Path(tmp) / "visit.mp3"
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(wav), *MP3_ARGS, str(out)],
                       check=True)
        path.write_bytes(out.read_bytes())


# ---------------------------------------------------------------------------
# ground truth
# ---------------------------------------------------------------------------

def truth() -> dict:
    figures = {name: {year: fig_text(FIGURES[name][i]) for i, year in enumerate(YEARS)}
               for _, _, rows in STATEMENTS for name in rows}
    return {
        "company": COMPANY,
        "fictional": True,
        "note": "All names, codes, figures and events are invented for the Zhiku demo. " + FICTIONAL,
        "bank": BANK_BRANCH,
        "documents": list(FILES.values()),
        "unit": "万元",
        "statements": {title: {"columns": ["项目", *heads], "rows": rows} for title, heads, rows in STATEMENTS},
        "figures": figures,
        "licence": dict(LICENCE),
        "guarantee": {k: GUARANTEE[k] for k in ("contract_no", "guarantor", "debtor", "creditor", "main_contract",
                                               "main_contract_no", "loan_purpose", "principal", "principal_wan",
                                               "loan_term", "method", "period", "signed")},
        "shareholders": [{"name": n, "contribution_wan": a, "share": s, "note": note}
                         for n, a, s, note in SHAREHOLDERS],
        "actual_controller": "顾振华、沈雅琴夫妇",
        "management": [{"title": t, "name": n} for t, n, _ in MANAGEMENT],
        "employees": EMPLOYEES,
        "products": [{"name": n, "revenue_share_2025": s} for n, s, _ in PRODUCTS],
        "customers": [{"name": n, "sales_2025_wan": a, "share": s} for n, a, s in CUSTOMERS],
        "site_visit": {**VISIT, "script": "".join(VISIT_SPEECH)},
        "auditor": {"firm": AUDITOR, "report_no": AUDIT_NO, "opinion": "标准无保留意见", "date": AUDIT_DATE},
        "missing": ["collateral"],
    }


def write_truth(path: Path) -> None:
    path.write_bytes((json.dumps(truth(), ensure_ascii=False, indent=2) + "\n").encode("utf-8"))


# ---------------------------------------------------------------------------
# verification
# ---------------------------------------------------------------------------

# The OCR must read these licence values exactly; the transcript must contain one spelling of each fact.
OCR_EXACT = ("名称", "统一社会信用代码", "法定代表人", "注册资本")
ASR_EXPECT = {
    "production lines": ("六条", "6条"),
    "capacity utilisation": ("八十二", "82"),
    "order backlog": ("一点八亿", "1.8亿"),
    "top customer share": ("四十三", "43"),
}


def parsed_text(path: Path, context=None) -> str:
    from zhiku.ingest.parsers import docx as docx_parser
    from zhiku.ingest.parsers import pdf as pdf_parser
    from zhiku.ingest.parsers import xlsx as xlsx_parser

    data = path.read_bytes()
    if path.suffix == ".xlsx":
        doc = xlsx_parser.parse(data, path.name)
    elif path.suffix == ".pdf":
        doc = pdf_parser.parse(data, path.name)
    elif path.suffix == ".docx":
        doc = docx_parser.parse(data, path.name)
    elif path.suffix in (".jpg", ".png"):
        from zhiku.ingest.parsers import image as image_parser
        doc = image_parser.parse(data, path.name, context)
    else:
        from zhiku.ingest.parsers import audio as audio_parser
        doc = audio_parser.parse(data, path.name, context)
    return "\n".join(block.text for block in doc.blocks)


def _ocr_context():
    from zhiku.core.settings import Settings
    from zhiku.ingest.ocr.factory import make_ocr_engine
    from zhiku.ingest.ocr.page_reader import OcrPageReader
    from zhiku.ingest.parse_context import ParseContext

    settings = Settings(_env_file=None)
    reader = OcrPageReader(make_ocr_engine(settings))
    return ParseContext(ocr=lambda: reader)


def _asr_context():
    from zhiku.core.settings import Settings
    from zhiku.ingest.parse_context import ParseContext
    from zhiku.ingest.speech.factory import make_transcriber

    settings = Settings(_env_file=None)
    transcriber = make_transcriber(settings)
    return ParseContext(transcriber=lambda: transcriber, language="zh")


def ocr_lines(path: Path) -> list[str]:
    """Raw RapidOCR text lines of the licence (what the brief asks to be read back exactly)."""
    from rapidocr import RapidOCR

    result = RapidOCR()(str(path))
    return [str(t) for t in (result.txts or ())]


def verify(use_models: bool = True) -> tuple[list[str], dict]:
    errors = check_figures()
    report: dict = {}
    for name in FILES.values():
        p = KB_DIR / name
        if not p.exists():
            errors.append(f"missing file: {p}")
            continue
        limit = MAX_BYTES.get(p.suffix, DEFAULT_MAX_BYTES)
        if p.stat().st_size >= limit:
            errors.append(f"{name}: {p.stat().st_size} bytes >= {limit}")
    if errors and any(e.startswith("missing") for e in errors):
        return errors, report
    if not TRUTH_PATH.exists():
        errors.append(f"missing {TRUTH_PATH}")
    elif json.loads(TRUTH_PATH.read_text(encoding="utf-8")) != truth():
        errors.append(f"{TRUTH_PATH.name} is out of date: rebuild")

    texts = {key: parsed_text(KB_DIR / FILES[key]) for key in ("xlsx", "pdf", "guarantee", "profile")}
    # XLSX: one TABLE_ROW per line item, "项目: 货币资金 | 2025年末: 6842.37 | 2024年末: 5917.46"
    for title, heads, rows in STATEMENTS:
        for name in rows:
            a, b = (fig_text(x) for x in FIGURES[name])
            row = f"项目: {name} | {heads[0]}: {a} | {heads[1]}: {b}"
            if row not in texts["xlsx"]:
                errors.append(f"XLSX parser output lacks {row!r}")
            for value in (a, b):
                if value not in texts["pdf"]:
                    errors.append(f"PDF text lacks {name} = {value}")
            if name not in texts["pdf"]:
                errors.append(f"PDF text lacks the line item {name}")
    if "单位：万元" not in texts["xlsx"] or "单位：万元" not in texts["pdf"]:
        errors.append("unit 单位：万元 missing from the XLSX or PDF text")
    for needle in ("标准无保留意见", AUDITOR, "公允反映"):
        if needle not in texts["pdf"]:
            errors.append(f"PDF text lacks {needle!r}")
    g = GUARANTEE
    for needle in (g["contract_no"], g["guarantor"], g["debtor"], g["creditor"], g["principal"], g["method"],
                   g["period"], g["signed"], g["main_contract_no"]):
        if needle not in texts["guarantee"]:
            errors.append(f"guarantee contract lacks {needle!r}")
    for name, amount, share, _ in SHAREHOLDERS:
        if not all(x in texts["profile"] for x in (name, amount, share)):
            errors.append(f"profile lacks shareholder row {name} {amount} {share}")
    for needle in (*(m[1] for m in MANAGEMENT), "董事长", "总经理", "财务总监", "实际控制人", EMPLOYEES,
                   CUSTOMERS[0][0], CUSTOMERS[0][2], CREDIT_CODE, REGISTERED_CAPITAL):
        if needle not in texts["profile"]:
            errors.append(f"profile lacks {needle!r}")
    for key, text in texts.items():
        if "虚构演示材料" not in text:
            errors.append(f"{FILES[key]} lacks the fictional-material mark")
        if re.search("抵押|质押|抵押物", text):
            errors.append(f"{FILES[key]} mentions collateral, which must stay a gap")

    if use_models:
        lines = ocr_lines(KB_DIR / FILES["licence"])
        report["ocr_lines"] = lines
        joined = "".join("".join(line.split()) for line in lines)
        for field in OCR_EXACT:
            value = LICENCE[field]
            if value not in joined:
                errors.append(f"OCR did not read the licence's {field} {value!r} exactly")
        if "虚构演示材料" not in joined:
            errors.append("OCR did not read the fictional-material mark on the licence")
        # the project's own image parser must see the same
        image_text = parsed_text(KB_DIR / FILES["licence"], _ocr_context())
        report["image_parser_text"] = image_text
        compact = "".join(image_text.split())
        for field in OCR_EXACT:
            if LICENCE[field] not in compact:
                errors.append(f"image parser did not read the licence's {field} {LICENCE[field]!r}")

        transcript = parsed_text(KB_DIR / FILES["visit"], _asr_context())
        report["transcript"] = transcript
        compact = "".join(transcript.split())
        for fact, spellings in ASR_EXPECT.items():
            if not any(s in compact for s in spellings):
                errors.append(f"transcript lacks the {fact} ({' / '.join(spellings)})")
    return errors, report


def media_duration(path: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                          str(path)], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


BUILDERS = {
    "xlsx": build_xlsx,
    "pdf": build_pdf,
    "licence": build_licence,
    "guarantee": build_guarantee,
    "profile": build_profile,
    "visit": build_visit,
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--verify-only", action="store_true", help="do not rebuild, only verify existing files")
    ap.add_argument("--skip-models", action="store_true", help="skip the OCR and speech-recognition checks")
    ap.add_argument("--show", action="store_true", help="print what OCR and ASR recovered")
    args = ap.parse_args(argv)

    if not args.verify_only:
        problems = check_figures()
        if problems:
            print("inconsistent figures:\n  - " + "\n  - ".join(problems), file=sys.stderr)
            return 1
        KB_DIR.mkdir(parents=True, exist_ok=True)
        for key, builder in BUILDERS.items():
            builder(KB_DIR / FILES[key])
        write_truth(TRUTH_PATH)

    errors, report = verify(use_models=not args.skip_models)
    for name in FILES.values():
        p = KB_DIR / name
        if p.exists():
            extra = f"  ({media_duration(p):.1f} s)" if p.suffix == ".mp3" else ""
            print(f"{p.stat().st_size:>8}  {p.relative_to(REPO_DIR)}{extra}")
    if args.show and report:
        print("\nOCR lines:\n  " + "\n  ".join(report.get("ocr_lines", [])))
        print("\nTranscript:\n  " + report.get("transcript", "").replace("\n", "\n  "))
    if errors:
        print("\nVERIFICATION FAILED:", file=sys.stderr)
        for e in errors:
            print("  - " + e, file=sys.stderr)
        return 1
    print(f"\nOK: {len(FILES)} credit files for {COMPANY} verified; ground truth in "
          f"{TRUTH_PATH.relative_to(REPO_DIR)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
