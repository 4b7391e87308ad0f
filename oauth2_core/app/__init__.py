"""The HTTP app and its helpers (extra ``oauth2-core[server]``).

``import oauth2_core`` never loads this package; only ``oauth2_core.app.web`` and
``oauth2_core.app.factory`` import Starlette.
"""

from oauth2_core.app.settings import AppSettings, load_settings
from oauth2_core.app.users import User, UserStore

__all__ = ["AppSettings", "User", "UserStore", "load_settings"]
