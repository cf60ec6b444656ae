"""Crafted hostile files, made here without ever holding their inflated content in memory, and a way to parse
one in a child process that reports its peak memory (so an attack that succeeds hurts only the child)."""
from __future__ import annotations

import io
import json
import resource
import struct
import subprocess
import sys
import textwrap
import zipfile
import zlib
from pathlib import Path

import docx

GIB = 1 << 30
MIB = 1 << 20
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
BILLION_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                            for i in range(1, 10))
                  + "]>")


def small_docx() -> bytes:
    document = docx.Document()
    document.add_paragraph("授信审批须经贷审会审议。")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def small_xlsx() -> bytes:
    """A workbook written as Excel does, with its strings in xl/sharedStrings.xml (openpyxl writes them inline)."""
    package = "http://schemas.openxmlformats.org/package/2006"
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    sml = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": f'<Types xmlns="{package}/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{sml}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{sml}.worksheet+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{sml}.sharedStrings+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{package}/relationships"><Relationship Id="rId1" '
        f'Type="{office}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{_S}" xmlns:r="{office}"><sheets>'
        '<sheet name="利率" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{package}/relationships">'
        f'<Relationship Id="rId1" Type="{office}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{office}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{_S}"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c>'
        '<c r="B1" t="s"><v>1</v></c></row></sheetData></worksheet>',
        "xl/sharedStrings.xml": f'<sst xmlns="{_S}" count="2" uniqueCount="2"><si><t>经营贷</t></si>'
        '<si><t>3.85%</t></si></sst>',
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + text)
    return out.getvalue()


def _replace_member(package: bytes, target: Path, name: str, head: bytes, filler: bytes, filler_bytes: int,
                    tail: bytes) -> Path:
    """Copy a package to `target` with member `name` rewritten as head + filler repeated + tail, streamed."""
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            if item.filename != name:
                out.writestr(item, source.read(item))
                continue
            info = zipfile.ZipInfo(name, item.date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            with out.open(info, "w", force_zip64=True) as stream:
                stream.write(head)
                block = filler * (MIB // len(filler))
                for _ in range(filler_bytes // len(block)):
                    stream.write(block)
                stream.write(tail)
    return target


def docx_bomb(target: Path, inflated: int = 2 * GIB) -> Path:
    """A DOCX of about 2 MB whose word/document.xml inflates to `inflated` bytes of one paragraph's text."""
    head = f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{_W}"><w:body><w:p><w:r><w:t>'.encode()
    return _replace_member(small_docx(), target, "word/document.xml", head, b"a", inflated,
                           b"</w:t></w:r></w:p></w:body></w:document>")


def xlsx_shared_strings_bomb(target: Path, inflated: int = 2 * GIB) -> Path:
    """An XLSX of about 2 MB whose xl/sharedStrings.xml inflates to `inflated` bytes of one string."""
    package = small_xlsx()
    head = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_S}" count="1" uniqueCount="1"><si><t>'.encode()
    return _replace_member(package, target, "xl/sharedStrings.xml", head, b"a", inflated, b"</t></si></sst>")


def docx_with_entities(target: Path) -> Path:
    """A DOCX whose document.xml declares the 'billion laughs' entities and uses the last one."""
    body = (BILLION_LAUGHS.replace("lolz", "w:document")
            + f'<w:document xmlns:w="{_W}"><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>')
    return _replace_member(small_docx(), target, "word/document.xml", body.encode(), b" ", 0, b"")


def xlsx_with_entities(target: Path) -> Path:
    body = (BILLION_LAUGHS.replace("lolz", "sst")
            + f'<sst xmlns="{_S}" count="2" uniqueCount="2"><si><t>&lol9;</t></si><si><t>b</t></si></sst>')
    return _replace_member(small_xlsx(), target, "xl/sharedStrings.xml", body.encode(), b" ", 0, b"")


def docx_with_many_parts(target: Path, parts: int = 60_000) -> Path:
    """A DOCX carrying tens of thousands of empty extra parts (a central directory to exhaust a reader)."""
    target.write_bytes(small_docx())
    with zipfile.ZipFile(target, "a", zipfile.ZIP_STORED) as out:
        for number in range(parts):
            out.writestr(f"customXml/item{number}.xml", b"")
    return target


def docx_with_lying_size(target: Path) -> Path:
    """document.xml's central-directory entry says 2 KB; the member really inflates to 64 MiB."""
    head = f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{_W}"><w:body><w:p><w:r><w:t>'.encode()
    _replace_member(small_docx(), target, "word/document.xml", head, b"a", 64 * MIB,
                    b"</w:t></w:r></w:p></w:body></w:document>")
    data = bytearray(target.read_bytes())
    position = data.find(b"PK\x01\x02")  # central directory records
    while position >= 0:
        name_length = struct.unpack_from("<H", data, position + 28)[0]
        if bytes(data[position + 46:position + 46 + name_length]) == b"word/document.xml":
            struct.pack_into("<I", data, position + 24, 2048)  # the uncompressed size it declares
            break
        position = data.find(b"PK\x01\x02", position + 46)
    assert position >= 0
    target.write_bytes(bytes(data))
    return target


def png_bomb(target: Path, width: int = 13_000, height: int = 13_000) -> Path:
    """A real, complete grey PNG of width × height (13000²: 169 MP, about 0.2 MB on disk)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)
    parts = [compressor.compress(row) for _ in range(height)]
    parts.append(compressor.flush())
    with target.open("wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)))
        out.write(chunk(b"IDAT", b"".join(parts)))
        out.write(chunk(b"IEND", b""))
    return target


def big_csv(target: Path, megabytes: int = 50) -> Path:
    """A plain ledger CSV of about `megabytes` MB (some 400,000 rows)."""
    with target.open("w", encoding="utf-8") as out:
        out.write("流水号,日期,账户,摘要,金额\n")
        number, size = 0, 0
        while size < megabytes * 1_000_000:
            line = f"T{number:09d},2024-{number % 12 + 1:02d}-{number % 28 + 1:02d},62220210{number:08d},往来款项结算,{number % 97_531}.00\n"
            out.write(line)
            size += len(line.encode())
            number += 1
    return target


def run_bounded(code: str, *args: str, timeout: float = 300, address_space: int = 3 * GIB) -> dict:
    """Run `code` (which prints one JSON object as its last line) in a child process whose address space is
    capped at `address_space` (so an attack that would work hurts only the child); returns that object plus
    `peak_rss_mb` (the child's own high-water mark) and `returncode`."""
    program = textwrap.dedent(code) + textwrap.dedent("""
        import json as _json, re as _re
        # VmHWM is this process image's own high-water mark; ru_maxrss would carry the forking parent's RSS
        # across exec (preexec_fn makes subprocess fork), so a test process that had loaded models read high.
        _hwm = _re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read())
        print(_json.dumps({"__peak_rss_kb": int(_hwm.group(1))}))
    """)

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))

    completed = subprocess.run([sys.executable, "-c", program, *args], capture_output=True, text=True,
                               timeout=timeout, preexec_fn=cap, check=False)
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    result: dict = {"returncode": completed.returncode, "stderr": completed.stderr[-2000:]}
    for line in lines:
        result.update(json.loads(line))
    if "__peak_rss_kb" in result:
        result["peak_rss_mb"] = result.pop("__peak_rss_kb") / 1024
    return result
