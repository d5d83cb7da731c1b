-- nadam: Adam with Nesterov momentum, with the momentum-decay schedule of Dozat's paper as
-- PyTorch's NAdam implements it.
--
--   mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay))
--   mu_prod <- mu_prod * mu_t                                 (a number in the state)
--   m <- beta1 * m + (1 - beta1) * g;   v <- beta2 * v + (1 - beta2) * g^2
--   d = sqrt(v / (1 - beta2^t)) + epsilon
--   p <- p - lr * (1 - mu_t) / (1 - mu_prod) * g / d
--          - lr * mu_{t+1} / (1 - mu_prod * mu_{t+1}) * m / d
--
-- Dozat (2016), "Incorporating Nesterov Momentum into Adam", ICLR workshop.
local step_kernel = optim.kernel {
  tensors = { "p", "g", "m", "v" },
  body = function(t, c)
    local g = t.g + c.weight_decay * t.p
    local m = c.beta1 * t.m + (1 - c.beta1) * g
    local v = c.beta2 * t.v + (1 - c.beta2) * g * g
    local d = v:sqrt() * c.v_scale + c.epsilon
    return { m = m, v = v, p = t.p - c.grad_coef * g / d - c.m_coef * m / d }
  end,
}

return {
  kind = "optimizer",
  name = "nadam",
  doc = "NAdam: Adam with Nesterov momentum and momentum decay (Dozat 2016; PyTorch NAdam)",
  defaults = { lr = 2e-3, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, momentum_decay = 4e-3, weight_decay = 0 },
  init = function(param)
    return { exp_avg = param:zeros_like(), exp_avg_sq = param:zeros_like(), mu_product = 1 }
  end,
  update = function(param, grad, state, h, step)
    local mu = h.beta1 * (1 - 0.5 * 0.96 ^ (step * h.momentum_decay))
    local mu_next = h.beta1 * (1 - 0.5 * 0.96 ^ ((step + 1) * h.momentum_decay))
    state.mu_product = state.mu_product * mu
    step_kernel {
      p = param, g = grad, m = state.exp_avg, v = state.exp_avg_sq,
      beta1 = h.beta1, beta2 = h.beta2, epsilon = h.epsilon, weight_decay = h.weight_decay,
      v_scale = 1 / math.sqrt(1 - h.beta2 ^ step),
      grad_coef = h.lr * (1 - mu) / (1 - state.mu_product),
      m_coef = h.lr * mu_next / (1 - state.mu_product * mu_next),
    }
  end,
}
