-- medians(runs, warmup, f, g): the median seconds of `f` and of `g`, called in turn (A, B, A,
-- B, ...) so the machine's drift hits both (see Measure.interleavedMedians).
function medians(runs, warmup, f, g)
  for _ = 1, warmup do f(); g() end
  local tf, tg = {}, {}
  for i = 1, runs do
    local t0 = clock(); f(); tf[i] = clock() - t0
    t0 = clock(); g(); tg[i] = clock() - t0
  end
  table.sort(tf); table.sort(tg)
  return tf[runs // 2 + 1], tg[runs // 2 + 1]
end
