"""The signed document: the .docx export, reading one back, and checking a version (and a document) against its
SM3 digest — what `gongzhi verify_agreement` runs.

The .docx carries the canonical text one line per paragraph, then a marker paragraph, then the signing page: each
signature (side, organization, signer, time, the digest signed, the community's meeting reference), the text's
digest and the verification code. Reading it back takes the paragraphs before the marker as the text.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from django.utils import timezone
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt

from gongzhi.agreements import canonical
from gongzhi.agreements.models import Side, Signature, Version

SIGN_MARKER = "—— 签署与校验 / Signatures and verification ——"
CODE_RE = re.compile(r"校验码[::]\s*([0-9A-F]{4}(?:-[0-9A-F]{4}){4})")
DIGEST_RE = re.compile(r"文本摘要[^::]*[::]\s*([0-9a-f]{64})")
ID_RE = re.compile(r"协议ID[::]\s*(\d+)\s*/\s*版本[::]\s*(\d+)")


def live_signatures(version: Version) -> list[Signature]:
    """The version's signatures that stand, department first."""
    sigs = list(version.signatures.filter(voided_at__isnull=True).select_related("organization"))
    return sorted(sigs, key=lambda s: (s.side != Side.DEPARTMENT, s.signed_at))


def code_for(version: Version) -> str:
    """The verification code of a version (over its digest and its signatures' digests)."""
    return canonical.verification_code(
        agreement_id=version.agreement_id,
        version=version.number,
        text_digest=version.digest,
        signature_digests=[
            f"{s.side}:{s.digest}:{s.signed_at.isoformat()}" for s in live_signatures(version)
        ],
    )


def signature_lines(version: Version) -> list[str]:
    lines: list[str] = []
    for sig in live_signatures(version):
        when = timezone.localtime(sig.signed_at).strftime("%Y-%m-%d %H:%M")
        side = "甲方" if sig.side == Side.DEPARTMENT else "乙方"
        lines.append(f"{side}:{sig.organization.name}  签署人:{sig.signer_name}  签署时间:{when}")
        lines.append(f"{side}所签文本摘要(SM3):{sig.digest}")
        if sig.side == Side.PARTY and sig.meeting_date is not None:
            lines.append(f"{side}会议决定:{sig.meeting_date.isoformat()} 会议纪要 {sig.minutes_no}")
    if not lines:
        lines.append("(尚未签署 / not signed yet)")
    lines.append(f"协议ID:{version.agreement_id} / 版本:{version.number}")
    lines.append(f"文本摘要(SM3):{version.digest}")
    lines.append(f"校验码:{code_for(version)}")
    return lines


def _east_asian(style_font: object, name: str) -> None:
    rpr = style_font.element.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), name)


def build_docx(version: Version) -> bytes:
    """The version as a .docx (text, signatures, digests, verification code)."""
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "SimSun"
    normal.font.size = Pt(12)
    _east_asian(normal, "宋体")
    props = doc.core_properties
    props.title = f"{version.agreement.number} v{version.number}"
    props.subject = "委托协议书 / entrustment agreement"
    props.identifier = f"gongzhi-agreement:{version.agreement_id}:{version.number}"
    props.keywords = version.digest
    text = version.text or ""
    for i, line in enumerate(text.split("\n")):
        paragraph = doc.add_paragraph(line)
        if i == 0 and paragraph.runs:
            paragraph.runs[0].bold = True
    doc.add_paragraph(SIGN_MARKER)
    for line in signature_lines(version):
        doc.add_paragraph(line)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


@dataclass
class ReadBack:
    text: str
    code: str | None
    digest: str | None
    agreement_id: int | None
    version: int | None


def read_docx(data: bytes) -> ReadBack:
    """The canonical text (paragraphs before the marker) and the signing page's code, digest and ids."""
    doc = Document(io.BytesIO(data))
    paragraphs = [p.text for p in doc.paragraphs]
    if SIGN_MARKER in paragraphs:
        cut = paragraphs.index(SIGN_MARKER)
        body, tail = paragraphs[:cut], paragraphs[cut + 1 :]
    else:
        body, tail = paragraphs, []
    tail_text = "\n".join(tail)
    code = CODE_RE.search(tail_text)
    text_digest = DIGEST_RE.findall(tail_text)
    ids = ID_RE.search(tail_text)
    return ReadBack(
        text=canonical.normalize("\n".join(body)),
        code=code.group(1) if code else None,
        digest=text_digest[-1] if text_digest else None,
        agreement_id=int(ids.group(1)) if ids else None,
        version=int(ids.group(2)) if ids else None,
    )


@dataclass
class Report:
    ok: bool = True
    checks: list[tuple[bool, str]] = field(default_factory=list)

    def add(self, ok: bool, message: str) -> None:
        self.checks.append((ok, message))
        self.ok = self.ok and ok


def verify_version(version: Version, docx: bytes | None = None) -> Report:
    """Check a version: its stored text against its digest, each signature against that digest; and, given a
    document, the document's text, digest, ids and verification code against the version."""
    report = Report()
    if not version.digest:
        report.add(
            False, f"第{version.number}版尚未定稿(没有摘要) / version {version.number} has no digest yet"
        )
        return report
    stored = canonical.digest(version.text)
    report.add(
        stored == version.digest,
        "数据库中的协议文本与摘要一致 / the stored text matches its digest"
        if stored == version.digest
        else f"数据库中的协议文本已被改动:摘要应为 {version.digest},实为 {stored} / the stored text was altered",
    )
    sigs = live_signatures(version)
    if not sigs:
        report.add(False, "该版本没有签署 / this version has no signatures")
    for sig in sigs:
        good = sig.digest == version.digest
        report.add(
            good,
            f"{sig.get_side_display()}签署的摘要一致 / the {sig.side} signature covers this text"
            if good
            else f"{sig.get_side_display()}签署的摘要 {sig.digest} 与文本不符 / the {sig.side} signature is for another text",
        )
    if docx is None:
        return report
    try:
        read = read_docx(docx)
    except Exception as exc:  # a file that is not a .docx at all
        report.add(False, f"无法读取文档 / cannot read the document: {type(exc).__name__}")
        return report
    same_ids = read.agreement_id == version.agreement_id and read.version == version.number
    report.add(
        same_ids,
        "文档对应本协议本版本 / the document is this agreement's version"
        if same_ids
        else f"文档不是本协议第{version.number}版 / the document is not version {version.number} of this agreement",
    )
    doc_digest = canonical.digest(read.text)
    report.add(
        doc_digest == version.digest,
        "文档正文与签署摘要一致 / the document's text matches the signed digest"
        if doc_digest == version.digest
        else f"文档正文已被改动:摘要为 {doc_digest},签署的是 {version.digest} / the document's text was altered",
    )
    report.add(
        read.digest == version.digest,
        "文档所载摘要一致 / the digest printed in the document matches"
        if read.digest == version.digest
        else "文档所载摘要不符 / the digest printed in the document does not match",
    )
    expected = code_for(version)
    report.add(
        read.code == expected,
        "校验码正确 / the verification code is valid"
        if read.code == expected
        else "校验码不符 / the verification code does not match",
    )
    return report
