-- lua_momentum: SGD with momentum, the native `momentum` optimizer's default (tf1/PyTorch) form
-- re-implemented with plain tensor operations, as a readable reference and a test of the bridge.
--
--   g <- g + weight_decay * p
--   a <- momentum * a + g
--   p <- p - lr * a                    (nesterov: p <- p - lr * (g + momentum * a))
--
-- Polyak (1964), "Some methods of speeding up the convergence of iteration methods";
-- Sutskever et al. (2013), "On the importance of initialization and momentum in deep learning".
return {
  kind = "optimizer",
  name = "lua_momentum",
  doc = "SGD with momentum in Lua tensor ops (reference copy of native momentum, tf1 form)",
  defaults = { lr = 0.01, momentum = 0.9, nesterov = false, weight_decay = 0 },
  init = function(param, hyper)
    return { momentum_buffer = param:zeros_like() }
  end,
  update = function(param, grad, state, hyper, step)
    local g = grad
    if hyper.weight_decay ~= 0 then g = grad + param * hyper.weight_decay end
    local a = state.momentum_buffer
    a:mul_(hyper.momentum):add_(g)
    if hyper.nesterov then
      param:add_(g + a * hyper.momentum, -hyper.lr)
    else
      param:add_(a, -hyper.lr)
    end
  end,
}
