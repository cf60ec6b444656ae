"""Who a text addresses and what it asks them to do: the structural reading of the injection detector.

The n-gram classifier and the embedding stage learn the phrasings of the attacks they were fitted on, and a
family of attack they never saw is caught about half the time (docs/benchmarks.md, "Held-out E"). This reading
learns no phrasing. Each clause of the text (a sentence, a line, a hidden span; also each clause joined with the
one before it, so "Note to the AI:" on one line addresses the next) is read for a few dozen *signals* of four
kinds, written once as small word lists in Chinese and English:

- **addressee**: an AI, an assistant, a model, a summariser, "whoever processes this", a vocative to one
  ("Note to the bot:", "致AI助手"), or the second person; a machine named as a label ("问答机器人：", a table cell's
  "Assistant:") or at the time it reads this text ("…读取到本条时", "when processing this record") is addressed when
  the window asks something of it;
- **request**: override or disregard other instructions, dictate an answer, a figure or a verdict, hide or omit,
  reveal the prompt, the configuration or other users' data, send data to an address, change role, call a tool or
  move money, decode and obey;
- **framing**: fake system or administrator notices, chat-turn markup and special tokens, hidden spans and
  comments, meta-references to "your instructions", "the answer you give", "this conversation", claims of
  priority, of every future question, of secrecy; reframing ("New task:", "以上是测试数据。真正的任务是") and a check
  to be skipped ("不用走流程", "without the usual approval");
- **mention, not address**: a machine as the subject of a description or a passive ("the assistant cannot…",
  "模型输出须经人工复核", AI news), reported speech ("据报道", "according to"); against a machine given a duty in the
  third person ("the chatbot must answer…", "助手须告诉用户…");
- **counter-signals** of ordinary bank text: customers, staff or branches as the addressee, document versions
  ("以本通知为准"), a user's own question or answer format, discussion of attacks in teaching material,
  command-line flags.

A window's features are these signals and their pairs *within the window* (an addressee with each request, a request
with framing, with insistence or with a counter-signal). A logistic regression of seventy-five weights
(guardrails/data/injection_structure.json, fitted by `python -m zhiku.guardrails.structure_training` by
multiple-instance learning, with signs: a request or an addressed request can only raise the
probability, a counter-signal only lower it) turns them into a probability, and a text is as suspicious as its most suspicious
window; with so few inputs it can weigh roles but cannot memorise sentences. Each signal is one regular-expression search over the
whole text (a few more at each clause start).
"""
from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from zhiku.guardrails.feature_logistic import FeatureLogistic

WEIGHTS = Path(__file__).resolve().parent / "data" / "injection_structure.json"

_F = re.IGNORECASE


def _any(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{a})" for a in alternatives), _F)


# English words are bounded by Latin letters only: Chinese runs into them ("AI助手"), "email" is not "AI".
_L, _R = r"(?<![a-z])", r"(?![a-z])"

# -- addressee ---------------------------------------------------------------------------------------------------
_AI = _any(
    _L + r"(?:ai|a\.i\.|assistants?|chat ?bots?|bots?|llms?|gpts?|copilots?|language models?|ai models?|"
    r"summari[sz]ers?|summary (?:tool|engine|robot|bot)s?|classifiers?|graders?|auto-?reviewers?|agents? ai|ai agents?|"
    r"robots?|virtual assistants?|answer engines?|note-?takers?|the model|this model|any model|screening model|reviewer model)" + _R,
    _L + r"(?:automated|automatic) (?:system|program|agent|reader|reviewer|tool|process|pipeline|summary|summari[sz]er)s?" + _R,
    _L + r"(?:whoever|whatever|anyone|anything|any (?:system|program|tool|software)) (?:(?:is )?(?:reads?|reading|"
    r"process(?:es|ing)?|pars(?:es|ing)|summari[sz](?:es|ing)|ingest(?:s|ing)?|index(?:es|ing)?))" + _R,
    r"人工智能|大模型|语言模型|模型|智能助手|助手|机器人|智能体|智能客服|数字员工|摘要程序|自动摘要|摘要系统|摘要工具|"
    r"审核模型|评分模型|分类器|分类模型|AI记录员|记录员|自动化?程序|读取本|读到(?:这|本|此)|正在(?:阅读|处理|读取)")
_VOCATIVE = _any(
    r"(?:[\s(（\[【<\-—>:*#\"“]|\b)(?:note|message|instructions?|reminder|memo|attention|p\.?s\.?|hint)\s*(?:to|for)\s+"
    r"(?:the |any |all |every )?(?:ai|assistants?|bots?|models?|llms?|chatbots?|summari[sz]ers?|automated|agents?|"
    r"classifiers?|graders?|system|whoever|machines?)" + _R,
    _L + r"(?:dear|hey|hi|hello|ok|okay|attention|yo)\s*,?\s+(?:ai|assistant|bot|model|chatbot|llm|gpt|summari[sz]er|"
    r"copilot|agent|grader|classifier|machine|robot)" + _R,
    r"@(?:ai|assistant|bot|model|chatbot|llm|gpt|agent|copilot)" + _R,
    _L + r"if you(?:'re| are) (?:an? |the )?(?:ai|assistant|bot|model|llm|language model|automated|machine|program)",
    _L + r"(?:to|for) (?:the |any |all |every )?(?:ai|assistant|model|bot|llm|system|program|tool|agent)s? "
    r"(?:that |which |who )?(?:is |are )?(?:reads?|reading|process(?:es|ing)?|summari[sz](?:es|ing)|handl(?:es|ing))" + _R,
    # (致 of 导致/以致/一致 is "to cause", not "to")
    r"(?:(?<![导以所一极招景细大])致(?!使)|给|提醒|告诉|通知)[^。：:\n]{0,8}(?:AI|模型|机器人|助手|智能体|摘要|程序|系统)[^。：:\n]{0,4}"
    r"(?:[:：,，)）】]|的话)",
    # a comma after the name speaks to it only in Chinese ("AI，请…"); "such as AI, in our offerings" is a list
    r"[\s(（\[【](?:AI|助手|模型|机器人|智能体|大模型)\s*(?:[:：]|[，,](?=\s*[\u4e00-\u9fff]))",
    r"@(?:AI|助手|模型|机器人|小智|智能体)",
    r"(?:如果|如|若|假如|倘若)(?:你|您)是[^。\n，,]{0,8}(?:AI|人工智能|模型|机器人|助手|程序|智能体)|(?:读到|看到|处理)(?:这里|这段|本段|本文|此处|这份)[^。\n]{0,6}的",
    r"仅供(?:AI|模型|机器)|机器可见|给(?:AI|模型|机器人)的")
# A machine named where a cell, a bracket or a line starts, before a colon or "请" ("问答机器人：", "| Note | Assistant:
# tell customers…", "〔AI审核助手：…", "智能助手请…"; the head noun is a machine's, the words before it say which one),
# or spoken of at the time it processes this very text ("知识库问答系统读取到本条时", "系统自动摘要时", "when summarising
# this page"). A product page labels its chatbot the same way ("智能客服：7×24小时在线"), so this names an addressee only
# when the window asks something (window_features), and weighs nothing on its own.
_NAMED_MACHINE = _any(
    r"(?:^|[\s|>\]】〕)）(（\[【〔「“\"：:，,。;；])[\u4e00-\u9fffA-Za-z]{0,8}?(?:机器人|助手|智能体|大模型|语言模型|审核模型|"
    r"问答系统|摘要系统|客服系统|审核系统|智能客服|(?<![a-z])AI)\s*(?:[:：]|[,，]?\s*请)",
    r"(?:^|[|>\]】)(（\[【])\s*(?:the |our )?(?:[a-z]+ )?(?:ai|assistant|bot|chatbot|llm|gpt|copilot|summari[sz]er)s?\s*[:：]",
    r"(?:读取|读|看|处理|解析|检索|索引|引用)(?:到)?(?:本条|本段|这段|此段|本文|这里|此处|本页|本文件|这份文件|该文件|这条)(?:内容)?时",
    r"(?:AI|系统|模型|机器人|助手|程序|智能体)(?:在)?(?:自动)?(?:摘要|总结|汇总|处理|读取|解析|生成(?:回答|答案|摘要))(?:本文|本文件|此文|时)",
    _L + r"when (?:you )?(?:summari[sz]ing|processing|reading|parsing|indexing|ingesting) (?:this|the present) "
    r"(?:document|page|file|note|text|record|report|table|e-?mail)" + _R)
_YOU = _any(_L + r"(?:you|your|yourself|yours)" + _R, r"你|您")
_HUMAN = _any(
    _L + r"(?:customers?|clients?|cardholders?|account ?holders?|applicants?|borrowers?|staff|employees?|tellers?|"
    r"colleagues|branch(?:es)?|branch managers?|relationship managers?|officers?|managers?|approvers?|auditors?|"
    r"reviewers|trainees?|interns?|new hires|agents at the|call-?centre agents?|operators?|departments?|teams?|"
    r"readers of this (?:notice|letter|form)|recipients?|depositors?|investors?|guarantors?|payees?|members?|"
    r"users of (?:the|our) (?:app|website|online banking)|the bank|we|our)" + _R,
    r"客户|储户|持卡人|申请人|借款人|担保人|员工|柜员|行员|同事|各(?:支行|分行|网点|部门|单位)|支行|分行|网点|营业部|部门|"
    r"客户经理|经办人|审批人|审计人员|值班经理|新员工|实习生|坐席|运营部|本行|我行|各位|全体|投资者|受益人|收款人|会员")

# Mentioning a machine is not addressing it. A machine named as the subject of a description (what it can do, what
# it is, what was done to it: "the assistant cannot…", "AI tools must not be given…", "模型输出须经人工复核", "人工智能大会")
# is talked about; a machine given a duty in the third person ("the assistant must answer…", "助手须告诉用户…") is
# told what to do, as a document's hidden note does. Reported speech ("he said", "据报道") narrates what someone asked.
_AI_EN = (r"(?:ai|a\.i\.|assistants?|chat ?bots?|bots?|llms?|gpts?|copilots?|language models?|ai models?|models?|"
          r"summari[sz]ers?|classifiers?|graders?|agents?|robots?|virtual assistants?|ai tools?|ai systems?)")
_AI_ZH = r"(?:人工智能|大模型|语言模型|模型|智能助手|助手|机器人|智能体|智能客服|摘要程序|AI|分类器|评分模型|审核模型)"
_AI_MODAL = _any(
    _L + _AI_EN + r"(?:\s+\w+){0,2}?\s+(?:must|should|shall|is to|are to|needs? to|has to|have to|will now|"
    r"is (?:required|instructed|expected|told) to|may only|can only)(?!\s+(?:not\s+|never\s+)?be" + _R + r")" + _R,
    _AI_ZH + r"[^。\n，,：:]{0,4}(?:必须|须|应当|应该|务必|一律|只能|只许|需要|要|请)(?!经|由|接受|通过|在人工|人工|被)")
_AI_DESCRIBED = _any(
    _L + _AI_EN + r"(?:'s)?\s+(?:\w+\s+)?(?:can(?:not|'t)?|could(?:n't)?|is|are|was|were|has|have|had|does|doesn't|do|"
    r"did|didn't|would|may|might|answers|helps|uses|generates|provides|supports|handles|routes|assigns|reads|cites|"
    r"learns|achieved|reached|launched|performed|outperformed|scored|won|makes|made|became|remains|seems|appears|"
    r"(?:(?:must|should|shall|will|may|can)(?:\s+not|\s+never)?\s+be))" + _R,
    _L + _AI_EN + r"[- ](?:powered|based|driven|generated|enabled|assisted|industry|conference|summit|startups?|company|"
    r"companies|chips?|technology|technologies|market|sector|race|boom|act|regulation|research|lab|labs|firms?|stocks?|"
    r"adoption|governance|ethics|safety research|outputs?|risk|risks|use|usage|tools|systems|products|features?)" + _R,
    _L + r"(?:use|deployment|adoption|risks?|governance|regulation|development|users?|makers?|vendors?|outputs?|"
    r"capabilities) of (?:the |an? )?(?:generative )?" + _AI_EN + _R,
    _AI_ZH + r"(?:无法|不能|不可以|不会|可以|能够|能|会|将会|已|已经|正在|仅|仅用于|仅供|支持|提供|帮助|生成的|用于|上线|发布|是|为|"
    r"属于|由|被|的(?!话)|输出(?:须|应|的|内容)|回答的|技术|产业|行业|大会|公司|企业|领域|应用|发展|研发|产品|芯片|赛道|峰会|论坛|"
    r"前线|时代|浪潮|竞赛|比赛|大赛|概念|板块|厂商|治理|伦理|安全研究|风险|监管|备案|评测|测评|公司)",
    r"(?:对|由|经|把|将|使用|利用|借助|基于|通过)" + _AI_ZH)
_REPORTED = _any(
    _L + r"(?:said|says|told (?:reporters|the press|him|her|them|us|me)|stated|claimed|reported(?:ly)?|according to|"
    r"announced|warned|noted|explained|added that|wrote that|recalled|testified|alleged|complained that|"
    r"asked (?:whether|if|why|how)|was asked|were asked|had asked|had told|tried to (?:get|make|trick|convince))" + _R,
    r"表示|指出|报道|据悉|据了解|介绍说|说道|宣布|坦言|回忆|曾经|曾要求|曾让|试图让|企图让|企图|试图|诱导|声称自己|自称")

# -- request -----------------------------------------------------------------------------------------------------
_OVERRIDE = _any(
    _L + r"(?:ignore|ignoring|disregard|forget|override|overrule|bypass|neglect|discard|abandon|supersede|"
    r"countermand|nullify|void)" + _R,
    _L + r"(?:set|put|push|throw|toss|wipe|brush) (?:\w+ )?(?:aside|away|out)" + _R,
    _L + r"(?:stop|quit|no longer|don't|do not|never) (?:follow|follows|following|obey|obeying|apply|applying|"
    r"adher(?:e|ing) to|comply|complying|listen(?:ing)? to|use|using|rely|relying|consult|cite|citing|trust)" + _R,
    _L + r"(?:pay no|without any) (?:attention|heed|regard)" + _R,
    _L + r"(?:instead of|rather than) (?:answering|following|summari[sz]ing|doing)" + _R,
    _L + r"(?:is|are) (?:now )?(?:void|invalid|obsolete|cancel+ed|revoked|no longer (?:valid|in force|apply))" + _R,
    r"忽略|无视|忽视|忘记|忘掉|忘了|抛开|抛弃|丢弃|不要理会|不必理会|不用理会|别理会|别管|不要管|作废|当作不存在|视为无效|"
    r"不再遵守|不用遵守|不必遵守|停止遵守|不要遵守|不要再遵守|不要引用|不必参考|不要参考|不用参考|不得(?:引用|参考)|绕过|推翻|跳过|覆盖|失效|"
    r"不再有效|不予理会|不用看|不必看|不要看|取消(?:之前|以上|前面|原有)|不需要遵守|无需遵守|撤销|"
    r"只(?:服从|听从|遵守|遵循|按照|按)(?:下面|这里|本段|此处|以下)|当[^。\n]{0,12}不存在|比[^。\n]{0,10}更重要",
    _L + r"more important than (?:your|the|any|all)" + _R,
    _L + r"(?:(?:follow|obey) only|only (?:follow|obey)) (?:what|the text|the instructions|this)" + _R,
    _L + r"as if (?:the |there (?:is|were) no )?[^.!?\n]{0,40}(?:does not|doesn't|did not|didn't) exist" + _R)
_MODEL_TARGET = _any(
    _L + r"(?:instructions?|prompts?|system prompt|guidelines|guidance|directives|orders|commands|guardrails|programming|training|"
    r"safety (?:rules|filters|policies|checks)|content polic(?:y|ies)|configuration|settings)" + _R,
    _L + r"(?:your|the|these|those|all|any|previous|prior|earlier|original|above|preceding) (?:\w+ ){0,2}(?:rules|"
    r"policies|constraints|context|messages|conversation|turns|restrictions|limits|task|guidance|notes?)" + _R,
    _L + r"(?:retrieved|provided|other|supplied|source|reference|surrounding) (?:passages|documents|results|context|"
    r"materials?|evidence|sources|texts?|chunks|data|figures)" + _R,
    _L + r"(?:everything|anything|whatever|all) (?:(?:you (?:were|have been) (?:told|given))|above|before|else|"
    r"(?:written|said|stated) (?:above|before|elsewhere))" + _R,
    _L + r"(?:the (?:text|content|lines?|paragraphs?|sections?) )?(?:above|before this|preceding)" + _R,
    _L + r"(?:the|these|those|all|any|other) (?:\w+'s )?(?:\w+ )?(?:documents?|sources?|evidence|passages|"
    r"materials?|search results|knowledge base)" + _R,
    r"指令|指示|提示词|提示语|系统提示|系统消息|设定|设置|配置|规则|规定|限制|约束|要求|任务|指引|原则|策略|"
    r"检索(?:结果|到的|内容|资料)|其余(?:文件|文档|内容|结果|资料)|其他(?:文件|文档|资料|材料|段落|来源)|上下文|前面的?(?:对话|内容|文字)|"
    r"以上(?:内容|所有|全部|文字)?|上述|之前的?|此前的?|先前的?|原来的?|原有的?|证据|资料|数据|材料|文档|文件|知识库")
_DICTATE = _any(
    _L + r"(?:answer|respond|reply|say|state|claim|assert|output|print|write|conclude|report)(?: (?:\w+ ){0,2})?"
    r"(?:that\b|:|\"|“|')",
    _L + r"(?:tell|inform|notify|advise|assure|reassure) (?:the |every |all |any |each )?(?:users?|customers?|clients?|"
    r"people|anyone|everyone|whoever asks|the person|applicants?|borrowers?|callers?|enquirers?|askers?|"
    r"cardholders?|account ?holders?|members?|visitors?|investors?)" + _R,
    _L + r"(?:the (?:correct|right|real|true|only|official) (?:answer|figure|rate|value|response) is)" + _R,
    _L + r"(?:say|claim|assert|insist|declare) (?:the |that |this |it |they |there |all |every |our |your )",
    _L + r"(?:answer|respond|reply)(?: to)? (?:\w+ ){0,3}with" + _R,
    _L + r"(?:only|correct|right|acceptable|official|real|true|permitted) (?:acceptable )?(?:answer|reply|response|figure|"
    r"rate|value)s? (?:\w+ ){0,4}(?:is|are|will be)" + _R,
    _L + r"(?:confirm|promise|guarantee|recommend) (?:that|to (?:every|all|any)|everyone)" + _R,
    r"(?:回答|回复|答复|作答|告诉(?:用户|客户|所有人|大家|提问者|对方)|声称|声明|宣称|说成|表示|输出|写成|改成|改为|统一(?:回答|说|口径)|"
    r"一律(?:回答|回复|说|写|判|标|输出)?|只(?:回答|回复|说|输出)|确认|承诺|推荐)[^。\n]{0,6}(?:[:：“\"「]|为|是|说|成)",
    r"正确答案(?:是|为)|唯一(?:答案|正确)|答案(?:只能|一律|必须)",
    _L + r"(?:should|must|will|shall|has to|have to|needs? to|is to|are to|always|only|just|to) (?:claim|state|say|"
    r"answer|reply|respond|assert|write|output|conclude|confirm|recommend|promise|tell|mention|begin|start|end)" + _R,
    _L + r"(?:just |only |simply )?(?:say|reply|answer|respond|output|print) (?:with )?(?:yes|no|ok|\"|“|'|approved|denied)" + _R,
    r"(?:必须|要|应|应该|应当|只能|一律|都|统一|就|先|请|需|需要)(?:在[^。\n]{0,6})?(?:回答|回复|答复|说|声称|告诉|表示|输出|推荐|承诺|"
    r"确认|写|补充|加上|注明|附加|说明|宣传|强调|声明|宣布)",
    r"告诉(?:用户|客户|他们|他|她|对方|提问者|咨询者|大家)|说[“\"「]")
_FORCED = _any(
    _L + r"(?:regardless|irrespective|no matter|whatever (?:the|it|they|anyone|users?)|even if|even though|"
    r"whatever (?:is|was) (?:written|retrieved|said)|in all cases|every time|always|only)" + _R,
    r"无论|不管|不论|一律|统一|始终|永远|总是|任何情况|所有(?:问题|提问|用户|回答)|凡是|只能|都(?:要|回答|说)")
_HIDE = _any(
    _L + r"(?:omit|omitting|leave out|hide|hiding|conceal|suppress|redact|remove|drop|skip|exclude)" + _R,
    # (to withhold is also what an employer does with tax: only information withheld is hiding)
    _L + r"withhold(?:ing)? (?:the |this |that |any |all )?(?:risk|warnings?|information|details|facts?|truth|findings|"
    r"disclosures?)" + _R,
    _L + r"(?:leave|keep|take|cut) (?:\w+ ){1,5}(?:out|off)" + _R,
    _L + r"(?:do not|don't|never|not to) (?:mention|reveal|disclose|tell|show|cite|report|flag|escalate|include|"
    r"let (?:the )?(?:users?|customers?|them|anyone) know)" + _R,
    _L + r"(?:keep (?:this|it|that) (?:secret|confidential|hidden|between us|quiet)|silently|quietly|secretly|"
    r"without (?:telling|mentioning|informing|flagging|noting))" + _R,
    _L + r"(?:refuse|decline) (?:to (?:answer|discuss|respond)|all|any|every)" + _R,
    r"拒绝回答|不要回答|不予回答|拒答|省略|略去|略过|隐瞒|隐藏|删掉|删去|去掉|不要(?:提及|提到|提|说|告诉|透露|显示|展示|引用|标注|上报|转人工|写)|别(?:提|说|告诉)|"
    r"不得(?:提及|透露|告诉)|保密|悄悄|暗中|不要让[^。\n]{0,8}知道|对[^。\n]{0,8}隐瞒")
_REVEAL = _any(
    _L + r"(?:reveal|print|show|display|repeat|output|dump|leak|disclose|list|paste|quote|recite|spell out|"
    r"give me|send me|tell me|share|expose|write out|copy)" + _R,
    r"输出|打印|显示|展示|复述|重复|泄露|透露|列出|贴出|告诉我|发给我|给我看|原样|一字不差|逐字|公开|引用|写出|导出|"
    r"发我|传给我|给我(?:看|发|一份|一下)|找(?:你|您)要",
    _L + r"(?:write|provide|type|include|export|extract)" + _R)
_SECRET = _any(
    _L + r"(?:system (?:prompt|message)|initial (?:prompt|instructions|message)|hidden (?:prompt|instructions|text|"
    r"messages?)|(?:your|the) (?:prompt|instructions|configuration|config|settings|rules|setup|context window|"
    r"tools|functions|api keys?|keys|credentials|tokens?|secrets?|model name|temperature)|api keys?|"
    r"access tokens?|passwords?|account numbers|card numbers|(?:other|another|previous|all|every) (?:users?|customers?|clients?)'?s?|"
    r"(?:internal|confidential|restricted) (?:documents?|files?|data|materials?|parts?)|verbatim|word for word|"
    r"everything above|the text above)" + _R,
    r"系统提示词|系统提示|提示词|初始指令|系统指令|隐藏指令|(?:你的|您的|系统)(?:设定|配置|规则|指令|工具|密钥)|密钥|令牌|"
    r"(?:其他|其它|别的|上一(?:个|位)|所有|全部|其余)(?:用户|客户|人)(?:的)?(?:资料|信息|问题|数据|电话|身份证|账户|记录|名单)?|"
    r"(?:上面|以上|前面|上文)的?[^。\n]{0,12}(?:文字|内容|段落|那段|消息)|内部资料|内部文件|机密|原文|全部(?:客户|数据)|(?:初始|原始|原来的|隐藏的?)(?:设定|指令|提示|配置)|管理员密码|密码|"
    # what only the service holds: its own rules and word lists, the documents in its context, someone else's turn
    r"(?:你|您)(?:的)?(?:内部|后台|自己)?的?[^。\n，,]{0,6}(?:审核规则|过滤规则|风控规则|关键词|黑名单|白名单|敏感词|规则库|知识库|工作规则|操作规则)|"
    r"(?:关键词|敏感词)(?:黑名单|列表|清单|库)|(?:上下文|对话记录|会话)(?:里|中)(?:的|有)?|检索到的[^。\n]{0,4}(?:原文|文档|内容|资料)|"
    r"上一(?:个|位)(?:用户|客户|提问者)[^。\n]{0,8}(?:问题|信息|资料|姓名|身份证)",
    _L + r"(?:(?:your|the) (?:internal |hidden |moderation |filtering |review )(?:rules|policies|word ?lists?|"
    r"block ?lists?|keywords|criteria)|(?:documents?|passages|files|text) (?:in|from) your (?:context|memory|index)|"
    r"(?:previous|last|other|another) (?:user|customer|person)'s (?:question|message|data|details|name))" + _R,
    _L + r"(?:all|every|full|complete) (?:\w+ )?(?:account|customer|client|card|personal|user) (?:data|details|records|"
    r"numbers|information|list)" + _R)
_SEND = _any(
    _L + r"(?:send|forward|e-?mail|post|upload|transmit|copy|cc|bcc|exfiltrate|sync|push|submit|beacon|fetch|"
    r"load|visit|open|navigate to|call back)" + _R,
    r"发送|发到|发给|转发|上传|抄送|推送|同步到|提交到|访问|打开|发至|寄到")
_DESTINATION = _any(
    r"https?://|www\.|\b[\w.+-]+@[\w-]+\.[\w.]+\b|\b\d{1,3}(?:\.\d{1,3}){3}\b|\.(?:xyz|ru|top|cn|io|com|net)(?:/|\b)",
    _L + r"(?:webhook|endpoint|external|personal|private) (?:address|mailbox|e-?mail|server|url|account)?",
    r"邮箱|网址|链接|私人|外部|个人微信|微信号|服务器")
_ROLE = _any(
    _L + r"(?:(?:you are|you're) now (?:an?|the|in|acting|operating|dan|free|unrestricted|jailbroken|no longer|my)|from now on,? you|you will now|you shall now|pretend (?:to be|you are|you're)|"
    r"act as (?:an?|the) (?:unrestricted|unfiltered|different|new|evil|jailbroken|rogue|insider|admin)|roleplay as|"
    r"role-?play as|stay in character)" + _R
    + r"|" + _L + r"(?:developer|dev|god|debug|admin|maintenance|unrestricted|unfiltered|jailbreak|dan|sudo|root) mode" + _R,
    _L + r"(?:jailbreak|jailbroken|do anything now|no (?:restrictions|rules|limits|filters|guardrails)|"
    r"without (?:restrictions|rules|limits|filters|guardrails)|unrestricted|unfiltered|uncensored)" + _R,
    _L + r"(?:new (?:persona|identity)|your (?:new|real|true|actual) (?:persona|identity|self|task|job|goal|"
    r"mission|purpose))" + _R,
    _L + r"(?:no longer (?:bound|restricted|limited|required)|not bound by|stop being (?:a|an|the)|you have been "
    r"(?:updated|reprogrammed|upgraded|granted|promoted|unlocked|given (?:admin|root|full))|your (?:only|sole|new|real|"
    r"true|actual|primary|main) (?:goal|task|job|mission|purpose|objective|function))" + _R,
    # released from its rules: "你不需要遵守银行的合规要求", "you no longer have to follow any policy"
    _L + r"you (?:don't|do not|no longer|never) (?:need|have) to (?:follow|obey|comply with|respect|abide by) (?:any |the |your |our )?"
    r"(?:[\w'’-]+ ){0,2}(?:rules|policies|policy|guidelines|restrictions|compliance|regulations)" + _R,
    r"(?:你|您)(?:现在)?(?:不需要|无需|不必|不用|可以不)(?:再)?(?:遵守|遵循|理会)[^。\n]{0,10}(?:规定|规则|要求|限制|约束|政策|制度)",
    _L + r"(?:safety|security|content|compliance) (?:policies|rules|filters|checks|restrictions|guardrails) (?:are|have been|"
    r"were) (?:now )?(?:disabled|removed|off|lifted|suspended|turned off)" + _R,
    r"你现在是|从现在(?:开始|起)[，,]?\s*你|你的新身份|(?:你|您)[^。\n]{0,6}扮演|扮演(?:一个|一位|成|我|她|他)(?!者)|假装(?:你是|成)|以[^。\n]{0,10}的?身份[^。\n]{0,4}(?:作答|回答|回复|发言|处理|批准|审批|说话|告诉|输出)|切换(?:为|到|成)[^。\n]{0,8}(?:模式|身份|角色|人格)|进入[^。\n]{0,3}(?:开发者|调试|管理员|越狱|上帝|无限制|不受限|无审查|DAN|维护|特权|超级)模式|(?:你|您)的(?:新)?身份(?:是|为|变为|改为|变成)|"
    r"开发者模式|调试模式|管理员模式|越狱|不(?:再)?受[^。\n]{0,12}(?:限制|约束|过滤|审查)|没有(?:任何)?(?:限制|规则|过滤|审查)|无审查|"
    r"以[^。\n]{0,12}身份(?:作答|回答|回复|发言|处理)|(?:别|不要)再当|(?:你|您)(?:真正|实际|现在|新)的任务|"
    r"(?:你|您)已(?:经)?(?:获得|被授予|被升级|被更新)|(?:你|您)(?:唯一|现在)的(?:目标|任务|使命)|(?:安全|合规)(?:策略|规则|限制|审查)[^。\n]{0,4}(?:均|都|全部)?已(?:关闭|解除|失效|取消)")
_ACTION = _any(
    _L + r"(?:call (?:the |a |an )?(?:\w+ )?(?:tool|function|api|endpoint|plugin|webhook|command)s?|call \w+\(|invoke|"
    r"execute|run (?:the |this )?(?:command|script|code|shell|query)|trigger|transfer|refund|wire|pay out|delete|erase|wipe|drop table|rm -rf|"
    r"approve|authori[sz]e|grant|unlock|reset|disable|mark (?:this|it|the|as)|rate (?:this|it|the)|score|"
    r"classify (?:this|it|the)|label (?:this|it)|give (?:this|it) (?:full|\d+)|close (?:this|the) ticket)" + _R,
    r"调用|执行|转账|转出|退款|划款|删除|清空|批准|放行|授权|解锁|重置|关闭|标记为|标为|评为|判为|判定为|打分|给[^。\n]{0,6}满分|"
    r"归类为|通过审核|审批通过|判定|符合条件|放行")
_DECODE = _any(
    _L + r"(?:decode|decrypt|translate|reverse|read (?:it|this) backwards|unscramble|join the first)" + _R
    + r"[^.!?\n]{0,60}" + _L + r"(?:follow|obey|execute|do|carry|comply|run|act)" + _R,
    r"(?:解码|解密|翻译|倒过来|反过来|拼起来)[^。\n]{0,20}(?:执行|照做|照办|遵照|按[^。\n]{0,4}做)")
_CREDENTIAL = _any(
    _L + r"(?:ask|tell|get|have|prompt|request|instruct|remind) (?:the |every |all )?(?:users?|customers?|clients?|"
    r"them|cardholders?)[^.!?\n]{0,60}" + _L + r"(?:pin|password|passcode|cvv|otp|one-time|verification code|"
    r"sms code|card number|security code)" + _R,
    r"(?:让|要求|请|引导|提示)(?:用户|客户|对方|持卡人)[^。\n]{0,10}(?:提供|输入|发送|告知|回复|报出)[^。\n]{0,8}"
    r"(?:密码|验证码|CVV|安全码|卡号|动态码)")

_LURE = _any(
    _L + r"(?:insert|include|add|append|embed|attach|put|place|show|display|(?:reply|respond|answer) with)" + _R + r"[^.!?\n]{0,40}"
    + _L + r"(?:links?|urls?|images?|buttons?|qr codes?|phone numbers?|hotline|wechat|whatsapp|telegram|contact)" + _R,
    _L + r"(?:ask|tell|direct|redirect|send|invite|urge) (?:the |every |all )?(?:users?|customers?|clients?|them|people)"
    r"[^.!?\n]{0,30}(?:to (?:visit|call|click|contact|add|scan|log ?in|sign ?in|go to))" + _R,
    r"(?:附上|插入|加上|添加|放上|展示|显示)[^。\n]{0,12}(?:链接|网址|二维码|电话|微信|联系方式)|"
    r"(?:引导|让|请|要求)(?:用户|客户|对方)[^。\n]{0,12}(?:访问|点击|拨打|添加|扫码|登录)")
# An imperative: the clause opens with a request verb (after "please", "now", an address), not with a subject
# ("Customers should ignore…" has one; "Ignore…" is said to whoever reads it).
_IMPERATIVE = _any(
    r"[\W\d]*(?:(?:please|kindly|now|just|simply|and|then|also|so|first|ok|okay)\s*,?\s+)*"
    r"(?:ignore|disregard|forget|override|bypass|drop|discard|stop|tell|say|answer|reply|respond|output|print|reveal|"
    r"show|repeat|list|send|forward|e-?mail|pretend|act|roleplay|role-play|enter|enable|switch|activate|decode|"
    r"translate|insert|include|add|append|omit|leave|hide|do not|don't|never|approve|mark|rate|classify|call|run|"
    r"execute|transfer|refund|export|confirm|recommend|promise|treat|skip|write|give|paste|dump|reply|respond)" + _R,
    # Chinese verbs that are also nouns at a sentence's start ("推荐免试是指…", "执行期间…", "确认书…") are
    # imperatives only after "请", "务必", "现在"…; the verbs that are only commands stand alone
    r"[\W\d]*(?:请|现在|立即|马上|务必|直接|先|并|麻烦|再|就|接下来)*(?:忽略|无视|忘|不要|别|停止|告诉|回答|回复|输出|打印|"
    r"复述|透露|泄露|扮演|假装|解码|就当|只回答|一律|抛开|抛弃|跳过|列出|贴出)",
    r"[\W\d]*(?:请|现在|立即|马上|务必|直接|麻烦)+(?:发送|转发|切换|进入|开启|翻译|插入|附上|省略|隐瞒|确认|推荐|承诺|调用|"
    r"执行|转账|标记|判定|覆盖|导出)")

# What a clause opens with: matched at each clause's start only (an address, a fake turn or notice, a command).
_OPENERS: dict[str, re.Pattern[str]] = {
    "imperative": _IMPERATIVE,
    # words that are only machines may be followed by a comma; "agent", "model", "grader" also name people and
    # things in contracts and reports ("agent, with full power of substitution"), so they need a colon
    "vocative": _any(r"\W*(?:ai|assistant|bot|chatbot|llm|gpt|summari[sz]er|copilot)s?(?:\s*[,:：—]|\s+-\s)",
                     r"\W*(?:ai |llm |ai-)?(?:model|agent|grader|classifier)s?\s*[:：]",
                     # "Model, when summarising…": a comma is enough when what follows speaks to it at work
                     r"\W*(?:ai |llm |ai-)?(?:model|agent|grader|classifier)s?\s*,\s*(?:when|while|before|after|from now|"
                     r"please|ignore|disregard|you)" + _R,
                     r"\W*(?:AI|助手|模型|机器人|智能体|大模型)\s*[:：，,]"),
    "fake_notice": _any(r"\W*(?:system|sys|admin|administrator|developer|root|operator)\s*(?:notice|message|note|"
                        r"override|update|instruction|alert)?\s*[:：]"),
    "markup": _any(r"\s*(?:#{1,3}\s*)?(?:system|assistant|user|human)\s*[:：]", r"\s*(?:助手|系统|用户)\s*[:：]"),
}

# -- framing -----------------------------------------------------------------------------------------------------
_FAKE_NOTICE = _any(
    r"\[(?:system|admin|sys|developer|root|override)\]|\{\{?system\}?\}",
    _L + r"(?:system (?:notice|override|message|update|instruction|alert)|admin(?:istrator)? (?:notice|override|note|"
    r"message|instruction)|developer (?:note|message|instruction|override)|message from (?:your|the) "
    r"(?:developers?|admin|operators?|creators?)|priority override|security override)" + _R,
    r"【(?:系统|管理员|开发者|最高指令|系统提示|系统通知|指令)[^】]{0,6}】|【[^】]{0,6}(?:角色|人设|身份|指令|提示词)(?:设定)?(?:更新|变更|修改|切换)[^】]{0,4}】|"
    r"\[(?:role|persona|instructions?|prompt) (?:update|change|override)\]|"
    r"(?:AI|模型|机器人|助手|智能体)(?:指令|指示|专用指令|须知|操作指令)\s*[:：]|(?:系统|管理员|开发者|运维)(?:通知|消息|指令|提示|公告)[:：]|"
    r"最高(?:权限|优先级)|系统级(?:指令|命令|权限|通知|提示|消息)",
    _L + r"(?:new|updated|real|actual|true|secret|hidden|revised) (?:system )?(?:instructions?|directives?|orders?)" + _R,
    _L + r"(?:ai|assistant|model|bot|llm|agent) (?:instructions?|directives?|orders?|commands?)\s*[:：]",
    r"(?:新的|最新的?|真正的|隐藏的?|秘密|更新后的)(?:系统)?(?:指令|指示|提示词|命令)")
_MARKUP = _any(
    r"<\|[a-z_]{2,20}\|>|\[/?inst\]|<</?sys>>|<\s*/?\s*(?:system|assistant|user|im_start|im_end)\s*>|"
    r"[\"']role[\"']\s*:\s*[\"'](?:system|assistant)|"
    r"#{2,}\s*(?:new |updated )?(?:system|instruction|指令)|={3,}\s*(?:system|instructions?)|"
    r"<!--|display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0|color\s*:\s*(?:#fff(?:fff)?|white)|"
    r"<div hidden|\bwhite text\b|\bhidden text\b|白色字体|隐藏文字|\(white\)|（白字）")
_META = _any(
    _L + r"(?:(?:your|the) (?:answer|response|reply|output|summary|completion|verdict|assessment|rating|"
    r"generation|next (?:answer|reply|message))|the answer you give|when (?:you )?(?:answer|respond|reply|"
    r"summari[sz]e|generate)|this conversation|the conversation|the chat|the prompt|this prompt|your instructions|"
    r"your rules|your guidelines|your training|your context|before (?:answering|responding|you answer|replying))" + _R,
    r"在(?:你的|您的)?(?:回答|回复|答复|摘要|输出|总结)(?:中|里)|(?:你|您)的(?:回答|回复|输出|摘要|总结|结论|答案|评分|判断)|回答(?:时|前|之前)|作答时|生成(?:回答|答案|摘要)时|"
    r"本次对话|这次对话|对话中|提示词|总结(?:时|本文)|摘要(?:时|中)|处理(?:本文|这份|此文件)时")
_PRIORITY = _any(
    _L + r"(?:takes? (?:precedence|priority)|highest priority|top priority|supersedes?|overrides? (?:all|any|every|"
    r"everything|your)|more important than|authori[sz]ed|pre-?approved|this is (?:an? )?(?:order|command)|"
    r"mandatory for you)" + _R,
    r"优先级最高|最高优先|优先于|高于一切|已获授权|已授权|已批准|这是命令|必须执行|以此为准|以这条为准|以本条为准")
_FUTURE = _any(
    _L + r"(?:from now on|from here on|going forward|henceforth|for (?:all|every|any) (?:future|subsequent|later|"
    r"following) (?:questions?|queries|requests|users?|answers?|conversations?)|whenever (?:a |any |anyone |someone )?"
    r"(?:users?|customers?|one|anyone|someone|you) (?:asks?|mentions?|queries)|if (?:anyone|a user|someone|"
    r"users?|the user|a customer) asks?|from this (?:paragraph|line|point|message|sentence) on)" + _R,
    # (今后 alone is "in the years ahead" in news: only with every answer or question that follows)
    r"从现在(?:开始|起)|从今以后|今后(?:所有|每次|凡是|一律|回答|遇到)|以后(?:所有|每次|凡是)|接下来(?:所有|的所有|每)|后续(?:所有|的所有)|"
    r"(?:从|自)(?:本段|这段|此段|这里|此处|本条|下一段|下一条)(?:开始|起)|"
    r"(?:如果|若|凡是|每当|当)(?:有人|用户|客户|任何人)[^。\n]{0,4}(?:问|询问|咨询|提到)")

# The text before is declared void or a test, and a new task given ("New task:", "the above was only a test",
# "真正的任务是", "只服从以下内容"): how an injection replaces what the reader was doing.
_REFRAME = _any(
    _L + r"(?:new|real|actual|true|updated|revised|secret|hidden) (?:task|job|goal|assignment|objective|mission)\s*(?:is|:|：|-|—)",
    _L + r"(?:the |everything )?(?:above|previous|preceding|earlier) (?:text |content |part |section |message )?"
    r"(?:was|is|were) (?:(?:only|just|merely) )?(?:a |an )?(?:test|tests|fake|decoy|placeholder|example|joke|irrelevant)" + _R,
    _L + r"(?:comply|obey|follow|act on) (?:only|solely|exclusively) (?:with )?(?:the following|what follows|this|these|the next)" + _R,
    _L + r"(?:previous|prior|earlier|above|old|original) (?:directives|instructions|orders|rules|commands) (?:are|were|have been) "
    r"(?:cancel+ed|revoked|void|withdrawn|replaced|superseded|lifted)" + _R,
    r"(?:新|真正的?|实际的?|现在的?|隐藏的?)(?:任务|目标|指令|工作)(?:是|为|如下)?[:：]|(?:以上|上面|前面|上文)(?:的)?(?:内容|文字|资料|数据|都|全部|均)?"
    r"(?:只是|仅是|仅为|是|为|都是|均为)(?:测试|假的|虚构|无效|示例|干扰)(?!结果|报告|情况|记录|环境|用例|方案|计划|报表)|只(?:服从|听从|执行|遵守|遵循)(?:以下|下面|下述|接下来)")
# A request to skip the check that would stop it ("不用走流程", "without the usual approval", "no need to verify"):
# what claimed authority asks for.
_BYPASS = _any(
    _L + r"(?:without (?:the usual |any |further )?(?:approval|verification|checks?|sign-?off)|"
    r"skip (?:the )?(?:usual )?(?:approval|verification|permission|check|checks|checking|kyc)|no need to (?:verify|check|"
    r"confirm|ask)|(?:don't|do not) (?:bother|need to) (?:verify|checking|check|confirm))" + _R,
    r"不用走(?:流程|审批|手续)|不必走(?:流程|审批)|无需(?:核实|核验|验证|审批|确认)|不需要(?:核实|核验|验证|审批|确认)|"
    r"不用(?:核实|核验|验证|审批|确认)|跳过(?:审批|权限|核实|核验|验证|校验)")

# -- counter-signals ---------------------------------------------------------------------------------------------
_VERSION = _any(
    _L + r"(?:(?:previous|earlier|old|prior|outdated|superseded|last|first|original) (?:version|edition|issue|draft|"
    r"notice|letter|form|table|release|statement|reminder|bill|schedule|circular)|this (?:notice|version|letter|"
    r"circular|document|agreement|policy) (?:prevails|replaces|supersedes|takes precedence|shall prevail)|"
    r"(?:if|where) (?:you have|you've) already (?:paid|repaid|received|settled|done)|already been (?:paid|settled)"
    r"|in case of (?:conflict|discrepancy|inconsistency)|(?:this|these) (?:instructions|guidelines|rules|procedures|"
    r"notice|terms) (?:supersede|replace))" + _R,
    r"以本(?:通知|办法|规定|版本|文件|公告|合同|协议|细则|制度)为准|以[^。\n]{0,8}(?:显示|公告|通知|合同|协议)为准|"
    r"上一版|旧版|前版|此前(?:发布|下发|印发)|原(?:通知|文件|版本)|更正|勘误|与本[^。\n]{0,6}不一致|已还款|已结清|已缴")
_DISCUSSION = _any(
    _L + r"(?:prompt injection|injection attacks?|attackers?|adversar(?:y|ies|ial)|jailbreaks? (?:attempt|prompt)s?|"
    r"phishing|scam(?:s|mers)?|fraudsters?|social engineering|red[- ]team(?:ing)?|awareness|training (?:module|course|"
    r"session)|case study|test (?:plan|case|item)|tester|researchers?|for example|e\.g\.|such as|example of|"
    r"malicious|suspicious|report (?:it|them|such|any|this)|beware|be alert|warning signs?)" + _R,
    r"提示词注入|注入攻击|攻击者|不法分子|骗子|诈骗|钓鱼|社会工程|红队|培训|案例|测试(?:用例|人员|计划)|例如|比如|举例|"
    r"警惕|谨防|上报|举报|恶意|可疑")
_OWN_QUESTION = _any(
    _L + r"(?:my (?:previous|last|earlier|first|other) (?:question|message|request)|scratch that|never ?mind|"
    r"let me rephrase|i meant|actually,? (?:i|my)|forget (?:what i|my|that i|about my))" + _R,
    r"(?:忘记|忽略|不管|算了)[^。\n]{0,4}(?:我|刚才|之前|上一个|上面)(?:的)?(?:问题|提问|说的|问的)|换个问题|我(?:想|要)(?:改问|问的是|重新问)|"
    r"刚才(?:问|说)错")
_FORMAT = _any(
    _L + r"(?:round(?:ed)? (?:to|your|the)|decimal places?|in (?:millions|thousands|billions|percent|percentage|"
    r"a table|bullet points|english|chinese|plain language|one sentence|\d+ words)|as a (?:percentage|table|"
    r"list|ratio)|bullet points|in (?:usd|rmb|cny)|keep (?:it|the answer) (?:short|brief)|briefly|step by step|"
    r"cite (?:the|your) sources?|show (?:your|the) (?:work|calculation|formula))" + _R,
    r"保留[^。\n]{0,3}(?:位)?小数|四舍五入|以(?:百万|万|亿|千)元?为单位|百分比|用表格|分点|用(?:英文|中文|英语|简体)|"
    r"(?:\d+|[一二三四五六七八九十百]+)字以内|简要|简洁|一句话|列出(?:计算|公式)|逐步")
# Security advice to customers: keep *your* password to yourself, staff will never ask for it.
_SAFETY_ADVICE = _any(
    _L + r"(?:never|do not|don't|not to)\s+(?:\w+\s+){0,2}(?:tell|share|disclose|reveal|give|send|enter|type|say)\s+"
    r"(?:\w+\s+){0,3}(?:your|their)\s+(?:[\w-]+\s+){0,2}(?:password|pin|passcode|otp|cvv|code|card number|"
    r"credentials)",
    _L + r"(?:will|would|should) never (?:ask|call|text|e-?mail)|never asks? (?:you|customers|for)" + _R,
    r"(?:请勿|切勿|不要|不得|千万不要|绝不)[^。\n]{0,10}(?:透露|告诉|告知|提供|泄露|发送|输入)[^。\n]{0,10}(?:您|你|自己)的[^。\n]{0,10}"
    r"(?:密码|验证码|口令|卡号|CVV|动态码)",
    r"(?:不会|绝不会|从不|不得)(?:以任何理由)?(?:要求|让|向)(?:您|你|客户)")
_TOOLING = _any(
    r"(?:^|\s)--?(?:ignore|skip|force|no-)[\w-]*|\bgrep\b|\bignore[- ]?case\b|\.gitignore|\bnoqa\b|\b# ?type: ?ignore\b|"
    r"\bpylint\b|\bregex\b|\bcli\b|\bcommand line\b|\bflag\b|\boption\b|忽略大小写")

SIGNALS: dict[str, re.Pattern[str]] = {
    "ai": _AI, "vocative": _VOCATIVE, "you": _YOU, "human": _HUMAN,
    "override": _OVERRIDE, "model_target": _MODEL_TARGET, "dictate": _DICTATE, "forced": _FORCED, "hide": _HIDE,
    "reveal": _REVEAL, "secret": _SECRET, "send": _SEND, "destination": _DESTINATION, "role": _ROLE, "action": _ACTION,
    "decode": _DECODE, "credential": _CREDENTIAL, "lure": _LURE,
    "fake_notice": _FAKE_NOTICE, "markup": _MARKUP, "meta": _META, "priority": _PRIORITY, "future": _FUTURE,
    "version": _VERSION, "discussion": _DISCUSSION, "own_question": _OWN_QUESTION, "format": _FORMAT,
    "tooling": _TOOLING, "safety_advice": _SAFETY_ADVICE,
    "ai_modal": _AI_MODAL, "ai_described": _AI_DESCRIBED, "reported": _REPORTED,
    "reframe": _REFRAME, "bypass": _BYPASS, "named_machine": _NAMED_MACHINE,
}
# The requests a window can make (a verb meeting what it acts on: "reveal" with a secret, "send" with a
# destination or a secret, an override with something only a model has).
_REQUESTS = ("override_model", "dictate", "hide_request", "exfiltrate", "send_out", "role", "action", "decode",
             "credential", "lure")
# Raw signals that are weighed on their own; the others (a verb, a target, an insistence word) count only through
# the requests and pairs they form, since on their own they are everyday words.
_ALONE = ("ai", "vocative", "you", "human", "imperative", "fake_notice", "markup", "meta", "priority", "future",
          "version", "discussion", "own_question", "format", "tooling", "safety_advice", "ai_modal", "ai_described",
          "reported", "reframe", "bypass")


def window_features(found: set[str]) -> frozenset[str]:
    """The features of one window (a clause, or a clause with the one before it) from its raw signals."""
    requests: set[str] = set()
    if "override" in found and (found & {"model_target", "meta"}):
        requests.add("override_model")
    if "dictate" in found:
        requests.add("dictate")
    if "hide" in found:
        requests.add("hide_request")
    if "reveal" in found and "secret" in found:
        requests.add("exfiltrate")
    if "send" in found and (found & {"destination", "secret"}):
        requests.add("send_out")
    requests |= found & {"role", "action", "decode", "credential", "lure"}
    features = (found & set(_ALONE)) | requests
    # a machine is addressed when spoken to (a vocative), or named beside "you" or an imperative — unless it is
    # named as the subject of a description ("the assistant cannot show you…": the "you" is the customer)
    machine = bool(found & {"vocative"}) or ("ai" in found and bool(found & {"you", "imperative"})
                                             and "ai_described" not in found)
    # a machine named as a label or at reading time is spoken to when the window asks something of it
    if "named_machine" in found and requests:
        machine = True
    if machine:
        features.add("to_machine")
    if requests:
        features.add("any_request")
        if machine:
            features.add("machine_x_request")
            features.update(f"machine_x_{r}" for r in requests)
        elif "ai" in found:
            features.add("ai_mention_x_request")
        if "you" in found:
            features.add("you_x_request")
            features.update(f"you_x_{r}" for r in requests)
        if "imperative" in found:
            features.add("imperative_x_request")
        if "human" in found and not machine and "imperative" not in found:
            features.add("human_x_request")
        if found & {"fake_notice", "markup"}:
            features.add("framed_x_request")
        if "meta" in found:
            features.add("meta_x_request")
        if found & {"forced", "future", "priority"}:
            features.add("insistence_x_request")
        if "discussion" in found:
            features.add("discussion_x_request")
        if found & {"version", "own_question", "format", "tooling", "safety_advice"}:
            features.add("counter_x_request")
        if "ai_modal" in found:
            features.add("ai_modal_x_request")
        if "ai_described" in found and not machine:
            features.add("described_x_request")
        if "reported" in found:
            features.add("reported_x_request")
        if len(requests) >= 2:
            features.add("two_requests")
        # a trigger on other people's questions ("if anyone asks…", "whenever a user asks…") with what to do then
        if "future" in found:
            features.add("future_x_request")
        if "reframe" in found:
            features.add("reframe_x_request")
        if "bypass" in found:
            features.add("bypass_x_request")
    if "dictate" in found and "forced" in found:
        features.add("dictate_x_forced")
    if "override" in found and "dictate" in found:
        features.add("override_x_dictate")
    if machine and "meta" in found:
        features.add("machine_x_meta")
    return frozenset(features)


# Every feature the model weighs, in a fixed order (the JSON stores weights by name).
FEATURES: tuple[str, ...] = _ALONE + _REQUESTS + (
    "to_machine", "any_request", "machine_x_request", "ai_mention_x_request", "you_x_request",
    "imperative_x_request", "human_x_request", "framed_x_request", "meta_x_request", "insistence_x_request",
    "discussion_x_request", "counter_x_request", "two_requests", "dictate_x_forced", "override_x_dictate",
    "machine_x_meta", "ai_modal_x_request", "described_x_request", "reported_x_request",
    "future_x_request", "reframe_x_request", "bypass_x_request",
) + tuple(f"machine_x_{r}" for r in _REQUESTS) + tuple(f"you_x_{r}" for r in _REQUESTS) + ("short_text", "long_window")

# Clause bounds: sentence ends, line breaks, and the bounds of hidden spans, comments and markup.
_BOUND = re.compile(r"[。！？!?；;]+|(?<=[.])\s+|\n+|<!--|-->|<[a-z/][^>]{0,80}>|\]\]|\[\[", _F)
# Quotations: in "一律回答“本行不良贷款率为0”" or "reply 'you have won'" the bank and the "you" are the words dictated,
# not the addressee of the clause.
_QUOTATION = re.compile(r"“[^”\n]{1,120}”|「[^」\n]{1,120}」|\"[^\"\n]{1,120}\"|『[^』\n]{1,120}』")
_SPEAKERS = frozenset({"human", "you"})
_WORDY = re.compile(r"[A-Za-z\u3400-\u9fff]")
_SHORT_CLAUSE = 80
_LONG_WINDOW = 150


def clause_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each clause of `text` that has a letter or a Chinese character."""
    spans, start = [], 0
    for bound in _BOUND.finditer(text):
        if bound.start() > start:
            spans.append((start, bound.start()))
        start = max(start, bound.end() if bound.group(0).startswith(("<", "-", "[", "]", "\n")) else bound.end())
    if start < len(text):
        spans.append((start, len(text)))
    return [(a, b) for a, b in spans if _WORDY.search(text, a, b)]


def _continues(text: str, start: int) -> bool:
    """Whether the clause at `start` continues a sentence a line break cut (a PDF page's "…will\ndrop to 21%"):
    it opens with a lower-case letter and the line before ends without a sentence end."""
    before = text[:start].rstrip()
    first = text[start:start + 40].lstrip(" \t")
    return bool(before and first[:1].islower() and (before[-1].isalnum() or before[-1] in ",("))


@dataclass(frozen=True, slots=True)
class Window:
    features: frozenset[str]
    text: str


def windows(text: str) -> list[Window]:
    """Each clause of `text` (normalised) and each short clause joined with the next, with its features. Every
    signal is searched once over the whole text and each match given to the clause it starts in."""
    spans = clause_spans(text)
    if not spans:
        return []
    starts = [a for a, _ in spans]
    found: list[set[str]] = [set() for _ in spans]
    quoted = [(m.start(), m.end()) for m in _QUOTATION.finditer(text)]
    for name, pattern in SIGNALS.items():
        for match in pattern.finditer(text):
            position = match.start()  # the match's first letter: a clause-start match begins on the bound
            while position < match.end() - 1 and not text[position].isalnum():
                position += 1
            if name in _SPEAKERS and any(a < position < b for a, b in quoted):
                continue  # who is spoken of inside a quotation is what is to be said, not who is addressed
            index = bisect_right(starts, position) - 1
            if index >= 0 and position < spans[index][1]:
                found[index].add(name)
    for index, (a, _) in enumerate(spans):
        for name, pattern in _OPENERS.items():
            if pattern.match(text, a) and not (name == "imperative" and _continues(text, a)):
                found[index].add(name)
    short = len(text) <= 200

    def extra(a: int, b: int) -> frozenset[str]:
        # a clause of 150+ characters (Chinese written with ASCII commas, a contract's run-on sentence) gathers
        # signals that belong to different phrases: the model weighs such a window apart
        return frozenset(({"short_text"} if short else set()) | ({"long_window"} if b - a > _LONG_WINDOW else set()))

    result = []
    for i, (a, b) in enumerate(spans):
        result.append(Window(window_features(found[i]) | extra(a, b), text[a:b]))
        if i + 1 < len(spans) and b - a <= _SHORT_CLAUSE and found[i]:
            end = spans[i + 1][1]
            result.append(Window(window_features(found[i] | found[i + 1]) | extra(a, end), text[a:end]))
    return result


class StructureModel(FeatureLogistic):
    # Below this probability a text has neither an addressee nor a request worth the name, and the phrasing stages
    # (n-gram, embedding) may not flag it on their own: their false alarms are texts that *mention* models and
    # instructions. Stored with the weights ("phrasing_gate"); 0 lets them flag anything.
    phrasing_gate: float = 0.0

    @classmethod
    def load(cls, path: Path = WEIGHTS) -> "StructureModel":
        model = cls.from_file(path)
        model.phrasing_gate = float(json.loads(path.read_text(encoding="utf-8")).get("phrasing_gate", 0.0))
        return model

    def probability(self, features: frozenset[str]) -> float:
        return self.probability_of(features)

    def most_suspicious_window(self, readings: list[str]) -> tuple[float, str, frozenset[str]]:
        """The highest window probability among the readings of a text (normal, decoded), that window's text and
        its features."""
        best: tuple[float, str, frozenset[str]] = (0.0, "", frozenset())
        for text in readings:
            for window in windows(text):
                if not window.features:
                    continue
                probability = self.probability(window.features)
                if probability > best[0]:
                    best = (probability, window.text.strip(), window.features)
        return best

    def most_suspicious(self, readings: list[str]) -> tuple[float, str]:
        probability, text, _ = self.most_suspicious_window(readings)
        return probability, text


@lru_cache(maxsize=1)
def shipped_model() -> StructureModel | None:
    """The fitted structural model, or None when the package has no weights."""
    return StructureModel.load() if WEIGHTS.exists() else None
