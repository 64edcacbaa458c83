"""Every (method, path) the app answers, found by walking its routes and mounts."""

from __future__ import annotations

from starlette.routing import Mount, Route


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
