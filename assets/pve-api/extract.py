#!/usr/bin/env python3
"""Cut the official PVE API schema down to the methods the simulator serves.

Usage: python3 assets/pve-api/extract.py ../shared/pve-api/apidata.json

Writes assets/pve-api/params.json (request parameters only; the simulator validates requests with it,
as Proxmox validates against the same schema) and tests/it/fixtures/pve-api-subset.json (parameters and
return schemas; the conformance test checks the simulator's answers against it).
"""
import json
import pathlib
import sys

DROP = {"description", "verbose_description", "renderer", "print_width", "format_description",
        "typetext", "title", "default", "requires", "instance-types", "links"}


def strip(schema, names=False):
    """Drop annotations from schema nodes; `names` marks a map of property names, kept whole."""
    if isinstance(schema, dict):
        if names:
            return {k: strip(v) for k, v in schema.items()}
        return {k: strip(v, names=(k == "properties" or (k == "format" and isinstance(v, dict))))
                for k, v in schema.items() if k not in DROP}
    if isinstance(schema, list):
        return [strip(v) for v in schema]
    return schema


def walk(nodes):
    for node in nodes:
        yield node
        yield from walk(node.get("children", []))


def main():
    here = pathlib.Path(__file__).resolve().parent
    root = here.parent.parent
    api = json.load(open(sys.argv[1]))
    by_path = {n["path"]: n for n in walk(api)}
    params, full = {}, {}
    for line in (here / "routes.txt").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        method, path = line.split()
        info = by_path[path]["info"][method]
        key = f"{method} {path}"
        params[key] = strip(info.get("parameters", {}))
        full[key] = {"parameters": params[key], "returns": strip(info.get("returns", {})),
                     "allowtoken": info.get("allowtoken", 1), "protected": info.get("protected", 0)}
    (here / "params.json").write_text(json.dumps(params, indent=1, sort_keys=True) + "\n")
    (root / "tests/it/fixtures/pve-api-subset.json").write_text(json.dumps(full, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
