"""Files: uploads of images, attachments and assets, and their downloads.

ServiceTitan's documents declare an upload as a JSON body ``{file: binary}``; clients send
``multipart/form-data`` (a part named ``file``), and raw bytes or base64 JSON are accepted too.
The bytes are stored (table ``blobs``); a download answers 302 to a short-lived signed URL under
``/files/``, as ServiceTitan redirects to its blob storage.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import time
import wave
from collections.abc import Mapping
from email import policy
from email.parser import BytesParser
from typing import Any
from urllib.parse import quote

from localtitan.handling import Tx, bad_request, json_result, not_found, respond, transaction
from localtitan.handling.call import Call, Result
from localtitan.handling.table import Handlers
from localtitan.platform.server_key import ServerKey
from localtitan.store.blobs import blob_exists, put_blob, unit_blob

__all__ = [
    "FILE_URL_SECONDS",
    "HANDLERS",
    "JOB_ATTACHMENTS",
    "download_headers",
    "file_token",
    "read_file_token",
]

# This module's operations; localtitan.operations reads the table.
HANDLERS = Handlers(__name__)
register = HANDLERS.register

FILE_URL_SECONDS = 900
_MAX_NAME = 200

# upload operation -> folder its paths start with
_UPLOADS = {
    "pricebook.Images_Post": "Images",
    "equipmentsystems.InstalledEquipment_PostAttachment": "Attachments",
    "findings.FindingAssets_PostAttachment": "Assets",
}


def _uploaded_file(call: Call) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of the upload, or a 400 saying what is wrong."""
    media = (call.content_type or "").split(";", 1)[0].strip().lower()
    if media == "multipart/form-data":
        header = f"Content-Type: {call.content_type}\r\n\r\n".encode("latin-1")
        message = BytesParser(policy=policy.HTTP).parsebytes(header + call.raw_body)
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") == "file":
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes) and payload:
                    name = part.get_filename() or "file"
                    return _clean(name), part.get_content_type(), payload
        raise bad_request("file", "Send the file as a form part named 'file'.")
    if media == "application/octet-stream":
        if not call.raw_body:
            raise bad_request("file", "The file is empty.")
        return "file", media, call.raw_body
    body = call.body if isinstance(call.body, Mapping) else {}
    encoded = body.get("file")
    if not isinstance(encoded, str) or not encoded:
        raise bad_request("file", "The file is required.")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise bad_request("file", "In JSON, send the file as base64.") from None
    return "file", "application/octet-stream", data


def download_headers(file_name: str) -> dict[str, str]:
    """Headers for a stored file: always a download, never a page of the portal's origin.

    Uploaded HTML or SVG served inline would run script as the portal; ``attachment`` makes
    browsers save it, ``nosniff`` stops them guessing a type, and the sandboxing policy keeps
    anything that is rendered anyway from running script or loading anything.
    """
    # RFC 6266: an ASCII fallback in filename, the exact name percent-encoded in filename*.
    fallback = "".join(
        ch if " " <= ch <= "~" and ch not in '"\\%;' else "_" for ch in file_name
    ).strip()
    disposition = f'attachment; filename="{fallback or "file"}"'
    if fallback != file_name:
        disposition += f"; filename*=UTF-8''{quote(file_name, safe='')}"
    return {
        "Content-Disposition": disposition,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
    }


def _clean(name: str) -> str:
    # Keep the last path element only: a file name is not a place to write to.
    name = name.replace("\\", "/").split("/")[-1]
    # Nor a way into a response header: no control characters or quotes.
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"').strip()
    return (name or "file")[:_MAX_NAME]


async def _store(tx: Tx, name: str, content_type: str, data: bytes) -> int:
    blob_id = tx.new_ids(1)
    await put_blob(
        tx.session, tx.env, tx.tenant, blob_id, content_type=content_type, file_name=name, data=data
    )
    return blob_id


def _upload(folder: str) -> Any:
    async def handle(call: Call) -> Result:
        name, content_type, data = _uploaded_file(call)

        async def work(tx: Tx) -> Result:
            blob_id = await _store(tx, name, content_type, data)
            return respond(call, {"path": f"{folder}/{blob_id}/{name}"})

        return await transaction(call, work)

    return handle


for _op, _folder in _UPLOADS.items():
    register(_op)(_upload(_folder))


def _sign(key: ServerKey, payload: bytes) -> str:
    digest = hmac.new(key.derive("file-url"), payload, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def file_token(key: ServerKey, env: str, tenant_id: int, blob_id: int) -> str:
    expires = int(time.time()) + FILE_URL_SECONDS
    payload = f"{env}|{tenant_id}|{blob_id}|{expires}".encode()
    encoded = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{encoded}.{_sign(key, payload)}"


def read_file_token(key: ServerKey, token: str) -> tuple[str, int, int] | None:
    """(environment, tenant, blob id) of a valid, unexpired token, else None."""
    encoded, _, signature = token.partition(".")
    try:
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        env, tenant, blob_id, expires = payload.decode().split("|")
        if not hmac.compare_digest(signature, _sign(key, payload)):
            return None
        if int(expires) < time.time():
            return None
        return env, int(tenant), int(blob_id)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        return None


@register(
    "pricebook.Images_Get", "equipmentsystems.InstalledEquipment_Get2", "findings.FindingAssets_Get"
)
async def download(call: Call) -> Result:
    path = str(call.query.get("path") or "")
    parts = path.strip("/").split("/")
    blob_id = int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None
    if blob_id is None:
        raise bad_request("path", "Use the path an upload returned, such as Images/123/a.jpg.")

    async def work(tx: Tx) -> Result:
        if not await blob_exists(tx.session, tx.env, tx.tenant, blob_id):
            raise not_found("File", path)
        token = file_token(call.runtime.server_key, tx.env, tx.tenant, blob_id)
        return Result(status=302, body=b"", headers={"Location": f"/files/{token}"})

    return await transaction(call, work)


# ---------------------------------------------------------------- forms: job attachments

# Not a catalog kind: no operation declares these records' shape, so they keep every field.
JOB_ATTACHMENTS = "forms:job-attachment-files"


@register("forms.Jobs_CreateAttachment")
async def attach_to_job(call: Call) -> Result:
    name, content_type, data = _uploaded_file(call)

    async def work(tx: Tx) -> Result:
        job = await tx.get("jpm:jobs", call.path.get("id"), "Job")
        blob_id = await _store(tx, name, content_type, data)
        await tx.create(
            JOB_ATTACHMENTS,
            {"blobId": blob_id, "fileName": name, "jobId": job.id, "size": len(data)},
            parent_id=job.id,
        )
        return respond(call, {"fileName": name})

    return await transaction(call, work)


@register("forms.Jobs_GetJobAttachments")
async def job_attachments(call: Call) -> Result:
    async def work(tx: Tx) -> Result:
        job = await tx.get("jpm:jobs", call.path.get("jobId"), "Job")
        found = await tx.children(JOB_ATTACHMENTS, job.id)
        data = [
            {
                "id": a.data.get("blobId"),
                "fileName": a.data.get("fileName"),
                "createdOn": a.data.get("createdOn"),
                "size": a.data.get("size"),
            }
            for a in found
        ]
        page = {"page": 1, "pageSize": len(data), "hasMore": False, "totalCount": len(data)}
        return json_result({**page, "data": data})

    return await transaction(call, work)


@register("forms.Jobs_Get")
async def job_attachment(call: Call) -> Result:
    blob_id = call.path.get("id")

    async def work(tx: Tx) -> Result:
        found = (
            await unit_blob(tx.session, tx.env, tx.tenant, blob_id)
            if isinstance(blob_id, int) and not isinstance(blob_id, bool)
            else None
        )
        if found is None:
            raise not_found("Attachment", blob_id)
        return Result(
            body=found.data,
            content_type=found.content_type,
            headers=download_headers(found.file_name),
        )

    return await transaction(call, work)


# ---------------------------------------------------------------- telecom


def _silence(seconds: float) -> bytes:
    """A silent mono WAV: calls have no real audio here, but clients get a playable file."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x00" * int(8000 * seconds))
    return out.getvalue()


@register("telecom.Calls_GetRecording", "telecom.Calls_GetVoiceMail")
async def recording(call: Call) -> Result:
    async def work(tx: Tx) -> Result:
        found = await tx.get("telecom:calls", call.path.get("id"), "Call")
        return Result(
            body=_silence(1.0),
            content_type="application/octet-stream",
            headers=download_headers(f"call-{found.id}.wav"),
        )

    return await transaction(call, work)
