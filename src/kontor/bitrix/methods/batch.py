"""``batch``: up to 50 commands in one request, later ones able to use earlier results.

A command is ``"method?urlencoded-query"``. References ``$result[key][path…]``, ``$next[key]``,
``$total[key]``, ``$time[key]`` and ``$error[key]`` in keys or values are replaced once the query is
parsed: a value that is exactly one reference becomes the referenced value (a list stays a list), a
reference inside a longer string is replaced only by a scalar, and a path that runs out stops at
the last node found (as Bitrix24's ``CRestUtil::processBatchElement`` does). Sub-errors go to
``result_error`` and the HTTP status stays 200.
"""

from __future__ import annotations

import re
from typing import Any

from kontor.bitrix.envelope import php_array, time_block
from kontor.bitrix.errors import RestError
from kontor.bitrix.params import get_param, parse_query, php_bool
from kontor.bitrix.registry import Call, dispatch, method, normalize_name

MAX_COMMANDS = 50
NOT_IN_BATCH = {"batch", "download", "upload"}
_REF = re.compile(r"\$(result|next|total|time|error)((?:\[[^\]\[]*\])*)")


class _Results:
    def __init__(self) -> None:
        self.sections: dict[str, dict[str, Any]] = {k: {} for k in ("result", "next", "total", "time", "error")}

    def resolve(self, kind: str, path: str) -> tuple[bool, Any]:
        """``(found, value)`` of a reference; found is false when its command has no such section."""
        keys = re.findall(r"\[([^\]\[]*)\]", path)
        section = self.sections[kind]
        if not keys:
            return True, php_array(section)
        if keys[0] not in section:
            return False, None
        node = section[keys[0]]
        for key in keys[1:]:
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                break  # a missing step leaves the last node reached
        return True, node

    def substitute(self, value: Any) -> Any:
        """A command's parameters with their ``$result[…]`` references resolved. ``parse_query`` gives
        nested dicts of strings (no lists), and a key cannot hold a whole reference (it has no ``]``)."""
        if isinstance(value, dict):
            return {k: self.substitute(v) for k, v in value.items()}
        if isinstance(value, str) and "$" in value:
            whole = _REF.fullmatch(value)
            if whole:
                found, resolved = self.resolve(whole.group(1), whole.group(2))
                return resolved if found else value
            return self._in_string(value)
        return value

    def _in_string(self, text: str) -> str:
        def repl(match: re.Match) -> str:
            found, resolved = self.resolve(match.group(1), match.group(2))
            if not found or isinstance(resolved, dict | list) or resolved is None:
                return match.group(0)
            if isinstance(resolved, bool):
                return "1" if resolved else ""
            return str(resolved)

        return _REF.sub(repl, text) if "$" in text else text


def _commands(raw: Any) -> list[tuple[str, Any]]:
    if isinstance(raw, dict):
        return [(str(k), v) for k, v in raw.items()]
    if isinstance(raw, list):
        return [(str(i), v) for i, v in enumerate(raw)]
    raise RestError(400, "ERROR_BATCH_EMPTY", "Parameter 'cmd' must be a non-empty array of commands.")


def batch(call: Call) -> dict[str, Any]:
    # A nested batch never gets here: its command is refused below before it is dispatched.
    commands = _commands(get_param(call.params, "cmd"))
    halt = php_bool(get_param(call.params, "halt", False))
    results = _Results()
    for index, (key, command) in enumerate(commands):
        if index >= MAX_COMMANDS:
            results.sections["error"][key] = {"error": "ERROR_BATCH_LENGTH_EXCEEDED",
                                              "error_description": "Max batch length exceeded"}
            continue
        try:
            if not isinstance(command, str) or not command.strip():
                raise RestError(400, "ERROR_ARGUMENT", "A batch command must be 'method?query'.")
            name, _, query = command.strip().partition("?")
            if normalize_name(name) in NOT_IN_BATCH:
                raise RestError(405, "ERROR_BATCH_METHOD_NOT_ALLOWED", "Method is not allowed for batch usage")
            params = results.substitute(parse_query(query))
            outcome = dispatch(Call(method=name, user=call.user, params=params))
        except RestError as exc:
            results.sections["error"][key] = {"error": exc.code, "error_description": exc.description}
            if halt:
                break
            continue
        results.sections["result"][key] = outcome.result
        if outcome.total is not None:
            results.sections["total"][key] = outcome.total
        if outcome.next is not None:
            results.sections["next"][key] = outcome.next
        results.sections["time"][key] = time_block(start=outcome.started, finish=outcome.finished,
                                                   processing=outcome.finished - outcome.started)
    s = results.sections
    return {
        "result": php_array(s["result"]),
        "result_error": php_array(s["error"]),
        "result_total": php_array(s["total"]),
        "result_next": php_array(s["next"]),
        "result_time": php_array(s["time"]),
    }


method("batch")(batch)
