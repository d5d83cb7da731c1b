-- adabound: Adam whose per-coordinate step size is clipped into bounds that start at [0, inf)
-- and close in on final_lr, so training moves smoothly from Adam to SGD. Not in torch.optim
-- or Optax.
--
--   m <- beta1 * m + (1 - beta1) * g;   v <- beta2 * v + (1 - beta2) * g^2
--   lower = final_lr * (1 - 1 / (gamma * t + 1));   upper = final_lr * (1 + 1 / (gamma * t))
--   eta = clamp(lr * sqrt(1 - beta2^t) / (1 - beta1^t) / (sqrt(v) + epsilon), lower, upper)
--   p <- p - eta * m
--
-- Luo et al. (2019), "Adaptive Gradient Methods with Dynamic Bound of Learning Rate", ICLR
-- (Algorithm 2 with the bound functions of the authors' code). final_lr is absolute, as in the
-- paper: the authors' code also rescales it by lr / initial lr, which is undefined under a
-- warmup that starts at 0, so a schedule changes the Adam phase but not the SGD limit.
local step_kernel = optim.kernel {
  tensors = { "p", "g", "m", "v" },
  body = function(t, c)
    local g = t.g + c.weight_decay * t.p
    local m = c.beta1 * t.m + (1 - c.beta1) * g
    local v = c.beta2 * t.v + (1 - c.beta2) * g * g
    local eta = (c.step_size / (v:sqrt() + c.epsilon)):clamp(c.lower, c.upper)
    return { m = m, v = v, p = t.p - eta * m }
  end,
}

return {
  kind = "optimizer",
  name = "adabound",
  doc = "AdaBound: Adam with step sizes clipped into bounds converging to SGD (Luo et al. 2019)",
  defaults = { lr = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, final_lr = 0.1, gamma = 1e-3, weight_decay = 0 },
  init = function(param)
    return { exp_avg = param:zeros_like(), exp_avg_sq = param:zeros_like() }
  end,
  update = function(param, grad, state, h, step)
    local final = h.final_lr
    step_kernel {
      p = param, g = grad, m = state.exp_avg, v = state.exp_avg_sq,
      beta1 = h.beta1, beta2 = h.beta2, epsilon = h.epsilon, weight_decay = h.weight_decay,
      step_size = h.lr * math.sqrt(1 - h.beta2 ^ step) / (1 - h.beta1 ^ step),
      lower = final * (1 - 1 / (h.gamma * step + 1)),
      upper = final * (1 + 1 / (h.gamma * step)),
    }
  end,
}
