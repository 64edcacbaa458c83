"""Decoding Stripe's nested form encoding: `metadata[invoice]=x`, `expand[0]=y`, `expand[]=z`."""

from __future__ import annotations

import re
from typing import Any

_PART = re.compile(r"\[([^\]]*)\]")


def decode(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for key, value in pairs:
        head = key.split("[", 1)[0]
        *parents, last = [head, *_PART.findall(key[len(head) :])]
        node = root
        for part in parents:
            node = node.setdefault(part, {})
        node[last or str(len(node))] = value
    decoded: dict[str, Any] = _listify(root)
    return decoded


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    items = {key: _listify(value) for key, value in node.items()}
    if items and all(key.isdigit() for key in items):
        return [items[key] for key in sorted(items, key=int)]
    return items
