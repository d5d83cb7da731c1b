-- lookahead_adam: Adam inside Lookahead, as a named optimizer for studies, composed with
-- `build` from the built-in wrappers (no update rule of its own):
--
--   every k Adam steps: slow <- slow + alpha * (fast - slow); fast <- slow
--
-- Zhang et al. (2019), "Lookahead Optimizer: k steps forward, 1 step back" (k = 5, alpha = 0.5
-- with Adam in their experiments).
return {
  kind = "optimizer",
  name = "lookahead_adam",
  doc = "Adam wrapped in Lookahead (Zhang et al. 2019), built from optim.lookahead",
  defaults = { lr = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, lookahead_k = 5, lookahead_alpha = 0.5 },
  build = function(h)
    local adam = optim.new("adam", { lr = h.lr, beta1 = h.beta1, beta2 = h.beta2, epsilon = h.epsilon })
    return optim.lookahead(adam, { k = h.lookahead_k, alpha = h.lookahead_alpha })
  end,
}
