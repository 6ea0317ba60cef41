"""The tf.keras `experimental` spellings textbooks use: `keras.experimental.CosineDecayRestarts`."""
from trainwell.optimizers.schedules import CosineDecay, CosineDecayRestarts

__all__ = ["CosineDecay", "CosineDecayRestarts"]
