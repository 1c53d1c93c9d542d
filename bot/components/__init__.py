"""Custom Rasa components used from bot/config.yml (`components.<module>.<Class>`).

Rasa imports this package when it loads a model, before `rasa run` serves any message, and
when it trains: the runtime fixes of rasa_fixes.py are installed here for every one of those.
"""

from . import rasa_fixes

rasa_fixes.install()
