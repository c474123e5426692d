#!/usr/bin/env python3
"""Builds fuzz/corpus-raw/TARGET/ (the seeds, before `cargo fuzz cmin`) from the repository's fixtures.

Run from fuzz/: python3 seed.py. Needs PyYAML only for the JSON seeds (YAML fixtures written as JSON).
"""
import glob
import hashlib
import io
import json
import os
import re
import zipfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus-raw")


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def read(p):
    with open(os.path.join(ROOT, p), "rb") as f:
        return f.read()


batches = sorted(glob.glob("fixtures/demo/*.yaml", root_dir=ROOT) + glob.glob("fixtures/engine/*.yaml", root_dir=ROOT))
for p in batches:
    put("batch_yaml", read(p))
    try:
        import yaml

        doc = yaml.safe_load(read(p))
        put("batch_json", json.dumps(doc, default=str, indent=1))
        put("batch_json", json.dumps(doc, default=str))
    except ImportError:
        pass

for p in sorted(glob.glob("fixtures/demo/*.csv", root_dir=ROOT) + glob.glob("fixtures/engine/*.csv", root_dir=ROOT)):
    # The fuzz batch has goods g1 and g2; rename the fixtures' goods so the rows attach.
    text = read(p).decode("utf-8-sig")
    lines = text.splitlines()
    goods = []
    for line in lines[1:]:
        g = line.split(",", 1)[0]
        if g and g not in goods:
            goods.append(g)
    for i, g in enumerate(goods):
        text = re.sub(r"(?m)^" + re.escape(g) + ",", f"g{1 + i % 2},", text)
    put("bom_csv", text)
    put("bom_csv", read(p))

# XLSX: the workbook as the `init` template writes it (deflated, shared strings), and the structured form.
CT = read("fuzz/src/batch.rs").decode()


def const(name):
    m = re.search(r'const ' + name + r': &str = r#"(.*?)"#;', CT, re.S)
    return m.group(1)


SHEET = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:I3"/><sheetData>{rows}</sheetData></worksheet>"""
COLS = ["good", "line", "description", "hs", "quantity", "unit_value", "currency", "origin", "supplier"]
ROWS = [["g1", "1", "steel plate", "7208.51", 2, 15.5, "USD", "US", "acme"],
        ["g2", "2", "lamp", 9405.1, 1, 40, "MXN", "CN", ""]]


def col(i):
    return "ABCDEFGHIJ"[i]


def sheet(shared):
    strings = []
    out = []
    for r, row in enumerate([COLS] + ROWS):
        cells = []
        for c, v in enumerate(row):
            ref = f"{col(c)}{r + 1}"
            if isinstance(v, (int, float)):
                cells.append(f'<c r="{ref}"><v>{v}</v></c>')
            elif shared:
                strings.append(v)
                cells.append(f'<c r="{ref}" t="s"><v>{len(strings) - 1}</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{v}</t></is></c>')
        out.append(f'<row r="{r + 1}">{"".join(cells)}</row>')
    sst = "".join(f"<si><t>{s}</t></si>" for s in strings)
    sst = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(strings)}" uniqueCount="{len(strings)}">{sst}</sst>'
    return SHEET.format(rows="".join(out)), sst


for shared in (True, False):
    s, sst = sheet(shared)
    for method in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", method) as z:
            z.writestr("[Content_Types].xml", const("CONTENT_TYPES"))
            z.writestr("_rels/.rels", const("RELS"))
            z.writestr("xl/workbook.xml", const("WORKBOOK"))
            z.writestr("xl/_rels/workbook.xml.rels", const("WORKBOOK_RELS"))
            z.writestr("xl/worksheets/sheet1.xml", s)
            if shared:
                z.writestr("xl/sharedStrings.xml", sst)
        put("bom_xlsx", b"\x00" + buf.getvalue())
    put("bom_xlsx", b"\x01" + s.encode() + (b"\x00" + sst.encode() if shared else b""))
    put("bom_xlsx", b"\x01" + s.encode() + b"\x00" + sst.encode() + b"\x00" + const("WORKBOOK").encode())

# Rule packs: each file of the minimal pack, of the built-in pack and of the invalid-pack cases, in its slot.
SLOTS = ["pack.yaml", "general.yaml", "country-groups.yaml", "automotive.yaml", "transformation-policy.yaml",
         "kinds.yaml", "hs2022-hs2017.csv", "psr/ch85.yaml", "psr/ch87.yaml", "psr/ch84.yaml"]
for base in ["fixtures/rules/minimal", "rules/usmca"] + sorted(glob.glob("crates/rules/tests/invalid/*", root_dir=ROOT)):
    for p in sorted(glob.glob(base + "/**/*", root_dir=ROOT, recursive=True)):
        rel = os.path.relpath(p, base)
        if not os.path.isfile(os.path.join(ROOT, p)) or rel == "expect.txt":
            continue
        if rel in SLOTS:
            slot = SLOTS.index(rel)
        elif rel.startswith("psr/"):
            slot = SLOTS.index("psr/ch84.yaml")
        else:
            slot = SLOTS.index("general.yaml")
        put("rule_pack", bytes([slot]) + read(p))

# Provenance: the fixtures, and the demo batch's provenance section.
for p in sorted(glob.glob("fixtures/provenance/**/*.yaml", root_dir=ROOT, recursive=True)):
    put("provenance", read(p))
try:
    import yaml

    demo = yaml.safe_load(read("fixtures/demo/batch.yaml"))
    put("provenance", yaml.safe_dump(demo["provenance"], sort_keys=False))
    put("provenance", json.dumps(demo["provenance"], default=str))
except ImportError:
    pass

# Legal texts: each `## ` section of the compiled files (with the file's title), and each `### ` part of
# a long section under its `## ` heading, so that seeds stay a few kilobytes.
for p in sorted(glob.glob("fixtures/legal/*.md", root_dir=ROOT)):
    text = read(p).decode()
    title = text.split("\n", 1)[0] + "\n\n"
    for sec in re.split(r"(?m)^(?=## )", text)[1:]:
        if len(sec) <= 8000:
            put("legal_import", title + sec)
            continue
        head, *parts = re.split(r"(?m)^(?=### )", sec)
        h2 = head.split("\n", 1)[0] + "\n\n"
        for part in parts:
            for i in range(0, len(part), 8000):
                put("legal_import", title + h2 + part[i:i + 8000])
