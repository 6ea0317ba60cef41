"""Callbacks: the hooks `fit` calls (Keras names), and the ones textbooks use."""
from trainwell.callbacks.base import REGISTRY, Callback, CallbackList
from trainwell.callbacks.history import History
from trainwell.callbacks.progbar import ProgbarLogger

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger", "REGISTRY"]
