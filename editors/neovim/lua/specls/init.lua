-- specls for Neovim: server registration, code lenses, user commands, key maps.
-- `:help specls` for everything below.
local M = {}

local COMMANDS = {
  run_tests = 'specls.runTests',
  cancel_run = 'specls.cancelRun',
  compile = 'specls.compile',
  cancel_compile = 'specls.cancelCompile',
  edge_cases = 'specls.proposeEdgeCases',
  drift = 'specls.showDrift',
  health = 'specls.workspaceHealth',
  version = 'specls.version',
}
M.commands = COMMANDS

--- Defaults of `setup()`.
M.defaults = {
  --- The server command; nil keeps `{ 'specls', 'lsp' }` (or what `vim.lsp.config` says).
  cmd = nil,
  --- Settings for the server (the keys of specls.toml, as a table): sent as
  --- initializationOptions and answered to workspace/configuration.
  settings = nil,
  --- Start the server for spec buffers (`vim.lsp.enable('specls')`).
  enable = true,
  --- Show and refresh code lenses in spec buffers.
  codelens = true,
  --- Echo the end of server progress (test runs, compiles, indexing).
  progress = true,
  --- Buffer-local key maps set when specls attaches; `false` for none, or a key set to `false`.
  keymaps = {
    test_scenario = '<localleader>sr',
    test_spec = '<localleader>st',
    compile = '<localleader>sc',
    edge_cases = '<localleader>se',
    drift = '<localleader>sd',
    codelens = '<localleader>sl',
  },
}

M.options = vim.deepcopy(M.defaults)

local function notify(msg, level)
  vim.notify('specls: ' .. msg, level or vim.log.levels.INFO, { title = 'specls' })
end

--- The specls client of a buffer (or any specls client).
---@param bufnr integer?
---@return vim.lsp.Client?
function M.client(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  return vim.lsp.get_clients({ name = 'specls', bufnr = bufnr })[1]
    or vim.lsp.get_clients({ name = 'specls' })[1]
end

--- Whether the running server executes a command.
---@param client vim.lsp.Client
---@param command string
function M.provides(client, command)
  local p = client.server_capabilities and client.server_capabilities.executeCommandProvider
  return p ~= nil and vim.tbl_contains(p.commands or {}, command)
end

--- Run a server command (`workspace/executeCommand`) with one argument object.
---@param command string
---@param args table? nil or empty: an empty object
---@param opts? { bufnr?: integer, on_result?: fun(result: any) }
---@return boolean sent
function M.execute(command, args, opts)
  opts = opts or {}
  local bufnr = opts.bufnr or vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client then
    notify('the server is not running for this buffer (see :checkhealth specls)', vim.log.levels.ERROR)
    return false
  end
  if not M.provides(client, command) then
    local known = client.server_capabilities.executeCommandProvider
    notify(
      ('this specls does not provide %s (it provides: %s)'):format(
        command,
        table.concat(known and known.commands or {}, ', ')
      ),
      vim.log.levels.ERROR
    )
    return false
  end
  if args == nil or vim.tbl_isempty(args) then
    args = vim.empty_dict()
  end
  client:request('workspace/executeCommand', { command = command, arguments = { args } }, function(err, result)
    if err then
      notify(('%s failed: %s'):format(command, err.message or vim.inspect(err)), vim.log.levels.ERROR)
      return
    end
    if opts.on_result then
      opts.on_result(result)
    end
  end, bufnr)
  return true
end

--- The arguments of the `source.specls` code actions at the cursor that run `command`
--- (the server decides which scenario, requirement and spec the cursor is in).
---@param command string
---@param bufnr integer
---@return table[] args, best first
function M.actions_at_cursor(command, bufnr)
  local out = {}
  for _, a in ipairs(M.code_actions_at_cursor(command, bufnr)) do
    out[#out + 1] = a.command.arguments[1]
  end
  return out
end

--- The `source.specls` code actions at the cursor whose command is `command`, best first.
---@param command string
---@param bufnr integer
---@return table[] actions
function M.code_actions_at_cursor(command, bufnr)
  local client = M.client(bufnr)
  if not client then
    return {}
  end
  local params = vim.lsp.util.make_range_params(0, client.offset_encoding)
  params.context = { diagnostics = {}, only = { 'source.specls' } }
  local resp = client:request_sync('textDocument/codeAction', params, 3000, bufnr)
  local out = {}
  for _, a in ipairs(resp and resp.result or {}) do
    local cmd = a.command
    if type(cmd) == 'table' and cmd.command == command and cmd.arguments then
      out[#out + 1] = a
    end
  end
  return out
end

local function uri(bufnr)
  return vim.uri_from_bufnr(bufnr)
end

local function is_spec(bufnr)
  return require('specls.detect').buf_kind(bufnr) ~= nil
end

--- Show a command's answer: text as a message, objects with places (`uri` + `range`) in the
--- quickfix list, the rest as JSON in a scratch buffer.
---@param title string
---@param result any
function M.show_result(title, result)
  if result == nil or result == vim.NIL then
    return
  end
  if type(result) ~= 'table' then
    notify(title .. ': ' .. tostring(result))
    return
  end
  local items = {}
  local function walk(v, label)
    if type(v) ~= 'table' then
      return
    end
    if type(v.uri) == 'string' and type(v.range) == 'table' and v.range.start then
      local text = v.message or v.title or v.name or label or ''
      items[#items + 1] = {
        filename = vim.uri_to_fname(v.uri),
        lnum = v.range.start.line + 1,
        col = v.range.start.character + 1,
        text = tostring(text),
      }
    end
    for k, x in pairs(v) do
      walk(x, type(k) == 'string' and k or label)
    end
  end
  walk(result, nil)
  local lines = vim.split(M.json_pretty(result), '\n')
  local buf = vim.api.nvim_create_buf(false, true)
  vim.bo[buf].bufhidden = 'wipe'
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].filetype = 'json'
  vim.bo[buf].modifiable = false
  vim.keymap.set('n', 'q', '<cmd>close<cr>', { buffer = buf, nowait = true, desc = 'specls: close' })
  pcall(vim.api.nvim_buf_set_name, buf, 'specls://' .. title:gsub('%s', '-'))
  vim.cmd('botright split')
  vim.api.nvim_win_set_buf(0, buf)
  if #items > 0 then
    vim.fn.setqflist({}, ' ', { title = 'specls: ' .. title, items = items })
    notify(('%s: %d places in the quickfix list (:copen)'):format(title, #items))
  end
  M.last_result = { title = title, result = result, buf = buf }
end

--- JSON with two-space indentation and sorted keys.
---@param v any
---@return string
function M.json_pretty(v, indent)
  indent = indent or ''
  local inner = indent .. '  '
  if type(v) == 'table' and v ~= vim.NIL then
    if vim.tbl_isempty(v) then
      return vim.islist(v) and '[]' or '{}'
    end
    local parts = {}
    if vim.islist(v) then
      for _, x in ipairs(v) do
        parts[#parts + 1] = inner .. M.json_pretty(x, inner)
      end
      return '[\n' .. table.concat(parts, ',\n') .. '\n' .. indent .. ']'
    end
    local keys = vim.tbl_keys(v)
    table.sort(keys, function(a, b)
      return tostring(a) < tostring(b)
    end)
    for _, k in ipairs(keys) do
      parts[#parts + 1] = inner .. vim.json.encode(tostring(k)) .. ': ' .. M.json_pretty(v[k], inner)
    end
    return '{\n' .. table.concat(parts, ',\n') .. '\n' .. indent .. '}'
  end
  return vim.json.encode(v)
end

--- What a command's answer tells the user at once: a test run or a compile that started (its
--- end comes as a server message), or a text answer.
local function report(title)
  return function(result)
    if type(result) == 'string' then
      notify(title .. ': ' .. result)
    elseif type(result) ~= 'table' then
      return
    elseif type(result.message) == 'string' then
      notify(title .. ': ' .. result.message)
    elseif type(result.command) == 'string' then
      notify(('%s: running %s'):format(title, result.command))
    elseif result.started == true then
      local specs = type(result.specs) == 'table' and #result.specs > 0 and table.concat(result.specs, ', ')
        or 'every changed spec'
      notify(('%s: started (%s)'):format(title, specs))
    elseif type(result.proposed) == 'table' and #result.proposed > 0 then
      notify(('%s: %d proposed (undo with u): %s'):format(title, #result.proposed, table.concat(result.proposed, '; ')))
    end
  end
end

--- One line per drifted spec of a `specls.showDrift` answer, and the quickfix items of the
--- scenarios and requirements that changed or were added since the compile.
---@param result table `{spec = SpecDrift|nil}` or `{specs = SpecDrift[]}`, plus `problems`
---@param root string? the workspace root the paths are relative to
---@return string[] lines, table[] items
function M.drift_summary(result, root)
  local specs = {}
  if type(result.specs) == 'table' then
    specs = result.specs
  elseif type(result.spec) == 'table' then
    specs = { result.spec }
  end
  local lines, items = {}, {}
  for _, s in ipairs(specs) do
    if s.drifted then
      local parts = {}
      if s.never_compiled then
        parts[#parts + 1] = 'never compiled'
      elseif s.spec_changed then
        parts[#parts + 1] = 'changed since compile'
      end
      for _, kind in ipairs({ 'scenario', 'requirement' }) do
        local c = s[kind .. 's'] or {}
        for _, what in ipairs({ 'changed', 'added', 'removed' }) do
          local list = c[what] or {}
          if #list > 0 then
            local names = {}
            for _, it in ipairs(list) do
              names[#names + 1] = type(it) == 'table' and it.id or tostring(it)
            end
            local noun = #list == 1 and kind or kind .. 's'
            parts[#parts + 1] = ('%d %s %s (%s)'):format(#list, noun, what, table.concat(names, ', '))
          end
        end
      end
      for _, f in ipairs({
        { 'dependencies_changed', 'dependencies changed' },
        { 'dependencies_added', 'dependencies added' },
        { 'dependencies_removed', 'dependencies removed' },
        { 'edited_files', 'generated files edited by hand' },
        { 'missing_files', 'generated files missing' },
      }) do
        local list = s[f[1]] or {}
        if #list > 0 then
          parts[#parts + 1] = ('%s: %s'):format(f[2], table.concat(list, ', '))
        end
      end
      lines[#lines + 1] = ('%s: %s'):format(s.path, table.concat(parts, '; '))
      -- The places: byte offsets into the spec, turned into lines of its buffer.
      local fname = (root and not vim.startswith(s.path, '/')) and (root .. '/' .. s.path) or s.path
      local buf = vim.fn.bufadd(fname)
      vim.fn.bufload(buf)
      for _, kind in ipairs({ 'scenarios', 'requirements' }) do
        for _, what in ipairs({ 'changed', 'added' }) do
          for _, it in ipairs((s[kind] or {})[what] or {}) do
            if type(it) == 'table' and type(it.span) == 'table' then
              local lnum = vim.api.nvim_buf_call(buf, function()
                return vim.fn.byte2line(it.span.start + 1)
              end)
              items[#items + 1] = {
                bufnr = buf,
                lnum = math.max(lnum, 1),
                text = ('%s %s since compile: %s'):format(kind == 'scenarios' and 'scenario' or 'requirement', what, it.name or it.id),
              }
            end
          end
        end
      end
    end
  end
  for _, p in ipairs(type(result.problems) == 'table' and result.problems or {}) do
    lines[#lines + 1] = 'problem: ' .. tostring(p)
  end
  return lines, items
end

--- `:SpecTest[!]`: the tests of the spec in the buffer; with `!`, of every spec.
function M.test(bang)
  local bufnr = vim.api.nvim_get_current_buf()
  if bang or not is_spec(bufnr) then
    return M.execute(COMMANDS.run_tests, { all = true }, { on_result = report('tests') })
  end
  return M.execute(COMMANDS.run_tests, { uri = uri(bufnr) }, { on_result = report('tests') })
end

--- `:SpecTestScenario [ID...]`: the tests of the given scenarios, or of the one at the cursor.
function M.test_scenario(ids)
  local bufnr = vim.api.nvim_get_current_buf()
  if ids and #ids > 0 then
    return M.execute(COMMANDS.run_tests, { uri = uri(bufnr), scenarios = ids }, { on_result = report('tests') })
  end
  local client = M.client(bufnr)
  if client and not M.provides(client, COMMANDS.run_tests) then
    return M.execute(COMMANDS.run_tests) -- reports what the server provides
  end
  for _, args in ipairs(M.actions_at_cursor(COMMANDS.run_tests, bufnr)) do
    if type(args.scenarios) == 'table' and #args.scenarios > 0 then
      return M.execute(COMMANDS.run_tests, args, { on_result = report('tests') })
    end
  end
  notify('the cursor is not in a scenario (give its id: :SpecTestScenario ID)', vim.log.levels.WARN)
  return false
end

--- `:SpecCompile[!]`: compile the spec in the buffer (every changed spec elsewhere); `!` forces.
function M.compile(bang)
  local bufnr = vim.api.nvim_get_current_buf()
  local args = {}
  if is_spec(bufnr) then
    args.uri = uri(bufnr)
  end
  if bang then
    args.force = true
  end
  return M.execute(COMMANDS.compile, args, { on_result = report('compile') })
end

--- `:SpecEdgeCases`: propose edge cases for the scenario, requirement or spec at the cursor; the
--- server applies them to the buffer as an edit (undo with `u`).
function M.edge_cases()
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if client and not M.provides(client, COMMANDS.edge_cases) then
    return M.execute(COMMANDS.edge_cases)
  end
  local action = M.code_actions_at_cursor(COMMANDS.edge_cases, bufnr)[1]
  if action and action.edit and client then
    -- The action carries the proposals as an edit: apply it, then run its command (which
    -- only reports them), as a code action is run.
    vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
  end
  local args = action and action.command.arguments[1] or { uri = uri(bufnr) }
  return M.execute(COMMANDS.edge_cases, args, { on_result = report('edge cases') })
end

--- `:SpecDrift[!]`: spec/code drift of the spec in the buffer (`!`: of the workspace).
function M.drift(bang)
  local bufnr = vim.api.nvim_get_current_buf()
  local args = {}
  if not bang and is_spec(bufnr) then
    args.uri = uri(bufnr)
  end
  local client = M.client(bufnr)
  return M.execute(COMMANDS.drift, args, {
    on_result = function(result)
      if type(result) ~= 'table' then
        return M.show_result('drift', result)
      end
      local lines, items = M.drift_summary(result, client and client.root_dir)
      if #lines == 0 then
        notify('drift: none, every spec matches its last compile')
      else
        notify('drift: ' .. table.concat(lines, '\n'), vim.log.levels.WARN)
      end
      M.show_result('drift', result)
      if #items > 0 then
        vim.fn.setqflist({}, ' ', { title = 'specls: drift', items = items })
        notify(('drift: %d scenarios and requirements in the quickfix list (:copen)'):format(#items))
      end
      M.last_result.summary = lines
    end,
  })
end

--- `:SpecHealth`: counts of specs, scenarios, failing, untested, drifted and passing.
function M.health()
  return M.execute(COMMANDS.health, nil, {
    on_result = function(result)
      if type(result) ~= 'table' then
        return M.show_result('health', result)
      end
      local parts = {}
      for _, k in ipairs(vim.tbl_keys(result)) do
        parts[#parts + 1] = k .. ' ' .. tostring(result[k])
      end
      table.sort(parts)
      notify('workspace: ' .. table.concat(parts, ', '))
      M.last_result = { title = 'health', result = result }
    end,
  })
end

--- `:SpecCancel`: cancel the test run and the compile in progress.
function M.cancel()
  local client = M.client()
  if not client then
    return M.execute(COMMANDS.cancel_run)
  end
  local sent = false
  for _, c in ipairs({ COMMANDS.cancel_run, COMMANDS.cancel_compile }) do
    if M.provides(client, c) then
      sent = M.execute(c) or sent
    end
  end
  if not sent then
    notify('this specls has nothing to cancel', vim.log.levels.WARN)
  end
  return sent
end

local function set_keymaps(bufnr)
  local keys = M.options.keymaps
  if not keys then
    return
  end
  local maps = {
    test_scenario = { '<cmd>SpecTestScenario<cr>', 'specls: run the tests of the scenario at the cursor' },
    test_spec = { '<cmd>SpecTest<cr>', 'specls: run the tests of this spec' },
    compile = { '<cmd>SpecCompile<cr>', 'specls: compile this spec' },
    edge_cases = { '<cmd>SpecEdgeCases<cr>', 'specls: propose edge cases here' },
    drift = { '<cmd>SpecDrift<cr>', 'specls: show spec/code drift' },
    codelens = { vim.lsp.codelens.run, 'specls: run the code lens of this line' },
  }
  for name, lhs in pairs(keys) do
    local m = maps[name]
    if lhs and m then
      vim.keymap.set('n', lhs, m[1], { buffer = bufnr, desc = m[2] })
    end
  end
end

local group = vim.api.nvim_create_augroup('specls', { clear = true })

local function on_attach(client, bufnr)
  if is_spec(bufnr) then
    set_keymaps(bufnr)
  end
  if M.options.codelens and client:supports_method('textDocument/codeLens', bufnr) then
    vim.lsp.codelens.refresh({ bufnr = bufnr })
    vim.api.nvim_create_autocmd({ 'BufEnter', 'InsertLeave', 'BufWritePost', 'CursorHold' }, {
      group = group,
      buffer = bufnr,
      callback = function(ev)
        if M.client(ev.buf) then
          vim.lsp.codelens.refresh({ bufnr = ev.buf })
        end
      end,
      desc = 'specls: refresh code lenses',
    })
  end
end

--- Set up specls (idempotent). Any key of `M.defaults`.
---@param opts table?
function M.setup(opts)
  M.options = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts or {})
  if opts and opts.keymaps == false then
    M.options.keymaps = false
  end
  local cfg = {}
  if M.options.cmd then
    cfg.cmd = M.options.cmd
  end
  if M.options.settings then
    cfg.init_options = M.options.settings
    cfg.settings = { specls = M.options.settings }
  end
  if next(cfg) then
    vim.lsp.config('specls', cfg)
  end
  require('specls.config').register_lspconfig()
  require('specls.commands').create()

  vim.api.nvim_clear_autocmds({ group = group })
  vim.api.nvim_create_autocmd('LspAttach', {
    group = group,
    callback = function(ev)
      local client = vim.lsp.get_client_by_id(ev.data.client_id)
      if client and client.name == 'specls' then
        on_attach(client, ev.buf)
      end
    end,
  })
  vim.api.nvim_create_autocmd('LspProgress', {
    group = group,
    pattern = 'end',
    callback = function(ev)
      local client = vim.lsp.get_client_by_id(ev.data.client_id)
      if not client or client.name ~= 'specls' then
        return
      end
      if M.options.codelens then
        require('specls.config').refresh_lenses(client.id)
      end
      local value = ev.data.params and ev.data.params.value or {}
      if M.options.progress and value.message then
        local msg = value.message:gsub('^specls: ', '')
        vim.api.nvim_echo({ { 'specls: ' .. msg } }, false, {})
      end
    end,
  })
  if M.options.enable then
    vim.lsp.enable('specls')
  end
end

return M
