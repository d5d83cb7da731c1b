-- adabelief: Adam whose second moment tracks the "belief" (g - m)^2, the squared deviation of
-- the gradient from its running mean, instead of g^2: large steps where the gradient agrees
-- with its prediction, small ones where it does not.
--
--   m <- beta1 * m + (1 - beta1) * g
--   s <- beta2 * s + (1 - beta2) * (g - m)^2 + epsilon
--   p <- p * (1 - lr * weight_decay)                                 (decoupled decay)
--   p <- p - lr * (m / (1 - beta1^t)) / (sqrt(s / (1 - beta2^t)) + epsilon)
--
-- Zhuang et al. (2020), "AdaBelief Optimizer: Adapting Stepsizes by the Belief in Observed
-- Gradients", Algorithm 2 (epsilon added inside s, as the authors' PyTorch package does).
local step_kernel = optim.kernel {
  tensors = { "p", "g", "m", "s" },
  body = function(t, c)
    local m = c.beta1 * t.m + (1 - c.beta1) * t.g
    local d = t.g - m
    local s = c.beta2 * t.s + (1 - c.beta2) * d * d + c.epsilon
    local p = t.p * c.shrink
    return { m = m, s = s, p = p - c.step_size * m / (s:sqrt() * c.s_scale + c.epsilon) }
  end,
}

return {
  kind = "optimizer",
  name = "adabelief",
  doc = "AdaBelief: Adam with the belief (g - m)^2 as second moment (Zhuang et al. 2020)",
  defaults = { lr = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-16, weight_decay = 0 },
  init = function(param) return { exp_avg = param:zeros_like(), exp_avg_var = param:zeros_like() } end,
  update = function(param, grad, state, h, step)
    step_kernel {
      p = param, g = grad, m = state.exp_avg, s = state.exp_avg_var,
      beta1 = h.beta1, beta2 = h.beta2, epsilon = h.epsilon,
      shrink = 1 - h.lr * h.weight_decay,
      step_size = h.lr / (1 - h.beta1 ^ step),
      s_scale = 1 / math.sqrt(1 - h.beta2 ^ step),
    }
  end,
}
