"""EML parser: the subject heads the message body; supported attachments are parsed and appended."""
from __future__ import annotations

import dataclasses
from email import message_from_bytes, policy
from email.message import EmailMessage, MIMEPart

from zhiku.core.errors import CorruptFile, UnsupportedFileType, ZhikuError
from zhiku.core.types import Block, BlockKind, ParsedDocument
from zhiku.ingest.parse_limits import DEFAULT_LIMITS, ParseLimits
from zhiku.ingest.parsers.html import parse_html_text
from zhiku.ingest.parsers.plain_text import decode_text, require_data, text_blocks, wrap_library_errors

# Mail labelled GB2312/GBK routinely contains characters only GB18030 (their superset) decodes.
_CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030"}
_METADATA_HEADERS = ("from", "to", "cc", "date")


def parse(data: bytes, filename: str, limits: ParseLimits = DEFAULT_LIMITS) -> ParsedDocument:
    require_data(data, "EML")
    with wrap_library_errors("EML"):
        message = message_from_bytes(data, policy=policy.default)
        if not message.keys():  # the email parser accepts anything; real mail always has headers
            raise CorruptFile(
                f"'{filename}' has no e-mail headers: the file may be damaged or not really an EML "
                "message. Save the e-mail again from the mail client (as .eml) and re-upload."
            )
        subject = " ".join(str(message.get("subject", "")).split())
        metadata = {name: str(message[name]) for name in _METADATA_HEADERS if message[name]}
        blocks = [Block(subject, BlockKind.HEADING, level=1)] if subject else []
        parent = [subject] if subject else []
        blocks += _nest(_body_blocks(message), parent)
        attachment_blocks, parsed, skipped = _attachments(message, parent, limits)
    blocks += attachment_blocks
    if parsed:
        metadata["attachments"] = ", ".join(parsed)
    if skipped:
        metadata["skipped_attachments"] = "; ".join(skipped)
    return ParsedDocument(blocks=blocks, title=subject or None, metadata=metadata)


def _body_blocks(message: EmailMessage) -> list[Block]:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return []
    text = _part_text(body)
    if body.get_content_subtype() == "html":
        return parse_html_text(text).blocks
    return text_blocks(text)


def _part_text(part: MIMEPart) -> str:
    payload = _payload_bytes(part)
    charset = (part.get_content_charset() or "").lower()
    try:
        return payload.decode(_CHARSET_ALIASES.get(charset, charset or "utf-8"))
    except (LookupError, UnicodeDecodeError):  # missing, unknown or wrong charset label
        return decode_text(payload)


def _nest(blocks: list[Block], parent: list[str]) -> list[Block]:
    """Place blocks under `parent` headings: paths are prefixed and heading levels pushed down."""
    depth = len(parent)
    return [
        dataclasses.replace(
            block,
            heading_path=[*parent, *block.heading_path],
            level=block.level + depth if block.kind is BlockKind.HEADING else block.level,
        )
        for block in blocks
    ]


def _attachments(message: EmailMessage, parent: list[str],
                 limits: ParseLimits) -> tuple[list[Block], list[str], list[str]]:
    """Blocks of every readable attachment, the names parsed, and the names skipped with the reason.

    An attachment is parsed under the same limits, one level of nesting fewer: a mail forwarded inside a mail
    inside a mail ... ends at ZHIKU_MAX_ATTACHMENT_NESTING."""
    from zhiku.ingest.parsing import parse_document  # parsing dispatches to this module: import late

    inner = dataclasses.replace(limits, max_nesting=limits.max_nesting - 1)

    blocks: list[Block] = []
    parsed: list[str] = []
    skipped: list[str] = []
    for part in message.iter_attachments():
        name = part.get_filename() or ""
        data = _attachment_bytes(part)
        if not name or not data:
            continue
        if limits.max_nesting <= 0:
            skipped.append(f"{name} (attachments nested too deep)")
            continue
        try:
            _, document = parse_document(data, name, limits=inner)
        except UnsupportedFileType:
            skipped.append(f"{name} (unsupported type)")
            continue
        except ZhikuError as error:
            skipped.append(f"{name} ({error.code})")
            continue
        heading = f"Attachment: {name}"
        blocks.append(Block(heading, BlockKind.HEADING, heading_path=list(parent), level=len(parent) + 1))
        blocks += _nest(document.blocks, [*parent, heading])
        parsed.append(name)
        if inner_skipped := document.metadata.get("skipped_attachments"):
            skipped.append(f"inside {name}: {inner_skipped}")
    return blocks, parsed, skipped


def _attachment_bytes(part: MIMEPart) -> bytes:
    if part.get_content_type() == "message/rfc822":  # a forwarded mail: its payload is a message
        return bytes(part.get_content())
    return _payload_bytes(part)


def _payload_bytes(part: MIMEPart) -> bytes:
    payload = part.get_payload(decode=True)  # bytes for any non-multipart part, undone transfer encoding
    return payload if isinstance(payload, bytes) else b""
