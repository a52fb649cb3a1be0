"""What a document would cost, measured before any validator expands its fragments.

Fragments that each spread the next k times expand exponentially (k=6 over 8 levels: 545
bytes, 1.7M fields), and graphql-core's validators and Strawberry's limiters walk every
expansion. Here each fragment is measured once and its measure reused wherever it is spread,
so the pass is linear in the document; a cycle of fragments is refused on the way.

The weight is the estimated cost: every field counts once per object it can be fetched for,
and a list with ``first: n`` multiplies what is under it by n (by the largest page, 100, when
n is a variable, since validation is cached across variable values).
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)

from roost.services.pages import MAX_LIMIT

MAX_NESTING = 32  # selection sets and fragments inside each other; beyond, no query of ours


class FragmentCycle(Exception):
    """A fragment spreads itself, directly or through others (the document is invalid)."""

    def __init__(self, name: str) -> None:
        super().__init__(f'Cannot spread fragment "{name}" within itself.')


class TooNested(Exception):
    """Selections nested deeper than MAX_NESTING."""


@dataclass(frozen=True, slots=True)
class Cost:
    """fields: what the document would execute (and validate), fragments expanded. depth: the
    deepest field, introspection fields not counted (as Strawberry's QueryDepthLimiter).
    aliases: aliased fields, expanded. weight: fields times the pages they are under."""

    fields: int = 0
    depth: int = 0
    aliases: int = 0
    weight: int = 0

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            self.fields + other.fields,
            max(self.depth, other.depth),
            self.aliases + other.aliases,
            self.weight + other.weight,
        )


def measure(document: DocumentNode) -> Cost:
    """The document's cost: fields summed over every operation (and every fragment no
    operation spreads: validation walks those too); depth, aliases and weight of the worst
    operation. Raises FragmentCycle or TooNested."""
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    walk = _Walk(fragments)
    fields, worst = 0, Cost()
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            cost = walk.selections(definition.selection_set, 0)
            fields += cost.fields
            worst = Cost(
                0,
                max(worst.depth, cost.depth),
                max(worst.aliases, cost.aliases),
                max(worst.weight, cost.weight),
            )
    for name, fragment in fragments.items():
        if name not in walk.measured:
            fields += walk.selections(fragment.selection_set, 0).fields
    return Cost(fields, worst.depth, worst.aliases, worst.weight)


class _Walk:
    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.measured: dict[str, Cost] = {}
        self._open: set[str] = set()

    def selections(self, selection_set: SelectionSetNode | None, nesting: int) -> Cost:
        if selection_set is None:
            return Cost()
        if nesting > MAX_NESTING:
            raise TooNested
        total = Cost()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field(selection, nesting)
            elif isinstance(selection, InlineFragmentNode):
                total += self.selections(selection.selection_set, nesting + 1)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment(selection.name.value, nesting)
        return total

    def _field(self, field: FieldNode, nesting: int) -> Cost:
        below = self.selections(field.selection_set, nesting + 1)
        page = _page_size(field)
        counted = not field.name.value.startswith("__")
        return Cost(
            1 + below.fields,
            1 + below.depth if counted else 0,
            (field.alias is not None) + below.aliases,
            page + page * below.weight,
        )

    def _fragment(self, name: str, nesting: int) -> Cost:
        known = self.measured.get(name)
        if known is not None:
            return known
        fragment = self.fragments.get(name)
        if fragment is None:
            return Cost()  # validation reports the unknown fragment
        if name in self._open:
            raise FragmentCycle(name)
        self._open.add(name)
        cost = self.selections(fragment.selection_set, nesting + 1)
        self._open.discard(name)
        self.measured[name] = cost
        return cost


def _page_size(field: FieldNode) -> int:
    for argument in field.arguments or ():
        if argument.name.value == "first":
            if isinstance(argument.value, IntValueNode):
                digits = argument.value.value.lstrip("-")
                return MAX_LIMIT * 1000 if len(digits) > 6 else max(1, int(argument.value.value))
            if isinstance(argument.value, VariableNode):
                return MAX_LIMIT
    return 1
