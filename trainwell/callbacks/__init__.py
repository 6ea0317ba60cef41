"""Callbacks: the hooks `fit` calls (Keras names), and the ones textbooks use."""
from trainwell.callbacks.backup_and_restore import BackupAndRestore
from trainwell.callbacks.base import REGISTRY, Callback, CallbackList
from trainwell.callbacks.csv_logger import CSVLogger
from trainwell.callbacks.early_stopping import EarlyStopping
from trainwell.callbacks.history import History
from trainwell.callbacks.lambda_callback import LambdaCallback
from trainwell.callbacks.lr_scheduler import LearningRateScheduler
from trainwell.callbacks.model_checkpoint import ModelCheckpoint
from trainwell.callbacks.monitor import MonitorCallback
from trainwell.callbacks.progbar import ProgbarLogger
from trainwell.callbacks.reduce_lr import ReduceLROnPlateau
from trainwell.callbacks.tensorboard import TensorBoard
from trainwell.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = ["BackupAndRestore", "CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History",
           "LambdaCallback", "LearningRateScheduler", "ModelCheckpoint", "MonitorCallback", "ProgbarLogger", "REGISTRY",
           "ReduceLROnPlateau", "TensorBoard", "TerminateOnNaN"]
