"""Links to named routes from path templates read once from the route table.

Starlette's `url_for` walks the whole table on every call, every mount's routes included,
raising and catching an exception at each route that does not match; a portal fragment asks
for up to a dozen links. The templates here are filled per call, with the request's base URL,
so a link still carries this request's business key, scheme, host and root path."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.convertors import Convertor
from starlette.datastructures import URL
from starlette.requests import Request
from starlette.routing import PARAM_FORMAT_REGEX, BaseRoute, Mount, Route, Router


@dataclass(frozen=True, slots=True)
class _Level:
    """A mount's prefix or the route's own path, split as Starlette splits it to fill it in:
    literal text at even places, parameter names at odd ones."""

    parts: tuple[str, ...]
    convertors: dict[str, Convertor[Any]]
    mount: bool

    def fill(self, params: dict[str, Any]) -> str:
        parts = list(self.parts)
        for i in range(1, len(parts), 2):
            # A mount's {path} is left empty and its trailing slash dropped, as Starlette does.
            name = parts[i]
            parts[i] = (
                ""
                if self.mount and name == "path"
                else self.convertors[name].to_string(params[name])
            )
        text = "".join(parts)
        return text.rstrip("/") if self.mount else text

    @property
    def params(self) -> frozenset[str]:
        return frozenset(self.parts[1::2]) - ({"path"} if self.mount else set())


@dataclass(frozen=True, slots=True)
class _Template:
    levels: tuple[_Level, ...]
    params: frozenset[str]


class NamedRoutes:
    """The path of every route that Starlette's `url_for` would find by name alone: a `Route`
    named once in the whole table, reached through mounts without names. Anything else (a
    mount's own name, a name used twice, other parameters than the route's) is left to
    Starlette, so both always give the same link."""

    def __init__(self, router: Router) -> None:
        self.router = router
        names = Counter(name for name, _ in _every_name(router.routes))
        self._templates = {
            route.name: _Template(levels, frozenset().union(*(lv.params for lv in levels)))
            for route, levels in _routes(router.routes, ())
            if names[route.name] == 1 and _distinct(levels)
        }

    def url_for(self, request: Request, name: str, /, **params: Any) -> URL:
        template = self._templates.get(name)
        if template is None or params.keys() != template.params:
            return request.url_for(name, **params)
        path = "".join(level.fill(params) for level in template.levels)
        base = request.base_url
        if not base.netloc:
            return request.url_for(name, **params)
        # What URLPath.make_absolute_url gives for an http route, without its urlsplit round trip.
        scheme = "https" if base.is_secure else "http"
        return URL(f"{scheme}://{base.netloc}{base.path.rstrip('/')}{path}")


def _every_name(routes: Sequence[BaseRoute]) -> Iterator[tuple[str, BaseRoute]]:
    for route in routes:
        name = getattr(route, "name", None)
        if name:
            yield name, route
        yield from _every_name(getattr(route, "routes", None) or [])


def _routes(
    routes: Sequence[BaseRoute], levels: tuple[_Level, ...]
) -> Iterator[tuple[Route, tuple[_Level, ...]]]:
    for route in routes:
        if isinstance(route, Route) and route.name:
            yield route, (*levels, _level(route.path_format, route.param_convertors, mount=False))
        elif isinstance(route, Mount) and route.name is None:
            prefix = _level(route.path_format, route.param_convertors, mount=True)
            yield from _routes(route.routes, (*levels, prefix))


def _level(path_format: str, convertors: dict[str, Convertor[Any]], *, mount: bool) -> _Level:
    return _Level(tuple(PARAM_FORMAT_REGEX.split(path_format)), convertors, mount)


def _distinct(levels: tuple[_Level, ...]) -> bool:
    """Each parameter belongs to one level (a mount takes its own before its routes see them)."""
    return sum(len(level.params) for level in levels) == len(
        frozenset().union(*(level.params for level in levels))
    )


@pass_context
def template_url_for(context: Context, name: str, /, **params: Any) -> URL:
    """`url_for` in templates: from the app's named routes (read once by create_app), or
    Starlette's own walk where the request was routed by another table."""
    request: Request = context["request"]
    named: NamedRoutes | None = getattr(request.app.state, "named_routes", None)
    if named is None or named.router is not request.scope.get("router"):
        return request.url_for(name, **params)
    return named.url_for(request, name, **params)
