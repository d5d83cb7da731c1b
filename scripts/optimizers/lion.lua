-- lion: EvoLved Sign Momentum. The update is the sign of an interpolation between the momentum
-- and the gradient, so every coordinate moves by exactly lr (plus decoupled weight decay).
--
--   c <- beta1 * m + (1 - beta1) * g
--   p <- p - lr * (sign(c) + weight_decay * p)
--   m <- beta2 * m + (1 - beta2) * g
--
-- Chen et al. (2023), "Symbolic Discovery of Optimization Algorithms", Algorithm 2.
-- Use a learning rate 3-10x smaller than AdamW's and a weight decay 3-10x larger.
local lion = optim.kernel {
  tensors = { "p", "g", "m" },
  body = function(t, s)
    local c = s.beta1 * t.m + (1 - s.beta1) * t.g
    return {
      p = t.p - s.lr * (c:sign() + s.weight_decay * t.p),
      m = s.beta2 * t.m + (1 - s.beta2) * t.g,
    }
  end,
}

return {
  kind = "optimizer",
  name = "lion",
  doc = "Lion: sign of interpolated momentum, decoupled weight decay (Chen et al. 2023)",
  defaults = { lr = 1e-4, beta1 = 0.9, beta2 = 0.99, weight_decay = 0 },
  init = function(param) return { exp_avg = param:zeros_like() } end,
  update = function(param, grad, state, hyper)
    lion { p = param, g = grad, m = state.exp_avg, lr = hyper.lr, beta1 = hyper.beta1, beta2 = hyper.beta2, weight_decay = hyper.weight_decay }
  end,
}
