"""Locarno classification expressions: ``(01-01 OR 01-02) AND NOT 01-03``.

Grammar (operators case-insensitive, precedence NOT > AND > OR, parentheses group)::

    expr    := and ("OR" and)*
    and     := unary (("AND" | "NOT") unary)*     # "A NOT B" means "A AND NOT B", as patent search engines read it
    unary   := "NOT" unary | atom
    atom    := CODE | "(" expr ")"
    CODE    := NN | NN-NN                          # a class matches every subclass: 14 matches 14-03

Every code must be in the Locarno table (:mod:`patsnap_analytics.codes`): ``99-01`` or ``14-55`` parse as
codes but are refused, and a loosely written code (``14-3``, ``1403``) or a word (``watch``) is refused with
the code it most likely means. The client validates with :func:`parse` before any call; the sandbox filters with :meth:`LocExpr.evaluate`,
which works on anything whose ``& | ~`` are logical (NumPy boolean masks; not plain bools, whose ``~`` is
bitwise — :meth:`LocExpr.matches` wraps them).

Example:
    >>> e = parse("(01-01 or 01-02) not 01")
    >>> str(e)
    '(01-01 OR 01-02) AND NOT 01'
    >>> parse("14 AND NOT 14-03").matches(["14-02"]), parse("14 AND NOT 14-03").matches(["14-03"])
    (True, False)
    >>> parse("NOT 10").matches(["10-01"])
    False
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from . import codes
from .errors import ValidationError

__all__ = ["MAX_DEPTH", "And", "LocExpr", "LocSyntaxError", "Not", "Or", "Term", "code_matches", "normalise",
           "parse"]

#: Deepest nesting of parentheses and NOTs an expression may have. Real filters nest two or three levels;
#: the parser, the canonical form and the evaluator recurse once per level, so a hostile expression nested
#: hundreds deep would otherwise end in a RecursionError (a crash, and a retryable 68300005 from a server).
MAX_DEPTH = 32

_CODE = re.compile(r"^[0-9]{2}(-[0-9]{2})?$")
# a code ends at a space, a parenthesis or the end ("14.03", "14-3", "14abc" are one bad token, not a code and
# junk); junk stops at a parenthesis so that "(14-3)" names "14-3"
_TOKEN = re.compile(r"\s*(?:(\()|(\))|([A-Za-z]+)|([0-9]{2}(?:-[0-9]{2})?)(?![0-9A-Za-z./_-])|([^\s()]+))")


class LocSyntaxError(ValidationError):
    """A ``loc`` expression that does not parse; the message says where and what was expected.

    Example:
        >>> parse("(14-03 OR")
        Traceback (most recent call last):
        ...
        patsnap_analytics.loc.LocSyntaxError: loc: expected a Locarno code (NN or NN-NN) or '(' at end of expression in '(14-03 OR'
    """

    def __init__(self, rule: str, position: int | None = None) -> None:
        self.position = position
        super().__init__("loc", rule)

    def __reduce__(self):
        return (_rebuild_syntax_error, (self.rule, self.position))


def _rebuild_syntax_error(rule: str, position: int | None) -> LocSyntaxError:
    return LocSyntaxError(rule, position)


class _Logic(Protocol):
    def __and__(self, other): ...
    def __or__(self, other): ...
    def __invert__(self): ...


T = TypeVar("T", bound=_Logic)


def code_matches(term: str, code: str) -> bool:
    """Whether a design's LOC ``code`` is covered by the expression ``term`` (a class covers its subclasses).

    Example:
        >>> code_matches("14", "14-03"), code_matches("14-03", "14-03"), code_matches("14-03", "14")
        (True, True, False)
    """
    return code == term or (len(term) == 2 and code.startswith(term + "-"))


class _Truth:
    """A bool whose ``~`` is logical negation (on a plain bool ``~True`` is ``-2``, which is truthy)."""

    __slots__ = ("value",)

    def __init__(self, value: bool) -> None:
        self.value = bool(value)

    def __and__(self, other: _Truth) -> _Truth:
        return _Truth(self.value and other.value)

    def __or__(self, other: _Truth) -> _Truth:
        return _Truth(self.value or other.value)

    def __invert__(self) -> _Truth:
        return _Truth(not self.value)

    def __bool__(self) -> bool:
        return self.value


class LocExpr:
    """A parsed Locarno expression. ``str(expr)`` is its canonical form (what the client sends).

    Example:
        >>> parse("10-02").terms()
        frozenset({'10-02'})
    """

    precedence = 3

    def evaluate(self, term: Callable[[str], T]) -> T:
        """Evaluate with ``term(code)`` giving the value of each code (a NumPy mask, or any logical ``& | ~``).

        Example:
            >>> import numpy as np
            >>> masks = {"14": np.array([True, True, False]), "14-03": np.array([False, True, False])}
            >>> parse("14 NOT 14-03").evaluate(masks.__getitem__).tolist()
            [True, False, False]
        """
        raise NotImplementedError

    def terms(self) -> frozenset[str]:
        """Every code the expression mentions."""
        raise NotImplementedError

    def matches(self, codes: Iterable[str]) -> bool:
        """Whether a design with these LOC ``codes`` satisfies the expression.

        Example:
            >>> parse("(01-01 OR 01-02)").matches(["01-02", "07-01"])
            True
        """
        codes = list(codes)
        return bool(self.evaluate(lambda t: _Truth(any(code_matches(t, c) for c in codes))))

    def _wrap(self, child: LocExpr) -> str:
        return f"({child})" if child.precedence < self.precedence else str(child)


@dataclass(frozen=True)
class Term(LocExpr):
    """One Locarno code, ``NN`` (a whole class) or ``NN-NN``.

    Example:
        >>> str(Term("14-03"))
        '14-03'
    """

    code: str
    precedence = 3

    def evaluate(self, term):
        return term(self.code)

    def terms(self):
        return frozenset({self.code})

    def __str__(self) -> str:
        return self.code


@dataclass(frozen=True)
class Not(LocExpr):
    """Negation of an expression.

    Example:
        >>> str(Not(Term("14")))
        'NOT 14'
    """

    operand: LocExpr
    precedence = 2

    def evaluate(self, term):
        return ~self.operand.evaluate(term)

    def terms(self):
        return self.operand.terms()

    def __str__(self) -> str:
        return f"NOT {self._wrap(self.operand)}"


@dataclass(frozen=True)
class And(LocExpr):
    """Conjunction of two or more expressions.

    Example:
        >>> str(And((Term("14"), Not(Term("14-03")))))
        '14 AND NOT 14-03'
    """

    operands: tuple[LocExpr, ...]
    precedence = 1

    def evaluate(self, term):
        out = self.operands[0].evaluate(term)
        for op in self.operands[1:]:
            out = out & op.evaluate(term)
        return out

    def terms(self):
        return frozenset().union(*(o.terms() for o in self.operands))

    def __str__(self) -> str:
        return " AND ".join(self._wrap(o) for o in self.operands)


@dataclass(frozen=True)
class Or(LocExpr):
    """Disjunction of two or more expressions.

    Example:
        >>> str(Or((Term("10-02"), And((Term("14"), Term("26"))))))
        '10-02 OR 14 AND 26'
    """

    operands: tuple[LocExpr, ...]
    precedence = 0

    def evaluate(self, term):
        out = self.operands[0].evaluate(term)
        for op in self.operands[1:]:
            out = out | op.evaluate(term)
        return out

    def terms(self):
        return frozenset().union(*(o.terms() for o in self.operands))

    def __str__(self) -> str:
        return " OR ".join(self._wrap(o) for o in self.operands)


def _in(part: str, text: str) -> str:
    return "" if part.strip() == text.strip() else f" in {text!r}"


def _words_of(text: str) -> str:
    """The words of an expression that are not operators (``hair dryer OR 14`` -> ``hair dryer``)."""
    return " ".join(w for w in re.findall(r"[A-Za-z]+", text) if w.upper() not in ("AND", "OR", "NOT"))


def _hint(*candidates: str) -> str:
    """``; did you mean 14-03 (title)?`` for the first candidate text that suggests a code, else how to look
    codes up by words."""
    for text in candidates:
        code = codes.suggest_loc(text) if text else None
        if code is not None:
            return f"; did you mean {code} ({codes.loc_title(code)})?"
    words = next((_words_of(t) for t in candidates if _words_of(t)), "")
    if words:
        return f"; find codes by words with pa.codes.find_loc({words!r})"
    return "; find codes by words, e.g. pa.codes.find_loc('chair')"


def _check_known(code: str, position: int, text: str) -> None:
    """Refuse a well-formed code that the Locarno table does not have (no class 99, no subclass 14-55)."""
    if not codes.is_loc_code(code):
        raise LocSyntaxError(f"{code} at position {position} is not a Locarno code: "
                             f"{codes.unknown_loc_reason(code)}{_in(code, text)}{_hint(code)}", position)


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:  # only trailing whitespace is left
            break
        start = m.start(m.lastindex) if m.lastindex else m.start()
        lpar, rpar, word, code, junk = m.groups()
        if lpar:
            tokens.append(("(", "(", start))
        elif rpar:
            tokens.append((")", ")", start))
        elif code:
            tokens.append(("CODE", code, start))
        elif word and word.upper() in ("AND", "OR", "NOT"):
            tokens.append((word.upper(), word.upper(), start))
        else:
            bad = word or junk or ""
            raise LocSyntaxError(f"{bad!r} at position {start} is not a Locarno code (NN or NN-NN) nor AND/OR/NOT"
                                 f"{_in(bad, text)}{_hint(bad, text, _words_of(text))}", start)
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0

    def peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def fail(self, expected: str) -> LocSyntaxError:
        if self.i < len(self.tokens):
            _, value, pos = self.tokens[self.i]
            where = f"{value!r} at position {pos}"
        else:
            where, pos = "end of expression", len(self.text)
        return LocSyntaxError(f"expected {expected} at {where} in {self.text!r}", pos)

    def parse(self) -> LocExpr:
        if not self.tokens:
            raise LocSyntaxError("empty expression; pass None for no LOC filter", 0)
        expr = self.expr()
        if self.i != len(self.tokens):
            raise self.fail("AND, OR, NOT or the end (two codes need an operator between them)")
        return expr

    def expr(self) -> LocExpr:
        items = [self.conj()]
        while self.peek() == "OR":
            self.i += 1
            items.append(self.conj())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def conj(self) -> LocExpr:
        items = [self.unary()]
        while self.peek() in ("AND", "NOT"):
            negate = self.peek() == "NOT"  # binary NOT: "A NOT B" is "A AND NOT B"
            self.i += 1
            item = self.unary()
            items.append(Not(item) if negate else item)
        return items[0] if len(items) == 1 else And(tuple(items))

    def unary(self) -> LocExpr:
        kind = self.peek()
        if kind == "CODE":
            _, code, position = self.tokens[self.i]
            _check_known(code, position, self.text)
            self.i += 1
            return Term(code)
        if kind not in ("NOT", "("):
            raise self.fail("a Locarno code (NN or NN-NN) or '('")
        self.enter()
        self.i += 1
        if kind == "NOT":
            inner: LocExpr = Not(self.unary())
        else:
            inner = self.expr()
            if self.peek() != ")":
                raise self.fail("')' to close the '(' ")
            self.i += 1
        self.depth -= 1
        return inner

    def enter(self) -> None:
        """One level deeper (a '(' or a NOT); refused past :data:`MAX_DEPTH`, before recursing further."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            pos = self.tokens[self.i][2]
            raise LocSyntaxError(f"nested deeper than {MAX_DEPTH} levels of '(' and NOT at position {pos}; "
                                 "write the expression flatter (A OR B OR C needs no parentheses)", pos)


def parse(text: str) -> LocExpr:
    """Parse a ``loc`` expression, raising :class:`LocSyntaxError` (a ``ValueError``) with the position.

    Example:
        >>> str(parse("14-03 or 14-02 and not 14-02"))
        '14-03 OR 14-02 AND NOT 14-02'
        >>> parse("14-03 14-02")
        Traceback (most recent call last):
        ...
        patsnap_analytics.loc.LocSyntaxError: loc: expected AND, OR, NOT or the end (two codes need an operator between them) at '14-02' at position 6 in '14-03 14-02'
        >>> parse("(" * 40 + "14" + ")" * 40)
        Traceback (most recent call last):
        ...
        patsnap_analytics.loc.LocSyntaxError: loc: nested deeper than 32 levels of '(' and NOT at position 32; write the expression flatter (A OR B OR C needs no parentheses)
    """
    if not isinstance(text, str):
        raise LocSyntaxError(f"must be a string expression, got {type(text).__name__}")
    return _Parser(text).parse()


def normalise(text: str) -> str:
    """The canonical spelling of an expression (upper-case operators, single spaces, minimal parentheses).

    Example:
        >>> normalise("((10-02))   or  14")
        '10-02 OR 14'
    """
    return str(parse(text))


def is_code(text: str) -> bool:
    """Whether ``text`` is one Locarno code, ``NN`` or ``NN-NN``.

    Example:
        >>> is_code("14-03"), is_code("1403")
        (True, False)
    """
    return bool(_CODE.match(text))
