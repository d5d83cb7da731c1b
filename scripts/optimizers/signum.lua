-- signum: signSGD with momentum. Only the sign of the momentum is used, so each coordinate
-- moves by exactly lr; a 1-bit update that compresses well for distributed training.
--
--   m <- momentum * m + (1 - momentum) * g
--   p <- p - lr * (sign(m) + weight_decay * p)
--
-- Bernstein et al. (2018), "signSGD: Compressed Optimisation for Non-Convex Problems",
-- Algorithm 3 (Signum).
local step_kernel = optim.kernel {
  tensors = { "p", "g", "m" },
  body = function(t, c)
    local m = c.momentum * t.m + (1 - c.momentum) * t.g
    return { m = m, p = t.p - c.lr * (m:sign() + c.weight_decay * t.p) }
  end,
}

return {
  kind = "optimizer",
  name = "signum",
  doc = "Signum: sign of the gradient's momentum (Bernstein et al. 2018)",
  defaults = { lr = 1e-4, momentum = 0.9, weight_decay = 0 },
  init = function(param) return { momentum_buffer = param:zeros_like() } end,
  update = function(param, grad, state, h)
    step_kernel { p = param, g = grad, m = state.momentum_buffer, lr = h.lr, momentum = h.momentum, weight_decay = h.weight_decay }
  end,
}
