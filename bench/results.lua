-- results.lua: wrk script for result writes: each connection alternates
-- POST /api/v0/results/ (create) and PUT /api/v0/results/{id}/ (finalize
-- with metrics), so every response is one acknowledged write.
-- Environment: BENCH_TOKEN, BENCH_BENCHMARK, BENCH_MODEL, BENCH_DATASET.
local token = os.getenv("BENCH_TOKEN")
local create = string.format(
  '{"benchmark":%s,"model":%s,"dataset":%s,"name":"bench","results":{},"metadata":{},' ..
  '"model_report":{"execution_status":"started"}}',
  os.getenv("BENCH_BENCHMARK"), os.getenv("BENCH_MODEL"), os.getenv("BENCH_DATASET"))
local finalize = '{"results":{"AUC":0.8123,"Accuracy":0.75},"metadata":{"partial":false}}'
local pending = {}
local errors = 0

wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Content-Type"] = "application/json"

request = function()
  local id = table.remove(pending)
  if id then
    return wrk.format("PUT", "/api/v0/results/" .. id .. "/", nil, finalize)
  end
  return wrk.format("POST", "/api/v0/results/", nil, create)
end

response = function(status, headers, body)
  if status == 201 then
    local id = string.match(body, '^{"id":(%d+)')
    if id then table.insert(pending, id) end
  elseif status ~= 200 then
    errors = errors + 1
  end
end

done = function(summary, latency, requests)
  io.write(string.format("non-2xx answers: %d\n", summary.errors.status))
end
