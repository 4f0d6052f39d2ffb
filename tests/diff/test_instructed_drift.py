"""Drift detectors with the rendered instructions: what was asked is a contract, what the
baseline merely did is a habit (issue 16, items 1, 3 and the implicit contract)."""

from __future__ import annotations

import pytest
from diff_helpers import finding, rules_of

from promptcompat.compat.diff import CaseDiff, Sample, compare_case
from promptcompat.suite.contract import Contract

GRAMMAR = (
    'Is "Me and him went to the store." grammatically correct? Think it through step by step '
    "and end with [Yes] or [No]."
)
STEPS = (
    'Step 1: "Me and him" is the subject.\nStep 2: Subjects take subject pronouns.\n\n'
    "The sentence is not grammatically correct. [No]"
)


def compare(baseline: str, candidate: str, instructions: str) -> CaseDiff:
    return compare_case(
        baseline=[Sample(baseline)],
        candidate=[Sample(candidate)],
        contract=Contract(),
        instructions=instructions,
    )


def test_a_marker_spelled_otherwise_than_asked_is_lost() -> None:
    diff = compare(STEPS, STEPS.replace("[No]", "[NO]"), GRAMMAR)
    lost = finding(diff, "drift.format_marker_lost")
    assert lost.severity == "ERR" and "[NO], not one of the markers" in lost.message


def test_another_asked_marker_is_a_decision_change() -> None:
    diff = compare(STEPS, STEPS.replace("[No]", "[Yes]"), GRAMMAR)
    changed = finding(diff, "drift.label_changed")
    assert changed.severity == "ERR" and "another option the instructions list" in changed.message


def test_a_one_word_answer_is_asked_or_a_habit() -> None:
    asked = "Classify the sentiment as positive, negative or neutral. Answer with one word."
    lost = compare("Negative", "The sentiment of this review is negative.", asked)
    assert finding(lost, "drift.format_marker_lost").severity == "ERR"
    free = compare("Negative", "The review sounds negative overall.", "How does this review sound?")
    assert finding(free, "drift.format_changed").severity == "WARN"
    assert free.verdict == "CHANGED"


def test_a_literal_to_write_wrapped_in_a_sentence_is_lost() -> None:
    diff = compare("Ready", 'Here is the text "Ready":\n\nReady', 'Write "Ready"')
    assert finding(diff, "drift.format_marker_lost").severity == "ERR"
    assert diff.verdict == "BREAKING"


def test_links_the_instructions_ask_for() -> None:
    ask = "Find useful links about removing duplicates in SQL."
    base = "Useful links:\nhttps://www.w3schools.com/sql/\nhttps://www.sqlshack.com/duplicates/"
    prose = "Use GROUP BY with HAVING COUNT(*) > 1 to find duplicate rows in a table."
    assert finding(compare(base, prose, ask), "drift.format_marker_lost").severity == "ERR"
    # unasked, links are a habit
    assert "drift.format_marker_lost" not in rules_of(compare(base, prose, "How do I dedupe?"))


def test_json_nobody_asked_for_is_a_habit() -> None:
    ask = 'Extract the attributes of the product as a list in the format "attribute: value".'
    base = '["Brand: SAMSUNG", "Model: 980 PRO", "Capacity: 2TB"]'
    bullets = "- Brand: SAMSUNG\n- Model: 980 PRO\n- Capacity: 2TB"
    diff = compare(base, bullets, ask)
    assert "json.unparseable" not in rules_of(diff)
    assert finding(diff, "drift.format_changed").severity == "WARN"
    # without the instructions (unknown), the baseline's JSON counts as asked, as before
    unknown = compare_case(
        baseline=[Sample(base)], candidate=[Sample(bullets)], contract=Contract()
    )
    assert finding(unknown, "json.unparseable").severity == "ERR"


def test_a_one_line_label_is_text_not_python() -> None:
    # "Category: billing" parses as a Python annotation; it must still be compared as text
    ask = "Which category fits: billing or account? Reply in the format 'Category: <category>'."
    diff = compare("Category: billing", "The ticket belongs to the billing category.", ask)
    assert finding(diff, "drift.format_marker_lost").severity == "ERR"


HAIKU = "Crimson leaves drifting\nwhispers of the cooling wind\nthe year exhales slow"


@pytest.mark.parametrize(
    ("instructions", "baseline", "candidate"),
    [
        (
            "Write a haiku about autumn. Output only the haiku.",
            HAIKU,
            f"Here's a haiku about autumn:\n\n{HAIKU}",
        ),
        (
            "Write a haiku about autumn. Output only the haiku.",
            HAIKU,
            f"{HAIKU}\n\nI hope you enjoy it!",
        ),
        (
            "Write a SQL query returning users older than 30. Return only the SQL.",
            "SELECT * FROM users WHERE age > 30;",
            "Sure! Here is the SQL query:\n\nSELECT * FROM users WHERE age > 30;",
        ),
        (
            "Write a Python function add(a, b). Generate the code only, without any other text.",
            "def add(a, b):\n    return a + b\n",
            "The function is defined as follows:\n\ndef add(a, b):\n    return a + b\n\n"
            "This function returns the sum of its arguments.",
        ),
    ],
)
def test_talk_around_an_answer_asked_for_alone_breaks(
    instructions: str, baseline: str, candidate: str
) -> None:
    diff = compare(baseline, candidate, instructions)
    assert finding(diff, "drift.answer_wrapped").severity == "ERR"
    assert diff.verdict == "BREAKING"


def test_a_one_line_answer_put_inside_a_sentence_is_wrapped() -> None:
    ask = "Extract the email address. Output only the email address.\nMessage: mail john@x.org"
    diff = compare("john@x.org", "The email address is john@x.org.", ask)
    assert "'The email address is john@x.org.'" in finding(diff, "drift.answer_wrapped").message
    assert "drift.answer_wrapped" not in rules_of(compare("john@x.org", "john@x.org.", ask))
    city = "What is the capital of France? Answer with the city name only."
    assert "drift.answer_wrapped" not in rules_of(compare("Paris", "Paris, France", city))


def test_talk_nothing_forbade_or_the_baseline_had_is_no_wrapping() -> None:
    wrapped = f"Here's a haiku about autumn:\n\n{HAIKU}"
    free = compare(HAIKU, wrapped, "Write a haiku about autumn.")
    assert "drift.answer_wrapped" not in rules_of(free)
    asked = "Write a haiku about autumn. Output only the haiku."
    both = compare(f"Here is one:\n\n{HAIKU}", wrapped, asked)
    assert "drift.answer_wrapped" not in rules_of(both)
    # a code line ending in a colon is code, not a lead-in
    code = "def add(a, b):\n    return a + b\n"
    ask = "Write add(a, b) in Python. Output only the code."
    assert "drift.answer_wrapped" not in rules_of(
        compare(code, code.replace("a + b", "b + a"), ask)
    )


def test_a_length_limit_in_characters_or_sentences() -> None:
    sms = "Write an SMS reminder. Keep it under 100 characters."
    short = "Hi Ana, dentist on Tuesday at 10:30. Reply C to confirm."
    longer = short + " We look forward to seeing you there, and thank you for choosing us!"
    over = finding(compare(short, longer, sms), "drift.length_limit_exceeded")
    assert "allow 100 characters; this output has 124, every baseline sample at most 56" in (
        over.message
    )
    one = "In one sentence, what does an API gateway do?"
    base = "It routes, authenticates and rate-limits requests to your services."
    more = "It is the entry point. It routes requests. It also handles authentication."
    assert finding(compare(base, more, one), "drift.length_limit_exceeded").severity == "ERR"
    same = "It is the single entry point that routes and throttles requests to your services."
    assert "drift.length_limit_exceeded" not in rules_of(compare(base, same, one))


def test_a_literal_the_answer_must_open_or_end_with() -> None:
    ask = "Start your reply with 'Dear customer,' and end it with 'The ParcelGo team'."
    base = "Dear customer,\n\nYour parcel arrives tomorrow.\n\nThe ParcelGo team"
    hi = compare(base, base.replace("Dear customer,", "Hi there!"), ask)
    assert "opens with 'Dear customer,'" in finding(hi, "drift.format_marker_lost").message
    signed = compare(base, base.replace("The ParcelGo team", "Best regards"), ask)
    assert "ends with 'The ParcelGo team'" in finding(signed, "drift.format_marker_lost").message
    bold = "**Dear customer,**\n\nIt arrives tomorrow.\n\nThe ParcelGo team."
    assert "drift.format_marker_lost" not in rules_of(compare(base, bold, ask))


@pytest.mark.parametrize(
    ("instructions", "baseline", "candidate", "kind"),
    [
        (
            "Answer for a voice assistant. Do not use markdown, lists or emojis.",
            "Boil the egg for nine minutes, then cool it in cold water.",
            "**Boiling an egg:** boil it for nine minutes, then cool it.",
            "markdown",
        ),
        (
            "Explain in prose; no bullet points.",
            "Boil the egg for nine minutes, then cool it in cold water.",
            "Steps:\n- Boil the egg for nine minutes.\n- Cool it in cold water.",
            "lists",
        ),
        (
            "Reply to the customer without emojis.",
            "Thanks, your order is on its way.",
            "Thanks, your order is on its way! \U0001f680",
            "emojis",
        ),
        (
            "Reply in lowercase only, like a chat message.",
            "the gym opens at 6am on weekdays",
            "The gym opens at 6 AM on weekdays.",
            "capitals",
        ),
    ],
)
def test_a_format_the_instructions_forbid(
    instructions: str, baseline: str, candidate: str, kind: str
) -> None:
    diff = compare(baseline, candidate, instructions)
    forbidden = finding(diff, "drift.forbidden_format")
    assert forbidden.severity == "ERR" and diff.verdict == "BREAKING"
    # the baseline already using it holds the candidate to nothing
    assert "drift.forbidden_format" not in rules_of(
        compare(candidate, candidate + " Ok.", instructions)
    )


def test_a_word_limit_kept_by_the_baseline_and_broken() -> None:
    ask = "Describe the water cycle in under 30 words."
    short = (
        "Water evaporates, condenses into clouds, falls as rain or snow, and flows back to the sea."
    )
    long = " ".join([short] * 3)
    exceeded = finding(compare(short, long, ask), "drift.length_limit_exceeded")
    assert exceeded.severity == "ERR" and "allow 30 words; this output has 48" in exceeded.message
    # 10% over is within the counting's error; a baseline already over says nothing
    near = short + " Then again it goes on and on and on, forever."
    assert "drift.length_limit_exceeded" not in rules_of(
        compare(short, near[: len(short) + 20], ask)
    )
    assert "drift.length_limit_exceeded" not in rules_of(compare(long, long + " More.", ask))


def test_a_comma_separated_list_asked_for_becomes_lines() -> None:
    ask = "List the three largest cities by population as a comma-separated list."
    lines = "1. Tokyo\n2. Delhi\n3. Shanghai"
    lost = compare("Tokyo, Delhi, Shanghai", lines, ask)
    assert finding(lost, "drift.format_marker_lost").severity == "ERR"
    free = compare("Tokyo, Delhi, Shanghai", lines, "Which are the three largest cities?")
    assert not {"drift.format_marker_lost", "drift.format_changed"} & rules_of(free)


def test_a_short_answer_leaves_the_language_asked_for() -> None:
    ask = "Antworte auf Deutsch. Was ist die Hauptstadt von Frankreich?"
    diff = compare(
        "Die Hauptstadt von Frankreich ist Paris.", "The capital of France is Paris.", ask
    )
    assert finding(diff, "drift.language_changed").severity == "ERR"
    same = compare("Die Hauptstadt von Frankreich ist Paris.", "Paris ist die Hauptstadt.", ask)
    assert "drift.language_changed" not in rules_of(same)


def test_the_letter_of_the_option_only_is_a_bare_answer() -> None:
    ask = (
        "Which vitamin deficiency causes scurvy? (A) Vitamin A (B) Vitamin B12 (C) Vitamin C "
        "(D) Vitamin D. Reply with the letter of the correct option only."
    )
    diff = compare("C", "The correct answer is (C) Vitamin C, needed for collagen.", ask)
    assert finding(diff, "drift.format_marker_lost").severity == "ERR"


HAPPY = (
    "How many happy numbers are there between 7306 and 7311? Think step by step and put your "
    "final answer in curly braces like {3}."
)
HAPPY_STEPS = (
    "7306: 49+9+0+36=94 -> 97 -> 130 -> 10 -> 1, happy.\n7307 and 7308 fall into the 4 loop.\n"
    "7309: 139 -> 91 -> 82 -> 68 -> 100 -> 1, happy.\n7310 and 7311 fall into the loop.\n"
    "So there are {2} happy numbers."
)


def test_the_final_answer_leaves_the_wrapper_asked_for() -> None:
    lost = compare(HAPPY_STEPS, HAPPY_STEPS.replace("{2}", "2"), HAPPY)
    assert (
        "in curly braces; this output does not" in finding(lost, "drift.format_marker_lost").message
    )
    assert lost.verdict == "BREAKING"
    same = compare(HAPPY_STEPS, "Only 7306 and 7309 reach 1.\n\n{ 2 }", HAPPY)
    assert same.verdict != "BREAKING" and "drift.label_changed" not in rules_of(same)
    # another number is a changed answer (WARN): no option list says it is a decision
    other = compare(HAPPY_STEPS, HAPPY_STEPS.replace("{2}", "{3}"), HAPPY)
    assert finding(other, "drift.label_changed").severity == "WARN"


def test_another_listed_option_in_the_answer_tags_is_a_decision() -> None:
    ask = (
        "Decide the ticket's priority. Explain briefly, then give it inside <answer></answer> "
        "tags (low, medium or high).\nTicket: checkout returns a 500 error for everyone."
    )
    base = "Every customer is blocked from paying.\n<answer>high</answer>"
    flipped = compare(base, "A workaround may exist.\n<answer>medium</answer>", ask)
    assert finding(flipped, "drift.label_changed").severity == "ERR"
    lost = compare(base, "Every customer is blocked, so this is high priority.", ask)
    assert finding(lost, "drift.format_marker_lost").severity == "ERR"
    # the baseline ignoring the tags holds the candidate to nothing
    loose = compare("High: everyone is blocked.", "It is high.", ask)
    assert "drift.format_marker_lost" not in rules_of(loose)


def test_an_answer_that_leaves_the_template_format() -> None:
    ask = (
        "Answer the question. You can use Search.\n\nUse the following format:\n\n"
        "Question: the input question\nThought: what to do\nAction: the action, one of "
        "[Search]\nAction Input: the input\nObservation: the result\nFinal Answer: the answer"
        "\n\nBegin!\n\nQuestion: Where does the Colorado orogeny's eastern sector extend?\nThought:"
    )
    step = " I should search the Colorado orogeny.\nAction: Search\nAction Input: Colorado orogeny"
    free = compare(step, "The eastern sector extends into the High Plains.", ask)
    assert "format the instructions give" in finding(free, "drift.format_marker_lost").message
    done = compare(step, " I know it already.\nFinal Answer: the High Plains", ask)
    assert "drift.format_marker_lost" not in rules_of(done)


def test_a_table_asked_for_becomes_a_list() -> None:
    ask = "Return a Markdown table with the columns Product | Price. Output the table only."
    table = "| Product | Price |\n|---|---|\n| Oat milk | 1.85 |\n| Filters | 3.20 |"
    bullets = "- **Oat milk**: 1.85\n- **Filters**: 3.20"
    assert finding(compare(table, bullets, ask), "drift.format_marker_lost").severity == "ERR"
    loose = "Product | Price\n---------------\nOat milk | 1.85\nFilters | 3.20"
    assert "drift.format_marker_lost" not in rules_of(compare(table, loose, ask))
    renamed = compare(table, loose.replace("Product", "Item"), ask)
    assert "lacks 'Product'" in finding(renamed, "drift.format_marker_lost").message
    free = compare(table, bullets, "What do oat milk and filters cost?")
    assert not {"drift.format_marker_lost", "drift.format_changed"} & rules_of(free)


def test_a_closing_block_and_an_opening_with_a_placeholder() -> None:
    ask = (
        'Rules: start with "Dear <customer first name>,"; end with exactly:\nKind regards,\n'
        "The Northbeam Support Team\n\nCustomer email (from Oliver): where is my order?"
    )
    base = "Dear Oliver,\n\nIt ships tomorrow.\n\nKind regards,\nThe Northbeam Support Team"
    signed = compare(base, base.replace("Kind regards,\nThe Northbeam Support Team", "Jamie"), ask)
    assert (
        "ends with 'The Northbeam Support Team'"
        in finding(signed, "drift.format_marker_lost").message
    )
    hi = compare(base, base.replace("Dear Oliver,", "Hi Oliver!"), ask)
    assert (
        "opens with 'Dear <customer first name>,'"
        in finding(hi, "drift.format_marker_lost").message
    )
    assert "drift.format_marker_lost" not in rules_of(
        compare(base, base.replace("It", "Yours"), ask)
    )


def test_yes_or_no_asked_for_is_a_decision() -> None:
    ask = (
        "Say whether this order qualifies for a free return. Start your reply with Yes or No, "
        "then give one sentence of explanation."
    )
    yes = "Yes. The shirt is unworn, tagged and within 30 days."
    flipped = compare(yes, "No. It does not meet the hygiene rule.", ask)
    assert finding(flipped, "drift.label_changed").severity == "ERR"
    same = compare(yes, "Yes, it was delivered 10 days ago and still has its tags.", ask)
    assert "drift.label_changed" not in rules_of(same)


def test_a_baseline_already_over_the_limit_holds_the_candidate_to_nothing() -> None:
    ask = "Write a company bio in under 10 words."
    over = "Greenleaf Accounting helps Leeds small businesses with tax, payroll and Xero."
    assert "drift.length_limit_exceeded" not in rules_of(compare(over, over + " " + over, ask))


def test_a_labelled_line_the_instructions_give() -> None:
    router = (
        "Route the request to exactly one tool.\nTools:\n- get_weather(city)\n- web_search(query)"
        "\n- calendar_lookup(date)\nRespond with exactly one line: TOOL: <tool name>\n\n"
        "User: Do I have anything on Friday afternoon?"
    )
    flipped = compare("TOOL: calendar_lookup", "TOOL: web_search", router)
    assert finding(flipped, "drift.label_changed").severity == "ERR"
    assert compare("TOOL: calendar_lookup", "TOOL: calendar_lookup", router).verdict == "COMPATIBLE"
    maths = 'Solve it. Show your work, then write the final answer on a line as "Answer: <n>".'
    base = "3 h 25 min at 84 km/h: 84 x 41/12 = 287.\n\nAnswer: 287"
    bold = compare(base, "84 x 41/12 = 287, so the train travels **287 kilometres**.", maths)
    assert "a line 'Answer: ...'" in finding(bold, "drift.format_marker_lost").message
    other = compare(base, base.replace("287", "290"), maths)
    assert finding(other, "drift.label_changed").severity == "WARN"  # no options: an answer


def test_the_answer_for_an_unknown_answer_the_instructions_name() -> None:
    rag = (
        'Answer using only the context. If the answer is not in the context, say "I don\'t know".'
        "\n\nContext:\n[1] The X200 has four Ethernet ports.\n\nQuestion: How many devices?"
    )
    made_up = compare("I don't know.", "The X200 handles up to 128 devices [1].", rag)
    assert "answers instead" in finding(made_up, "drift.refusal_removed").message
    assert made_up.verdict == "BREAKING"
    answered = "It has four gigabit Ethernet ports [1]."
    abstains = compare(answered, "I don't know.", rag)
    assert finding(abstains, "drift.refusal_introduced").severity == "ERR"
    assert compare("I don't know.", "I don\u2019t know.", rag).verdict == "COMPATIBLE"


def test_citations_and_csv_asked_for() -> None:
    cite = "Answer from the search results. Cite every sentence with its result's number, like [1]."
    cited = "Python 3.12 came out in October 2023 [1]. It added a per-interpreter GIL [2]."
    bare = "Python 3.12 came out in October 2023 and added a per-interpreter GIL."
    assert finding(compare(cited, bare, cite), "drift.format_marker_lost").severity == "ERR"
    assert "drift.format_marker_lost" not in rules_of(compare(cited, bare, "What is new in 3.12?"))
    csv = "Convert to CSV with the header name,stars. Output only the CSV.\nfastapi 71k, gin 76k"
    rows = "name,stars\nfastapi,71000\ngin,76000"
    table = "| name | stars |\n|---|---|\n| fastapi | 71000 |\n| gin | 76000 |"
    assert finding(compare(rows, table, csv), "drift.format_marker_lost").severity == "ERR"


def test_a_closing_sentence_and_headings_spelled_out() -> None:
    ask = (
        "You are Nova, a sales assistant. Always end every reply with this exact sentence: "
        '"Want me to send you a 10% discount code?"\n\nUser: What does the Pro carry?'
    )
    base = "The Pro carries up to 159 kg.\n\nWant me to send you a 10% discount code?"
    lost = compare(base, "The Pro carries up to 159 kg. Any other questions? \U0001f60a", ask)
    assert "ends with 'Want me to send you a 10% discount code?'" in (
        finding(lost, "drift.format_marker_lost").message
    )
    notes = (
        'Summarise the meeting. Use exactly these headings: "## Summary", "## Decisions", '
        '"## Action Items".'
    )
    base = "## Summary\nLaunch moved.\n\n## Decisions\n- Aug 12\n\n## Action Items\n- [Tom] migrate"
    renamed = base.replace("## Decisions", "**Key Takeaways**")
    assert (
        "'## Decisions'"
        in finding(compare(base, renamed, notes), "drift.format_marker_lost").message
    )
    assert compare(base, base.replace("Launch moved.", "The launch moved."), notes).verdict != (
        "BREAKING"
    )


def test_a_reply_in_the_customers_language() -> None:
    ask = (
        "You are a support assistant. Reply in the customer's language.\n\n"
        "User:\n你好，我买的蓝牙耳机右耳没有声音，还在保修期内，怎么办？"
    )
    english = (
        "Hello! Sorry the right earbud is silent. Reset the earbuds in the case, then pair again."
    )
    chinese = "您好！很抱歉听到右耳耳机没有声音。请将耳机放入充电盒重置，然后重新配对。"
    assert "drift.language_changed" not in rules_of(compare(english, chinese, ask))
    # without the ask, a reply in the language of the story rather than the question breaks
    story = (
        "Read the story and answer the question in English.\n\n"
        "Il était une fois un petit chat qui vivait dans une grande maison près de la mer."
        "\n\nQuestion: Where did the cat live?"
    )
    assert "drift.language_changed" in rules_of(
        compare(
            "The cat lived in a big house by the sea.",
            "Le chat vivait dans une grande maison près de la mer.",
            story,
        )
    )


def test_terms_the_instructions_forbid() -> None:
    ask = "You are a UK cooking app. Always use metric units. Never use cups, ounces, sticks or °F."
    base = "Mix 75 g butter and 150 g sugar. Bake at 175 °C for 55 minutes."
    imperial = "Mix 1/3 cup butter and 3/4 cup sugar. Bake at 350°F for 55 minutes."
    found = finding(compare(base, imperial, ask), "drift.forbidden_format")
    assert found.severity == "ERR" and "'cups'" in found.message
    assert "drift.forbidden_format" not in rules_of(compare(base, base.replace("75", "80"), ask))


def test_a_section_a_final_line_and_a_label_after_a_lead_in() -> None:
    quiz = "Make a quiz: numbered questions with options A-D, then a section headed 'Answer Key'."
    base = "1. Evaporation is?\nA) x\nB) y\n\n**Answer Key**\n1. B"
    assert (
        "'Answer Key'"
        in finding(
            compare(base, "1. Evaporation is?\nA) x\nB) y\n\nGood luck!", quiz),
            "drift.format_marker_lost",
        ).message
    )
    recipe = "After every recipe, add a final line beginning 'Allergens:' listing the allergens."
    pesto = "Blend basil, pine nuts and Parmesan.\n\nAllergens: milk (Parmesan)."
    assert (
        "a line 'Allergens: ...'"
        in finding(
            compare(pesto, "Blend basil, pine nuts and Parmesan. Buon appetito!", recipe),
            "drift.format_marker_lost",
        ).message
    )
    cards = "Output one card per line, formatted 'Front: <English> | Back: <French>'."
    lines = "Front: bread | Back: le pain\nFront: cheese | Back: le fromage"
    led = "Here are 2 flashcards:\n\nFront: milk | Back: le lait\nFront: egg | Back: l'oeuf"
    assert "drift.format_marker_lost" not in rules_of(compare(lines, led, cards))
    tldr = "Begin with one line that starts with 'TL;DR:', then up to 3 bullet points."
    plain = "TL;DR: The lease is renewed for five years.\n- Break at year three."
    bold = "**TL;DR:** The lease is renewed for 5 years.\n\n- Break clause at year three."
    assert "drift.format_marker_lost" not in rules_of(compare(plain, bold, tldr))


def test_a_verdict_line_and_a_grade_from_the_words_the_instructions_give() -> None:
    review = (
        "Review the diff. End your review with a verdict line: `VERDICT: APPROVE` or "
        "`VERDICT: REQUEST_CHANGES`."
    )
    changes = "- refund.py:11 ignores earlier refunds.\n\nVERDICT: REQUEST_CHANGES"
    approve = "- refund.py:10 could log more.\n\nVERDICT: APPROVE"
    assert finding(compare(changes, approve, review), "drift.label_changed").severity == "ERR"
    last = review + " The very last line of your reply must be the verdict line."
    trailing = approve + "\n\nLet me know if you'd like me to draft tests!"
    moved = finding(compare(approve, trailing, last), "drift.format_marker_lost")
    assert "is the last line" in moved.message
    judge = "Respond with `PASS` or `FAIL` on the first line, then one sentence of explanation."
    graded = compare("PASS\nThe answer gives 1989.", "FAIL\nIt also mentions 1992.", judge)
    assert finding(graded, "drift.label_changed").severity == "ERR"


def test_exactly_that_many_and_no_numbering() -> None:
    ask = "Generate exactly 3 alternative phrasings of the query. One per line, no numbering."
    three = "budget flights Berlin Lisbon May\ncheap airfare BER LIS May\nlow-cost Berlin Lisbon"
    five = "1. budget flights\n2. cheap airfare\n3. low-cost flights\n4. discount tickets\n5. deals"
    rules = rules_of(compare(three, five, ask))
    assert {"drift.count_unmet", "drift.forbidden_format"} <= rules
    # without "exactly", more than asked is no unmet count
    loose = "Generate 3 alternative phrasings of the query, one per line."
    assert "drift.count_unmet" not in rules_of(compare(three, five.replace("1. ", ""), loose))


def test_a_verbatim_sentence_a_disclosure_and_a_two_line_sign_off() -> None:
    ask = (
        'Write donor thank-you emails. Include this sentence verbatim: "No goods or services '
        'were provided in exchange for this contribution." Sign off with "Warm regards, The '
        'Riverbend Team".'
    )
    base = (
        "Dear James,\n\nThank you for your gift of $250.\n\nNo goods or services were provided "
        "in exchange for this contribution.\n\nWarm regards,\nThe Riverbend Team"
    )
    paraphrased = base.replace(
        "No goods or services were provided in exchange for this contribution.",
        "Your gift is tax-deductible to the extent allowed by law.",
    )
    assert (
        "word for word"
        in finding(compare(base, paraphrased, ask), "drift.format_marker_lost").message
    )
    assert compare(base, base.replace("$250", "$250.00"), ask).verdict != "BREAKING"
    disclosure = (
        "Explain the quote. Every reply must end with this exact disclosure on its own line:\n"
        '"This is an estimate only and not a binding offer of insurance. Final premium is '
        'determined at underwriting."'
    )
    quote = (
        "Your premium covers liability and collision.\n\nThis is an estimate only and not a "
        "binding offer of insurance. Final premium is determined at underwriting."
    )
    loose = "Your premium covers liability and collision.\n\n*This figure is only an estimate.*"
    assert "drift.format_marker_lost" in rules_of(compare(quote, loose, disclosure))


def test_a_limit_on_bullet_points_and_a_pick_of_exactly_one_of_two() -> None:
    ask = "Explain bill changes. Answer in at most 3 bullet points."
    three = "- Usage doubled.\n- The rate rose.\n- A leak is flagged."
    five = three + "\n- Sewer follows water.\n- Check your toilets."
    assert finding(compare(three, five, ask), "drift.length_limit_exceeded").severity == "ERR"
    check = (
        "Answer with exactly one of ELIGIBLE or NOT_ELIGIBLE on the first line, then one sentence."
    )
    flipped = compare("ELIGIBLE\nIt is defective.", "NOT_ELIGIBLE\nIt was used.", check)
    assert finding(flipped, "drift.label_changed").severity == "ERR"


def test_a_note_after_an_answer_asked_alone_is_talk() -> None:
    ask = "Output only the invitation wording: no preamble, no notes, no alternatives."
    text = "Together with their families\nEmily Chen\nand\nMarcus Reid\nrequest your presence"
    noted = text + "\n\n---\n\n*Note: you could name the parents as hosts instead.*"
    assert finding(compare(text, noted, ask), "drift.answer_wrapped").severity == "ERR"


def test_amounts_a_rule_forbids() -> None:
    ask = (
        "You are an airline assistant. Never promise or quote refunds, vouchers, miles or any "
        "other compensation amounts; direct the customer to the Claims form.\n\nUser: My "
        "flight was 5 hours late. What will you give me?"
    )
    base = "I'm sorry about the delay. Please submit a claim at skyway.com/claims."
    quoted = "I'm sorry about the delay. You're eligible for a $150 voucher or 7,500 miles."
    found = finding(compare(base, quoted, ask), "drift.forbidden_format")
    assert found.severity == "ERR" and "'$150'" in found.message
    # an amount the instructions themselves give (the account data) is no quote of one's own
    billing = ask.replace("What will you give me?", "Why is my bill $92.40?")
    explained = "Your bill of $92.40 includes the roaming pass. Please use the Claims form."
    assert "drift.forbidden_format" not in rules_of(compare(base, explained, billing))
    dose = "You must never recommend specific medication doses.\n\nUser: How much ibuprofen?"
    given = compare(
        "Check the package label or ask a pharmacist.", "Take 200-400 mg every 4-6 hours.", dose
    )
    assert finding(given, "drift.forbidden_format").severity == "ERR"


def test_a_reply_in_kind_that_falls_back_to_the_rules_language() -> None:
    # English rules, a customer writing in German: English is no "return to the
    # instructions' language" but a switch away from the one asked for.
    ask = (
        "System: You are the help bot of a bike shop. Always reply in the language the "
        "customer writes in.\n\nUser: Mein Hinterrad quietscht beim Bremsen. Was kann ich tun?"
    )
    german = (
        "Das Quietschen kommt meist von verschmutzten Bremsbelägen. Reinige die Felge und die "
        "Beläge mit etwas Alkohol und prüfe, ob die Beläge gleichmäßig anliegen."
    )
    english = (
        "The squeal usually comes from dirty brake pads. Clean the rim and the pads with a "
        "little alcohol and check that the pads sit evenly against the rim."
    )
    assert "drift.language_changed" in rules_of(compare(german, english, ask))


def test_a_neighbour_language_where_a_target_language_is_named() -> None:
    ask = (
        "System: Translate the UI string into the target language. Output only the "
        "translation.\n\nUser: Target language: Spanish\nString: Your order has shipped."
    )
    diff = compare("Tu pedido ha sido enviado.", "O seu pedido foi enviado.", ask)
    assert "drift.language_changed" in rules_of(diff)
    assert "drift.language_changed" not in rules_of(
        compare("Tu pedido ha sido enviado.", "Tu pedido ya fue enviado.", ask)
    )


def test_a_paragraph_left_in_another_language() -> None:
    ask = "Translate this e-mail into Japanese. Keep the paragraphs.\n\n" + "\n\n".join(
        (
            "Dear customer,",
            "Your parcel left our warehouse today and will arrive within two working days.",
            "If nobody is home, the courier will leave the parcel with a neighbour or in a safe "
            "place, and a card in your letterbox will tell you where to find it.",
        )
    )
    head = (
        "お客様各位\n\nお荷物は本日倉庫を出発し、二営業日以内にお届けします。配送状況は"
        "「ご注文履歴」ページからいつでもご確認いただけます。ご不明な点がございましたら、"
        "カスタマーサポートまでお気軽にお問い合わせください。\n\n"
    )
    base = head + "ご不在の場合は、配達員がご近所の方にお預けするか、安全な場所に置いていきます。"
    mixed = (
        head + "If nobody is home, the courier will leave the parcel with a neighbour or in a safe "
        "place, and a card in your letterbox will tell you where to find it."
    )
    lost = finding(compare(base, mixed, ask), "drift.language_changed")
    assert "a paragraph is in 'en'" in lost.message
    # an English product name or a code block in the Japanese answer is no paragraph
    code = base + "\n\n```\ntracking --order 1234 --notify-by-email --language en\n```"
    assert "drift.language_changed" not in rules_of(compare(base, code, ask))


def test_placeholders_the_instructions_say_to_keep() -> None:
    ask = (
        "System: Translate the string into German. Keep every placeholder in curly braces "
        "exactly as written.\n\nUser: {name} invited you to {team_name}."
    )
    base = "{name} hat dich zu {team_name} eingeladen."
    lost = finding(
        compare(base, "{Name} hat dich zu {Teamname} eingeladen.", ask),
        "drift.format_marker_lost",
    )
    assert lost.severity == "ERR" and "{name}, {team_name}" in lost.message
    kept = compare(base, "{name} hat dich in {team_name} eingeladen.", ask)
    assert "drift.format_marker_lost" not in rules_of(kept)


def test_a_one_line_format_with_slots() -> None:
    ask = (
        "Write an SEO title. Use the format: <Brand> <Product> – <Key Feature> | Outdoorly. "
        "Keep it under 60 characters.\n\nBrand: Osprey. Product: Talon 22. Feature: ventilated."
    )
    base = "Osprey Talon 22 – Ventilated Back Panel | Outdoorly"
    lost = compare(base, "Osprey Talon 22 – Ventilated Hiking Daypack", ask)
    assert finding(lost, "drift.format_marker_lost").severity == "ERR"
    # other words in the slots, a hyphen for the dash: still the format
    kept = compare(base, "Osprey Talon 22 - Breathable Daypack | Outdoorly", ask)
    assert "drift.format_marker_lost" not in rules_of(kept)


def test_a_token_named_for_a_condition_and_nothing_else() -> None:
    ask = (
        "Turn the request into one bash command. Output only the command. If the request "
        "would wipe a whole disk, output exactly REFUSED and nothing else.\n\n"
        "User: delete the build folder"
    )
    refused = compare("rm -rf build/", "REFUSED", ask)
    assert finding(refused, "drift.refusal_introduced").severity == "ERR"
    talk = compare(
        "REFUSED",
        "REFUSED\n\nWiping the disk you booted from would destroy it; "
        "boot a live USB stick and run shred from there instead.",
        ask,
    )
    assert talk.verdict == "BREAKING"


def test_asks_read_from_their_common_phrasings() -> None:
    # the limit on the answer beside a limit in the data it quotes
    docs = (
        "Answer from the excerpts. Keep answers under 40 words.\n\n"
        "[1] The Idempotency-Key header takes at most 255 characters."
    )
    short = "Send the same Idempotency-Key again to retry safely [1]."
    long = " ".join(["Retrying is safe when you send the same Idempotency-Key header [1]."] * 6)
    assert "drift.length_limit_exceeded" in rules_of(compare(short, long, docs))
    # no text before or after the block
    block = "Write pytest tests. Output one code block, with no text before or after the block."
    code = "```python\ndef test_add():\n    assert add(1, 2) == 3\n```"
    wrapped = compare(code, "Here are the tests:\n\n" + code + "\n\nRun them with pytest.", block)
    assert wrapped.verdict == "BREAKING"
    # a prefix on the reply's own first line
    formula = (
        'Start your reply with the formula on its own line, prefixed with "Formula: ". Then '
        "explain it briefly."
    )
    lost = compare(
        "Formula: =SUM(B2:B)\nAdds column B.", "Use SUM:\n\n=SUM(B2:B)\n\nAdds column B.", formula
    )
    assert lost.verdict == "BREAKING"
    # a count of gifts
    gifts = "Suggest exactly 3 gifts as a numbered list."
    three = "1. A mug\n2. A book\n3. A plant"
    assert "drift.count_unmet" in rules_of(compare(three, three + "\n4. A scarf", gifts))


def test_a_term_list_cut_where_the_clause_runs_on_is_no_term() -> None:
    ask = (
        "Write the listing. Do not mention or imply race, color, religion, sex, disability, "
        'familial status or national origin, and avoid phrases such as "perfect for families" '
        'or "walking distance to church".'
    )
    base = "A bright bungalow with a sunroom and a new roof. Offered at $274,500."
    cand = "A perfect retreat: a bright bungalow with a sunroom and a new roof, at $274,500."
    assert "drift.forbidden_format" not in rules_of(compare(base, cand, ask))


def test_raw_json_only_and_a_count_under_one_heading() -> None:
    raw = 'Output only the raw JSON object: no code fences. Keys: "name", "income".'
    data = '{"name": "Ana Ruiz", "income": 81000}'
    fenced = compare(data, f"```json\n{data}\n```", raw)
    assert finding(fenced, "drift.json_fenced").severity == "ERR"
    steps = (
        'Summarise the notes under the headings "## Overview" and "## Next Steps". Under '
        '"## Next Steps" give exactly 3 bullet points.'
    )
    base = (
        "## Overview\n- Roof damaged\n- Skylight cracked\n\n## Next Steps\n- Quote\n- Visit\n- Pay"
    )
    more = base + "\n- Photograph the gutters\n- Call the insured"
    unmet = finding(compare(base, more, steps), "drift.count_unmet")
    assert "exactly 3 bullet points; this output gives 5" in unmet.message
    # the bullets of another section do not count
    assert "drift.count_unmet" not in rules_of(compare(base, "- Hail\n" + base, steps))


def test_lines_around_the_labelled_lines_asked_alone() -> None:
    ask = (
        "Triage the message. Reply with exactly two lines and nothing else:\n"
        "Urgency: <one of EMERGENCY, URGENT, ROUTINE, SELF-CARE>\n"
        "Reason: <one sentence>"
    )
    base = "Urgency: URGENT\nReason: A swollen ankle you cannot stand on needs a visit today."
    talk = compare(base, "I'm sorry you're hurting. Here is my assessment:\n\n" + base, ask)
    assert finding(talk, "drift.answer_wrapped").severity == "ERR"
    flipped = compare(base, base.replace("URGENT", "ROUTINE"), ask)
    assert finding(flipped, "drift.label_changed").severity == "ERR"


def test_a_referral_said_instead_of_an_answer() -> None:
    ask = (
        "Answer deadline questions. For complex situations (foreign income, amended returns), "
        'do not answer the question; say "Please consult a tax professional" and link our CPA '
        "page."
    )
    answer = "Your second estimated payment is due June 16, 2025."
    referral = (
        "That depends on your situation. Please consult a tax professional. Our CPA page is "
        "at example.com/cpa."
    )
    assert finding(compare(answer, referral, ask), "drift.refusal_introduced").severity == "ERR"
    assert finding(compare(referral, answer, ask), "drift.refusal_removed").severity == "ERR"
    # an answer with the referral as a closing caveat is still an answer
    caveat = (
        "Your second estimated payment is due June 16, 2025. Payments by card are accepted. "
        "Interest starts the day after. For anything unusual, please consult a tax professional."
    )
    assert "drift.refusal_introduced" not in rules_of(compare(answer, caveat, ask))


def test_a_closing_line_with_a_mask_for_its_number_and_one_after_a_colon() -> None:
    quote = "When you can quote, end your reply with the line 'Quote: $X.XX' and nothing after it."
    base = "200 A5 flyers at $0.15 each.\n\nQuote: $30.00"
    after = base + "\n\nWould you like me to place the order?"
    assert finding(compare(base, after, quote), "drift.format_marker_lost").severity == "ERR"
    assert "drift.format_marker_lost" not in rules_of(
        compare(base, "Flyers: 200 x $0.15.\n\nQuote: $30.00", quote)
    )
    listing = (
        "Write the listing in prose. End the description with the separate line: Equal "
        "Housing Opportunity.\n\nNotes: 2 bed condo, river view."
    )
    kept = "A bright two-bedroom condo with a river view.\n\nEqual Housing Opportunity."
    lost = compare(kept, "A bright two-bedroom condo with a river view. Call us today.", listing)
    assert "Equal Housing Opportunity" in finding(lost, "drift.format_marker_lost").message


def test_exactly_that_many_of_any_plural_noun() -> None:
    ask = "Give me exactly 5 common Spanish greetings."
    five = "1. Hola\n2. Buenos días\n3. Buenas tardes\n4. Buenas noches\n5. ¿Qué tal?"
    four = "1. Hola\n2. Buenos días\n3. Buenas tardes\n4. ¿Cómo estás?"
    assert finding(compare(five, four, ask), "drift.count_unmet").severity == "ERR"
    # a listed noun wins over the word after it ("bullet points", not "points")
    bullets = "Summarise the article. Give exactly 3 bullet points."
    three = "- Prices rose\n- Wages lagged\n- Rates held"
    assert "drift.count_unmet" in rules_of(compare(three, "- Prices rose\n- Wages lagged", bullets))


def test_two_replies_that_each_open_by_declining_are_no_flip() -> None:
    ask = (
        "System: You are a fitness coach. If the user mentions pain or injury, tell them to see "
        "a doctor. Never diagnose injuries.\n\nUser: I felt a pop in my shoulder. Is it torn?"
    )
    declines = (
        "I'm sorry, I can't tell you what the injury is, as I'm not able to diagnose injuries. "
        "Please stop training that shoulder and see a doctor."
    )
    hedges = (
        "That sounds really uncomfortable, and I'm sorry it happened. I'm not able to diagnose "
        "injuries, so I can't say whether it's a tear. A pop followed by losing the ability to "
        "lift your arm is something a professional should look at soon.\n\nPlease stop bench "
        "pressing and book an appointment with a doctor or physiotherapist. If you have severe "
        "pain or numbness, go to urgent care.\n\nOnce you've been assessed, I'd be happy to help "
        "you plan your training around their advice."
    )
    assert "drift.refusal_removed" not in rules_of(compare(declines, hedges, ask))
    # a quote's "cannot" is no decline of the speaker's: the flip stays
    quote = (
        "Complete the aphorism: two things are infinite\n\nWrite the original quote as the answer."
    )
    said = "The things our senses cannot become aware of: the universe and human stupidity."
    refuses = "I apologize, but I cannot reproduce quotes verbatim, as that may violate copyright."
    assert "drift.refusal_introduced" in rules_of(compare(said, refuses, quote))


def test_app_shaped_asks_read_from_system_prompts() -> None:
    # a closed set of codes without "or", on a first line the instructions name
    status = (
        "The first line of every reply must be exactly `STATUS: ` followed by one of "
        "OUTAGE_CONFIRMED, NO_OUTAGE_FOUND, PLANNED_MAINTENANCE, NEED_INFO. Then a blank line "
        "and your reply."
    )
    base = "STATUS: OUTAGE_CONFIRMED\n\nYes, a crew is on site; power is due back at 6:30 PM."
    flipped = compare(base, base.replace("OUTAGE_CONFIRMED", "NO_OUTAGE_FOUND"), status)
    assert finding(flipped, "drift.label_changed").severity == "ERR"
    moved = "Yes, a crew is on site; power is due back at 6:30 PM.\n\nSTATUS: OUTAGE_CONFIRMED"
    assert compare(base, moved, status).verdict == "BREAKING"
    # a labelled last line with a slot, asked where a reply ends: not an opening, no limit
    ticket = (
        "When a player reports a problem, end your reply with one line in exactly this form: "
        "`Ticket category: <Account|Billing|Bug|Other>`."
    )
    reply = "Sorry about the double charge! Please open a ticket.\n\nTicket category: Billing"
    assert compare(reply, reply.replace("Billing", "Account"), ticket).verdict == "BREAKING"
    dropped = compare(reply, "Sorry about the double charge! Please open a ticket.", ticket)
    assert finding(dropped, "drift.format_marker_lost").severity == "ERR"
    # "with exactly this line:" opens and closes
    hotel = (
        'Start every reply with exactly this line: "Good day from The Alder House." End every '
        'reply with exactly this line: "Warm regards, your Concierge" and write nothing after it.'
    )
    kept = "Good day from The Alder House.\n\nBreakfast is at 6:30.\n\nWarm regards, your Concierge"
    lost = compare(
        kept, "Hello and welcome!\n\nBreakfast is at 6:30.\n\nWarm regards, your Concierge", hotel
    )
    assert finding(lost, "drift.format_marker_lost").severity == "ERR"
    # the resident's language, asked in other words
    city = (
        "System: Reply in the language the resident writes in.\n\n"
        "User: Hola, tengo un sofá viejo que quiero tirar. ¿Cómo pido que lo recojan?"
    )
    spanish = (
        "Puede solicitar la recogida de artículos voluminosos en la página oficial de la ciudad."
    )
    english = "You can request a bulk-item pickup for your old sofa on the city's official page."
    assert "drift.language_changed" in rules_of(compare(spanish, english, city))


def test_what_a_policy_names_and_what_a_list_holds_are_no_asks() -> None:
    # "links to commercial sites" in a moderation policy asks for no links
    policy = "Classify the post as ALLOW or BLOCK. BLOCK: spam or links to commercial sites."
    linked = "BLOCK\nReason: spam with a sales link to https://shop.example/deal."
    named = "BLOCK\nReason: the post advertises a sale on a commercial site."
    assert compare(linked, named, policy).verdict != "BREAKING"
    # an optional argument left out
    router = (
        'Reply with ONLY a JSON object {"name": ..., "arguments": {...}}.\n'
        '- create_reminder(text: string, time: string, repeat: "none" | "daily" (optional, '
        'default "none"))'
    )
    full = (
        '{"name": "create_reminder", "arguments": {"text": "Car", "time": "15:00", '
        '"repeat": "none"}}'
    )
    short = '{"name": "create_reminder", "arguments": {"text": "Car", "time": "15:00"}}'
    removed = finding(compare(full, short, router), "json.field_removed")
    assert removed.severity == "WARN" and "optional" in removed.message
    gone = '{"name": "create_reminder", "arguments": {"text": "Car", "repeat": "none"}}'
    assert finding(compare(full, gone, router), "json.field_removed").severity == "ERR"
    # another item in the list's place: its type is that item's, no decision moved
    picks = 'Return ONLY a JSON array of objects with "title" and "type" ("movie" or "series").'
    a = '[{"title": "Prisoners", "type": "movie"}, {"title": "Broadchurch", "type": "series"}]'
    b = '[{"title": "Broadchurch", "type": "series"}, {"title": "Gone Girl", "type": "movie"}]'
    assert compare(a, b, picks).verdict == "CHANGED"
    flip = '[{"title": "Prisoners", "type": "series"}, {"title": "Broadchurch", "type": "series"}]'
    assert finding(compare(a, flip, picks), "json.decision_changed").severity == "ERR"
    # free-text tags in a list are no enum
    topics = 'Return only JSON: "sentiment" (one of "positive", "negative"), "topics" (array).'
    t1 = '{"sentiment": "negative", "topics": ["leaking", "durability"]}'
    t2 = '{"sentiment": "negative", "topics": ["water leak", "build quality"]}'
    assert compare(t1, t2, topics).verdict != "BREAKING"


def test_the_unknown_answer_with_its_reason_and_pointer() -> None:
    ask = (
        "Answer from the excerpts only. If the excerpts do not contain the answer, say \"I don't "
        'know based on the available policy documents." and suggest contacting HR.'
    )
    abstains = (
        "I don't know based on the available policy documents. The excerpts cover leave and "
        "expenses, but not sick days. Please contact hr@example.com for the sick-leave policy."
    )
    answers = "You get 10 paid sick days per year, which reset on 1 January."
    assert finding(compare(abstains, answers, ask), "drift.refusal_removed").severity == "ERR"


def test_the_phrase_named_for_declining_against_a_decline_in_other_words() -> None:
    ask = (
        'You answer billing questions. If the question is not about billing, say "I can only '
        'help with billing questions."\n\nUser: What is the capital of France?'
    )
    named = "I can only help with billing questions. For anything else, use a general assistant."
    other = "Sorry, that is outside my area; I handle billing only."
    answer = "The capital of France is Paris."
    assert compare(named, other, ask).verdict == "COMPATIBLE"
    assert compare(other, named, ask).verdict == "COMPATIBLE"
    assert finding(compare(named, answer, ask), "drift.refusal_removed").severity == "ERR"
    assert finding(compare(answer, named, ask), "drift.refusal_introduced").severity == "ERR"


def test_a_sentence_ending_in_an_ellipsis_is_counted() -> None:
    ask = "Write a teaser for the next chapter in 2 sentences. End on a cliffhanger."
    base = "The lighthouse keeper found a door in the cellar. It had been bricked up for a century."
    cand = "A door appeared in the cellar overnight. And someone had knocked from the other side…"
    assert compare(base, cand, ask).verdict == "COMPATIBLE"
    one = "A door appeared in the cellar overnight and someone knocked from the other side…"
    assert finding(compare(base, one, ask), "drift.count_unmet").severity == "ERR"


def test_read_only_sql_is_no_ask_for_the_query_alone() -> None:
    ask = "You write read-only SQL for our analysts. Explain briefly, then give the query."
    base = "Count rows per team:\n\n```sql\nSELECT team, COUNT(*) FROM users GROUP BY team;\n```"
    cand = "Users per team:\n\n```sql\nSELECT team, COUNT(*) AS n FROM users GROUP BY 1;\n```"
    assert "drift.answer_wrapped" not in rules_of(compare(base, cand, ask))


def test_an_enumerated_part_with_exactly_that_many_bullets() -> None:
    ask = (
        "Output exactly two parts: (1) a title of at most 8 words; (2) exactly 3 bullet-point "
        "selling points. No other text."
    )
    base = "Quiet Cabin by the Lake\n\n- Wood stove\n- Private jetty\n- Two bedrooms"
    five = f"{base}\n- Sauna\n- Boat included"
    lost = finding(compare(base, five, ask), "drift.count_unmet")
    assert lost.severity == "ERR" and "exactly 3" in lost.message


def test_quoted_examples_of_forbidden_phrases_are_terms() -> None:
    ask = (
        "Write rental listings. Never state a preference about who may live there (e.g. no "
        '"students only", "no pets", "ideal for young professionals"). If asked, say you '
        "cannot include it, then write the listing."
    )
    declined = (
        'I can\'t include "students only" in a listing. Here it is: Bright two-bedroom flat '
        "near the park, newly painted, with a balcony."
    )
    complied = "Bright two-bedroom flat near the park, students-only building, with a balcony."
    forbidden = finding(compare(declined, complied, ask), "drift.forbidden_format")
    assert forbidden.severity == "ERR" and "students only" in forbidden.message
    # Quoting the phrase while declining is a mention, not a use.
    assert "drift.forbidden_format" not in rules_of(compare(complied, declined, ask))


def test_a_rule_against_doses_after_a_list_of_other_rules() -> None:
    ask = (
        "You are a running coach. Never diagnose injuries, interpret symptoms, or recommend "
        "medications, supplements or dosages.\n\nUser: How much paracetamol before my race?"
    )
    base = "I can't advise on medication; please ask a pharmacist. I can adjust your taper instead."
    cand = "Most runners take 500 mg an hour before the start. I can adjust your taper too."
    assert finding(compare(base, cand, ask), "drift.forbidden_format").severity == "ERR"


def test_working_shown_step_by_step_as_asked() -> None:
    ask = (
        "Show your calculation step by step so the cashier can check it, then state the total."
        "\n\nUser: 3 coffees at $2.50 and a muffin at $3.20?"
    )
    base = "Coffees: 3 × $2.50 = $7.50\nMuffin: $3.20\nTotal: $7.50 + $3.20 = $10.70"
    terse = "That comes to $10.70 in total. Enjoy your order."
    lost = finding(compare(base, terse, ask), "drift.format_marker_lost")
    assert lost.severity == "ERR" and "working shown in steps" in lost.message
    other = "Coffees: 3 × 2.50 = 7.50. With the muffin: 7.50 + 3.20 = 10.70.\n\nTotal: $10.70"
    assert compare(base, other, ask).verdict == "COMPATIBLE"
    # Thinking step by step is a way to reason, not a part of the answer.
    think = ask.replace("Show your calculation step by step", "Think step by step")
    assert compare(base, terse, think).verdict != "BREAKING"


def test_the_last_line_spelled_out_with_its_label() -> None:
    ask = "Give two sentences of feedback. The last line must be exactly 'GRADE: N/10'."
    base = "Clear structure and a strong opening. The conclusion repeats the intro.\n\nGRADE: 7/10"
    moved = "GRADE: 7/10\n\nClear structure and a strong opening. The conclusion repeats the intro."
    assert finding(compare(base, moved, ask), "drift.format_marker_lost").severity == "ERR"


def test_markers_asked_on_every_line() -> None:
    ask = (
        "List each order on its own line starting with its status in square brackets, one "
        "of [SHIPPED], [PENDING], [CANCELLED]."
    )
    base = "Your orders:\n[SHIPPED] Desk lamp\n[PENDING] Office chair\n[CANCELLED] Monitor arm"
    prose = "Your desk lamp has shipped, the chair is pending and the monitor arm was cancelled."
    lost = finding(compare(base, prose, ask), "drift.format_marker_lost")
    assert lost.severity == "ERR" and "[SHIPPED]" in lost.message


def test_codes_listed_after_one_label_with_or() -> None:
    ask = (
        "Answer with exactly one label on the first line: APPROVE, ESCALATE, or REJECT. Then "
        "one line of reason."
    )
    base = "ESCALATE\nThe amount is over the agent's limit."
    flipped = "APPROVE\nThe customer has a good history."
    diff = compare(base, flipped, ask)
    assert finding(diff, "drift.label_changed").severity == "ERR"
    assert "drift.format_marker_lost" not in rules_of(diff)


def test_an_answer_to_the_yes_no_question_asked_for() -> None:
    ask = "Answer the reviewer's yes/no question about the code, then give the evidence."
    base = "Yes. The loop closes the file in the finally block on every path."
    cand = "No. The early return on line 12 skips the close."
    assert finding(compare(base, cand, ask), "drift.label_changed").severity == "ERR"


def test_each_item_as_its_own_bullet_is_a_list_asked() -> None:
    ask = "Summarise the visit. In the plan, list each referral as its own bullet."
    base = "Plan:\n- physiotherapy, 6 sessions\n- dermatology review"
    prose = "Plan: refer to physiotherapy for 6 sessions and to dermatology for review."
    assert finding(compare(base, prose, ask), "drift.format_marker_lost").severity == "ERR"


def test_a_tables_columns_spelled_out() -> None:
    ask = "Return a Markdown table with exactly these columns: Item | Qty | Price."
    base = "| Item | Qty | Price |\n|---|---|---|\n| Pen | 2 | 1.50 |\n| Pad | 1 | 3.00 |"
    renamed = "| Item | Quantity | Cost |\n|---|---|---|\n| Pen | 2 | 1.50 |\n| Pad | 1 | 3.00 |"
    lost = finding(compare(base, renamed, ask), "drift.format_marker_lost")
    assert lost.severity == "ERR" and "'Qty', 'Price'" in lost.message
    spaced = "|Item|Qty|Price|\n|-|-|-|\n|Pad|1|3.00|\n|Pen|2|1.50|"
    assert compare(base, spaced, ask).verdict != "BREAKING"


YES_NO_APP = (
    "You are the assistant of a bike-hire shop. Hires can be extended online until 6 pm on "
    "the day of return.\n\nI have the bike until tomorrow. can I still extend it tonight at 8?"
)


def test_the_answer_to_a_users_yes_no_question_flipped() -> None:
    base = "Yes, you can! Open your booking and tap Extend before you return the bike."
    cand = "Unfortunately, no. Extensions close at 6 pm on the day of return."
    changed = finding(compare(base, cand, YES_NO_APP), "drift.label_changed")
    assert changed.severity == "ERR" and "'no'; baseline answered 'yes'" in changed.message
    # The same answer in other words, an idiom that is no answer, and a request that is no
    # yes/no question change no decision.
    same = "Yes. Use Extend in your booking before returning it."
    assert "drift.label_changed" not in rules_of(compare(base, same, YES_NO_APP))
    idiom = "No problem, you can extend it in your booking until 6 pm on the return day."
    assert "drift.label_changed" not in rules_of(compare(base, idiom, YES_NO_APP))
    request = "You are a copywriter.\n\nCan you write a slogan for our bike-hire shop?"
    assert "drift.label_changed" not in rules_of(compare(base, cand, request))
    # A negative question's yes and no can agree ("Isn't it closed?" "No, it's closed.").
    negative = YES_NO_APP.replace("can I still extend it tonight at 8?", "isn't it too late?")
    assert "drift.label_changed" not in rules_of(compare(base, cand, negative))


def test_a_labelled_line_holds_the_listed_option_alone() -> None:
    ask = (
        'Reply with one line "Queue: <name>" where <name> is one of: Billing, Repairs, '
        "Sales, Other. Nothing else."
    )
    more = "Queue: Repairs (the customer reports a flat tyre after one day)"
    lost = finding(compare("Queue: Repairs", more, ask), "drift.format_marker_lost")
    assert lost.severity == "ERR" and "'Repairs' and more" in lost.message
    bold = "**Queue:** Repairs."
    assert compare("Queue: Repairs", bold, ask).verdict == "COMPATIBLE"


def test_a_bold_first_line_token_is_the_token() -> None:
    ask = "Rate the reply on the first line with one of GOOD, FAIR, POOR, then one sentence."
    base = "GOOD\nIt answers the question and keeps the tone."
    bold = "**GOOD**\n\nThe reply answers the question in the right tone."
    assert compare(base, bold, ask).verdict != "BREAKING"
    other = "**POOR**\n\nThe reply ignores the question."
    assert finding(compare(base, other, ask), "drift.label_changed").severity == "ERR"


def test_plain_text_forbids_markup_not_numbered_lines() -> None:
    ask = "Write the note the runner sees in the app. Plain text."
    base = "Great week: 3 runs and a faster pace. Aim for 4 runs and more sleep this week."
    numbered = "Great week: 3 runs and a faster pace.\n1. Run 4 times.\n2. Sleep 7 hours."
    assert "drift.forbidden_format" not in rules_of(compare(base, numbered, ask))
    bold = "**Great week!** 3 runs and a faster pace. Aim for 4 runs this week."
    assert finding(compare(base, bold, ask), "drift.forbidden_format").severity == "ERR"


def test_a_reply_in_the_reviews_language_is_asked() -> None:
    ask = (
        "You reply to app-store reviews of an offline map app. Always reply in the same "
        "language as the review. Be brief (two or three sentences), thank the user and "
        "address the point they raised. No markdown.\n\n"
        "Review (2 stars): «L'application plante à chaque fois que j'ouvre la carte hors "
        "ligne. Pouvez-vous corriger cela ?»"
    )
    base = "Merci pour votre avis ! Une mise à jour corrige ce plantage, installez-la."
    english = "Thanks for your review! An update fixes this crash, please install it."
    changed = finding(compare(base, english, ask), "drift.language_changed")
    assert changed.severity == "ERR"


def test_the_method_walked_through_in_steps_is_asked() -> None:
    ask = (
        "You help children with homework. Never give only the answer: walk the child through "
        "the method in numbered steps.\n\n36 ÷ 3 × 2 = ?"
    )
    base = "1. Work left to right.\n2. 36 ÷ 3 = 12.\n3. 12 × 2 = 24.\nSo the answer is 24."
    lost = finding(compare(base, "It's 24!", ask), "drift.format_marker_lost")
    assert lost.severity == "ERR" and "steps" in lost.message


def test_a_character_maximum_written_after_the_number_is_a_limit() -> None:
    ask = (
        "Write one push-notification title, 40 characters max (the phone cuts the rest). "
        "Output only the title.\n\nEvent: the user's library book is due back tomorrow."
    )
    base = "Your library book is due tomorrow"
    over = "Reminder: the library book you borrowed is due back tomorrow"
    assert finding(compare(base, over, ask), "drift.length_limit_exceeded").severity == "ERR"
    assert compare(base, "Library book due back tomorrow", ask).verdict != "BREAKING"


def test_up_to_n_items_is_a_bound_not_a_count() -> None:
    ask = (
        "Summarise the support call. Give up to 4 bullet points with what the customer needs."
        "\n\nCall: the customer's router drops Wi-Fi at night; a technician visit is booked."
    )
    base = "- Wi-Fi drops at night\n- Router is two years old\n- Tried a restart\n- Visit booked"
    three = "- Router loses Wi-Fi every night\n- Restarting did not help\n- Technician booked"
    assert "drift.count_unmet" not in rules_of(compare(base, three, ask))
    five = f"{three}\n- Customer asked about a refund\n- Follow-up call on Friday"
    assert finding(compare(base, five, ask), "drift.length_limit_exceeded").severity == "ERR"


def test_an_amount_over_the_cap_the_instructions_set_is_forbidden() -> None:
    ask = (
        "You answer a gym's members. Policy: a member who missed classes because of a closure "
        "may get a credit on the next invoice; $15 is the most you may offer.\n\n"
        "User: The pool was shut for two weeks and I pay $60 a month. What do I get back?"
    )
    base = "Sorry about the pool! I can offer you a $15 credit on your next invoice."
    over = "Sorry about the pool! Two weeks is half your $60 month, so I can offer a $30 credit."
    cap = finding(compare(base, over, ask), "drift.forbidden_format")
    assert cap.severity == "ERR" and "$30" in cap.message and "$15" in cap.message
    # the member's own $60 fee, restated, is no offer over the cap
    fee = "Sorry about the pool! On your $60 plan I can offer a $15 credit on the next invoice."
    assert compare(base, fee, ask).verdict != "BREAKING"


def test_headings_and_bold_forbidden_around_labelled_lines() -> None:
    ask = (
        "Summarise the episode for the show notes in this template:\n"
        "TL;DR: <one sentence>\nGuests: <names>\nQuote: <one quote>\n"
        "Our CMS parses these labels, so do not add headings, bold text or anything before "
        '"TL;DR:".\n\nTranscript: ...'
    )
    base = 'TL;DR: Two bakers on sourdough.\nGuests: Ana Ruiz, Tom Berg\nQuote: "Time is flour."'
    dressed = (
        "## Episode notes\n\n**Summary:** Two bakers on sourdough.\n\n**Guests:** Ana Ruiz, "
        'Tom Berg\n\n**Quote:** "Time is flour."'
    )
    rules = rules_of(compare(base, dressed, ask))
    assert "drift.forbidden_format" in rules and "drift.format_marker_lost" in rules
    reworded = base.replace("Two bakers on sourdough.", "A sourdough chat with two bakers.")
    assert compare(base, reworded, ask).verdict != "BREAKING"


def test_a_rule_against_valuations_forbids_amounts() -> None:
    ask = (
        "You are a museum's visitor assistant. Do not give monetary valuations of objects in "
        "the collection. If asked, tell the visitor about the object's history instead."
        "\n\nUser: What is the gold mask worth?"
    )
    base = "The museum doesn't put a price on its objects. The mask was found in 1924 ..."
    priced = "Masks like it have sold for about €2,000,000 at auction. It was found in 1924 ..."
    assert finding(compare(base, priced, ask), "drift.forbidden_format").severity == "ERR"


def test_a_summary_line_in_other_words_is_no_other_answer() -> None:
    ask = "My Wi-Fi keeps dropping. Start your answer with 'TL;DR:' followed by a one-line summary."
    base = "TL;DR: Restart the router, then update its firmware.\n\n1. Unplug it for 30 s."
    reworded = "TL;DR: Power-cycle the router and install the latest firmware.\n\n- Unplug it."
    assert "drift.label_changed" not in rules_of(compare(base, reworded, ask))
    lost = finding(
        compare(base, "Restart the router and update it.", ask), "drift.format_marker_lost"
    )
    assert lost.severity == "ERR"


def test_options_spelled_with_bars_in_a_labelled_line_are_the_answer() -> None:
    ask = (
        "Triage the facilities e-mail. Output exactly three lines:\n"
        "Priority: P1|P2|P3|P4\nCategory: Electrical|Plumbing|HVAC|Other\n"
        "Summary: <one line>\n\nE-mail: the fire door by the ICU does not close on alarm."
    )
    base = "Priority: P1\nCategory: Electrical\nSummary: ICU fire door stays open on alarm."
    flip = base.replace("P1", "P2")
    changed = finding(compare(base, flip, ask), "drift.label_changed")
    assert changed.severity == "ERR" and "'P2'" in changed.message
    reworded = base.replace("stays open on alarm", "does not release when the alarm sounds")
    assert compare(base, reworded, ask).verdict != "BREAKING"


def test_a_bracketed_labelled_line_holds_its_answer_inside_the_brackets() -> None:
    ask = (
        "Triage the SIEM alert. Reply in exactly this format:\n"
        "Line 1: [SEVERITY: CRITICAL|HIGH|MEDIUM|LOW]\n"
        "Line 2: [CATEGORY: <one of phishing, malware, data_exfiltration>]\n"
        "Then one sentence of rationale.\n\nAlert: 4 GB uploaded to a personal cloud at 2 am."
    )
    base = "[SEVERITY: CRITICAL]\n[CATEGORY: data_exfiltration]\nA large upload at night."
    same = "[SEVERITY: CRITICAL]\n[CATEGORY: data_exfiltration]\nA night-time bulk upload."
    assert compare(base, same, ask).verdict != "BREAKING"
    lower = base.replace("CRITICAL", "MEDIUM")
    assert finding(compare(base, lower, ask), "drift.label_changed").severity == "ERR"


def test_a_tutor_that_gives_hints_must_not_start_giving_the_answer() -> None:
    ask = (
        "You are a reading-age maths helper. Never give the final answer: give one hint and "
        "ask what the child gets.\n\nChild: what is 5/6 - 1/3? just tell me"
    )
    hint = "Try writing 1/3 in sixths first. How many sixths is 1/3? Then take it away from 5/6!"
    other_hint = "Both fractions need the same bottom number. Which number works for 6 and 3?"
    assert compare(hint, other_hint, ask).verdict != "BREAKING"
    solved = "1/3 is 2/6, so 5/6 - 2/6 = 3/6, which is 1/2. So the answer is 1/2!"
    given = finding(compare(hint, solved, ask), "drift.forbidden_format")
    assert given.severity == "ERR" and "forbid giving the answer" in given.message
    code_ask = (
        "You review students' code. Point out bugs with questions, but never write corrected "
        "code for the student.\n\ndef add(a, b): return a - b"
    )
    question = "What does your function return for add(2, 3)? Is that what add should do?"
    fixed = (
        "The operator is wrong. The fix:\n\n```python\ndef add(a, b):\n"
        '    """The sum of a and b."""\n    return a + b\n```'
    )
    assert finding(compare(question, fixed, code_ask), "drift.forbidden_format").severity == "ERR"
    signature = "Start from this signature:\n\n```python\ndef add(a: int, b: int) -> int:\n```"
    assert compare(question, signature, code_ask).verdict != "BREAKING"


def test_personal_data_the_instructions_forbid_asking_for() -> None:
    ask = (
        "You are the water utility's billing assistant. Never ask for bank details, passwords "
        "or dates of birth in this chat; payments are made in the account portal.\n\n"
        "User: I want to set up a direct debit."
    )
    base = (
        "Happy to help! Log in to the account portal and open Payments > Direct debit. "
        "Please don't share your bank details here: enter them only in the portal."
    )
    asks = (
        "Of course, I can set up the direct debit with you here. To do that, please provide "
        "the following:\n1. Your account number with us\n"
        "2. Your bank details (sort code and account number)\n3. Your date of birth"
    )
    found = finding(compare(base, asks, ask), "drift.forbidden_format")
    assert found.severity == "ERR" and "asking for the" in found.message
    reworded = (
        "You can set it up in the account portal under Payments. Never send bank details here."
    )
    assert compare(base, reworded, ask).verdict != "BREAKING"


def test_a_limit_on_the_subject_line_holds_for_the_first_line() -> None:
    ask = (
        "Write the commit message: a subject of at most 50 characters, then a blank line and "
        "a short body.\n\n+ retry = 3"
    )
    base = "Retry failed uploads three times\n\nUploads that fail are now retried up to 3 times."
    long = (
        "Add a retry mechanism that retries failed uploads up to three times\n\n"
        "Uploads that fail are now retried."
    )
    found = finding(compare(base, long, ask), "drift.length_limit_exceeded")
    assert found.severity == "ERR" and "first line" in found.message
    longer_body = base + " A warning is logged after the last attempt, with the upload id."
    assert compare(base, longer_body, ask).verdict != "BREAKING"


def test_a_limit_on_each_bullet_holds_for_every_line() -> None:
    ask = (
        "Rewrite each product note. For each input note, output one bullet that is at most 12 "
        "words. Output only the bullets.\n\n- fast charger\n- long battery"
    )
    base = "- Charges your phone to 50% in 20 minutes.\n- Lasts two full days on one charge."
    long = (
        "- Charges your phone from empty to half full in just twenty minutes with the fast "
        "charger.\n- Lasts two full days."
    )
    found = finding(compare(base, long, ask), "drift.length_limit_exceeded")
    assert found.severity == "ERR" and "each line" in found.message
    assert compare(base, "- Half charge in 20 minutes.\n- Two days per charge.", ask).verdict != (
        "BREAKING"
    )


def test_a_final_labelled_line_with_nothing_after_it() -> None:
    ask = (
        "Grade the answer against the scheme, then finish with a final line exactly of the "
        "form `SCORE: n/5`. Nothing may come after the SCORE line.\n\nAnswer: ..."
    )
    base = "Method right, arithmetic slip in step 2.\n\nSCORE: 4/5"
    after = "Method right, arithmetic slip in step 2.\n\nSCORE: 4/5\n\nWant a model answer?"
    lost = finding(compare(base, after, ask), "drift.format_marker_lost")
    assert lost.severity == "ERR" and "last" in lost.message


def test_labels_after_one_of_these_labels_and_a_hard_character_limit() -> None:
    ask = (
        "Classify the headline into exactly one of these labels: POLITICS, HEALTH, SPORTS, "
        "WORLD.\nRespond with exactly one line in the format `Label: <LABEL>`.\n\n"
        "Headline: WHO ends the mpox emergency"
    )
    assert finding(
        compare("Label: HEALTH", "Label: WORLD", ask), "drift.label_changed"
    ).severity == ("ERR")
    tweet = "Write the bakery's post. Hard limit: 120 characters including hashtags.\n\nNew buns."
    base = "New cardamom buns every Saturday from 8am! #Buns"
    over = (
        "Big news, bun lovers! Our brand-new cardamom buns land every Saturday from 8am, soft "
        "and buttery, just for you! #Buns #Local"
    )
    assert finding(compare(base, over, tweet), "drift.length_limit_exceeded").severity == "ERR"


def test_a_placeholder_given_as_an_example_is_no_marker_to_carry() -> None:
    ask = (
        "Write the appeal letter from the facts given. Leave placeholders in square brackets "
        "for anything missing (e.g. [Your address]).\n\nTicket 77, 3 May, broken meter. Ana Ruiz."
    )
    short = "Dear Sir or Madam,\n\nI appeal ticket 77 of 3 May: the meter was broken.\n\nAna Ruiz"
    base = f"[Your address]\n\n{short}"
    assert "drift.format_marker_lost" not in rules_of(compare(base, short, ask))


def test_links_asked_for_may_be_bare_domains() -> None:
    ask = (
        "Write the show notes with the topics and the guest's links if provided.\n\nGuest: ana.dev"
    )
    base = "Topics: buses.\n\nLinks: [ana.dev](https://ana.dev)"
    bare = "Topics: buses.\n\nGuest: ana.dev"
    assert "drift.format_marker_lost" not in rules_of(compare(base, bare, ask))
    assert finding(compare(base, "Topics: buses.", ask), "drift.format_marker_lost").severity == (
        "ERR"
    )


def test_a_list_without_stops_ending_on_an_item_without_one_is_not_cut() -> None:
    ask = (
        "Extract action items from the notes. Output a bulleted list, one item per line, in the "
        "form '- [Owner] task (due date if mentioned)'. No other text.\n\nNotes: ..."
    )
    base = (
        "- [Ana] Send the revised staffing plan to finance (Fri 16 May)\n"
        "- [Tom] Get three vendor quotes for the scanners (before next sync)\n"
        "- [Lena] Draft a rota-change proposal for late-shift overtime\n"
        "- [Tom] Chase staff who missed fire-safety training (31 May)"
    )
    grouped = (
        "- [Tom] Collect 3 vendor quotes for the scanner refresh (before next sync)\n"
        "- [Tom] Chase anyone who hasn't done fire-safety training (by 31 May)\n"
        "- [Ana] Send the revised staffing plan to finance (by Friday 16 May)\n"
        "- [Lena] Draft a rota-change proposal to address late-shift overtime"
    )
    assert "drift.degenerate_output" not in rules_of(compare(base, grouped, ask))


def test_the_json_object_only_forbids_a_fence() -> None:
    ask = 'Output the JSON object only: {"room": string, "priority": "low" | "urgent"}.\n\nLeak!'
    base = '{"room": "305", "priority": "urgent"}'
    fenced = '```json\n{"room": "305", "priority": "urgent"}\n```'
    assert finding(compare(base, fenced, ask), "drift.json_fenced").severity == "ERR"


def test_asks_read_from_the_read_sets_of_the_ninth_pass() -> None:
    # an opening line asked of every answer
    tldr = "Start every answer with one line beginning exactly 'TL;DR:' (one sentence).\n\nQ: ?"
    base = "TL;DR: The council votes on a charge.\n\nDetails follow."
    lost = compare(base, "The council votes on a charge.\n\nIn short: a charge.", tldr)
    assert finding(lost, "drift.format_marker_lost").severity == "ERR"
    # a count asked politely, without a verb
    song = "Write a folk song about my grandfather's boat. 3 verses and a chorus please."
    verses = "[Verse 1]\na\n\n[Chorus]\nb\n\n[Verse 2]\nc\n\n[Verse 3]\nd"
    two = "[Verse 1]\na\n\n[Chorus]\nb\n\n[Verse 2]\nc\n\n[Bridge]\nd"
    assert finding(compare(verses, two, song), "drift.count_unmet").severity == "ERR"
    # a table asked by "reply with", its columns without a colon
    table_ask = (
        "When asked what is on, reply with a Markdown table with exactly the columns Day | "
        "Time | Class, sorted by day.\n\nMon 07:00 HIIT; Wed 12:15 Pilates."
    )
    table = (
        "| Day | Time | Class |\n|---|---|---|\n| Mon | 07:00 | HIIT |\n| Wed | 12:15 | Pilates |"
    )
    bullets = "**Monday**\n- 07:00 HIIT\n\n**Wednesday**\n- 12:15 Pilates"
    rules = rules_of(compare(table, bullets, table_ask))
    assert "drift.format_marker_lost" in rules
    # a language the instructions name
    persian = "Always reply in Persian (Farsi).\n\nUser: سلام، اینترنت من قطع است."
    english = "Hello, please restart your modem and check the cable."
    farsi = "سلام، لطفاً مودم را خاموش و روشن کنید و کابل را بررسی کنید."
    assert compare(english, farsi, persian).verdict != "BREAKING"


def test_a_name_in_the_data_is_no_listed_option() -> None:
    ask = (
        "Answer with the person's first name only.\n\nMarcus: I can pull the numbers.\n"
        "Priya: Let me own the finance conversation.\n\nWho owns the finance follow-up?"
    )
    changed = finding(compare("Priya", "Marcus", ask), "drift.label_changed")
    assert changed.severity == "WARN" and "list no options" in changed.message
    listed = "Answer with one priority: P1 = safety hazard, P2 = street outage, P3 = one house."
    assert finding(compare("P1", "P3", listed), "drift.label_changed").severity == "ERR"


def test_no_new_headings_is_no_ban_on_bold() -> None:
    ask = (
        "Summarise the call in this template, these headings in this order:\nAccount:\n"
        "Next steps:\nUse '- ' bullets under Next steps. Do not add or rename headings.\n\n..."
    )
    base = "Account: Bramwell Foods\nNext steps:\n- Send the guide"
    bold = "**Account:** Bramwell Foods\n**Next steps:**\n- Send the integration guide"
    assert "drift.forbidden_format" not in rules_of(compare(base, bold, ask))


def test_asks_read_from_the_read_sets_of_the_tenth_pass() -> None:
    # codes defined one per line under an ask to pick one
    triage = (
        "You triage IT tickets. Assign exactly one severity:\nSEV1 - the whole office is down\n"
        "SEV2 - a team is blocked\nSEV3 - one person, a workaround exists\n"
        'Start with "SEVERITY: <CODE>" on its own line, then one line of advice.\n\n'
        "User: Nobody on the third floor can print or reach the shared drive."
    )
    flip = compare("SEVERITY: SEV2\nRestart the switch.", "SEVERITY: SEV3\nTry again.", triage)
    assert finding(flip, "drift.label_changed").severity == "ERR"
    # "start with a clear yes or no"
    yes_no = "Start with a clear yes or no, then explain briefly.\n\nUser: Is the gym open at 6?"
    opposite = compare("**Yes.** It opens at 5:30.", "**No**, it opens at 7.", yes_no)
    assert finding(opposite, "drift.label_changed").severity == "ERR"
    # "then exactly N hashtags": hashtags are counted wherever they stand
    tags = "One sentence of caption, then a blank line, then exactly 3 hashtags.\n\nNew mugs!"
    base = "Our new mugs are here.\n\n#Mugs #Pottery #Handmade"
    more = "Our new mugs are here.\n\n#Mugs #Pottery #Handmade #Gifts #Kitchen"
    assert finding(compare(base, more, tags), "drift.count_unmet").severity == "ERR"
    # a range of characters: its upper end is the limit
    meta = "Write one meta description, 100\u2013130 characters including spaces.\n\nPage: kettles"
    short = "Compare our electric kettles by speed, capacity and price, and find the right one."
    long = short + " Free delivery on every order over thirty pounds, and a two-year guarantee."
    assert finding(compare(short, long, meta), "drift.length_limit_exceeded").severity == "ERR"
    # a language named with its regional variety, after "localise"
    loc = (
        "Localise the strings into European Portuguese, one per line.\n\nYour order is on its "
        "way\nTrack your parcel\nThank you for shopping with us"
    )
    pt = "A sua encomenda está a caminho\nSiga a sua encomenda\nObrigado por comprar connosco"
    spanish = "Tu pedido está en camino\nSigue tu paquete\nGracias por comprar con nosotros"
    es = compare(pt, spanish, loc)
    assert finding(es, "drift.language_changed").severity == "ERR"
    # "with one sentence on why" limits the reason, not the reply
    pick = (
        "Recommend exactly one café from this list, with one sentence on why: Dune, Fern, Moss."
        "\n\nUser: Somewhere quiet to work?"
    )
    two = compare("I'd pick **Fern**: it is quiet.", "Try **Moss**! It has desks, no music.", pick)
    assert "drift.length_limit_exceeded" not in rules_of(two)


def test_the_language_the_voter_writes_in() -> None:
    ask = (
        "You are the election office's assistant. Always reply in the language the voter "
        "writes in.\n\nUser: Hola, ¿dónde voto si me mudé el mes pasado?"
    )
    spanish = "Vota en el centro de su nuevo domicilio; la guía en línea tiene la dirección."
    english = "You vote at the polling place for your new address; the online guide lists it."
    assert finding(compare(spanish, english, ask), "drift.language_changed").severity == "ERR"


def test_asks_read_from_the_second_read_sets_of_the_tenth_pass() -> None:
    # "a single JSON object and nothing else": a fence around it breaks the parser
    router = "Output a single JSON object and nothing else.\n\nUser: The tap in 12 drips."
    obj = '{"department": "maintenance", "room": "12"}'
    fenced = '```json\n{"department": "maintenance", "room": "12"}\n```'
    assert finding(compare(obj, fenced, router), "drift.json_fenced").severity == "ERR"
    # a closing literal named "this exact footer line"
    footer = (
        'Write the newsletter blurb. End it with this exact footer line: "Unsubscribe at '
        'any time by replying STOP."\n\nTopic: the spring fair'
    )
    base = "Join us at the spring fair on Saturday!\n\nUnsubscribe at any time by replying STOP."
    lost = compare(base, "Join us at the spring fair this Saturday, from ten!", footer)
    assert finding(lost, "drift.format_marker_lost").severity == "ERR"
    # the language "the rider writes in": any one noun there
    kind = "Reply in the same language the rider writes in.\n\nUser: Bonjour, mon vélo est cassé."
    french = "Bonjour ! Déposez le vélo à la station la plus proche et signalez la panne."
    english = "Hello! Return the bike to the nearest dock and report the fault in the app."
    assert finding(compare(french, english, kind), "drift.language_changed").severity == "ERR"
    # line 1 must open with a label: a lead-in line before it moves it off the first line
    preview = (
        'The bot posts the first line as a preview. Line 1 must start with "TL;DR:" and one '
        "sentence, then the action items.\n\nTranscript: ..."
    )
    first = "TL;DR: The launch moves to Monday.\n\n- [Ana] Tell support (Fri)"
    lead = "Here's the summary:\n\nTL;DR: The launch slips to Monday.\n\n- [Ana] Tell support"
    assert finding(compare(first, lead, preview), "drift.format_marker_lost").severity == "ERR"
    # one line per input: the baseline's number of lines is held
    tagger = (
        "For each numbered review, output exactly one line '<number>: <TAG>'. Output one "
        "line per review, in order.\n\n1. Late\n2. Broken\n3. Great"
    )
    three = "1: DELIVERY\n2: QUALITY\n3: PRAISE"
    assert finding(compare(three, "1: DELIVERY\n3: PRAISE", tagger), "drift.count_unmet")
    assert "drift.count_unmet" not in rules_of(compare(three, "1: LATE\n2: QUALITY\n3: OK", tagger))


def test_asks_read_from_the_third_read_sets_of_the_tenth_pass() -> None:
    # codes of two words in capitals, the reply opening with one on its own line
    menu = (
        "Start every answer with exactly one of these verdicts on its own line: ALL CLEAR, "
        "AVOID, or ASK CHEF. The kiosk colours the card by this first line.\n\n"
        "User: Is the lemon tart fine for a nut allergy?"
    )
    check = "ASK CHEF\nThe tart base is made near almond flour."
    flip = compare(check, "ALL CLEAR\nThe tart has no nuts listed.", menu)
    assert finding(flip, "drift.label_changed").severity == "ERR"
    prose = compare(check, "The tart is made near almond flour, so ask the chef.", menu)
    assert finding(prose, "drift.format_marker_lost").severity == "ERR"
    # "exactly N" after "reply with" or after a colon
    warmup = "Reply with exactly 4 stretches as a numbered list.\n\nUser: Before yoga?"
    four = "1. Cat-cow\n2. Child's pose\n3. Neck rolls\n4. Side bend"
    five = four + "\n5. Forward fold"
    assert finding(compare(four, five, warmup), "drift.count_unmet").severity == "ERR"
    notes = "Summarize the notes for the team channel: exactly 2 bullet points.\n\nNotes: ..."
    two = "- Launch moved to May\n- Budget approved"
    three = two + "\n- New hire starts Monday"
    assert finding(compare(two, three, notes), "drift.count_unmet").severity == "ERR"
    # "each ... post": a limit on each draft; "every reply": the whole reply's
    drafts = (
        "Write three replies, each on its own line. Each reply must fit in a single post: "
        "120 characters max.\n\nCustomer: Where is my parcel?"
    )
    short = "A: It's on its way.\nB: Track it in the app.\nC: DM us your order number."
    long = "A: It's on its way.\nB: " + "We are so sorry for the wait, " * 5 + "\nC: DM us."
    cut = finding(compare(short, long, drafts), "drift.length_limit_exceeded")
    assert "each line" in cut.message
    npc = "You are a terse ship captain. Keep every reply under 12 words.\n\nPlayer: Where to?"
    said = compare("North, to the ice fields.", "North. " + "We sail at dawn, lad. " * 4, npc)
    assert "each line" not in finding(said, "drift.length_limit_exceeded").message


def test_a_caveat_in_words_is_no_unrelated_tail() -> None:
    ask = "Give the command that does what the user asks.\n\nUser: delete .tmp files over 1GB"
    base = "`find /data -type f -name '*.tmp' -size +1G -delete`"
    cand = (
        "You can use `find`:\n\n```bash\nfind /data -type f -name '*.tmp' -size +1G -delete\n```"
        "\n\nAlso keep in mind that removing a file a running process still holds open won't "
        "release the disk space until that process restarts or closes the handle."
    )
    assert "drift.degenerate_output" not in rules_of(compare(base, cand, ask))


def test_a_decline_later_in_the_baseline_is_no_refusal_flip() -> None:
    task = "You help tenants. You can't give legal advice.\n\nUser: Can I stop paying rent?"
    base = (
        "I'm sorry the repair is late - a routine request should be done within 7 days. I can't "
        "give legal advice about withholding rent; the city's tenant line (311) can help."
    )
    cand = (
        "Whether you can withhold rent is a legal question I'm not able to answer; the city's "
        "tenant line (311) can. What I can do is chase the repair: call us on 555-0133."
    )
    assert "drift.refusal_introduced" not in rules_of(compare(base, cand, task))
