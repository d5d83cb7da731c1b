"""Writes the Optax 0.2.8 reference trajectories the modern-optimizer tests compare against.

Not needed to run the tests (the .npy files beside it are committed); run it to regenerate:
    python3 -m venv /tmp/ox && /tmp/ox/bin/pip install optax==0.2.8 jax numpy
    /tmp/ox/bin/python Tests/PluginsTests/Fixtures/optax/make_fixtures.py
Descent's layout is [out, in] and Optax's [in, out]: 2-D parameters go to Optax transposed and
come back transposed. Each case: parameters p0, gradients for T steps, parameters after each.
"""
import os
import jax
import jax.numpy as jnp
import numpy as np
import optax

T = 5
HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(7)
SHAPES = {"mat": (6, 5), "wide": (3, 8), "vec": (7,), "conv": (4, 3, 3, 3)}
p0 = {k: rng.standard_normal(s).astype(np.float32) for k, s in SHAPES.items()}
grads = {k: rng.standard_normal((T,) + s).astype(np.float32) for k, s in SHAPES.items()}

def to_optax(a):
    return a.T if a.ndim == 2 else a

CASES = {
    "lamb": optax.lamb(0.01, weight_decay=0.01),
    "adafactor": optax.adafactor(0.01, min_dim_size_to_factor=4, momentum=0.9),
    "adafactor_default": optax.adafactor(0.01),
    "schedule_free_adamw": optax.contrib.schedule_free_adamw(0.01, warmup_steps=2, weight_decay=0.01),
    "muon": optax.contrib.muon(0.02, weight_decay=0.01),
}

for name, opt in CASES.items():
    params = {k: jnp.asarray(to_optax(v)) for k, v in p0.items()}
    state = opt.init(params)
    trail = {k: [] for k in SHAPES}
    for t in range(T):
        g = {k: jnp.asarray(to_optax(grads[k][t])) for k in SHAPES}
        updates, state = opt.update(g, state, params)
        params = optax.apply_updates(params, updates)
        for k in SHAPES:
            trail[k].append(to_optax(np.asarray(params[k])))
    for k in SHAPES:
        np.save(os.path.join(HERE, f"{name}_want_{k}.npy"), np.ascontiguousarray(np.stack(trail[k]), dtype=np.float32))
    if name == "schedule_free_adamw":
        x = optax.contrib.schedule_free_eval_params(state, params)
        for k in SHAPES:
            np.save(os.path.join(HERE, f"{name}_x_{k}.npy"), np.ascontiguousarray(to_optax(np.asarray(x[k])), dtype=np.float32))
for k in SHAPES:
    np.save(os.path.join(HERE, f"p0_{k}.npy"), p0[k])
    np.save(os.path.join(HERE, f"g_{k}.npy"), grads[k])
print("wrote", len(os.listdir(HERE)) - 1, "files")
