# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Validators for ctrwatch's --format ecs and --format ocsf lines, against the schemas in
tests/schemas (ECS 9.4.0's flat field definitions; OCSF 1.8.0's schema source; README there). Test code:
each check returns a list of problems, empty when the document is valid.

ECS: every leaf field is defined (fields under an `object` field such as container.labels are
free-form, their values of its object_type), or under the one custom namespace `ctrwatch.`;
types match; arrays only where ECS normalizes to an array; allowed values are respected; the
required fields (@timestamp, ecs.version) are present.

OCSF: the class is found by class_uid, its attributes resolved through `extends` and
`$include` (profiles included where the class or object includes them, and then allowed only
when metadata.profiles names the profile); every attribute exists for its class or object, its
type matches the dictionary's (string_t and the types built on it with their regex,
integer_t/long_t/timestamp_t, boolean_t, json_t, objects recursively), enum values are
allowed (the dictionary's enum merged with the class's or object's), every required attribute
is present, type_uid/category_uid/class_uid agree."""

import datetime
import ipaddress
import json
import os
import re

SCHEMAS = os.environ.get("CTRWATCH_SCHEMAS") or os.path.join(
    os.path.dirname(__file__), "..", "schemas")
ECS_CUSTOM = "ctrwatch"


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _is_date(v):
    if not isinstance(v, str):
        return False
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})", v)
    if not m:
        return False
    try:
        datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return False
    return True


def _is_ip(v):
    try:
        ipaddress.ip_address(v)
        return True
    except (ValueError, TypeError):
        return False


ECS_TYPES = {
    "keyword": lambda v: isinstance(v, str), "constant_keyword": lambda v: isinstance(v, str),
    "wildcard": lambda v: isinstance(v, str), "match_only_text": lambda v: isinstance(v, str),
    "long": _is_int, "float": lambda v: _is_int(v) or isinstance(v, float),
    "scaled_float": lambda v: _is_int(v) or isinstance(v, float),
    "boolean": lambda v: isinstance(v, bool), "date": _is_date, "ip": _is_ip,
    "object": lambda v: isinstance(v, dict), "flattened": lambda v: isinstance(v, dict),
    "nested": lambda v: isinstance(v, (dict, list)),
    "geo_point": lambda v: isinstance(v, (dict, str, list)),
}


class Ecs:
    def __init__(self, path=None):
        with open(path or os.path.join(SCHEMAS, "ecs-9.4.0-flat.json")) as f:
            self.fields = json.load(f)
        self.objects = {k for k, v in self.fields.items() if v["type"] in ("object", "flattened")}

    def _leaves(self, doc, prefix=""):
        """(dotted name, value) of every leaf; a field ECS types as an object is one leaf."""
        for k, v in doc.items():
            name = f"{prefix}{k}"
            if isinstance(v, dict) and name not in self.objects and not name.startswith(
                    ECS_CUSTOM + ".") and name != ECS_CUSTOM:
                yield from self._leaves(v, name + ".")
            else:
                yield name, v

    def _check_value(self, name, fdef, v, problems):
        vals = v if isinstance(v, list) else [v]
        if isinstance(v, list) and "array" not in fdef.get("normalize", []):
            problems.append(f"{name}: an array, but ECS does not make it one")
        for x in vals:
            if not ECS_TYPES.get(fdef["type"], lambda _: False)(x):
                problems.append(f"{name}: {x!r} is not of ECS type {fdef['type']}")
            elif fdef["type"] == "object" and fdef.get("object_type"):
                for k, inner in x.items():
                    if not ECS_TYPES[fdef["object_type"]](inner):
                        problems.append(f"{name}.{k}: {inner!r} is not {fdef['object_type']}")
        allowed = [a["name"] for a in fdef.get("allowed_values", [])]
        for x in vals if allowed else []:
            if x not in allowed:
                problems.append(f"{name}: {x!r} is not one of ECS's allowed values")

    def check(self, doc):
        problems = []
        if not isinstance(doc, dict):
            return ["not an object"]
        seen = set()
        for name, v in self._leaves(doc):
            seen.add(name)
            if name == ECS_CUSTOM or name.startswith(ECS_CUSTOM + "."):
                continue  # ctrwatch's own namespace
            fdef = self.fields.get(name)
            if not fdef:
                problems.append(f"{name}: not an ECS field")
                continue
            self._check_value(name, fdef, v, problems)
        for name, fdef in self.fields.items():
            if fdef.get("required") and name not in seen:
                problems.append(f"{name}: required, missing")
        return problems


OCSF_BASE_TYPES = {
    "string_t": lambda v: isinstance(v, str), "integer_t": _is_int, "long_t": _is_int,
    "float_t": lambda v: _is_int(v) or isinstance(v, float),
    "boolean_t": lambda v: isinstance(v, bool), "json_t": lambda v: True,
}


def _merge(base, over):
    """The OCSF schema's merge: maps merge key by key (enums too), the rest is replaced."""
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


class Ocsf:
    def __init__(self, root=None):
        self.root = root or os.path.join(SCHEMAS, "ocsf-1.8.0")
        d = self._load("dictionary.json")
        self.dictionary, self.types = d["attributes"], d["types"]["attributes"]
        self.categories = {k: v["uid"] for k, v in self._load("categories.json")["attributes"].items()}
        self.raw_objects, self.raw_classes = {}, {}
        for sub, into in (("objects", self.raw_objects), ("events", self.raw_classes)):
            for dirpath, _, files in os.walk(os.path.join(self.root, sub)):
                for f in files:
                    if f.endswith(".json"):
                        doc = self._load(os.path.relpath(os.path.join(dirpath, f), self.root))
                        into[doc["name"]] = doc
        self.classes = {}
        for name in self.raw_classes:
            c = self._resolve(self.raw_classes, name)
            if "uid" in self.raw_classes[name] and c.get("category") in self.categories:
                uid = self.categories[c["category"]] * 1000 + self.raw_classes[name]["uid"]
                self.classes[uid] = c
        self.classes[0] = self._resolve(self.raw_classes, "base_event")
        self.classes[0]["category"] = None
        self.objects = {}

    def _load(self, rel):
        with open(os.path.join(self.root, rel)) as f:
            return json.load(f)

    def _attributes(self, doc):
        """A class's or object's own attributes, its $include files merged in; each attribute
        that came from a profile is marked with the profile's name."""
        attrs = {}
        for inc in doc.get("attributes", {}).get("$include", []):
            part = self._load(inc)
            profile = part["name"] if part.get("meta") == "profile" else None
            for k, v in part.get("attributes", {}).items():
                attrs[k] = _merge(attrs.get(k, {}), dict(v, _profile=profile) if profile else v)
        for k, v in doc.get("attributes", {}).items():
            if k != "$include":
                attrs[k] = _merge(attrs.get(k, {}), v)
        return attrs

    def _resolve(self, raw, name):
        doc = raw[name]
        parent = doc.get("extends")
        base = self._resolve(raw, parent) if parent and parent in raw else {"attributes": {}}
        out = {k: v for k, v in base.items() if k != "attributes"}
        out.update({k: v for k, v in doc.items() if k not in ("attributes", "extends")})
        out["attributes"] = dict(base["attributes"])
        for k, v in self._attributes(doc).items():
            out["attributes"][k] = _merge(out["attributes"].get(k, {}), v)
        return out

    def _object(self, name):
        if name not in self.objects:
            self.objects[name] = self._resolve(self.raw_objects, name)
        return self.objects[name]

    def _check_scalar(self, where, type_name, v, problems):
        t = self.types.get(type_name, {})
        base = t.get("type", type_name)
        if not OCSF_BASE_TYPES.get(base, OCSF_BASE_TYPES.get(type_name, lambda _: False))(v):
            problems.append(f"{where}: {v!r} is not {type_name}")
        elif t.get("regex") and not re.fullmatch(t["regex"], v):
            problems.append(f"{where}: {v!r} does not match {type_name}'s pattern")
        elif t.get("max_len") and isinstance(v, str) and len(v) > t["max_len"]:
            problems.append(f"{where}: longer than {type_name} allows")
        elif t.get("range") and not t["range"][0] <= v <= t["range"][1]:
            problems.append(f"{where}: {v} out of {type_name}'s range")

    def _check_attrs(self, where, attrs, doc, profiles, problems):
        for k, v in doc.items():
            a = attrs.get(k)
            if a is None:
                problems.append(f"{where}{k}: not an attribute here")
                continue
            if a.get("_profile") and a["_profile"] not in profiles:
                problems.append(f"{where}{k}: from profile {a['_profile']}, which "
                                f"metadata.profiles does not name")
            full = _merge(self.dictionary.get(k, {}), a)
            type_name = full.get("type")
            if type_name is None:
                problems.append(f"{where}{k}: no type in the dictionary")
                continue
            if full.get("is_array"):
                if not isinstance(v, list):
                    problems.append(f"{where}{k}: should be an array")
                    continue
                items = v
            else:
                if isinstance(v, list):
                    problems.append(f"{where}{k}: an array where one value goes")
                    continue
                items = [v]
            for i, x in enumerate(items):
                at = f"{where}{k}" + (f"[{i}]" if full.get("is_array") else "")
                if type_name == "object":
                    if not isinstance(x, dict):
                        problems.append(f"{at}: not an object")
                elif type_name in self.raw_objects:
                    if not isinstance(x, dict):
                        problems.append(f"{at}: not an object ({type_name})")
                    else:
                        obj = self._object(type_name)
                        self._check_attrs(at + ".", obj["attributes"], x, profiles, problems)
                        self._check_required(at + ".", obj["attributes"], x, profiles,
                                             problems)
                else:
                    self._check_scalar(at, type_name, x, problems)
                    enum = full.get("enum")
                    if enum and str(x) not in enum:
                        problems.append(f"{at}: {x!r} is not one of {sorted(enum)}")

    def _check_required(self, where, attrs, doc, profiles, problems):
        for k, a in attrs.items():
            if a.get("requirement") == "required" and k not in doc and \
                    (not a.get("_profile") or a["_profile"] in profiles):
                problems.append(f"{where}{k}: required, missing")

    def check(self, doc):
        if not isinstance(doc, dict):
            return ["not an object"]
        c = self.classes.get(doc.get("class_uid"))
        if c is None:
            return [f"class_uid {doc.get('class_uid')!r}: no such class"]
        problems = []
        profiles = set(doc.get("metadata", {}).get("profiles", []) or [])
        cat = self.categories.get(c.get("category"), 0)
        # as the schema compiles a class: its own uid and category are the only values
        attrs = dict(c["attributes"])
        for k, v in (("class_uid", doc.get("class_uid")), ("category_uid", cat)):
            attrs[k] = dict(attrs[k], enum={str(v): {}})
        self._check_attrs("", attrs, doc, profiles, problems)
        self._check_required("", attrs, doc, profiles, problems)
        if _is_int(doc.get("activity_id")) and \
                doc.get("type_uid") != doc["class_uid"] * 100 + doc["activity_id"]:
            problems.append(f"type_uid: {doc.get('type_uid')!r} is not class_uid * 100 + "
                            f"activity_id")
        return problems


def check_lines(checker, text):
    """Every line of text as one JSON document: [(line number, problem)]."""
    out = []
    for n, line in enumerate(text.split("\n")[:-1], 1):
        try:
            doc = json.loads(line)
        except ValueError as e:
            out.append((n, f"not JSON: {e}"))
            continue
        out += [(n, p) for p in checker.check(doc)]
    return out
