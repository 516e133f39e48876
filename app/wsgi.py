"""The WSGI entry point gunicorn loads: `app.wsgi:app`."""

from app.factory import create_app

app = create_app()
