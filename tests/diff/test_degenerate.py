"""Degenerate outputs (repetition loops) and what is no loop: tables, code, ASCII art."""

from __future__ import annotations

import json

import pytest
from diff_helpers import compare, finding

from promptcompat.compat.diff import Sample, compare_case
from promptcompat.compat.drift import Output
from promptcompat.suite.contract import Contract

PROSE = (
    "Determining whether someone is genuinely interested in a conversation can be hard, but "
    "here are some signs: they ask follow-up questions, remember details you mentioned, and "
    "keep the conversation going with their own stories. "
)
PARAGRAPHS = "\n\n".join([PROSE.strip()] * 3)

LOOPS = {
    "syllables": PROSE + "ansansan" * 120,
    "pipes": PROSE + "| " * 400,
    "words": PROSE + "Fall Final Fall Full Final Fall F " * 30,
    "tabs": PROSE + "\t" * 900 + "&#x20;",
    "lines": PROSE + "\n    Sent;  Celda;" * 60,
    "word-salad": PROSE + " ".join(["There", "there", "then", "fall"] * 60),
    # broken endings short of a loop (real Llama 3.1 outputs)
    "template-residue": PROSE
    + "\n\nDear [Recipient],\n\n"
    + "Insert[Optional][Optional][Optional][Optional][Optional][Optional][ [Your Name] ]",
    "repeated-closing-line": PROSE + "\n\nDear [Recipient],\n\nDear [Recipient]\n\n"
    "Dear [Recipient]\n\nDear [Recipient]",
    "mid-sentence": PROSE
    + "\n\n1. **Lack of empirical evidence**: The theory makes no prediction we can test.\n"
    "2. **Probability**: It is hard to say what a probability means when every outcome "
    "happens.\n3. **Lack of a clear mechanism for collapse**: The interpretation is often "
    "seen as more complete but",
    # the cut falls on a quoted word: one word in quotes closes no sentence
    "mid-sentence-quoted-word": PROSE
    + "\n\n1. **Cost**: Solar panels pay for themselves in about eight years.\n"
    "2. **Space**: A typical roof fits enough panels for an average household.\n"
    '3. **Storage**: A home battery is often described as the most "essential"',
    # a loop whose unit is too long for a short-unit check: a speech that keeps restating
    # itself, phrase by phrase, until the token limit
    "long-unit-loop": PROSE
    + "\n\n"
    + "and so we march, we build, we sing, we learn, we dream of the harbour and the hills, "
    "together, as one, as the Keepers of the Lantern, " * 24,
    # hashtags cycling through one stem, each a little different, cut mid-tag
    "hashtag-cycle": PROSE
    + "\n\n"
    + " ".join(
        f"#GardenGlory{w}"
        for w in ["Joy", "Peace", "Love", "Art", "Hope", "Zen", "Bloom", "Light", "Calm"] * 12
    )
    + " #GardenGl",
    # a short loop the token limit cut at the very end, in no window that compresses enough
    "short-loop-at-the-end": PARAGRAPHS + "\n\nWhich" + " ( )" * 90,
    # a sequence in a code block that never closes, running into a repeat
    "loop-in-an-unclosed-block": PROSE
    + "\n\n```python\nsequence = 'ATGCCGTAGCTAGGCTAACG"
    + "AGGGG" * 100,
    # the last lines going round the same few: a list, a dialogue
    "list-going-round": 'Words that rhyme with "instruct":\n\n- Conduct\n- Construct\n- Deduct\n'
    + "- Seduction\n- Seductions\n- Seduction's\n- Seduction's\n- Seductions\n- Seduction's\n"
    "- Seduction's\n- Seductions\n- Seduction's\n- Seduction's",
    "dialogue-going-round": PARAGRAPHS
    + "\n\n"
    + "Captor: Thou art a fool, and thou shalt never find her!\n\n"
    "Bryan: I am a father, and I will find thee wherever thou hidest.\n\n" * 5,
    # a bold-labelled item cut mid-sentence, after items that end with full stops: no field
    "cut-in-a-labelled-item": PROSE
    + "\n\n1. **Performance**: Compiled code can run much faster than the interpreted code.\n"
    "2. **Numerical work**: Numba and Cython are particularly effective for numerical "
    "computations on large arrays of",
    # cut mid-word, then a few short lines of junk
    "cut-then-fragments": PROSE
    + "\n\nThe soundtrack swells at every turn and the cast is uniformly excellent.\n\n"
    "**Verdict:** A bold and moving film that deserves to be seen on the biggest screen.\n\n"
    '**Similar titles:** Viewers who loved classics of the genre like "Blade Ru \n'
    "  - - - - ciudad\n    ciudad\n              .",
}

NO_LOOPS = {
    "table": "| Planet | Type | Diameter (km) |\n|---|---|---|\n"
    + "".join(f"| Planet {i} | Terrestrial | {1000 + 37 * i} |\n" for i in range(30)),
    "code": "def f(xs):\n"
    + "".join(f"    total_{i} = sum(x * {i} for x in xs)\n" for i in range(25))
    + "    return total_0\n",
    "hrules": PROSE + "\n\n" + "-" * 60 + "\n\n" + PROSE + "\n\n" + "=" * 60,
    "prose": PROSE * 4,
    # an empty 9 x 9 board: nine identical lines are a drawing, not a loop
    "empty-board": "\n".join("|   |   |   |   |   |   |   |   |   |" for _ in range(9)),
    # lines without full stops are a poem's, not a cut: most long lines end unpunctuated
    "poem": "In the 1980s a teenager roams the rainy streets\n"
    "In Britain where the music and the fashion meet\n"
    "From the Smiths to the Clash the scene is alive and loud\n"
    "In the city nights the energy runs through the crowd",
    # a quoted phrase ends the last line
    "quoted-end": PROSE + '\n\n* Salut les amis (HA-loo leh ah-mee) - "Good evening, friends"',
    # the line repeated because it was asked for, and nothing else
    "asked-repetition": "\n".join("Hello, world, how are you?" for _ in range(5)),
    # a list of short items without full stops
    "short-items": PROSE + "\n\n* Transfer learning\n* Attention mechanisms\n* GANs",
    # a longer item without a full stop, then shorter items of the same list: no fragments
    "short-items-after-long-one": PROSE
    + "\n\nThe details of the first meeting of the new reading club are below.\n\n"
    "Please bring your own copy of the book and a notebook for the discussion.\n\n"
    "- Location: The community hall next to the old railway station on Main Street\n"
    "- Starts: 9 am\n- Ends: 11 am",
    # a sign-off, even after a last sentence without a full stop
    "sign-off-after-open-line": PROSE
    + "\n\nI have attached my resume and a portfolio of recent projects for your review.\n\n"
    "I would welcome the chance to discuss how my experience fits the role.\n\n"
    "I look forward to hearing from you about the next steps\n\nBest regards,\nJane Doe",
    # endings without a full stop by design (this session's output-level labels, issue 16):
    # hashtags, a URL, a field of a ticket, a stage direction after a closed sentence
    "hashtags": PROSE
    + "\n\nI can't wait to get started and to learn from a whole new team of colleagues.\n\n"
    "Here's to the next chapter of this journey! #NewJob #Grateful #CareerGrowth",
    "url": PROSE
    + "\n\nThe estimate above rests on published figures from the operators themselves.\n\n"
    "Source: Annual messaging report of the mobile operators, retrieved from "
    "https://example.org/reports/messaging-2021.pdf",
    "ticket-field": PROSE
    + "\n\nAcceptance criteria: every new hire has accounts and a mentor on day one.\n\n"
    "Priority: High\nAssignee: HR onboarding team\nDue Date: As per the new employee's "
    "start date",
    "stage-direction": PARAGRAPHS
    + "\n\nThis, honoured judges, is the dish my grandmother taught me, made with love. "
    "Bon appétit! *bows with a flourish*",
    # a list written without full stops: its last item is no cut
    "list-without-stops": PARAGRAPHS + "\n\nSo in summary, the problems with this method are:\n\n"
    "- Missing return type\n- Not returning the variable\n"
    "- Could just return zero directly without declaring the local variable",
    # items with a closing bracket among items without a stop: the last is no cut either
    "list-with-due-dates": PARAGRAPHS + "\n\nAction items:\n\n"
    "- Omar: book the venue for the offsite\n- Priya: send the agenda (due 3 June)\n"
    "- Li: draft the budget for the team dinner (due 5 June)\n"
    "- Omar: order a cake for the retirement party of Sam",
    # a lead-in to display maths is no cut, the maths no debris
    "display-maths": PROSE
    + "\n\nNow performing the addition and the subtraction gives the final value of it.\n\n"
    "Thus, the value of \\( f(2) \\) is\n\n\\[\n\\boxed{39}\n\\]",
    # padding between a table's cells, however wide, and drawings or data in a code block
    "padded-table": "| Player | " + " " * 900 + "| Team |\n|" + "-" * 700 + "|------|\n"
    "| Derek Jeter | " + " " * 900 + "| Yankees |",
    "ascii-art-in-code": "Here is a tower:\n\n```\n"
    + "|    |   |   |    |\n" * 30
    + "|____|___|___|____|\n```\n\nEach row is one floor of the tower.",
    "sequence-in-code": PROSE
    + "\n\n```python\ntarget = dna.sequence('ATGCTAGCTAGCTAGCTAGCTAGCTAGCTAGCTAGC')\n"
    "guide = crispr.design_guide(target)\n```\n\nEditing genes has unintended consequences.",
    # a JSON list of records of one shape packs well, and is what was asked
    "json-records": json.dumps(
        [{"sku": f"A{i}", "qty": i, "note": "fragile item, handle with care"} for i in range(60)],
        indent=2,
    ),
    # a chorus comes back between verses, not in a run at the end
    "song-with-chorus": "\n\n".join(
        f"Verse {n}: the streets of the city are calling my name tonight, number {n}\n"
        "Chorus: oh the rain, the rain, it washes all the fear away from me"
        for n in range(1, 6)
    ),
    # a sign-off after a closed last sentence
    "sign-off": PROSE
    + "\n\nI would welcome the chance to discuss the role with you in more detail.\n\n"
    "Thank you for your time and consideration of my application.\n\nBest regards,\nJane",
}


@pytest.mark.parametrize("name", sorted(LOOPS))
def test_loops_are_degenerate(name: str) -> None:
    assert Output(LOOPS[name]).degenerate is not None


@pytest.mark.parametrize("name", sorted(NO_LOOPS))
def test_repetitive_but_sound_outputs_are_not(name: str) -> None:
    assert Output(NO_LOOPS[name]).degenerate is None


def test_annotation_lines_of_another_task_at_the_end_are_degenerate() -> None:
    answer = PROSE * 4
    leaked = answer + "\n\nLabel: No\n\nThe first clause lets the Receiving Party copy it."
    compared = compare_case(
        baseline=[Sample(answer)],
        candidate=[Sample(leaked)],
        contract=Contract(),
        instructions="How can I tell whether someone is interested in a conversation?",
    )
    assert compared.verdict == "BREAKING"
    assert "annotation lines" in finding(compared, "drift.degenerate_output").message
    # a label the instructions ask for is no residue
    asked = compare_case(
        baseline=[Sample(answer)],
        candidate=[Sample(leaked)],
        contract=Contract(),
        instructions="Explain, then end with a line 'Label: Yes' or 'Label: No'.",
    )
    assert "drift.degenerate_output" not in {f.rule for f in asked.findings}


def test_a_cut_last_sentence_breaks_only_where_the_baseline_ends_sound() -> None:
    cut = LOOPS["mid-sentence"]
    compared = compare_case(
        baseline=[Sample(PROSE * 3)],
        candidate=[Sample(cut)],
        contract=Contract(),
        instructions="Why don't people like the many-worlds interpretation?",
    )
    assert "stops mid-sentence" in finding(compared, "drift.degenerate_output").message
    both = compare_case(
        baseline=[Sample(cut.replace("Probability", "Chance"))],
        candidate=[Sample(cut)],
        contract=Contract(),
        instructions="Why don't people like the many-worlds interpretation?",
    )
    assert "drift.degenerate_output" not in {f.rule for f in both.findings}


BIKE_STEPS = (
    "Fixing a flat bicycle tire takes about fifteen minutes. Here is how to do it:\n\n"
    "1. **Remove the wheel**: Open the brake caliper, release the quick-release lever and "
    "pull the wheel out of the frame.\n"
    "2. **Take off the tire**: Push a tire lever under the bead, hook it to a spoke and run a "
    "second lever around the rim until one side of the tire is free.\n"
    "3. **Find the puncture**: Pump some air into the tube and listen for the hiss, or dip "
    "the tube in water and watch for bubbles.\n"
    "4. **Patch or replace the tube**: Roughen the area around the hole, apply glue, wait a "
    "minute and press the patch on firmly.\n"
    "5. **Reassemble**: Tuck the tube back inside the tire, work the bead onto the rim by "
    "hand, inflate to the pressure printed on the sidewall and refit the wheel."
)
BIKE_ASK = "How do I fix a flat tire on my bicycle?"


def _drift_rules(baseline: str, candidate: str, instructions: str) -> dict[str, str]:
    compared = compare(baseline, candidate, instructions=instructions)
    return {f.rule: f.message for f in compared.findings}


def test_unrelated_text_appended_to_a_sound_answer_is_degenerate() -> None:
    appended = BIKE_STEPS + (
        "\n\nThe mortgage interest deduction described in the document above allows "
        "homeowners to subtract qualified interest payments from their taxable income, "
        "subject to the limits defined by the statute."
    )
    rules = _drift_rules(BIKE_STEPS + "\n\nGood luck!", appended, BIKE_ASK)
    assert "unrelated to the task" in rules["drift.degenerate_output"]


def test_a_closing_caveat_in_words_of_its_own_is_no_appended_text() -> None:
    caveat = BIKE_STEPS + (
        "\n\nNote: a slow leak that returns within days often means a thorn still stuck "
        "inside the casing; run your fingers carefully around it before refitting."
    )
    assert "drift.degenerate_output" not in _drift_rules(BIKE_STEPS, caveat, BIKE_ASK)


def test_an_unrelated_section_and_code_after_a_table_are_degenerate() -> None:
    table = "| Country | Capital |\n|---|---|\n" + "".join(
        f"| {country} | {capital} |\n"
        for country, capital in [
            ("France", "Paris"),
            ("Germany", "Berlin"),
            ("Italy", "Rome"),
            ("Spain", "Madrid"),
            ("Portugal", "Lisbon"),
            ("Austria", "Vienna"),
            ("Belgium", "Brussels"),
            ("Netherlands", "Amsterdam"),
            ("Sweden", "Stockholm"),
            ("Norway", "Oslo"),
            ("Denmark", "Copenhagen"),
            ("Finland", "Helsinki"),
        ]
    )
    appended = table + (
        "\n**Reversing a Linked List**\n\nTo reverse a singly linked list iteratively, walk "
        "the nodes while keeping a pointer to the previous node:\n\n```python\n"
        "def reverse(head):\n    previous = None\n    while head:\n"
        "        head.next, previous, head = previous, head, head.next\n"
        "    return previous\n```"
    )
    ask = "Give me a table of European countries and their capitals."
    rules = _drift_rules(table, appended, ask)
    assert "unrelated to the task" in rules["drift.degenerate_output"]


@pytest.mark.parametrize(
    "closing",
    [
        # a closing remark is short, or shares the task's words
        "Let me know if you need anything else!",
        "Remember to check the tire pressure regularly and carry a spare tube and a small "
        "pump on longer rides, so a puncture never leaves you stranded far from home.",
        # a last section on the task's topic with new words of its own
        "**Tips:** Keep a patch kit, two levers and a mini pump in a saddle bag. Replacing "
        "worn tires early and avoiding glass-strewn gutters prevents most flats.",
    ],
)
def test_a_closing_remark_or_related_section_is_no_unrelated_tail(closing: str) -> None:
    rules = _drift_rules(BIKE_STEPS, BIKE_STEPS + "\n\n" + closing, BIKE_ASK)
    assert "drift.degenerate_output" not in rules


def test_an_unrelated_tail_the_baseline_has_too_is_no_change() -> None:
    appended = BIKE_STEPS + (
        "\n\nThe mortgage interest deduction described in the document above allows "
        "homeowners to subtract qualified interest payments from their taxable income, "
        "subject to the limits defined by the statute."
    )
    rules = _drift_rules(appended, appended.replace("fifteen", "twenty"), BIKE_ASK)
    assert "drift.degenerate_output" not in rules


def test_function_words_do_not_tie_an_unrelated_tail_to_the_task() -> None:
    # "that", "this", "with", "which" are in every text: counted as shared, they hid a code
    # note appended to an answer
    answer = BIKE_STEPS + (
        "\n\nCheck that this tire is seated evenly with the rim, which prevents a second flat."
    )
    appended = answer + (
        "\n\nNote that this implementation compares sorted strings with Python builtins, which "
        "keeps anagram detection concise, readable, efficient, idiomatic, portable and testable."
    )
    rules = _drift_rules(answer, appended, BIKE_ASK)
    assert "unrelated to the task" in rules["drift.degenerate_output"]


def test_a_short_answer_followed_by_a_longer_unrelated_paragraph_is_degenerate() -> None:
    ask = (
        "Rewrite the text and correct the spelling errors.\n\nOur team answers evry request quikly."
    )
    fixed = "Our team answers every request quickly."
    appended = fixed + (
        "\n\nTrello is a visual collaboration tool built around boards, lists and cards. "
        "Boards represent projects, lists represent stages of progress, and cards hold "
        "individual assignments with checklists, attachments, labels and deadlines. Power-ups "
        "connect calendars, automation rules and integrations with other popular apps."
    )
    rules = _drift_rules(fixed, appended, ask)
    assert "unrelated to the task" in rules["drift.degenerate_output"]
    # the same length of text about the task itself is an answer, not an appendix
    explained = fixed + (
        "\n\nTwo words were misspelled: 'evry' is corrected to 'every' and 'quikly' to "
        "'quickly'. The rest of the sentence, our team answers each request, was already right "
        "and keeps its wording, so the meaning of the corrected text stays the same."
    )
    assert "drift.degenerate_output" not in _drift_rules(fixed, explained, ask)


def test_chat_template_tokens_are_a_turn_run_past_its_end() -> None:
    reply = "Hi Mark,\n\nYes, we fix punctures the same day.\n\nThe Spoke & Chain team"
    leaked = reply + "<|im_end|>\n<|im_start|>user\nThanks! Now our opening hours?<|im_end|>"
    diff = compare([reply], [leaked])
    assert "chat-template tokens ('<|im_end|>')" in finding(diff, "drift.degenerate_output").message
    assert Output("[INST] hello [/INST] hi").degenerate is not None
    # HTML strikethrough and angle brackets in prose are text
    assert Output("Price: <s>$20</s> $15, for users <18 and >65 only.").degenerate is None


def test_an_invented_turn_of_an_instruction_format_is_degenerate() -> None:
    answer = "14 x 36 = 504; 504 - 85 = 419.\n\n{419}"
    invented = answer + "\n\n### Instruction:\nA baker makes 12 trays...\n\n### Response:\n{138}"
    diff = compare([answer], [invented])
    assert "'### Instruction:'" in finding(diff, "drift.degenerate_output").message
    # a heading that names a response is no turn header
    assert Output("## Response times\nThey fell by 20%.").degenerate is None


def test_turns_of_a_conversation_nobody_had_after_the_answer_are_degenerate() -> None:
    task = "You are a hotel's chat assistant.\n\nWhat time is breakfast?"
    answer = "Breakfast is served from 7:00 to 10:30 in the garden room."
    invented = f"{answer}\n\nUser: Thanks! And is there parking?\nAssistant: Yes, for 12 a day."
    assert Output(invented, task).degenerate is not None
    assert Output(answer, task).degenerate is None
    # Asked for a dialogue, or given turns to work on, the turns are the answer.
    assert Output(invented, "Write a short dialogue at a hotel desk.").degenerate is None
    given = "Fix the spelling:\nUser : helo\nAgent : hi how can i help"
    assert Output("Fixed:\n\nUser: Hello\nAgent: Hi, how can I help?", given).degenerate is None


def test_token_debris_after_the_answer_is_degenerate() -> None:
    answer = "- Strengths: clear writing\n- Concerns: no tests\n\nDecision: Advance"
    debris = f'{answer}\n\n xmlNodeParser.Builder tokenMAXنتائج_VAL }}">{{ onLoadHandlerFn;; Ctx'
    assert Output(debris).degenerate is not None
    assert Output(answer).degenerate is None
    # Names written in camel case and Latin glued to Chinese are ordinary text.
    names = f"{answer}\n\nSee TechHaven, PayPal and iPhone support at techhaven.com/help."
    assert Output(names).degenerate is None
    chinese = f"{answer}\n\n您可以在TechHaven门店或techhaven.com/warranty在线提交保修申请。"
    assert Output(chinese).degenerate is None
