"""The Python class that pickle-persist's test checkpoints are instances of."""
from dataclasses import dataclass, field


@dataclass
class JobState:
    step: int = 0
    weights: list = field(default_factory=list)
    note: str = ""
