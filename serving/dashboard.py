"""The web dashboard: static files shipped in the package, served without a build step.

``/`` is the app shell (hash routes, so no server-side fallback is needed for deep links);
``/sw.js`` and ``/manifest.webmanifest`` sit at the root because a service worker only controls
pages under its own path; everything else is under ``/static``. All of it is public: the data
behind it is not.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Router, get
from litestar.response import File
from litestar.static_files import create_static_files_router

from serving.auth.tokens import PUBLIC

STATIC_DIR = Path(__file__).parent / "static"
# The shell and the worker must be revalidated, or a deploy would keep serving the old app.
NO_CACHE = {"Cache-Control": "no-cache"}
# Only our own scripts run; inline style attributes are used for bar widths and heat colours;
# blob: serves downloaded reports, data: the vendored chart library's canvas exports.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def _file(name: str, media_type: str, headers: dict[str, str] = NO_CACHE) -> File:
    return File(STATIC_DIR / name, media_type=media_type, headers=headers, content_disposition_type="inline")


@get("/", opt=PUBLIC, include_in_schema=False)
async def index() -> File:
    return _file("index.html", "text/html; charset=utf-8", {**NO_CACHE, "Content-Security-Policy": CSP})


@get("/sw.js", opt=PUBLIC, include_in_schema=False)
async def service_worker() -> File:
    return _file("sw.js", "text/javascript; charset=utf-8")


@get("/manifest.webmanifest", opt=PUBLIC, include_in_schema=False)
async def manifest() -> File:
    return _file("manifest.webmanifest", "application/manifest+json")


def dashboard_router() -> Router:
    static = create_static_files_router(
        "/static", directories=[STATIC_DIR], opt=PUBLIC, include_in_schema=False, name="static"
    )
    return Router("/", route_handlers=[index, service_worker, manifest, static])
