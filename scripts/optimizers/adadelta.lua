-- adadelta: steps whose units match the parameter's, from running averages of squared gradients
-- and squared updates; no global learning rate is needed (lr scales the result, 1 by default).
--
--   v <- rho * v + (1 - rho) * g^2
--   d = sqrt(u + epsilon) / sqrt(v + epsilon) * g
--   u <- rho * u + (1 - rho) * d^2
--   p <- p - lr * d
--
-- Zeiler (2012), "ADADELTA: An Adaptive Learning Rate Method", Algorithm 1 (as PyTorch).
local step_kernel = optim.kernel {
  tensors = { "p", "g", "v", "u" },
  body = function(t, c)
    local g = t.g + c.weight_decay * t.p
    local v = c.rho * t.v + (1 - c.rho) * g * g
    local d = (t.u + c.epsilon):sqrt() / (v + c.epsilon):sqrt() * g
    return { v = v, u = c.rho * t.u + (1 - c.rho) * d * d, p = t.p - c.lr * d }
  end,
}

return {
  kind = "optimizer",
  name = "adadelta",
  doc = "Adadelta: unit-corrected steps from running averages of g^2 and updates^2 (Zeiler 2012)",
  defaults = { lr = 1.0, rho = 0.9, epsilon = 1e-6, weight_decay = 0 },
  init = function(param) return { square_avg = param:zeros_like(), acc_delta = param:zeros_like() } end,
  update = function(param, grad, state, h)
    step_kernel {
      p = param, g = grad, v = state.square_avg, u = state.acc_delta,
      rho = h.rho, epsilon = h.epsilon, lr = h.lr, weight_decay = h.weight_decay,
    }
  end,
}
