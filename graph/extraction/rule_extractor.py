"""The offline default extractor: Chinese + English entities and typed relations, by rules.

Per sentence (split at 。！？；!?; , line breaks and a Latin full stop before a space):

Entities (spans over the sentence; overlaps resolved longest first, then by source priority)
  - dictionary terms: the alias dictionary's names and the configured domain types (type → terms),
    matched on CJK characters and on Latin word n-grams (case-insensitive);
  - 《…》 titles: `policy` when they end with 法/办法/条例/规定/通知/意见/指引/细则/… else `entity` (a film,
    book, programme); quoted names (“…”, 「…」) followed or preceded by product words: `product`;
  - Chinese name chains over jieba words (jieba 0.42 dictionary, HMM for unseen words): a head word
    with an organisation suffix (银行, 分行, 有限公司, 集团, 总局, 委员会, 大学, …), a policy suffix
    (办法, 条例, …), a loan suffix (贷款), an account suffix (账户, 存款) or a product suffix (信用卡, 债券,
    基金, 存单, …) extended to the left over nouns, place and proper names and business words
    (担保, 投资, 科技, …), stopping at verbs, prepositions, particles, punctuation and determiners
    (本, 该, 其, 我国, …); bounded to 6 words / 30 characters (8 words for a registered company, whose name
    may hold one-character words jieba tags as verbs: 宁波均胜电子股份有限公司). A bank branch (…银行…分行) is one
    organisation; its bank becomes an entity with a `branch_of` relation only when the chunk names the bank
    apart from the branch (the gold sets' convention; `implicit_branch_parents=True` always adds it);
  - forms and tables of credit materials (issue #15): people after a person label (法定代表人, 董事长, 姓名,
    分析师, 股东名称 … with a colon, 为/是, a space or nothing; `credit_roles.labelled_people`) and repeated later in
    the chunk, before a verb of office (X任执行事务合伙人), before 先生/女士, on a bio line (X，男，1968年出生) or in a
    founding/holding clause (由A、B于…设立); street addresses as one location (江苏省苏州市姑苏区人民路1200号);
    partnerships with their form (…合伙企业（有限合伙）); bond names (23某某MTN001, 24某某01, 某某公司2025年度第一期中期
    票据); accounting standards; administrative units after their city (无锡市新吴区); ports; customers and suppliers
    listed after 主要客户包括;
  - remaining jieba part-of-speech tags: nr/nrfg/nrt → person, ns → location, nt → organization,
    nz → entity, j (abbreviation) ending in 会/局/行/委/部/院/所 → organization; unseen words get
    jieba's character-level HMM tag (cached);
  - English proper-noun phrases: runs of capitalised words joined by of/the/de/von/van/…, "and" only
    inside an organisation name, "on"/"for" after Committee/Council/…, a trailing number (Studio 33,
    Basel III) and company forms (Co., Ltd / Inc / plc / LLC); a leading year is kept (the 1999 …
    Championship). A sentence-initial single word is dropped unless it is an acronym, known, or seen
    capitalised elsewhere in the chunk; leading function words ("The", "Under") are dropped. Typed
    by suffix (organization: Bank, Ltd, University, Committee …; location: City, River …, a small
    gazetteer, "located/born/based in X"; policy: Act, Law, Regulation …, Basel I/II/III; person: a
    given-name list or a title such as Mr/Dr/President), else `entity`;
  - amounts (money with a currency, capital numerals 人民币伍仟万元整, %, 个百分点, basis points, 万/亿 after a money
    word) and dates kept whole with their period word (2023年3月, 2025年末, 2025年度, 2025年1-9月, 2023-2025年,
    2024-01-01, 26 July 2023, March 2024, a year after in/since/from/…); months, weekdays, numbers alone are not
    entities — except the figures of a table row or form whose unit a header gives ("单位：万元" in the chunk or
    its headings, a column header "出资额（万元）"): "项目: 货币资金 | 2025年末: 12,345.67" names 12,345.67万元, unless
    the row or column counts something else (比例, 人数, 股数, 年份 …).
  Junk is refused: pronouns and generic words (stop lists), single characters, numbers-only names,
  names longer than MAX_NAME_CHARS (so a 10,000-character run never reaches the store), function-word and
  date fragments (之日起), contract and file numbers (HCB-WX-GD-2026-0031), credit ratings (AAA, AA+), jieba
  dictionary "names" without a surname (同比增加, 满负荷; foreign names such as 特朗普 stay as untyped entities),
  a Latin token running on into Chinese (EBITDA利息保障倍数…).

Relations
  - typed patterns, kept as data in RELATION_PATTERNS (type, language, regex with {S}/{O}, allowed
    subject/object types). They run over the sentence with every entity replaced by one private-use
    character, so a pattern reads "{S}的法定代表人为{O}" and gaps can be bounded in characters and
    forbidden from crossing other entities. {S}/{O} also accept lists (A、B和C) and yield one
    relation per member. Types: guarantees, legal_representative, executive_of, shareholder_of,
    subsidiary_of, branch_of, governs, issued_by, created_by, located_in, born_in, lends_to,
    overdue_loan_of, penalized_by (see the table for direction);
  - `related_to` between entities of one sentence not already joined by a typed relation, nearest
    pairs first, at most `max_pairs_per_sentence`; amounts and dates never take part (they would
    become hubs such as "2019"). With a heading path whose last heading is itself one entity (a
    Wikipedia title, a company name), that topic entity is also joined to the chunk's first
    `max_topic_links` entities: later sentences say "he" or "the bank" instead of its name.

Speed: jieba's word segmentation (HMM on) + dictionary tags, regexes compiled once; ~1 ms per 300
characters on one core (see evaluation/extraction_eval.py).
"""
from __future__ import annotations

import functools
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from zhiku.graph.extraction.chunk_extractor import COOCCURRENCE, VALUE_TYPES, Extraction
from zhiku.graph.extraction.credit_roles import BOND_NAME, COMPOUND_SURNAMES, labelled_people, person_like
from zhiku.graph.graph_store import MAX_NAME_CHARS, EntityInput, RelationInput

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 20_000          # a chunk longer than this is read up to here
MAX_SENTENCE_CHARS = 1_000       # a "sentence" without punctuation is cut into pieces this long
MAX_ENTITIES_PER_SENTENCE = 48
MAX_ENTITIES = 96
MAX_RELATIONS = 192
MAX_ZH_NAME = 40                 # a Chinese name chain longer than this is not a name
MAX_EN_WORDS = 10

# --- vocabularies ---------------------------------------------------------------------------------
ORG_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "分公司", "子公司", "公司", "集团", "银行", "分行", "支行",
                "营业部", "信用社", "合作社", "农商行", "总局", "分局", "监管局", "管理局", "委员会", "常务委员会",
                "人民政府", "政府", "交易所", "事务所", "研究院", "研究所", "科学院", "大学", "学院", "医院", "法院",
                "检察院", "协会", "商会", "学会", "联合会", "基金会", "中心", "电视台", "通讯社", "报社", "日报",
                "出版社", "俱乐部", "保险", "证券", "信托", "基金公司", "财务公司", "资管", "理财", "部", "厅",
                "办公室", "署", "局", "银保监局", "证监局", "油田", "航空", "酒店", "厂", "商行", "经营部", "合作联社",
                "合伙企业", "国资委", "发改委", "管委会", "经信委", "住建委", "卫健委")
POLICY_SUFFIXES = ("管理办法", "暂行办法", "实施办法", "办法", "条例", "规定", "通知", "意见", "指导意见", "指引",
                   "细则", "实施细则", "准则", "规则", "决定", "公告", "通告", "方案", "纲要", "规划", "制度", "规范",
                   "法", "法案", "章程", "协议", "守则", "标准", "法典", "通则")
LOAN_SUFFIXES = ("贷款", "按揭", "经营贷", "消费贷", "信用贷", "房贷", "车贷")
ACCOUNT_SUFFIXES = ("账户", "帐户", "存款账户", "储蓄账户", "结算账户")
STRONG_POLICY_SUFFIXES = ("管理办法", "暂行办法", "实施办法", "办法", "条例", "规定", "细则", "实施细则", "指引", "暂行规定",
                          "会计准则", "审计准则", "通则", "法典")
EVENT_SUFFIXES = ("论坛", "峰会", "博览会", "交易会", "运动会", "奥运会", "世界杯", "锦标赛", "联赛", "电影节")
NOT_ORG_BU = ("总部", "内部", "外部", "全部", "局部", "东部", "西部", "南部", "北部", "中部", "本部", "干部", "头部", "腹部",
              "结局", "格局", "布局", "大局", "全局", "当局", "开局", "胜局", "僵局", "公署")
GENERIC_MODIFIERS = frozenset("上市 全资 子 母 关联 参股 下属 旗下 该 其 本 各 商业 国有 民营 外资 中资 境外 境内 地方 "
                              "股份制 城市 农村 大型 中小 小型 小微 合作".split())
PERSON_TITLES = ("董事长", "行长", "总经理", "总裁", "首相", "总理", "总统", "主席", "部长", "局长", "省长", "市长", "书记",
                 "行政长官", "特首", "法定代表人", "借款人", "担保人", "保证人", "先生", "女士", "教授", "院士", "导演",
                 "演员", "歌手", "作家", "记者", "发言人", "大使", "理事长", "首席执行官", "创始人")
DESCRIPTIVE_HEADS = frozenset("上市公司 全资子公司 控股子公司 子公司 母公司 关联公司 合资公司 总公司 空壳公司".split())
NOT_NAMES = frozenset("印发 发文 出台 新闻 新华 央视 记者 编辑 责任编辑 来源 图片 视频 网友 专家 官方 "
                      # contract and report wording jieba tags as names (issue #15, the demo's credit materials)
                      "公允 盖章 签字 协商一致 甲乙双方 甲方 乙方 丙方 授权代表 普通 二人 双方 各方 本人 本公司".split())
# Function words and date fragments ("之日起", "日起", "以来"): a span that starts or ends with one is a
# piece of a clause jieba tagged as a name, not a thing.
_FRAGMENT_RE = re.compile(r"^(?:之|日起|起|于|自|至|的|及|与|和)|(?:之日起|之日|日起|起算|以来|之前|之后|期间|以内|以上|以下)$")
# Chinese numerals alone, or counted (伍仟, 二人): a value, not a name.
_NUMERAL_NAME_RE = re.compile(r"[零〇一二三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟萬億两]+[人个名位次元]?")
# Place words: a "person" ending in one is a place jieba misread (梁溪区).
_PLACE_SUFFIXES = ("省", "市", "区", "县", "镇", "乡", "村", "路", "街", "道", "号", "港")
# Roles a contract puts before a party's name ("债务人江南恒泰…", "保证人：…"): not part of the name.
ROLE_PREFIX_RE = re.compile(r"^(?:债务人|债权人|保证人|担保人|借款人|贷款人|抵押人|出质人|甲方|乙方|丙方|曾任|原任|现任|"
                            r"企业名称|公司名称|单位名称|名称|发行人|发行主体)[：:]?")
FORCE_WORDS = ("分行", "支行", "法定代表人", "股份有限公司", "有限责任公司", "子公司", "全资子公司", "控股子公司", "分公司",
               "银保监局", "银监局", "证监局", "金融监管局", "控股股东", "实际控制人",
               "以下简称", "授信额度", "连带责任")
FORCE_ENTITIES = {"银保监会": "organization", "金融监管总局": "organization", "国家金融监督管理总局": "organization",
                  "证监会": "organization", "外汇局": "organization", "人民银行": "organization", "央行": "organization"}
FORCE_TAGS = {"organization": "nt", "person": "nr", "location": "ns", "policy": "nz", "product": "nz",
              "loan_type": "n", "account_type": "n", "entity": "nz"}
PRODUCT_SUFFIXES = ("信用卡", "借记卡", "储蓄卡", "白金卡", "联名卡", "社保卡", "金卡", "债券", "金融债", "金融债券",
                    "国债", "存单", "大额存单", "理财产品", "基金", "保险产品", "年金")
BIZ_WORDS = frozenset(
    "担保 融资担保 投资 融资 科技 贸易 实业 控股 发展 建设 置业 咨询 管理 服务 信息 技术 资产 金融 保险 证券 基金 信托 "
    "租赁 融资租赁 电子 能源 物流 医药 制造 工程 房地产 开发 商贸 网络 传媒 文化 教育 农业 食品 化工 汽车 新能源 环保 电力 "
    "国际 理财 消费金融 小额贷款 储蓄 邮政 邮政储蓄 商业 农村 合作 信用 监督 监督管理 监管 人民 交通 建设 工商 招商 兴业 "
    "民生 光大 华夏 浦东 平安 中信 国家 中央 中国 全国 人民代表大会 常务 证券交易 期货 清算 支付 结算 营销 国有 "
    "个人 住房 消费 经营 流动资金 固定资产 并购 银团 项目 汽车 助学 公积金 信用 抵押 质押 保证 普惠 小微 绿色 活期 定期 "
    "储蓄 结算 基本 一般 专用 临时 外汇 资本 流动性 风险 反洗钱 暂行 实施 办法 管理办法 银行业 保险业 贷款 存款 账户 "
    # industry words in company names that jieba tags as adjectives or verbs (江南恒泰精密制造有限公司)
    "精密 机械 装备 设备 器械 机电 电气 材料 新材料 化学 纺织 服装 钢铁 有色 矿业 航运 港航 港口 物业 酒店 餐饮 "
    "零部件 模具 光电 半导体 软件 通信 数据 生物 制药 健康 医疗 智能 自动化 压铸 铸造 加工".split())
STOP_LEFT = frozenset(
    "本 该 此 其 各 各类 各项 上述 下列 以下 以上 有关 相关 其他 其它 这些 这 那 那些 这个 我 我国 我行 本行 贵行 你 您 他 她 它 "
    "所有 全部 部分 一些 一 新 现行 原 前述 每 每个 每家 多家 某 某些 一家 两家 该行 本公司 该公司 各家 任何 如 及 或 和 与 "
    "子公司 全资子公司 控股子公司 母公司 分公司 股东 控股股东 借款人 担保人 保证人 客户 法定代表人 董事长 行长 总经理 "
    "旗下 下属 授信额度 以下简称 会同 联合 机构 评级机构 审计机构 发行人 承销商 主承销商 受托管理人 债权人 债务人 "
    "的 了 在 向 由 为 对 于 从 以 被 将 把 给 跟 同 是 有 并 等 及其 之 中 内 外 后 前 时 年 月 日".split())
GENERIC_NAMES = frozenset(
    "公司 有限公司 股份有限公司 有限责任公司 银行 商业银行 分行 支行 集团 政府 人民政府 委员会 总局 局 部 厅 中心 大学 学院 医院 "
    "法院 协会 基金 债券 存单 信用卡 账户 存款 贷款 办法 管理办法 条例 规定 通知 意见 指引 细则 准则 规则 决定 公告 方案 制度 "
    "规范 法 标准 协议 章程 保险 证券 信托 理财 企业 机构 金融机构 银行业金融机构 部门 单位 客户 借款人 担保人 保证人 "
    "国家 中央 地方 政府部门 监管部门 监管机构 子公司 分公司 营业部 本办法 本规定 本通知 本条例 我行 本行 该行 "
    "上市公司 个人 住房 账号 卡 产品 理财产品 日报 中国人 大家 人们 全国 国内 国外 海外 境内 境外 当地 本地 双方 各方 "
    "工厂 厂 加工厂 合伙企业 有限合伙企业".split())
POLICY_WORDS_ZH = POLICY_SUFFIXES
DETERMINER_RE = re.compile(r"^(?:本|该|此|上述|有关|相关)")

EN_STOP = frozenset(
    "a an the this that these those it its he she they we you i his her their our your my me him them us "
    "in on at by for of to from with as and or but if when while where which who whom whose what why how "
    "there here then than so not no yes all any each every some many most more much other another such "
    "is are was were be been being has have had do does did can could may might must shall should will would "
    "after before during under over between among about above below into onto upon within without against "
    "according pursuant following including since until also however although though because therefore thus "
    "meanwhile moreover furthermore besides nevertheless neither either both one two three first second third "
    "mr mrs ms dr prof sir note see table figure chapter section article part page "
    "today yesterday tomorrow please dear regards hello hi thanks ok yes".split())
EN_GENERIC = frozenset("customers customer clients client borrowers borrower bank banks company companies group "
                       "government state city university new old".split())
MONTHS = ("january february march april may june july august september october november december "
          "jan feb mar apr jun jul aug sep sept oct nov dec").split()
WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
DEMONYMS = frozenset(
    "american british english french german italian spanish portuguese dutch danish swedish norwegian finnish "
    "russian polish czech greek turkish irish scottish welsh canadian mexican brazilian argentine chilean "
    "australian chinese japanese korean indian pakistani vietnamese thai indonesian malaysian filipino "
    "african european asian latin arab arabic israeli iranian egyptian swiss austrian belgian hungarian "
    "roman christian catholic protestant jewish muslim islamic buddhist hindu western eastern northern southern "
    "canadian-american african-american anglo-american".split())
EN_ORG_HEADS = frozenset(
    "bank bancorp group holdings holding company corporation corp co inc ltd limited plc llc llp ag sa nv gmbh "
    "university college institute institution school academy association council commission committee "
    "agency authority ministry department board bureau office administration fund trust foundation society "
    "federation union league party club records studios studio entertainment games pictures films press "
    "publishing publishers airlines airways motors railways network networks media broadcasting corporation "
    "exchange reserve treasury court parliament congress senate army navy police church orchestra band team "
    "laboratories labs systems technologies solutions partners capital securities insurance assurance".split())
EN_ORG_OF = frozenset("committee council commission institute centre center association office agency ministry "
                      "department bureau society foundation board authority federation union school".split())
EN_LOC_HEADS = frozenset(
    "city county province state river lake mountain mountains island islands valley street avenue road bay sea "
    "ocean district region village town parish prefecture peninsula desert airport station square "
    "kingdom republic".split())
EN_POLICY_HEADS = frozenset(
    "act law laws regulation regulations rule rules directive accord code guidelines guideline measures "
    "provisions circular notice standard standards framework treaty convention ordinance bill policy".split())
EN_PRODUCT_HEADS = frozenset("card fund bond bonds note notes plan account".split())
EN_PRODUCT_AFTER = re.compile(r"^\s+(?:credit|debit|prepaid|charge|platinum)\s+cards?\b|^\s+(?:fund|bond|card)s?\b",
                              re.I)
EN_TITLES = frozenset("mr mrs ms miss dr prof sir dame lord lady president chairman chairwoman governor king queen "
                      "prince princess saint st senator judge justice general captain minister premier ceo cfo "
                      "coo cto chair director founder governor".split())
PERSONAL_TITLES = frozenset("mr mrs ms miss dr prof sir dame lord lady president king queen prince princess senator "
                            "judge justice general captain minister premier".split())
EN_CONNECTORS = frozenset("of de la le du von van der den da di del dos das y".split())
GIVEN_NAMES = frozenset(
    "aaron adam adrian alan albert alex alexander alfred alice amanda amy andrea andrew angela ann anna anne "
    "anthony antonio arthur barbara ben benjamin bernard bill billy bob brian bruce carl carlos carol caroline "
    "catherine charles charlie charlotte chris christian christina christopher claire claude daniel david "
    "dennis diana donald dorothy douglas edward eddie elizabeth ellen emily emma eric ernest eva frank franz "
    "frederick friedrich gary george georg gerald gordon grace hank hans harold harry heinrich helen henry "
    "howard hugh ian isaac jack jacob james jamie jan jane janet jason jean jeff jennifer jeremy jerry jim "
    "joan joe johann johannes john jonathan jose joseph joshua juan julia julie karen karl kate katherine "
    "keith kelly kenneth kevin larry laura lawrence lester linda lisa louis louise lucy ludwig luis margaret "
    "maria marie mark martin mary matthew max michael michel mika mike nancy nathan nicholas nick oliver "
    "oscar patricia patrick paul peter philip philipp pierre rachel ralph raymond rebecca richard robert "
    "roger ronald rose ruth ryan samuel sarah scott sebastian sharon simon sophie stephen steve steven susan "
    "thomas tim timothy tom tony victor vincent walter william wolfgang elvis frida igor ivan sergei vladimir "
    "ahmed ali mohammed muhammad hassan omar akira hiroshi kenji yuki ravi raj wei li ming chen lee kim park "
    "giovanni giuseppe marco luca francesco pablo diego miguel fernando rafael sofia isabel ana lars erik "
    "sven anders olaf bjorn karin ingrid greta emil felix otto fritz gustav leopold anton josef jacques "
    "marcel andre rene henri francois claude jules victor amelia olivia emilie harriet agnes edith".split())
GAZETTEER_EN = frozenset(
    "afghanistan albania algeria argentina australia austria bangladesh belgium brazil bulgaria cambodia "
    "canada chile china colombia croatia cuba denmark egypt england finland france germany greece hungary "
    "iceland india indonesia iran iraq ireland israel italy japan kenya korea laos malaysia mexico mongolia "
    "morocco myanmar nepal netherlands nigeria norway pakistan peru philippines poland portugal romania "
    "russia scotland singapore spain sweden switzerland syria taiwan thailand turkey ukraine vietnam wales "
    "europe asia africa america antarctica "
    "alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii idaho "
    "illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota "
    "mississippi missouri montana nebraska nevada ohio oklahoma oregon pennsylvania tennessee texas utah "
    "vermont virginia washington wisconsin wyoming "
    "london paris berlin tokyo beijing shanghai shenzhen guangzhou hangzhou nanjing tianjin chongqing wuhan "
    "chengdu hong kong macau macao moscow rome madrid vienna weimar munich hamburg frankfurt amsterdam "
    "brussels geneva zurich stockholm oslo copenhagen helsinki dublin edinburgh manchester liverpool "
    "toronto vancouver montreal sydney melbourne chicago boston seattle houston dallas atlanta miami "
    "detroit philadelphia hollywood los angeles new york san francisco seoul bangkok jakarta manila delhi "
    "mumbai dubai cairo istanbul athens lisbon prague warsaw budapest nashville memphis madison".split()) | {
    "hong kong", "new york", "los angeles", "san francisco", "new zealand", "south africa", "united states",
    "united kingdom", "south korea", "north korea", "new jersey", "new mexico", "north carolina",
    "south carolina", "north dakota", "south dakota", "west virginia", "rhode island", "new hampshire",
    "saudi arabia", "sri lanka", "new delhi", "united arab emirates", "soviet union", "czech republic"}

# --- patterns -------------------------------------------------------------------------------------
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;…\n\r])|(?<=\.)\s+(?=[A-Z\"“'‘(\[0-9])|(?<=[.!?][\"”’'])\s+")
_TITLE = re.compile(r"《([^《》\n]{2,60})》")
_QUOTED = re.compile(r"[“「『\"]([^“”「」『』\"\n]{2,20})[”」』\"]")
_PRODUCT_NEAR = re.compile(r"^(?:[\w\s]{0,6}?)(?:产品|理财|系列|贷|卡|基金|存单|债券|保险|APP|app|服务|平台)")
_PRODUCT_BEFORE = re.compile(r"(?:推出|发行|上线|发布|推广|销售|代销|购买|认购|申请|办理)(?:了)?\s*$")
_ALIAS_DECL = re.compile(r"[（(]\s*(?:以下|下文)?(?:简称|合称|统称)\s*[:：]?\s*[“\"「『]?([^”\"」』（）()]{1,30})[”\"」』]?\s*[)）]"
                         r"|[(（]\s*(?:hereinafter|hereafter)\s+(?:referred\s+to\s+as\s+)?(?:the\s+)?[“\"']"
                         r"([^”\"']{1,40})[”\"']\s*[)）]", re.I)
_NUM = r"(?:\d+(?:[,，]\d{3})*(?:\.\d+)?|[零〇一二三四五六七八九十百千两]+(?:点[零一二三四五六七八九]+)?)"
_AMOUNT_ZH = re.compile(
    rf"(?:人民币|美元|港币|港元|欧元)?\s*{_NUM}\s*(?:万亿|千亿|百亿|十亿|亿|千万|百万|十万|万|千)?\s*"
    r"(?:元人民币|元整|元|美元|港元|港币|欧元|日元|英镑|澳元|加元|韩元|卢布|块钱)"
    rf"|{_NUM}\s*(?:%|％|个百分点|个基点|基点|BP|bp)(?![A-Za-z])|百分之[零一二三四五六七八九十百点]+"
    # the capital numerals of contracts and licences: 人民币伍仟万元整, 陆仟伍佰柒拾万元
    r"|(?:人民币)?[零壹贰叁肆伍陆柒捌玖拾佰仟万萬亿億]*[壹贰叁肆伍陆柒捌玖][零壹贰叁肆伍陆柒捌玖拾佰仟万萬亿億]*(?:元|圆)"
    r"(?:[零壹贰叁肆伍陆柒捌玖]角)?(?:[零壹贰叁肆伍陆柒捌玖]分)?整?"   # the whole written amount, "整" included
    rf"|人民币\s*{_NUM}\s*(?:万亿|亿|千万|百万|万)(?![\u4e00-\u9fff])")
# "营业收入3.2亿，": a money word shortly before a figure in 万/亿 without 元
_AMOUNT_CUED = re.compile(
    r"(?:收入|营收|利润|净利|资产|负债|余额|额度|资本|金额|贷款|借款|融资|债务|现金|净额|规模|投资|价款|本金|利息|费用|成本|总额|销售额)"
    rf"[^，,。；;\d]{{0,8}}?(?P<a>{_NUM}\s*(?:万亿|千亿|百亿|亿|千万|百万|万))(?![\u4e00-\u9fff\d%％.])")
_AMOUNT_EN = re.compile(
    r"(?:US\$|HK\$|S\$|A\$|C\$|\$|€|£|¥|￥)\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:million|billion|trillion|thousand|bn|mn|m|k)\b)?"
    r"|\b(?:RMB|CNY|USD|HKD|EUR|GBP|JPY|SGD)\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:million|billion|trillion|thousand|bn|mn)\b)?"
    r"|\b\d[\d,]*(?:\.\d+)?\s?(?:million|billion|trillion)?\s?(?:dollars|yuan|renminbi|euros|pounds|yen|RMB|USD|CNY|HKD)\b"
    r"|\b\d+(?:\.\d+)?\s?(?:%|percent\b|per cent\b|basis points\b|bps\b)")
# A date is kept whole with its period word (2025年末, 2025年度, 2025年1-9月, 2025年上半年, 2025年9月末,
# 2023-2025年): a bare "2025年" cut from "2025年末" is a fragment of it.
_D12 = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"
_DATE_ZH = re.compile(
    r"(?:(?<!\d)\d{4}\s*[-—–~至]\s*)?(?:(?<!\d)\d{4}|[零〇一二三四五六七八九]{4})\s*年"
    rf"(?:\s*{_D12}\s*(?:[-—–~至]\s*{_D12}\s*)?月(?:\s*{_D12}\s*[日号])?(?:末|底|初|[上中下]旬)?"
    r"|度|上半年|下半年|前三季度|第?[一二三四1-4]季度末?|年末|年底|年初|年中|末|底|初(?![步期始次])|[上中下]旬)?"
    r"|(?<!\d)\d{1,2}\s*月\s*\d{1,2}\s*[日号]|(?<![\d.])\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?![\d.])")
_MONTH_RE = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
_DATE_EN = re.compile(
    rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH_RE}\s+\d{{4}}|{_MONTH_RE}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|{_MONTH_RE}\s+\d{{4}})\b")
_YEAR_EN = re.compile(r"\b(?:in|In|since|Since|from|From|until|Until|by|of|year|to|and|between|during|around|after|"
                      r"before|early|late|mid|circa|c\.)\s((?:1[5-9]\d\d|20\d\d)s?)\b(?![-–]\d|\s+[A-Z])")
_LATIN = "A-Za-z0-9_À-ÖØ-öø-ÿĀ-ſ"   # a Latin token never runs on into Chinese (EBITDA利息保障倍数 is not one word)
_EN_TOKEN = re.compile(rf"[A-Za-zÀ-ÖØ-öø-ÿĀ-ſ][{_LATIN}'’\-.&]*|\d[\d,.]*[{_LATIN}]*|\S", re.UNICODE)
_COMPANY_FORM = re.compile(r"^(?:,?\s*(?:Co\.,?\s*Ltd\.?|Co\.?\s*Ltd\.?|Ltd\.?|Inc\.?|plc|PLC|LLC|LLP|L\.P\.|Corp\.?|"
                           r"Limited|GmbH|AG|S\.A\.|N\.V\.|S\.p\.A\.))(?![A-Za-z])")
_DEFINITION = re.compile(r"^(?:\s*\([^()]{0,80}\))?,?\s+(?:is|was|are|were)\s+(?:a|an|the|one)\s")  # "Aschenbrödel is a ballet"
_ROMAN = re.compile(r"^(?:I{1,3}|IV|V|VI{1,3}|IX|X{1,3})$")
_LOC_CONTEXT = re.compile(r"\b(?:in|at|near|from|to|of)\s+$|\b(?:located|based|headquartered|born|died|situated|lives|lived)\s+in\s+$")

# Figures whose unit a header gives: "单位：万元" for a table or statement (in the chunk or its heading path), or a
# column header "出资额（万元）"; a cell "header: 3,285.75" (the chunker's table rows) or an OCR'd row "营业收入 | 52,345.67"
# then names the amount 3,285.75万元. Cells whose header counts other things (比例, 股数, 人数, 年份 …) are not money.
_MONEY_UNIT = r"(?P<u>百万元|千元|万元|亿元|万美元|美元|港元|元)"
_MONEY_UNITS = frozenset({"百万元", "千元", "万元", "亿元", "万美元", "美元", "港元", "元"})
_UNIT_LINE = re.compile(rf"(?:金额)?单位\s*[:：]\s*(?:人民币|RMB|CNY)?\s*{_MONEY_UNIT}(?:人民币)?(?![\u4e00-\u9fff])")
_HEADER_UNIT = re.compile(rf"[（(]\s*(?:单位\s*[:：]\s*)?(?:人民币)?\s*{_MONEY_UNIT}\s*[）)]")
# A bare figure in a table or form: not inside a word, a code, a date or a figure with its own unit.
_BARE_NUM = re.compile(r"(?<![\w.\-−(])(?<!\d,)(?P<v>[-−]?\(?\d{1,3}(?:,\d{3})+(?:\.\d+)?\)?|[-−]?\(?\d+(?:\.\d+)?\)?)"
                       r"(?![\w.%％‰\-/]|,\d|\s*(?:万|亿|元|%|％|倍|年|月|日|个|人|名|家|次|吨|箱|户|笔|天|号|股|份|项|条|台|套|件|辆|平方|亩))")
_LABEL_END = re.compile(r"[|，,；;。]")
_NOT_MONEY = re.compile(r"比例|比率|占比|率|%|％|倍|人数|人员|员工|数量|股数|万股|股份数|年限|期限|天数|月数|编号|代码|电话|"
                        r"序号|年龄|排名|次数|面积|平方|吨|箱|台|套|件|个数|户数|笔数|家数|年份|日期|时间|邮编|号码|账号|天")
# A street address is one location (江苏省无锡市梁溪区瑞丰大道166号): after a boundary or a verb of place, a run
# without punctuation that names an administrative unit or a road and ends in a house number.
_ADDRESS = re.compile(
    r"(?:^|(?<=[\s:：|，,。；;(（“为是])|(?<=位于)|(?<=坐落于)|(?<=设在)|(?<=设于)|(?<=地处)|(?<=注册于)|(?<=地址)|(?<=住所))"
    r"(?!位于|坐落|设在|设于|地处|注册|在|于|为|是)(?P<a>(?:中国)?[\u4e00-\u9fff]{1,8}?(?:省|自治区|市|区|县|旗|镇|路|街|大道|大街)"
    r"[^\s，,。；;：:|（()）“”]{0,34}?(?:\d+|[一二三四五六七八九十百]+)号"
    r"(?:[\dA-Za-z\-]*(?:号楼|幢|栋|座|层|楼|室|单元))*)")
# Partnerships carry their form in the name: 某某企业管理合伙企业（有限合伙）
# An administrative unit after its province or city (无锡市新吴区: jieba reads 新/吴区); a port (沧澜港是…).
_ADMIN_UNIT = re.compile(r"(?:(?<=[省市])|(?<=自治州))(?P<u>[\u4e00-\u9fff]{1,4}?(?:区|县|市|旗))(?![\u4e00-\u9fff]*?(?:局|委|院|会|公司|银行|政府|管委会))")
_PORT = re.compile(r"(?:^|(?<![\u4e00-\u9fff])|(?<=[是在至经从]))(?P<p>[\u4e00-\u9fff]{2,3}港)(?=位于|地处|坐落|是|为|唯一|的港|港区|和|与|及|、)")
# Accounting and auditing standards, named without title marks in audit reports and notes
_STANDARDS = re.compile(r"(?:中国注册会计师|企业会计|小企业会计|政府会计|国际财务报告)(?:审计|执业|鉴证业务)?准则(?:第\d+号)?")
_TITLED_PERSON = re.compile(r"(?:^|(?<=[\s，,。；;：:|、（(“]))(?P<n>[\u4e00-\u9fff]{2,3}?)(?:先生|女士)")
_BIO_PERSON = re.compile(r"(?:^|(?<=[\s|：:]))(?P<n>[\u4e00-\u9fff]{2,4}?)[，,]\s*(?:男|女|汉族|中国国籍|\d{4}\s*年\s*(?:\d{1,2}\s*月\s*)?(?:出生|生))")
# A name jieba splits (蒋/立新) in a clause that only a person fits: before a list partner, a title, a founding or
# holding verb ("由蒋立新、郑晓岚于2015年共同出资设立", "蒋立新直接持有")
_CONTEXT_PERSON = re.compile(
    r"(?:^|(?<=[\s，,。；;：:|、（(“由和与及]))(?P<n>[\u4e00-\u9fff]{2,3}?)"
    r"(?=、[\u4e00-\u9fff]{2,3}(?:于|共同|分别|夫妇|[，,])|(?:先生|女士|夫妇)|于\s*\d{4}\s*年|(?:共同)?(?:创办|创立|出资|担任|现任|"
    r"直接持有|直接持股|间接持股|持有|实际控制))")
_COUNTERPARTIES = re.compile(r"(?:主要)?(?:客户|供应商|合作伙伴|竞争对手|下游客户|上游供应商)(?:主要)?(?:包括|主要有|为|涵盖|[:：])"
                             r"(?P<list>[^。；;，,]{2,80}?)(?:等|。|；|;|，|,|$)")
_PARTNERSHIP = re.compile(r"(?:^|(?<![\u4e00-\u9fff])|(?<=担任)|(?<=通过)|(?<=为)|(?<=是)|(?<=由)|(?<=与)|(?<=和)|(?<=及)|(?<=的))"
                          r"(?P<n>(?:(?!担任|通过|作为|为|是|由|与|和|及|的|在|任)[\u4e00-\u9fff]){2,30}?合伙企业\s*"
                          r"[（(](?:有限合伙|普通合伙|特殊普通合伙)[）)])")

PH0 = 0xE000  # entity placeholders: one private-use character each


# --- relation patterns (data) ---------------------------------------------------------------------
ORG = frozenset({"organization", "entity"})
AGENT = frozenset({"organization", "person", "entity"})
PARTY = frozenset({"organization", "person", "entity"})
LOC = frozenset({"location"})
WORK = frozenset({"entity", "product", "policy", "organization"})
POLICY = frozenset({"policy"})
REGULATED = frozenset({"loan_type", "account_type", "product", "organization", "entity"})
ANY = None


@dataclass(frozen=True)
class RelationPattern:
    """A typed relation: `pattern` over the placeholder sentence; {S}/{O} mark the subject/object
    (each may be a list A、B和C); `gap` = any text not crossing a sentence end, `ngap` = text with no
    other entity in it. Direction is always (subject)-[type]->(object)."""
    type: str
    lang: str
    pattern: str
    subject_types: frozenset | None = ANY
    object_types: frozenset | None = ANY
    last_object: bool = False   # an address chain (广东省深圳市): the object is its last, most specific part


RELATION_PATTERNS: tuple[RelationPattern, ...] = (
    # guarantees: (guarantor)-[guarantees]->(the guaranteed party)
    RelationPattern("guarantees", "zh", r"{S}(?:为|向|对)(?:其)?(?:全资|控股)?(?:子公司)?{O}{cgap16}(?:提供|承担)[^。；，,]{0,12}?担保", AGENT, PARTY),
    RelationPattern("guarantees", "zh", r"向{O}{gap40}由{S}(?:提供|承担)?[^。；，,]{0,12}?担保", AGENT, PARTY),
    RelationPattern("guarantees", "zh", r"{O}(?:的)?[^。；，,]{0,12}?(?:担保人|保证人)(?:为|是|系)[:：]?{S}", AGENT, PARTY),
    RelationPattern("guarantees", "zh", r"{S}(?:作为|系|为|是){O}(?:的)?(?:担保人|保证人)", AGENT, PARTY),
    RelationPattern("guarantees", "en", r"{S},? (?:unconditionally )?(?:guarantees|guaranteed|will guarantee|has guaranteed|provides? (?:a |the )?guarantee (?:for|to)|provided (?:a |the )?guarantee (?:for|to)|acts? as (?:the )?guarantor (?:for|of)|is (?:the )?guarantor (?:for|of))(?: the)?(?: loans?(?: of| to))? {O}", AGENT, PARTY),
    RelationPattern("guarantees", "en", r"{O}{ngap40}(?:,)? (?:guaranteed|secured|backed) by (?:the )?{S}", AGENT, PARTY),
    RelationPattern("guarantees", "en", r"{O}(?:'s|’s) guarantor (?:is|was) (?:the )?{S}", AGENT, PARTY),
    # legal_representative: (person)-[legal_representative]->(organisation)
    RelationPattern("legal_representative", "zh", r"{O}(?:的)?法定代表人(?:为|是|系)?[:：]?\s*{S}", frozenset({"person", "entity"}), ORG),
    RelationPattern("legal_representative", "zh", r"{S}(?:担任|系|为|是){O}(?:的)?法定代表人", frozenset({"person", "entity"}), ORG),
    # a profile sentence about its first company: "X成立于2009年，注册资本…，法定代表人为Y"
    RelationPattern("legal_representative", "zh", r"^{O}[^\ue000-\uf8ff。；;]{0,40}?[，,]\s*(?:其|公司)?法定代表人(?:为|是|系)[:：]?\s*{S}", frozenset({"person"}), ORG),
    RelationPattern("legal_representative", "en", r"{S},? (?:is |was |as )?(?:the )?legal representative of (?:the )?{O}", frozenset({"person", "entity"}), ORG),
    RelationPattern("legal_representative", "en", r"{O}(?:'s|’s) legal representative,? (?:is |was )?{S}", frozenset({"person", "entity"}), ORG),
    # executive_of: (person)-[executive_of]->(organisation)
    RelationPattern("executive_of", "zh", r"{O}(?:的)?(?:党委书记|董事长|副董事长|行长|副行长|总经理|副总经理|总裁|副总裁|首席执行官|CEO|首席经济学家|监事长|董事|主席|理事长|局长|副局长)(?:[、兼](?:党委书记|董事长|行长|总经理|总裁))?{S}", frozenset({"person"}), ORG),
    RelationPattern("executive_of", "zh", r"{S}(?:担任|出任|任|当选)(?:为)?{O}(?:的)?(?:董事长|行长|总经理|总裁|首席执行官|主席|理事长)", frozenset({"person"}), ORG),
    RelationPattern("executive_of", "en", r"{S},? (?:the )?(?:(?:chairman|chairwoman|chair|CEO|chief executive(?: officer)?|president|director|governor|managing director|founder|head)(?:,| and| &)? ?(?:the )?)+of (?:the )?{O}", frozenset({"person", "entity"}), ORG),
    RelationPattern("executive_of", "en", r"{O}(?:'s|’s)? (?:chairman|chairwoman|CEO|chief executive|president|governor|managing director) {S}", frozenset({"person"}), ORG),
    # shareholder_of: (holder)-[shareholder_of]->(company)
    RelationPattern("shareholder_of", "zh", r"{S}(?:持有|持股|控股|收购|入股|参股|增持)(?:了)?{O}", AGENT, ORG),
    RelationPattern("shareholder_of", "zh", r"{S}(?:是|为|系|作为|成为){gap12}{O}(?:的)?(?:控股股东|第一大股东|大股东|实际控制人|股东)", AGENT, ORG),
    RelationPattern("shareholder_of", "zh", r"{O}(?:的)?(?:控股股东|第一大股东|大股东|实际控制人|股东)(?:为|是|包括)[:：]?{S}", AGENT, ORG),
    RelationPattern("shareholder_of", "en", r"{S}{gap40} (?:owns|owned|holds|held|acquired|controls|controlled)(?: a| an)?(?: \d+(?:\.\d+)?%)?(?: (?:majority|minority|controlling))?(?: stake| interest| shares?)?(?: in| of)? (?:the )?{O}", AGENT, ORG),
    RelationPattern("shareholder_of", "en", r"{S},? (?:is |was )?(?:a |the )?(?:major |largest |controlling |majority )?shareholder (?:of|in) (?:the )?{O}", AGENT, ORG),
    # subsidiary_of: (subsidiary)-[subsidiary_of]->(parent)
    RelationPattern("subsidiary_of", "zh", r"{S}(?:是|为|系|作为){gap8}{O}(?:的)?(?:全资|控股)?子公司", ORG, ORG),
    RelationPattern("subsidiary_of", "zh", r"{O}{gap8}(?:其|旗下|下属|的)(?:全资|控股)?(?:子公司|旗下)?(?:的)?{S}", ORG, ORG),
    RelationPattern("subsidiary_of", "en", r"{S},? (?:is |was |as )?(?:a |an |the )?(?:wholly[- ]owned |majority[- ]owned )?subsidiary of (?:the )?{O}", ORG, ORG),
    RelationPattern("subsidiary_of", "en", r"{O}{gap60} (?:through|via) its (?:wholly[- ]owned )?subsidiar(?:y|ies),? (?:the )?{S}", ORG, ORG),
    RelationPattern("subsidiary_of", "en", r"{O}(?:'s|’s) (?:wholly[- ]owned )?subsidiary,? {S}", ORG, ORG),
    # governs: (policy)-[governs]->(what it applies to)
    # "依据《民法典》…，甲方…": a law a contract cites does not govern the contract's parties
    RelationPattern("governs", "zh", r"(?:根据|依据|按照|依照|遵照|执行|适用){S}[^。；]{0,30}?{O}", POLICY, REGULATED - ORG),
    RelationPattern("governs", "zh", r"{S}(?:适用于|规范|规定了?|约束|规范了){ngap10}{O}", POLICY, REGULATED),
    RelationPattern("governs", "en", r"(?:[Uu]nder|[Pp]ursuant to|[Aa]ccording to|[Ii]n accordance with) (?:the )?{S},? {O}", POLICY, REGULATED),
    RelationPattern("governs", "en", r"{S} (?:applies to|governs|regulates|covers) (?:all )?(?:the )?{O}", POLICY, REGULATED),
    RelationPattern("governs", "en", r"{O} (?:is|are|was|were) (?:governed|regulated) by (?:the )?{S}", POLICY, REGULATED),
    # issued_by: (policy, product, publication)-[issued_by]->(issuer)
    RelationPattern("issued_by", "zh", r"{O}{gap12}(?:联合)?(?:发布|印发|发行|颁布|出台|推出|制定|公布|上线)(?:了)?{gap12}{S}", WORK, AGENT),
    RelationPattern("issued_by", "zh", r"{S}(?:是)?由{O}{gap8}(?:联合)?(?:发布|印发|发行|颁布|出台|推出|制定|通过|公布|出版)", WORK, AGENT),
    RelationPattern("issued_by", "zh", r"{O}(?:的|推出的|发行的|旗下的)?[“「『\"]?{S}", frozenset({"product"}), ORG),
    RelationPattern("issued_by", "en", r"{S}{ngap60}\b(?:developed|created|designed|produced|made|written) by {gap40} and (?:was )?(?:published|released|distributed|issued) by (?:the )?{O}", WORK, AGENT),
    RelationPattern("issued_by", "en", r"(?<!by )(?<!by the ){S}{ngap60}\b(?:issued|published|released|launched|promulgated|distributed|introduced|offered)(?: \w+)? by (?:the )?{O}", WORK, AGENT),
    RelationPattern("issued_by", "en", r"{O} (?:has |have )?(?:issued|published|released|launched|promulgated|introduced)(?: the| a| an| its)? {S}", WORK, AGENT),
    # created_by: (work, company)-[created_by]->(author, director, founder, developer)
    RelationPattern("created_by", "zh", r"{S}{ngap4}(?:是)?由{O}(?:共同|联合)?(?:执导|导演|创作|创办|创立|创建|编剧|开发|设计|作曲|研发|编写|撰写)", WORK, AGENT),
    RelationPattern("created_by", "zh", r"{S}{gap20}(?:创始人|创办人|导演|作者|开发者|开发商)(?:是|为)[:：]?{O}", WORK, AGENT),
    RelationPattern("created_by", "zh", r"{O}(?:执导|创办|创立|创建|创作|开发)(?:了|的)?{S}", WORK, AGENT),
    # a company founded by its people: "公司由顾振华、沈雅琴于2010年共同出资设立", "X成立于2010年，由Y发起设立"
    RelationPattern("created_by", "zh", r"{S}[^\ue000-\uf8ff。；;]{0,20}?由{O}(?:于{gap12})?(?:共同|联合|个人|合资)?(?:出资|发起|投资)?(?:创办|创立|创建|设立|组建)", ORG, AGENT),
    RelationPattern("created_by", "zh", r"{O}(?:于{gap12})?(?:共同|联合)?(?:出资|发起|投资)?(?:创办|创立|创建|设立)(?:了)?{S}", ORG, frozenset({"person"})),
    RelationPattern("created_by", "en", r"{S}{ngap60}\b(?:created|developed|designed|directed|written|composed|founded|co-founded|invented|produced|authored|built)(?: \w+)? by (?:the )?{O}", WORK | frozenset({"person"}), AGENT),
    RelationPattern("created_by", "en", r"{O} (?:created|developed|directed|wrote|composed|founded|co-founded|invented|designed|authored)(?: the| a| an| his| her| their)?(?: [a-z]+){0,2}? {S}", WORK, AGENT),
    # located_in: (thing)-[located_in]->(place)
    RelationPattern("located_in", "zh", r"^{S}[^。；]{0,40}?[，,](?:其|该行|该公司|公司)?(?:总部|注册地址|注册地|住所|办公地址|经营地址)(?:位于|设在|设于|在|为|是|[:：])(?:中国)?{OSEQ}", PARTY, LOC, last_object=True),
    RelationPattern("located_in", "zh", r"{S}[^\ue000-\uf8ff。；;，,]{0,8}?(?:总部)?(?:位于|坐落于|地处|设在|设于|座落于|注册于|落户)(?:中国)?{OSEQ}", frozenset({"organization", "entity", "location"}), LOC, last_object=True),
    RelationPattern("located_in", "en", r"{S}{ngap30}\b(?:located|based|headquartered|situated|registered) in (?:the )?{O}", PARTY | frozenset({"location"}), LOC, last_object=True),
    RelationPattern("located_in", "en", r"{S} (?:branch|branches|office|offices|headquarters|subsidiary|plant|factory) in (?:the )?{O}", PARTY, LOC),
    # born_in: (person)-[born_in]->(place)
    RelationPattern("born_in", "zh", r"{S}{ngap10}(?:出生于|生于){OSEQ}", frozenset({"person", "entity"}), LOC, last_object=True),
    RelationPattern("born_in", "en", r"{S}{ngap40}\b(?:was )?born (?:on [^.;]{1,20} )?in (?:the )?{O}", frozenset({"person", "entity"}), LOC),
    # lends_to: (lender)-[lends_to]->(borrower)
    RelationPattern("lends_to", "zh", r"{S}(?:向|为|给|对){O}{gap16}(?:发放|提供|授予|批复|投放|审批)[^。；，,]{0,14}?(?:贷款|授信|融资|借款|额度|{LOAN})", ORG, PARTY),
    RelationPattern("lends_to", "zh", r"{O}{gap40}向{S}(?:申请|借款|借入|贷款|融资)", ORG, PARTY),
    RelationPattern("lends_to", "zh", r"{S}(?:拟)?(?:给予|授予|核定|核给|同意给予|批准给予)(?:了)?{O}{cgap16}(?:授信|贷款|额度|借款|融资|{LOAN})", ORG, PARTY),
    RelationPattern("lends_to", "zh", r"{O}(?:在|从){S}(?:取得|获得|获取|借入|获批)(?:了)?[^。；]{0,16}?(?:贷款|授信|借款|融资|额度|{LOAN})", ORG, PARTY),
    RelationPattern("lends_to", "zh", r"{O}在{S}(?:的|处)(?:借款|贷款|融资|授信)", ORG, PARTY),
    RelationPattern("lends_to", "en", r"{S} (?:lent|loaned|granted|extended|provided|advanced)(?: a| an)?{gap40} to (?:the )?{O}", ORG, PARTY),
    RelationPattern("lends_to", "en", r"{O} (?:borrowed|obtained (?:a |an )?[\w ]{0,20}loan)[^.;]{0,40}? from (?:the )?{S}", ORG, PARTY),
    # overdue_loan_of: (borrower)-[overdue_loan_of]->(lender): the borrower's loan with the lender is overdue
    RelationPattern("overdue_loan_of", "zh", r"{S}(?:在|于|对|欠){O}(?:的)?[^。；]{0,20}?(?:逾期|欠息|违约|不良)", PARTY, ORG),
    RelationPattern("overdue_loan_of", "en", r"{S},?{gap8}\b(?:has|had|have) (?:an |a )?(?:overdue|past-due|past due|delinquent|defaulted)[^.;]{0,50}? (?:with|from|at|to) (?:the )?{O}", PARTY, ORG),
    # penalized_by: (penalised party)-[penalized_by]->(regulator)
    RelationPattern("penalized_by", "zh", r"{S}{gap20}被{O}{gap8}(?:罚款|处罚|处以|警告|没收|责令)", PARTY, ORG),
    RelationPattern("penalized_by", "zh", r"{O}[^。；，,]{0,10}?对{S}[^。；，,]{0,12}?(?:罚款|处罚|处以|作出行政处罚|警告)", PARTY, ORG),
    RelationPattern("penalized_by", "en", r"{S} (?:was |were |has been |had been )?(?:fined|penalized|penalised|sanctioned)[^.;]{0,40}? by (?:the )?{O}", PARTY, ORG),
    RelationPattern("penalized_by", "en", r"{O} (?:fined|penalized|penalised|sanctioned) (?:the )?{S}", PARTY, ORG),
)

# Placeholders: one private-use character per entity, in a block per type, so a pattern's {S}/{O}
# only match entities of the allowed types (the regex never settles on a wrong-typed neighbour).
TYPE_BLOCKS = {"organization": 0, "person": 1, "location": 2, "policy": 3, "product": 4, "loan_type": 5,
               "account_type": 6, "entity": 7, "amount": 8, "date": 9}
OTHER_BLOCK = 10          # configured domain types
BLOCK_SIZE = 256
_PH = r"[\ue000-\uf8ff]"
_LIST_SEP = r"(?:\s*(?:,\s*and|、|,|，|和|及|与|以及|and|&)\s*(?:[Tt]he )?)"


def _placeholder(type_: str, i: int) -> str:
    return chr(PH0 + TYPE_BLOCKS.get(type_, OTHER_BLOCK) * BLOCK_SIZE + i)


def _type_class(types: frozenset | None) -> str:
    blocks = sorted({TYPE_BLOCKS[t] for t in types if t in TYPE_BLOCKS} | ({OTHER_BLOCK} if types is None or "entity" in types
                                                                           else set())) if types else \
        [b for b in range(OTHER_BLOCK + 1) if b not in (TYPE_BLOCKS["amount"], TYPE_BLOCKS["date"])]
    return "[" + "".join(f"\\u{PH0 + b * BLOCK_SIZE:04x}-\\u{PH0 + (b + 1) * BLOCK_SIZE - 1:04x}" for b in blocks) + "]"


def _compile(p: RelationPattern) -> re.Pattern:
    def gap(match: re.Match) -> str:
        kind, n = match.group(1), match.group(2)
        if kind == "ngap":
            return rf"[^\ue000-\uf8ff。；;！？!?]{{0,{n}}}?"
        if kind == "cgap":
            return rf"[^。；;！？!?，,]{{0,{n}}}?"
        return rf"[^。；;！？!?]{{0,{n}}}?"

    s_class, o_class = _type_class(p.subject_types), _type_class(p.object_types)
    text = re.sub(r"\{([nc]?gap)(\d+)\}", gap, p.pattern)
    text = (text.replace("{S}", rf"(?P<S>{s_class}(?:{_LIST_SEP}{s_class})*)")
                .replace("{OSEQ}", rf"(?P<O>{o_class}+)")
                .replace("{O}", rf"(?P<O>{o_class}(?:{_LIST_SEP}{o_class})*)")
                .replace("{LOAN}", _type_class(frozenset({"loan_type"})))
                .replace("(?:the )?", "(?:[Tt]he )?"))
    return re.compile(text)


_COMPILED = [(p, _compile(p)) for p in RELATION_PATTERNS]


# --- jieba ----------------------------------------------------------------------------------------
class _Jieba:
    """jieba's default dictionary, read-only (no words are added: the BM25 encoder shares it)."""
    _lock = threading.Lock()
    _ready = False

    @classmethod
    def load(cls):
        with cls._lock:
            if not cls._ready:
                import jieba
                import jieba.posseg as posseg

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                cls.jieba, cls.tags = jieba, posseg.dt.word_tag_tab
                cls.posseg = posseg
                cls._ready = True
        return cls


@functools.lru_cache(maxsize=50_000)
def _hmm_tag(word: str) -> str:
    """Part-of-speech of a word jieba's dictionary lacks: its character HMM over the word alone."""
    j = _Jieba.load()
    try:
        pairs = list(j.posseg.dt._POSTokenizer__cut(word))  # the HMM tagger jieba uses for unseen runs
    except Exception:  # noqa: BLE001 - a private jieba detail; fall back to "unknown"
        return "x"
    if len(pairs) == 1:
        return pairs[0].flag
    flags = {p.flag for p in pairs}
    return "nr" if flags <= {"nr", "nrfg", "nrt"} else "x"


# --- small helpers --------------------------------------------------------------------------------
@dataclass
class _Span:
    start: int
    end: int
    name: str
    type: str
    priority: int          # higher wins among equal lengths
    aliases: tuple[str, ...] = ()
    parent: str | None = None   # a bank branch's bank (…银行…分行 → …银行)


_TOPIC_TYPES = frozenset({"organization", "person"})
_TRANSLITERATION = frozenset("阿埃艾爱安奥巴拜班邦保贝本比彼波伯博布查达戴丹道德迪蒂丁杜多厄恩法菲费芬佛弗福盖甘戈格古哈海汉豪赫亨胡华霍基吉加"
                             "贾杰金卡凯坎康考柯科克肯库夸拉莱赖兰朗劳勒雷黎里利连林琳隆卢鲁路伦罗洛马迈麦曼梅门蒙米密明莫姆穆纳奈南内尼努"
                             "诺帕潘佩彭皮普奇齐乔切琼萨塞桑瑟森沙善舍圣施什斯苏索塔泰坦汤特提图托瓦万威韦维温沃乌伍西希锡夏谢辛休亚扬耶伊"
                             "因英尤于约扎泽詹兹朱佐兰丽娜莎娅妮蒂汗泊")
LEGAL_FORM_HEADS = ("有限公司", "有限责任公司", "股份有限公司", "集团有限公司", "合伙企业")
_ONE_CHAR_ORG_HEADS = frozenset("厅局署委办")
_PREPOSITION_CHARS = frozenset("向由与和及在为对从将被把给以于是的了等或并即经同跟按据至自其该本")
_NAME_PART_TAGS = frozenset({"v", "d", "a", "f", "ad", "ag", "vg", "dg", "ng", "tg", "s", "vd", "an", "vn", "n", "nr", "ns",
                             "nz", "b", "z", "zg", "g", "e", "y", "o", "h", "k", "rg", "mg", "x"})


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def _valid_name(name: str, type_: str) -> bool:
    if not name or len(name) > MAX_NAME_CHARS:
        return False
    if type_ in VALUE_TYPES:
        return True
    stripped = name.strip()
    if len(stripped) < 2 or stripped.isdigit():
        return False
    if re.fullmatch(r"[\d\W_]+", stripped):
        return False
    if re.fullmatch(r"(?:AAA|AA|A|BBB|BB|B|CCC|CC|C)[+-]?|A-[123]", stripped):
        return False   # a credit rating (AAA, AA+), not a name
    if re.fullmatch(r"[A-Za-z]{1,8}(?:[-_/][A-Za-z0-9]+){2,}", stripped) and re.search(r"\d", stripped):
        return False   # a contract or file number (HCB-WX-GD-2026-0031), not a name
    low = stripped.casefold()
    if stripped in NOT_NAMES:
        return False
    if _is_cjk(stripped[0]) or _is_cjk(stripped[-1]):
        if _FRAGMENT_RE.search(stripped) or _NUMERAL_NAME_RE.fullmatch(stripped):
            return False
        if type_ == "person" and stripped.endswith(_PLACE_SUFFIXES):
            return False
        if type_ == "organization" and stripped.endswith(("合同", "协议", "协议书", "报告", "报表")):
            return False  # a document (《固定资产借款合同》), not its parties
    if low in EN_STOP or low in EN_GENERIC or low in WEEKDAYS or low in MONTHS or low in GENERIC_NAMES:
        return False
    if DETERMINER_RE.match(stripped) and type_ not in ("policy",):
        return False
    return True


def _split_sentences(text: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    pos = 0
    for piece in _SENTENCE_END.split(text):
        if piece is None:
            continue
        start = text.find(piece, pos) if piece else pos
        pos = start + len(piece)
        body = piece.strip()
        if not body:
            continue
        offset = start + (len(piece) - len(piece.lstrip()))
        for i in range(0, len(body), MAX_SENTENCE_CHARS):
            out.append((offset + i, body[i:i + MAX_SENTENCE_CHARS]))
    return out


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return text.replace("\u3000", " ").replace("\t", " ")


@functools.lru_cache(maxsize=1)
def _builtin_dictionary_cached(resolver_class) -> tuple[tuple[str, str], ...]:
    return tuple(resolver_class().names().items())


def _builtin_dictionary(resolver_class) -> dict[str, str]:
    return dict(_builtin_dictionary_cached(resolver_class))


# --- the extractor --------------------------------------------------------------------------------
class RuleExtractor:
    """See the module docstring. `domain_types`: extra entity types and their terms (type → terms),
    e.g. {"risk_indicator": ["不良贷款率", "拨备覆盖率"]}; `dictionary`: known names (name → type), usually
    `EntityResolver.names()` of the knowledge base; None = the built-in alias dictionary's names."""

    name = "rules"

    def __init__(self, domain_types: Mapping[str, Iterable[str]] | None = None,
                 dictionary: Mapping[str, str] | None = None, *, max_pairs_per_sentence: int = 4,
                 max_topic_links: int = 6, use_headings: bool = True, implicit_branch_parents: bool = False) -> None:
        if dictionary is None:   # the built-in alias dictionary's names (邮储银行, 中银香港, PSBC …)
            from zhiku.graph.extraction.entity_resolution import EntityResolver

            dictionary = _builtin_dictionary(EntityResolver)
        self.max_pairs = max(0, int(max_pairs_per_sentence))
        self.max_topic_links = max(0, int(max_topic_links))
        self.use_headings = use_headings
        # A branch (…银行…分行) is one organisation; its head office becomes an entity with a branch_of edge only
        # when the chunk also names the head office on its own (the gold sets' convention). True: always.
        self.implicit_branch_parents = implicit_branch_parents
        terms: dict[str, tuple[str, str]] = {}
        for name, type_ in (dictionary or {}).items():
            self._add_term(terms, name, type_)
        for type_, names in (domain_types or {}).items():
            for name in names:
                self._add_term(terms, name, type_)
        for name in BUILTIN_TERMS:
            self._add_term(terms, name, BUILTIN_TERMS[name], override=False)
        for word in FORCE_WORDS:
            if word.casefold() not in terms:
                terms[word.casefold()] = (word, "")   # segmentation only, not an entity
        for word, type_ in FORCE_ENTITIES.items():
            self._add_term(terms, word, type_, override=False)
        self._cjk_terms: dict[str, tuple[str, str]] = {}
        self._cjk_lengths: dict[str, list[int]] = {}
        self._latin_terms: dict[str, tuple[str, str]] = {}
        self._latin_max_words = 1
        for key, (name, type_) in terms.items():
            if _is_cjk(key[0]) or not key.isascii():
                self._cjk_terms[key] = (name, type_)
                lengths = self._cjk_lengths.setdefault(key[0], [])
                if len(key) not in lengths:
                    lengths.append(len(key))
            if not _is_cjk(key[0]):
                words = key.split()
                self._latin_terms[" ".join(words)] = (name, type_)
                self._latin_max_words = min(8, max(self._latin_max_words, len(words)))
        for lengths in self._cjk_lengths.values():
            lengths.sort(reverse=True)

    @staticmethod
    def _add_term(terms: dict, name: str, type_: str, override: bool = True) -> None:
        if not isinstance(name, str) or not isinstance(type_, str):
            return
        clean = _clean(name).strip()
        if len(clean) < 2 or len(clean) > MAX_NAME_CHARS or not type_.strip():
            return
        key = clean.casefold()
        if override or key not in terms:
            terms[key] = (clean, type_.strip())

    # --- public -----------------------------------------------------------------------------------
    def extract(self, text: str, heading_path: Sequence[str] = (), money_unit: str | None = None) -> Extraction:
        """`money_unit`: the unit an earlier part of the same table gave ("万元" from a "单位：万元" line the chunker put
        into another chunk); the chunk's own unit line wins."""
        if not isinstance(text, str) or not text.strip():
            return Extraction()
        text = _clean(text[:MAX_TEXT_CHARS])
        entities: dict[str, EntityInput] = {}
        order: list[str] = []
        relations: dict[tuple[str, str, str], RelationInput] = {}
        cap_words = self._capitalised_elsewhere(text)
        unit = self._unit_of(text, heading_path) or (money_unit if money_unit in _MONEY_UNITS else None)
        people = {name for _, _, name, _ in labelled_people(text)}   # a form names them once; later lines repeat them
        for _, sentence in _split_sentences(text):
            spans = self._entities(sentence, cap_words, unit, people)
            if not self.implicit_branch_parents:
                spans = self._head_offices_named(text, spans)
            found = self._relations(sentence, spans)   # may sharpen a span's type (entity → organization)
            for span in spans:
                self._keep(entities, order, span)
            for rel in found:
                if len(relations) < MAX_RELATIONS:
                    relations.setdefault((rel.subject, rel.type, rel.object), rel)
            if len(entities) >= MAX_ENTITIES:
                break
        topic = self._topic(heading_path, cap_words) if self.use_headings else None
        if topic is not None:
            self._keep(entities, order, topic)
            linked = 0
            for key in order:
                if linked >= self.max_topic_links:
                    break
                ent = entities[key]
                if ent.name == topic.name or ent.type in VALUE_TYPES:
                    continue
                pair = (topic.name, COOCCURRENCE, ent.name)
                if not any((a, b) in {(topic.name, ent.name), (ent.name, topic.name)}
                           for a, _, b in relations):
                    relations.setdefault(pair, RelationInput(*pair))
                linked += 1
        return Extraction([entities[k] for k in order], list(relations.values())[:MAX_RELATIONS])

    # --- entities ---------------------------------------------------------------------------------
    @staticmethod
    def _keep(entities: dict[str, EntityInput], order: list[str], span: _Span) -> None:
        key = span.name.casefold()
        if key in entities:
            old = entities[key]
            aliases = tuple(dict.fromkeys((*old.aliases, *span.aliases)))[:8]
            type_ = old.type if old.type != "entity" else span.type
            if aliases != old.aliases or type_ != old.type:
                entities[key] = EntityInput(old.name, type_, aliases)
            return
        if len(entities) >= MAX_ENTITIES:
            return
        try:
            entities[key] = EntityInput(span.name, span.type, tuple(a for a in span.aliases if a != span.name)[:8])
        except ValueError:
            return
        order.append(key)

    @staticmethod
    def _unit_of(text: str, heading_path: Sequence[str]) -> str | None:
        """The money unit a "单位：万元" line gives the chunk's figures (the chunk first, then its headings)."""
        for source in (text, *[h for h in heading_path or () if isinstance(h, str)][::-1]):
            m = _UNIT_LINE.search(_clean(source))
            if m:
                return m.group("u")
        return None

    @staticmethod
    def _head_offices_named(text: str, spans: list[_Span]) -> list[_Span]:
        """Drop a branch's implied head office unless the chunk names that head office apart from the branch."""
        keep_parents = set()
        for span in spans:
            if span.parent and span.start >= 0:
                if span.parent in text.replace(span.name, "\x00"):
                    keep_parents.add(span.parent)
                else:
                    span.parent = None
        return [s for s in spans if s.start >= 0 or s.name in keep_parents]

    @staticmethod
    def _cell_amounts(sentence: str, unit: str | None) -> list[_Span]:
        """Bare figures of table rows ("项目: 货币资金 | 2025年末: 12,345.67"), OCR'd or PDF rows ("营业收入 | 52,345.67",
        "营业收入 52,345.67 48,123.45") and form pairs ("营业收入（万元）：52,345.67"), named with the unit of their own
        header, their row's label or the chunk's "单位：" line."""
        if not any(ch.isdigit() for ch in sentence):
            return []
        out = []
        row = sentence.split("|", 1)[0] if "|" in sentence else ""      # a table row's first cell: what the row counts
        title = re.split(r"[|:：\d]", sentence, maxsplit=1)[0]          # a form's lead: 主要财务数据（万元）
        for m in _BARE_NUM.finditer(sentence):
            before = sentence[:m.start()]
            cut = max((x.end() for x in _LABEL_END.finditer(before)), default=0)
            label = re.sub(r"[-−(]?\d[\d,]*(?:\.\d+)?\)?", " ", before[cut:]).strip(" :：\t")
            own = _HEADER_UNIT.search(label) or _HEADER_UNIT.search(row) or _HEADER_UNIT.search(title)
            cell_unit = own.group("u") if own else unit
            if not cell_unit:
                continue
            if not own and "|" not in sentence and not re.search(r"[:：]\s*$|\s$", before):
                continue   # prose: a figure of a table or form follows a cell border, a colon or a column gap
            if _NOT_MONEY.search(_HEADER_UNIT.sub("", label)) or _NOT_MONEY.search(_HEADER_UNIT.sub("", row)):
                continue
            value = m.group("v").replace("−", "-")
            if "(" in value and not re.search(r"[,.]", value):
                continue   # (1), (2): list numbers, not negative figures
            if value.startswith("(") and value.endswith(")"):
                value = "-" + value[1:-1]
            value = value.strip("()")
            digits = value.lstrip("-")
            if not re.fullmatch(r"\d[\d,]*(?:\.\d+)?", digits) or re.fullmatch(r"(?:19|20)\d\d", digits) \
                    or (re.fullmatch(r"\d{1,2}", digits) and "|" not in sentence):
                continue
            out.append(_Span(m.start("v"), m.end("v"), value + cell_unit, "amount", 5))
        return out

    @staticmethod
    def _form_spans(sentence: str) -> list[_Span]:
        """People a form names by label, street addresses, partnerships, bond names."""
        out = [_Span(start, end, name, "person", 6) for start, end, name, _ in labelled_people(sentence)]
        out += [_Span(m.start("a"), m.end("a"), m.group("a"), "location", 6) for m in _ADDRESS.finditer(sentence)]
        out += [_Span(m.start("n"), m.end("n"), m.group("n"), "organization", 6) for m in _PARTNERSHIP.finditer(sentence)]
        out += [_Span(m.start(), m.end(), m.group(0), "product", 6) for m in BOND_NAME.finditer(sentence)]
        out += [_Span(m.start("u"), m.end("u"), m.group("u"), "location", 2) for m in _ADMIN_UNIT.finditer(sentence)]
        out += [_Span(m.start("p"), m.end("p"), m.group("p"), "location", 2) for m in _PORT.finditer(sentence)
                if not m.group("p").endswith(("香港", "海港", "军港", "渔港", "商港", "枢纽港", "口港", "大港"))]
        out += [_Span(m.start(), m.end(), m.group(0), "policy", 6) for m in _STANDARDS.finditer(sentence)]
        tags = _Jieba.load().tags
        for regex in (_TITLED_PERSON, _BIO_PERSON, _CONTEXT_PERSON):
            out += [_Span(m.start("n"), m.end("n"), m.group("n"), "person", 6) for m in regex.finditer(sentence)
                    if person_like(m.group("n")) and tags.get(m.group("n"), "nr") in ("nr", "nrfg", "nrt")]
        for m in _COUNTERPARTIES.finditer(sentence):   # 主要客户包括博世、采埃孚等: companies, whatever jieba calls them
            if "、" not in m.group("list"):
                continue
            pos = m.start("list")
            for piece in re.split(r"([、和及与/])", m.group("list")):
                name = piece.strip()
                if piece not in "、和及与/" and 2 <= len(name) <= 20 and not re.search(r"\d|[%％]", name):
                    out.append(_Span(pos + piece.index(name), pos + piece.index(name) + len(name), name, "organization", 3))
                pos += len(piece)
        return out

    def _entities(self, sentence: str, cap_words: set[str], unit: str | None = None,
                  people: Iterable[str] = ()) -> list[_Span]:
        candidates: list[_Span] = []
        candidates += self._value_spans(sentence)
        candidates += self._cell_amounts(sentence, unit)
        candidates += self._form_spans(sentence)
        for name in people:
            candidates += [_Span(m.start(), m.end(), name, "person", 6) for m in re.finditer(re.escape(name), sentence)]
        candidates += self._dictionary_spans(sentence)
        candidates += self._title_spans(sentence)
        if any(_is_cjk(ch) for ch in sentence):
            candidates += self._chinese_spans(sentence)
        if re.search(r"[A-Z]", sentence):
            candidates += self._english_spans(sentence, cap_words)
        for span in candidates:  # "债务人江南恒泰精密制造有限公司" names the company, after its role
            role = ROLE_PREFIX_RE.match(span.name) if span.type in ("organization", "person") else None
            if role and len(span.name) - role.end() >= 2:
                span.start, span.name = span.start + role.end(), span.name[role.end():]
        # longest first, then priority; keep non-overlapping
        candidates.sort(key=lambda s: (-(s.end - s.start), -s.priority, s.start))
        taken = bytearray(len(sentence) + 1)
        chosen: list[_Span] = []
        for span in candidates:
            if span.end <= span.start or any(taken[span.start:span.end]):
                continue
            if not _valid_name(span.name, span.type):
                continue
            for i in range(span.start, span.end):
                taken[i] = 1
            chosen.append(span)
            if len(chosen) >= MAX_ENTITIES_PER_SENTENCE:
                break
        chosen.sort(key=lambda s: s.start)
        self._alias_declarations(sentence, chosen)
        parents = [_Span(-1, -1, s.parent, "organization", 0) for s in chosen
                   if s.parent and _valid_name(s.parent, "organization")]
        return chosen + parents

    @staticmethod
    def _value_spans(sentence: str) -> list[_Span]:
        out = []
        for regex, type_ in ((_AMOUNT_ZH, "amount"), (_AMOUNT_EN, "amount"), (_DATE_ZH, "date"), (_DATE_EN, "date")):
            for m in regex.finditer(sentence):
                name = m.group().strip()
                if name:
                    start = m.start() + (len(m.group()) - len(m.group().lstrip()))
                    out.append(_Span(start, start + len(name), name, type_, 5))
        for m in _YEAR_EN.finditer(sentence):
            out.append(_Span(m.start(1), m.end(1), m.group(1), "date", 5))
        for m in _AMOUNT_CUED.finditer(sentence):
            out.append(_Span(m.start("a"), m.end("a"), m.group("a").strip(), "amount", 5))
        return out

    def _dictionary_spans(self, sentence: str) -> list[_Span]:
        out: list[_Span] = []
        low = sentence.casefold()
        if self._cjk_terms:
            i, n = 0, len(low)
            while i < n:
                lengths = self._cjk_lengths.get(low[i])
                hit = None
                if lengths:
                    for length in lengths:
                        piece = low[i:i + length]
                        if len(piece) == length and piece in self._cjk_terms:
                            hit = (length, self._cjk_terms[piece])
                            break
                if hit:
                    length, (name, type_) = hit
                    if type_:
                        out.append(_Span(i, i + length, sentence[i:i + length], type_, 8))
                    i += length
                else:
                    i += 1
        if self._latin_terms and re.search(r"[A-Za-z]", sentence):
            words = [(m.start(), m.end(), m.group().casefold().rstrip(".,")) for m in re.finditer(r"[^\s,;:()]+", sentence)]
            k = 0
            while k < len(words):
                hit = None
                for size in range(min(self._latin_max_words, len(words) - k), 0, -1):
                    key = " ".join(w[2] for w in words[k:k + size])
                    if key in self._latin_terms:
                        hit = size
                        break
                if hit:
                    start, end = words[k][0], words[k + hit - 1][1]
                    surface = sentence[start:end].rstrip(".,")
                    # acronyms match case-sensitively ("SAFE" the agency, not "safe")
                    if not (surface.isupper() or any(c.isupper() for c in surface) or
                            self._latin_terms[" ".join(w[2] for w in words[k:k + hit])][1] in
                            ("loan_type", "account_type", "product") or hit > 1):
                        k += 1
                        continue
                    out.append(_Span(start, start + len(surface), surface,
                                     self._latin_terms[" ".join(w[2] for w in words[k:k + hit])][1], 8))
                    k += hit
                else:
                    k += 1
        return out

    @staticmethod
    def _title_spans(sentence: str) -> list[_Span]:
        out = []
        for m in _TITLE.finditer(sentence):
            inner = m.group(1).strip()
            type_ = "policy" if inner.endswith(POLICY_WORDS_ZH) or re.search(r"(?:Act|Law|Regulations?|Rules)$", inner) \
                else "entity"
            out.append(_Span(m.start(), m.end(), inner, type_, 9))
        for m in _QUOTED.finditer(sentence):
            inner = m.group(1).strip()
            after, before = sentence[m.end():m.end() + 12], sentence[max(0, m.start() - 8):m.start()]
            if _PRODUCT_NEAR.match(after) or _PRODUCT_BEFORE.search(before):
                if not re.search(r"[，。,；;！？!?]", inner):
                    out.append(_Span(m.start(), m.end(), inner, "product", 9))
        return out

    @staticmethod
    def _alias_declarations(sentence: str, spans: list[_Span]) -> None:
        """华夏银行股份有限公司（以下简称“华夏银行”） / X Co., Ltd. (hereinafter "X"): the short name is an alias of
        the entity just before the parenthesis."""
        for m in _ALIAS_DECL.finditer(sentence):
            alias = (m.group(1) or m.group(2) or "").strip()
            if not alias or len(alias) < 2:
                continue
            before = [s for s in spans if s.end <= m.start() and m.start() - s.end <= 2 and s.type not in VALUE_TYPES]
            if before:
                target = before[-1]
                target.aliases = tuple(dict.fromkeys((*target.aliases, alias)))
                # a later mention by the short name is the same entity
                for s in spans:
                    if s is not target and s.name == alias:
                        s.name, s.type = target.name, target.type

    def _chinese_spans(self, sentence: str) -> list[_Span]:
        j = _Jieba.load()
        words: list[tuple[int, int, str, str]] = []
        pieces: list[tuple[str, str | None]] = []   # (text, forced tag or None)
        pos = 0
        for start, end, forced_tag in self._forced(sentence):
            if start > pos:
                pieces.append((sentence[pos:start], None))
            pieces.append((sentence[start:end], forced_tag))
            pos = end
        if pos < len(sentence):
            pieces.append((sentence[pos:], None))
        pos = 0
        for piece, forced_tag in pieces:
            tokens = [piece] if forced_tag else j.jieba.lcut(piece, HMM=True)
            for word in tokens:
                start, pos = pos, pos + len(word)
                tag = forced_tag or j.tags.get(word)
                if tag is None:
                    if len(word) >= 2 and all(_is_cjk(c) for c in word):
                        tag = _hmm_tag(word)
                        # an unseen word is trusted as a name only when it looks like one
                        if tag in ("nr", "nrfg") and not (word[0] in SURNAMES and len(word) <= 3):
                            tag = "x"
                        elif tag == "ns" and not word.endswith(tuple("省市县区州镇村岛山河湖港湾")):
                            tag = "x"
                        elif tag in ("nt", "nz", "nrt", "j"):
                            tag = "x"
                    elif word.strip() and (word[0].isascii() and word[0].isalnum()):
                        tag = "eng" if word[0].isalpha() else "m"
                    else:
                        tag = "x"
                words.append((start, pos, word, tag))
        out: list[_Span] = []
        n = len(words)
        for k, (start, end, word, tag) in enumerate(words):
            head_type = self._head_type(word)
            if head_type is None and word in _ONE_CHAR_ORG_HEADS and k > 0 and len(words[k - 1][2]) >= 2 \
                    and words[k - 1][3] in ("n", "nt", "ns", "nz", "vn", "j"):
                head_type = "organization"   # 科学技术/厅, 财政/局: jieba leaves the office word alone
            if head_type:
                left = k
                chars = len(word)
                legal_form = word.endswith(LEGAL_FORM_HEADS)
                while left - 1 >= 0 and k - (left - 1) < (8 if legal_form else 6):
                    w, t = words[left - 1][2], words[left - 1][3]
                    # a registered company's name may hold any word: 宁波/均/胜/电子/股份有限公司
                    loose = legal_form and len(w) == 1 and _is_cjk(w) and w not in _PREPOSITION_CHARS \
                        and w not in STOP_LEFT and t in _NAME_PART_TAGS
                    if not (loose or self._chain_word(w, t)) or chars + len(w) > MAX_ZH_NAME:
                        break
                    left -= 1
                    chars += len(w)
                if left < k:
                    s = words[left][0]
                    name = sentence[s:end]
                    if not self._generic_chain(words[left:k + 1], head_type):
                        parent = None
                        if head_type == "organization" and word.endswith(("分行", "支行", "分公司")):
                            parent = self._branch_parent(sentence, words, left, k)
                        out.append(_Span(s, end, name, head_type, 4, parent=parent))
            if tag in ("nr", "nrfg") and len(word) >= 2:
                # jieba's dictionary tags some phrases nr (同比增加, 满负荷): a Chinese name starts with a surname
                if not _is_cjk(word[0]) or word[0] in SURNAMES or word.startswith(COMPOUND_SURNAMES):
                    out.append(_Span(start, end, word, "person", 2))
                elif all(c in _TRANSLITERATION for c in word):   # 特朗普, 曼德拉, 阿富汗: a foreign name, kept untyped
                    out.append(_Span(start, end, word, "entity", 1))
            elif tag == "nrt" and len(word) >= 2:   # jieba's transliterated names: people, firms and cities alike
                out.append(_Span(start, end, word, "entity", 1))
            elif tag == "ns" and len(word) >= 2:
                out.append(_Span(start, end, word, "location", 2))
            elif tag == "nt" and len(word) >= 2:
                out.append(_Span(start, end, word, "organization", 3))
            elif tag == "nz" and len(word) >= 2:
                out.append(_Span(start, end, word, "entity", 1))
            elif tag == "j" and len(word) >= 2 and word.endswith(("会", "局", "行", "委", "部", "院", "所", "办")):
                out.append(_Span(start, end, word, "organization", 2))
        # title + name: 董事长张三, 首相岸田文雄 (HMM often splits rare names: 陈/四清)
        for k in range(n - 1):
            if not words[k][2].endswith(PERSON_TITLES):
                continue
            w1, t1 = words[k + 1][2], words[k + 1][3]
            if len(w1) == 1 and w1 in SURNAMES and k + 2 < n and 1 <= len(words[k + 2][2]) <= 2 \
                    and all(_is_cjk(c) for c in words[k + 2][2]) and words[k + 2][3] not in ("p", "u", "uj", "c", "ul", "v"):
                out.append(_Span(words[k + 1][0], words[k + 2][1], w1 + words[k + 2][2], "person", 3))
            elif 2 <= len(w1) <= 4 and all(_is_cjk(c) for c in w1) and (t1 in ("nr", "nrfg", "x", "nrt") or
                                                                       (w1[0] in SURNAMES and t1 not in ("v", "n", "t", "d", "p"))):
                out.append(_Span(words[k + 1][0], words[k + 1][1], w1, "person", 3))
        # a list of names: 高可、杨晓明 (one of them known as a person)
        persons = {(sp.start, sp.end) for sp in out if sp.type == "person"}
        for m in re.finditer(rf"([{_CJK}]{{2,3}})、", sentence):
            name = m.group(1)
            if name[0] in "由是和与及等为" and len(name) == 3:
                name = name[1:]
            if name[0] in SURNAMES and any(st == m.end() for st, _ in persons):
                out.append(_Span(m.end(1) - len(name), m.end(1), name, "person", 3))
        return out

    def _forced(self, sentence: str) -> list[tuple[int, int, str]]:
        """Dictionary names and domain words found in the sentence, kept whole through segmentation."""
        out = []
        low = sentence.casefold()
        i, n = 0, len(low)
        while i < n:
            lengths = self._cjk_lengths.get(low[i])
            if lengths:
                for length in lengths:
                    piece = low[i:i + length]
                    if len(piece) == length and piece in self._cjk_terms:
                        type_ = self._cjk_terms[piece][1]
                        out.append((i, i + length, FORCE_TAGS.get(type_, "nz") if type_ else "n"))
                        i += length
                        break
                else:
                    i += 1
            else:
                i += 1
        return out

    @staticmethod
    def _head_type(word: str) -> str | None:
        if word in DESCRIPTIVE_HEADS or word.endswith(("工厂", "加工厂")):
            return None   # a factory (上海工厂) is a site, not an organisation
        if word.endswith(("部", "局", "署", "厅")):
            return "organization" if len(word) >= 3 and not word.endswith(NOT_ORG_BU) else None
        if word.endswith(EVENT_SUFFIXES):
            return "entity"
        if word.endswith(ORG_SUFFIXES):
            return "organization"
        if word.endswith(LOAN_SUFFIXES):
            return "loan_type"
        if word.endswith(ACCOUNT_SUFFIXES):
            return "account_type"
        if word.endswith(PRODUCT_SUFFIXES):
            return "product"
        if word.endswith(STRONG_POLICY_SUFFIXES):
            return "policy"
        return None

    @staticmethod
    def _chain_word(word: str, tag: str) -> bool:
        if word in STOP_LEFT or not word.strip():
            return False
        if len(word) >= 2 and all(_is_cjk(c) for c in word) and word not in _Jieba.load().tags:
            # a word jieba found by HMM: usually part of a name (招银, 腾飞), unless a preposition stuck to it (恒泰向)
            return word[0] not in _PREPOSITION_CHARS and word[-1] not in _PREPOSITION_CHARS
        if not all(_is_cjk(c) or c.isalnum() for c in word):
            return False
        if word in BIZ_WORDS:
            return True
        return tag in ("n", "nr", "nrt", "nrfg", "ns", "nt", "nz", "j", "vn", "an", "b", "eng", "l", "i", "x", "nl", "ng")

    @staticmethod
    def _generic_chain(words: list[tuple[int, int, str, str]], head_type: str) -> bool:
        """True when every word of the chain is a generic word (商业银行, 个人贷款 are categories, not names);
        loan, account and product categories are what their types name, so they pass."""
        if len(words) == 2 and words[-2][2] in GENERIC_MODIFIERS:
            return True   # 香港上市公司, 全资子公司, 该银行: a description, not a name
        if head_type == "policy":
            return any(t in ("nt", "nr", "nrfg", "j", "ns") for _, _, _, t in words)
        if head_type in ("loan_type", "account_type", "product", "entity"):
            return False
        if len(words) >= 3:
            return False
        for _, _, w, t in words:
            if t in ("nr", "nrt", "nrfg", "ns", "nt", "nz", "j", "eng", "x", "l", "i") or (w not in BIZ_WORDS and w not in GENERIC_NAMES):
                return False
        return True

    @staticmethod
    def _branch_parent(sentence: str, words, left: int, k: int) -> str | None:
        for m in range(k - 1, left - 1, -1):
            if words[m][2].endswith(("银行", "公司", "集团")):
                name = sentence[words[left][0]:words[m][1]]
                return name if len(name) >= 4 else None
        return None

    def _english_spans(self, sentence: str, cap_words: set[str]) -> list[_Span]:
        tokens = [(m.start(), m.end(), m.group()) for m in _EN_TOKEN.finditer(sentence)]
        out: list[_Span] = []
        i, n = 0, len(tokens)
        while i < n:
            start, end, tok = tokens[i]
            if not self._cap(tok):
                i += 1
                continue
            # a leading year: "the 1999 Formula One World Championship"
            first = i
            if i > 0 and re.fullmatch(r"1[5-9]\d\d|20\d\d", tokens[i - 1][2]) and tokens[i - 1][1] == start - 1:
                first = i - 1
            words = [i]
            k = i + 1
            while k < n and len(words) < MAX_EN_WORDS:
                t = tokens[k][2]
                gap = sentence[tokens[k - 1][1]:tokens[k][0]]
                if gap not in (" ", ""):
                    break
                low = t.casefold()
                if self._cap(t) or (re.fullmatch(r"\d+[A-Za-z]?", t) and len(t) <= 5):
                    words.append(k)
                    k += 1
                    continue
                if low in EN_CONNECTORS or (low in ("on", "for") and tokens[words[-1]][2].casefold() in EN_ORG_OF) \
                        or low in ("and", "&"):
                    # connector then a capitalised word; "the" may follow "of"
                    k2 = k + 1
                    if k2 < n and tokens[k2][2] in ("the", "The") and low in ("of", "on", "for"):
                        k2 += 1
                    if k2 < n and self._cap(tokens[k2][2]) and sentence[tokens[k2 - 1][1]:tokens[k2][0]] == " ":
                        if low in ("and", "&"):
                            # only inside an organisation name: ... and Shanghai Banking Corporation
                            m = k2
                            while m < n and self._cap(tokens[m][2]) and m - k2 < 5:
                                m += 1
                            # (Hongkong and Shanghai Banking Corporation; not "PSBC and Bank of China")
                            left_word = tokens[words[-1]][2]
                            if tokens[m - 1][2].casefold().rstrip(".") not in EN_ORG_HEADS or len(words) > 1 \
                                    or left_word.isupper() or left_word.casefold() in EN_ORG_HEADS:
                                break
                        words.extend(range(k, k2 + 1))
                        k = k2 + 1
                        continue
                break
            s = tokens[first][0]
            e = tokens[words[-1]][1]
            name_tokens = [tokens[w][2] for w in range(first, words[-1] + 1)]
            # drop leading function words / titles
            title = None
            while name_tokens and (name_tokens[0].casefold().rstrip(".") in EN_TITLES or
                                   name_tokens[0].casefold() in EN_CONNECTORS | {"the", "and", "on", "for"} or
                                   name_tokens[0].casefold() in EN_STOP and not name_tokens[0].isupper()):
                if name_tokens[0].casefold().rstrip(".") in EN_TITLES:
                    title = name_tokens[0]
                s = sentence.index(name_tokens[1], s + len(name_tokens[0])) if len(name_tokens) > 1 else e
                name_tokens = name_tokens[1:]
            while name_tokens and name_tokens[-1].casefold() in EN_CONNECTORS | {"the", "and", "&", "on", "for"}:
                name_tokens = name_tokens[:-1]
                e = s + len(" ".join(name_tokens))
            i = k
            if not name_tokens:
                continue
            name = sentence[s:e]
            m = _COMPANY_FORM.match(sentence[e:])
            if m:
                e += len(m.group().rstrip("."))
                name = sentence[s:e]
            name = name.rstrip(".,'’-").strip()
            e = s + len(name)
            sentence_start = not sentence[:s].strip() or sentence[:s].rstrip()[-1:] in "\"“‘'(（:：-—"
            if len(name_tokens) == 1:
                w = name_tokens[0]
                low = w.casefold()
                if low in DEMONYMS or low in WEEKDAYS or low in MONTHS or low.rstrip("s") in EN_ORG_HEADS:
                    continue
                if sentence_start and not (w.isupper() and len(w) >= 2) and low not in GAZETTEER_EN \
                        and w not in cap_words and not _DEFINITION.match(sentence[e:]):
                    continue
            type_ = self._english_type(name, name_tokens, sentence[:s], sentence[e:], title)
            cover = e
            if type_ == "product":   # "the Sapphire Reserve credit card": the category word belongs to the mention
                after = EN_PRODUCT_AFTER.match(sentence[e:])
                cover = e + (after.end() if after else 0)
            out.append(_Span(s, cover, name, type_, 3))
        return out

    @staticmethod
    def _cap(token: str) -> bool:
        return bool(token) and token[0].isupper() and token[0].isalpha() and not token.casefold() in MONTHS[:12] \
            or bool(_ROMAN.match(token))

    @staticmethod
    def _english_type(name: str, tokens: list[str], before: str, after: str, title: str | None) -> str:
        words = [t.casefold().rstrip(".,") for t in name.split()]
        last = words[-1]
        if title and title.casefold().rstrip(".") in PERSONAL_TITLES:
            return "person"
        if last in EN_POLICY_HEADS or re.fullmatch(r"basel (?:i|ii|iii|iv)", " ".join(words)):
            return "policy"
        if last in EN_PRODUCT_HEADS or EN_PRODUCT_AFTER.match(after):
            return "product"
        if last in EN_ORG_HEADS or any(w in ("bank", "university", "institute", "committee", "commission", "council",
                                             "ministry", "association", "academy", "agency", "reserve")
                                       for w in words) or re.search(r",?\s*(?:Co\.?,?\s*Ltd|Ltd|Inc|plc|LLC|Corp)\.?$", name):
            return "organization"
        if last in EN_LOC_HEADS or " ".join(words) in GAZETTEER_EN or (len(words) == 1 and words[0] in GAZETTEER_EN):
            return "location"
        if re.search(r"\b(?:located|based|headquartered|born|died|situated|lives|lived|moved)\s+in\s+(?:the\s+)?$", before):
            return "location"
        if last in EN_PRODUCT_HEADS or EN_PRODUCT_AFTER.match(after):
            return "product"
        if 2 <= len(tokens) <= 4 and tokens[0].casefold() in GIVEN_NAMES and all(t[:1].isupper() for t in tokens) \
                and not any(t.isupper() and len(t) > 2 and not _ROMAN.match(t) for t in tokens):
            return "person"
        if 2 <= len(tokens) <= 4 and re.fullmatch(r"[A-Z][a-z]+ (?:[A-Z]\. )+[A-Z][a-z]+", name):
            return "person"
        return "entity"

    @staticmethod
    def _capitalised_elsewhere(text: str) -> set[str]:
        """Words written capitalised after the start of a sentence: a sentence-initial one of them is a name."""
        return {m.group(1) for m in re.finditer(r"(?<=[a-z,;:] )([A-Z][a-zà-ÿ]+)", text)}

    def _topic(self, heading_path: Sequence[str], cap_words: set[str]) -> _Span | None:
        """The entity a chunk is about: its last heading when that heading is one entity (a Wikipedia
        title), else the one organisation or person its document title names ("授信调查报告：北京华远置业有限公司"),
        so that a section such as "三、担保安排" still links its guarantor to the borrower."""
        if not heading_path:
            return None
        last = self._heading_spans(heading_path[-1], cap_words)
        if len(last) == 1 and len(last[0].name) >= 0.8 * len(re.sub(r"\s*\([^)]*\)\s*$", "",
                                                                       _clean(heading_path[-1]).strip())):
            return last[0]
        subjects = [s for s in self._heading_spans(heading_path[0], cap_words) if s.type in _TOPIC_TYPES]
        return subjects[0] if len(subjects) == 1 else None

    def _heading_spans(self, heading: object, cap_words: set[str]) -> list[_Span]:
        if not isinstance(heading, str):
            return []
        heading = _clean(heading).strip()
        if not heading or len(heading) > 80:
            return []
        return [s for s in self._entities(heading, cap_words | set(heading.split())) if s.type not in VALUE_TYPES]

    # --- relations --------------------------------------------------------------------------------
    def _relations(self, sentence: str, spans: list[_Span]) -> list[RelationInput]:
        out: list[RelationInput] = []
        placed = [s for s in spans if s.start >= 0]
        for s in placed:   # (branch)-[branch_of]->(bank)
            if s.parent and s.parent != s.name and _valid_name(s.parent, "organization") \
                    and any(p.name == s.parent and p.start < 0 for p in spans):
                out.append(RelationInput(s.name, "branch_of", s.parent))
        if not placed:
            return out
        masked, index = [], {}
        pos = 0
        for i, span in enumerate(placed):
            masked.append(sentence[pos:span.start])
            ch = _placeholder(span.type, i)
            masked.append(ch)
            index[ch] = span
            pos = span.end
        masked.append(sentence[pos:])
        mtext = "".join(masked)
        typed_pairs: set[frozenset] = set()
        has_cjk = any(_is_cjk(c) for c in mtext)
        has_latin = bool(re.search(r"[A-Za-z]{2}", mtext))
        for pattern, regex in _COMPILED:
            if (pattern.lang == "zh" and not has_cjk) or (pattern.lang == "en" and not has_latin):
                continue
            for m in regex.finditer(mtext):
                subjects = [index[c] for c in m.group("S") if c in index]
                objects = [index[c] for c in m.group("O") if c in index]
                if pattern.last_object:
                    objects = objects[-1:]
                for s in subjects:
                    for o in objects:
                        if s is o or s.name == o.name or s.type in VALUE_TYPES or o.type in VALUE_TYPES:
                            continue
                        if pattern.subject_types and s.type not in pattern.subject_types:
                            continue
                        if pattern.object_types and o.type not in pattern.object_types:
                            continue
                        if any(slot == ORG and span.type == "entity" and not _valid_name(span.name, "organization")
                               for slot, span in ((pattern.subject_types, s), (pattern.object_types, o))):
                            continue  # a document title (《固定资产借款合同》) cannot fill a company's slot
                        out.append(RelationInput(s.name, pattern.type, o.name))
                        typed_pairs.add(frozenset((s.name, o.name)))
                        # a slot that only organisations fill names an organisation (Wells Fargo, Ferrari)
                        if pattern.subject_types == ORG and s.type == "entity":
                            s.type = "organization"
                        if pattern.object_types == ORG and o.type == "entity":
                            o.type = "organization"
        # co-occurrence: nearest pairs first, bounded
        if self.max_pairs:
            things = [s for s in placed if s.type not in VALUE_TYPES]
            pairs = []
            for a in range(len(things)):
                for b in range(a + 1, min(len(things), a + 1 + self.max_pairs)):
                    x, y = things[a], things[b]
                    if x.name != y.name and frozenset((x.name, y.name)) not in typed_pairs:
                        pairs.append((y.start - x.end, x.start, x, y))
            pairs.sort(key=lambda p: (p[0], p[1]))
            seen: set[frozenset] = set()
            for _, _, x, y in pairs:
                key = frozenset((x.name, y.name))
                if key in seen:
                    continue
                seen.add(key)
                out.append(RelationInput(x.name, COOCCURRENCE, y.name))
                if len(seen) >= self.max_pairs:
                    break
        return out


SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖"
    "贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷"
    "詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司"
    "卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻"
    "苑迟邝岸")

_BUILTIN = {
    "loan_type": ["个人住房贷款", "住房按揭贷款", "公积金贷款", "组合贷款", "流动资金贷款", "固定资产贷款", "项目贷款",
                  "并购贷款", "银团贷款", "经营性物业贷款", "个人经营贷款", "个人消费贷款", "消费贷款", "信用贷款",
                  "抵押贷款", "质押贷款", "保证贷款", "汽车贷款", "助学贷款", "国家助学贷款", "创业担保贷款",
                  "普惠小微贷款", "不良贷款", "房地产开发贷款", "经营贷", "消费贷", "房贷", "车贷",
                  "mortgage", "mortgage loan", "home loan", "personal loan", "business loan", "working capital loan",
                  "term loan", "syndicated loan", "consumer loan", "auto loan", "car loan", "student loan",
                  "secured loan", "unsecured loan", "non-performing loan", "bridge loan"],
    "account_type": ["活期存款", "定期存款", "活期储蓄账户", "个人活期储蓄账户", "定期存款账户", "储蓄账户", "结算账户",
                     "个人结算账户", "基本存款账户", "一般存款账户", "专用存款账户", "临时存款账户", "保证金账户",
                     "Ⅰ类户", "Ⅱ类户", "Ⅲ类户", "savings account", "current account", "checking account",
                     "deposit account", "fixed deposit account", "fixed deposit", "time deposit", "escrow account",
                     "money market account"],
    "product": ["信用卡", "借记卡", "大额存单", "理财产品", "credit card", "debit card", "certificate of deposit",
                # credit facilities other than loans (授信品种): trade finance and guarantees a bank issues
                "银行承兑汇票", "商业承兑汇票", "国内信用证", "进口信用证", "跟单信用证", "信用证", "融资性保函", "非融资性保函",
                "保函", "保理", "国内保理", "票据贴现", "福费廷", "进口押汇", "出口押汇", "打包贷款"],
}
BUILTIN_TERMS: dict[str, str] = {term: type_ for type_, terms in _BUILTIN.items() for term in terms}


def money_unit_of(text: str, heading_path: Sequence[str] = ()) -> str | None:
    """The money unit a "单位：万元" line gives a text or its headings, else None (the graph builder carries it to the
    later chunks of the same section)."""
    return RuleExtractor._unit_of(text or "", heading_path)
