-- End-to-end tests of the specls plugin in a real Neovim, against the real server, on a copy of
-- specs/examples/task-management (prepared by ./run). Each test asserts what a user gets.
local M = {}

local WS = assert(os.getenv('SPECLS_E2E_WORKSPACE'), 'SPECLS_E2E_WORKSPACE is not set')
local TIMEOUT = 20000
local results = {}

local function out(s)
  io.stdout:write(s .. '\n')
  io.stdout:flush()
end

local function fail(msg, ...)
  error(string.format(msg, ...), 0)
end

local function wait(what, pred, ms)
  local value
  local ok = vim.wait(ms or TIMEOUT, function()
    value = pred()
    return value ~= nil and value ~= false
  end, 50)
  if not ok then
    fail('timed out waiting for %s', what)
  end
  return value
end

local function test(name, fn)
  local t0 = vim.uv.hrtime()
  local ok, err = xpcall(fn, function(e)
    return type(e) == 'string' and e or vim.inspect(e)
  end)
  local ms = math.floor((vim.uv.hrtime() - t0) / 1e6)
  results[#results + 1] = { name = name, ok = ok, err = err }
  out(('%s %s (%d ms)%s'):format(ok and 'PASS' or 'FAIL', name, ms, ok and '' or ('\n    ' .. err)))
end

local function path(rel)
  return WS .. '/' .. rel
end

--- Line (0-based) and column (0-based, bytes) of the first `needle` in a buffer.
local function find(buf, needle, nth)
  nth = nth or 1
  for i, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    local col = line:find(needle, 1, true)
    if col then
      nth = nth - 1
      if nth == 0 then
        return i - 1, col - 1
      end
    end
  end
  fail('%q not found in %s', needle, vim.api.nvim_buf_get_name(buf))
end

local function client_of(buf)
  return vim.lsp.get_clients({ name = 'specls', bufnr = buf })[1]
end

local function open(rel)
  vim.cmd.edit(vim.fn.fnameescape(path(rel)))
  local buf = vim.api.nvim_get_current_buf()
  wait('specls to attach to ' .. rel, function()
    local c = client_of(buf)
    return c and c.initialized
  end)
  return buf
end

local function request(buf, method, params)
  local c = assert(client_of(buf), 'no specls client')
  local resp, err = c:request_sync(method, params, TIMEOUT, buf)
  if not resp then
    fail('%s: %s', method, tostring(err))
  end
  if resp.err then
    fail('%s: %s', method, vim.inspect(resp.err))
  end
  return resp.result
end

local function pos_params(buf, line, col)
  return {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    position = { line = line, character = col },
  }
end

local function buffer_text(buf)
  return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
end

local function messages_since(n)
  local msgs = {}
  for i = n + 1, #_G.E2E_MESSAGES do
    msgs[#msgs + 1] = _G.E2E_MESSAGES[i].msg
  end
  return msgs
end

--- What the user reads in `:messages` (the server's window/showMessage lands there).
local function echoed()
  return vim.api.nvim_exec2('messages', { output = true }).output
end

--- Waits for a notification from the plugin that contains `needle`, sent after mark `n`.
local function wait_notified(what, n, needle, ms)
  return wait(what, function()
    for _, m in ipairs(messages_since(n)) do
      if m:find(needle, 1, true) then
        return m
      end
    end
  end, ms)
end

--- Waits until `:messages` shows `needle` (cleared before the action with `:messages clear`).
local function wait_echoed(what, needle, ms)
  return wait(what, function()
    local all = echoed()
    return all:find(needle, 1, true) and all
  end, ms)
end

local function read_file(p)
  local f = io.open(p, 'r')
  if not f then
    return nil
  end
  local s = f:read('*a')
  f:close()
  return s
end

local SPEC = 'tasks.spec.yaml'

function M.run()
  out('e2e: Neovim ' .. tostring(vim.version()) .. ', workspace ' .. WS)
  local spec

  test('spec buffers keep their filetype and get specls', function()
    spec = open(SPEC)
    if vim.bo[spec].filetype ~= 'yaml' then
      fail('filetype %q, expected yaml', vim.bo[spec].filetype)
    end
    local c = client_of(spec)
    if c.root_dir ~= WS then
      fail('root %s, expected %s', tostring(c.root_dir), WS)
    end
  end)

  test('a conflict is a diagnostic at the scenario name', function()
    local line, col = find(spec, 'Completing a task leaves it pending')
    local d = wait('a conflicting-scenarios diagnostic', function()
      for _, d in ipairs(vim.diagnostic.get(spec)) do
        if d.code == 'conflicting-scenarios' and d.lnum == line then
          return d
        end
      end
    end)
    if d.col ~= col or d.severity ~= vim.diagnostic.severity.ERROR then
      fail('diagnostic at %d:%d severity %d, expected %d:%d ERROR', d.lnum, d.col, d.severity, line, col)
    end
    if not d.message:find('Complete a task', 1, true) then
      fail('message does not name the other scenario: %s', d.message)
    end
  end)

  test('hover on a scenario tells what it is', function()
    local line, col = find(spec, 'Create a simple task')
    local h = request(spec, 'textDocument/hover', pos_params(spec, line, col + 2))
    local text = h and h.contents and (h.contents.value or vim.inspect(h.contents)) or ''
    if not text:find('Create a simple task', 1, true) or not text:find('task-create', 1, true) then
      fail('hover text: %s', text)
    end
  end)

  test('document symbols list the scenarios', function()
    local syms = request(spec, 'textDocument/documentSymbol', { textDocument = { uri = vim.uri_from_bufnr(spec) } })
    local names = {}
    local function walk(list)
      for _, s in ipairs(list or {}) do
        names[s.name] = true
        walk(s.children)
      end
    end
    walk(syms)
    for _, n in ipairs({ 'Create a simple task', 'Complete a task', 'Completing a task leaves it pending' }) do
      if not names[n] then
        fail('no symbol %q in %s', n, vim.inspect(vim.tbl_keys(names)))
      end
    end
  end)

  test('code lenses are shown above scenarios', function()
    local lenses = wait('code lenses', function()
      local l = vim.lsp.codelens.get(spec)
      return #l > 0 and l
    end)
    local line = find(spec, 'Create a simple task')
    local runs = 0
    for _, l in ipairs(lenses) do
      if l.command and l.command.command == 'specls.runTests' and l.range.start.line == line then
        runs = runs + 1
      end
    end
    if runs == 0 then
      fail('no run lens on line %d: %s', line, vim.inspect(lenses[1]))
    end
  end)

  test('default key maps are set on spec buffers', function()
    local m = vim.fn.maparg(',sr', 'n', false, true)
    if m.buffer ~= 1 or not (m.rhs or ''):find('SpecTestScenario', 1, true) then
      fail('<localleader>sr: %s', vim.inspect(m))
    end
  end)

  test('goto definition goes from a scenario to its test', function()
    vim.api.nvim_set_current_buf(spec)
    local line, col = find(spec, 'Create a simple task')
    vim.api.nvim_win_set_cursor(0, { line + 1, col + 2 })
    local t0 = vim.uv.hrtime()
    request(spec, 'textDocument/definition', pos_params(spec, line, col + 2))
    out(('    definition request: %d ms'):format((vim.uv.hrtime() - t0) / 1e6))
    vim.lsp.buf.definition()
    wait('the test file', function()
      return vim.api.nvim_buf_get_name(0):match('tests/test_tasks%.py$')
    end)
    local buf = vim.api.nvim_get_current_buf()
    local def = find(buf, 'def test_create_a_simple_task')
    local cursor = vim.api.nvim_win_get_cursor(0)[1] - 1
    -- The marker line or the test function right below it.
    if cursor ~= def and cursor ~= def - 1 then
      fail('cursor on line %d (%s), expected %d', cursor + 1, vim.api.nvim_get_current_line(), def + 1)
    end
    if not client_of(buf) then
      fail('specls did not attach to the test file')
    end
  end)

  test('the untested quick fix writes a test skeleton', function()
    vim.api.nvim_set_current_buf(spec)
    local line, col = find(spec, 'Completing a task leaves it pending')
    wait('a scenario-untested diagnostic', function()
      for _, d in ipairs(vim.diagnostic.get(spec)) do
        if d.code == 'scenario-untested' and d.lnum == line then
          return d
        end
      end
    end)
    vim.api.nvim_win_set_cursor(0, { line + 1, col })
    local chosen
    vim.lsp.buf.code_action({
      context = { only = { 'quickfix' } },
      filter = function(a)
        if a.kind == 'quickfix' and a.title:lower():find('test') then
          chosen = a.title
          return true
        end
        return false
      end,
      apply = true,
    })
    local marker = 'task-complete-stays-pending'
    wait('a quick fix offered', function()
      return chosen
    end)
    wait('a buffer with the new test (after applying ' .. tostring(chosen) .. ')', function()
      for _, b in ipairs(vim.api.nvim_list_bufs()) do
        if b ~= spec and vim.api.nvim_buf_is_loaded(b) and buffer_text(b):find('@spec ' .. marker, 1, true) then
          out('    applied: ' .. chosen .. ' -> ' .. vim.fn.fnamemodify(vim.api.nvim_buf_get_name(b), ':t'))
          return b
        end
      end
    end)
  end)

  test(':SpecTestScenario runs the scenario at the cursor and its lens shows the result', function()
    vim.api.nvim_set_current_buf(spec)
    local c = client_of(spec)
    if not vim.tbl_contains(c.server_capabilities.executeCommandProvider.commands, 'specls.runTests') then
      out('    skipped: this server does not provide specls.runTests yet')
      return
    end
    local line, col = find(spec, 'Create a simple task')
    vim.api.nvim_win_set_cursor(0, { line + 1, col })
    vim.cmd('SpecTestScenario')
    local last = 0
    local title = wait('a passed lens on the scenario', function()
      -- Lenses refresh on progress end, on the server's request and on CursorHold; the last
      -- one is what a user who waits gets, so it is simulated every 2 s.
      if vim.uv.now() - last > 2000 then
        last = vim.uv.now()
        vim.api.nvim_exec_autocmds('CursorHold', { buffer = spec })
      end
      for _, l in ipairs(vim.lsp.codelens.get(spec)) do
        local t = l.command and l.command.title or ''
        if l.range.start.line == line and t:find('passed', 1, true) then
          return t
        end
      end
    end, 30000)
    out('    lens: ' .. title)
  end)

  test('rename a scenario id across the spec and its tests', function()
    vim.api.nvim_set_current_buf(spec)
    local line, col = find(spec, 'id: task-create')
    vim.api.nvim_win_set_cursor(0, { line + 1, col + 5 })
    if buffer_text(spec):find('task-create-simple', 1, true) then
      fail('the new name is already there')
    end
    vim.lsp.buf.rename('task-create-simple')
    local tests = vim.fn.bufnr(path('tests/test_tasks.py'))
    wait('the rename in both files', function()
      return buffer_text(spec):find('id: task-create-simple\n', 1, true)
        and tests > 0
        and buffer_text(tests):find('# @spec task-create-simple\n', 1, true)
    end)
    -- Ids that only start with the old one are left alone.
    for _, b in ipairs({ spec, tests }) do
      if not buffer_text(b):find('task-create-empty-title', 1, true) then
        fail('task-create-empty-title was renamed in %s', vim.api.nvim_buf_get_name(b))
      end
    end
  end)

  test(':SpecTest runs the tests of the spec and reports the tally', function()
    vim.api.nvim_set_current_buf(spec)
    vim.cmd('messages clear')
    local n = #_G.E2E_MESSAGES
    vim.cmd('SpecTest')
    local started = wait_notified('the run to start', n, 'tests: running ')
    if not started:find('fake-tests.sh', 1, true) then
      fail('the run does not show the configured command: %s', started)
    end
    -- The server's window/showMessage, in the message area and :messages.
    wait_echoed('the tally of the run', 'LSP[specls][Info] specls: tests 1 passed')
    out('    ' .. started)
  end)

  test(':SpecEdgeCases inserts proposals after the scenario at the cursor, undone with u', function()
    vim.api.nvim_set_current_buf(spec)
    local before = buffer_text(spec)
    local lines_before = vim.api.nvim_buf_line_count(spec)
    local line, col = find(spec, 'name: Delete a task')
    local next_scenario = find(spec, 'id: task-reopen')
    vim.api.nvim_win_set_cursor(0, { line + 1, col })
    local n = #_G.E2E_MESSAGES
    -- Close the undo block, as a user's keystrokes do (the edits before came from the server).
    vim.o.undolevels = vim.o.undolevels
    vim.cmd('SpecEdgeCases')
    local said = wait_notified('the proposals', n, 'edge cases: ')
    wait('the proposals in the buffer', function()
      return vim.api.nvim_buf_line_count(spec) > lines_before
    end)
    -- The new lines sit between the scenario and the next one (the rest is unchanged): YAML
    -- list items marked as proposed.
    local lines = vim.api.nvim_buf_get_lines(spec, 0, -1, false)
    local old = vim.split(before, '\n')
    local added = #lines - #old
    local tail = #old - next_scenario -- lines from the next scenario to the end
    local same = vim.deep_equal(vim.list_slice(lines, 1, line + 1), vim.list_slice(old, 1, line + 1))
      and vim.deep_equal(vim.list_slice(lines, #lines - tail + 1, #lines), vim.list_slice(old, #old - tail + 1, #old))
    local inserted = table.concat(vim.list_slice(lines, line + 2, #lines - tail), '\n')
    if not same or not inserted:find('tags: [proposed]', 1, true) or not inserted:find('  - id: ', 1, true) then
      fail('no proposed scenario right after the one at the cursor (rest unchanged: %s):\n%s', tostring(same), inserted)
    end
    out(('    %d lines: %s'):format(added, said))
    vim.cmd('silent normal! u')
    if buffer_text(spec) ~= before then
      fail('one u did not take the proposals back')
    end
  end)

  test('the code action "Propose edge cases for scenario" applies the proposals (gra)', function()
    vim.api.nvim_set_current_buf(spec)
    local before = buffer_text(spec)
    local line, col = find(spec, 'name: Reopen a completed task')
    vim.api.nvim_win_set_cursor(0, { line + 1, col + 8 })
    vim.o.undolevels = vim.o.undolevels
    local chosen
    vim.lsp.buf.code_action({
      filter = function(a)
        if not chosen and a.title:find('^Propose %d+ edge cases? for scenario') then
          chosen = a
          return true
        end
        return false
      end,
      apply = true,
    })
    wait('the action to be offered', function()
      return chosen
    end)
    if chosen.kind ~= 'source.specls' or chosen.command.command ~= 'specls.proposeEdgeCases' then
      fail('action: %s', vim.inspect(chosen))
    end
    if chosen.command.arguments[1].scenario ~= 'task-reopen' then
      fail('arguments: %s', vim.inspect(chosen.command.arguments))
    end
    local text = wait('the proposals in the buffer', function()
      local t = buffer_text(spec)
      return t ~= before and t
    end)
    local _, n_before = before:gsub('tags: %[proposed%]', '')
    local _, n_after = text:gsub('tags: %[proposed%]', '')
    if n_after <= n_before or not text:find('id: task-reopen-', 1, true) then
      fail('no proposal for task-reopen:\n%s', text)
    end
    out(('    %s: %d proposals'):format(chosen.title, n_after - n_before))
    vim.cmd('silent normal! u')
    if buffer_text(spec) ~= before then
      fail('one u did not take the proposals back')
    end
  end)

  local generated = path('src/tasks.py')

  test(':SpecCompile asks before replacing a hand-written file, writes it and reports', function()
    vim.api.nvim_set_current_buf(spec)
    local before = read_file(generated)
    if not before or before:find('stand-in agent', 1, true) then
      fail('%s is not the example\'s own file before the compile', generated)
    end
    -- The question (window/showMessageRequest) goes through vim.ui.select: answer Overwrite.
    local asked
    local select = vim.ui.select
    vim.ui.select = function(items, opts, on_choice)
      asked = opts.prompt
      for _, it in ipairs(items) do
        if it.title == 'Overwrite' then
          return on_choice(it)
        end
      end
      on_choice(nil)
    end
    vim.cmd('silent wall')
    vim.cmd('messages clear')
    local n = #_G.E2E_MESSAGES
    local ok, err = pcall(function()
      vim.cmd('SpecCompile')
      wait_notified('the compile to start', n, 'compile: started (tasks.spec.yaml)')
      wait_echoed('the compile result', 'LSP[specls][Info] specls: 1 compiled, 0 up to date, 0 failed')
    end)
    vim.ui.select = select
    if not ok then
      error(err, 0)
    end
    if not asked or not asked:find('src/tasks.py', 1, true) then
      fail('not asked about src/tasks.py: %s', tostring(asked))
    end
    out('    asked: ' .. asked)
    local text = read_file(generated)
    if not text or not text:find('stand-in agent', 1, true) then
      fail('%s: %s', generated, tostring(text))
    end
    local manifest = read_file(path('.specls/manifest.json')) or ''
    if not manifest:find('tasks.spec.yaml', 1, true) or not manifest:find('src/tasks.py', 1, true) then
      fail('the manifest does not record the compile: %s', manifest)
    end
    -- The compile lens says the spec is up to date.
    local last = 0
    wait('an up-to-date compile lens', function()
      if vim.uv.now() - last > 2000 then
        last = vim.uv.now()
        vim.api.nvim_exec_autocmds('CursorHold', { buffer = spec })
      end
      for _, l in ipairs(vim.lsp.codelens.get(spec)) do
        local t = l.command and l.command.title or ''
        if l.command and l.command.command == 'specls.compile' and t:find('up to date', 1, true) then
          return t
        end
      end
    end)
    -- Again, nothing changed: nothing compiled.
    vim.cmd('messages clear')
    vim.cmd('SpecCompile')
    wait_echoed('the second compile result', 'specls: 0 compiled, 1 up to date, 0 failed')
  end)

  test(':SpecDrift shows what changed since the compile', function()
    vim.api.nvim_set_current_buf(spec)
    local n = #_G.E2E_MESSAGES
    vim.cmd('SpecDrift')
    wait_notified('no drift right after the compile', n, 'drift: none')
    vim.cmd('close')
    -- Edit a Then of "Complete a task", as a user would (unsaved).
    vim.o.undolevels = vim.o.undolevels
    local line = find(spec, 'The task should have a completed_at timestamp')
    vim.api.nvim_buf_set_lines(spec, line, line + 1, false, { '      - The task should have a completed_at timestamp in UTC' })
    local name_line, name_col = find(spec, 'name: Complete a task')
    wait('a scenario-changed-since-compile diagnostic on the scenario', function()
      for _, d in ipairs(vim.diagnostic.get(spec)) do
        if d.code == 'scenario-changed-since-compile' and d.lnum == name_line then
          return d
        end
      end
    end)
    n = #_G.E2E_MESSAGES
    vim.cmd('SpecDrift')
    local said = wait_notified('the drift summary', n, 'drift: tasks.spec.yaml: changed since compile')
    if not said:find('1 scenario changed (task-complete)', 1, true) then
      fail('summary: %s', said)
    end
    -- The answer in a scratch window, the changed scenario in the quickfix list.
    local shown = buffer_text(0)
    if not shown:find('"spec_changed": true', 1, true) or not shown:find('"id": "task-complete"', 1, true) then
      fail('drift window:\n%s', shown)
    end
    vim.cmd('close')
    local qf = vim.fn.getqflist()
    if #qf ~= 1 or qf[1].bufnr ~= spec or qf[1].lnum ~= name_line + 1 or not qf[1].text:find('Complete a task', 1, true) then
      fail('quickfix: %s (expected line %d col %d)', vim.inspect(qf), name_line + 1, name_col)
    end
    vim.cmd('silent undo')
  end)

  test('key maps can be turned off, all or one', function()
    local specls = require('specls')
    local base = { cmd = { os.getenv('SPECLS_BIN'), 'lsp' }, settings = { pollInterval = 0 } }
    local function maps_of(rel)
      local b = vim.fn.bufnr(path(rel))
      if b > 0 then
        vim.cmd('bwipeout! ' .. b)
      end
      local buf = open(rel)
      local got = {}
      for _, lhs in ipairs({ ',sr', ',st', ',sc', ',se', ',sd', ',sl' }) do
        if vim.fn.maparg(lhs, 'n', false, true).buffer == 1 then
          got[#got + 1] = lhs
        end
      end
      return table.concat(got, ' '), buf
    end
    local ok, err = pcall(function()
      specls.setup(vim.tbl_extend('force', base, { keymaps = false }))
      local got = maps_of('performance.spec.yaml')
      if got ~= '' then
        fail('keymaps = false: still mapped: %s', got)
      end
      specls.setup(vim.tbl_extend('force', base, { keymaps = { drift = false, compile = '<localleader>C' } }))
      got = maps_of('performance.spec.yaml')
      if got ~= ',sr ,st ,se ,sl' then
        fail('keymaps = { drift = false, compile = ... }: %s', got)
      end
      if not (vim.fn.maparg(',C', 'n', false, true).rhs or ''):find('SpecCompile', 1, true) then
        fail('compile not remapped to ,C')
      end
      -- Test files get specls but no spec key maps.
      got = maps_of('tests/test_tasks.py')
      if got ~= '' then
        fail('key maps on a test file: %s', got)
      end
    end)
    specls.setup(base)
    if not ok then
      error(err, 0)
    end
  end)

  test('setup() defines the user commands (plugin/ not sourced: lazy.nvim subfolder, late rtp)', function()
    for _, c in ipairs({ 'SpecTest', 'SpecTestScenario', 'SpecCompile', 'SpecEdgeCases', 'SpecDrift', 'SpecHealth', 'SpecCancel' }) do
      vim.api.nvim_del_user_command(c)
    end
    require('specls').setup({ cmd = { os.getenv('SPECLS_BIN'), 'lsp' }, settings = { pollInterval = 0 } })
    for _, c in ipairs({ 'SpecTest', 'SpecTestScenario', 'SpecCompile', 'SpecEdgeCases', 'SpecDrift', 'SpecHealth', 'SpecCancel' }) do
      if vim.fn.exists(':' .. c) ~= 2 then
        fail(':%s is not defined after setup()', c)
      end
    end
  end)

  test('a command the server does not provide is refused clearly', function()
    vim.api.nvim_set_current_buf(spec)
    local c = client_of(spec)
    local provided = c.server_capabilities.executeCommandProvider.commands
    for _, cmd in ipairs({ 'runTests', 'compile', 'proposeEdgeCases', 'showDrift', 'workspaceHealth', 'cancelRun', 'cancelCompile' }) do
      if not vim.tbl_contains(provided, 'specls.' .. cmd) then
        fail('the server does not provide specls.%s: %s', cmd, table.concat(provided, ', '))
      end
    end
    local n = #_G.E2E_MESSAGES
    if require('specls').execute('specls.noSuchCommand') then
      fail('execute sent a command the server does not provide')
    end
    local msgs = table.concat(messages_since(n), ' | ')
    if not msgs:find('does not provide specls.noSuchCommand (it provides: ', 1, true) then
      fail('expected a clear refusal, got: %s', msgs)
    end
    -- The version command.
    local got
    require('specls').execute('specls.version', nil, {
      on_result = function(r)
        got = r
      end,
    })
    wait('specls.version', function()
      return got
    end)
    if got.name ~= 'specls' or type(got.version) ~= 'string' then
      fail('specls.version: %s', vim.inspect(got))
    end
    -- :SpecHealth: the counts, as a message.
    n = #_G.E2E_MESSAGES
    vim.cmd('SpecHealth')
    local health = wait_notified('the workspace health', n, 'workspace: ')
    if not health:find('scenarios %d+') or not health:find('specs %d+') then
      fail(':SpecHealth: %s', health)
    end
    out('    ' .. health)
  end)

  test(':checkhealth specls reports the binary and the client', function()
    vim.cmd('checkhealth specls')
    local text = buffer_text(0)
    vim.cmd('bwipeout!')
    if not text:find('specls 0.', 1, true) then
      fail('no version in:\n%s', text)
    end
    if text:find('ERROR', 1, true) or not text:find('OK', 1, true) then
      fail('checkhealth:\n%s', text)
    end
    if not text:find('client %d+: specls') then
      fail('no running client in:\n%s', text)
    end
  end)

  test(':checkhealth specls tells when the binary is missing', function()
    vim.lsp.config('specls', { cmd = { '/nonexistent/bin/specls', 'lsp' } })
    vim.cmd('checkhealth specls')
    local text = buffer_text(0)
    vim.cmd('bwipeout!')
    vim.lsp.config('specls', { cmd = { os.getenv('SPECLS_BIN'), 'lsp' } })
    if not text:find('ERROR `/nonexistent/bin/specls` not found', 1, true) or not text:find('cargo install', 1, true) then
      fail('checkhealth:\n%s', text)
    end
  end)

  test('ordinary Markdown and YAML are not specs', function()
    local detect = require('specls.detect')
    local cases = {
      { 'tasks.spec.yaml', {}, 'yaml-spec' },
      { 'x/todo.spec.md', {}, 'markdown-spec' },
      { 'arrangement.yaml', {}, 'arrangement' },
      { 'svc.arrangement.yml', {}, 'arrangement' },
      { 'specs/checkout.yaml', { 'feature: Checkout', 'scenarios:' }, 'yaml-spec' },
      { 'docs/notes.md', { '# Notes', '## Scenario: Login' }, 'markdown-spec' },
      { 'docs/b.md', { '1. **Given** a, **When** b, **Then** c' }, 'markdown-spec' },
      { 'tasks/T-1.md', { '---', 'requirement_id: FR-1', '---' }, 'blueprint' },
      { 'README.md', { '# specls', 'Some text' }, nil },
      { 'docker-compose.yml', { 'services:', '  web:' }, nil },
      { '.github/workflows/ci.yml', { 'name: CI', 'on: push' }, nil },
      { 'k8s/deploy.yaml', { 'kind: Deployment', 'feature: x' }, nil },
      { 'specs/values.yaml', { 'replicas: 3', '  feature: nested' }, nil },
    }
    for _, c in ipairs(cases) do
      local got = detect.kind(c[1], c[2])
      if got ~= c[3] then
        fail('%s: %s, expected %s', c[1], tostring(got), tostring(c[3]))
      end
    end
  end)

  out('')
  local passed, failed = 0, 0
  for _, r in ipairs(results) do
    if r.ok then
      passed = passed + 1
    else
      failed = failed + 1
    end
  end
  out(('neovim e2e: %d passed, %d failed'):format(passed, failed))
  return failed == 0 and 0 or 1
end

return M
