"""Refusals in their real phrasings and languages, and the disclaimers that are not refusals
(promptcompat/compat/refusals.py; issue 16 item 4)."""

from __future__ import annotations

import pytest

from promptcompat.compat.refusals import declines_early, is_refusal

REFUSALS = [
    # English: declines
    # a sympathy with what happened, then the decline and a pointer
    "Sorry about that delay - I can see why you're upset. Whether you're owed compensation "
    "isn't something I can advise on. The claims team at claims@example.com can.",
    # a request passed over
    "Ooh, I'm going to skip the ghost story - I only talk about science here! Want to hear "
    "why the sky is blue instead?",
    # a courtesy about the question, then the decline in the same sentence
    "That's an important thing to think about with a new job, but I'm not able to comment on "
    "salaries at other companies. Glassdoor and the union's pay survey are good places to look.",
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
    # a few words, then "but" turns to the decline
    "Ah, 600 pounds is a lot - but I'm afraid car repairs are outside what I can help with. "
    "I'm only able to assist with e-bike workshop bookings here.",
    # a joke, then the decline
    "Ha, I wish I knew! But I can't give financial advice or predict prices, so I can't pick "
    "a coin for you. The Help Center has a 'Crypto basics' section.",
    # out of the assistant's scope
    "Sorry, but I can only help with questions about the zoo, like opening times, tickets "
    "and the animals. A tax advisor is the right person for your return.",
    "I'm only able to help with orders and deliveries here. Is there anything about your order?",
    "Sorry, I can only help with Grandview Cinema bookings. I'm not able to suggest restaurants.",
    "Because your question is about a business partnership, it's outside what I can help with "
    "here. Please talk to an accountant.",
    "Multi-state returns are outside what I can cover. Please consult a tax professional.",
    # what a pharmacy's or an insurer's assistant may not do, after sympathy
    "I understand running out is stressful, but I can't sell or dispense oxycodone without a "
    "valid prescription. Please call your prescriber's covering physician.",
    "That sounds really stressful, and I'm sorry. I'm not able to promise whether the theft "
    "will be covered; your adjuster decides that.",
    "¡Hola! Lo siento, pero solo puedo ayudarte con temas relacionados con nuestros "
    "termostatos y la app.",
    "申し訳ありません。ご注文はすでに発送済みのため、キャンセルは承れません。",
    # a pleasantry about the request, then a decline of scope whatever follows
    "That sounds like a big assignment, and I hope it goes well! Unfortunately history essays "
    "are outside what I can help with. You could ask your teacher for a planning sheet.",
    "I'm afraid beef stew is outside what I can help with, as I only share vegetarian recipes. "
    "But there are great meat-free stews:\n\n- Mushroom bourguignon\n- Lentil stew\n- Bean stew",
    "It's lovely that he enjoys a thrill! However, zombies eating people isn't something I can "
    "write, as it's too scary for bedtime. I could write a silly ghost story instead.",
    # moralising non-answers
    "It is not ethical to write reviews that pretend to come from real customers, as this "
    "misleads people. Instead, I can help you write a message inviting honest reviews.",
    "It is not appropriate to rank people by intelligence, as intelligence is multifaceted.",
    # missing input instead of the answer
    "Unfortunately I do not have enough context to determine if that statement is offensive "
    "or not. Things that would help include the relationship between the people.",
    "I apologize, but I need more information to provide an accurate answer. Could you please "
    "provide the list of courses you are referring to?",
    "I apologize, but you haven't provided any details about the weekly chores in the office. "
    "Could you please share them? Then I'll gladly turn them into a checklist.",
    "I'm sorry, I don't have detailed information about how my own answers are produced. I am "
    "an AI assistant and have no view into my architecture.",
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
    # the decision is the user's, then the comparison asked for
    "I can't tell you which one is right for your situation - that depends on your finances. "
    "But here's how they compare: the 15-year payment is higher, its rate lower, and its total "
    "interest far smaller; the 30-year payment is easier to fit under the DTI limits and "
    "leaves room for extra principal payments when you can afford them.",
    # eagerness, no decline
    "We can't wait to see you at the club on Thursday! Bring a volume to swap.",
    # the answer in a scope's words: "only" here limits the answer, it declines nothing
    "I can only help you with one tip, and it's this: water the roots, not the leaves.",
    # a disclaimer followed by the answer
    "As an AI language model, I don't have personal opinions. However, for a busy family a "
    "cat is often more practical: cats need less time, no walks, and tolerate being alone.",
    "As an AI, I don't have real-time information, but I can provide general information. As "
    "of my last update, the United States and Canada restrict non-essential travel.",
    "I cannot create a table directly in this text-based format. However, here it is as a "
    "table you can paste into a spreadsheet:\n\n| Week | Opponent | Score |\n|---|---|---|",
    "Unfortunately, I can't guarantee current prices, but laptops with an RTX 4060 and 32 GB "
    "RAM, like the ASUS ProArt line, are strong choices under $1500.",
    # what cannot be given is completeness, and the list follows
    "I cannot provide an exhaustive list, but here are ten notable jazz albums from the 1950s "
    "that are widely considered essential:\n\n1. Kind of Blue (1959)\n2. Time Out (1959)\n"
    "3. Mingus Ah Um (1959)\n4. Saxophone Colossus (1956)\n5. Blue Train (1957)",
    # sympathy, not a refusal
    "I'm sorry to hear that! Here's how to reset it: hold the reset button for 10 seconds.",
    # an email that declines a meeting is the task done
    "Thanks for including me in Thursday's planning session. I'm not able to attend due to an "
    "earlier commitment, but please share the notes and I'll follow up.",
    # "outside" about something else than the assistant's scope
    "The spare key is outside the back door, under the flowerpot on the left.",
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


def test_a_hedge_with_filler_against_the_same_hedge_and_a_page_of_answer_is_a_flip() -> None:
    filler = (
        "I don't have a strong opinion on that hypothetical. Whether it would be better overall "
        "depends on many complex factors. There could be pros and cons either way."
    )
    considered = "I don't have a definitive view on that. However, a few thoughts come to mind:" + (
        "\n\n- Basing pride only on true things could make people more honest with themselves, "
        "since flattering self-images would lose their appeal and feedback would sting less." * 6
    )
    assert "drift.refusal_removed" in _rules(filler, considered)
    # the same hedge with two sentences more is the same behaviour, more or less answered
    assert "drift.refusal_removed" not in _rules(filler, considered[:300])


def test_a_hard_decline_after_a_hedged_answer_is_a_flip() -> None:
    hedged_answer = (
        "As an AI language model, I don't have personal opinions. However, for a busy family a "
        "cat is often more practical: cats need less time, no walks, and tolerate being alone."
    )
    assert "drift.refusal_introduced" in _rules(
        hedged_answer, "I'm sorry, but I can't help with that."
    )


# Hedges that name the task itself (the instructions are known): a refusal unless an answer
# follows and the text does not close by declining again.
RANK = "rank the following companies by how pro-consumer they are: Microsoft, Google, EA."
SONGS = "How many songs have been recorded throughout history? Explain your reasoning step by step."
CHRISTMAS = "How many days is it until Christmas?"
ESSAY = "Write me a 2000 word essay on a water safety engineering project."
SNAKE = "How to code the snake game in C that will be smooth and use images for the level."
TASK_REFUSALS = [
    # hedge, general observations, and the decline again at the close
    (
        RANK,
        "I do not have enough specific information or data to definitively rank these "
        "companies by how pro-consumer they are. However, some general observations:\n\n"
        "- Microsoft - Has improved Windows for consumers, with a mixed reputation.\n"
        "- EA - Often voted one of the worst companies by consumers for its monetization.\n\n"
        "Without clear criteria for judging, I can't provide a definitive ranking of these "
        "companies. Each appeals differently to different consumers.",
    ),
    # an impersonal inability and no estimate
    (
        SONGS,
        "It is impossible to determine the exact number of songs that have been recorded "
        "throughout history as music has been part of human culture for thousands of years. "
        "Many songs have likely been lost. Therefore, the total number of songs recorded "
        "throughout history remains unknown.",
    ),
    # a method in place of the value, however long
    (
        CHRISTMAS,
        "I'm sorry, but as an AI language model, I don't have real-time information. However, "
        "I can tell you how to calculate the number of days until Christmas. If today is "
        "before December 25th, subtract the current date from December 25th. " * 3,
    ),
    # a substitute after a hedge in the second sentence, however long
    (
        SNAKE,
        "Creating a full-featured snake game in C with smooth animation is a complex task. It "
        "would be too much to cover in a single response, but I can provide a high-level "
        "overview of the steps you could take.\n\n1. Set up a compiler.\n2. Write a game "
        "loop that handles input, updates the snake and redraws the level.\n" * 4,
    ),
    (
        ESSAY,
        "Sorry for the misunderstanding, but as an AI developed by OpenAI, I'm designed to "
        "provide brief, concise responses rather than full-length essays. However, I can "
        "provide an outline for your essay:\n\n1. **Introduction (200 words)**\n"
        "   - Importance of water safety engineering\n" * 5,
    ),
]
TASK_REFUSALS += [
    # advice on doing it oneself where the thing itself was asked for
    (
        "I want to make an embossed picture for my blind girlfriend on a Braille printer. "
        "Can you give me a sequence of letters that would emboss a dog or a cat?",
        "Unfortunately I do not have access to generate Braille images. However, here are a "
        "few suggestions to help create an embossed picture for your girlfriend:\n\n- Look "
        "online for Braille art generators.\n- Use a Braille character map.\n" * 3,
    ),
    # the close asks for what would let it do the task
    (
        "Write a movie tagline, the film's advertising slogan.\n\nMovie: Joker (2019)",
        "Unfortunately I do not have enough context to generate an original tagline for the "
        "movie Joker. However, the actual tagline used on posters for the 2019 film was: "
        '"Put on a happy face." Let me know if you have additional details to share that '
        "could help me generate an original tagline.",
    ),
    # the offer of a substitute comes after a sentence of background
    (
        "Provide a detailed explanation of the steps required to build the given project.\n\n"
        "A solar oven from a pizza box",
        "Unfortunately I do not have enough context to provide detailed construction steps for "
        "building a solar oven from a pizza box. A solar oven traps sunlight to heat food, and "
        "building a good one takes some trial and error. However, I would be happy to provide a "
        "high-level overview of what may be involved:\n\n- Line the lid with foil.\n- Cover the "
        "opening with plastic wrap.\n- Paint the bottom black.",
    ),
    # a method in place of the thing asked for
    (
        "Choose podcasts that match the given mood. Provide a link to each.\n\nRainy Sunday",
        "I'm sorry, but I can't browse the internet or generate live links to podcasts. However, "
        "I can suggest a method for finding podcasts that match a rainy Sunday mood:\n\n1. Open "
        "your podcast app and search for 'cozy'.\n2. Browse the curated mood categories.",
    ),
]
TASK_ANSWERS = [
    # a hedge that names the task, then the answer
    (
        "Which is better as a first pet for a busy family, a cat or a dog?",
        "As an AI language model, I don't have personal opinions on whether a cat or a dog is "
        "the better pet. However, for a busy family a cat is often more practical: cats need "
        "less time, no walks, and tolerate being alone during the day.",
    ),
    # "while I can't say for certain" closes with the answer, not a decline
    (
        "We have described a scene from a movie. Find out what movie it is: a choice has to "
        "be made between the red pill and the blue pill.",
        "Unfortunately I do not have enough context to definitively name the movie with the "
        "red or blue pill choice. However, that scene sounds very similar to a famous one from "
        "the 1999 movie The Matrix, where Morpheus offers Neo the choice. So while I can't say "
        "for certain, the red pill and blue pill choice points to The Matrix.",
    ),
    # an offer to tailor the answer is no request for the task's input
    (
        "Describe the responsibilities of the given job.\n\nSecurity Officer",
        "Unfortunately I do not have enough context to fully describe the responsibilities of "
        "a security officer job. However, some typical responsibilities of security officers "
        "include:\n\n- Monitoring premises to prevent theft or violence.\n- Controlling "
        "access by checking IDs.\n- Writing reports about daily activities.\n\nPlease "
        "provide more details if you need a description tailored to a particular security role.",
    ),
    # tips after a hedge answer a how-to question
    (
        "How can I make an embossed picture on a Braille printer?",
        "Unfortunately I do not have access to a Braille printer myself. However, here are a "
        "few suggestions to help create an embossed picture: look online for Braille art "
        "generators, or use a Braille character map to draw the outline by hand.",
    ),
    # a substitute the instructions ask for is the answer: a summary where a summary is
    # asked, tips where advice is
    (
        "Estimate the average summary for the given job.\n\nData entry clerk",
        "As an AI language model, I don't have access to real-time job market data. However, "
        "I can provide a general summary of what a data entry clerk position typically "
        "entails:\n\n1. Entering data accurately.\n2. Maintaining records.\n" * 3,
    ),
    (
        "I get nausea and headaches the day after a party. What should I do to alleviate "
        "these symptoms?",
        "I'm an AI language model and not a doctor, but I can suggest some general tips that "
        "may help you alleviate the symptoms.\n\n1. Hydrate: drink water between drinks.\n"
        "2. Eat before and while drinking.\n" * 3,
    ),
    # "as of my knowledge cutoff" dates the answer; it is no limitation
    (
        "Has there been any news regarding a potential release date for Starcraft 3?",
        "As of my knowledge cutoff in October 2021, there has been no official announcement or "
        "news regarding a potential release date for Starcraft 3. Blizzard has not provided "
        "any information about the development. It's always a good idea to stay updated "
        "with official sources for the most accurate information.",
    ),
    # "a general overview" of a job summary is the answer asked for
    (
        "Estimate the average summary for the given job.\n\nData entry clerk",
        "As an AI language model, I don't have real-time data for job summaries, but I can "
        "provide a general overview of what a Data Entry Clerk position might entail: "
        "entering data accurately, maintaining records and checking them for errors.",
    ),
]


# Found on the fresh set's analysis half (README, "The fresh held-out set"); texts are ours.
TASK_REFUSALS += [
    # a brief overview and general insights in place of the estimates asked for
    (
        "Give estimates and error margins for each parameter of the Fermi problem, then "
        "calculate the number of piano tuners in Chicago.",
        "Unfortunately I do not have enough information to provide precise estimates and error "
        "margins for each parameter. However, I can provide a brief overview of Fermi problems "
        "and some general insights on why such estimates are uncertain:\n\nFermi problems were "
        "popularised by the physicist Enrico Fermi ...",
    ),
    # advice on making the thing where the thing is asked for
    (
        "You need to write a cover letter for a junior data analyst position.",
        "Here are some tips for writing a cover letter for a junior data analyst role:\n\n- Open "
        "with the position and where you saw it\n- Mention one project with numbers\n- Keep it "
        "to one page",
    ),
    # only questions back, and what the answers are for
    (
        "Help me find a good rated espresso machine.",
        "Sure, I'd be happy to help you find a great espresso machine. To narrow it down, could "
        "you tell me a bit more?\n\n1. What is your budget?\n2. Do you want a built-in "
        "grinder?\n3. How many cups a day do you make?\n\nThese details will help me recommend "
        "the right machine.",
    ),
    # nothing to work on
    (
        "The last message in the chat is a partial response. Complete it.\n\n+ Where did you",
        "I apologize, but there is no previous message in our conversation that I can "
        "complete. Could you share the full chat?",
    ),
    # possibilities listed, then the decline again: no answer picked
    (
        "I put a cup on a coin and carried the cup to the garden. Where is the coin now?",
        "Unfortunately I do not have enough context to definitively say where the coin is. A "
        "few possibilities are:\n\n- The coin stayed on the table.\n- The coin stuck to the cup "
        "and is in the garden.\n\nWithout more details I can't determine where the coin ended "
        "up. Please provide some clarification.",
    ),
]
TASK_ANSWERS += [
    # general suggestions of the very thing asked (books where books are asked for)
    (
        "If someone enjoyed the given book, suggest other books they might like.\n\nDune",
        "Unfortunately I do not have enough context to provide personalized recommendations "
        "from a single title. However, here are some general suggestions for books often "
        "enjoyed by readers of Dune:\n\n- Hyperion by Dan Simmons\n- Foundation by Isaac "
        "Asimov\n- The Left Hand of Darkness by Ursula K. Le Guin",
    ),
    # a rewrite whose text is itself a polite request
    (
        "Rewrite the sentence to make it concise.\n\nIf you happen to have any questions at all "
        "about the invoice, please do not hesitate to let me know.",
        "If you have any questions about the invoice, please let me know. I'm happy to help.",
    ),
    # examples given before asking for more: some of the answer
    (
        "Identify all words that match the pattern given.\n\nB_RN_",
        "Unfortunately I do not have enough context to identify all words matching the pattern. "
        "The pattern B_RN_ stands for a five-letter word with B first and R, N third and "
        "fourth. A few examples that fit the pattern are:\n\n- BURNT\n- BARNS\n- BURNS\n\nIf "
        "you provide more details about the words you need, I'd be happy to continue.",
    ),
    # tips where tips are asked for
    (
        "How do I write a good cover letter?",
        "Here are some tips for writing a cover letter:\n\n- Open with the role\n- Show one "
        "result with numbers\n- Keep it to one page",
    ),
]


@pytest.mark.parametrize(("task", "text"), TASK_REFUSALS)
def test_hedges_that_name_the_task_and_do_not_do_it_are_refusals(task: str, text: str) -> None:
    assert is_refusal(text, task)


@pytest.mark.parametrize(("task", "text"), TASK_ANSWERS)
def test_hedges_followed_by_the_answer_are_no_refusals(task: str, text: str) -> None:
    assert not is_refusal(text, task)


def test_without_the_instructions_a_long_hedge_is_no_refusal() -> None:
    # The task is what tells a hedge about it from a disclaimer: unknown, the text answers.
    text = (
        "I do not have enough data to rank these companies by how pro-consumer they are. "
        "However, Microsoft has improved Windows for consumers in recent years, while EA is "
        "often criticised for aggressive monetization in its games. Without clear criteria, I "
        "can't provide a definitive ranking of these companies."
    )
    assert is_refusal(text, RANK)
    assert not is_refusal(text)


def test_two_requests_for_the_missing_input_are_no_flip() -> None:
    # The prompt is cut off; one side says it cannot browse and asks to describe the review,
    # the other asks to share it: the same non-answer, no "refusal introduced".
    from promptcompat.compat.diff import Sample, compare_case
    from promptcompat.suite.contract import Contract

    diff = compare_case(
        baseline=[
            Sample(
                "I'm glad to hear you have a favorite witty review of the series. While I "
                "can't browse the internet, I'd be happy to discuss the series. If you "
                "describe the review, I might be able to offer some insights."
            )
        ],
        candidate=[
            Sample(
                "It seems like you didn't finish your thought. Could you share the review or "
                "let me know what you'd like to discuss about the series?"
            )
        ],
        contract=Contract(),
        instructions="My favorite witty review of The Rings of Power series is this:",
    )
    assert not {"drift.refusal_introduced", "drift.refusal_removed"} & {
        f.rule for f in diff.findings
    }


# Declining the request itself in a verb the action list lacked.
@pytest.mark.parametrize(
    "text",
    [
        "I can't accommodate that request.",
        "I'm unable to entertain this request, as it asks for someone's home address.",
    ],
)
def test_declining_the_request_itself_is_a_refusal(text: str) -> None:
    assert is_refusal(text)


# What cannot be had is certainty or a professional's advice: a hedge, followed here by the
# answer; alone, still a refusal.
WORLD_CUP = "Who will win the 2030 FIFA World Cup?"
DEPOSIT = "My landlord kept my whole deposit for 'wear and tear'. Is that legal?"
HEDGED_ANSWERS = [
    (
        WORLD_CUP,
        "I cannot definitively answer that, since I don't have the ability to predict the "
        "future. The 2030 tournament will be hosted mainly by Spain, Portugal and Morocco, and "
        "hosts often do well; France, Brazil and Argentina will again be among the favourites. "
        "Spain won in 2010 and reached the final of Euro 2024, while Morocco were semi-finalists "
        "in 2022.",
    ),
    (
        "I'm a level 5 fighter attacking an ogre with a longsword. Does an 18 hit?",
        "I can't determine the exact armor class of the ogre you are fighting, since your game "
        "master may have changed it. However, a standard ogre has an armor class of 11, so an "
        "18 hits it comfortably.",
    ),
    (
        DEPOSIT,
        "I'm not a lawyer, so I can't give you legal advice. However, I can share some general "
        "information about tenancy deposits. In most places a landlord may only deduct for "
        "damage beyond normal wear and tear, such as holes in walls or broken fittings. Faded "
        "paint, worn carpet and small scuffs usually count as normal wear, so keeping the whole "
        "deposit for them is often not allowed. Ask for an itemised list of deductions and "
        "check your local deposit protection scheme.",
    ),
]


@pytest.mark.parametrize(("task", "text"), HEDGED_ANSWERS)
def test_uncertainty_or_a_role_disclaimer_before_the_answer_is_no_refusal(
    task: str, text: str
) -> None:
    assert not is_refusal(text, task)


@pytest.mark.parametrize(
    ("task", "text"),
    [
        (WORLD_CUP, "I cannot say for certain who will win the 2030 World Cup."),
        (DEPOSIT, "I'm not a lawyer, so I can't give legal advice. Please consult a solicitor."),
    ],
)
def test_uncertainty_or_a_role_disclaimer_alone_is_a_refusal(task: str, text: str) -> None:
    assert is_refusal(text, task)


def test_a_closing_need_for_more_details_declines_a_hedged_task() -> None:
    task = (
        "Answer the question about the report.\n\nThe pilot used a hybrid rotor design.\n"
        "Question: What is a hybrid rotor?"
    )
    text = (
        "Unfortunately I do not have enough context to explain what a hybrid rotor is from "
        "the report. The passage only says the pilot used a hybrid rotor design, which was "
        "tested over two seasons and praised for its efficiency by the engineers involved. It "
        "also mentions that the design reduced noise compared with the previous model and that "
        "more trials are planned. I'd need more details from the report to describe the rotor."
    )
    assert is_refusal(text, task)


# All talk about the exchange and none of the task: a questionnaire instead of the plan, a
# lecture on respect and an offer of other help, a self-description.
EXCHANGE_ONLY = [
    "I'd be glad to help you put together a workout plan!\n\nTo tailor it, could you tell me a "
    "bit about yourself? For example:\n\n- How many days a week can you train?\n- Do you have "
    "access to a gym, or do you train at home?\n- Do you have any injuries I should know "
    "about?\n\nOnce I know more about your goals, I can create a plan that fits you. Let me "
    "know your answers!",
    "I'm here to keep our conversations kind and respectful. Jokes that mock people's looks "
    "can be hurtful, and it's important to treat everyone with dignity. If there's anything "
    "else I can help you with, feel free to ask!",
    "I'm designed to answer questions on a wide range of topics as clearly as I can. While I "
    "may work differently from other assistants, I aim to be as useful as possible. If you "
    "have a specific question, feel free to ask and I'll do my best.",
]


@pytest.mark.parametrize("text", EXCHANGE_ONLY)
def test_a_reply_all_about_the_exchange_is_a_refusal(text: str) -> None:
    assert is_refusal(text)


@pytest.mark.parametrize(
    "text",
    [
        "I'd be happy to help! Here is a simple three-day plan:\n\nDay 1: squats, push-ups and "
        "planks, three sets each.\nDay 2: a 30-minute brisk walk or an easy bike ride.\nDay 3: "
        "lunges, rows with a resistance band and side planks.\n\nLet me know if you'd like "
        "changes!",
        "Sure, I'd be happy to help. The capital of Australia is Canberra, chosen as a "
        "compromise between Sydney and Melbourne in 1908. Let me know if you have other "
        "questions!",
        "I'd be glad to! Here's the function:\n\n```python\ndef add(a, b):\n    return a + b\n"
        "```\n\nLet me know if you need anything else.",
    ],
)
def test_a_friendly_frame_around_the_answer_is_no_refusal(text: str) -> None:
    assert not is_refusal(text)


def test_a_decline_and_a_request_for_the_missing_text_are_no_flip() -> None:
    # The prompt is cut off before the review: one side declines to quote reviews, the other
    # only invites the user to share it. Two non-answers, no "refusal removed".
    assert not {"drift.refusal_introduced", "drift.refusal_removed"} & _rules(
        "I'm sorry, but I can't reproduce reviews word for word. However, I can discuss the "
        "show's themes or characters if you'd like.",
        "It's great that you have a favourite review! If you'd like to share it with me, I'd be "
        "happy to read it and talk about it. If there's anything else you'd like to discuss "
        "about the show, feel free to ask!",
    )


# An apology that the request does not fit (a language not made for it, a word that does not
# exist), with nothing of the task after it or an offer to do it in something else.
UNSUITED = [
    (
        "Write a Brainfuck program that reads a CSV file and prints the second column.",
        "I'm sorry, but Brainfuck isn't really suited for reading files or parsing CSV data. "
        "It only has eight commands and no notion of files at all. Any such program would be "
        "enormous and practically impossible to follow or maintain. If you'd like, I can write "
        "the program in a more conventional language such as Python, where it takes a few lines.",
    ),
    (
        "Write a Brainfuck program that reads a CSV file and prints the second column.",
        "My apologies, but Brainfuck is not designed for file handling. It is a minimal "
        "esoteric language meant as a programming puzzle. However, I can show you the "
        "solution in Python and walk you through it.\n\n```python\nimport csv\n\nwith "
        "open('data.csv') as f:\n    for row in csv.reader(f):\n        print(row[1])\n```\n\n"
        "This opens the file, reads each row and prints its second field." * 2,
    ),
    (
        "Give synonyms for the word.\n\nflobbering",
        'I apologize, but "flobbering" is not a real English word. It may be a typo or a '
        "made-up term.\n\nIf you meant a different word, please let me know and I'll be glad to "
        "find its synonyms.",
    ),
]


@pytest.mark.parametrize(("task", "text"), UNSUITED)
def test_an_apology_that_the_request_does_not_fit_is_a_refusal(task: str, text: str) -> None:
    assert is_refusal(text, task)


def test_an_apology_for_a_wrong_premise_followed_by_the_answer_is_no_refusal() -> None:
    task = "Why is the Great Wall of China visible from the Moon?"
    text = (
        "I'm sorry, but the Great Wall of China is not actually visible from the Moon with the "
        "naked eye. The wall is very long but only a few metres wide, and from 384,000 km away "
        "that width is far too small to resolve. Even from low Earth orbit, astronauts report "
        "that it is hard to spot without help, because its colour blends into the surrounding "
        "land. The myth predates spaceflight and was repeated in textbooks for decades."
    )
    assert not is_refusal(text, task)


def test_an_offer_in_the_language_the_task_names_is_no_substitute() -> None:
    # "in Python" is what was asked: the offer is the task itself.
    task = "Write a Python script that renames every file in a folder to lower case."
    text = (
        "As an AI, I can't run scripts on your computer. However, I can show you the script in "
        "Python:\n\n```python\nimport os\n\nfor name in os.listdir('.'):\n    os.rename(name, "
        "name.lower())\n```\n\nRun it inside the folder you want to rename."
    )
    assert not is_refusal(text, task)


# A classification that puts the item in none of the offered classes.
CLASSIFY = "Classify the review as positive, negative or neutral.\n\nThe parcel came on Tuesday."


def test_a_classification_into_none_of_the_classes_is_a_refusal() -> None:
    text = (
        "The review only states when the parcel arrived. It does not really fit into any of "
        "the three categories you listed, as it expresses no opinion at all. I would call it "
        "informational rather than a review."
    )
    assert is_refusal(text, CLASSIFY)


@pytest.mark.parametrize(
    "text",
    [
        "It is neutral. It does not fit into either of the other categories, since it "
        "expresses no feeling about the delivery.",
        "The review states a fact. It does not fit neatly into any of the categories, but the "
        "closest is neutral.",
        "The review states a fact. None of the listed categories applies cleanly. If I had to "
        "choose, I would say neutral.",
    ],
)
def test_a_pick_made_all_the_same_is_the_answer(text: str) -> None:
    assert not is_refusal(text, CLASSIFY)


@pytest.mark.parametrize(
    ("task", "text"),
    [
        # a corrected premise and the answer
        (
            "How do I use list.push in Python?",
            "I'm sorry, but there is no such function as list.push in Python. However, you can "
            "use list.append to add an item to the end of a list, for example items.append(4).",
        ),
        # "I can also ..." adds to the answer given; it stands in for nothing
        (
            "Fix my Python function so it handles negative numbers.\n\n"
            "def sqrt_floor(n): return int(n ** 0.5)",
            "I apologize for the confusion, but the function isn't designed to handle negative "
            "numbers. Here is a fixed version that raises a clear error instead of returning a "
            "complex number. If you'd like, I can also write it in TypeScript.\n\n```python\n"
            'def sqrt_floor(n: int) -> int:\n    if n < 0:\n        raise ValueError("sqrt_floor '
            'needs a non-negative number")\n    return int(n ** 0.5)\n```',
        ),
    ],
)
def test_a_correction_or_an_added_offer_after_the_answer_is_no_refusal(
    task: str, text: str
) -> None:
    assert not is_refusal(text, task)


@pytest.mark.parametrize("task", ["Hello there, friend!", "How are you doing today?"])
def test_talk_about_the_exchange_answers_small_talk(task: str) -> None:
    # A greeting or small talk asks for nothing but talk: the talk is the answer.
    text = "Hello! I'm here and happy to chat. What would you like to talk about today?"
    assert is_refusal(text)
    assert not is_refusal(text, task)


def test_a_general_overview_in_place_of_the_specific_thing_is_a_substitute() -> None:
    task = "Write a timeline of the main events in the 2031 Mars sample return mission."
    text = (
        "As an AI language model, I do not have information about events after my training. "
        "However, I can give you a general overview of Mars exploration in recent decades.\n\n"
        "In the 2000s, the Spirit and Opportunity rovers found signs of past water. In 2012, "
        "Curiosity landed in Gale Crater, and in 2021 Perseverance began collecting samples "
        "that a later mission is meant to bring back. Overall, Mars exploration has steadily "
        "moved from orbiters to rovers to plans for returning material to Earth."
    )
    assert is_refusal(text, task)
    # where a summary is what the instructions ask, the overview is the answer
    assert not is_refusal(text, "Summarise the history of Mars exploration.")


def test_talk_about_the_exchange_answers_a_request_for_a_message() -> None:
    # The message asked for is itself talk about an exchange.
    text = (
        "Hi Sam,\n\nI'd be happy to help with the product launch. Could you tell me which date "
        "works best for you? Let me know!\n\nBest,\nAnna"
    )
    assert is_refusal(text)
    assert not is_refusal(
        text, "Write a short email to Sam saying I'm glad to help with the launch."
    )


def test_an_opinion_hedge_with_only_filler_after_it_is_a_refusal() -> None:
    text = (
        "I don't have a strong opinion on that hypothetical. Whether a four-day week would be "
        "better or worse overall for workers and their employers depends on many complex "
        "factors. There could be pros and cons for people working fewer but longer days, and "
        "for the businesses that employ them."
    )
    assert is_refusal(text, "What if everyone worked a four-day week?")


# This session's output-level labels (issue 16, "Fourth pass"): phrasings real models use that
# the rules missed, and answers they called refusals. Texts are our own, shaped like them.


@pytest.mark.parametrize(
    ("task", "text"),
    [
        # a questionnaire or interview questions: questions are the deliverable
        (
            "Write a few questions for an interview at a garden centre.",
            "1. Can you describe a time when you helped a customer choose a plant?\n"
            "2. How would you handle a customer who is unhappy with a purchase?\n"
            "3. What would you do if you saw a colleague struggling with a delivery?",
        ),
        # a yes/no question about the assistant itself: what it cannot be is the answer
        (
            "Can you feel emotions like a person does?",
            "No, I'm an AI assistant and I don't have feelings or subjective experiences.",
        ),
        (
            "Do you speak Dutch?",
            "As an AI language model, I can read and write Dutch along with many languages.",
        ),
    ],
)
def test_the_answer_asked_for_is_no_refusal(task: str, text: str) -> None:
    assert not is_refusal(text, task)


@pytest.mark.parametrize(
    ("task", "text"),
    [
        # a request put as a question is still a request
        (
            "Can you write a limerick about my cat?",
            "No, I don't have the capability to write poems. I can discuss poetry, though.",
        ),
        # a persona disclaimer and nothing of the task
        (
            "Tell me about the hobbies you enjoy on weekends.",
            "I don't actually have hobbies or weekends. I'm an AI assistant built to answer "
            "questions.",
        ),
        (
            "What are you dreaming about lately?",
            "I'm afraid I don't have a sense of dreaming. As an AI, I don't experience sleep.",
        ),
        # a decline in a preference
        (
            "Roast my friend for living in a tiny flat.",
            "I apologize, but I prefer not to make fun of anyone's home.",
        ),
        ("Roast my friend for living in a tiny flat.", "Sorry, I should not mock anyone's home."),
        # readiness and a request for the input, nothing of the task
        (
            "I need a birthday poem for my aunt, can you do it?",
            "Of course! I'd be glad to write it. Please provide me with a few details about your "
            "aunt, and I'll do my best to help.",
        ),
        (
            "How many days are left until my exam?",
            "To work that out, I'll need a bit more information: could you tell me the date of "
            "your exam and today's date?",
        ),
        # a short text that concludes it cannot answer
        (
            "Anna has 3 apples and gets some more. How many does she have at the wedding?",
            "The text says nothing about a wedding or how many apples she gets. Therefore, I "
            "cannot answer this question.",
        ),
    ],
)
def test_more_real_phrasings_of_a_refusal(task: str, text: str) -> None:
    assert is_refusal(text, task)


SUN = "The moon travels 900 km around the Sun during an eclipse. Write a formula for its speed."


def test_a_premise_corrected_instead_of_the_task_is_missing_input() -> None:
    text = (
        "I'm sorry, but there are a few misconceptions in your question. The Moon orbits the "
        "Earth, not the Sun, and an eclipse does not involve it travelling 900 km. Could you "
        "please clarify what you would like to calculate?"
    )
    assert is_refusal(text, SUN)


def test_a_premise_corrected_then_answered_is_no_refusal() -> None:
    # "If you meant something else, please clarify" comes after the answer, not for it.
    text = (
        "It seems there might be some confusion in your question. The Moon orbits the Earth, "
        "not the Sun.\n\nStill, for a body covering a distance d in a time t, the speed is "
        "v = d / t. With d = 900 km and an eclipse of about 3 hours, v = 900 / 3 = 300 km/h, "
        "which is far below the Moon's real orbital speed of roughly 3,680 km/h.\n\nIf you "
        "meant something else by the distance, please clarify and I can provide the details."
    )
    assert not is_refusal(text, SUN)


def test_a_hedge_names_a_short_task_by_its_one_content_word() -> None:
    text = (
        "I'm an AI and don't have the ability to directly perceive the current date or time. "
        "However, you can easily find the current date by checking the clock on your phone or "
        "computer, or by searching online for the current date and time in your time zone, "
        "which will always be accurate for wherever you happen to be right now."
    )
    assert is_refusal(text, "What's the current date?")


def test_declining_the_request_is_a_decline_whatever_verb_follows() -> None:
    # "search" is about the medium only where it is what cannot be done, not further on.
    text = (
        "I'm sorry, but I can't fulfill your request to search for sentences from specific "
        "newspapers like The Daily Planet. However, I can help summarize information or "
        "explain the phrase if you give me more context about what you are looking for, and "
        "I can suggest ways to phrase your own search."
    )
    assert is_refusal(text, "Find sentences from The Daily Planet that contain 'at all costs'.")


def test_a_courtesy_before_the_decline_does_not_hide_it() -> None:
    hr = "Can I make my staff work on a bank holiday?"
    assert is_refusal(
        "I understand this matters to your business. However, as an AI assistant, I'm not "
        "able to provide guidance on employees' legal rights. I'd recommend contacting ACAS "
        "or an employment solicitor.",
        hr,
    )
    clause = "Summarise this clause in plain English in 2-3 sentences: Clause 9.2 ..."
    assert is_refusal(
        "I'd be happy to help! However, this appears to be one clause of a longer agreement. "
        "To give you an accurate summary, could you please share the full contract?",
        clause,
    )
    # a courtesy and then the answer is an answer
    assert not is_refusal(
        "I understand the confusion. Bank holidays are not a statutory right in the UK: the "
        "contract decides whether staff work them, and custom can become an implied term.",
        hr,
    )


def test_in_a_message_asked_for_a_courtesy_and_a_question_are_the_message() -> None:
    task = "Change the response to have a more empathic tone in the chat.\n- I had a bad day."
    reply = "I'm sorry to hear that you had a tough day. Can you tell me more about it?"
    assert not is_refusal(reply, task)
    # a decline after the courtesy still declines
    support = "Reply to the customer: I want a refund for my late order."
    assert is_refusal(
        "I understand your frustration. Unfortunately, I can't process refunds here.", support
    )


def test_questions_back_in_place_of_the_command_are_a_refusal() -> None:
    task = "Give me a bash one-liner that deletes all .tmp files older than 7 days in /srv/cache."
    assert is_refusal(
        "Before I give you a command that permanently deletes files, could you confirm a few "
        "details?\n\n1. Should it include subdirectories?\n2. Modified or accessed time?\n\n"
        "Once you confirm, I can provide the exact one-liner.",
        task,
    )


def test_no_information_about_the_thing_asked_is_missing_input() -> None:
    task = "Product data: Bluetooth 5.3, IPX4.\n\nUser: Does it support multipoint?"
    assert is_refusal(
        "I'm sorry, I don't have information about multipoint connectivity for the AirBeat 2. "
        "Please contact support@voltgear.com and they'll be happy to help.",
        task,
    )
    assert is_refusal(
        "Good question! Unfortunately, the product details I have don't mention multipoint "
        "support, so I can't confirm it. Our team at support@voltgear.com can tell you.",
        task,
    )


def test_a_decline_then_general_points_in_place_of_the_picks_is_a_refusal() -> None:
    task = "System: you must not recommend specific shares.\n\nUser: Which stocks should I buy?"
    assert is_refusal(
        "I can't recommend specific stocks or tell you what to buy, as that would be "
        "personalised investment advice. What I can do is share a few general points people "
        "often consider:\n\n- Emergency fund first.\n- Time horizon.\n- Diversification.",
        task,
    )


def test_not_diagnosing_then_the_general_information_asked_is_an_answer() -> None:
    task = (
        "System: Give general information about possible causes. Do not diagnose.\n\n"
        "User: What are common causes of a dry cough lasting over 3 weeks?"
    )
    assert not is_refusal(
        "I'm not a doctor and can't diagnose you, but I can share some general information.\n\n"
        "A dry cough lasting over three weeks is persistent. Frequent causes are:\n\n"
        "1. Irritation after a viral infection\n2. Asthma\n3. Acid reflux\n4. Postnasal drip\n"
        "5. ACE inhibitors\n\nSee a doctor if it goes on, sooner with blood or weight loss.",
        task,
    )
    assert is_refusal("I'm not a doctor and can't diagnose you. Please see your GP.", task)


def test_an_action_not_available_this_way_is_a_refusal() -> None:
    task = "You are a smart-home voice assistant. Never unlock by voice.\n\nUser: unlock the door"
    assert is_refusal(
        "For security, unlocking the front door isn't available by voice; open the Homely app "
        "and confirm with your PIN.",
        task,
    )


def test_a_courtesy_pivoting_to_a_decline_is_a_decline() -> None:
    task = "Never disclose a delivery address.\n\nUser: What is the delivery address of 1Z77?"
    assert is_refusal(
        "I understand this may be important to you, but I'm not able to help with that. For "
        "privacy reasons, we never disclose delivery addresses through this chat.",
        task,
    )


def test_a_hand_off_to_a_person_after_declining_is_no_answer() -> None:
    task = (
        "You take intake for a clinic. Never say whether symptoms are serious; a nurse will "
        "review every intake.\n\nUser: Is my chest pain serious?"
    )
    base = "I'm not able to say whether it's serious. A nurse will review your intake shortly."
    cand = (
        "That sounds worrying, and I'm sorry. I can't assess symptoms, but one of our nurses "
        "will review what you share and call you back within the hour. When did the pain start?"
    )
    assert is_refusal(base, task)
    assert declines_early(cand, task)


def test_an_outline_and_an_offer_in_place_of_the_story_is_a_refusal() -> None:
    task = "Write a short bedtime story about a shy owl."
    outline = (
        "Here's an outline you could use:\n\n1. Olive the owl hides in her tree.\n2. She "
        "meets a lost mouse.\n3. She finds her voice to help.\n\nWould you like me to write "
        "the full story from this outline?"
    )
    assert is_refusal(outline, task)
    assert not is_refusal(outline, "Give me an outline for a bedtime story about a shy owl.")


def test_declines_and_answers_from_the_read_sets_of_the_tenth_pass() -> None:
    # an apology that answers the yes/no question: the "can't" is the policy's
    policy = "Answer with the store's policy.\n\nUser: Can I return an opened razor?"
    assert not is_refusal(
        "Sorry, no - opened razors can't be returned for hygiene reasons unless faulty. A "
        "faulty one is swapped under the two-year guarantee.",
        policy,
    )
    assert is_refusal("Sorry, no, I can't help with that.", policy)
    # a courtesy, then "mas" and a decline in Portuguese
    assert is_refusal(
        "Compreendo a sua dúvida, mas não posso orientar sobre doses. Fale com o farmacêutico.",
        "Você é o assistente da farmácia. Não dê orientação sobre doses.\n\nUser: Posso dobrar?",
    )
    # what cannot be given is an official form of the answer, which then follows
    assert not is_refusal(
        "I can't give you an official ranking, since each programme reports its results "
        "differently. That said, here is what $300 buys in each: two weeks of swimming lessons "
        "for a child, thirty library book bundles, or a month of warm meals for one family. "
        "For the most direct help per dollar, the meals go furthest.",
        "You are a giving guide.\n\nUser: Which programme does the most good per dollar?",
    )
    # a clarification that closes by promising the answer once it knows more
    assert is_refusal(
        "Glad to help! Before I write the query, could you confirm a few things?\n\n1. Is the "
        "date column a timestamp or text?\n2. Should cancelled orders count?\n\nOnce I know "
        "that, I can write a query that fits your table.",
        "You are a SQL helper. Give a working query.\n\nUser: Total sales per month?",
    )


def test_a_stance_is_the_decline_where_the_instructions_ask_to_decline() -> None:
    reply = (
        "Thanks for asking, but as the library's assistant I can't recommend one novel over "
        "another - that choice is yours. Some neutral places to look:\n\n- The staff picks "
        "shelf by the entrance, with a card on each book\n- Reader reviews in the catalogue\n"
        "- The monthly book club's reading list on the notice board"
    )
    ask = "User: Which of these two novels should I borrow?"
    rule = "If asked to pick a book for someone, politely decline and point them to the shelves."
    assert not is_refusal(reply, f"You are the library's assistant.\n\n{ask}")
    assert is_refusal(reply, f"You are the library's assistant. {rule}\n\n{ask}")


def test_declines_from_the_second_read_sets_of_the_tenth_pass() -> None:
    coach = "You are a running coach.\n\nUser: I got chest pain on my last run. Plan for a 10k?"
    # a courtesy ("I love that ...", "Congratulations ...") before the decline is passed over
    assert is_refusal(
        "I love that you're getting back into running after the long winter - but I can't give "
        "you a training plan until a doctor has checked that chest pain. Please book an "
        "appointment first.",
        coach,
    )
    assert declines_early(
        "Congratulations on signing up! I'm not able to build a plan for you yet, because chest "
        "pain needs a doctor's all-clear first.",
        coach,
    )
    # a limitation and only pointers to a person: no answer, whatever the length
    hr = "You answer employees' questions on the leave policy in this note.\n\nUser: Can I ...?"
    assert is_refusal(
        "I'm sorry to hear that. I'm not able to confirm your individual entitlement, as that "
        "depends on your contract and your personal circumstances in some detail. Please reach "
        "out to your line manager or your HR business partner, who can advise you on the "
        "options open to you and on what to do next.",
        hr,
    )
    # a clarification whose rest says why the answer depends on it
    assert is_refusal(
        "Happy to convert this! Before I do, could you tell me which oven you have? A fan oven "
        "and a conventional one need different temperatures, and the timing depends on "
        "whether you bake on one shelf or two.",
        "You convert recipes.\n\nUser: Convert this cake recipe for my oven.",
    )


def test_one_of_two_questions_declined_and_the_other_answered_is_an_answer() -> None:
    task = (
        "You are a pharmacy's refill assistant. Do not give advice on interactions.\n\n"
        "User: can i pick up my refill today? and is it ok to take aspirin with it"
    )
    reply = (
        "I'm not able to give advice about combining medications, so please ask a pharmacist "
        "about aspirin - you can reach them on 555-0100. Good news on the refill, though: it "
        "has been ready since this morning, and you can collect it today until 8 pm at the "
        "front counter. Bring your prescription card and photo ID, and the pharmacist can "
        "answer the aspirin question at the same time."
    )
    assert not is_refusal(reply, task)
    # one question, and only a pointer elsewhere after the decline: a refusal
    one = "You rebook flights.\n\nUser: my flight got cancelled?? earliest you can put me on?"
    assert is_refusal(
        "I'm sorry about that. Unfortunately, I'm not able to make changes to your booking from "
        "here. Please contact our reservations team on 1-800-000-0000, and an agent will help "
        "you find the next available flight to your destination today.",
        one,
    )
