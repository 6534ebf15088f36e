"""Edge helpers shared by the case routers: bodies that are JSON or multipart, downloads."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any, TypeVar

import orjson
from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile
from starlette.responses import Response

from clearinghouse.api.deps import Ctx
from clearinghouse.cases import access
from clearinghouse.cases import attachments as files
from clearinghouse.cases.access import CaseAccess
from clearinghouse.cases.models import Attachment
from clearinghouse.errors import ClearinghouseError, InvalidInput, PayloadTooLarge
from clearinghouse.policy import CaseAction
from clearinghouse.settings import Settings

M = TypeVar("M", bound=BaseModel)


class UnsupportedMediaTypeError(ClearinghouseError):
    code = "unsupported-media-type"
    status = 415
    title = "Unsupported media type"
    exit_code = 2


def max_attachment_bytes(settings: Settings) -> int:
    """The per-file limit: 5 MiB, and never more than half of a request body."""
    return min(files.MAX_ATTACHMENT_BYTES, settings.max_request_bytes // 2)


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    """``schema`` with its local ``$defs`` references replaced by the definitions."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline(item, defs) for item in schema]
    return schema


def multipart_openapi(json_field: str, model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` documenting a body that is JSON, or multipart with a JSON part
    (the route reads the body itself, so FastAPI cannot describe it)."""
    raw = model.model_json_schema()
    schema = _inline(raw, raw.get("$defs", {}))
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": schema},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": [json_field],
                        "properties": {
                            json_field: {
                                "type": "string",
                                "description": f"{model.__name__} as JSON",
                            },
                            "attachment": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                            },
                        },
                    }
                },
            },
        }
    }


async def read_body(
    request: Request, model: type[M], *, json_field: str, max_bytes: int
) -> tuple[M, list[files.Upload]]:
    """Parse a JSON body, or a multipart body whose ``json_field`` part is the JSON and
    whose ``attachment`` parts are files (each read up to ``max_bytes`` + 1)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    uploads: list[files.Upload] = []
    if content_type == "multipart/form-data":
        form = await request.form(max_files=files.MAX_FILES_PER_UPLOAD, max_fields=20)
        try:
            raw = form.get(json_field)
            if not isinstance(raw, str):
                raise InvalidInput(
                    f"the multipart body needs a '{json_field}' field holding JSON",
                    field=json_field,
                )
            document = _json(raw.encode())
            for item in form.getlist("attachment"):
                if not isinstance(item, UploadFile):
                    raise InvalidInput("'attachment' parts must be files", field="attachment")
                data = await item.read(max_bytes + 1)
                if len(data) > max_bytes:
                    raise PayloadTooLarge(
                        f"{item.filename!r} is larger than {max_bytes} bytes", field="attachment"
                    )
                uploads.append(files.Upload(item.filename or "attachment", data))
        finally:
            await form.close()
    elif content_type in ("application/json", ""):
        document = _json(await request.body())
    else:
        raise UnsupportedMediaTypeError(
            f"send application/json or multipart/form-data, not {content_type!r}"
        )
    try:
        body = model.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or json_field
        raise InvalidInput(f"{where}: {first.get('msg', 'invalid')}", field=where) from exc
    return body, uploads


def _json(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"the body is not JSON: {exc}") from exc


def download(attachment: Attachment) -> Response:
    """The file as a download only: never rendered by the platform's origin."""
    digest = base64.b64encode(hashlib.sha256(attachment.data).digest()).decode()
    name = files.safe_filename(attachment.filename)
    return Response(
        content=attachment.data,
        media_type=files.DOWNLOAD_CONTENT_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
            "Repr-Digest": f"sha-256=:{digest}:",
            "X-Original-Content-Type": attachment.content_type,
        },
    )


def authorised_case(
    ctx: Ctx, ref: str, action: CaseAction, target: uuid.UUID | None = None
) -> CaseAccess:
    """Load a case for a route and ask the policy (404 when it must stay hidden)."""
    return access.load_case(ctx.session, ctx.principal, ref, action, target_participant_id=target)
