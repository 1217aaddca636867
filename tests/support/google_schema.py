"""Google's discovery documents (shipped with googleapiclient) as the reference for routes and bodies.

`find_route` maps an HTTP request to a discovery method; `check_query` and `check_body` reject what
Google's front end would reject (unknown fields, wrong types, unknown enum values), with Google's
wording, and return the body normalised to lowerCamel names with JSON nulls dropped.
"""

from __future__ import annotations

import importlib.resources
import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

# Schemas that are proto unions ("oneof"): at most one member may be set.
_ONEOFS = {"Request": "kind", "Response": "kind", "DataFilter": "filter", "ExtendedValue": "value"}


class BadRequest(Exception):
    def __init__(self, violations: list[tuple[str, str]]):
        self.violations = violations
        super().__init__("\n".join(message for _, message in violations))


@lru_cache(maxsize=None)
def discovery(api: str) -> dict:
    """"sheets" or "forms": the discovery document googleapiclient ships."""
    name = {"sheets": "sheets.v4.json", "forms": "forms.v1.json"}[api]
    root = importlib.resources.files("googleapiclient") / "discovery_cache" / "documents" / name
    return json.loads(root.read_text(encoding="utf-8"))


def _methods(resource: dict):
    for method in resource.get("methods", {}).values():
        yield method
    for sub in resource.get("resources", {}).values():
        yield from _methods(sub)


@dataclass(frozen=True)
class Route:
    api: str
    method_id: str  # e.g. "sheets.spreadsheets.values.get"
    http_method: str
    pattern: re.Pattern
    literal_length: int
    spec: dict


@lru_cache(maxsize=None)
def routes() -> tuple[Route, ...]:
    found = []
    for api in ("sheets", "forms"):
        doc = discovery(api)
        for method in _methods(doc):
            path = method.get("flatPath") or method["path"]
            regex, literal = "", 0
            for part in re.split(r"(\{[^}]+\})", path):
                if part.startswith("{"):
                    regex += f"(?P<{part[1:-1].lstrip('+')}>[^/]+?)"
                else:
                    regex += re.escape(part)
                    literal += len(part)
            found.append(
                Route(api, method["id"], method["httpMethod"], re.compile(f"^/{regex}$"), literal, method)
            )
    found.sort(key=lambda r: -r.literal_length)
    return tuple(found)


def find_route(http_method: str, raw_path: str) -> tuple[Route, dict[str, str]] | None:
    """The discovery method for `raw_path` (still percent-encoded) and its unquoted path parameters."""
    for route in routes():
        m = route.pattern.match(raw_path)
        if m and route.http_method == http_method:
            return route, {k: unquote(v) for k, v in m.groupdict().items()}
    return None


# --------------------------------------------------------------------------- values


def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def _camel(name: str) -> str:
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), name)


def _type_name(api: str, name: str) -> str:
    package = {"sheets": "google.apps.sheets.v4", "forms": "google.apps.forms.v1"}[api]
    return f"type.googleapis.com/{package}.{name}"


def _quote_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _join(path: str, name: str) -> str:
    return f"{path}.{_snake(name)}" if path else _snake(name)


class _Checker:
    def __init__(self, api: str):
        self.api = api
        self.schemas = discovery(api)["schemas"]
        self.violations: list[tuple[str, str]] = []

    def bad(self, path: str, message: str) -> None:
        self.violations.append((path, message))

    def invalid(self, path: str, kind: str, value: Any) -> None:
        self.bad(path, f"Invalid value at '{path}' ({kind}), {_quote_json(value)}")

    def check(self, value: Any, schema: dict, path: str, name: str = "") -> Any:
        if value is None:
            return None
        if "$ref" in schema:
            return self.message(value, schema["$ref"], path)
        kind = schema.get("type")
        if kind == "any":
            return value
        if kind == "array":
            if not isinstance(value, list):
                self.invalid(path, "type.googleapis.com/google.protobuf.ListValue", value)
                return None
            out = []
            for i, item in enumerate(value):
                checked = self.check(item, schema.get("items", {}), f"{path}[{i}]", name)
                if checked is not None or schema.get("items", {}).get("type") == "any":
                    out.append(checked)
            return out
        if kind == "object":
            if not isinstance(value, dict):
                self.invalid(path, "type.googleapis.com/google.protobuf.Struct", value)
                return None
            if "additionalProperties" in schema:
                return {k: self.check(v, schema["additionalProperties"], f"{path}[{k}]", name) for k, v in value.items()}
            return self.properties(value, schema, path, name)
        if "enum" in schema:
            if isinstance(value, str) and value in schema["enum"]:
                return value
            if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(schema["enum"]):
                return schema["enum"][value]
            self.invalid(path, _type_name(self.api, name[:1].upper() + name[1:]), value)
            return None
        if kind == "string":
            if isinstance(value, str):
                return value
            self.invalid(path, "TYPE_STRING", value)
            return None
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            self.invalid(path, "TYPE_BOOL", value)
            return None
        if kind == "integer":
            fmt = schema.get("format", "int32")
            number = _as_int(value)
            limit = 2**31 if fmt == "int32" else 2**63
            if fmt.startswith("uint"):
                ok = number is not None and 0 <= number < 2 * limit
            else:
                ok = number is not None and -limit <= number < limit
            if not ok:
                self.invalid(path, f"TYPE_{fmt.upper()}", value)
                return None
            return number
        if kind == "number":
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return value
            if isinstance(value, str):
                try:
                    return float(value)
                except ValueError:
                    pass
            self.invalid(path, "TYPE_DOUBLE", value)
            return None
        return value

    def message(self, value: Any, ref: str, path: str) -> Any:
        schema = self.schemas[ref]
        if schema.get("type") != "object" or "properties" not in schema:
            return self.check(value, schema, path, ref)
        if not isinstance(value, dict):
            self.invalid(path, _type_name(self.api, ref), value)
            return None
        return self.properties(value, schema, path, ref)

    def properties(self, value: dict, schema: dict, path: str, ref: str) -> dict:
        props = schema.get("properties", {})
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = key if key in props else _camel(key)
            if name not in props:
                where = f" at '{path}'" if path else ""
                self.bad(path, f'Invalid JSON payload received. Unknown name "{key}"{where}: Cannot find field.')
                continue
            checked = self.check(item, props[name], _join(path, name), name)
            if checked is not None:
                out[name] = checked
        if ref in _ONEOFS:
            union = _ONEOFS[ref]
            set_fields = [k for k in out if not props[k].get("readOnly")]
            if len(set_fields) > 1:
                self.bad(
                    path,
                    f"Invalid value at '{path}' (oneof), oneof field '{union}' is already set. "
                    f"Cannot set '{set_fields[1]}'",
                )
        return out


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


def check_body(api: str, ref: str, body: Any) -> Any:
    """The body normalised (lowerCamel names, nulls dropped), or BadRequest naming every bad field."""
    checker = _Checker(api)
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise BadRequest([("", f"Invalid JSON payload received. Unexpected token.\n{_quote_json(body)[:40]}")])
    out = checker.properties(body, checker.schemas[ref], "", ref)
    if checker.violations:
        raise BadRequest(checker.violations)
    return out


def check_query(api: str, spec: dict, query: dict[str, list[str]]) -> dict[str, Any]:
    """Query parameters checked against the method's and the API's parameters; repeated ones stay lists."""
    params = dict(discovery(api).get("parameters", {}))
    params.update({k: v for k, v in spec.get("parameters", {}).items() if v.get("location") == "query"})
    out: dict[str, Any] = {}
    violations = []
    for name, values in query.items():
        param = params.get(name) or params.get(_camel(name))
        if param is None:
            violations.append(
                (
                    name,
                    f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query parameter. '
                    f"Field '{name}' could not be found in request message.",
                )
            )
            continue
        key = name if name in params else _camel(name)
        converted = []
        for raw in values:
            if "enum" in param and raw not in param["enum"]:
                tname = _type_name(api, key[:1].upper() + key[1:])
                violations.append((key, f"Invalid value at '{_snake(key)}' ({tname}), \"{raw}\""))
                continue
            if param.get("type") == "boolean":
                if raw.lower() not in ("true", "false", "1", "0"):
                    violations.append((key, f"Invalid value at '{_snake(key)}' (TYPE_BOOL), \"{raw}\""))
                    continue
                converted.append(raw.lower() in ("true", "1"))
            elif param.get("type") == "integer":
                if _as_int(raw) is None:
                    violations.append((key, f"Invalid value at '{_snake(key)}' (TYPE_INT32), \"{raw}\""))
                    continue
                converted.append(int(raw))
            else:
                converted.append(raw)
        if converted:
            out[key] = converted if param.get("repeated") else converted[-1]
    if violations:
        raise BadRequest(violations)
    return out
