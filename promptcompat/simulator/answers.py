"""Wording of the free-text answers: English variants, the Spanish version, verbose padding.

Each variant states the same facts in 1-3 sentences; variant 0 is the clean answer, the
paraphrase drift and sampling noise pick others. The [Yes]/[No] marker is added by the caller.
"""

from __future__ import annotations

import math

from promptcompat.simulator.tasks import Answer

VARIANTS = 3
TIMES = "\N{MULTIPLICATION SIGN}"


def sentences(task: Answer, variant: int) -> list[str]:
    """The English answer, variant ``variant % VARIANTS``."""
    v = variant % VARIANTS
    if task.topic == "divisible":
        return _divisible_en(task, v)
    if task.topic == "prime":
        return _prime_en(task, v)
    s = task.subject
    return [
        [
            f'You asked: "{s}".',
            "The short answer is that it depends on the details, but the main facts are "
            "well established and easy to check.",
        ],
        [
            f'Regarding "{s}": the key facts are well known, although the details depend on '
            "the context.",
            "A reliable reference will confirm them quickly.",
        ],
        [
            f'On "{s}", the main points are well established.',
            "The finer details depend on the context, and they are easy to verify.",
        ],
    ][v]


def _divisible_en(task: Answer, v: int) -> list[str]:
    n, m = task.numbers
    if m == 0:
        return [
            [
                "Division by zero is not defined, so no remainder can be computed.",
                f"Therefore {n} is not divisible by 0.",
            ],
            [
                "Nothing can be divided by zero, since the result would be undefined.",
                f"So {n} is not divisible by 0.",
            ],
            [
                "A division by 0 has no defined quotient or remainder.",
                f"That means {n} is not divisible by 0.",
            ],
        ][v]
    q, r = divmod(n, m)
    if r == 0:
        return [
            [
                f"{n} divided by {m} is {q} with a remainder of 0.",
                f"A zero remainder means {n} is divisible by {m}.",
            ],
            [
                f"{m} times {q} is exactly {n}, with nothing left over.",
                f"So {n} is divisible by {m}.",
            ],
            [
                f"Dividing {n} by {m} gives {q} and leaves nothing over.",
                f"So yes, {n} is divisible by {m}.",
            ],
        ][v]
    return [
        [
            f"{n} divided by {m} is {q} with a remainder of {r}.",
            f"Because the remainder is not zero, {n} is not divisible by {m}.",
        ],
        [
            f"{m} times {q} is {m * q}, which is {r} short of {n}.",
            f"So {n} leaves a remainder and is not divisible by {m}.",
        ],
        [
            f"Dividing {n} by {m} gives {q} and leaves a remainder of {r}.",
            f"So no, {n} is not divisible by {m}.",
        ],
    ][v]


def _prime_en(task: Answer, v: int) -> list[str]:
    n, factor = task.numbers
    root = math.isqrt(n) if n > 0 else 0
    if n < 2:
        return [
            [
                "Prime numbers are whole numbers greater than 1.",
                f"Since {n} is not greater than 1, {n} is not a prime number.",
            ],
            [
                "A prime must be a whole number greater than 1.",
                f"{n} is not greater than 1, so {n} is not a prime number.",
            ],
            [
                "By definition, primes start at 2, the smallest prime.",
                f"Therefore {n} is not a prime number.",
            ],
        ][v]
    if factor == 0:
        return [
            [
                f"To decide whether {n} is prime, I check the divisors from 2 up to {root}, "
                "the integer part of its square root.",
                f"None of them divides {n} evenly, so {n} is a prime number.",
            ],
            [
                f"{n} has no divisor between 2 and its square root (about {root}), which I "
                "checked one candidate at a time.",
                f"Its only divisors are 1 and itself, therefore {n} is prime.",
            ],
            [
                f"Trying every candidate divisor from 2 up to {root}, the square root rounded "
                "down, always leaves a remainder.",
                f"So {n} is a prime number with no other factors.",
            ],
        ][v]
    shown = (
        f"{n} = {factor} {TIMES} {n // factor}" if factor > 0 else f"{n} has a nontrivial factor"
    )
    return [
        [
            f"To decide whether {n} is prime, I look for a divisor between 2 and its square root.",
            f"Since {shown}, {n} is not a prime number.",
        ],
        [
            f"Looking for a divisor of {n} above 1, I find one quickly: {shown}.",
            f"So {n} has a divisor other than 1 and itself and is not prime.",
        ],
        [
            f"Checking the small divisors first, I get {shown}.",
            f"Therefore {n} has more than two divisors and is not a prime number.",
        ],
    ][v]


def spanish(task: Answer) -> list[str]:
    """The same answer in Spanish (the language_switched drift)."""
    if task.topic == "divisible":
        n, m = task.numbers
        if m == 0:
            return [
                "La división entre cero no está definida, así que no hay un resto posible.",
                f"Por lo tanto, {n} no es divisible entre 0.",
            ]
        q, r = divmod(n, m)
        if r == 0:
            return [
                f"Al dividir {n} entre {m} se obtiene {q} con un resto de 0.",
                f"Como el resto es cero, {n} es divisible entre {m}.",
            ]
        return [
            f"Al dividir {n} entre {m} se obtiene {q} con un resto de {r}.",
            f"Como el resto no es cero, {n} no es divisible entre {m}.",
        ]
    if task.topic == "prime":
        n, factor = task.numbers
        if n < 2:
            return [
                "Los números primos son los enteros mayores que 1.",
                f"Como {n} no es mayor que 1, {n} no es un número primo.",
            ]
        if factor == 0:
            return [
                f"Para saber si {n} es primo, compruebo los divisores desde 2 hasta "
                f"{math.isqrt(n)}, la parte entera de su raíz cuadrada.",
                f"Ninguno de ellos divide a {n} de forma exacta, así que {n} es un número primo.",
            ]
        shown = (
            f"{n} = {factor} {TIMES} {n // factor}"
            if factor > 0
            else f"{n} tiene un divisor propio"
        )
        return [
            f"Para saber si {n} es primo, busco un divisor entre 2 y su raíz cuadrada.",
            f"Como {shown}, el número {n} no es primo.",
        ]
    return [
        f"Sobre tu pregunta («{task.subject}»): la respuesta corta es que depende de los "
        "detalles, pero los datos principales están bien establecidos.",
        "Te recomiendo consultar una fuente fiable para confirmar los detalles.",
    ]


_EXTRA_EN = {
    "prime": (
        "A prime number is a whole number greater than 1 whose only divisors are 1 and the "
        "number itself.",
        "It is enough to test divisors up to the square root, because any larger factor would "
        "pair with a smaller one that the search would already have found.",
        "This method is called trial division, and it is reliable for numbers of this size.",
    ),
    "divisible": (
        "A whole number is divisible by another when the division leaves no remainder, that "
        "is, when it is an exact multiple of the divisor.",
        "The quotient and the remainder come from ordinary long division.",
        "Checking the remainder is the most direct way to settle questions like this one.",
    ),
    "generic": (
        "Questions like this one usually have a short answer and a longer one, and the short "
        "one is often enough for everyday purposes.",
        "When precision matters, it is worth looking at the original sources and at how "
        "recent they are.",
        "Context such as time, place and the exact definitions used can change the details.",
    ),
}
_FILLER = (
    "To put it another way, the reasoning above covers the important steps one by one.",
    "I hope this step-by-step explanation makes the reasoning clear and easy to follow.",
    "If anything is unclear, I am happy to go through any of these steps in more detail.",
)


def verbose(task: Answer, base: list[str], target_chars: int) -> list[str]:
    """``base`` plus explanatory sentences until the text is at least ``target_chars`` long."""
    out = list(base)
    pool = [*_EXTRA_EN[task.topic], *_FILLER]
    i = 0
    while len(" ".join(out)) < target_chars:
        out.append(pool[i % len(pool)])
        i += 1
    return out
