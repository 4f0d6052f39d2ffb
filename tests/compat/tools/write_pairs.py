# ruff: noqa: E501  (a data file: argument strings stay on one line, as models write them)
"""Writes pairs.jsonl: the hand-labelled tool-call and structured-output corpus (issue 17).

Every pair is written here by hand, with its verdict, the rules a correct engine fires and a
reviewer's reason; this script only spells the JSON out (ids, raw argument strings exactly as
given, repeated samples). The engine is never consulted for a label. Run it after editing:

    .venv/bin/python tests/compat/tools/write_pairs.py

Arguments are written as models write them: OpenAI's ``function.arguments`` is a JSON string,
compact (``{"city":"Paris"}``) or spaced, keys in the model's order; Anthropic's ``tool_use``
``input`` is an object, stored as ``json.dumps`` of it. Ids look like each provider's
(``call_...``, ``toolu_...``) and differ between samples, as they do.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "pairs.jsonl"

# --- the tools the pairs' versions declare ------------------------------------------------


def tool(
    name: str, description: str, properties: dict[str, Any], required: list[str], **extra: Any
) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "parameters": {"type": "object", "properties": properties, "required": required, **extra},
    }


GET_WEATHER = tool(
    "get_weather",
    "Get the current weather in a given city.",
    {
        "city": {"type": "string", "description": "City name, e.g. San Francisco"},
        "units": {"type": "string", "enum": ["celsius", "fahrenheit"]},
    },
    ["city", "units"],
    additionalProperties=False,
)
GET_FORECAST = tool(
    "get_forecast",
    "Get a daily forecast for the next days.",
    {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1, "maximum": 10}},
    ["city", "days"],
)
SEARCH_WEB = tool("search_web", "Search the web.", {"query": {"type": "string"}}, ["query"])
WEATHER = [GET_WEATHER, GET_FORECAST, SEARCH_WEB]

CREATE_EVENT = tool(
    "create_event",
    "Create a calendar event.",
    {
        "title": {"type": "string"},
        "start": {"type": "string", "format": "date-time"},
        "end": {"type": "string", "format": "date-time"},
        "attendees": {"type": "array", "items": {"type": "string", "format": "email"}},
        "location": {"type": "string"},
    },
    ["title", "start", "end"],
)
FIND_SLOTS = tool(
    "find_free_slots",
    "Find free slots in the user's calendar.",
    {"date": {"type": "string"}, "duration_minutes": {"type": "integer", "minimum": 5}},
    ["date", "duration_minutes"],
)
CALENDAR = [CREATE_EVENT, FIND_SLOTS]

LOOKUP_ORDER = tool(
    "lookup_order",
    "Look up an order by its id.",
    {"order_id": {"type": "string", "pattern": "^ORD-[0-9]+$"}},
    ["order_id"],
)
CREATE_TICKET = tool(
    "create_ticket",
    "Open a support ticket.",
    {
        "customer_id": {"type": "string"},
        "category": {"type": "string", "enum": ["billing", "technical", "account", "shipping"]},
        "priority": {"type": "string", "enum": ["low", "normal", "high", "urgent"]},
        "summary": {"type": "string"},
        "escalate": {"type": "boolean"},
    },
    ["customer_id", "category", "priority", "summary"],
)
SUPPORT = [LOOKUP_ORDER, CREATE_TICKET]

SEARCH_PRODUCTS = tool(
    "search_products",
    "Search the product catalog.",
    {
        "query": {"type": "string"},
        "max_price": {"type": "number"},
        "category": {"type": "string"},
        "in_stock": {"type": "boolean"},
    },
    ["query"],
)
ADD_TO_CART = tool(
    "add_to_cart",
    "Add a product to the cart.",
    {"product_id": {"type": "string"}, "quantity": {"type": "integer", "minimum": 1}},
    ["product_id", "quantity"],
)
SHOP = [SEARCH_PRODUCTS, ADD_TO_CART]

SEARCH_FLIGHTS = tool(
    "search_flights",
    "Search flights.",
    {
        "origin": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "destination": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "date": {"type": "string"},
        "passengers": {"type": "integer", "minimum": 1},
        "cabin": {"type": "string", "enum": ["economy", "premium_economy", "business", "first"]},
    },
    ["origin", "destination", "date", "passengers"],
)
SEARCH_HOTELS = tool(
    "search_hotels",
    "Search hotels.",
    {
        "city": {"type": "string"},
        "check_in": {"type": "string"},
        "check_out": {"type": "string"},
        "guests": {"type": "integer"},
    },
    ["city", "check_in", "check_out"],
)
TRAVEL = [SEARCH_FLIGHTS, SEARCH_HOTELS]

RUN_SQL = tool(
    "run_sql",
    "Run a SQL query against the analytics database.",
    {"query": {"type": "string"}, "read_only": {"type": "boolean"}},
    ["query", "read_only"],
)
SEND_EMAIL = tool(
    "send_email",
    "Send an email.",
    {
        "to": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "subject": {"type": "string"},
        "body": {"type": "string"},
        "cc": {"type": "array", "items": {"type": "string"}},
    },
    ["to", "subject", "body"],
)
OFFICE = [RUN_SQL, SEND_EMAIL]

CLASSIFY = {
    "kind": "json_schema",
    "name": "classification",
    "strict": True,
    "schema": {
        "type": "object",
        "properties": {
            "label": {"type": "string", "enum": ["spam", "ham", "phishing"]},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "reasons": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["label", "confidence", "reasons"],
        "additionalProperties": False,
    },
}
INVOICE = {
    "kind": "json_schema",
    "name": "invoice",
    "strict": True,
    "schema": {
        "type": "object",
        "properties": {
            "vendor": {"type": "string"},
            "total": {"type": "number"},
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "due_date": {"type": ["string", "null"]},
            "line_items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "description": {"type": "string"},
                        "amount": {"type": "number"},
                    },
                    "required": ["description", "amount"],
                    "additionalProperties": False,
                },
            },
        },
        "required": ["vendor", "total", "currency", "due_date", "line_items"],
        "additionalProperties": False,
    },
}
JSON_MODE = {"kind": "json_object", "name": "output", "strict": False, "schema": None}

ASK = {
    "weather": "You are a weather assistant. Use the tools to answer.\n\nWhat's the weather in Paris right now, in celsius?",
    "weather2": "You are a weather assistant. Use the tools to answer.\n\nCompare the weather in Paris and London right now (celsius).",
    "weather3": "You are a weather assistant. Use the tools to answer.\n\nWeather in Paris, London and Berlin right now, in celsius please.",
    "calendar": "You manage the user's calendar. Today is 2026-03-10.\n\nSet up a 30 minute sync with dana@acme.com and lee@acme.com on Saturday 14 March at 3pm Paris time, titled 'Q2 planning sync'.",
    "support": "You are Acme's support agent. Customer id: C-10442.\n\nMy order ORD-88123 arrived broken and I was charged twice. Please fix this now!",
    "shop": "You are a shopping assistant.\n\nFind me running shoes under $50 that are in stock.",
    "cart": "You are a shopping assistant.\n\nAdd two of product B07XJ8C8F5 to my cart.",
    "travel": "You book travel.\n\nFind business class flights from Paris CDG to New York JFK on 2026-05-02 for two passengers.",
    "sql": "You answer analytics questions with read-only SQL.\n\nHow many orders were placed in February 2026?",
    "email": "You send emails for the user.\n\nEmail ana@acme.com and raj@acme.com that the launch moves to Thursday.",
    "classify": "Classify the email as spam, ham or phishing. Answer with the JSON schema.\n\nEmail: 'Your account is locked. Verify your password at http://acme-verify.co within 24h.'",
    "classify_ham": "Classify the email as spam, ham or phishing. Answer with the JSON schema.\n\nEmail: 'Hi team, the retro is moved to 4pm. Bring your notes. - Mia'",
    "invoice": "Extract the invoice fields as JSON.\n\nINVOICE #4411 from Northwind Traders. Consulting (March) 1,000.00 EUR; Travel 250.00 EUR. Total 1,250.00 EUR. Due 2026-04-01.",
    "sentiment": "Return a JSON object with keys sentiment (positive, negative, neutral) and score (0 to 1).\n\nReview: 'Battery died after two days. Never again.'",
}

# --- samples ---------------------------------------------------------------------------------

_ids: dict[str, int] = {}


def _id(prefix: str, seed: str) -> str:
    n = _ids[seed] = _ids.get(seed, 0) + 1
    digest = hashlib.sha256(f"{seed}/{n}".encode()).hexdigest()
    return prefix + (digest[:24] if prefix == "call_" else "01" + digest[:22])


def oa(name: str, raw: str) -> dict[str, Any]:
    """An OpenAI tool call: the arguments string exactly as the model wrote it."""
    return {"id": _id("call_", name + raw), "name": name, "arguments": raw}


def an(name: str, args: dict[str, Any]) -> dict[str, Any]:
    """An Anthropic tool_use block: ``input`` is an object, stored as json.dumps of it."""
    return {"id": _id("toolu_", name + repr(args)), "name": name, "arguments": json.dumps(args)}


def turn(*calls: dict[str, Any], text: str = "") -> dict[str, Any]:
    return {"text": text, "tool_calls": list(calls), "finish_reason": "tool_calls"}


def say(text: str) -> dict[str, Any]:
    return {"text": text, "finish_reason": "stop"}


def refuse(message: str) -> dict[str, Any]:
    return {"text": "", "refusal": message, "finish_reason": "stop"}


def fail(error: str) -> dict[str, Any]:
    return {"error": error}


def js(doc: Any, indent: int | None = None) -> dict[str, Any]:
    return say(json.dumps(doc, indent=indent, ensure_ascii=False))


def times(n: int, make: Any) -> list[dict[str, Any]]:
    """``n`` samples; ``make`` is called per sample so each call gets its own id."""
    return [make() for _ in range(n)]


PAIRS: list[dict[str, Any]] = []


def pair(
    pid: str,
    aspect: str,
    ask: str,
    baseline: list[dict[str, Any]],
    candidate: list[dict[str, Any]],
    verdict: str,
    rules: list[str],
    reason: str,
    *,
    tools: list[dict[str, Any]] | None = None,
    response_format: dict[str, Any] | None = None,
    tool_order: str = "unordered",
    tags: tuple[str, ...] = (),
    policy: dict[str, Any] | None = None,
    before: dict[str, Any] | None = None,
) -> None:
    PAIRS.append(
        {
            "id": f"tc-{pid}",
            "aspect": aspect,
            "tags": list(tags),
            "instructions": ASK[ask],
            "tools": tools or [],
            "response_format": response_format,
            "tool_order": tool_order,
            "policy": policy,
            "before": before,
            "baseline": baseline,
            "candidate": candidate,
            "expected": {"verdict": verdict, "rules": rules, "reason": reason},
        }
    )


def paris(raw: str = '{"city":"Paris","units":"celsius"}') -> dict[str, Any]:
    return turn(oa("get_weather", raw))


def build() -> None:
    _format_noise()
    _baseline_noise()
    _arguments()
    _tools()
    _structured()
    _rejected()
    _request_side()


def _format_noise() -> None:
    fn = ("format_noise",)
    pair(
        "ws-spaced",
        "format_noise",
        "weather",
        times(3, lambda: paris()),
        times(3, lambda: paris('{"city": "Paris", "units": "celsius"}')),
        "COMPATIBLE",
        [],
        "Same arguments; the candidate puts spaces after the separators.",
        tools=WEATHER,
        tags=fn,
    )
    pair(
        "key-order",
        "format_noise",
        "weather",
        times(3, lambda: paris()),
        times(3, lambda: paris('{"units":"celsius","city":"Paris"}')),
        "COMPATIBLE",
        [],
        "Same arguments in another key order.",
        tools=WEATHER,
        tags=fn,
    )
    pair(
        "pretty-printed",
        "format_noise",
        "weather",
        times(3, lambda: paris()),
        times(3, lambda: paris('{\n  "city": "Paris",\n  "units": "celsius"\n}')),
        "COMPATIBLE",
        [],
        "Same arguments, pretty-printed over four lines.",
        tools=WEATHER,
        tags=fn,
    )
    pair(
        "anthropic-vs-openai",
        "format_noise",
        "weather",
        times(3, lambda: paris()),
        times(3, lambda: turn(an("get_weather", {"units": "celsius", "city": "Paris"}))),
        "COMPATIBLE",
        [],
        "Same call from the Anthropic SDK (input object, toolu_ id, key order of the model).",
        tools=WEATHER,
        tags=fn,
    )
    event = '{"title":"Q2 planning sync","start":"2026-03-14T15:00:00+01:00","end":"2026-03-14T15:30:00+01:00","attendees":["dana@acme.com","lee@acme.com"]}'
    event_reordered = '{\n"attendees": ["dana@acme.com", "lee@acme.com"],\n"end": "2026-03-14T15:30:00+01:00",\n"start": "2026-03-14T15:00:00+01:00",\n"title": "Q2 planning sync"\n}'
    pair(
        "event-reordered",
        "format_noise",
        "calendar",
        times(3, lambda: turn(oa("create_event", event))),
        times(3, lambda: turn(oa("create_event", event_reordered))),
        "COMPATIBLE",
        [],
        "Same event: keys reversed, one per line.",
        tools=CALENDAR,
        tags=fn,
    )
    ticket = '{"customer_id":"C-10442","category":"billing","priority":"high","summary":"Order ORD-88123 arrived broken; customer charged twice","escalate":true}'
    ticket_ws = '{"priority": "high", "escalate": true, "summary": "Order ORD-88123 arrived broken; customer charged twice", "category": "billing", "customer_id": "C-10442"}\n'
    pair(
        "ticket-reordered",
        "format_noise",
        "support",
        times(
            3,
            lambda: turn(
                oa("lookup_order", '{"order_id":"ORD-88123"}'), oa("create_ticket", ticket)
            ),
        ),
        times(
            3,
            lambda: turn(
                oa("lookup_order", '{"order_id": "ORD-88123"}'), oa("create_ticket", ticket_ws)
            ),
        ),
        "COMPATIBLE",
        [],
        "Both calls identical once parsed (keys shuffled, trailing newline).",
        tools=SUPPORT,
        tags=fn,
    )
    pair(
        "cart-keys",
        "format_noise",
        "cart",
        times(3, lambda: turn(oa("add_to_cart", '{"product_id":"B07XJ8C8F5","quantity":2}'))),
        times(3, lambda: turn(oa("add_to_cart", '{"quantity": 2, "product_id": "B07XJ8C8F5"}'))),
        "COMPATIBLE",
        [],
        "Same cart call, keys swapped.",
        tools=SHOP,
        tags=fn,
    )
    pair(
        "number-format",
        "format_noise",
        "shop",
        times(
            3,
            lambda: turn(
                oa("search_products", '{"query":"running shoes","max_price":50,"in_stock":true}')
            ),
        ),
        times(
            3,
            lambda: turn(
                oa(
                    "search_products",
                    '{"query": "running shoes", "max_price": 50.0, "in_stock": true}',
                )
            ),
        ),
        "COMPATIBLE",
        [],
        "50 and 50.0 are the same JSON number.",
        tools=SHOP,
        tags=fn,
    )
    pair(
        "unicode-escape",
        "format_noise",
        "weather",
        times(3, lambda: paris('{"city":"Z\\u00fcrich","units":"celsius"}')),
        times(3, lambda: paris('{"city": "Zürich", "units": "celsius"}')),
        "COMPATIBLE",
        [],
        "An escaped and a literal ü are the same string.",
        tools=WEATHER,
        tags=fn,
    )
    pair(
        "flights-tabs",
        "format_noise",
        "travel",
        times(
            3,
            lambda: turn(
                oa(
                    "search_flights",
                    '{"origin":"CDG","destination":"JFK","date":"2026-05-02","passengers":2,"cabin":"business"}',
                )
            ),
        ),
        times(
            3,
            lambda: turn(
                oa(
                    "search_flights",
                    '{\t"cabin":\t"business",\t"date": "2026-05-02", "destination":"JFK", "origin":"CDG", "passengers":2 }',
                )
            ),
        ),
        "COMPATIBLE",
        [],
        "Same search; tabs and shuffled keys.",
        tools=TRAVEL,
        tags=fn,
    )
    pair(
        "sql-keys",
        "format_noise",
        "sql",
        times(
            3,
            lambda: turn(
                oa(
                    "run_sql",
                    '{"query":"SELECT COUNT(*) FROM orders WHERE created_at >= \'2026-02-01\' AND created_at < \'2026-03-01\'","read_only":true}',
                )
            ),
        ),
        times(
            3,
            lambda: turn(
                oa(
                    "run_sql",
                    '{"read_only": true, "query": "SELECT COUNT(*) FROM orders WHERE created_at >= \'2026-02-01\' AND created_at < \'2026-03-01\'"}',
                )
            ),
        ),
        "COMPATIBLE",
        [],
        "Same query text, keys swapped.",
        tools=OFFICE,
        tags=fn,
    )
    pair(
        "email-nested",
        "format_noise",
        "email",
        times(
            3,
            lambda: turn(
                oa(
                    "send_email",
                    '{"to":["ana@acme.com","raj@acme.com"],"subject":"Launch moves to Thursday","body":"Hi both, the launch moves to Thursday. Details to follow."}',
                )
            ),
        ),
        times(
            3,
            lambda: turn(
                an(
                    "send_email",
                    {
                        "body": "Hi both, the launch moves to Thursday. Details to follow.",
                        "subject": "Launch moves to Thursday",
                        "to": ["ana@acme.com", "raj@acme.com"],
                    },
                )
            ),
        ),
        "COMPATIBLE",
        [],
        "Same email; other key order, Anthropic serialisation.",
        tools=OFFICE,
        tags=fn,
    )
    two = lambda a, b: turn(oa("get_weather", a), oa("get_weather", b))  # noqa: E731
    pair(
        "parallel-keys",
        "format_noise",
        "weather2",
        times(
            3,
            lambda: two(
                '{"city":"Paris","units":"celsius"}', '{"city":"London","units":"celsius"}'
            ),
        ),
        times(
            3,
            lambda: two(
                '{"units": "celsius", "city": "Paris"}', '{"units": "celsius", "city": "London"}'
            ),
        ),
        "COMPATIBLE",
        [],
        "Both parallel calls with keys swapped.",
        tools=WEATHER,
        tags=fn,
    )
    pair(
        "parallel-reordered",
        "order",
        "weather2",
        times(
            3,
            lambda: two(
                '{"city":"Paris","units":"celsius"}', '{"city":"London","units":"celsius"}'
            ),
        ),
        times(
            3,
            lambda: two(
                '{"city":"London","units":"celsius"}', '{"city":"Paris","units":"celsius"}'
            ),
        ),
        "COMPATIBLE",
        [],
        "Parallel calls in another order; tool_order unordered (the default).",
        tools=WEATHER,
        tags=("reordering",),
    )
    pair(
        "parallel-reordered-mixed",
        "order",
        "support",
        times(
            3,
            lambda: turn(
                oa("lookup_order", '{"order_id":"ORD-88123"}'), oa("create_ticket", ticket)
            ),
        ),
        times(
            3,
            lambda: turn(
                oa("create_ticket", ticket_ws), oa("lookup_order", '{"order_id":"ORD-88123"}')
            ),
        ),
        "COMPATIBLE",
        [],
        "The two calls swapped and their keys shuffled; order does not matter here.",
        tools=SUPPORT,
        tags=("reordering", "format_noise"),
    )
    cls = {
        "label": "phishing",
        "confidence": 0.97,
        "reasons": ["urgent password request", "look-alike domain"],
    }
    pair(
        "structured-keys",
        "format_noise",
        "classify",
        times(3, lambda: js(cls)),
        times(
            3,
            lambda: say(
                '{"reasons":["urgent password request","look-alike domain"],"confidence":0.97,"label":"phishing"}'
            ),
        ),
        "COMPATIBLE",
        [],
        "Same structured output, keys in another order, compact.",
        response_format=CLASSIFY,
        tags=fn,
    )
    pair(
        "structured-pretty",
        "format_noise",
        "classify",
        times(3, lambda: js(cls)),
        times(3, lambda: js(cls, indent=2)),
        "COMPATIBLE",
        [],
        "Same structured output pretty-printed.",
        response_format=CLASSIFY,
        tags=fn,
    )
    pair(
        "text-preamble",
        "format_noise",
        "weather",
        times(3, lambda: paris()),
        times(
            3,
            lambda: turn(
                an("get_weather", {"city": "Paris", "units": "celsius"}),
                text="I'll check the current weather in Paris for you.",
            ),
        ),
        "COMPATIBLE",
        [],
        "Same call; the candidate (Claude-style) says what it is doing first.",
        tools=WEATHER,
    )


def _baseline_noise() -> None:
    pair(
        "noise-city",
        "noise",
        "weather",
        [
            paris(),
            paris('{"city":"Paris, France","units":"celsius"}'),
            paris(),
            paris('{"city":"Paris, France","units":"celsius"}'),
        ],
        times(4, lambda: paris('{"city":"Paris, FR","units":"celsius"}')),
        "COMPATIBLE",
        [],
        "The baseline already writes the city two ways; a third spelling is noise.",
        tools=WEATHER,
    )
    pair(
        "noise-query",
        "noise",
        "shop",
        [
            turn(oa("search_products", '{"query":"running shoes","max_price":50,"in_stock":true}')),
            turn(
                oa(
                    "search_products",
                    '{"query":"cheap running shoes","max_price":50,"in_stock":true}',
                )
            ),
            turn(
                oa(
                    "search_products",
                    '{"query":"running shoes under 50","max_price":50,"in_stock":true}',
                )
            ),
        ],
        [
            turn(
                oa(
                    "search_products",
                    '{"query":"budget running shoes","max_price":50,"in_stock":true}',
                )
            ),
            turn(oa("search_products", '{"query":"running shoes","max_price":50,"in_stock":true}')),
            turn(
                oa("search_products", '{"query":"running sneakers","max_price":50,"in_stock":true}')
            ),
        ],
        "COMPATIBLE",
        [],
        "The query wording varies on both sides; the filters are unchanged.",
        tools=SHOP,
    )
    pair(
        "noise-optional-arg",
        "noise",
        "weather",
        [
            turn(oa("get_forecast", '{"city":"Paris","days":3}')),
            turn(oa("get_forecast", '{"city":"Paris","days":1}')),
            turn(oa("get_forecast", '{"city":"Paris","days":3}')),
        ],
        times(3, lambda: turn(oa("get_forecast", '{"city":"Paris","days":2}'))),
        "COMPATIBLE",
        [],
        "The number of days already varies among baseline samples.",
        tools=WEATHER,
    )
    pair(
        "noise-call-or-text",
        "noise",
        "weather",
        [
            paris(),
            say(
                "I can't see live data without a lookup; let me know if I should check Paris for you."
            ),
            paris(),
            paris(),
        ],
        [
            paris(),
            paris(),
            say(
                "I can't see live data without a lookup; let me know if I should check Paris for you."
            ),
            paris(),
        ],
        "COMPATIBLE",
        [],
        "One sample in four asks before calling, on both sides.",
        tools=WEATHER,
    )
    pair(
        "noise-one-of-five",
        "noise",
        "weather",
        times(5, lambda: paris()),
        [*times(4, lambda: paris()), turn(oa("search_web", '{"query":"Paris weather now"}'))],
        "CHANGED",
        ["tool.tool_changed"],
        "One candidate sample in five searches the web instead: not significant, worth a look.",
        tools=WEATHER,
    )
    pair(
        "noise-structured-confidence",
        "noise",
        "classify",
        [
            js({"label": "phishing", "confidence": 0.97, "reasons": ["urgent password request"]}),
            js({"label": "phishing", "confidence": 0.93, "reasons": ["urgent password request"]}),
            js({"label": "phishing", "confidence": 0.95, "reasons": ["urgent password request"]}),
        ],
        times(
            3,
            lambda: js(
                {"label": "phishing", "confidence": 0.91, "reasons": ["urgent password request"]}
            ),
        ),
        "COMPATIBLE",
        [],
        "The confidence moves between baseline samples already.",
        response_format=CLASSIFY,
    )


def _arguments() -> None:
    event = {
        "title": "Q2 planning sync",
        "start": "2026-03-14T15:00:00+01:00",
        "end": "2026-03-14T15:30:00+01:00",
        "attendees": ["dana@acme.com", "lee@acme.com"],
    }

    def ev(**change: Any) -> dict[str, Any]:
        doc = {**event, **change}
        return turn(
            oa(
                "create_event",
                json.dumps({k: v for k, v in doc.items() if v is not None}, separators=(",", ":")),
            )
        )

    pair(
        "arg-required-removed",
        "argument",
        "calendar",
        times(3, lambda: ev()),
        times(3, lambda: ev(end=None)),
        "BREAKING",
        ["tool.argument_removed", "tool.arguments_invalid"],
        "The candidate leaves out the required end time; the executor rejects the call.",
        tools=CALENDAR,
    )
    pair(
        "arg-attendees-string",
        "argument",
        "calendar",
        times(3, lambda: ev()),
        times(3, lambda: ev(attendees="dana@acme.com, lee@acme.com")),
        "BREAKING",
        ["tool.argument_retyped"],
        "Attendees became one comma-separated string instead of an array.",
        tools=CALENDAR,
    )
    pair(
        "arg-attendee-dropped",
        "argument",
        "calendar",
        times(3, lambda: ev()),
        times(3, lambda: ev(attendees=["dana@acme.com"])),
        "BREAKING",
        ["tool.argument_removed"],
        "lee@acme.com is no longer invited.",
        tools=CALENDAR,
    )
    pair(
        "arg-title-reworded",
        "argument",
        "calendar",
        times(3, lambda: ev()),
        times(3, lambda: ev(title="Q2 Planning Sync")),
        "CHANGED",
        ["tool.argument_changed"],
        "Title capitalised differently; same meeting.",
        tools=CALENDAR,
    )
    pair(
        "arg-location-added",
        "argument",
        "calendar",
        times(3, lambda: ev()),
        times(3, lambda: ev(location="Google Meet")),
        "COMPATIBLE",
        ["tool.argument_added"],
        "An optional location the schema allows; nothing the caller passed changed.",
        tools=CALENDAR,
    )
    pair(
        "arg-day-shifted",
        "argument",
        "calendar",
        times(3, lambda: ev()),
        times(3, lambda: ev(start="2026-03-15T15:00:00+01:00", end="2026-03-15T15:30:00+01:00")),
        "BREAKING",
        ["tool.argument_changed"],
        "The meeting lands on Sunday the 15th instead of Saturday the 14th: the wrong day. "
        "Zero-config this is a changed value (WARN); a reviewer sees a wrong booking.",
        tools=CALENDAR,
        tags=("known_miss",),
    )
    pair(
        "arg-day-shifted-policy",
        "argument",
        "calendar",
        times(3, lambda: ev()),
        times(3, lambda: ev(start="2026-03-15T15:00:00+01:00", end="2026-03-15T15:30:00+01:00")),
        "BREAKING",
        ["tool.argument_changed"],
        "Wrong day; the prompt declares start and end as ERR paths.",
        tools=CALENDAR,
        policy={
            "rules": {
                "tool.argument_changed at $.create_event.start": "ERR",
                "tool.argument_changed at $.create_event.end": "ERR",
            }
        },
    )
    pair(
        "arg-timezone-utc",
        "argument",
        "calendar",
        times(3, lambda: ev()),
        times(3, lambda: ev(start="2026-03-14T14:00:00Z", end="2026-03-14T14:30:00Z")),
        "CHANGED",
        ["tool.argument_changed"],
        "The same instant written in UTC; the strings differ, a reviewer checks the executor parses offsets.",
        tools=CALENDAR,
    )

    ticket = {
        "customer_id": "C-10442",
        "category": "billing",
        "priority": "high",
        "summary": "Order ORD-88123 arrived broken; customer charged twice",
        "escalate": True,
    }

    def tk(**change: Any) -> dict[str, Any]:
        doc = {**ticket, **change}
        return turn(
            oa("lookup_order", '{"order_id":"ORD-88123"}'),
            oa("create_ticket", json.dumps({k: v for k, v in doc.items() if v is not None})),
        )

    pair(
        "arg-priority-enum",
        "argument",
        "support",
        times(3, lambda: tk()),
        times(3, lambda: tk(priority="normal")),
        "BREAKING",
        ["tool.argument_decision_changed"],
        "Priority drops from high to normal: another routing decision.",
        tools=SUPPORT,
    )
    pair(
        "arg-category-enum",
        "argument",
        "support",
        times(3, lambda: tk()),
        times(3, lambda: tk(category="shipping")),
        "BREAKING",
        ["tool.argument_decision_changed"],
        "The ticket goes to shipping instead of billing.",
        tools=SUPPORT,
    )
    pair(
        "arg-escalate-flip",
        "argument",
        "support",
        times(3, lambda: tk()),
        times(3, lambda: tk(escalate=False)),
        "BREAKING",
        ["tool.argument_decision_changed"],
        "escalate flips to false for an angry double-charge.",
        tools=SUPPORT,
    )
    pair(
        "arg-priority-outside-enum",
        "argument",
        "support",
        times(3, lambda: tk()),
        times(3, lambda: tk(priority="critical")),
        "BREAKING",
        ["tool.arguments_invalid"],
        "'critical' is not one of the declared priorities; the executor rejects it.",
        tools=SUPPORT,
    )
    pair(
        "arg-summary-reworded",
        "argument",
        "support",
        times(3, lambda: tk()),
        times(3, lambda: tk(summary="Damaged delivery (ORD-88123) and duplicate charge")),
        "CHANGED",
        ["tool.argument_changed"],
        "The free-text summary is reworded.",
        tools=SUPPORT,
    )
    pair(
        "arg-order-id-pattern",
        "argument",
        "support",
        times(3, lambda: tk()),
        times(
            3,
            lambda: turn(
                oa("lookup_order", '{"order_id":"88123"}'), oa("create_ticket", json.dumps(ticket))
            ),
        ),
        "BREAKING",
        ["tool.arguments_invalid"],
        "The order id loses its ORD- prefix; the pattern rejects it.",
        tools=SUPPORT,
    )
    pair(
        "arg-escalate-dropped",
        "argument",
        "support",
        times(3, lambda: tk()),
        times(3, lambda: tk(escalate=None)),
        "BREAKING",
        ["tool.argument_removed"],
        "The escalation flag every baseline call set is gone: the ticket is not escalated.",
        tools=SUPPORT,
    )

    def sp(raw: str) -> dict[str, Any]:
        return turn(oa("search_products", raw))

    base = '{"query":"running shoes","max_price":50,"in_stock":true}'
    pair(
        "arg-filter-dropped",
        "argument",
        "shop",
        times(3, lambda: sp(base)),
        times(3, lambda: sp('{"query":"running shoes under $50","in_stock":true}')),
        "BREAKING",
        ["tool.argument_removed"],
        "The price filter moved into the query text; the catalog no longer filters by price.",
        tools=SHOP,
    )
    pair(
        "arg-price-string",
        "argument",
        "shop",
        times(3, lambda: sp(base)),
        times(3, lambda: sp('{"query":"running shoes","max_price":"50","in_stock":true}')),
        "BREAKING",
        ["tool.argument_retyped", "tool.arguments_invalid"],
        'max_price is now the string "50".',
        tools=SHOP,
    )
    pair(
        "arg-stock-flip",
        "argument",
        "shop",
        times(3, lambda: sp(base)),
        times(3, lambda: sp('{"query":"running shoes","max_price":50,"in_stock":false}')),
        "BREAKING",
        ["tool.argument_decision_changed"],
        "in_stock flips to false: out-of-stock items only.",
        tools=SHOP,
    )
    pair(
        "arg-category-added",
        "argument",
        "shop",
        times(3, lambda: sp(base)),
        times(
            3,
            lambda: sp(
                '{"query":"running shoes","max_price":50,"in_stock":true,"category":"footwear"}'
            ),
        ),
        "COMPATIBLE",
        ["tool.argument_added"],
        "An extra, valid optional filter (footwear) that the query implies.",
        tools=SHOP,
    )
    pair(
        "arg-query-reworded",
        "argument",
        "shop",
        times(3, lambda: sp(base)),
        times(3, lambda: sp('{"query":"men\'s running shoes","max_price":50,"in_stock":true}')),
        "CHANGED",
        ["tool.argument_changed"],
        'The query gains "men\'s"; a reviewer checks it.',
        tools=SHOP,
    )

    def cart(raw: str) -> dict[str, Any]:
        return turn(oa("add_to_cart", raw))

    pair(
        "arg-quantity-string",
        "argument",
        "cart",
        times(3, lambda: cart('{"product_id":"B07XJ8C8F5","quantity":2}')),
        times(3, lambda: cart('{"product_id":"B07XJ8C8F5","quantity":"2"}')),
        "BREAKING",
        ["tool.argument_retyped", "tool.arguments_invalid"],
        'quantity is the string "2"; the schema wants an integer.',
        tools=SHOP,
    )
    pair(
        "arg-quantity-zero",
        "argument",
        "cart",
        times(3, lambda: cart('{"product_id":"B07XJ8C8F5","quantity":2}')),
        times(3, lambda: cart('{"product_id":"B07XJ8C8F5","quantity":0}')),
        "BREAKING",
        ["tool.arguments_invalid"],
        "quantity 0 is below the schema's minimum 1.",
        tools=SHOP,
    )
    pair(
        "arg-product-id-case",
        "argument",
        "cart",
        times(3, lambda: cart('{"product_id":"B07XJ8C8F5","quantity":2}')),
        times(3, lambda: cart('{"product_id":"b07xj8c8f5","quantity":2}')),
        "CHANGED",
        ["tool.argument_changed"],
        "The product id is lowercased; whether the catalog is case-insensitive needs a look.",
        tools=SHOP,
    )

    def fl(**change: Any) -> dict[str, Any]:
        doc = {
            "origin": "CDG",
            "destination": "JFK",
            "date": "2026-05-02",
            "passengers": 2,
            "cabin": "business",
            **change,
        }
        return turn(oa("search_flights", json.dumps(doc)))

    pair(
        "arg-iata-city",
        "argument",
        "travel",
        times(3, lambda: fl()),
        times(3, lambda: fl(origin="Paris")),
        "BREAKING",
        ["tool.arguments_invalid"],
        "Origin 'Paris' is not an IATA code.",
        tools=TRAVEL,
    )
    pair(
        "arg-cabin-enum",
        "argument",
        "travel",
        times(3, lambda: fl()),
        times(3, lambda: fl(cabin="economy")),
        "BREAKING",
        ["tool.argument_decision_changed"],
        "Business class became economy.",
        tools=TRAVEL,
    )
    pair(
        "arg-passengers-policy",
        "argument",
        "travel",
        times(3, lambda: fl()),
        times(3, lambda: fl(passengers=1)),
        "BREAKING",
        ["tool.argument_changed"],
        "One passenger instead of two; the prompt makes passengers an ERR path.",
        tools=TRAVEL,
        policy={"rules": {"tool.argument_changed at $.search_flights.passengers": "ERR"}},
    )
    pair(
        "arg-passengers-retyped",
        "argument",
        "travel",
        times(3, lambda: fl()),
        times(3, lambda: fl(passengers="2")),
        "BREAKING",
        ["tool.argument_retyped", "tool.arguments_invalid"],
        "passengers became a string.",
        tools=TRAVEL,
    )
    pair(
        "arg-date-format",
        "argument",
        "travel",
        times(3, lambda: fl()),
        times(3, lambda: fl(date="05/02/2026")),
        "CHANGED",
        ["tool.argument_changed"],
        "The date is written 05/02/2026; the schema only says string, a reviewer checks the executor.",
        tools=TRAVEL,
    )

    pair(
        "arg-readonly-flip",
        "argument",
        "sql",
        times(
            3,
            lambda: turn(
                oa(
                    "run_sql",
                    '{"query":"SELECT COUNT(*) FROM orders WHERE created_at >= \'2026-02-01\' AND created_at < \'2026-03-01\'","read_only":true}',
                )
            ),
        ),
        times(
            3,
            lambda: turn(
                oa(
                    "run_sql",
                    '{"query":"SELECT COUNT(*) FROM orders WHERE created_at >= \'2026-02-01\' AND created_at < \'2026-03-01\'","read_only":false}',
                )
            ),
        ),
        "BREAKING",
        ["tool.argument_decision_changed"],
        "read_only flips to false.",
        tools=OFFICE,
    )
    pair(
        "arg-sql-rewritten",
        "argument",
        "sql",
        times(
            3,
            lambda: turn(
                oa(
                    "run_sql",
                    '{"query":"SELECT COUNT(*) FROM orders WHERE created_at >= \'2026-02-01\' AND created_at < \'2026-03-01\'","read_only":true}',
                )
            ),
        ),
        times(
            3,
            lambda: turn(
                oa(
                    "run_sql",
                    '{"query":"SELECT count(*) AS n FROM orders WHERE date_trunc(\'month\', created_at) = DATE \'2026-02-01\'","read_only":true}',
                )
            ),
        ),
        "CHANGED",
        ["tool.argument_changed"],
        "Another, equivalent SQL query.",
        tools=OFFICE,
    )

    def mail(**change: Any) -> dict[str, Any]:
        doc = {
            "to": ["ana@acme.com", "raj@acme.com"],
            "subject": "Launch moves to Thursday",
            "body": "Hi both, the launch moves to Thursday. Details to follow.",
            **change,
        }
        return turn(oa("send_email", json.dumps({k: v for k, v in doc.items() if v is not None})))

    pair(
        "arg-recipient-dropped",
        "argument",
        "email",
        times(3, lambda: mail()),
        times(3, lambda: mail(to=["ana@acme.com"])),
        "BREAKING",
        ["tool.argument_removed"],
        "raj@acme.com no longer gets the email.",
        tools=OFFICE,
    )
    pair(
        "arg-recipients-string",
        "argument",
        "email",
        times(3, lambda: mail()),
        times(3, lambda: mail(to="ana@acme.com, raj@acme.com")),
        "BREAKING",
        ["tool.argument_retyped", "tool.arguments_invalid"],
        "to became one string; the schema wants an array.",
        tools=OFFICE,
    )
    pair(
        "arg-recipient-added",
        "argument",
        "email",
        times(3, lambda: mail()),
        times(3, lambda: mail(to=["ana@acme.com", "raj@acme.com", "team@acme.com"])),
        "CHANGED",
        ["tool.argument_changed"],
        "The candidate also mails team@acme.com.",
        tools=OFFICE,
    )
    pair(
        "arg-body-reworded",
        "argument",
        "email",
        times(3, lambda: mail()),
        times(
            3,
            lambda: mail(
                body="Hi Ana, hi Raj - quick heads-up: launch is now on Thursday. More soon."
            ),
        ),
        "CHANGED",
        ["tool.argument_changed"],
        "Reworded email body.",
        tools=OFFICE,
    )
    pair(
        "arg-cc-added",
        "argument",
        "email",
        times(3, lambda: mail()),
        times(3, lambda: mail(cc=[])),
        "COMPATIBLE",
        [],
        "An empty cc list the schema allows.",
        tools=OFFICE,
    )

    pair(
        "arg-extra-property",
        "argument",
        "weather",
        times(3, lambda: paris()),
        times(3, lambda: paris('{"city":"Paris","units":"celsius","country":"FR"}')),
        "BREAKING",
        ["tool.arguments_invalid"],
        "country is not a declared parameter and get_weather allows no others.",
        tools=WEATHER,
    )
    pair(
        "arg-units-flip",
        "argument",
        "weather",
        times(3, lambda: paris()),
        times(3, lambda: paris('{"city":"Paris","units":"fahrenheit"}')),
        "BREAKING",
        ["tool.argument_decision_changed"],
        "Fahrenheit where celsius was asked.",
        tools=WEATHER,
    )
    pair(
        "arg-not-json-truncated",
        "argument",
        "weather",
        times(3, lambda: paris()),
        times(3, lambda: paris('{"city":"Paris","units":"cel')),
        "BREAKING",
        ["tool.arguments_invalid"],
        "The arguments are cut off: not JSON.",
        tools=WEATHER,
    )
    pair(
        "arg-not-json-python",
        "argument",
        "weather",
        times(3, lambda: paris()),
        times(3, lambda: paris("{'city': 'Paris', 'units': 'celsius'}")),
        "BREAKING",
        ["tool.arguments_invalid"],
        "A Python dict literal, not JSON.",
        tools=WEATHER,
    )
    pair(
        "arg-empty-object",
        "argument",
        "weather",
        times(3, lambda: paris()),
        times(3, lambda: paris("{}")),
        "BREAKING",
        ["tool.argument_removed", "tool.arguments_invalid"],
        "Called with no arguments.",
        tools=WEATHER,
    )
    pair(
        "arg-city-spelling",
        "argument",
        "weather",
        times(3, lambda: paris()),
        times(3, lambda: paris('{"city":"Paris, France","units":"celsius"}')),
        "CHANGED",
        ["tool.argument_changed"],
        "The city gains its country.",
        tools=WEATHER,
    )


def _tools() -> None:
    text = "It's currently 14°C and partly cloudy in Paris."
    pair(
        "text-instead",
        "text_vs_call",
        "weather",
        times(3, lambda: paris()),
        times(3, lambda: say(text)),
        "BREAKING",
        ["tool.text_instead_of_call"],
        "The candidate answers from memory instead of calling get_weather.",
        tools=WEATHER,
    )
    pair(
        "text-instead-ask",
        "text_vs_call",
        "support",
        times(3, lambda: turn(oa("lookup_order", '{"order_id":"ORD-88123"}'))),
        times(
            3,
            lambda: say(
                "I'm sorry to hear that! Could you confirm your order number so I can look into it?"
            ),
        ),
        "BREAKING",
        ["tool.text_instead_of_call"],
        "The order id is in the message; the candidate asks for it instead of looking it up.",
        tools=SUPPORT,
    )
    pair(
        "text-instead-calendar",
        "text_vs_call",
        "calendar",
        times(
            3,
            lambda: turn(
                oa(
                    "create_event",
                    '{"title":"Q2 planning sync","start":"2026-03-14T15:00:00+01:00","end":"2026-03-14T15:30:00+01:00","attendees":["dana@acme.com","lee@acme.com"]}',
                )
            ),
        ),
        times(
            3,
            lambda: say(
                "Done! I've scheduled 'Q2 planning sync' for Saturday at 3pm with Dana and Lee."
            ),
        ),
        "BREAKING",
        ["tool.text_instead_of_call"],
        "Claims the meeting is booked without calling create_event.",
        tools=CALENDAR,
    )
    pair(
        "call-instead-of-text",
        "text_vs_call",
        "weather",
        times(3, lambda: say("I can check live weather for you. Which city?")),
        times(3, lambda: paris()),
        "CHANGED",
        ["tool.call_instead_of_text"],
        "Where the baseline asked, the candidate calls the tool (the question names Paris).",
        tools=WEATHER,
    )
    pair(
        "tool-changed-search",
        "tool_choice",
        "weather",
        times(3, lambda: paris()),
        times(3, lambda: turn(oa("search_web", '{"query":"current weather Paris celsius"}'))),
        "BREAKING",
        ["tool.tool_changed"],
        "Searches the web instead of calling get_weather.",
        tools=WEATHER,
    )
    pair(
        "tool-changed-forecast",
        "tool_choice",
        "weather",
        times(3, lambda: paris()),
        times(3, lambda: turn(oa("get_forecast", '{"city":"Paris","days":1}'))),
        "BREAKING",
        ["tool.tool_changed"],
        "A forecast instead of the current weather.",
        tools=WEATHER,
    )
    pair(
        "tool-changed-hotels",
        "tool_choice",
        "travel",
        times(
            3,
            lambda: turn(
                oa(
                    "search_flights",
                    '{"origin":"CDG","destination":"JFK","date":"2026-05-02","passengers":2,"cabin":"business"}',
                )
            ),
        ),
        times(
            3,
            lambda: turn(
                oa(
                    "search_hotels",
                    '{"city":"New York","check_in":"2026-05-02","check_out":"2026-05-03","guests":2}',
                )
            ),
        ),
        "BREAKING",
        ["tool.tool_changed"],
        "Hotels searched where flights were asked for.",
        tools=TRAVEL,
    )
    pair(
        "undeclared-tool",
        "tool_choice",
        "weather",
        times(3, lambda: paris()),
        times(
            3, lambda: turn(oa("get_current_weather", '{"location":"Paris, FR","unit":"celsius"}'))
        ),
        "BREAKING",
        ["tool.undeclared_tool"],
        "Calls get_current_weather, a name from OpenAI's docs the version does not declare.",
        tools=WEATHER,
    )
    ticket = '{"customer_id":"C-10442","category":"billing","priority":"high","summary":"Order ORD-88123 arrived broken; customer charged twice"}'
    pair(
        "call-dropped",
        "tool_choice",
        "support",
        times(
            3,
            lambda: turn(
                oa("lookup_order", '{"order_id":"ORD-88123"}'), oa("create_ticket", ticket)
            ),
        ),
        times(3, lambda: turn(oa("lookup_order", '{"order_id":"ORD-88123"}'))),
        "BREAKING",
        ["tool.call_dropped"],
        "No ticket is opened any more.",
        tools=SUPPORT,
    )
    pair(
        "call-added",
        "tool_choice",
        "weather",
        times(3, lambda: paris()),
        times(
            3,
            lambda: turn(
                oa("get_weather", '{"city":"Paris","units":"celsius"}'),
                oa("get_forecast", '{"city":"Paris","days":1}'),
            ),
        ),
        "CHANGED",
        ["tool.call_added"],
        "Also fetches a forecast; harmless, one more call.",
        tools=WEATHER,
    )
    three = (
        '{"city":"Paris","units":"celsius"}',
        '{"city":"London","units":"celsius"}',
        '{"city":"Berlin","units":"celsius"}',
    )
    pair(
        "parallel-cut-short",
        "parallel",
        "weather3",
        times(3, lambda: turn(*(oa("get_weather", a) for a in three))),
        times(3, lambda: turn(oa("get_weather", three[0]))),
        "BREAKING",
        ["tool.parallel_calls_changed"],
        "Three cities asked, one looked up: the parallel calls are cut short.",
        tools=WEATHER,
    )
    pair(
        "parallel-sequential",
        "parallel",
        "weather3",
        times(3, lambda: turn(*(oa("get_weather", a) for a in three))),
        times(3, lambda: turn(oa("get_weather", three[0]), oa("get_weather", three[1]))),
        "BREAKING",
        ["tool.parallel_calls_changed"],
        "Berlin is left out.",
        tools=WEATHER,
    )
    pair(
        "parallel-duplicated",
        "parallel",
        "cart",
        times(3, lambda: turn(oa("add_to_cart", '{"product_id":"B07XJ8C8F5","quantity":2}'))),
        times(
            3,
            lambda: turn(
                oa("add_to_cart", '{"product_id":"B07XJ8C8F5","quantity":1}'),
                oa("add_to_cart", '{"product_id":"B07XJ8C8F5","quantity":1}'),
            ),
        ),
        "BREAKING",
        ["tool.parallel_calls_changed"],
        "Two calls of quantity 1 instead of one of 2: a different action sequence for the cart.",
        tools=SHOP,
    )
    pair(
        "parallel-subset-ok",
        "parallel",
        "weather3",
        times(3, lambda: turn(*(oa("get_weather", a) for a in three))),
        times(3, lambda: turn(oa("get_weather", three[0]), oa("get_weather", three[1]))),
        "COMPATIBLE",
        [],
        "tool_order subset: a planner may stop after two of the cities.",
        tools=WEATHER,
        tool_order="subset",
    )
    pair(
        "superset-ok",
        "order",
        "weather",
        times(3, lambda: paris()),
        times(
            3,
            lambda: turn(
                oa("get_weather", '{"city":"Paris","units":"celsius"}'),
                oa("get_forecast", '{"city":"Paris","days":1}'),
            ),
        ),
        "COMPATIBLE",
        [],
        "tool_order superset: extra lookups are allowed.",
        tools=WEATHER,
        tool_order="superset",
    )
    pair(
        "superset-dropped",
        "order",
        "support",
        times(
            3,
            lambda: turn(
                oa("lookup_order", '{"order_id":"ORD-88123"}'), oa("create_ticket", ticket)
            ),
        ),
        times(3, lambda: turn(oa("create_ticket", ticket))),
        "BREAKING",
        ["tool.call_dropped"],
        "tool_order superset allows more calls, not fewer: the lookup is gone.",
        tools=SUPPORT,
        tool_order="superset",
    )
    pair(
        "subset-added",
        "order",
        "support",
        times(3, lambda: turn(oa("lookup_order", '{"order_id":"ORD-88123"}'))),
        times(
            3,
            lambda: turn(
                oa("lookup_order", '{"order_id":"ORD-88123"}'), oa("create_ticket", ticket)
            ),
        ),
        "CHANGED",
        ["tool.call_added"],
        "tool_order subset: a new ticket call is not part of the baseline's plan.",
        tools=SUPPORT,
        tool_order="subset",
    )
    pair(
        "strict-reordered",
        "order",
        "support",
        times(
            3,
            lambda: turn(
                oa("lookup_order", '{"order_id":"ORD-88123"}'), oa("create_ticket", ticket)
            ),
        ),
        times(
            3,
            lambda: turn(
                oa("create_ticket", ticket), oa("lookup_order", '{"order_id":"ORD-88123"}')
            ),
        ),
        "BREAKING",
        ["tool.order_changed"],
        "tool_order strict: the ticket is opened before the order is looked up.",
        tools=SUPPORT,
        tool_order="strict",
    )
    pair(
        "strict-same",
        "order",
        "support",
        times(
            3,
            lambda: turn(
                oa("lookup_order", '{"order_id":"ORD-88123"}'), oa("create_ticket", ticket)
            ),
        ),
        times(
            3,
            lambda: turn(
                oa("lookup_order", '{"order_id": "ORD-88123"}'),
                an("create_ticket", json.loads(ticket)),
            ),
        ),
        "COMPATIBLE",
        [],
        "tool_order strict, same calls in the same order.",
        tools=SUPPORT,
        tool_order="strict",
        tags=("format_noise",),
    )
    pair(
        "strict-parallel-swapped",
        "order",
        "weather2",
        times(3, lambda: turn(oa("get_weather", three[0]), oa("get_weather", three[1]))),
        times(3, lambda: turn(oa("get_weather", three[1]), oa("get_weather", three[0]))),
        "BREAKING",
        ["tool.order_changed"],
        "tool_order strict: London is looked up before Paris.",
        tools=WEATHER,
        tool_order="strict",
    )


def _structured() -> None:
    cls = {
        "label": "phishing",
        "confidence": 0.97,
        "reasons": ["urgent password request", "look-alike domain"],
    }

    def c(**change: Any) -> dict[str, Any]:
        return js({k: v for k, v in {**cls, **change}.items() if v is not None})

    pair(
        "so-label-outside-enum",
        "structured",
        "classify",
        times(3, lambda: c()),
        times(3, lambda: c(label="scam")),
        "BREAKING",
        ["structured.schema_violation"],
        "'scam' is not one of the schema's labels.",
        response_format=CLASSIFY,
    )
    pair(
        "so-label-flip",
        "structured",
        "classify",
        times(3, lambda: c()),
        times(3, lambda: c(label="spam")),
        "BREAKING",
        ["json.decision_changed"],
        "Phishing is now classified as spam.",
        response_format=CLASSIFY,
    )
    pair(
        "so-confidence-string",
        "structured",
        "classify",
        times(3, lambda: c()),
        times(3, lambda: c(confidence="high")),
        "BREAKING",
        ["structured.schema_violation"],
        "confidence is a word, not a number.",
        response_format=CLASSIFY,
    )
    pair(
        "so-missing-field",
        "structured",
        "classify",
        times(3, lambda: c()),
        times(3, lambda: c(reasons=None)),
        "BREAKING",
        ["structured.schema_violation"],
        "The required reasons are missing.",
        response_format=CLASSIFY,
    )
    pair(
        "so-extra-field",
        "structured",
        "classify",
        times(3, lambda: c()),
        times(3, lambda: c(explanation="Credential phishing")),
        "BREAKING",
        ["structured.schema_violation"],
        "An extra field the strict schema forbids.",
        response_format=CLASSIFY,
    )
    pair(
        "so-refusal",
        "structured",
        "classify",
        times(3, lambda: c()),
        times(3, lambda: refuse("I'm sorry, I can't assist with that request.")),
        "BREAKING",
        ["structured.refusal"],
        "The candidate refuses in the refusal field.",
        response_format=CLASSIFY,
    )
    pair(
        "so-refusal-two-of-three",
        "structured",
        "classify",
        times(3, lambda: c()),
        [refuse("I can't help with that."), refuse("I can't help with that."), c()],
        "CHANGED",
        ["structured.refusal"],
        "Two of three candidate samples refuse: not significant at three samples, a reviewer looks.",
        response_format=CLASSIFY,
    )
    pair(
        "so-refusal-both",
        "structured",
        "classify",
        times(3, lambda: refuse("I'm sorry, I can't assist with that.")),
        times(3, lambda: refuse("I'm sorry, but I can't help with classifying this.")),
        "COMPATIBLE",
        [],
        "Both sides refuse; another wording.",
        response_format=CLASSIFY,
    )
    pair(
        "so-prose",
        "structured",
        "classify",
        times(3, lambda: c()),
        times(
            3,
            lambda: say(
                "This email is phishing: it creates urgency and links to a look-alike domain to steal your password."
            ),
        ),
        "BREAKING",
        ["structured.prose_fallback"],
        "Prose where JSON was requested.",
        response_format=CLASSIFY,
    )
    pair(
        "so-fenced",
        "structured",
        "classify",
        times(3, lambda: c()),
        times(
            3,
            lambda: say(
                '```json\n{"label": "phishing", "confidence": 0.97, "reasons": ["urgent password request", "look-alike domain"]}\n```'
            ),
        ),
        "BREAKING",
        ["structured.prose_fallback"],
        "The JSON comes in a markdown fence; json.loads fails.",
        response_format=CLASSIFY,
    )
    pair(
        "so-ham-same",
        "structured",
        "classify_ham",
        times(
            3,
            lambda: js({"label": "ham", "confidence": 0.99, "reasons": ["internal meeting note"]}),
        ),
        times(
            3,
            lambda: js(
                {"label": "ham", "confidence": 0.99, "reasons": ["internal meeting note"]}, indent=1
            ),
        ),
        "COMPATIBLE",
        [],
        "Same answer, other indentation.",
        response_format=CLASSIFY,
        tags=("format_noise",),
    )
    pair(
        "so-reasons-reworded",
        "structured",
        "classify",
        times(3, lambda: c()),
        times(3, lambda: c(reasons=["asks for password urgently", "suspicious domain"])),
        "CHANGED",
        ["json.value_changed"],
        "Same label and confidence, reasons reworded.",
        response_format=CLASSIFY,
    )

    inv = {
        "vendor": "Northwind Traders",
        "total": 1250.0,
        "currency": "EUR",
        "due_date": "2026-04-01",
        "line_items": [
            {"description": "Consulting (March)", "amount": 1000.0},
            {"description": "Travel", "amount": 250.0},
        ],
    }

    def iv(**change: Any) -> dict[str, Any]:
        return js({**inv, **change})

    pair(
        "so-total-string",
        "structured",
        "invoice",
        times(3, lambda: iv()),
        times(3, lambda: iv(total="1,250.00")),
        "BREAKING",
        ["structured.schema_violation"],
        "total is the string '1,250.00'.",
        response_format=INVOICE,
    )
    pair(
        "so-currency-symbol",
        "structured",
        "invoice",
        times(3, lambda: iv()),
        times(3, lambda: iv(currency="€")),
        "BREAKING",
        ["structured.schema_violation"],
        "The currency symbol breaks the ISO-code pattern.",
        response_format=INVOICE,
    )
    pair(
        "so-due-null",
        "structured",
        "invoice",
        times(3, lambda: iv()),
        times(3, lambda: iv(due_date=None)),
        "CHANGED",
        ["json.value_changed"],
        "The due date is null where the invoice states one; valid, but a reviewer checks.",
        response_format=INVOICE,
    )
    pair(
        "so-line-item-dropped",
        "structured",
        "invoice",
        times(3, lambda: iv()),
        times(3, lambda: iv(line_items=inv["line_items"][:1])),
        "BREAKING",
        ["json.array_length"],
        "One line item instead of two: the travel line is lost from the extraction. Zero-config "
        "an array length is a change (WARN); a reviewer sees data lost.",
        response_format=INVOICE,
        tags=("known_miss",),
    )
    pair(
        "so-line-item-field",
        "structured",
        "invoice",
        times(3, lambda: iv()),
        times(
            3,
            lambda: iv(
                line_items=[
                    {"desc": "Consulting (March)", "amount": 1000.0},
                    {"desc": "Travel", "amount": 250.0},
                ]
            ),
        ),
        "BREAKING",
        ["structured.schema_violation"],
        "line items use desc instead of description.",
        response_format=INVOICE,
    )
    pair(
        "so-json-mode-prose",
        "structured",
        "sentiment",
        times(3, lambda: js({"sentiment": "negative", "score": 0.08})),
        times(
            3,
            lambda: say(
                "Sentiment: negative (score 0.08). The reviewer is clearly unhappy with the battery life."
            ),
        ),
        "BREAKING",
        ["structured.prose_fallback"],
        "JSON mode, and the answer is prose.",
        response_format=JSON_MODE,
    )
    pair(
        "so-json-mode-score",
        "structured",
        "sentiment",
        times(3, lambda: js({"sentiment": "negative", "score": 0.08})),
        times(3, lambda: js({"sentiment": "negative", "score": 0.12})),
        "CHANGED",
        ["json.value_changed"],
        "The score moves from 0.08 to 0.12.",
        response_format=JSON_MODE,
    )
    pair(
        "so-json-mode-keys",
        "structured",
        "sentiment",
        times(3, lambda: js({"sentiment": "negative", "score": 0.08})),
        times(3, lambda: say('{ "score": 0.08, "sentiment": "negative" }')),
        "COMPATIBLE",
        [],
        "Keys reordered, spaces inside braces.",
        response_format=JSON_MODE,
        tags=("format_noise",),
    )


def _rejected() -> None:
    ok = lambda: say("It's 14°C and partly cloudy in Paris.")  # noqa: E731
    pair(
        "rejected-temperature",
        "param_rejected",
        "weather",
        times(3, ok),
        times(
            3,
            lambda: fail(
                "param_rejected: parameter temperature rejected: Unsupported value: 'temperature' does not support 0.2 with this model. Only the default (1) value is supported."
            ),
        ),
        "BREAKING",
        ["request.param_rejected"],
        "The reasoning model rejects temperature.",
    )
    pair(
        "rejected-max-tokens",
        "param_rejected",
        "weather",
        times(3, ok),
        times(
            3,
            lambda: fail(
                "param_rejected: parameter max_tokens rejected: Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead."
            ),
        ),
        "BREAKING",
        ["request.param_rejected"],
        "max_tokens where max_completion_tokens is wanted.",
    )
    pair(
        "rejected-parallel",
        "param_rejected",
        "weather2",
        times(
            3,
            lambda: turn(
                oa("get_weather", '{"city":"Paris","units":"celsius"}'),
                oa("get_weather", '{"city":"London","units":"celsius"}'),
            ),
        ),
        times(
            3,
            lambda: fail(
                "param_rejected: parameter parallel_tool_calls rejected: Unsupported parameter: 'parallel_tool_calls' is not supported with this model."
            ),
        ),
        "BREAKING",
        ["request.param_rejected"],
        "parallel_tool_calls is not supported.",
        tools=WEATHER,
    )
    pair(
        "rejected-response-format",
        "param_rejected",
        "classify",
        times(
            3,
            lambda: js(
                {"label": "phishing", "confidence": 0.97, "reasons": ["urgent password request"]}
            ),
        ),
        times(
            3,
            lambda: fail(
                "param_rejected: parameter response_format rejected: Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model."
            ),
        ),
        "BREAKING",
        ["request.param_rejected"],
        "Structured outputs unsupported by the candidate.",
        response_format=CLASSIFY,
    )
    pair(
        "rejected-thinking",
        "param_rejected",
        "weather",
        times(3, ok),
        times(
            3,
            lambda: fail(
                "param_rejected: parameter thinking rejected: thinking.budget_tokens: Input should be greater than or equal to 1024"
            ),
        ),
        "BREAKING",
        ["request.param_rejected"],
        "Anthropic rejects the thinking budget.",
    )
    pair(
        "rate-limited",
        "param_rejected",
        "weather",
        times(3, ok),
        times(3, lambda: fail("rate_limited: 429 Too Many Requests")),
        "ERROR",
        ["call.error"],
        "A transient failure is an ERROR to re-run, not a break.",
    )


def _request_side() -> None:
    same = lambda: paris()  # noqa: E731
    stricter = json.loads(json.dumps(GET_WEATHER))
    stricter["parameters"]["properties"]["country"] = {"type": "string"}
    stricter["parameters"]["required"] = ["city", "units", "country"]
    pair(
        "req-tool-removed",
        "request",
        "weather",
        times(3, same),
        times(3, same),
        "BREAKING",
        ["request.tool_removed"],
        "v2 no longer declares search_web, which callers' executors handle.",
        tools=[GET_WEATHER, GET_FORECAST],
        before={"tools": WEATHER},
    )
    pair(
        "req-param-required",
        "request",
        "weather",
        times(3, same),
        times(3, same),
        "BREAKING",
        ["request.tool_parameter_required"],
        "get_weather now requires country; executors built for v1 do not expect it.",
        tools=[stricter, GET_FORECAST, SEARCH_WEB],
        before={"tools": WEATHER},
    )
    optional = json.loads(json.dumps(GET_WEATHER))
    optional["parameters"]["properties"]["country"] = {"type": "string"}
    pair(
        "req-param-optional",
        "request",
        "weather",
        times(3, same),
        times(3, same),
        "COMPATIBLE",
        [],
        "A new optional parameter breaks no executor.",
        tools=[optional, GET_FORECAST, SEARCH_WEB],
        before={"tools": WEATHER},
    )
    described = json.loads(json.dumps(GET_WEATHER))
    described["description"] = "Current weather conditions for a city (temperature, sky)."
    pair(
        "req-description",
        "request",
        "weather",
        times(3, same),
        times(3, same),
        "COMPATIBLE",
        [],
        "Only the tool's description changed.",
        tools=[described, GET_FORECAST, SEARCH_WEB],
        before={"tools": WEATHER},
    )
    pair(
        "req-tool-added",
        "request",
        "weather",
        times(3, same),
        times(3, same),
        "CHANGED",
        ["request.tool_added"],
        "v2 adds get_forecast; callers need a handler.",
        tools=WEATHER,
        before={"tools": [GET_WEATHER, SEARCH_WEB]},
    )
    cls = {"label": "phishing", "confidence": 0.97, "reasons": ["urgent password request"]}
    narrower = json.loads(json.dumps(CLASSIFY))
    narrower["schema"]["properties"]["severity"] = {"type": "integer"}
    narrower["schema"]["required"] = ["label", "confidence", "reasons", "severity"]
    pair(
        "req-schema-required",
        "request",
        "classify",
        times(3, lambda: js(cls)),
        times(3, lambda: js(cls)),
        "BREAKING",
        ["request.response_schema_narrowed"],
        "The response schema requires a new severity field.",
        response_format=narrower,
        before={"response_format": CLASSIFY},
    )
    fewer = json.loads(json.dumps(CLASSIFY))
    fewer["schema"]["properties"]["label"]["enum"] = ["spam", "ham"]
    pair(
        "req-schema-enum",
        "request",
        "classify",
        times(3, lambda: js(cls)),
        times(3, lambda: js(cls)),
        "BREAKING",
        ["request.response_schema_narrowed"],
        "phishing is no longer an allowed label in v2's schema.",
        response_format=fewer,
        before={"response_format": CLASSIFY},
    )
    wider = json.loads(json.dumps(CLASSIFY))
    wider["schema"]["properties"]["confidence"] = {"type": ["number", "null"]}
    pair(
        "req-schema-widened",
        "request",
        "classify",
        times(3, lambda: js(cls)),
        times(3, lambda: js(cls)),
        "COMPATIBLE",
        [],
        "The schema now also allows a null confidence: wider, not narrower.",
        response_format=wider,
        before={"response_format": CLASSIFY},
    )
    removed = json.loads(json.dumps(CLASSIFY))
    del removed["schema"]["properties"]["reasons"]
    removed["schema"]["required"] = ["label", "confidence"]
    pair(
        "req-schema-property-removed",
        "request",
        "classify",
        times(3, lambda: js(cls)),
        times(3, lambda: js({"label": "phishing", "confidence": 0.97})),
        "BREAKING",
        ["request.response_schema_narrowed"],
        "v2's schema drops reasons, which consumers read.",
        response_format=removed,
        before={"response_format": CLASSIFY},
    )


if __name__ == "__main__":
    build()
    ids = [p["id"] for p in PAIRS]
    assert len(ids) == len(set(ids)), "duplicate ids"
    OUT.write_text(
        "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in PAIRS), encoding="utf-8"
    )
    counts: dict[str, int] = {}
    for p in PAIRS:
        counts[p["expected"]["verdict"]] = counts.get(p["expected"]["verdict"], 0) + 1
    print(f"{len(PAIRS)} pairs {counts}")
