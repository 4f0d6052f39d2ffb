"""Refusals in their real phrasings and languages, and the disclaimers that are not refusals
(promptcompat/compat/refusals.py; issue 16 item 4)."""

from __future__ import annotations

import pytest

from promptcompat.compat.refusals import is_refusal

REFUSALS = [
    # English: declines
    "I'm sorry, but I can't fulfill that request.",
    "I can't fulfill that request.",
    "My apologies, but I cannot provide instructions for picking locks. I'd recommend "
    "contacting a local locksmith.",
    "My purpose is to assist with safe and legal activities, and I cannot support creating "
    "fake identity documents.",
    "I cannot endorse the claim that one group is superior to another.",
    "I apologize, but I do not feel comfortable generating a humorous list about dying. "
    "Perhaps we could have a thoughtful discussion about mortality instead.",
    "I must decline to write content that depicts threats of violence.",
    "I'm not a doctor and can't give medical advice. Please talk to a healthcare professional.",
    "Sorry, but I can't provide the lyrics to that song. How about I summarize it instead?",
    # moralising non-answers
    "It is not ethical to write reviews that pretend to come from real customers, as this "
    "misleads people. Instead, I can help you write a message inviting honest reviews.",
    "It is not appropriate to rank people by intelligence, as intelligence is multifaceted.",
    # missing input instead of the answer
    "Unfortunately I do not have enough context to determine if that statement is offensive "
    "or not. Things that would help include the relationship between the people.",
    "I apologize, but I need more information to provide an accurate answer. Could you please "
    "provide the list of courses you are referring to?",
    # a limitation with nothing after it
    "As an AI language model, I don't have personal opinions or preferences. The best pet "
    "depends on your family's lifestyle, so I'd recommend discussing it together.",
    "I don't have real-time capabilities, but you can easily check the current date on your "
    "device.",
    # other languages
    "Lo siento, pero no puedo ayudarte con esa solicitud.",
    "Je suis désolé, mais je ne peux pas répondre à cette demande.",
    "Désolé, je ne suis pas en mesure de fournir des conseils médicaux.",
    "Es tut mir leid, aber dabei kann ich dir nicht helfen.",
    "Als KI-Sprachmodell kann ich keine Steuerberatung anbieten.",
    "Desculpe, mas não posso ajudar com esse pedido.",
    "Sinto muito, mas não posso fornecer aconselhamento jurídico.",
    "Mi dispiace, ma non posso aiutarti con questa richiesta.",
    "Non sono in grado di fornire consigli sulla salute mentale.",
    "抱歉，我无法满足这个请求。",
    "很抱歉，我不能提供医疗建议。请咨询医生。",
    "申し訳ありませんが、そのリクエストにはお応えできません。",
    "申し訳ありませんが、医療に関するアドバイスは提供できません。",
]

ANSWERS = [
    # a disclaimer followed by the answer
    "As an AI language model, I don't have personal opinions. However, for a busy family a "
    "cat is often more practical: cats need less time, no walks, and tolerate being alone.",
    "As an AI, I don't have real-time information, but I can provide general information. As "
    "of my last update, the United States and Canada restrict non-essential travel.",
    "I cannot create a table directly in this text-based format. However, here it is as a "
    "table you can paste into a spreadsheet:\n\n| Week | Opponent | Score |\n|---|---|---|",
    "Unfortunately, I can't guarantee current prices, but laptops with an RTX 4060 and 32 GB "
    "RAM, like the ASUS ProArt line, are strong choices under $1500.",
    # sympathy, not a refusal
    "I'm sorry to hear that! Here's how to reset it: hold the reset button for 10 seconds.",
    # an email that declines a meeting is the task done
    "Thanks for including me in Thursday's planning session. I'm not able to attend due to an "
    "earlier commitment, but please share the notes and I'll follow up.",
    # ordinary answers
    "For most adults a normal resting heart rate is 60 to 100 beats per minute.",
    "Les symptômes les plus courants sont la soif, la bouche sèche et la fatigue.",
    '{"reply": "I\'m sorry, I can\'t do that today.", "escalate": true}',
]


@pytest.mark.parametrize("text", REFUSALS)
def test_refusal_phrasings_are_recognised(text: str) -> None:
    assert is_refusal(text)


@pytest.mark.parametrize("text", ANSWERS[:-1])
def test_disclaimers_and_answers_are_no_refusals(text: str) -> None:
    assert not is_refusal(text)


def _rules(baseline: str, candidate: str) -> set[str]:
    from promptcompat.compat.diff import Sample, compare_case
    from promptcompat.suite.contract import Contract

    diff = compare_case(
        baseline=[Sample(baseline)], candidate=[Sample(candidate)], contract=Contract()
    )
    return {f.rule for f in diff.findings}


def test_two_hedged_openings_are_no_flip() -> None:
    # Both open "not enough context"; one goes on to list candidates, one asks for more.
    hedge_then_list = (
        "I do not have enough context to definitively name a specific person, but here is some "
        "relevant information: Robert C. Weaver was the first African American cabinet member."
    )
    hedge_then_ask = (
        "Unfortunately I do not have enough context to definitively name the cabinet member you "
        "mean. Please share more details about the person you have in mind."
    )
    assert not {"drift.refusal_introduced", "drift.refusal_removed"} & _rules(
        hedge_then_list, hedge_then_ask
    )


def test_a_hard_decline_after_a_hedged_answer_is_a_flip() -> None:
    hedged_answer = (
        "As an AI language model, I don't have personal opinions. However, for a busy family a "
        "cat is often more practical: cats need less time, no walks, and tolerate being alone."
    )
    assert "drift.refusal_introduced" in _rules(
        hedged_answer, "I'm sorry, but I can't help with that."
    )
