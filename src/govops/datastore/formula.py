"""Derived indicators: a formula over other indicators' codes, evaluated on read.

Only + - * / , parentheses, numbers and indicator codes are allowed, so a formula in the
catalogue can never run code.
"""

from __future__ import annotations

import ast
from decimal import Decimal, DivisionByZero, InvalidOperation

from govops.core.errors import InvalidRequest

_OPERATORS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}


class Formula:
    def __init__(self, text: str) -> None:
        self.text = text
        try:
            self._tree = ast.parse(text, mode="eval").body
        except SyntaxError as error:
            raise InvalidRequest(f"formula '{text}' cannot be read: {error.msg}") from error
        self.inputs = sorted(self._names(self._tree))

    def _names(self, node: ast.AST) -> set[str]:
        if isinstance(node, ast.Name):
            return {node.id}
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return self._names(node.left) | self._names(node.right)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return self._names(node.operand)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return set()
        raise InvalidRequest(
            f"formula '{self.text}' may use only + - * / ( ), numbers and indicator codes"
        )

    def evaluate(self, values: dict[str, Decimal]) -> Decimal | None:
        """The formula's value, or None when an input is missing or a divisor is zero."""
        try:
            return self._evaluate(self._tree, values)
        except (KeyError, DivisionByZero, InvalidOperation, ZeroDivisionError):
            return None

    def _evaluate(self, node: ast.AST, values: dict[str, Decimal]) -> Decimal:
        if isinstance(node, ast.Name):
            return values[node.id]
        if isinstance(node, ast.Constant):
            return Decimal(str(node.value))
        if isinstance(node, ast.UnaryOp):
            return -self._evaluate(node.operand, values)
        assert isinstance(node, ast.BinOp)
        operate = _OPERATORS[type(node.op)]
        return operate(self._evaluate(node.left, values), self._evaluate(node.right, values))
