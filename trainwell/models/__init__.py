"""Models: Sequential (with the Keras training API) and model utilities."""
from trainwell.models.cloning import clone_model
from trainwell.models.saving import load_model, model_from_json, save_model
from trainwell.models.sequential import Sequential
from trainwell.models.training import Model

__all__ = ["Model", "Sequential", "clone_model", "load_model", "model_from_json", "save_model"]
