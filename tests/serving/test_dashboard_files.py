"""The dashboard's static files: served publicly from the package, and every module of the app
shell is in the service worker's offline cache list (else the app would not start offline)."""

from __future__ import annotations

import json
import re

from serving.dashboard import STATIC_DIR


def test_service_worker_caches_every_shell_file():
    sw = (STATIC_DIR / "sw.js").read_text()
    listed = set(re.findall(r'"(/[^"]*)"', sw.split("const SHELL_FILES = [", 1)[1].split("];", 1)[0]))
    shipped = {
        f"/static/{p.relative_to(STATIC_DIR).as_posix()}" for p in STATIC_DIR.rglob("*") if p.suffix in {".js", ".css"}
    }
    shipped.discard("/static/sw.js")  # served at /sw.js, never cached by itself
    assert shipped - listed == set()
    assert {"/", "/manifest.webmanifest"} <= listed
    assert all((STATIC_DIR / p.removeprefix("/static/")).exists() for p in listed if p.startswith("/static/"))


def test_manifest_icons_exist(client):
    manifest = json.loads((STATIC_DIR / "manifest.webmanifest").read_text())
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_shell_is_public_with_a_content_security_policy(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert client.get("/static/js/app.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/static/nope.js").status_code == 404
    assert client.get("/sw.js").headers["cache-control"] == "no-cache"
