-- adagrad: per-coordinate steps scaled by the root of the sum of all squared gradients so far.
--
--   lr_t = lr / (1 + (t - 1) * lr_decay)
--   s <- s + g^2                                   (s starts at initial_accumulator_value)
--   p <- p - lr_t * g / (sqrt(s) + epsilon)
--
-- Duchi, Hazan & Singer (2011), "Adaptive Subgradient Methods for Online Learning and
-- Stochastic Optimization" (as PyTorch's Adagrad).
local step_kernel = optim.kernel {
  tensors = { "p", "g", "s" },
  body = function(t, c)
    local g = t.g + c.weight_decay * t.p
    local s = t.s + g * g
    return { s = s, p = t.p - c.lr * g / (s:sqrt() + c.epsilon) }
  end,
}

return {
  kind = "optimizer",
  name = "adagrad",
  doc = "AdaGrad: steps scaled by accumulated squared gradients (Duchi et al. 2011)",
  defaults = { lr = 1e-2, lr_decay = 0, initial_accumulator_value = 0, epsilon = 1e-10, weight_decay = 0 },
  init = function(param, h) return { sum = param:zeros_like():fill_(h.initial_accumulator_value) } end,
  update = function(param, grad, state, h, step)
    step_kernel {
      p = param, g = grad, s = state.sum, epsilon = h.epsilon, weight_decay = h.weight_decay,
      lr = h.lr / (1 + (step - 1) * h.lr_decay),
    }
  end,
}
