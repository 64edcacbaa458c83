"""Every (method, path) the app answers (its routes and mounts walked), and paths filled in."""

from __future__ import annotations

import re

from starlette.routing import Mount, Route

PARAMETER = re.compile(r"{(\w+)(:\w+)?}")


def every_route(routes: list[object], prefix: str = "") -> list[tuple[str, str]]:
    found = []
    for route in routes:
        if isinstance(route, Mount) and route.routes:
            found += every_route(list(route.routes), prefix + route.path)
        elif isinstance(route, Route):
            for method in sorted(route.methods or {"GET"}):
                if method != "HEAD":
                    found.append((method, prefix + route.path))
    return found


def fill(path: str, values: dict[str, str], default: str | None = None) -> str:
    """The route's path with its parameters replaced by `values` (or `default`, if given)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return values[name] if default is None else values.get(name, default)

    return PARAMETER.sub(value, path)
