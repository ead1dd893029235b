"""The bank's public pages, linked from every footer: help, staying safe, privacy and how to
reach us. Plain templates, open to everyone, signed in or not."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("pages", __name__)


@bp.get("/help")
def help() -> str:
    return render_template("pages/help.html")


@bp.get("/staying-safe")
def security() -> str:
    return render_template("pages/security.html")


@bp.get("/privacy")
def privacy() -> str:
    return render_template("pages/privacy.html")


@bp.get("/contact")
def contact() -> str:
    return render_template("pages/contact.html")
