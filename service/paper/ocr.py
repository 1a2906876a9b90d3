"""Printed and typed text in a cell image, read by rapidocr (PP-OCR models inside the wheel).

One engine per process, made on first use, one thread per session so that the queue's workers
share the cores instead of fighting over them. Nothing is downloaded: the models are the files
shipped in the ``rapidocr_onnxruntime`` wheel, and :func:`model_files` names them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

_ENGINE: Any = None
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Text:
    """What OCR read in an image: the text (lines joined) and its lowest line confidence."""

    text: str
    confidence: float
    right: float = 0.0  # the right edge of the text read (pixels), to see if some was missed


def model_files() -> list[Path]:
    """The model files the engine loads, all inside the installed wheel."""
    import rapidocr_onnxruntime

    return sorted(Path(rapidocr_onnxruntime.__file__).parent.joinpath("models").glob("*.onnx"))


def engine() -> Any:
    """The process's OCR engine (made once)."""
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            from rapidocr_onnxruntime import RapidOCR

            _ENGINE = RapidOCR(det_limit_type="max", det_limit_side_len=960,
                               intra_op_num_threads=1, inter_op_num_threads=1,
                               print_verbose=False)
        return _ENGINE


def read_block(image: np.ndarray) -> Text:
    """Several lines: detection, then recognition of each line, in reading order."""
    result, _ = engine()(image, use_cls=False)
    if not result:
        return Text("", 0.0)
    lines = sorted(result, key=lambda r: (round(r[0][0][1] / 20), r[0][0][0]))
    return Text("".join(r[1].strip() for r in lines), min(float(r[2]) for r in lines),
                max(max(p[0] for p in r[0]) for r in lines))
