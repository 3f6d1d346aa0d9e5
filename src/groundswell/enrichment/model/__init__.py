"""The local sentiment-and-intent model: shipped ONNX files and the code that runs them.

Run-time only: ``onnxruntime``, ``tokenizers`` and NumPy. Training lives in
``groundswell.training`` and is the only place PyTorch is imported.
"""
