"""A ZIP package (DOCX, XLSX, PPTX) is checked before any library reads a part of it.

The member count and the sizes the central directory declares are checked first; then every member is
decompressed once, block by block, counting the bytes it really yields (a member that lies about its size is
cut there by zipfile and fails its CRC) and, in XML parts, the markup tags, while an expat parser refuses any
DTD: Office never writes one, and without it no entity can be declared, so none can be expanded. Nothing is
kept: memory stays at one block whatever the package holds.

The libraries then build their trees from parts whose total size and markup are bounded, so their memory is
too (python-docx and python-pptx hold the whole XML tree: about 80 bytes per tag).
"""
from __future__ import annotations

import io
import zipfile
import zlib
from xml.parsers import expat

from defusedxml import DTDForbidden

from zhiku.core.errors import CorruptFile
from zhiku.ingest.parse_limits import MIB, ParseLimits, check_bytes, check_count, refuse

_BLOCK = MIB
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_XML_STARTS = (b"<", b"\xef\xbb\xbf<", b"\xff\xfe<\x00", b"\xfe\xff\x00<")


def check_package(data: bytes, filename: str, format_name: str, limits: ParseLimits) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _damaged(filename, format_name) from exc
    with archive:
        members = archive.infolist()
        check_count(filename, len(members), limits.max_archive_entries, "parts in its ZIP package",
                    "ZHIKU_MAX_ARCHIVE_ENTRIES")
        declared = sum(member.file_size for member in members)
        check_bytes(filename, declared, limits.max_unpacked_bytes, "unpacks to", "ZHIKU_MAX_UNPACKED_MB")
        _stream_members(archive, members, filename, format_name, limits)


def _stream_members(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], filename: str, format_name: str,
                    limits: ParseLimits) -> None:
    unpacked = tags = 0
    for member in members:
        if member.is_dir():
            continue
        try:
            with archive.open(member) as stream:
                first = stream.read(_BLOCK)
                xml = member.filename.lower().endswith(_XML_SUFFIXES) or first.lstrip().startswith(_XML_STARTS)
                parser = _dtd_refusing_parser() if xml else None
                block = first
                while block:
                    unpacked += len(block)
                    check_bytes(filename, unpacked, limits.max_unpacked_bytes, "unpacks to more than",
                                "ZHIKU_MAX_UNPACKED_MB")
                    if parser is not None:
                        tags += block.count(b"<")  # an upper bound of the elements (end tags count too)
                        check_count(filename, tags, limits.max_xml_elements, "XML elements",
                                    "ZHIKU_MAX_XML_ELEMENTS")
                        parser.Parse(block, False)
                    block = stream.read(_BLOCK)
                if parser is not None:
                    parser.Parse(b"", True)
        except DTDForbidden as exc:
            raise refuse(filename, f"declares a DTD in its part {member.filename} (XML entities, which Office "
                         "never writes: a known way to make parsers expand text without end)", "no DTD",
                         "not configurable", "Save the file again from Office") from exc
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, zlib.error,
                expat.ExpatError, ValueError) as exc:
            raise _damaged(filename, format_name) from exc


def _dtd_refusing_parser():
    parser = expat.ParserCreate()

    def forbid(name, *_):
        raise DTDForbidden(name, None, None)

    parser.StartDoctypeDeclHandler = forbid
    parser.EntityDeclHandler = forbid
    parser.ExternalEntityRefHandler = forbid
    return parser


def _damaged(filename: str, format_name: str) -> CorruptFile:
    return CorruptFile(f"'{filename}' could not be read: the file may be damaged or not really a {format_name} (its "
                       f"ZIP structure is broken). Open it in Office, save it again as {format_name} and re-upload.")
