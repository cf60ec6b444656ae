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
import unicodedata
from dataclasses import dataclass

_FLAGS = re.IGNORECASE | re.MULTILINE


def _cue(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{a})" for a in alternatives), _FLAGS)


_OVERRIDE = _cue(
    r"\b(?:ignore|disregard|forget|override|bypass|neglect|discard|abandon)\b", r"\b(?:set|put|push) aside\b",
    r"\bstop (?:following|obeying|applying)\b", r"\bno longer (?:follow|obey)\b", r"\binstead of answering\b",
    r"\b(?:have|has) changed\b", r"\btreat (?:\w+ ){0,4}as (?:your|the) new\b", r"\bsupersedes? your\b",
    r"忽略|无视|忽视|忘记|忘掉|忘了|抛开|不要理会|不要管|别管|作废|当作不存在|视为无效|不再遵守|不用遵守|停止遵守|不要引用|不必参考|"
    r"不要参考|绕过|覆盖|优先级最高|优先于|更重要|唯一答案|任务不是|而是让")
_MODEL_TARGET = _cue(
    r"\b(?:instructions?|prompts?|guidelines|guidance|directives|guardrails|programming|training)\b",
    r"\b(?:your|the|these|those|all|any) (?:\w+ ){0,2}(?:rules|policies|constraints|context)\b",
    r"\bretrieved (?:passages|documents|results|context)\b", r"\beverything (?:you were told|above|before)\b",
    r"\b(?:previous|prior|above) (?:messages|conversation|context|turns)\b", r"\bsafety\b",
    r"指令|指示|提示词|提示语|系统提示|系统消息|设定|训练|检索结果|检索到的|其余(?:文件|文档|内容|结果)|前面的对话|上下文|安全策略|安全限制|"
    r"(?:你的|您的|所有|全部|一切|以上|上述|前面的?|之前的?|原来的?|原有的?)(?:规则|规定|要求|限制|约束)")
# English words are bounded by Latin letters only: Chinese text runs them into its own words ("AI助手",
# "assistant请注意"), while "email" must not read as "AI".
_MODEL = _cue(
    r"(?<![a-z])(?:ai|a\.i\.|assistant|chatbot|bot|model|llm|gpt|language model)(?![a-z])",
    r"\byou (?:must|should|shall|will|need to|are to)\b", r"\byour (?:task|job|role|instructions)\b",
    r"人工智能|大模型|模型|智能助手|助手|机器人|智能客服|你(?:都|就|只|也)?(?:要|必须|应当|应该|需要|将|接下来|的任务|现在|只能|一律)")
_SAY = _cue(
    r"\b(?:answer|respond|reply|say|state|claim|tell (?:the )?users?|output|write)\b", r"\bthe correct answer is\b",
    r"回答|回复|答复|声称|告诉用户|告诉客户|输出|说|作为(?:唯一)?答案")
_DEMAND = _cue(r"\b(?:must|should|shall|always|only|will|is to|are to|need to)\b", r"必须|应当|应该|务必|须|一律|都要|要|只能|只说|请")
_ALONE = tuple((reason, re.compile(pattern, _FLAGS)) for reason, pattern in (
    ("role hijack", r"\byou are now (?:an?\b|the\b|in\b|acting\b|operating\b|dan\b|free\b|unrestricted\b|jailbroken\b|"
                    r"no longer\b)|\bfrom now on,? you(?:'re| are| will| must)\b|\byou now work for\b|\bpretend (?:to be|you are)\b|"
                    r"\bact as (?:an?|the) (?:unrestricted|different|new|evil|jailbroken)|\broleplay as\b|"
                    r"\byou (?:have|now have) no (?:restrictions|rules|limits)\b"),
    ("role hijack", r"你现在是|从现在(?:开始|起)[，,]?\s*你(?:是|将|要|必须)|你的新身份|扮演一个(?:不受限|没有限制)|假装你是|不受任何(?:限制|约束)"),
    ("jailbreak", r"\b(?:jailbreak|jail-break|dan mode|developer mode|do anything now|god mode|maintenance mode)\b|越狱|开发者模式"),
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
    ("tells the model to collect credentials",
     r"\bask (?:the user|users|them|customers?) (?:for|to (?:send|enter|provide)) (?:their |your )?(?:card number|cvv|pin|"
     r"password|otp|one-time|verification code)|(?:让|要求|请|引导)(?:用户|客户)(?:提供|输入|发送|告知)[^。！？\n]{0,4}(?:验证码|密码|"
     r"卡号|CVV|身份证)"),
    ("addressed to the AI", r"(?:致|给|提醒|告诉)(?:正在阅读(?:本文|此文)?的)?(?:AI|人工智能|模型|大模型|助手)|仅供AI|给AI的|"
                            r"\bnote to (?:the )?(?:ai|assistant|model)\b|\b(?:hi|hey|dear|attention) (?:ai|assistant|model|chatbot)\b"),
))
_SENTENCES = re.compile(r"[^。！？!?\n;；]+[。！？!?\n;；]?")


@dataclass(frozen=True, slots=True)
class InjectionFinding:
    reason: str
    excerpt: str


def detect_injection(text: str) -> InjectionFinding | None:
    """The first instruction aimed at a model in `text`, or None. Full-width letters are folded (NFKC) and
    zero-width characters dropped first, so "ｉｇｎｏｒｅ" and "ign\\u200bore" read as "ignore"."""
    normal = re.sub(r"[\u200b-\u200f\u2060\ufeff]", "", unicodedata.normalize("NFKC", text))
    for reason, pattern in _ALONE:
        if match := pattern.search(normal):
            return InjectionFinding(reason, match.group(0)[:120])
    for sentence in _SENTENCES.findall(normal):
        reason = _combined(sentence)
        if reason is not None:
            return InjectionFinding(reason, sentence.strip()[:120])
    return None


def _combined(sentence: str) -> str | None:
    override = _OVERRIDE.search(sentence) is not None
    if override and _MODEL_TARGET.search(sentence):
        return "overrides the model's instructions"
    says = _SAY.search(sentence) is not None
    if says and _MODEL.search(sentence) and _DEMAND.search(sentence):
        return "dictates what the model says"
    if override and says:
        return "dictates the answer over the evidence"
    return None
