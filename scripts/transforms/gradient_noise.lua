-- gradient_noise: annealed Gaussian noise added to every gradient of the step,
--
--   g <- g + N(0, sigma_t^2),   sigma_t^2 = eta / (1 + t)^gamma
--
-- Neelakantan et al. (2015), "Adding Gradient Noise Improves Learning for Very Deep Networks"
-- (eta in {0.01, 0.3, 1}, gamma = 0.55). The noise is seeded by `seed`, the step and the
-- parameter's position, so a run is reproducible and resumes bit for bit.
-- Use: optim.chain{ optim.transform("gradient_noise", { eta = 0.01 }), optim.new("sgd") }
return {
  kind = "transform",
  name = "gradient_noise",
  doc = "Annealed Gaussian gradient noise, variance eta / (1 + t)^gamma (Neelakantan et al. 2015)",
  defaults = { eta = 0.01, gamma = 0.55, seed = 1 },
  update = function(grads, state, hyper, params, count)
    local sigma = math.sqrt(hyper.eta / (1 + count) ^ hyper.gamma)
    for i, g in ipairs(grads) do
      g:add_(tensor.randn(g:shape(), (hyper.seed * 1000003 + count * 1009 + i) % 2147483647), sigma)
    end
  end,
}
