#!/usr/bin/env bash
# Writes the seed corpora (engine/fuzz/seeds/<target>/) from the tests and the reference
# workflows: workflow files, expressions and templates from the tests, event and webhook
# JSON from the tests' `json!` literals, answers from the answer parsers' tests, addresses
# and URLs from the HTTP step's tests. Deterministic: running it again gives the same files
# (named by a hash of their content). The committed seeds are its output; libFuzzer grows
# its own corpus elsewhere (engine/fuzz/corpus/, not committed).
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 - <<'PY'
import hashlib, ipaddress, json, pathlib, re

root = pathlib.Path(".")
out = root / "engine/fuzz/seeds"
seeds = {}

def add(target, data):
    if isinstance(data, str):
        data = data.encode()
    if data and len(data) <= 16384:
        seeds.setdefault(target, {})[hashlib.sha1(data).hexdigest()[:16]] = data

def rust_strings(text):
    """Every plain Rust string literal ("..."), unescaped."""
    for m in re.finditer(r'(?<![r#\w])"((?:[^"\\]|\\.)*)"', text):
        s = re.sub(r"\\u\{([0-9a-fA-F]+)\}", lambda u: chr(int(u.group(1), 16)), m.group(1))
        try:
            yield s.encode("latin-1", "backslashreplace").decode("unicode_escape").encode("latin-1").decode("utf-8")
        except (UnicodeDecodeError, UnicodeEncodeError):
            yield m.group(1)

def json_literals(text):
    """The `json!(...)` literals that are plain JSON once Rust's spelling is undone."""
    for start in [m.end() for m in re.finditer(r"json!\(", text)]:
        depth, i, in_str = 1, start, False
        while i < len(text) and depth:
            c = text[i]
            if in_str:
                if c == "\\":
                    i += 1
                elif c == '"':
                    in_str = False
            elif c == '"':
                in_str = True
            elif c in "([{":
                depth += 1
            elif c in ")]}":
                depth -= 1
            i += 1
        body = text[start:i - 1]
        body = re.sub(r"json!\(([^()]*)\)", r"\1", body)
        body = re.sub(r'format!\(("(?:[^"\\]|\\.)*")[^)]*\)', r"\1", body)
        body = re.sub(r"\b(\d+)_?[iu](?:8|16|32|64)\b", r"\1", body)
        body = re.sub(r"\\u\{([0-9a-fA-F]{1,4})\}", lambda u: "\\u%04x" % int(u.group(1), 16), body)
        body = re.sub(r"(?<=[:\[,])\s*([a-z_][a-z0-9_.]*(?:\(\))?)\s*(?=[,}\]])",
                      lambda m: m.group(0) if m.group(1) in ("true", "false", "null") else ' "%s"' % m.group(1), body)
        try:
            yield json.loads(body)
        except ValueError:
            pass

def read(path):
    return pathlib.Path(path).read_text(encoding="utf-8")

# compile_workflow: the reference workflows and the broken examples of every diagnostic.
for p in sorted(root.glob("workflows/*.yaml")) + sorted(root.glob("steps/tests/broken/*.yaml")):
    add("compile_workflow", p.read_bytes())

# expression and template: string literals of the sandbox's, the conditions' and the
# templates' tests, and the holes and templated values of the reference workflows.
expr_sources = ["steps/src/expr/tests.rs", "steps/src/condition.rs", "steps/src/compile/tests.rs"]
for path in expr_sources:
    for s in rust_strings(read(path)):
        if any(ch in s for ch in "()=<>+.[]\"") and "{{" not in s:
            add("expression", s)
for path in ["steps/src/template.rs", "steps/src/kinds/send.rs", "steps/src/kinds/http.rs", "steps/src/compile/tests.rs"]:
    for s in rust_strings(read(path)):
        if "{{" in s:
            add("template", s)
for p in sorted(root.glob("workflows/*.yaml")):
    for line in read(p).splitlines():
        value = line.split(":", 1)[1].strip().strip("'\"") if ":" in line else ""
        if "{{" in value:
            add("template", value)
            for hole in re.findall(r"\{\{(.*?)\}\}", value):
                add("expression", hole.strip())
        if line.strip().startswith("expression:"):
            add("expression", value)

# event_json: events from the tests, and the JSON literals that are events.
kinds = {"message_received", "agent_replied", "conversation_opened", "conversation_closed", "assigned",
         "tag_updated", "field_updated", "opted_out", "followed", "unfollowed", "delivery_status", "shortcut",
         "webhook", "manual"}
for path in ["engine/runtime/src/events.rs", *sorted(str(p) for p in root.glob("engine/tests/*.rs")),
             *sorted(str(p) for p in root.glob("engine/server/src/**/*.rs"))]:
    for value in json_literals(read(path)):
        items = value if isinstance(value, list) else [value]
        if items and all(isinstance(v, dict) and v.get("type") in kinds for v in items):
            add("event_json", json.dumps(value, ensure_ascii=False))

# webhook_*: the channel tests' payloads, by shape; LINE events and Telegram messages that
# the tests wrap in a helper are wrapped the same way here.
for path in ["engine/tests/channels.rs", *sorted(str(p) for p in root.glob("engine/channels/src/*.rs"))]:
    for value in json_literals(read(path)):
        if not isinstance(value, dict):
            continue
        if value.get("object") is not None or "entry" in value:
            add("webhook_whatsapp", json.dumps(value, ensure_ascii=False))
        elif "events" in value or "destination" in value:
            add("webhook_line", json.dumps(value, ensure_ascii=False))
        elif "webhookEventId" in value:
            event = dict(value, timestamp=1625665242211, source={"type": "user", "userId": "U1"}, mode="active")
            add("webhook_line", json.dumps({"destination": "U0", "events": [event]}, ensure_ascii=False))
        elif "update_id" in value:
            add("webhook_telegram", json.dumps(value, ensure_ascii=False))
        elif "message_id" in value and "chat" in value:
            add("webhook_telegram", json.dumps({"update_id": 1, "message": value}, ensure_ascii=False))

# answer: the replies in each answer parser's tests, with the byte that picks the parser.
parsers = ["choice", "email", "phone", "url", "number", "date", "rating", "location", "text"]
for which, name in enumerate(parsers):
    for s in rust_strings(read(f"steps/src/answer/{name}.rs")):
        for setting in (0, 7):
            add("answer", bytes([which, setting]) + s.encode())

# http_destination: the addresses and URLs of the HTTP step's and the policy's tests, raw
# (byte 0: 0 for IPv4, 1 for IPv6) and as URLs (byte 0: 2), with and without an allow-list.
allow = "\n127.0.0.1/32\ncrm.internal\n10.0.0.0/8\n::1/128"
for path in ["engine/runtime/src/http_call/tests.rs", "engine/runtime/src/http_call/guard.rs"]:
    for s in rust_strings(read(path)):
        for word in re.findall(r"[0-9a-fA-F:.]{2,}", s):
            try:
                ip = ipaddress.ip_address(word)
            except ValueError:
                continue
            head = bytes([0]) if ip.version == 4 else bytes([1])
            add("http_destination", head + ip.packed)
            add("http_destination", head + ip.packed + allow.encode())
        if "://" in s:
            url = re.sub(r"\{[a-z]*\}", "8080", s)
            add("http_destination", b"\x02" + url.encode())
            add("http_destination", b"\x02" + (url + allow).encode())

for target in ["compile_workflow", "expression", "template", "event_json", "webhook_telegram",
               "webhook_whatsapp", "webhook_line", "answer", "http_destination"]:
    folder = out / target
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    for name, data in sorted(seeds.get(target, {}).items()):
        (folder / name).write_bytes(data)
    print(f"{target}: {len(seeds.get(target, {}))} seeds")
PY
