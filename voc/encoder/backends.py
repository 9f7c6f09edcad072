"""The encoder backends' names, importable without torch (config validation needs them)."""

BACKENDS: tuple[str, ...] = ("torch", "torch-int8", "torch-bf16", "onnx", "onnx-int8")

# Padded tokens per encoder batch, when a caller names none (classify.token_budget).
DEFAULT_TOKEN_BUDGET = 4096
