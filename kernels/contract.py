"""The names every engine exports (MiniTorch's rule: one contract, one test over every backend).

``kernels.reference`` (the readable loops), ``kernels.cpu`` (the fast CPU engine) and
``kernels.cuda`` each export exactly these, with the same signatures (tests/test_contract.py);
docs/contract.md lists them with their shapes.
"""

CONTRACT = (
    "dense_forward", "dense_backward", "conv2d_forward", "conv2d_backward",
    "relu_forward", "relu_backward", "leaky_relu_forward", "leaky_relu_backward",
    "tanh_forward", "tanh_backward", "sigmoid_forward", "sigmoid_backward",
    "batchnorm_forward", "batchnorm_backward", "batchnorm_inference", "batchnorm_running_update",
    "dropout_forward", "dropout_backward", "minibatch_stddev_forward", "minibatch_stddev_backward",
    "spectral_norm_power_iteration", "spectral_norm_forward", "spectral_norm_backward",
    "bce_with_logits_forward", "bce_with_logits_backward",
    "softmax_cross_entropy_forward", "softmax_cross_entropy_backward",
    "adam_update", "sgd_momentum_update", "ema_update", "round_to_bfloat16", "bfloat16_to_float32",
    "to_device", "to_host", "zeros_like", "concat_rows", "copy_into", "Workspace",
)
