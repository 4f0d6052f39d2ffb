"""Refusals: does an output decline the task instead of doing it?

Real models refuse in many phrasings ("I'm sorry, but I can't fulfill that request.", "My
apologies, but I cannot...", "Unfortunately I do not have enough context to...", "It is not
ethical to..."), in the language of the request, and they also hedge without refusing ("As
an AI I have no opinions. However, a cat is the easier pet..."). The rules (docs/rules.md,
"Refusals"), on the opening of the answer (its first sentence, or two when the first is only
an apology):

- a **decline**: the speaker will not or cannot do an assistant's action (help, provide,
  write, fulfill, comply...), an apology with an inability, "I must decline", "I don't feel
  comfortable", moralising ("It is not appropriate/ethical to..."), a purpose that excludes
  the task ("My purpose is to assist..., and I cannot support..."). A refusal whatever
  follows: what follows a decline is an alternative ("Instead, I can..."), except after a
  moral stance ("I cannot recommend pirating games, as that would be unethical. [why]"),
  which the answer may follow as it may a limitation.
- **missing input**: "I do not have enough context/information to...", "I need more
  information", "Could you please provide..." opening the answer: a request for more, not the
  answer.
- a **limitation**: "As an AI language model, I don't have personal opinions", "I don't
  have real-time information", "I can't browse the internet". A refusal only when nothing
  follows it: "However, ..." (or "but ...") with an answer after it is a disclaimer, not a
  refusal.

A hedge about certainty ("I cannot definitively answer") or a profession's advice ("I can't
give legal advice") is a limitation, not a decline; what the assistant cannot be answers a
yes/no question about itself ("Can you feel like a human?" "No, I'm an AI..."). Also
refusals: a classification into none of the offered classes, and a reply all about the
exchange (readiness, questions to the user, offers of other help) with nothing of the task.

An output whose refusing sentences make up at least half of it is a refusal too. The phrase
lists cover English, Spanish, French, German, Portuguese, Italian, Chinese and Japanese; a
refusal in another language is not recognised (docs/rules.md says so).
"""

from __future__ import annotations

import re
from typing import Literal

from promptcompat.compat.format_requirements import paragraphs

Kind = Literal["decline", "missing_input", "limitation"]

# Actions an assistant declines to take (a person declining a meeting is "not able to attend").
_ACTIONS = (
    r"help|assist|provide|answer|respond|fulfil+|comply|complete|create|write|generate|give|"
    r"offer|share|do|make|produce|reproduce|draw|compose|translate|rank|recommend|suggest|"
    r"support|endorse|encourage|condone|promote|engage|participate|continue|fulfill|"
    r"perform|execute|run|roleplay|role-play|pretend|act|impersonate|rewrite|summari[sz]e|"
    r"list|name|identify|categori[sz]e|classify|rate|judge|evaluate|assess|say|tell|express|"
    r"form|offer|discuss|speculate|take|fulfil|implement|solve|design|build|code|program|"
    r"convert|quote|cite|repeat|guess|determine|decide|choose|pick|comment|describe|explain|"
    r"look|search|find|retrieve|access|browse|view|see|open|read|watch|listen|play|predict|"
    r"know|check|verify|confirm|calculate|compute|count|estimate|analy[sz]e|review|locate|"
    r"recall|remember|update|send|email|call|contact|visit|order|buy|book|schedule|"
    # a put-down asked for: "I should not mock anyone's financial situation"
    r"mock|ridicule|insult|demean|belittle|make\s+fun|"
    # granting the request itself: "I can't accommodate that request"
    r"accommodate|entertain|grant|honou?r|oblige|facilitate|process|handle|fulfil|"
    # what a shop's or a pharmacy's assistant may not do: "I can't sell oxycodone without a
    # prescription" ("I can't guarantee current prices, but..." hedges: no decline verb)
    r"sell|dispense|arrange|approve|prescribe|waive|refund"
)
# The verb the inability is about, an adverb first at most ("I cannot directly access"); not
# a later one ("I can't fulfill your request to search ..." declines the request).
_LIMIT_ACTIONS = re.compile(
    r"(?:\w+ly\s+)?\b(?:browse|access|view|see|open|read|watch|listen|play|predict|know|check|verify|"
    r"confirm|look|search|find|retrieve|recall|remember|update|send|email|call|contact|visit|"
    r"order|buy|book|schedule|locate|execute|run|compile)\w*",
    re.I,
)
_I = r"(?:i|we)(?:\s+|(?='))"
_CANT = (
    r"(?:can(?:no|')?t|can\s+not|could\s*n[o']?t|won't|will\s+not|am\s+(?:un|not\s+)able\s+to|"
    r"'m\s+(?:un|not\s+)able\s+to|am\s+not\s+in\s+a\s+position\s+to|'m\s+not\s+in\s+a\s+"
    r"position\s+to|must\s+(?:decline|refrain\s+from)|have\s+to\s+decline|'d\s+rather\s+not|"
    r"would\s+rather\s+not|(?:'d|would)?\s*prefer\s+not\s+to|(?:do\s+not|don't)\s+(?:feel\s+comfortable|think\s+(?:it\s+"
    r"(?:is|would\s+be)\s+)?(?:appropriate|ethical|right))|(?:am|'m)\s+not\s+comfortable|"
    r"should\s+not|shouldn't|am\s+not\s+(?:allowed|permitted)\s+to|'m\s+not\s+(?:allowed|"
    r"permitted)\s+to|(?:am|'m)\s+(?:not\s+(?:designed|programmed)|(?:designed|programmed)\s+not)"
    r"\s+to)"
)
_EN_DECLINE = re.compile(
    # "we can't wait to see you there", "I can't help but smile": eagerness, no decline
    rf"\b{_I}{_CANT}(?!\s+(?:wait|help\s+but)\b)\s+(?:\w+\s+){{0,3}}?(?:{_ACTIONS})\w*\b"
    # a decision that is someone else's, declined as a rule says: "I'm not able to promise
    # whether the theft will be covered" (a hedge on prices or facts is no decline)
    rf"|\b{_I}{_CANT}\s+(?:\w+\s+){{0,2}}?(?:promise|guarantee)\s+(?:you\s+)?(?:whether|if|that)\b"
    r"[^.!?]{0,80}?\b(?:will|would)\s+(?:\w+\s+)?(?:be\s+)?(?:covered|paid|approved|accepted|granted|"
    r"refunded|reimbursed|reversed|waived)\b"
    r"|\b(?:i|we)\s+(?:must|have\s+to|will\s+have\s+to)\s+(?:respectfully\s+)?decline\b"
    r"|\bi\s+(?:can(?:no|')?t|cannot|won't)\s+(?:do\s+(?:that|this|it)|help\s+(?:with\s+)?"
    r"(?:that|this|it))\b"
    r"|\bi\s+(?:can(?:no|')?t|cannot)\s+(?:in\s+good\s+conscience|ethically|responsibly)\b"
    r"|\bi\s+(?:do\s+not|don't)\s+(?:feel\s+)?comfortable\b"
    r"|\b(?:it|that|this)(?:'s|\s+is|\s+would\s+be|\s+seems)\s+(?:\w+ly\s+)?(?:not\s+(?:appropriate|"
    r"ethical|acceptable|right|okay|ok|advisable|responsible|respectful|something\s+i)|"
    r"inappropriate|unethical|irresponsible|disrespectful)\b(?:\s+for\s+(?:me|us|an?\s+\w+))?"
    r"\s+(?:to|for)\b"
    r"|\b(?:it|that|this)\s+(?:would\s+not|wouldn't)\s+be\s+(?:appropriate|ethical|"
    r"acceptable|right|responsible|respectful)\b"
    r"|\bmy\s+(?:purpose|role|goal|programming|guidelines?)\s+(?:is|are|does\s+not|doesn't|"
    r"prevents?)\b[^.]{0,120}?\b(?:can(?:no|')?t|cannot|not\s+(?:able|allowed|permitted|"
    r"support|provide|engage|assist|help))\b"
    r"|\b(?:not|isn't|isn\u2019t)\s+something\s+(?:i|we)\s+(?:can|am\s+able\s+to|'m\s+able\s+to|"
    r"will)\b"
    # the question is not the assistant's to answer, a decline whatever follows: "it's
    # outside what I can help with", "beef stew is outside what I can help with"
    r"|(?:'s|\b(?:is|are|falls?))\s+(?:\w+\s+)?(?:outside|beyond)\s+(?:of\s+)?(?:what\s+(?:i|we)\s+"
    r"(?:can|am\s+able\s+to|are\s+able\s+to)\s+(?:help|assist|answer|cover|handle|advise)|my\s+"
    r"(?:scope|remit|area)|the\s+scope\s+of\s+(?:what\s+i|my|this\s+(?:chat|service|assistant)))\b"
    r"|\bi\s+(?:refuse|decline)\s+to\b"
    # the assistant's scope said in place of the answer: "I'm sorry, but I can only help with
    # questions about the museum" (as "solo puedo ayudarte con" in Spanish)
    r"|\b(?:i|we)(?:\s+can|'m\s+able\s+to|\s+am\s+able\s+to)?\s+only\s+(?:help|assist)\s+"
    # (not "I can only help with one tip: ...", a part of the answer)
    r"(?:you\s+)?with\s+(?!(?:one|a\s+few|some|part|the\s+first)\b)"
    r"|\b(?:i|we)(?:'m|\s+am|'re|\s+are)\s+only\s+able\s+to\s+(?:help|assist|answer)\b"
    # "I'm going to skip the zombie story - I only do science": a request passed over
    r"|\bi(?:'m|\s+am)\s+(?:going\s+to|gonna)\s+(?:have\s+to\s+)?(?:skip|pass\s+on)\s+(?:the|that|"
    r"this|your)\s+(?:\w+\s+)?(?:story|request|one|question|part|idea)\b"
    r"|\bi(?:'m|\s+am)\s+not\s+(?:a|an|your)\s+\w+(?:\s+\w+)?,?\s+(?:and|so)\s+(?:i\s+)?"
    r"(?:can(?:no|')?t|cannot|won't)\b",
    re.I,
)
_EN_MISSING = re.compile(
    r"\b(?:i|we)\s+(?:do\s+not|don't|did\s+not|didn't)\s+(?:actually\s+)?have\s+(?:enough|"
    r"sufficient|the\s+(?:necessary|required|full)|any|adequate|detailed|specific|complete|"
    r"much)\s+(?:\w+\s+){0,2}?(?:context|"
    r"information|info|details|data|background|insight|knowledge)\b"
    r"|\b(?:i|we)(?:\s+|'d\s+|'ll\s+|\s+will\s+)(?:need|would\s+need|require|would\s+require)\s+"
    r"(?:a\s+(?:bit|little)\s+|some\s+)?(?:more|additional|further)\s+(?:\w+\s+)?(?:context|"
    r"information|info|details|data)\b"
    r"|\b(?:i|we)(?:\s+|'d\s+|'ll\s+|\s+will\s+)(?:need|would\s+need)\s+to\s+know\b"
    r"|\b(?:could|can|would)\s+you\s+(?:please\s+)?(?:provide|share|clarify|specify|confirm|give\s+me|"
    r"tell\s+me\s+(?:more|which|what)|send|paste|include|let\s+me\s+know\s+(?:which|what))\b"
    r"|\bplease\s+(?:provide|share|clarify|specify|confirm|paste|send)\b"
    r"|\b(?:without|with\s+no)\s+(?:more|additional|further|the)\s+(?:\w+\s+)?(?:context|"
    r"information|details)\b[^.]{0,60}\b(?:can(?:no|')?t|cannot|unable|impossible|not\s+"
    r"possible|difficult)\b"
    r"|\bi\s+(?:have\s+not|haven't)\s+(?:seen|read|watched|heard|played|visited|been\s+given)\b"
    # "I don't have information about multipoint", "the product details I have don't mention"
    r"|\b(?:i|we)\s+(?:do\s+not|don't)\s+have\s+(?:any\s+)?(?:information|info|details|data)\s+"
    r"(?:about|on|regarding)\b"
    r"|\b(?:details|information|data|documents?)\s+(?:i|we)\s+have\s+(?:do\s+not|don't)\s+"
    r"(?:mention|say|include|cover|specify)\b"
    # a premise to correct before anything: "there are a few misconceptions in this question"
    r"|\bthere\s+(?:is|are|seems\s+to\s+be|appears\s+to\s+be|may\s+be|might\s+be)\s+(?:a\s+|some\s+)?"
    r"(?:few\s+|slight\s+|small\s+)?(?:misunderstanding|misconception|mistake|error|confusion)s?\s+"
    r"(?:in|with|about)\s+(?:the|this|your)\b"
    r"|\b(?:i|we)\s+(?:do\s+not|don't)\s+have\s+access\s+to\s+(?:the|this|that|your|a|any)\s+"
    r"(?:\w+\s+){0,2}?(?:listing|text|document|article|website|web\s*page|page|file|image|link|"
    r"data|database|paper|book|email|video|conversation|chat|message|code|source|content)s?\b"
    r"|\b(?:is|are|was|were)\s+not\s+(?:specified|given|provided|mentioned|included|stated)\s+"
    r"in\s+(?:your|the)\s+(?:question|request|message|prompt|input)\b"
    r"|\b(?:the|this|your)\s+(?:\"[^\"]{1,40}\"\s+)?(?:text|section|passage|description|article|"
    r"email|document|input|paragraph|excerpt|listing|review)\s+(?:does\s+not|doesn't|did\s+not)\s+"
    r"(?:contain|include|mention|specify|provide|say|state|give)\b"
    r"|\bi\s+(?:do\s+not|don't)\s+actually\s+(?:know|have)\b"
    r"|\b(?:the|your)\s+(?:request|question|message|prompt|input)\s+(?:seems|appears|is)\s+"
    r"(?:to\s+be\s+)?(?:incomplete|cut\s+off|unclear|missing)\b"
    r"|\bit\s+(?:seems|looks)\s+like\s+(?:you\s+(?:didn't|did\s+not|forgot|haven't)|the\s+"
    r"(?:message|question|text)\s+(?:is|was|got))\b"
    # the input the task names is not there: "you haven't provided any specific information
    # about the daily tasks", "no text was provided"
    r"|\byou\s+(?:have\s+not|haven't|did\s+not|didn't)\s+(?:yet\s+)?(?:provided|given|included|"
    r"shared|specified|attached|pasted|mentioned)\b"
    r"|\bthere\s+(?:is|was|are)\s+no\s+(?:previous\s+|prior\s+|earlier\s+)?(?:message|text|context|"
    r"input|conversation|question|passage|response)s?\s+(?:in\s+(?:our|this|the)\s+\w+\s+)?"
    r"(?:that\s+i\s+can|for\s+me\s+to|to)\b"
    r"|\bno\s+(?:specific\s+|actual\s+)?(?:text|information|details|context|data|input|passage|"
    r"article|list|examples?)\s+(?:was|were|has\s+been|have\s+been|is|are)\s+(?:provided|given|"
    r"included|attached)\b",
    re.I,
)
_EN_LIMITATION = re.compile(
    r"\bas\s+an?\s+(?:ai|artificial\s+intelligence|language\s+model|llm|large\s+language\s+"
    r"model|ai\s+(?:language\s+model|assistant|model|system|chatbot)|chatbot|virtual\s+"
    r"assistant|machine)\b"
    r"|\b(?:i|we)(?:'m|\s+am)\s+(?:just\s+|only\s+|merely\s+)?(?:an?\s+)?(?:ai|artificial|"
    r"language\s+model|computer\s+program|chatbot|virtual\s+assistant|text-based)\b"
    r"|\b(?:i|we)\s+(?:do\s+not|don't|cannot|can't)\s+(?:personally\s+)?(?:have|hold|form|"
    r"possess|experience)\s+(?:personal\s+|real-time\s+|any\s+|the\s+ability|direct\s+|the\s+)?"
    r"(?:opinions?|views?|beliefs?|feelings?|preferences?|emotions?|experiences?|thoughts?|"
    r"consciousness|memor(?:y|ies)|real-time|access|capabilit|abilit|the\s+capacity|a\s+(?:body|"
    r"personal|physical|sense\s+of|gender))\w*"
    # what the assistant is not and does not do: "I don't actually do any mental exercises"
    r"|\b(?:i|we)\s+(?:do\s+not|don't)\s+actually\b"
    r"|\bi\s+(?:do\s+not|don't)\s+have\s+a\s+(?:personal\s+|definitive\s+|strong\s+)?"
    r"(?:opinion|view|position|preference|stance)\b"
    r"|\b(?:my|the)\s+(?:knowledge|training\s+data|information)\s+(?:is\s+)?(?:only\s+)?"
    r"(?:goes|extends|is\s+(?:limited|current|up\s+to\s+date))\b"
    r"|\bmy\s+knowledge\s+cut-?off\b",
    re.I,
)
# An impersonal inability: "It is impossible to determine...", "...cannot be determined",
# "... remains unknown". A limitation of what can be said, not yet a refusal: one only when it
# is about the task itself and no answer follows (``is_refusal``). "Difficult to" is no
# inability: it usually leads to an estimate.
_IMPERSONAL = re.compile(
    # the action is not offered here: "unlocking the door isn't available by voice"
    r"\b(?:isn't|is\s+not|aren't|are\s+not)\s+(?:available|possible|supported|allowed|permitted)\s+"
    r"(?:by|via|through|over|from|with)\b|"
    r"\b(?:impossible|not\s+possible|not\s+feasible|unanswerable|unknowable)\s+(?:for\s+"
    r"(?:me|us|anyone)\s+)?to\b"
    r"|\b(?:cannot|can't|can\s+not)\s+be\s+(?:accurately\s+|definitively\s+|precisely\s+)?"
    r"(?:determined|known|answered|calculated|predicted|quantified|estimated)\b"
    r"|\b(?:remains?|is|are)\s+(?:\w+\s+)?(?:unknown|unanswerable|unknowable)\b"
    # the task does not fit the answer: "too much to cover in a single response"
    r"|\btoo\s+(?:much|complex|long|extensive|large|lengthy)\s+(?:\w+\s+){0,3}?(?:to\s+"
    r"(?:cover|include|fit|provide|write|explain)|for)\s+(?:\w+\s+){0,2}?(?:in\s+)?(?:a\s+"
    r"single|one|this|a\s+simple)\s+(?:text\s+)?(?:response|answer|reply|format|message)\b"
    r"|\bbeyond\s+the\s+scope\s+of\s+(?:a|this|an?)\s+(?:simple\s+|single\s+|short\s+)?"
    r"(?:text\s+)?(?:response|answer|reply|conversation|format)\b",
    re.I,
)
# An opening that only points to where the answer can be found ("You can find relevant
# questions by searching the site for ..."): no refusal by itself, but a hedge of the same
# behaviour as a refusal that says it cannot browse.
_POINTER = re.compile(
    r"\A(?:you\s+(?:can|could|may|might)\s+(?:easily\s+)?(?:find|look\s+up|search|check|"
    r"browse|visit)\b[^.!?]{0,160}\b(?:website|site|search\s+(?:engine|bar|query|function)|"
    r"online|google|database|official\s+sources?))",
    re.I,
)
_APOLOGY = re.compile(
    r"(?:\b(?:i(?:'m|\s+am)\s+(?:so\s+|very\s+|really\s+|truly\s+)?sorry|i\s+apologi[sz]e|"
    r"my\s+apologies|sorry|apologies|lo\s+siento|(?:je\s+suis\s+)?désolée?|"
    r"es\s+tut\s+mir\s+leid|entschuldigung|desculpe|sinto\s+muito|lamento|mi\s+dispiace|"
    r"spiacente)\b"
    r"|抱歉|对不起|很抱歉|不好意思|申し訳|すみません)",
    re.I,
)
# What is asked does not fit: "X isn't designed or suitable for ...", "'laureating' is not a
# real word". After an apology, a hedge like an inability. ("There is no such function; use
# append" corrects the premise and answers: not here.)
_UNSUITED = re.compile(
    r"\b(?:isn't|aren't|wasn't|is\s+not|are\s+not|was\s+not)\s+(?:really\s+|typically\s+|"
    r"specifically\s+|well\s+|actually\s+)?(?:designed|suitable|suited|intended|meant|built|"
    r"equipped|capable|a\s+(?:real|valid|recogni[sz]ed|known|standard|correct)|an\s+(?:actual|"
    r"existing|english|official))\b",
    re.I,
)
# An apology that answers a yes/no question: "Sorry, no - opened earbuds can't be returned"
# says what the policy does not allow; the "can't" is not the speaker's.
_SORRY_NO = re.compile(
    r"\W*(?:(?:i'm\s+|i\s+am\s+)?(?:so\s+|very\s+|really\s+)?sorry|unfortunately)\s*[,.!\u2014\u2013-]*"
    r"\s*(?:but\s+)?(?:no|nope)\b(?!\s+(?:one|way|longer|more|can)\b)",
    re.I,
)
_SYMPATHY = re.compile(r"\bsorry\s+(?:to\s+hear|for\s+your\s+loss|about\s+that)\b", re.I)
_INABILITY = re.compile(
    r"\b(?:can't|cannot|can\s+not|couldn't|unable|not\s+able|won't|will\s+not|decline|not\s+"
    r"comfortable|not\s+possible|impossible|not\s+feasible|not\s+in\s+a\s+position)\b",
    re.I,
)
_OWN_INABILITY = re.compile(
    r"\b(?:i|we)(?:'m|\s+am|'re|\s+are)?\s+(?:\w+\s+)?(?:can't|cannot|can\s+not|unable|not\s+able|"
    r"won't|will\s+not)\b",
    re.I,
)
# "However, here is...", "but I can provide...": the task may follow a disclaimer.
_PIVOT = re.compile(
    r"(?:^|[\s,;:(—–-])(?:however|but|that\s+said|nevertheless|nonetheless|still|that\s+being\s+"
    r"said|what\s+(?:i|we)\s+can\s+do\s+is|with\s+that\s+said|sin\s+embargo|pero|cependant|mais|toutefois|aber|jedoch|"
    r"allerdings|porém|mas|però|tuttavia|ma|但是|不过|ただし|しかし|ですが)\b[\s,]*",
    re.I,
)
# What follows a pivot that only points elsewhere: "but you can check a weather site".
_DEFLECTION = re.compile(
    r"\A(?:you\s+(?:can|could|may|might|should)|i\s+(?:would\s+)?(?:recommend|suggest|"
    r"encourage|advise)|i'd\s+(?:recommend|suggest)|(?:it\s+is|it's)\s+(?:best|recommended|"
    r"advisable|important)|please|consult|check|perhaps\s+you|if\s+you\s+(?:provide[ds]?|"
    r"share[ds]?|give|gave|can|could|have|were\s+to))\b"
    # a hand-off to a person: "but an attorney will review what you share and get back to you"
    r"|\A(?:an?|our|the|one\s+of\s+our)\s+(?:[\w&.-]+\s+){0,3}?(?:attorney|lawyer|agent|"
    r"specialist|advis[eo]r|representative|team|doctor|pharmacist|nurse|colleague|expert|"
    r"professional|counsel(?:l?or)?|human|staff|manager|clinician)s?\b[^.!?]{0,80}?\b(?:will|can|"
    r"would|should|is\s+able\s+to)\s+(?:\w+\s+)?(?:review|follow\s+up|contact|get\s+back|call|"
    r"reach\s+out|help|assist|advise|be\s+in\s+touch|look\s+into|answer|discuss)\b",
    re.I,
)

# A pointer to a person and nothing else: "Please reach out to your line manager or HR",
# "Contact our claims team, who can advise you".
_HAND_OFF = re.compile(
    r"\A(?:please\s+)?(?:reach\s+out\s+to|contact|speak\s+(?:to|with)|talk\s+to|get\s+in\s+touch\s+"
    r"with|check\s+with)\s+(?:your|our|the|a|an)\b",
    re.I,
)

# A sentence about the missing input rather than the answer.
_ABOUT_INPUT = re.compile(
    r"\b(?:context|information|details|specifics|clarif\w*|specify|provide|share|tell\s+me|"
    r"let\s+me\s+know|more\s+about|would\s+help|could\s+help|help\s+me|if\s+you|"
    # why it is needed: "the bake time depends on whether you use one tin or two"
    r"depends?\s+on\s+(?:whether|which|what|how|if))\b",
    re.I,
)

_ASKS_INPUT = re.compile(
    r"\b(?:provide|share|give\s+me|send|tell\s+me|paste|clarify|specify)\b[^.!?]{0,50}\b(?:details|"
    r"information|context|specifics|more|text|list|sentence|name|title|question)\b|"
    r"\b(?:details|information|context)\s+to\s+share\b|"
    # "Once you confirm, I can provide the exact one-liner."
    r"\b(?:once|when|after|as\s+soon\s+as)\s+you(?:'ve|\s+have)?\s+(?:confirm|clarif|provide|share|"
    r"answer|let\s+me\s+know|tell\s+me)\w*\b[^.!?]{0,40}\bI\s*(?:can|will|'ll|could)\b|"
    # "Once I know that, I can give you a formula that handles your data."
    r"\b(?:once|when|as\s+soon\s+as)\s+I\s+(?:know|have|hear|get)\b[^.!?]{0,40}\bI\s*(?:can|will|"
    r"'ll|could)\b",
    re.I,
)

# A request to the user for what the task needs, anywhere in a sentence.
_ASKS = re.compile(
    rf"{_ASKS_INPUT.pattern}"
    r"|\bif\s+you\s+(?:could\s+|can\s+|'d\s+like\s+to\s+|would\s+like\s+to\s+)?(?:describe|"
    r"share|provide|paste|send|tell\s+me)\b"
    r"|\bwhat\s+(?:can|may|shall)\s+i\s+(?:assist|help|do)\b"
    r"|\bwhat\s+would\s+you\s+like\s+(?:me\s+)?to\b",
    re.I,
)

# What a refusal offers instead of the task: "However, I can provide an outline".
_SUBSTITUTE = re.compile(
    r"\A(?:(?:i|we)\s+(?:can|could|will|would\s+be\s+happy\s+to)\s+(?:only\s+|certainly\s+)?"
    r"(?:provide|give|offer|share|write|suggest)?\s*(?:you\s+)?(?:with\s+)?(?:an?\s+|some\s+)?"
    r"(?:brief\s+|general\s+|short\s+|high-level\s+|example\s+)?(?:outline|summary|context)\b|"
    # "I can provide a brief overview of the equation and some general insights"
    r"(?:i|we)\s+(?:can|could|will|would\s+be\s+happy\s+to)\s+(?:provide|give|offer|share)\s+"
    r"(?:you\s+)?(?:with\s+)?(?:an?\s+|some\s+)?(?:brief|general|short|quick|basic)\s+(?:overview|"
    r"insights?|explanation|introduction)\b|"
    r"(?:i|we)\s+(?:can|could)\s+(?:outline|summari[sz]e)\b|"
    r"here\s+(?:is|'s)\s+an?\s+(?:example\s+|brief\s+|general\s+)?outline\b|"
    r"how\s+about\s+i\b|"
    # something general in place of the specific thing asked: "a high-level explanation",
    # "a general overview of events in recent years" (for a chronology of 2022), "some general
    # observations", "here is an attempt at a generic question" ("a general overview of the
    # job" where a summary is asked or "general suggestions to look for" may be the answer)
    r"(?:(?:i|we)(?:\s+(?:can|could|will)|(?:\s+would|'d)\s+be\s+(?:happy|glad)\s+to)\s+"
    r"(?:\w+\s+){0,3}?)?(?:(?:an?|some)\s+)?(?:"
    r"high-level\s+(?:explanation|overview|description)|(?:general|broad)\s+overview|"
    r"(?:general|generic)\s+(?:tips|"
    r"observations|guidance|pointers|thoughts))\b|"
    r"here\s+(?:is|'s|are)\s+(?:an?\s+attempt\s+at\s+)?(?:an?|some)\s+(?:generic|general)\b|"
    # "What I can do is share a few general points people often consider"
    r"(?:share|give|offer|provide)\s+(?:you\s+)?(?:a\s+few|some|several)\s+general\s+(?:points|"
    r"considerations|principles|pointers|tips|guidance)\b|"
    # a method in place of the value: "I can tell you how to calculate the days until..."
    r"(?:i|we)\s+can\s+(?:tell|show|explain(?:\s+to)?)\s+you\s+how\s+(?:to|you\s+(?:can|could))\s+"
    r"(?:calculate|find|determine|check|work\s+out|compute|figure\s+out|look\s+up|estimate)\b|"
    r"(?:i|we)\s+can\s+(?:suggest|describe|explain|outline|share)\s+(?:a|the|some)\s+(?:general\s+)?"
    r"(?:method|approach|process|way)\s+(?:for|of|to)\s+(?:finding|searching|looking|locating|"
    r"getting|calculating|determining|creating|making)\b|"
    # a form to fill in place of the filled one: "I can provide you with the general format of
    # the table you want to create, and you can fill in the information"
    r"(?:i|we)\s+can\s+(?:provide|give|offer|share|show)\s+(?:you\s+)?(?:with\s+)?(?:a|an|the)\s+"
    r"(?:general\s+|basic\s+|sample\s+|example\s+|blank\s+)?(?:template|format|structure)\b|"
    # a demonstration of what it could do: "to give you an idea of how I can help, ..."
    r"to\s+give\s+you\s+an\s+idea\s+of\s+(?:how|what)\s+i\s+(?:can|could|would)\b)",
    re.I,
)

# Other languages: a decline, or an apology with an inability, at the start.
_OTHER_DECLINE = re.compile(
    # es
    r"\bno\s+(?:puedo|podemos|me\s+es\s+posible|estoy\s+en\s+(?:condiciones|posición)\s+de|"
    r"soy\s+capaz\s+de)\b|\bsolo\s+puedo\s+(?:ayudarte|ayudarle|ayudar)\s+con\b|\blo\s+siento,?\s+(?:pero\s+)?no\b|\bcomo\s+(?:un\s+)?(?:modelo\s+"
    r"de\s+lenguaje|ia|inteligencia\s+artificial|asistente\s+de\s+ia)\b"
    # fr
    r"|\bje\s+ne\s+(?:peux|pourrai|suis\s+pas\s+en\s+mesure|suis\s+pas\s+capable|saurais)\b"
    r"|\b(?:je\s+suis\s+)?désolée?,?\s+(?:mais\s+)?je\s+ne\b|\ben\s+tant\s+qu['e]\s*(?:ia|"
    r"intelligence\s+artificielle|modèle\s+de\s+langage|assistant)\b"
    # de
    r"|\b(?:dabei|damit|hierbei|hiermit|das)\s+kann\s+ich\s+(?:dir\s+|ihnen\s+|euch\s+)?"
    r"(?:leider\s+)?nicht\b|\bich\s+kann\s+(?:dir\s+|ihnen\s+|euch\s+)?(?:leider\s+)?(?:nicht|"
    r"keine?n?)\b|\bes\s+tut\s+mir\s+leid,?\s+aber\b|\bich\s+bin\s+(?:leider\s+)?nicht\s+in\s+"
    r"der\s+lage\b|\bals\s+(?:eine?\s+)?(?:ki|ki-sprachmodell|sprachmodell|künstliche\s+"
    r"intelligenz|ki-assistent)\b|\bleider\s+(?:kann|darf)\s+ich\s+nicht\b"
    # pt
    r"|\bnão\s+(?:posso|consigo|sou\s+capaz|estou\s+em\s+condições|me\s+é\s+possível)\b"
    r"|\b(?:desculpe|sinto\s+muito|lamento),?\s+(?:mas\s+)?não\b|\bcomo\s+(?:um\s+)?(?:modelo\s+"
    r"de\s+linguagem|assistente\s+de\s+ia)\b"
    # it
    r"|\bnon\s+(?:posso|sono\s+in\s+grado|riesco|mi\s+è\s+possibile)\b|\bmi\s+dispiace,?\s+"
    r"(?:ma\s+)?non\b|\b(?:come|in\s+quanto)\s+(?:un\s+)?(?:modello\s+(?:di\s+)?linguistico|ia|"
    r"intelligenza\s+artificiale|assistente)\b"
    # zh
    r"|(?:抱歉|对不起|很抱歉|非常抱歉|不好意思)[，,、]?\s*(?:我|但)?(?:无法|不能|不可以|没办法|不会)"
    r"|我(?:无法|不能|没办法|不可以|不会)(?:提供|帮助|帮你|帮您|回答|满足|协助|完成|处理|给出|写|做)"
    r"|作为(?:一个|一名)?(?:人工智能|AI|语言模型|AI助手)"
    # ja
    r"|申し訳(?:ありません|ございません)が|(?:お応え|お答え|提供|お手伝い|対応|回答|お伝え|ご案内)"
    r"(?:でき|いたしかね|致しかね)ません|(?:AI|人工知能|言語モデル)として"
    r"|(?:承れ|お受けでき|受け付けられ|お引き受けでき)ません",
    re.I,
)

# Qualifiers that make "I can't" a limitation of the medium: "directly", "physically", "in
# this text-based format", "real-time", "for you" (a decision is the user's).
_QUALIFIED = re.compile(
    r"\b(?:directly|physically|personally|in\s+real[\s-]time|real-time|in\s+this\s+(?:text|"
    r"format|medium|chat|context)|text-based|for\s+you\b|for\s+your\s+(?:situation|needs|case|"
    r"circumstances|goals|finances)\b|visual(?:ly)?|actual(?:ly)?\s+"
    r"(?:see|hear|browse)"
    # what cannot be done is completeness or authority, not the task: "I cannot provide an
    # exhaustive list", "I can't give you an official ranking"
    r"|(?:an?|the)\s+(?:exhaustive|comprehensive|complete|definitive|full|official)\s+(?:list|"
    r"answer|overview|ranking|account)"
    # what cannot be had is certainty: "I cannot definitively answer", "I can't determine
    # the exact armor class" (a hedge before an estimate, or before nothing)
    r"|definitively|conclusively|with\s+(?:certainty|confidence|any\s+certainty)|for\s+"
    r"(?:certain|sure)|(?:determine|say|know|tell|predict|calculate)\s+(?:\w+\s+)?(?:the\s+)?"
    r"(?:exact|precise)\b"
    # a role's advice, not the subject: "I'm not a doctor, so I can't give medical advice"
    r"|(?:medical|legal|financial|investment|tax|professional|psychological|mental\s+health)\s+"
    r"(?:advice|diagnos[ie]s|opinion|counsel(?:l?ing)?)|\bdiagnose\s+(?:you|your|this|it|anyone)\b)",
    re.I,
)
_SENTENCE = re.compile(r"[^.!?。！？\n]+(?:[.!?。！？]+|$)", re.M)
_MAX_CHARS = 20000
_ANSWER_AFTER_PIVOT = 60
_SHORT = 300
"""Characters of substance after a limitation's pivot that count as the answer."""


def _head(sentence: str) -> tuple[str, str]:
    """The part of a sentence before a pivot ("... can't guarantee prices, but X is good"),
    and the part after it. The "but" of "I'm sorry, but I can't", or after a few words into a
    decline ("Ha, I wish I knew! But I can't ...", "Ah, £600 is a lot - but car repairs are
    outside what I can help with"; "Entendo a preocupação, mas não posso orientar sobre doses"),
    is no pivot: it turns to the decline, not to the answer."""
    start = 1
    while True:
        m = _PIVOT.search(sentence, start)
        if m is None:
            return sentence, ""
        head = sentence[: m.start()]
        # The cheap tests first: the search for a decline in the rest of the sentence runs
        # only for a short head (this is on every sentence's path).
        if (
            len(head) <= 40
            and not _INABILITY.search(head)
            and (
                _APOLOGY.search(head)
                or _OWN_INABILITY.match(sentence, m.end())
                or _EN_DECLINE.search(sentence, m.end())
                or _OTHER_DECLINE.search(sentence, m.end())
            )
        ):
            start = m.end()
            continue
        return head, sentence[m.end() :]


# "As of my knowledge cutoff in 2021, there has been no announcement": the answer, dated.
_DATED = re.compile(
    r"\A(?:as\s+of|since|according\s+to)\s+my\s+(?:last\s+)?(?:knowledge\s+cut-?off|update|"
    r"training(?:\s+data)?|last\s+training\s+update)(?:\s+(?:in|date|of)\s+[\w ]{0,20}?\d{4})?"
    r"\s*,\s*",
    re.I,
)


def refusal_kind(sentence: str) -> Kind | None:
    """What an opening sentence does, if it refuses: decline, missing input, limitation."""
    sentence = _DATED.sub("", sentence, count=1)
    head, _ = _head(sentence)
    declines = bool(_EN_DECLINE.search(head) or _OTHER_DECLINE.search(head)) or bool(
        _APOLOGY.search(head)
        and not _SYMPATHY.search(head)
        and not _SORRY_NO.match(head)
        and _INABILITY.search(head)
    )
    if declines:
        # "I can't browse the internet", "I cannot create a table directly", "As an AI, I
        # cannot make a decision for you": what the model cannot do, not what it will not.
        if _LIMIT_ACTIONS.match(_verb_of(head)) or _QUALIFIED.search(head):
            return "limitation"
        return "decline"
    if _EN_MISSING.search(head):
        return "missing_input"
    if _EN_LIMITATION.search(head) or _IMPERSONAL.search(head):
        return "limitation"
    if _APOLOGY.search(head) and not _SYMPATHY.search(head) and _UNSUITED.search(head):
        # "I'm sorry, but SPL is not designed for ...": the task cannot be done as asked; a
        # refusal unless the answer follows (a corrected premise may be answered).
        return "limitation"
    return None


# Instructions that ask to decline some requests ("If asked who to vote for, politely decline
# and point the voter to the Voter Guide"): there "I can't recommend candidates" and the
# pointers after it are that decline, not a stance before an answer.
_DECLINE_ASKED = re.compile(
    r"\b(?:politely|courteously|kindly|gently|respectfully|firmly)\s+(?:decline|refuse)\b"
    r"|\b(?:decline|refuse)\s+(?:to\s+(?:answer|recommend|give|provide|discuss|comment|help|"
    r"endorse|predict)|and\s+(?:point|refer|direct|redirect|suggest|explain|offer))\b",
    re.I,
)
# A moral stance rather than a decline of the task, when the answer follows it: "I cannot
# recommend pirating games, as that would be unethical. [why]" to "Is pirating wrong?"; "It's
# not ethical to pretend to listen. However, if you need a nap, you could try: [tips]".
_STANCE = re.compile(
    rf"\b{_I}(?:can(?:no|')?t|cannot|won't|will\s+not|do\s+not|don't)\s+(?:\w+\s+)?(?:recommend|"
    r"encourage|endorse|condone|advocate|promote)\b"
    r"|\b(?:it|this|that)(?:'s|\s+is|\s+would\s+be)\s+(?:not\s+(?:ethical|advisable|"
    r"appropriate)|unethical)\s+to\b",
    re.I,
)


def _verb_of(head: str) -> str:
    m = re.search(rf"\b{_I}{_CANT}\s+(.{{0,40}})", head, re.I)
    return m.group(1) if m else ""


def _sentences(text: str) -> tuple[str, list[str]]:
    clean = text.replace("\u2019", "'").strip()[:_MAX_CHARS]
    sentences = [s for s in (m.group(0).strip() for m in _SENTENCE.finditer(clean)) if s]
    if len(sentences) > 1 and len(sentences[0]) < 25 and not _head(sentences[0])[1]:
        sentences = [f"{sentences[0]} {sentences[1]}", *sentences[2:]]  # "Sorry!" then why
    return clean, sentences


# A courtesy a reply opens with, which says nothing of what it does with the task.
_COURTESY = re.compile(
    r"(?:(?:I|we)\s+(?:completely\s+|totally\s+)?(?:understand|appreciate)|I'm\s+(?:so\s+|very\s+|"
    r"really\s+)?sorry\s+(?:to\s+hear|that\s+you|your|you're|about|for\s+your)|sorry\s+to\s+hear|"
    # sympathy with what happened, not an apology for what follows: "Sorry about those emails"
    r"sorry\s+(?:about|for)\s+(?:that|this|those|these|the|all\s+(?:that|this|the))\s+\w+|"
    r"thanks?\b|thank\s+you|great|good|excellent|what\s+a\s+(?:great|good|thoughtful|lovely)|"
    r"(?:that's|that\s+is|this\s+is|it's)\s+(?:a\s+|an\s+)?(?:really\s+|very\s+)?(?:great|good|"
    r"excellent|important|fair|thoughtful|common|natural|understandable)\s+(?:question|"
    r"thing\s+to\s+(?:ask|consider|look\s+into|think\s+about|wonder)|concern|point)|"
    r"(?:I'd|I\s+would|I'm|I\s+am|we'd|we're)\s+(?:be\s+)?(?:happy|glad|delighted)\s+to\s+help|"
    r"happy\s+to\s+help|hello|hi|hey|oh\s+no|congratulations|congrats|"
    # "I love that you're getting back into training - but I can't give you a plan yet"
    r"I\s+love\s+(?:that|how)\b|"
    # pleasantries about the request: "That sounds like a big assignment, and I hope it goes
    # well!", "It's lovely that your little one enjoys a thrill!"
    r"that\s+sounds\s+like\s+(?:a|an|fun|great)\b|(?:it's|it\s+is|how)\s+(?:so\s+)?(?:lovely|"
    r"wonderful|great|nice|exciting|sweet)\s+that\b|"
    # sympathy with what happened: "That's a horrible thing to come home to, and I'm sorry."
    r"(?:that's|that\s+is|this\s+is|that\s+sounds|what\s+a)\s+(?:\w+\s+){0,2}?(?:horrible|terrible|"
    r"awful|frustrating|stressful|upsetting|difficult|tough|scary|worrying|annoying|"
    r"disappointing|inconvenient|uncomfortable|painful|rough|frightening|concerning|"
    r"overwhelming|exhausting))\b",
    re.I,
)
_COURTESY_MAX_CHARS = 120


def _after_courtesy(sentences: list[str], task: str | None = None) -> list[str]:
    """The sentences from the first that is no courtesy on: "I understand this is important
    to you. However, as an AI, I'm not able to..." declines in its second sentence. Where the
    task asks for a message or a chat reply, a courtesy and then a question or a limit is
    the message itself ("I'm sorry to hear that. Can you tell me more?"): only a decline
    after it counts."""
    start = 0
    while start < len(sentences) - 1 and _courtesy(sentences[start]):
        start += 1
    head, after = _head(sentences[start])
    if after.strip() and _COURTESY.match(head) and len(head) <= _COURTESY_MAX_CHARS:
        # "I understand this may be important to you, but I'm not able to help with that."
        sentences = [*sentences[:start], after.strip(), *sentences[start + 1 :]]
    if (
        start
        and task
        and (_GREETING.match(task) or _MESSAGE_ASKED.search(task))
        and refusal_kind(sentences[start]) != "decline"
    ):
        return sentences
    return sentences[start:]


def _courtesy(sentence: str) -> bool:
    return (
        len(sentence) <= _COURTESY_MAX_CHARS
        and (_COURTESY.match(sentence) is not None or _PLEASANTRY.fullmatch(sentence) is not None)
        and not _head(sentence)[1]  # "Thanks, but I can't" pivots: no courtesy alone
        and refusal_kind(sentence) is None
    )


def declines_somewhere(text: str) -> bool:
    """Whether a sentence of ``text`` other than the opening declines in the speaker's own
    voice ("I can't give legal advice about withholding rent." after the answer to the rest of
    the message): a reply that declines part of what was asked, against one opening with the
    same decline, is no refusal flip."""
    _, every = _sentences(text)
    return any(
        _OWN_INABILITY.search(s)
        and (kind := refusal_kind(s)) is not None
        # "I can't give legal advice about withholding rent": a role's advice declined
        and (kind == "decline" or (kind == "limitation" and _ADVICE_WORD.search(s) is not None))
        for s in every[1:_LATER_SENTENCES]
    )


_ADVICE_WORD = re.compile(r"\badvi[cs]e\b", re.I)


_LATER_SENTENCES = 8
"""Sentences read for a decline after the opening (a long answer's tail is not read)."""


# A message that asks two things: "can i refill my lisinopril yet? and is it ok to take advil
# with it": declining one and answering the other is an answer.
_SECOND_QUESTION = re.compile(
    r"\?[^?]{12,}\?|\?\s*(?:and|also|plus)\s+(?:is|are|can|could|should|do|does|will|would|what|how|"
    r"when|where|which|why)\b",
    re.I,
)


def declines_early(text: str, task: str | None = None) -> bool:
    """Whether the first sentence after a courtesy says the speaker cannot or will not (a
    decline cue, whatever follows: "I'm not able to diagnose injuries, so I can't say..."):
    a reply opening so against a refusal is the same behaviour, more or less answered, and
    no refusal flip. A quote's "cannot" is no cue: the speaker's own only."""
    _, every = _sentences(text)
    sentences = _after_courtesy(every)
    if not sentences:
        return False
    first = sentences[0]
    if not (
        _OWN_INABILITY.search(first) or _EN_DECLINE.search(first) or _OTHER_DECLINE.search(first)
    ):
        return False
    # "I cannot recommend damaging your hearing. However, pros: ..., cons: ...": the answer
    # after a stance, which a refusal against it flips.
    return not _pivots_to_answer(sentences, task)


def _hands_off(sentences: list[str]) -> bool:
    """A limitation, then only pointers to a person: "I'm not able to confirm your individual
    entitlement, as that depends on your contract. Please reach out to your line manager, who
    can advise you." Nothing of the answer, whatever the length, and in a message too (a
    courtesy before it is passed over even where the instructions ask for a message)."""
    return (
        len(sentences) > 1
        and refusal_kind(sentences[0]) == "limitation"
        and all(_HAND_OFF.match(s) for s in sentences[1:])
    )


def _pivots_to_answer(sentences: list[str], task: str | None) -> bool:
    """The first sentence's decline is followed by a pivot ("However, ...") and the answer,
    not an offer, a pointer or a substitute."""
    _, after = _head(sentences[0])
    if not after.strip() and not (len(sentences) > 1 and _PIVOT.match(sentences[1])):
        return False
    return not _offers_substitute(sentences, task) and _answers_after(sentences, "limitation", task)


def opening_kind(text: str) -> Kind | None:
    """What the opening of ``text`` does, refusal or not: a hedge that is then followed by
    the answer still opens with one (``is_refusal`` says whether the whole refuses)."""
    _, every = _sentences(text)
    sentences = _after_courtesy(every)
    if not sentences:
        return None
    kind = refusal_kind(sentences[0])
    if kind is None and _POINTER.match(sentences[0]):
        return "limitation"
    if kind is None and len(text) <= 2 * _SHORT and any(_ASKS.search(s) for s in sentences[-2:]):
        # A short reply that asks for what the task needs ("If you describe the review, I
        # might...", "What can I assist you with?"): a request for input like any other.
        return "missing_input"
    return kind


def is_refusal(text: str, task: str | None = None) -> bool:
    """Whether ``text`` declines the task rather than doing it (module docstring).

    ``task``: the rendered instructions, when known. A hedge that names the task itself ("I
    do not have enough information to rank these companies", "It is impossible to determine
    the number of songs recorded") declines it unless an answer follows and the text does not
    close by declining again."""
    clean, every = _sentences(text)
    if _hands_off(_after_courtesy(every)):
        return True
    sentences = _after_courtesy(every, task)
    if not sentences:
        return False
    kind = refusal_kind(sentences[0])
    if kind == "decline":
        partly = (
            task is not None
            and any(_SECOND_QUESTION.search(p) for p in paragraphs(task)[-1:])
            and len(clean) > _SHORT
            and not _offers_substitute(sentences, task)
            and not all(_HAND_OFF.match(x) or _DEFLECTION.match(x) for x in sentences[1:])
            and _answers_after(sentences, "limitation", task)
        )
        if partly:
            return False  # one of two questions declined, the other answered
        stance_answered = (
            len(clean) > _SHORT
            and not (task and _DECLINE_ASKED.search(task))
            and _STANCE.search(_head(sentences[0])[0]) is not None
            and not _offers_substitute(sentences, task)
            and _answers_after(sentences, "limitation", task)
        )
        if not stance_answered:
            return True
        kind = "limitation"  # a stance, then the answer: below, as a disclaimer would be
    if kind == "limitation" and task and _ABOUT_YOU.match(task.strip()):
        return False  # "No, I'm an AI and do not have feelings": the question's answer
    if _offers_substitute(sentences, task):
        # "..., however, I can provide an outline / some general tips": whatever its length,
        # what follows the hedge stands in for the task.
        return True
    if kind == "missing_input" and not _answers_after(sentences, kind, task):
        return True
    if kind == "limitation" and len(clean) <= _SHORT and not _answers_after(sentences, kind, task):
        # A disclaimer and nothing else. A longer text after a disclaimer is prose about the
        # task, answered or not, which wording alone does not tell, unless the disclaimer
        # is about the task itself (below).
        return True
    if (
        kind is not None
        and task
        and _names_task(_head(sentences[0])[0], task)
        and (
            not _answers_after(sentences, "missing_input", task)
            or (_closes_declining(sentences, task) and not _gives_examples(sentences))
        )
    ):
        return True
    if task and _fits_none(sentences):
        return True
    if task and _advice_instead(sentences[0], task):
        return True
    if task and _outline_instead(sentences, task):
        return True
    if _about_exchange(clean, every) and not (task and _talk_asked(task)):
        return True
    if len(clean) <= _SHORT and _CONCLUSION.match(sentences[-1]) and refusal_kind(sentences[-1]):
        return True  # "... is not in the text. Therefore, I cannot answer this question."
    refusing = sum(len(s) for s in sentences if refusal_kind(s) == "decline")
    return refusing * 2 >= sum(len(s) for s in sentences)


_CONCLUSION = re.compile(r"(?:therefore|thus|hence|so|as\s+a\s+result|consequently)\b,?", re.I)


# Advice on making the thing in place of the thing: "Here are some tips for writing an email
# to negotiate your salary:" where the instructions say "write an email".
_ADVICE_OPENING = re.compile(
    r"\A(?:sure[,!.]?\s+)?(?:here\s+(?:are|is)|below\s+(?:are|is))\s+(?:some|a\s+few|several|a\s+"
    r"list\s+of)?\s*(?:\w+\s+)?(?:tips|steps|guidelines|pointers|suggestions|advice|ideas|"
    r"considerations)\s+(?:for|on|to\s+help\s+you)\s+(?:how\s+to\s+)?(?:writing|write|creating|"
    r"create|drafting|draft|composing|compose|making|make|crafting|craft|preparing|prepare|"
    r"designing|design|building|build)\b",
    re.I,
)
_MAKE_ASKED = re.compile(
    r"\b(?:write|draft|compose|create|prepare|design|make|build|craft|generate)\b", re.I
)


def _advice_instead(opening: str, task: str) -> bool:
    """Whether the text opens by offering advice on making what the instructions ask to be
    made, where they ask for the thing and not for how to make it."""
    return (
        _ADVICE_OPENING.match(opening) is not None
        and _MAKE_ASKED.search(task) is not None
        and _HOW_TO.search(task) is None
        and _ADVICE_ASKED.search(task) is None
    )


# An outline where the thing itself was asked for, and an offer to write it: "Here's an
# outline you could use for the story: ... Would you like me to write the full story?"
_OUTLINE_OPENING = re.compile(
    r"\A(?:here(?:'s|\s+is)|below\s+is|i(?:'ve|\s+have)\s+(?:put\s+together|drafted|sketched))\s+"
    # (a plan or a structure may be the thing asked: "make me a workout plan")
    r"(?:an?\s+)?(?:\w+\s+)?(?:outline|skeleton)\b",
    re.I,
)
_OFFER_TO_WRITE = re.compile(
    r"\b(?:would|do|shall)\s+you\s+(?:like|want)\s+me\s+to\s+(?:\w+\s+)?(?:write|expand|draft|"
    r"turn|flesh|develop|create)\b|\bshall\s+i\s+(?:write|expand|draft|develop)\b",
    re.I,
)


def _outline_instead(sentences: list[str], task: str) -> bool:
    return (
        _OUTLINE_OPENING.match(sentences[0]) is not None
        and _OFFER_TO_WRITE.search(sentences[-1]) is not None
        and _DIGEST_ASKED.search(task) is None
    )


# A classification that puts the item in none of the offered classes: "this does not seem
# to fit into any of the three categories", "none of the listed labels apply" (not "any of
# the other categories": that follows a pick).
_FITS_NONE = re.compile(
    r"\b(?:does\s+not|doesn't|do\s+not|don't|would\s+not|wouldn't)\s+(?:(?:seem|appear)\s+to\s+|"
    r"really\s+|clearly\s+|neatly\s+|cleanly\s+)*(?:fit|belong|fall)\s+(?:in(?:to|side)?\s+|"
    r"under\s+|with\s+)?(?:any|either)\s+(?:one\s+)?of\s+the\b(?!\s+other\b)"
    r"|\bnone\s+of\s+the\s+(?!other\b)(?:\w+\s+){0,3}?(?:categories|options|labels|classes|choices|"
    r"classifications)\s+(?:\w+\s+)?(?:applies|apply|fits?|matches|match|describes?)\b"
    r"|\bfits?\s+none\s+of\s+the\b(?!\s+other\b)",
    re.I,
)
# A pick made all the same: "the closest is news", "if I had to choose, ...".
_PICKS = re.compile(
    r"\b(?:closest|best\s+fit|most\s+(?:likely|appropriate|fitting|suitable)|if\s+(?:i|we|forced)\s+"
    r"(?:had\s+to|have\s+to|must|were\s+forced\s+to|to)|lean(?:s|ing)?\s+(?:more\s+)?towards?)\b",
    re.I,
)


def _fits_none(sentences: list[str]) -> bool:
    """Whether a classification puts the item in none of the offered classes and picks none
    after saying so (a pick made all the same, or a pivot to one, is the answer)."""
    for i, sentence in enumerate(sentences):
        m = _FITS_NONE.search(sentence)
        if m is not None:
            after = sentence[m.end() :]
            return not (
                _PIVOT.search(after) or any(_PICKS.search(s) for s in [after, *sentences[i + 1 :]])
            )
    return False


# A sentence about the exchange rather than the subject of the task: the assistant's
# readiness or purpose ("I'd be happy to help", "I'm here to...", "I am designed to..."), a
# request to the user ("Could you tell me...", "Let me know...", a question about
# "you/your"), an offer of other help ("If you have any other questions, feel free to ask"),
# or how the subject ought to be treated ("it's important to handle it with care"). English
# only.
_EXCHANGE = re.compile(
    r"\bi(?:'d|\s+would|'ll|\s+will|'m|\s+am)?\s+(?:be\s+)?(?:happy|glad|delighted|here)\b"
    r"|\bi(?:'d|\s+would)\s+(?:love|like)\s+to\s+(?:help|hear|know|see|assist)\b"
    r"|\b(?:could|can|would|will)\s+you\s+(?:please\s+)?(?:tell|share|provide|let|give|clarify|"
    r"specify|describe|explain|send|paste|confirm)\b"
    r"|\blet\s+me\s+know\b|\bfeel\s+free\b|\bdon't\s+hesitate\b"
    # a pleasantry about the user: "It's great that you have a favourite review!"
    r"|\b(?:it's|it\s+is|that's|that\s+is)\s+(?:so\s+|really\s+)?(?:great|wonderful|nice|"
    r"lovely|good)\s+(?:that\s+you|to\s+hear)\b"
    r"|\bif\s+you(?:'d|\s+would)?\s+(?:like|need|want|prefer|have\s+(?:any|other|more|a\s+"
    r"specific))\b"
    r"|\bonce\s+i\s+(?:have|know|get|understand)\b"
    # what the assistant is for: "I am designed to be as helpful as possible", "I specialize in"
    r"|\bi(?:'m|\s+am)\s+(?:\w+\s+)?(?:designed|programmed|trained|built|meant)\s+to\b"
    r"|\bi\s+(?:specialize|specialise|aim|strive)\b"
    r"|\b(?:help|assist)\s+me\s+(?:get\s+started|understand|tailor)\b"
    # what the user's answers are for: "These details will help me provide recommendations"
    r"|\b(?:will|would|can|could|should)\s+help\s+me\s+(?:to\s+)?(?:provide|give|make|find|"
    r"suggest|recommend|tailor|narrow|create|write|choose|pick)\b"
    r"|\bhow\s+(?:can|may)\s+i\s+(?:help|assist)\b"
    # what the assistant needs first: "Please provide me with the clues you have", "This will
    # give me the information I need", "and I'll do my best to assist you"
    r"|\bplease\s+(?:provide|share|give\s+me|send|tell\s+me|paste|clarify|specify)\b"
    r"|\bgive\s+me\s+(?:the|a\s+better|more|a\s+clearer)\s+(?:\w+\s+)?(?:information|context|idea|"
    r"details|understanding|picture)\b"
    r"|\bi(?:'ll|\s+will)\s+do\s+my\s+best\s+to\s+(?:help|assist)\b"
    r"|\b(?:you|your)\b[^.!?]*\?\s*$"
    r"|\b(?:it(?:'s|\s+is)|is)\s+(?:important|essential|crucial|best)\s+to\b[^.!?]*\b(?:care|"
    r"respect\w*|sensitiv\w*|empathy|caution|compassion|dignity)\b",
    re.I,
)
# A pleasantry and nothing else: "That's a beautiful sentiment.", "What a great question!"
_PLEASANTRY = re.compile(
    r"(?:(?:that|it|this)(?:'s|\s+is)\s+|what\s+|how\s+)?(?:(?:a|an|such\s+an?|so|really)\s+)?"
    r"(?:great|good|wonderful|lovely|nice|beautiful|fascinating|interesting|excellent|fantastic|"
    r"thoughtful|profound|intriguing|fun|classic)(?:\s+[\w']+){0,3}\s*[.!]+",
    re.I,
)
_FRAGMENT = 12
"""Characters below which a piece of a sentence ("e.g.", a list number) says nothing."""
_EXCHANGE_SHARE = 0.6


_GREETING = re.compile(
    r"\A\W*(?:hi|hello|hey|hiya|howdy|greetings|good\s+(?:morning|afternoon|evening))\b", re.I
)


# Instructions whose answer is itself a message to someone, or a part to play: "write a reply
# to Sam", "make the response in the chat more empathic", "act as a support agent".
_MESSAGE_ASKED = re.compile(
    r"\b(?:e-?mails?|messages?|repl(?:y|ies)|respond|responses?|letters?|notes?|texts?|chat|"
    r"dialog(?:ue)?|conversation|invitations?|act\s+as|acting\s+as|pretend|role-?play)\b"
    # a text to transform: its own words, "please let me know" included, are the answer
    r"|\b(?:rewrite|rephrase|paraphrase|reword|proofread|translate)\w*\b"
    r"|\b(?:correct|edit|improve|fix|shorten|simplify|polish)\b[^.\n]{0,40}\b(?:sentence|text|"
    r"paragraph|passage|wording|phrase)s?\b",
    re.I,
)


# Instructions whose answer is a set of questions (to ask a candidate, a guest, a friend):
# "could you describe a time when...?" is then the deliverable, not talk to the user.
_QUESTIONS_ASKED = re.compile(r"\b(?:questions?|questionnaires?|quiz(?:zes)?|surveys?)\b", re.I)


def _talk_asked(task: str) -> bool:
    """Whether talk about the exchange may be the answer: the instructions are a greeting or
    small talk ("Hello there!", "How are you?"), ask for a message or a part to play, or for
    questions."""
    return (
        _GREETING.match(task) is not None
        or len(_keys(task)) < _TASK_WORDS
        or _MESSAGE_ASKED.search(task) is not None
        or _QUESTIONS_ASKED.search(task) is not None
    )


# A yes/no question about the assistant itself ("Can you think and feel like a human?", "Do
# you know German?", "Are you as capable as ChatGPT?"): what it cannot do or be is the
# answer. A request put as a question ("Can you help me...", "Can you write...") is none.
_ABOUT_YOU = re.compile(
    r"\A\W*(?:(?:can|could|do|does|are|is|have|will|would)\s+you|are\s+u)\s+"
    r"(?!(?:please|help|write|give|tell|make|create|provide|show|explain|list|generate|"
    r"recommend|suggest|find|describe|draft|compose|translate|summari[sz]e|design|plan|"
    r"build|code|fix|check|rewrite|edit|come)\b)[^.!?\n]{0,80}\?\s*\Z",
    re.I,
)


def _about_exchange(clean: str, sentences: list[str]) -> bool:
    """Whether the text is all talk about the exchange and none of the task: it opens and
    closes with sentences about the exchange and they make up most of it ("I'd be happy to
    help. Could you tell me your level? ... Let me know and I'll create an exercise."; "I'm
    here to promote respectful discussions. ... If you have other questions, feel free to
    ask!"). Code is the task's substance, never talk."""
    if "```" in clean:
        return False
    said = [s for s in sentences if len(s) >= _FRAGMENT]
    talk = [_EXCHANGE.search(s) is not None or _PLEASANTRY.fullmatch(s) is not None for s in said]
    if len(said) < 2 or not (talk[0] and talk[-1]):
        return False
    talked = sum(len(s) for s, t in zip(said, talk, strict=True) if t)
    return talked >= _EXCHANGE_SHARE * sum(len(s) for s in said)


_CONTENT_WORD = re.compile(r"[^\W\d_]{4,}")
_SUFFIX = re.compile(r"(?:ations?|ings?|ies|ed|es|s|ly)$")
_COMMON = frozenset(
    "that this these those with have your about what which there their would could should "  # noqa: SIM905
    "will from they them been were more some such into than then when where here also only "
    "very just like make information context details provide access real time please know "
    "today doing going thanks thank hello "
    "help sorry unfortunately language model assistant able given specific definitive "
    "definitively exact exactly enough need data without current answer question request "
    "possible impossible determine generate create write list give".split()
)
_TASK_WORDS = 2
"""Content words a hedge shares with the instructions to be about the task itself."""


def _keys(text: str) -> set[str]:
    words = (w.casefold() for w in _CONTENT_WORD.findall(text))
    return {_SUFFIX.sub("", w) if len(w) > 5 else w for w in words if w not in _COMMON}


def _names_task(sentence: str, task: str) -> bool:
    """Whether a hedge restates the task: it shares content words with the instructions, all
    of them when they have fewer ("What's the current date?": "date")."""
    asked = _keys(task)
    return bool(asked) and len(_keys(sentence) & asked) >= min(_TASK_WORDS, len(asked))


# The close of a text that still does not do the task: an inability, a decline, or a
# request for what would let it ("... details that could help me generate a tagline").
_CLOSING_REQUEST = re.compile(
    r"\b(?:information|details|context|specifics)\b[^.!?]{0,60}\b(?:help|allow|enable)\s+me\b"
    r"|\bif\s+you\s+(?:could\s+|can\s+)?(?:provide|share|give\s+me|tell\s+me)\b",
    re.I,
)


_REFINEMENT = re.compile(
    r"\bif\s+you\s+(?:need|want|'d\s+like|would\s+like|prefer)\b[^.!?]{0,40}\b(?:tailored|"
    r"specific|more|further|other|different|additional)\b",
    re.I,
)
# "If you meant something else by ..., please clarify": asked after the answer, not for it.
_MEANT_ELSE = re.compile(
    r"\bif\s+you\s+(?:meant|mean)\s+(?:something|anything)\s+(?:else|different)\b", re.I
)
# The task still to be done once the user answers: "details that could help me generate an
# original tagline" (not "help me refine the list").
_PENDING = re.compile(
    r"\b(?:help|allow|enable)\s+me\s+(?:to\s+)?(?:generate|create|write|provide|give|make|"
    r"recommend|suggest|answer|determine|identify|find|rank|categori[sz]e)\b",
    re.I,
)
_CONCESSION = re.compile(r"(?:so\s+|but\s+|and\s+)?(?:while|although|though|even\s+if)\b", re.I)


def _closes_declining(sentences: list[str], task: str) -> bool:
    """Whether one of the last two sentences declines the task again, after whatever came
    between ("Without clear criteria, I can't provide a definitive ranking.")."""
    for sentence in sentences[max(1, len(sentences) - 2) :][::-1]:  # not the opening itself
        pending = _PENDING.search(sentence) is not None
        if not pending and (_CONCESSION.match(sentence) or _REFINEMENT.search(sentence)):
            # "While I can't say for certain, the scene points to The Matrix."; "Please
            # provide more details if you need a description tailored to your role."
            continue
        kind = refusal_kind(sentence)
        asks = _CLOSING_REQUEST.search(sentence) is not None
        # The opening already named the task: one word of it names it again here.
        if (kind is not None or asks) and _keys(sentence) & _keys(task) and not _head(sentence)[1]:
            return True
    return False


# Advice on doing it oneself: "here are a few suggestions to help create an embossed
# picture". A substitute where the instructions ask for the thing, not for how to do it.
_ADVICE = re.compile(
    r"\A(?:here\s+(?:are|is)|(?:i|we)\s+can\s+(?:offer|give|provide|share|suggest))\s+(?:you\s+)?"
    r"(?:a\s+few\s+|some\s+|several\s+)?(?:\w+\s+)?(?:suggestions|tips|steps|ideas|pointers|"
    r"ways|resources)\s+(?:to\s+help|for\s+(?:how|finding|creating|making|getting)|on\s+how|"
    r"that\s+(?:can|could|may|might)\s+help)\b",
    re.I,
)
_HOW_TO = re.compile(
    r"\bhow\s+(?:do|can|should|would|could|to|does|did|is|are)\b|\btips?\b|\badvice\b|"
    r"\bsuggest\w*|\bsteps?\b|\bhelp\s+me\b|\bguid\w+|\bways?\s+to\b|\bideas?\b|\bwhere\b",
    re.I,
)


def _offers_substitute(sentences: list[str], task: str | None = None) -> bool:
    """A hedge in the first two sentences, followed by a substitute for the task ("It would
    be too much for one response, but I can provide a high-level overview"), or by advice on
    doing it oneself where the instructions ask for the thing itself."""
    for i in range(min(2, len(sentences))):
        if refusal_kind(sentences[i]) is not None:
            follow = _pivot_follow(sentences[i:])
            if _substitute(follow, task):
                return True
            if not follow and any(_substitute(f, task) for f in _later_pivots(sentences[i:])):
                # "Unfortunately I do not have enough context to provide detailed steps. A
                # steam engine converts heat into work. However, I would be happy to provide a
                # high-level overview": a sentence of background before the offer.
                return True
            return (
                bool(task)
                and bool(_ADVICE.match(follow))
                and not _HOW_TO.search(task or "")
                and not _ADVICE_ASKED.search(task or "")
            )
    return False


_SUBSTITUTE_NOUN = re.compile(
    r"\b(outline|summary|context|explanation|overview|description|tips|observations|guidance|"
    r"pointers|thoughts|example|question|insight|introduction|template|format|structure)s?\b",
    re.I,
)
_ADVICE_NOUNS = frozenset({"tips", "observations", "guidance", "pointers", "thoughts"})
_DIGESTS = frozenset({"overview", "summary"})
_DIGEST_ASKED = re.compile(r"\b(?:summar\w*|overview|outline|gist|recap)\b", re.I)


# An offer to do it in something the instructions do not name, or to do something else:
# "I can share the implementation in Python", "I can help you write it in a more traditional
# language", "I could write a poem about spring instead".
_ELSEWHERE = re.compile(
    r"\A(?:i|we)\s+(?:can|could|would\s+be\s+(?:happy|glad)\s+to|'d\s+be\s+(?:happy|glad)\s+to)\s+"
    # "I can also write it in TypeScript" adds to an answer given
    r"(?!(?:also|additionally)\b)(?:[^.!?]{0,80}?\b(?:in|using|with)\s+(?:(?:a|an)\s+(?:(?:more\s+)?\w+\s+)?(?:different|"
    r"another|other|traditional|conventional|standard|common|general-purpose)\b|(?P<name>(?-i:[A-Z])"
    r"[\w+#.-]*))|[^.!?]{0,120}\binstead\b)",
    re.I,
)


def _elsewhere(follow: str, task: str | None) -> bool:
    m = _ELSEWHERE.match(follow)
    if m is None:
        return False
    name = m.group("name")
    return name is None or not task or name.casefold() not in task.casefold()


# Help to do it oneself: "However, I can guide you on how to search for the most relevant
# questions", "I can help you form a plan to find those sentences".
_SELF_HELP = re.compile(
    r"\A(?:i|we)\s+(?:can|could|will|would\s+be\s+happy\s+to)\s+(?:(?:guide|help|walk|show)\s+you\s+"
    r"(?:on\s+|through\s+|with\s+)?how\s+(?:to|you\s+(?:can|could))\s+(?:search|find|look|locate|"
    r"get|access|obtain)\b|help\s+you\s+(?:form|make|create|put\s+together|come\s+up\s+with|"
    r"devise)\s+an?\s+(?:\w+\s+)?(?:plan|strategy)\b)",
    re.I,
)


def _substitute(follow: str, task: str | None) -> bool:
    """Whether what follows a hedge stands in for the task: not when the instructions ask
    for that very thing (a summary where a summary is asked, tips for "what should I do"),
    or it is the task in something else (``_ELSEWHERE``)."""
    if _elsewhere(follow, task):
        return True
    if _SELF_HELP.match(follow):
        return not (task and _ADVICE_ASKED.search(task))
    m = _SUBSTITUTE.match(follow)
    if m is None:
        return False
    if not task:
        return True
    noun = _SUBSTITUTE_NOUN.search(m.group(0))
    if noun is None:
        # "here are some general suggestions for books": the word after the match names
        # what is offered; where the instructions ask for it ("suggest other books"), it is
        # the answer, given in general terms.
        after = _NEXT_WORD.match(follow[m.end() :])
        general = _GENERAL_END.search(m.group(0)) is not None
        return not (general and after is not None and _asked(after.group(1), task))
    word = noun.group(1).casefold()
    if _asked(word, task):
        return False
    if word in _DIGESTS and _DIGEST_ASKED.search(task):
        return False  # an overview where a summary is asked is the summary
    return not (word in _ADVICE_NOUNS and _ADVICE_ASKED.search(task))


_NEXT_WORD = re.compile(r"\s*([^\W\d_]{4,})")
_GENERAL_END = re.compile(r"\b(?:general|generic)\s*\Z", re.I)
_STEM_CHARS = 6


def _asked(word: str, task: str) -> bool:
    """Whether the instructions ask for ``word``: a content word of theirs shares its stem
    ("suggestions" where they say "suggest", "recommendations" for "recommend")."""
    word, asked = word.casefold(), _keys(task)
    return bool(_keys(word) & asked) or any(
        len(k) >= _STEM_CHARS and word[:_STEM_CHARS] == k[:_STEM_CHARS] for k in asked
    )


# Instructions that ask for advice ("what should I do", "how can I", "any tips"); "suggest a
# few papers" asks for the papers.
_ADVICE_ASKED = re.compile(
    r"\bwhat\s+(?:should|can|could|do)\s+(?:i|we)\b|\bhow\s+(?:do|can|should|would|could|to)\b|"
    r"\btips?\b|\badvice\b|\bhelp\s+me\b|\bguid\w+|\bways?\s+to\b",
    re.I,
)


def _pivot_follow(sentences: list[str]) -> str:
    """What follows the pivot after an opening hedge ("However, I can provide..."), or ""."""
    _, after = _head(sentences[0])
    if after.strip():
        return after.strip()
    for sentence in sentences[1:4]:
        m = _PIVOT.match(sentence)
        if m is not None:
            return sentence[m.end() :].strip()
        if refusal_kind(sentence) is None and not _ABOUT_INPUT.search(sentence):
            break  # the answer, not more of the hedge ("Once you provide that, I can...")
    return ""


# "If you'd like, I can ...": an offer led in like a pivot.
_OFFER_LEAD = re.compile(
    r"if\s+you(?:'d|\s+would)\s+(?:like|prefer)\s*,\s*|if\s+you\s+(?:want|prefer)\s*,\s*", re.I
)


def _later_pivots(sentences: list[str]) -> list[str]:
    """What follows each pivot that opens one of the two sentences after the opening hedge's
    next one: an offer made after a sentence of background."""
    follows = []
    for sentence in sentences[2:4]:
        m = _PIVOT.match(sentence) or _OFFER_LEAD.match(sentence)
        if m is not None:
            follows.append(sentence[m.end() :].strip())
    return follows


# "A few examples that fit the pattern are:" then a list: some of the answer, given before
# asking for more (the close then refines, it does not wait for the task's input).
_EXAMPLES_LEAD = re.compile(
    r"\b(?:a\s+few|some|several)\s+(?:possible\s+)?examples\b"
    r"[^.!?]{0,60}(?:are|include|would\s+be)?\s*:\s*$",
    re.I,
)
_EXAMPLE_ITEMS = 2


def _gives_examples(sentences: list[str]) -> bool:
    """Whether a lead-in to examples of the answer is followed by at least two items."""
    for i, sentence in enumerate(sentences):
        if _EXAMPLES_LEAD.search(sentence):
            items = [s for s in sentences[i + 1 :] if not _ABOUT_INPUT.search(s)]
            return len(items) >= _EXAMPLE_ITEMS
    return False


# A sentence that says nothing about the question it follows a hedge on: "it depends on many
# complex factors", "there could be pros and cons", "it's a complex and personal decision".
_VACUOUS = re.compile(
    r"\bdepends?\s+on\s+(?:many|various|several|numerous|multiple|a\s+(?:number|variety|range)"
    r"\s+of|a\s+lot\s+of)\s+(?:\w+\s+){0,2}?factors\b"
    r"|\bpros\s+and\s+cons\b"
    r"|\b(?:is|it's)\s+(?:a\s+)?(?:very\s+|highly\s+)?(?:complex|nuanced|subjective|personal)\s+(?:and\s+"
    r"\w+\s+)?(?:question|issue|topic|matter|decision|choice)\b"
    r"|\bthere\s+(?:is|are)\s+no\s+(?:simple|easy|single|one-size-fits-all|right\s+or\s+wrong)\s+"
    r"answers?\b"
    # both sides named, neither given: "There are reasonable arguments on both sides."
    r"|\breasonable\s+(?:arguments|points|cases|views|perspectives)\b"
    r"|\breasonable\s+people\s+(?:can|may|might|could|often|will)\s+(?:\w+\s+)?disagree\b"
    r"|\barguments\s+(?:\w+\s+){0,2}?(?:for\s+and\s+against|on\s+(?:both|all|multiple|many|either|"
    r"different)\s+sides)\b"
    r"|\ba\s+matter\s+of\s+(?:personal\s+)?(?:opinion|perspective|debate|interpretation)\b",
    re.I,
)


def _answers_after(sentences: list[str], kind: Kind, task: str | None = None) -> bool:
    """Whether a limitation or a request for input is followed by the answer ("However, for
    a busy family a cat...") rather than by more of the same, a pointer elsewhere or a
    substitute ("However, I can provide an outline")."""
    _, after = _head(sentences[0])
    rest = list(sentences[1:])
    if not after.strip():
        # Further disclaimers ("As an AI assistant without access, ...") before the pivot;
        # a decline among them makes the whole a refusal.
        while rest and not _PIVOT.match(rest[0]):
            following = refusal_kind(rest[0])
            if following is None:
                break
            if following == "decline":
                return False
            rest.pop(0)
        if not rest:
            return False
        m = _PIVOT.match(rest[0])
        if m is None:
            # No pivot: the rest is the answer if it is more than a pointer elsewhere ("The
            # best pet depends on you; discuss it together") or more about what is missing
            # ("Things that would help provide more context include...").
            substantive = [
                s
                for s in rest
                if refusal_kind(s) is None
                and not _DEFLECTION.match(s)
                and not _VACUOUS.search(s)
                and not (kind == "missing_input" and _ABOUT_INPUT.search(s))
            ]
            if (
                kind == "missing_input"
                and any(_ASKS_INPUT.search(s) and not _MEANT_ELSE.search(s) for s in rest[-2:])
                and not _gives_examples(rest)
            ):
                return False  # it closes by asking for what it needs: no answer yet
            enough = sum(len(s) for s in substantive) >= 3 * _ANSWER_AFTER_PIVOT
            return enough or _gives_examples(rest)
        after, rest = rest[0][m.end() :], rest[1:]
    follow = after.strip()
    if _DEFLECTION.match(follow) or _substitute(follow, task):
        return False
    return len(" ".join([follow, *rest]).strip()) >= _ANSWER_AFTER_PIVOT
