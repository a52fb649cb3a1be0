"""A query's cost, estimated before it runs: every field counts once per object it can be
fetched for, and a list with ``first: n`` multiplies what is under it by n (by the largest
page, 100, when n is a variable, since validation is cached across variable values)."""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
)
from strawberry.extensions import AddValidationRules

from roost.services.pages import MAX_LIMIT

_MAX_FRAGMENT_DEPTH = 10


def CostLimiter(max_cost: int) -> AddValidationRules:
    class CostRule(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            cost = _cost(node.selection_set, 1, self.context, 0)
            if cost > max_cost:
                self.report_error(
                    GraphQLError(
                        f"This query could cost {cost} (the limit is {max_cost}): ask for "
                        "smaller pages or fewer nested lists.",
                        node,
                        extensions={"code": "QUERY_TOO_COSTLY"},
                    )
                )

    return AddValidationRules([CostRule])


def _cost(
    selection_set: SelectionSetNode | None,
    multiplier: int,
    context: ValidationContext,
    depth: int,
) -> int:
    if selection_set is None or depth > _MAX_FRAGMENT_DEPTH:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            weight = multiplier * _page_size(selection)
            total += weight + _cost(selection.selection_set, weight, context, depth)
        elif isinstance(selection, InlineFragmentNode):
            total += _cost(selection.selection_set, multiplier, context, depth)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = context.get_fragment(selection.name.value)
            if fragment is not None:
                total += _cost(fragment.selection_set, multiplier, context, depth + 1)
    return total


def _page_size(field: FieldNode) -> int:
    for argument in field.arguments or ():
        if argument.name.value == "first":
            if isinstance(argument.value, IntValueNode):
                digits = argument.value.value.lstrip("-")
                return MAX_LIMIT * 1000 if len(digits) > 6 else max(1, int(argument.value.value))
            if isinstance(argument.value, VariableNode):
                return MAX_LIMIT
    return 1
