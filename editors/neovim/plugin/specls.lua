-- specls user commands (`:help specls-commands`). The server starts once
-- `require('specls').setup()` has run (lazy.nvim does it through `opts`).
if vim.g.loaded_specls then
  return
end
vim.g.loaded_specls = true

local function cmd(name, fn, opts)
  vim.api.nvim_create_user_command(name, fn, opts)
end

cmd('SpecTest', function(a)
  require('specls').test(a.bang)
end, { bang = true, desc = 'specls: run the tests of this spec (! every spec)' })
cmd('SpecTestScenario', function(a)
  require('specls').test_scenario(a.fargs)
end, { nargs = '*', desc = 'specls: run the tests of the scenario at the cursor (or of the given ids)' })
cmd('SpecCompile', function(a)
  require('specls').compile(a.bang)
end, { bang = true, desc = 'specls: compile this spec (! even if unchanged)' })
cmd('SpecEdgeCases', function()
  require('specls').edge_cases()
end, { desc = 'specls: propose edge-case scenarios at the cursor' })
cmd('SpecDrift', function(a)
  require('specls').drift(a.bang)
end, { bang = true, desc = 'specls: spec/code drift of this spec (! the workspace)' })
cmd('SpecHealth', function()
  require('specls').health()
end, { desc = 'specls: counts of specs, scenarios, failing, untested, drifted' })
cmd('SpecCancel', function()
  require('specls').cancel()
end, { desc = 'specls: cancel the test run or compile in progress' })
