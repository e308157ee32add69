-- wrk script for bench/request-overhead: each request goes to one of the paths in PATHS (space-separated, from
-- the environment), picked at random, so that every page is measured at the same moments and in no fixed
-- position (a fixed rotation gave each connection the same page, and the position alone moved the timings).
local paths = {}
for p in string.gmatch(os.getenv("PATHS") or "/plain.php", "%S+") do
  paths[#paths + 1] = p
end
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
