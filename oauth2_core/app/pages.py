"""HTML pages of the app: login, consent, errors, index, demo callback.

Self-contained (inline CSS, no scripts, no external assets) so they work offline; every
interpolated value goes through ``html.escape``. Colours meet WCAG AA contrast, focus is
always visible, every input has a label.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

__all__ = [
    "SCOPE_DESCRIPTIONS",
    "callback_page",
    "consent_page",
    "describe_scope",
    "error_page",
    "index_page",
    "login_page",
]

SCOPE_DESCRIPTIONS = {
    "openid": "Confirm who you are",
    "profile": "See your name and profile",
    "email": "See your email address",
    "offline_access": "Keep access while you are away",
    "read": "Read your data",
    "write": "Change your data",
}

_STYLE = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  background: #f3f4f6; color: #111827; }
main { max-width: 28rem; margin: 4rem auto; background: #fff; border-radius: 12px;
  padding: 2rem; box-shadow: 0 1px 3px rgba(0,0,0,.15); }
h1 { font-size: 1.4rem; margin: 0 0 1rem; }
p, li { color: #1f2937; }
ul.scopes { padding-left: 1.2rem; }
code { background: #f3f4f6; padding: 0 .25rem; border-radius: 4px; overflow-wrap: anywhere; }
label { display: block; font-weight: 600; margin: 1rem 0 .25rem; }
input[type=text], input[type=password] { width: 100%; padding: .6rem; font-size: 1rem;
  border: 1px solid #6b7280; border-radius: 6px; }
.actions { display: flex; gap: .75rem; margin-top: 1.5rem; }
button { font-size: 1rem; padding: .6rem 1.2rem; border-radius: 6px; cursor: pointer;
  border: 1px solid #1d4ed8; }
button.primary { background: #1d4ed8; color: #fff; }
button.secondary { background: #fff; color: #1d4ed8; }
button.link { border: 0; background: none; padding: 0; color: #1d4ed8; font-size: inherit;
  text-decoration: underline; }
:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
.error { color: #991b1b; background: #fef2f2; border: 1px solid #fecaca; padding: .75rem;
  border-radius: 6px; }
.muted { color: #4b5563; font-size: .9rem; }
"""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def describe_scope(scope: str) -> str:
    return SCOPE_DESCRIPTIONS.get(scope, f"Use the \u201c{scope}\u201d permission")


def login_page(
    *, action: str, next_url: str, csrf: str, error: str = "", username: str = ""
) -> str:
    alert = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    body = f"""
<h1>Sign in</h1>
<p>Sign in to continue to the application that sent you here.</p>
{alert}
<form method="post" action="{escape(action)}">
  <input type="hidden" name="csrf_token" value="{escape(csrf)}">
  <input type="hidden" name="next" value="{escape(next_url)}">
  <label for="username">Username</label>
  <input type="text" id="username" name="username" autocomplete="username" required
    value="{escape(username)}" autofocus>
  <label for="password">Password</label>
  <input type="password" id="password" name="password" autocomplete="current-password"
    required>
  <div class="actions"><button type="submit" class="primary">Sign in</button></div>
</form>"""
    return _page("Sign in", body)


def consent_page(
    *,
    action: str,
    csrf: str,
    client_name: str,
    client_id: str,
    scopes: Sequence[str],
    redirect_uri: str,
    username: str,
    logout_action: str,
) -> str:
    if scopes:
        items = "".join(
            f"<li>{escape(describe_scope(s))} <span class=\"muted\">(<code>{escape(s)}</code>)"
            "</span></li>"
            for s in scopes
        )
        asks = f'<p>It asks to:</p><ul class="scopes">{items}</ul>'
    else:
        asks = "<p>It asks for basic access to your account (no specific permissions).</p>"
    body = f"""
<h1>Authorize {escape(client_name or client_id)}?</h1>
<p><strong>{escape(client_name or client_id)}</strong>
  <span class="muted">(client <code>{escape(client_id)}</code>)</span>
  wants to access your account, <strong>{escape(username)}</strong>.</p>
{asks}
<p class="muted">If you approve, you will be sent to <code>{escape(redirect_uri)}</code>.</p>
<form method="post" action="{escape(action)}">
  <input type="hidden" name="csrf_token" value="{escape(csrf)}">
  <div class="actions">
    <button type="submit" name="decision" value="approve" class="primary">Approve</button>
    <button type="submit" name="decision" value="deny" class="secondary">Deny</button>
  </div>
</form>
<form method="post" action="{escape(logout_action)}" class="muted">
  <input type="hidden" name="csrf_token" value="{escape(csrf)}">
  <input type="hidden" name="next" value="{escape(action)}">
  <p>Not {escape(username)}? <button type="submit" class="link">Sign out</button></p>
</form>"""
    return _page(f"Authorize {client_name or client_id}", body)


def error_page(*, title: str, error: str, description: str) -> str:
    body = f"""
<h1>{escape(title)}</h1>
<p class="error" role="alert"><code>{escape(error)}</code>: {escape(description)}</p>
<p class="muted">You were not redirected because the request could not be trusted.
Go back to the application and try again.</p>"""
    return _page(title, body)


def index_page(*, issuer: str, metadata_url: str) -> str:
    body = f"""
<h1>oauth2-core authorization server</h1>
<p>Issuer: <code>{escape(issuer)}</code></p>
<p>Server metadata: <a href="{escape(metadata_url)}">{escape(metadata_url)}</a></p>"""
    return _page("oauth2-core", body)


def callback_page(*, code: str, state: str, error: str, token_curl: str) -> str:
    if error:
        inner = f'<p class="error" role="alert">The authorization ended with <code>{escape(error)}'
        inner += "</code>.</p>"
    else:
        inner = (
            f"<p>Authorization code: <code id=\"code\">{escape(code)}</code></p>"
            f"<p>State: <code>{escape(state)}</code></p>"
            "<p>Exchange it for tokens within 60 seconds:</p>"
            f"<pre><code>{escape(token_curl)}</code></pre>"
        )
    return _page("Demo callback", f"<h1>Demo client callback</h1>{inner}")
