"""YAML -> plain dict without PyYAML's node graph: about 8x faster on big specs.

libyaml's events, PyYAML's own implicit resolvers and constructors, and
``load._plain``'s rules for keys and dates, in one pass: the result equals
``load._plain(yaml.load(text, CSafeLoader))``. Anything unusual (explicit tags,
merge keys, complex keys, aliases to unfinished nodes, several documents) raises
``Fallback`` and ``load.parse_spec`` uses PyYAML's loader instead, which also
words the errors of invalid YAML.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import yaml
from yaml import events
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from generator import load as loading


class Fallback(Exception):
    pass


_RESOLVERS = Resolver.yaml_implicit_resolvers
_WILDCARD = _RESOLVERS.get(None, [])
_BUILD = SafeConstructor()
_TAGS = {
    f"tag:yaml.org,2002:{name}": getattr(_BUILD, f"construct_yaml_{name}")
    for name in ("null", "bool", "int", "float", "timestamp")
}
_STR = "tag:yaml.org,2002:str"
_MISSING = object()


def _resolve(value: str) -> Any:
    for tag, regexp in _RESOLVERS.get(value[0] if value else "", []) + _WILDCARD:
        if regexp.match(value):
            build = _TAGS.get(tag)
            if build is None:
                raise Fallback(tag)
            result = build(ScalarNode(tag, value))
            return result.isoformat() if isinstance(result, (dt.date, dt.datetime)) else result
    return value


def _key(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def load(text: str) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    cache: dict[str, Any] = {}
    anchors: dict[str, Any] = {}
    stack: list[Any] = []  # lists, or [dict, pending key] frames for mappings
    keys: list[bool] = []  # per frame: is it a mapping
    root: Any = _MISSING
    pending: list[tuple[str, Any]] = []  # (anchor, container) of open containers
    expanded = 0  # nodes aliases have added
    Scalar, Alias = events.ScalarEvent, events.AliasEvent
    MapStart, MapEnd = events.MappingStartEvent, events.MappingEndEvent
    SeqStart, SeqEnd = events.SequenceStartEvent, events.SequenceEndEvent
    for event in yaml.parse(text, Loader=loader):
        kind = type(event)
        if kind is Scalar:
            if event.tag is not None:
                raise Fallback(event.tag)
            value = event.value
            if event.implicit[0]:
                hit = cache.get(value, _MISSING)
                if hit is _MISSING:
                    hit = cache[value] = _resolve(value)
                value = hit
            if event.anchor is not None:
                anchors[event.anchor] = value
        elif kind is MapStart or kind is SeqStart:
            if event.tag is not None:
                raise Fallback(event.tag)
            if kind is MapStart:
                stack.append([{}, _MISSING])
                keys.append(True)
            else:
                stack.append([])
                keys.append(False)
            pending.append((event.anchor, stack[-1]))
            continue
        elif kind is MapEnd or kind is SeqEnd:
            frame = stack.pop()
            keys.pop()
            anchor, _ = pending.pop()
            value = frame[0] if kind is MapEnd else frame
            if anchor is not None:
                anchors[anchor] = value
        elif kind is Alias:
            if event.anchor not in anchors:
                raise Fallback("alias to an unfinished node")
            expanded += loading.count_nodes(anchors[event.anchor], loading.ALIAS_NODES - expanded)
            if expanded > loading.ALIAS_NODES:  # load.parse_spec decides, with a clear message
                raise Fallback("aliases past the bound")
            value = copy.deepcopy(anchors[event.anchor])
        elif kind is events.DocumentStartEvent and root is not _MISSING:
            raise Fallback("several documents")
        else:
            continue
        if not stack:
            root = value
        elif keys[-1]:
            frame = stack[-1]
            if frame[1] is _MISSING:
                if isinstance(value, (dict, list)):
                    raise Fallback("complex key")
                frame[1] = _key(value)
            else:
                frame[0][frame[1]] = value
                frame[1] = _MISSING
        else:
            stack[-1].append(value)
    return None if root is _MISSING else root
