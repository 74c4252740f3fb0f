"""minisep <-> Keras 3: constructor arguments and weight lists of the convolution layers.

    keras_config(layer)               the Keras constructor kwargs for a minisep conv layer
    keras_class_name(layer)           'Conv2D' | 'DepthwiseConv2D' | 'SeparableConv2D'
    to_keras(keras, layer)            the built Keras layer with the minisep layer's weights
    to_keras_weights(layer)           the list Keras' ``layer.set_weights`` takes, in Keras' order
    from_keras_weights(layer, ws)     a Keras weight list (``get_weights()``) into a minisep layer
    from_keras_layer(klayer)          the minisep layer equivalent to a built Keras layer

keras is never imported here: ``to_keras`` takes the ``keras`` module as an argument, the other
functions only read arrays and ``get_config()`` / ``get_weights()``.

Layers:

    minisep                                                Keras 3
    Conv2d(C, O, k, groups=g)                              Conv2D(O, k, groups=g)
    PointwiseConv2d(C, O)                                  Conv2D(O, 1)
    DepthwiseConv2d(C, kernel_size=k, depth_multiplier=m)  DepthwiseConv2D(k, depth_multiplier=m)
    SeparableConv2d(C, O, k, depth_multiplier=m)           SeparableConv2D(O, k, depth_multiplier=m)
      (mid=None only)

Arguments:

    minisep            Keras 3
    out_channels       filters            (DepthwiseConv2D has none: its output is C·m)
    kernel_size        kernel_size
    stride             strides
    padding            padding            'same' / 'valid' only (explicit zero padding = 'valid')
    dilation           dilation_rate
    depth_multiplier   depth_multiplier
    groups             groups             (Conv2D)
    bias               use_bias
    NCHW (always)      data_format        channels_last (N,H,W,C): x_minisep = x_keras.transpose(0,3,1,2);
                                          channels_first is NCHW already

'same' is one rule on both sides (also for stride > 1): P = ceil(H / s),
total = max((P - 1)·s + (k - 1)·d + 1 - H, 0), top = total // 2, bottom = total - top, so the odd extra
row/column goes to the bottom/right. Keras' Conv2D refuses stride > 1 together with dilation > 1.

Weight layouts (Keras' are the same for either data_format):

    Conv2D kernel              (kh,kw,C/g,O)  <->  Conv2d weight (O,C/g,kh,kw): K[i,j,c,o] = w[o,c,i,j]
    DepthwiseConv2D kernel     (kh,kw,C,m)    <->  depthwise weight (C·m,1,kh,kw): K[i,j,c,k] = w[c·m+k,0,i,j]
                                                   (output channel c·m + k on both sides)
    SeparableConv2D            depthwise_kernel (kh,kw,C,m)  <->  depthwise.weight (C·m,1,kh,kw), as above;
                               pointwise_kernel (1,1,C·m,O)  <->  pointwise.weight (O,C·m,1,1):
                                                                  P[0,0,j,o] = w[o,j,0,0];
                               bias (O,)                     <->  pointwise.bias (the block's one bias,
                                                                  added after the pointwise conv)
    bias                       (O,) on both sides

Not expressible in Keras (ValueError): explicit non-zero padding (put a ZeroPadding2D before a
'valid' layer), SeparableConv2d with mid='relu' / 'bn_relu' (two Keras layers with a BN / ReLU between),
Keras layers with an activation other than 'linear' (minisep's convs have none).
"""

from __future__ import annotations

import numpy as np

from .. import nn
from ..kernels.geometry import pair
from ..kernels.checks import FLOAT_DTYPES as _FLOATS


def _keras_padding(layer) -> str:
    """'same' / 'valid' for minisep padding; explicit zero padding is 'valid'; anything else a ValueError."""
    p = layer.padding
    if isinstance(p, str):
        if p.lower() in ("same", "valid"):
            return p.lower()
    elif all(int(v) == 0 for v in (p if isinstance(p, (tuple, list)) else (p,))):
        return "valid"
    raise ValueError(f"keras: {type(layer).__name__} has padding={p!r}, but Keras convolutions have only "
                     "'same' and 'valid'; put keras.layers.ZeroPadding2D(((pt, pb), (pl, pr))) before a "
                     "padding='valid' layer instead")


def keras_class_name(layer) -> str:
    """The Keras 3 layer class that matches minisep conv ``layer``."""
    if isinstance(layer, nn.SeparableConv2d):
        if layer.mid_kind is not None:
            raise ValueError(f"keras: SeparableConv2d with mid={layer.mid_kind!r} has no single Keras layer "
                             "(Keras' SeparableConv2D has nothing between the depthwise and pointwise convs); "
                             "build DepthwiseConv2D(use_bias=False), the mid layers and a 1x1 Conv2D instead")
        return "SeparableConv2D"
    if isinstance(layer, nn.DepthwiseConv2d):
        return "DepthwiseConv2D"
    if isinstance(layer, (nn.Conv2d, nn.PointwiseConv2d)):
        return "Conv2D"
    raise TypeError(f"keras: no Keras layer for minisep {type(layer).__name__}; supported: Conv2d, "
                    "PointwiseConv2d, DepthwiseConv2d, SeparableConv2d")


def keras_config(layer, data_format: str = "channels_last") -> dict:
    """Keras constructor kwargs for ``layer``: ``getattr(keras.layers, keras_class_name(layer))(**cfg)``."""
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"keras_config: data_format must be 'channels_last' or 'channels_first', "
                         f"got {data_format!r}")
    name = keras_class_name(layer)
    dtype = str(_weights(layer)[0][1].dtype)
    if isinstance(layer, nn.PointwiseConv2d):
        return dict(filters=layer.out_channels, kernel_size=(1, 1), strides=(1, 1), padding="valid",
                    dilation_rate=(1, 1), groups=1, use_bias=layer.bias is not None, data_format=data_format,
                    dtype=dtype)
    cfg = dict(kernel_size=tuple(layer.kernel_size), strides=pair(layer.stride, "stride", "keras_config"),
               padding=_keras_padding(layer), dilation_rate=pair(layer.dilation, "dilation", "keras_config"),
               use_bias=layer.bias is not None, data_format=data_format, dtype=dtype)
    if name == "Conv2D":
        if max(cfg["strides"]) > 1 and max(cfg["dilation_rate"]) > 1:
            raise ValueError(f"keras: Conv2d with stride={layer.stride} and dilation={layer.dilation}: Keras' "
                             "Conv2D does not support stride > 1 together with dilation > 1")
        return dict(filters=layer.out_channels, **cfg, groups=layer.groups)
    cfg["depth_multiplier"] = layer.depth_multiplier
    return cfg if name == "DepthwiseConv2D" else dict(filters=layer.out_channels, **cfg)


def _weights(layer) -> list[tuple[str, np.ndarray, tuple]]:
    """[(Keras weight name, minisep Parameter data, Keras shape)] in Keras' order."""
    def conv(w):
        return w.data, tuple(w.shape[i] for i in (2, 3, 1, 0))  # (O,Cg,kh,kw) -> (kh,kw,Cg,O)

    def depthwise(d):
        C, m = d.in_channels, d.depth_multiplier
        return d.weight.data, (*d.kernel_size, C, m)

    if isinstance(layer, nn.SeparableConv2d):
        keras_class_name(layer)  # mid must be None
        out = [("depthwise_kernel", *depthwise(layer.depthwise)), ("pointwise_kernel", *conv(layer.pointwise.weight))]
    elif isinstance(layer, nn.DepthwiseConv2d):
        out = [("depthwise_kernel", *depthwise(layer))]
    elif isinstance(layer, (nn.Conv2d, nn.PointwiseConv2d)):
        out = [("kernel", *conv(layer.weight))]
    else:
        keras_class_name(layer)  # raises the TypeError
    if layer.bias is not None:
        out.append(("bias", layer.bias.data, tuple(layer.bias.shape)))
    return out


def to_keras_weights(layer) -> list[np.ndarray]:
    """Copies of ``layer``'s weights in Keras' layouts and order (what ``klayer.set_weights`` takes)."""
    out = []
    for name, w, shape in _weights(layer):
        if name == "depthwise_kernel":
            kh, kw, C, m = shape
            k = w.reshape(C, m, kh, kw).transpose(2, 3, 0, 1)  # K[i,j,c,k] = w[c·m+k,0,i,j]
        else:
            k = w if name == "bias" else w.transpose(2, 3, 1, 0)  # K[i,j,c,o] = w[o,c,i,j]
        out.append(np.ascontiguousarray(k).copy())
    return out


def from_keras_weights(layer, weights) -> None:
    """Load a Keras weight list (``klayer.get_weights()`` order and layouts) into minisep ``layer``, in place.

    Every weight is checked before any is written: the count (ValueError), that each is an ndarray
    (TypeError) and each shape (ValueError naming the weight, its shape and the expected one). Values
    are cast to the layer's dtype.
    """
    if not isinstance(weights, (list, tuple)):
        raise TypeError(f"from_keras_weights: weights must be a list of ndarrays (klayer.get_weights()), "
                        f"got {type(weights).__name__}")
    slots = _weights(layer)
    names = [n for n, _, _ in slots]
    if len(weights) != len(slots):
        raise ValueError(f"from_keras_weights: {type(layer).__name__} takes {len(slots)} Keras weight(s) "
                         f"{names}, got {len(weights)}")
    for (name, _, shape), value in zip(slots, weights):
        if not isinstance(value, np.ndarray):
            raise TypeError(f"from_keras_weights: {name} must be an ndarray, got {type(value).__name__}")
        if value.dtype.kind not in "fiu":
            raise TypeError(f"from_keras_weights: {name} must be numeric, got dtype {value.dtype}")
        if tuple(value.shape) != shape:
            raise ValueError(f"from_keras_weights: {name} has shape {tuple(value.shape)}, expected {shape} "
                             f"for {type(layer).__name__} {layer.extra_repr()}")
    for (name, target, shape), value in zip(slots, weights):
        if name == "depthwise_kernel":  # (kh,kw,C,m) -> (C,m,kh,kw) -> (C·m,1,kh,kw)
            value = value.transpose(2, 3, 0, 1).reshape(target.shape)
        elif name != "bias":
            value = value.transpose(3, 2, 0, 1)  # (kh,kw,Cg,O) -> (O,Cg,kh,kw)
        np.copyto(target, value, casting="unsafe")  # in place: optimizers keep their references


def to_keras(keras, layer, data_format: str = "channels_last"):
    """The Keras layer for ``layer``, built for its channel count, with its weights set."""
    klayer = getattr(keras.layers, keras_class_name(layer))(**keras_config(layer, data_format))
    C = layer.in_channels
    klayer.build((None, None, None, C) if data_format == "channels_last" else (None, C, None, None))
    klayer.set_weights(to_keras_weights(layer))
    return klayer


def _simple(v, name: str):
    """(s, s) -> s, so the minisep layer's repr stays short; other pairs stay tuples."""
    t = pair(v, name, "from_keras_layer")
    return t[0] if t[0] == t[1] else t


def from_keras_layer(klayer):
    """The minisep layer equivalent to built Keras ``klayer`` (Conv2D, DepthwiseConv2D or SeparableConv2D).

    Reads only ``klayer.get_config()`` and ``klayer.get_weights()``; the minisep layer gets the weights'
    dtype (float32 or float64). Its input is NCHW whatever the Keras data_format was.
    """
    kinds = [c.__name__ for c in type(klayer).__mro__]
    kind = next((k for k in ("SeparableConv2D", "DepthwiseConv2D", "Conv2D") if k in kinds), None)
    if kind is None or not hasattr(klayer, "get_config"):
        raise TypeError(f"from_keras_layer: expected a Keras Conv2D, DepthwiseConv2D or SeparableConv2D, "
                        f"got {type(klayer).__name__}")
    cfg = klayer.get_config()
    weights = klayer.get_weights()
    if not weights:
        raise ValueError(f"from_keras_layer: the Keras {kind} has no weights yet; build it first "
                         "(klayer.build(input_shape) or call it once)")
    act = cfg.get("activation", "linear")
    if act not in (None, "linear"):
        raise ValueError(f"from_keras_layer: activation={act!r}; minisep convs have no activation, so build "
                         "the Keras layer with activation=None and add the activation as its own layer")
    padding = str(cfg.get("padding", "valid")).lower()
    if padding not in ("same", "valid"):
        raise ValueError(f"from_keras_layer: padding={cfg.get('padding')!r}; minisep takes 'same' or 'valid'")
    dt = weights[0].dtype
    if dt not in _FLOATS:
        raise ValueError(f"from_keras_layer: the weights are {dt}; minisep layers are float32 or float64")
    geo = dict(stride=_simple(cfg.get("strides", 1), "strides"), padding=padding,
               dilation=_simple(cfg.get("dilation_rate", 1), "dilation_rate"), bias=bool(cfg.get("use_bias", True)), rng=0, dtype=dt.type)
    k = _simple(cfg["kernel_size"], "kernel_size")
    if kind == "Conv2D":
        g = int(cfg.get("groups", 1) or 1)
        C, O = weights[0].shape[2] * g, int(cfg["filters"])
        layer = nn.Conv2d(C, O, k, groups=g, **geo)
    elif kind == "DepthwiseConv2D":
        C, m = weights[0].shape[2], int(cfg["depth_multiplier"])
        layer = nn.DepthwiseConv2d(C, kernel_size=k, depth_multiplier=m, **geo)
    else:
        C, m = weights[0].shape[2], int(cfg["depth_multiplier"])
        layer = nn.SeparableConv2d(C, int(cfg["filters"]), k, depth_multiplier=m, **geo)
    from_keras_weights(layer, list(weights))
    return layer
