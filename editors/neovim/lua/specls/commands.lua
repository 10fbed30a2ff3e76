-- The user commands (`:help specls-commands`). Created by plugin/specls.lua at startup and again
-- by `setup()` (idempotent), so they exist however the plugin was installed: a package, a
-- lazy.nvim spec, or a folder added to 'runtimepath' after startup.
local M = {}

function M.create()
  local function cmd(name, fn, opts)
    vim.api.nvim_create_user_command(name, fn, opts)
  end
  cmd('SpecTest', function(a)
    require('specls').test(a.bang)
  end, { bang = true, force = true, desc = 'specls: run the tests of this spec (! every spec)' })
  cmd('SpecTestScenario', function(a)
    require('specls').test_scenario(a.fargs)
  end, {
    nargs = '*',
    force = true,
    desc = 'specls: run the tests of the scenario at the cursor (or of the given ids)',
  })
  cmd('SpecCompile', function(a)
    require('specls').compile(a.bang)
  end, { bang = true, force = true, desc = 'specls: compile this spec (! even if unchanged)' })
  cmd('SpecEdgeCases', function()
    require('specls').edge_cases()
  end, { force = true, desc = 'specls: propose edge-case scenarios at the cursor' })
  cmd('SpecDrift', function(a)
    require('specls').drift(a.bang)
  end, { bang = true, force = true, desc = 'specls: spec/code drift of this spec (! the workspace)' })
  cmd('SpecHealth', function()
    require('specls').health()
  end, { force = true, desc = 'specls: counts of specs, scenarios, failing, untested, drifted' })
  cmd('SpecCancel', function()
    require('specls').cancel()
  end, { force = true, desc = 'specls: cancel the test run or compile in progress' })
end

return M
