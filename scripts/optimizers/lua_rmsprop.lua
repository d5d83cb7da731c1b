-- lua_rmsprop: RMSProp in the native `rmsprop` optimizer's default (PyTorch) form, in plain
-- tensor operations: a readable reference and a test of the bridge.
--
--   s <- rho * s + (1 - rho) * g^2
--   centered: c <- rho * c + (1 - rho) * g, and s - c^2 replaces s below
--   d <- sqrt(s) + epsilon
--   momentum = 0:  p <- p - lr * g / d
--   momentum > 0:  b <- momentum * b + g / d;  p <- p - lr * b
--
-- Tieleman & Hinton (2012), Lecture 6.5 of "Neural Networks for Machine Learning";
-- the centered variant: Graves (2013), "Generating sequences with recurrent neural networks".
return {
  kind = "optimizer",
  name = "lua_rmsprop",
  doc = "RMSProp in Lua tensor ops (reference copy of native rmsprop, PyTorch form)",
  defaults = { lr = 0.01, rho = 0.99, momentum = 0, epsilon = 1e-8, centered = false, weight_decay = 0 },
  init = function(param, hyper)
    return { square_avg = param:zeros_like(), grad_avg = param:zeros_like(), momentum_buffer = param:zeros_like() }
  end,
  update = function(param, grad, state, hyper, step)
    local g = grad
    if hyper.weight_decay ~= 0 then g = grad + param * hyper.weight_decay end
    local s = state.square_avg
    s:mul_(hyper.rho):addcmul_(g, g, 1 - hyper.rho)
    local avg = s
    if hyper.centered then
      state.grad_avg:lerp_(g, 1 - hyper.rho)
      avg = s - state.grad_avg:square()
    end
    local d = avg:sqrt():add_(hyper.epsilon)
    if hyper.momentum > 0 then
      state.momentum_buffer:mul_(hyper.momentum):addcdiv_(g, d)
      param:add_(state.momentum_buffer, -hyper.lr)
    else
      param:addcdiv_(g, d, -hyper.lr)
    end
  end,
}
